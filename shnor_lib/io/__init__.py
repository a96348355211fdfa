"""Everything that touches files: reading one input file (:mod:`.table`: CSV or XLSX, cells as
text) and a season's folder (:mod:`.readers`, ФИС ОКО exports in :mod:`.fisoko`), writing tables
that are safe in Excel (:mod:`.writers`), the XLSX templates of ``shnor init`` (:mod:`.templates`),
atomic writes (:mod:`.atomic`) and names that become folders (:mod:`.paths`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public names of this room and the module each lives in. They are imported on first use
# (PEP 562): importing every module here would tie the sub-packages' __init__ modules into
# cycles (each room builds on the ones below it).
_HOME = {
    "RawFile": "table", "SkippedRow": "table", "read_table": "table", "sha256_file": "table",
    "RawSeason": "readers", "read_season": "readers", "list_seasons": "readers",
    "FisokoExports": "fisoko", "read_exports": "fisoko", "merge_exports": "fisoko",
    "safe_component": "paths", "check_selection": "paths", "check_output_folder": "paths",
    "season_folder_problems": "paths",
}
__all__ = list(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOME[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
