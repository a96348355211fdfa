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
    "isbsh.method": {"weights", "regression"},
    "isbsh.reference": {"municipality", "all", "fixed"},
    "iursh.reference": {"municipality", "all", "fixed"},
    "quality.index": {"oge_base", "vpr_base", "quality_share", "mean_mark"},
    "quality.reference": {"municipality", "all"},
    "model.weights": {"none", "participants"},
    "model.family": {"fractional_logit", "binomial_counts", "ols"},
    "model.multiple_testing": {"bh", "none"},
    "model.mixed": {"auto", "always", "never"},
    "objectivity.inflated_metric": {"mean_mark", "quality_share"},
}

_SHARES = ["shnor_threshold", "risk_threshold", "confidence_level", "objectivity.jump_confidence",
           "objectivity.mismatch_raised", "objectivity.mismatch_confirmed", "model.alpha", "model.fdr"]


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
    _validate_model(params, source)
    return params


_SPEC_KEYS = ("name", "formula", "family", "weights")


def _validate_model(params: dict, source: str) -> None:
    """The quality model's keys: min_effect per index, winsorising, the formulas of the main
    model and of every robustness specification (parsed against the model frame's columns)."""
    from .model_frame import formula_info
    from .models import FAMILIES, MAIN_NAME, check_specification, specification

    m = params["model"]
    for kind in sorted(_CHOICES["quality.index"]):
        value = m["min_effect"].get(kind)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ParameterError(f"{source}: параметр «model.min_effect.{kind}» = {value!r} должен быть неотрицательным "
                                 "числом в единицах индекса (доля 0–1 или средняя отметка 2–5).")
    if not 0 <= float(m["dispersion_winsor"]) < 0.5:
        raise ParameterError(f"{source}: параметр «model.dispersion_winsor» = {m['dispersion_winsor']!r} должен быть "
                             "долей от 0 до 0,5 (0 — без винзоризации).")
    try:
        check_specification(specification(params), params, "model")
    except ParameterError as exc:
        raise ParameterError(f"{source}: {exc}") from None
    specs = m["specifications"] or []
    if not isinstance(specs, list):
        raise ParameterError(f"{source}: параметр «model.specifications» должен быть списком спецификаций "
                             "({name: …, formula: …, family: …, weights: …}).")
    names = {MAIN_NAME}
    for i, spec in enumerate(specs, 1):
        where = f"model.specifications[{i}]"
        if not isinstance(spec, dict):
            raise ParameterError(f"{source}: «{where}» должен быть словарём с ключами {', '.join(_SPEC_KEYS)}.")
        unknown = sorted(set(map(str, spec)) - set(_SPEC_KEYS))
        if unknown:
            raise ParameterError(f"{source}: в «{where}» неизвестный ключ «{unknown[0]}»; допустимы: "
                                 f"{', '.join(_SPEC_KEYS)}.")
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip() or name in names:
            raise ParameterError(f"{source}: у «{where}» нужно уникальное название (name), не «{MAIN_NAME}»; "
                                 f"получено {name!r}.")
        names.add(name)
        for key in ("formula", "family", "weights"):
            if key in spec and not isinstance(spec[key], str):
                raise ParameterError(f"{source}: «{where}.{key}» должен быть строкой, получено {spec[key]!r}.")
        try:
            for key, allowed in (("family", FAMILIES), ("weights", ("none", "participants"))):
                if key in spec and spec[key] not in allowed:
                    raise ParameterError(f"параметр «{where}.{key}» = {spec[key]!r}; допустимо: {', '.join(allowed)}.")
            if "formula" in spec:
                formula_info(spec["formula"], f"{where}.formula")
            # A combination that does not apply (a transformed outcome with a GLM family, a
            # family not for the chosen index) only drops the specification from
            # robustness.csv, with a note in model.txt.
        except ParameterError as exc:
            raise ParameterError(f"{source}: {exc}") from None


def load_params(
    municipality: str | None = None,
    path: str | Path | None = None,
    parameters_dir: str | Path | None = None,
    overrides: dict | None = None,
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
    overrides : dict, optional
        Keys to change, nested as in the files (``{"model": {"family": "ols"}}``), applied
        last and checked exactly like a file's (unknown keys, types, choices).

    Returns
    -------
    dict
        The merged, validated parameters; ``params["_sources"]`` lists the files used.
    """
    pdir = Path(parameters_dir) if parameters_dir else default_parameters_dir()
    default_path = pdir / "default.yml"
    params = _read_yaml(default_path)
    sources = [str(default_path)]
    files = []
    if municipality:
        mpath = pdir / f"{municipality}.yml"
        if mpath.exists():
            files.append(mpath)
    if path:
        files.append(Path(path))
    for opath in files:
        params = _merge(params, _read_yaml(opath), opath)
        sources.append(str(opath))
    if overrides:
        if not isinstance(overrides, dict):
            raise ParameterError("overrides: ожидается словарь «ключ: значение», как в файле параметров.")
        params = _merge(params, copy.deepcopy(overrides), "overrides")
        sources.append("overrides")
    validate_params(params, ", ".join(sources))
    params["_sources"] = sources
    return params


def params_digest(params: dict) -> str:
    """A short SHA-256 of the effective parameters (sources excluded), for reports."""
    clean = {k: v for k, v in params.items() if not k.startswith("_")}
    blob = json.dumps(clean, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]
