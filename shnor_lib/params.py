"""Parameters: defaults from ``parameters/default.yml``, municipal overrides, validation.

Every threshold, weight and grouping of the methodology is a parameter. A
municipality's file overrides any key of the defaults; a key the defaults do not
know, or a value of the wrong type, is an error that names the key.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from .errors import ParameterError

__all__ = ["PROJECT_DIR", "default_parameters_dir", "load_params", "validate_params", "params_digest"]

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Keys whose value is a free mapping (their defaults are empty or user-extensible).
_FREE_MAPPINGS = {"isbsh.fixed", "iursh.fixed", "isbsh.weights", "targets", "monitoring.municipal_answers", "monitoring.indicator_targets",
                  "risk.groups"}

_CHOICES = {
    "subject_mode": {"any", "all"},
    "subject_levels": {"pooled", "separate"},
    "isbsh.method": {"weights", "regression"},
    "isbsh.reference": {"municipality", "all", "fixed"},
    "iursh.reference": {"municipality", "all", "fixed"},
    "quality.index": {"oge_base", "vpr_base", "quality_share", "mean_mark"},
    "quality.reference": {"municipality", "all"},
    "model.weights": {"none", "participants"},
    "model.mixed": {"auto", "always", "never"},
    "objectivity.inflated_metric": {"mean_mark", "quality_share"},
}

_SHARES = ["shnor_threshold", "risk_threshold", "confidence_level", "objectivity.jump_confidence",
           "objectivity.mismatch_raised", "objectivity.mismatch_confirmed", "model.alpha"]


def default_parameters_dir() -> Path:
    """The ``parameters/`` folder of the project this package lives in."""
    return PROJECT_DIR / "parameters"


@functools.lru_cache(maxsize=64)
def _parse_yaml(text: str):
    # Keyed by the text, so an edited file is parsed again; a country run reads the same
    # default.yml for each of its thousands of municipalities.
    return yaml.safe_load(text)


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(f"Файл параметров не найден: {path}") from None
    try:
        data = copy.deepcopy(_parse_yaml(text)) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"Файл параметров {path} не читается как YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParameterError(f"Файл параметров {path} должен содержать пары «ключ: значение».")
    return data


def _type_ok(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _merge(base: dict, override: dict, source: Path, prefix: str = "") -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        if key not in base:
            if prefix.rstrip(".") in _FREE_MAPPINGS:
                out[key] = value
                continue
            known = ", ".join(sorted(map(str, base)))
            raise ParameterError(
                f"{source}: неизвестный параметр «{dotted}». Допустимые ключи на этом уровне: {known}."
            )
        default = base[key]
        if isinstance(default, dict) and dotted not in _FREE_MAPPINGS:
            if not isinstance(value, dict):
                raise ParameterError(f"{source}: параметр «{dotted}» должен быть словарём (ключ: значение).")
            out[key] = _merge(default, value, source, dotted + ".")
        elif not _type_ok(default, value):
            raise ParameterError(
                f"{source}: параметр «{dotted}» имеет неверный тип: ожидается "
                f"{type(default).__name__}, получено {value!r}."
            )
        else:
            out[key] = value
    return out


def _get(params: dict, dotted: str) -> Any:
    node: Any = params
    for part in dotted.split("."):
        node = node[part]
    return node


def validate_params(params: dict, source: str = "параметры") -> dict:
    """Check choices, ranges and the ШНСУ rule; return ``params`` unchanged."""
    for dotted, allowed in _CHOICES.items():
        value = _get(params, dotted)
        if value not in allowed:
            raise ParameterError(
                f"{source}: параметр «{dotted}» = {value!r}; допустимо: {', '.join(sorted(allowed))}."
            )
    for dotted in _SHARES:
        value = _get(params, dotted)
        if not 0 < float(value) < 1:
            raise ParameterError(f"{source}: параметр «{dotted}» = {value!r} должен быть долей между 0 и 1.")
    rule = params["shnsu_rule"]
    if (rule.get("isbsh_group_max") is None) == (rule.get("isbsh_quantile") is None):
        raise ParameterError(
            f"{source}: в «shnsu_rule» задайте ровно одно из isbsh_group_max или isbsh_quantile."
        )
    if params["risk_threshold"] >= params["shnor_threshold"]:
        raise ParameterError(f"{source}: «risk_threshold» должен быть меньше «shnor_threshold».")
    for key in ("procedures", "vpr_grades", "subjects"):
        if not params[key]:
            raise ParameterError(f"{source}: список «{key}» не может быть пустым.")
    if int(params["clustering"]["n_clusters"]) < 2:
        raise ParameterError(f"{source}: «clustering.n_clusters» должен быть не меньше 2.")
    return params


def load_params(
    municipality: str | None = None,
    path: str | Path | None = None,
    parameters_dir: str | Path | None = None,
) -> dict:
    """Load the defaults and apply overrides.

    Parameters
    ----------
    municipality : str, optional
        When given and ``parameters/<municipality>.yml`` exists, it overrides the defaults.
    path : path, optional
        An explicit override file (``--params``); applied after the municipality's file.
    parameters_dir : path, optional
        Folder holding ``default.yml``; the project's ``parameters/`` by default.

    Returns
    -------
    dict
        The merged, validated parameters; ``params["_sources"]`` lists the files used.
    """
    pdir = Path(parameters_dir) if parameters_dir else default_parameters_dir()
    default_path = pdir / "default.yml"
    params = _read_yaml(default_path)
    sources = [str(default_path)]
    overrides = []
    if municipality:
        mpath = pdir / f"{municipality}.yml"
        if mpath.exists():
            overrides.append(mpath)
    if path:
        overrides.append(Path(path))
    for opath in overrides:
        params = _merge(params, _read_yaml(opath), opath)
        sources.append(str(opath))
    validate_params(params, ", ".join(sources))
    params["_sources"] = sources
    return params


def params_digest(params: dict) -> str:
    """A short SHA-256 of the effective parameters (sources excluded), for reports."""
    clean = {k: v for k, v in params.items() if not k.startswith("_")}
    blob = json.dumps(clean, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]
