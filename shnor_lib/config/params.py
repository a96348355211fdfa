"""Parameters: defaults from ``parameters/default.yml``, municipal overrides, validation.

Every threshold, weight and grouping of the methodology is a parameter. The defaults ship
with the package (its ``parameters/default.yml``); a project's ``parameters/`` folder beside
its data root holds overrides: ``<municipality>.yml`` (and, optionally, a ``default.yml`` of
the project's own defaults). A key the defaults do not know, or a value of the wrong type,
is an error that names the file and the key.

Values are read as a person means them, like the data: procedures, subjects and grades go
through ``parameters/vocabulary.yml`` (``[Русский язык, Математика]``, ``[впр, огэ]``,
``["5"]``), statuses through the four statuses of the rules, shares may be written
``0,25``, ``25%`` or ``0.25``; a nested override (one ИСБШ weight) merges with the defaults.
Anything that cannot be read as meant is refused with the file, the key and the nearest
known names.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from ..analysis.indices import ISBSH_INPUTS
from ..analysis.model_frame import formula_info
from ..analysis.models import FAMILIES, MAIN_NAME, check_specification, specification
from ..contract.schema import CONTRACT
from ..contract.vocabulary import VOCABULARY_FILE, load_vocabulary, normalize_term
from ..errors import ParameterError
from .folders import DEFAULTS_FILE, PROJECT_DIR, default_parameters_dir, parameter_file, project_parameters_dir

__all__ = ["PROJECT_DIR", "STATUSES", "default_parameters_dir", "project_parameters_dir", "parameter_file",
           "load_params", "load_project_params", "validate_params", "params_digest", "differences_from_defaults", "value_text"]


# Mappings whose keys the user chooses (new keys allowed). An entry the defaults already have
# merges with its default (override one target's plan); ``key: null`` removes a default entry.
_FREE_MAPPINGS = {"targets", "monitoring.municipal_answers", "monitoring.indicator_targets"}

# Mappings that are one scheme as a whole: an override replaces the defaults' entries (a
# municipality's own grouping of risk factors is not added to the seed's groups).
_REPLACED_MAPPINGS = {"risk.groups"}

# Mappings keyed by input columns of an index: they merge with the defaults, and a key that is
# not one of the index's inputs is refused with the list of those that are.
_COLUMN_MAPPINGS = {"isbsh.weights": "isbsh", "isbsh.fixed": "isbsh", "iursh.weights": "iursh",
                    "iursh.fixed": "iursh", "isbsh.presets.sverdlovsk": "isbsh", "isbsh.presets.krasnodar": "isbsh"}

# The statuses of the rules (shnor_lib.analysis.rules.status_of), as the status lists name them.
STATUSES = ("ШНОР+ШНСУ", "ШНОР", "ШНСУ", "зона риска")

_CHOICES = {
    "subject_mode": {"any", "all"},
    "subject_levels": {"pooled", "separate"},
    "isbsh.method": {"weights", "regression"},
    "isbsh.preset": {"own", "sverdlovsk", "krasnodar"},
    "isbsh.reference": {"municipality", "all", "fixed"},
    "iursh.reference": {"municipality", "all", "fixed"},
    "quality.index": {"oge_base", "vpr_base", "quality_share", "mean_mark"},
    "quality.reference": {"municipality", "all", "fixed"},
    "model.weights": {"none", "participants"},
    "model.family": {"fractional_logit", "binomial_counts", "ols"},
    "model.multiple_testing": {"bh", "none"},
    "model.mixed": {"auto", "always", "never"},
    "objectivity.inflated_metric": {"mean_mark", "quality_share"},
    "objectivity.inflated_reference": {"gia", "other"},
    "shnor_rule.procedure_unit": {"kind", "work"},
    "shnor_rule.branches": {"or", "and"},
}

# Shares between 0 and 1: written 0.25, 0,25 or 25%.
_SHARES = ["shnor_threshold", "risk_threshold", "confidence_level", "objectivity.jump_confidence",
           "objectivity.cohort_jump_alpha",
           "objectivity.mismatch_raised", "objectivity.mismatch_confirmed", "model.alpha",
           "shnsu_rule.isbsh_quantile", "leaders.fail_quantile", "dynamics.alpha", "model.fdr"]
# Numbers in percent units (targets, «Доля ШНОР и ШНСУ», %): 10, 10,5 or 10% all mean ten per cent.
_PERCENT_NUMBERS = ["targets.*.baseline", "targets.*.plan", "monitoring.indicator_targets.*.baseline",
                    "monitoring.indicator_targets.*.plan"]
_PROCEDURE_LISTS = ["procedures", "clustering.procedures"]
_SUBJECT_LISTS = ["subjects", "objectivity.vpr_gia_subjects"]
_GRADE_LISTS = {"vpr_grades": "ВПР"}
_STATUS_LISTS = ["risk.recommend_for", "leaders.partner_statuses"]


@functools.lru_cache(maxsize=64)
def _parse_yaml(text: str):
    # Keyed by the text, so an edited file is parsed again; a country run reads the same
    # default.yml for each of its thousands of municipalities.
    return yaml.safe_load(text)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ParameterError(f"Файл параметров не найден: {path}") from None
    except IsADirectoryError:
        raise ParameterError(f"Файл параметров {path} — это папка, а не файл YAML.") from None
    except OSError as exc:
        raise ParameterError(f"Файл параметров {path} не читается: {exc.strerror or exc}.") from None
    try:
        return raw.decode("utf-8-sig")  # Notepad's «UTF-8 с BOM» is UTF-8 too
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ParameterError(
            f"Файл параметров {path} не в кодировке UTF-8 (первый непонятный байт — в строке {line}; "
            "возможно, он сохранён в Windows-1251). Сохраните его в UTF-8: в Блокноте «Сохранить как» → «Кодировка: UTF-8»."
        ) from None


def _yaml_mapping(text: str, path: Path) -> dict:
    try:
        data = copy.deepcopy(_parse_yaml(text)) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"Файл параметров {path} не читается как YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParameterError(f"Файл параметров {path} должен содержать пары «ключ: значение».")
    return data


def _read_yaml(path: Path) -> dict:
    return _yaml_mapping(_read_text(path), path)


@functools.lru_cache(maxsize=8)
def _defaults(text: str, path: str) -> dict:
    # Read as meant once per text: a country run loads the same defaults for thousands of municipalities.
    return _read_defaults(_yaml_mapping(text, Path(path)), path)


def _type_ok(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default))


# ---------------------------------------------------------------- values read as meant

@functools.lru_cache(maxsize=4096)
def _in_percent_units(dotted: str) -> bool:
    return any(fnmatch.fnmatchcase(dotted, p) for p in _PERCENT_NUMBERS)


_NUMBER = re.compile(r"[-+−]?(\d+([.,]\d*)?|[.,]\d+)")


def _number_text(value: str) -> tuple[float, bool] | None:
    """``"0,25"`` → (0.25, False); ``"25 %"`` → (25.0, True); None when not a number."""
    text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    percent = text.endswith("%")
    text = text.rstrip("%")
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.replace(",", ".").replace("−", "-")), percent


def _share(dotted: str, value: Any, source: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        parsed = _number_text(value)
        if parsed is None:
            raise ParameterError(f"{source}: параметр «{dotted}» = «{value}» — не доля. "
                                 "Напишите долю: 0,25, 0.25 или 25%.")
        value = parsed[0] / 100 if parsed[1] else parsed[0]
    if isinstance(value, (int, float)) and not 0 < value < 1:
        hint = f" Если это проценты, напишите {value:g}%." if 1 <= value < 100 else ""
        raise ParameterError(f"{source}: параметр «{dotted}» = {value:g} должен быть долей между 0 и 1 "
                             f"(например 0,25 или 25%).{hint}")
    return value


def _plain_number(dotted: str, value: Any, source: Any, percent_units: bool) -> Any:
    if not isinstance(value, str):
        return value
    parsed = _number_text(value)
    if parsed is None:
        return value  # not a number: the type check names it
    if parsed[1] and not percent_units:
        raise ParameterError(f"{source}: параметр «{dotted}» = «{value}»: это число, а не доля, и знак % здесь "
                             "неоднозначен. Напишите число без знака %.")
    number = parsed[0]
    return int(number) if number.is_integer() and "." not in value and "," not in value else number


def _items(dotted: str, value: Any, source: Any) -> list:
    """A list as written; one value, or several separated by commas in one string, become a list."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    raise ParameterError(f"{source}: параметр «{dotted}» должен быть списком, например [ВПР, ОГЭ].")


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


