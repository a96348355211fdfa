"""Parameters: where they live (:mod:`.folders`: the package's defaults, a project's folder beside
its data), reading and checking them with a municipality's overrides (:mod:`.params`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public names of this room and the module each lives in. They are imported on first use
# (PEP 562): importing every module here would tie the sub-packages' __init__ modules into
# cycles (each room builds on the ones below it).
_HOME = {
    "PROJECT_DIR": "folders", "shipped_dir": "folders", "default_parameters_dir": "folders", "project_parameters_dir": "folders",
    "parameter_file": "folders",
    "STATUSES": "params", "load_params": "params", "load_project_params": "params", "validate_params": "params",
    "params_digest": "params", "differences_from_defaults": "params", "value_text": "params",
}
__all__ = list(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOME[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
