"""Parameters: where they live (:mod:`.folders`: the package's defaults, a project's folder beside
its data), reading and checking them with a municipality's overrides (:mod:`.params`).
"""

from __future__ import annotations

from ..lazy import lazy_exports

# Public names of this room and the module each lives in, imported on first use (shnor_lib.lazy).
_HOME = {
    "PROJECT_DIR": "folders", "shipped_dir": "folders", "default_parameters_dir": "folders", "project_parameters_dir": "folders",
    "parameter_file": "folders",
    "STATUSES": "params", "load_params": "params", "load_project_params": "params", "validate_params": "params",
    "params_digest": "params", "differences_from_defaults": "params", "value_text": "params",
}
__all__ = list(_HOME)


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