def _vocabulary_list(kind: str, dotted: str, value: Any, source: Any) -> list[str]:
    vocab = load_vocabulary()
    lookup = vocab.procedure if kind == "procedure" else vocab.subject
    out, bad = [], []
    for item in _items(dotted, value, source):
        name = lookup(item) if isinstance(item, str) else None
        if name is None:
            bad.append(vocab.explain(kind, item))
        else:
            out.append(name)
    if bad:
        known = (f" Известные процедуры: {', '.join(vocab.names('procedure'))}." if kind == "procedure" else "")
        raise ParameterError(f"{source}: параметр «{dotted}»: " + " ".join(bad)
                             + known + " Исправьте написание; если это верное название, добавьте его в "
                             f"parameters/{VOCABULARY_FILE}.")
    return _unique(out)


_GRADE = re.compile(r"(\d{1,2})\s*(класс|кл\.?)?", re.IGNORECASE)


def _grade_list(procedure: str, dotted: str, value: Any, source: Any) -> list[int]:
    held = load_vocabulary().grades(procedure)
    out = []
    for item in _items(dotted, value, source):
        match = _GRADE.fullmatch(item.strip()) if isinstance(item, str) else None
        if isinstance(item, int) and not isinstance(item, bool):
            grade = item
        elif isinstance(item, float) and item.is_integer():
            grade = int(item)
        elif match:
            grade = int(match.group(1))
        else:
            raise ParameterError(f"{source}: параметр «{dotted}»: «{item}» — не номер класса. "
                                 "Напишите классы числами, например [5, 6, 7, 8].")
        if grade not in held:
            raise ParameterError(f"{source}: параметр «{dotted}»: {procedure} не проводится в {grade} классе; "
                                 f"по словарю parameters/{VOCABULARY_FILE} — в классах "
                                 f"{', '.join(map(str, held))}.")
        out.append(grade)
    return _unique(out)


