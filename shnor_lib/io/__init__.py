"""Everything that touches files: reading one input file (:mod:`.table`: CSV or XLSX, cells as
text) and a season's folder (:mod:`.readers`, ФИС ОКО exports in :mod:`.fisoko`), writing tables
that are safe in Excel (:mod:`.writers`), the XLSX templates of ``shnor init`` (:mod:`.templates`),
atomic writes (:mod:`.atomic`) and names that become folders (:mod:`.paths`).
"""

from __future__ import annotations

from ..lazy import lazy_exports

# Public names of this room and the module each lives in, imported on first use (shnor_lib.lazy).
_HOME = {
    "RawFile": "table", "SkippedRow": "table", "read_table": "table", "sha256_file": "table",
    "RawSeason": "readers", "read_season": "readers", "list_seasons": "readers",
    "FisokoExports": "fisoko", "read_exports": "fisoko", "merge_exports": "fisoko",
    "safe_component": "paths", "check_selection": "paths", "check_output_folder": "paths",
    "season_folder_problems": "paths",
}
__all__ = list(_HOME)


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