def _status_key(text: object) -> str:
    key = re.sub(r"\s*(?:\+|&|\bи\b)\s*", "+", normalize_term(text))
    return key.replace(" ", "")


_STATUS_INDEX = {**{_status_key(s): s for s in STATUSES}, "шнсу+шнор": "ШНОР+ШНСУ"}


def _status_list(dotted: str, value: Any, source: Any) -> list[str]:
    out = []
    for item in _items(dotted, value, source):
        status = _STATUS_INDEX.get(_status_key(item))
        if status is None:
            near = difflib.get_close_matches(_status_key(item), list(_STATUS_INDEX), n=2, cutoff=0.5)
            guess = (" Возможно, имелось в виду: " + ", ".join(f"«{_STATUS_INDEX[k]}»" for k in near) + "."
                     if near else "")
            raise ParameterError(f"{source}: параметр «{dotted}»: статус «{item}» неизвестен.{guess} "
                                 f"Статусы: {', '.join(STATUSES)}.")
        out.append(status)
    return _unique(out)


def _read_as_meant(dotted: str, value: Any, source: Any, default: Any = None) -> Any:
    """``value`` of the parameter ``dotted`` as the person who wrote it means it (or an error)."""
    if dotted in _SHARES:
        return _share(dotted, value, source)
    if value is None:
        return value
    if dotted in _PROCEDURE_LISTS:
        return _vocabulary_list("procedure", dotted, value, source)
    if dotted in _SUBJECT_LISTS:
        return _vocabulary_list("subject", dotted, value, source)
    if dotted in _GRADE_LISTS:
        return _grade_list(_GRADE_LISTS[dotted], dotted, value, source)
    if dotted in _STATUS_LISTS:
        return _status_list(dotted, value, source)
    percent_units = _in_percent_units(dotted)
    if percent_units or (isinstance(default, (int, float)) and not isinstance(default, bool)):
        value = _plain_number(dotted, value, source, percent_units)
        if percent_units and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ParameterError(f"{source}: параметр «{dotted}» = {value!r} должен быть числом "
                                 "(в процентах: 10, 10,5 или 10%).")
    return value


def _index_columns(index: str) -> dict[str, str]:
    """Inputs of ИСБШ / ИУРШ that weights and fixed references may name, with their Russian labels."""
    if index == "isbsh":
        labels = {c.name: c.label for c in CONTRACT["social"].columns}
        return {c: labels.get(c, c) for c in ISBSH_INPUTS}
    return {"higher_education": "доля педагогов с высшим образованием",
            "category": "доля педагогов с квалификационной категорией",
            "experience": "доля педагогов со стажем"}


def _check_column(where: str, key: Any, source: Any) -> None:
    index = _COLUMN_MAPPINGS[where]
    known = _index_columns(index)
    if where.endswith(".fixed"):
        known = {**known, "index": "сам индекс (его среднее и стандартное отклонение)"}
    if key not in known:
        listed = "; ".join(f"{k} ({v})" for k, v in known.items())
        raise ParameterError(f"{source}: в «{where}» неизвестный столбец «{key}». "
                             f"{'ИСБШ' if index == 'isbsh' else 'ИУРШ'} строится из: {listed}.")


def _check_fixed(dotted: str, value: Any, source: Any) -> None:
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) and value[1] > 0)
    if not ok:
        raise ParameterError(f"{source}: параметр «{dotted}» должен быть парой [среднее, стандартное отклонение] "
                             "с положительным отклонением, например [0.12, 0.05].")


def _merge(base: dict, override: dict, source: Path | str, prefix: str = "") -> dict:
    out = copy.deepcopy(base)
    where = prefix.rstrip(".")
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        if where in _COLUMN_MAPPINGS:
            _check_column(where, key, source)
        if (where in _FREE_MAPPINGS or where in _COLUMN_MAPPINGS) and value is None:
            out.pop(key, None)  # `key: null` removes a default entry (a target, an input of an index)
            continue
        if key not in base:
            if where in _FREE_MAPPINGS or where in _COLUMN_MAPPINGS:
                out[key] = _read_free(dotted, value, source)
                if where.endswith(".fixed"):
                    _check_fixed(dotted, out[key], source)
                continue
            known = ", ".join(sorted(map(str, base)))
            raise ParameterError(
                f"{source}: неизвестный параметр «{dotted}». Допустимые ключи на этом уровне: {known}."
            )
        default = base[key]
        if dotted in _REPLACED_MAPPINGS and isinstance(value, dict):
            out[key] = _read_free(dotted, value, source)
            continue
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ParameterError(f"{source}: параметр «{dotted}» должен быть словарём (ключ: значение).")
            out[key] = _merge(default, value, source, dotted + ".")
            continue
        value = _read_as_meant(dotted, value, source, default)
        if not _type_ok(default, value):
            raise ParameterError(
                f"{source}: параметр «{dotted}» имеет неверный тип: ожидается "
                f"{_TYPE_RU.get(type(default).__name__, type(default).__name__)}, получено {value!r}."
            )
        out[key] = value
    return out


_TYPE_RU = {"int": "целое число (int)", "float": "число (float)", "str": "текст (str)", "bool": "true или false (bool)",
            "list": "список (list)"}


def _read_free(dotted: str, value: Any, source: Any) -> Any:
    """A value under a free mapping (no default to compare with): its entries read as meant."""
    if isinstance(value, dict):
        return {k: _read_free(f"{dotted}.{k}", v, source) for k, v in value.items()}
    return _read_as_meant(dotted, value, source)


def _read_defaults(tree: dict, source: Any, prefix: str = "") -> dict:
    """The defaults' own values through the same reading (they are canonical; this keeps them so)."""
    out = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        out[key] = (_read_defaults(value, source, dotted + ".") if isinstance(value, dict)
                    else _read_as_meant(dotted, value, source, value))
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
        if value is None and dotted == "shnsu_rule.isbsh_quantile":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ParameterError(f"{source}: параметр «{dotted}» = {value!r} должен быть долей между 0 и 1.")
    if params["quality"]["reference"] == "fixed":
        _check_fixed("quality.fixed", params["quality"].get("fixed"), source)
    cuts = params["iursh"].get("group_cuts") or []
    if cuts and not (len(cuts) == 3 and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cuts)
                     and list(cuts) == sorted(cuts) and len(set(cuts)) == 3):
        raise ParameterError(f"{source}: «iursh.group_cuts» — три возрастающих числа (границы групп 1|2|3|4 ИУРШ), "
                             f"например [-0.5, 0, 0.5]; задано {cuts!r}.")
    obj = params["objectivity"]
    if not all(isinstance(k, str) and k.strip() for k in obj["inflated_exempt_kinds"] or []):
        raise ParameterError(f"{source}: «objectivity.inflated_exempt_kinds» — список слов типа ОО (как в столбце "
                             f"«Тип ОО» файла schools), например [гимназия, лицей]; [] — никого не освобождать; "
                             f"задано {obj['inflated_exempt_kinds']!r}.")
    z = obj["vpr_gia_gap"]
    if isinstance(z, bool) or not isinstance(z, (int, float)) or not z > 0:
        raise ParameterError(f"{source}: параметр «objectivity.vpr_gia_gap» = {z!r} должен быть положительным числом "
                             "(разница z-оценок ВПР и ГИА, например 2).")
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


# What the files a municipality may not be named after hold (a folder «vocabulary» would read
# parameters/vocabulary.yml as its overrides).
_RESERVED = {"default": "умолчания параметров", "vocabulary": "словарь процедур, предметов и классов",
             "indicators": "каталог показателей мониторинга", "recommendations": "таблица адресных рекомендаций"}


_SPEC_KEYS = ("name", "formula", "family", "weights")


def _validate_model(params: dict, source: str) -> None:
    """The quality model's keys: min_effect per index, winsorising, the formulas of the main
    model and of every robustness specification (parsed against the model frame's columns)."""
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

    The base is always the package's ``parameters/default.yml``. Overrides apply in this
    order: the project's ``default.yml`` (when ``parameters_dir`` is a project folder
    holding one), ``<parameters_dir>/<municipality>.yml``, then ``path``. Each override
    merges into what came before: mappings key by key, lists and values replaced.

    Parameters
    ----------
    municipality : str, optional
        When given and ``<parameters_dir>/<municipality>.yml`` exists, it overrides the defaults.
        A municipality may not be named like a catalogue of the folder (``vocabulary``,
        ``indicators``, ``recommendations``) or ``default``.
    path : path, optional
        An explicit override file (``--params``); applied after the municipality's file.
    parameters_dir : path, optional
        The folder of the municipalities' files: a project's ``parameters/`` (see
        :func:`project_parameters_dir`); the package's by default. It needs no ``default.yml``.
    overrides : dict, optional
        Keys to change, nested as in the files (``{"model": {"family": "ols"}}``), applied
        last and checked exactly like a file's (unknown keys, types, choices).

    Returns
    -------
    dict
        The merged, validated parameters; ``params["_sources"]`` lists the files used
        (the package's defaults first).
    """
    package_dir = default_parameters_dir()
    pdir = Path(parameters_dir) if parameters_dir else package_dir
    default_path = package_dir / DEFAULTS_FILE
    params = copy.deepcopy(_defaults(_read_text(default_path), str(default_path)))
    sources = [str(default_path)]
    files = []
    project_defaults = pdir / DEFAULTS_FILE
    if pdir.resolve() != package_dir.resolve() and project_defaults.is_file():
        files.append(project_defaults)
    if municipality:
        held = _RESERVED.get(str(municipality).casefold())
        if held:
            raise ParameterError(
                f"Муниципалитет не может называться «{municipality}»: файл parameters/"
                f"{str(municipality).casefold()}.yml — это {held}, а не параметры муниципалитета. "
                f"Переименуйте папку муниципалитета, например в «{municipality}_мо».")
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
    if pdir.resolve() != package_dir.resolve():
        params["_parameters_dir"] = str(pdir)
    return params


def load_project_params(data_root: str | Path, municipality: str | None = None,
                        path: str | Path | None = None) -> dict:
    """The parameters of a municipality of a data folder, as every command reads them.

    :func:`load_params` with the project's ``parameters/`` folder beside ``data_root``
    (:func:`project_parameters_dir`; the package's when there is none) and ``path`` (``--params``).
    """
    return load_params(municipality, path, project_parameters_dir(data_root))


@functools.lru_cache(maxsize=4)
def _package_defaults(text: str) -> dict:
    return {k: v for k, v in load_params().items() if not k.startswith("_")}


def _diff(base: dict, mine: dict, prefix: str, out: list) -> None:
    for k, v in mine.items():
        if str(k).startswith("_"):
            continue
        key = f"{prefix}{k}"
        if k not in base:
            out.append((key, v))  # a new entry of a free mapping: one line, whatever its size
        elif isinstance(v, dict) and isinstance(base[k], dict):
            _diff(base[k], v, key + ".", out)
        elif v != base[k]:
            out.append((key, v))
    out.extend((f"{prefix}{k}", REMOVED) for k in base if k not in mine)  # removed with `key: null`


class _Removed:
    def __repr__(self) -> str:
        return "REMOVED"


REMOVED = _Removed()  # a default entry that an override removed (`key: null`)


def differences_from_defaults(params: dict) -> list[tuple[str, Any]]:
    """Every value of ``params`` that differs from the package's defaults, as (dotted key, value).

    An entry added under a free mapping (a target, an indicator's plan) is one item with its
    whole value; a default entry removed (``key: null``) has the value :data:`REMOVED`.
    """
    text = (default_parameters_dir() / DEFAULTS_FILE).read_text(encoding="utf-8")
    out: list[tuple[str, Any]] = []
    _diff(_package_defaults(text), params, "", out)
    return out


def value_text(value: Any) -> str:
    """A parameter value as the report shows it (decimal comma, «не задано», да/нет)."""
    if value is REMOVED:
        return "удалено"
    if value is None:
        return "не задано"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(x) for x in value) + "]"
    if isinstance(value, dict):
        return "{" + "; ".join(f"{k}: {value_text(x)}" for k, x in value.items()) + "}"
    return str(value)


def params_digest(params: dict) -> str:
    """A short SHA-256 of the effective parameters (sources excluded), for reports."""
    clean = {k: v for k, v in params.items() if not k.startswith("_")}
    blob = json.dumps(clean, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]
