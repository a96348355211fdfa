"""The indicator catalogue of monitoring (Методика §8, docs/methodology/monitoring.md): load, validate, compute.

The catalogue is data (``parameters/indicators.yml``): each indicator names a
numerator and a denominator (fields of the ``monitoring`` file, ``schools`` or a
status) or a yes/no answer. Facts are pooled over the population's schools,
``Σ numerator / Σ denominator × 100`` (seed 001, 1.2.1–1.2.5); yes/no items score
1/0 (seed 001, 1.2.6). Targets (baseline, plan) come from the parameters; over
several years each indicator gets a level 1–3 of its dynamics (seed 004,
«Критерии оценки»). Teacher diagnostics levels A–D (seed 000, p. 24) are summarised
by :func:`diagnostics_summary`.

    from shnor_lib.analysis.indicators import load_catalogue, season_indicators
    table = season_indicators(data, [res_2023, res_2024])
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from ..config.params import parameter_file
from ..contract.schema import CONTRACT, normalize_label
from ..errors import ParameterError

if TYPE_CHECKING:  # for annotations only: the pipeline builds on analysis/
    from ..pipeline.season import Dataset

__all__ = [
    "Indicator", "Catalogue", "POPULATIONS", "DIAG_LEVELS", "DYNAMICS_LABELS", "load_catalogue",
    "parse_catalogue", "compute_indicators", "append_indicators", "dynamics_level", "diagnostics_summary", "season_indicators",
]

POPULATIONS = {"all": "все ОО", "shnor": "ШНОР", "shnsu": "ШНСУ", "shnor_shnsu": "ШНОР и ШНСУ",
               "risk_zone": "зона риска"}
STATUSES = {"shnor", "shnsu", "shnor_or_shnsu", "risk_zone"}
LEVELS = {"school", "municipal"}
UNITS = {"%", "балл"}
DIRECTIONS = {"higher_better", "lower_better"}
DIAG_LEVELS = {  # seed 000, p. 24 («шкалирование»)
    "A": ("diag_level_a", "системные дефициты, требующие устранения"),
    "B": ("diag_level_b", "локальные дефициты, рекомендуемые к устранению"),
    "C": ("diag_level_c", "несущественные (скрытые) дефициты, восполняемые по желанию педагога"),
    "D": ("diag_level_d", "дефициты отсутствуют"),
}
DYNAMICS_LABELS = {  # seed 004, «Критерии оценки»
    1: "1 — отрицательная динамика или её отсутствие",
    2: "2 — положительная стабильная динамика",
    3: "3 — ярко выраженная положительная динамика",
}
RESULT_COLUMNS = ["year", "code", "name", "level", "population", "unit", "direction", "fact", "numerator",
                  "denominator", "plan", "baseline", "plan_met", "dynamics_level", "dynamics_label", "source",
                  "note"]

_REQUIRED = ("code", "name", "level", "population", "unit", "direction", "source")
_ALLOWED = set(_REQUIRED) | {"numerator", "denominator", "yes_no", "note"}
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_YES = {"да", "yes", "true", "1", "есть", "+"}
_NO = {"нет", "no", "false", "0", "-"}


@dataclass(frozen=True)
class Indicator:
    """One indicator of the catalogue; see the comments of ``parameters/indicators.yml``."""

    code: str
    name: str
    level: str
    population: str
    unit: str
    direction: str
    source: str
    numerator: Any = None
    denominator: Any = None
    yes_no: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue: indicators in file order and the extra monitoring fields it declares."""

    indicators: tuple[Indicator, ...]
    fields: dict[str, str] = field(default_factory=dict)
    source: str = "каталог показателей"

    def __iter__(self):
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    @property
    def codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    def to_frame(self) -> pd.DataFrame:
        """The catalogue as a table (for the report's «Показатели мониторинга» section)."""
        return pd.DataFrame([vars(i) for i in self.indicators])


# ---------------------------------------------------------------- loading and validation

def _monitoring_fields() -> dict[str, str]:
    """Declared fields of the ``monitoring`` file: name → kind."""
    return {c.name: c.kind for c in CONTRACT["monitoring"].columns if c.name != "school_id"}


def _check_term(term: Any, fields: dict[str, str], role: str) -> list[str]:
    """Problems with one numerator/denominator term (empty when valid)."""
    if isinstance(term, dict):
        if set(term) != {"at_least", "of"}:
            return [f"{role}: составное слагаемое задаётся ровно ключами at_least и of, получено {sorted(term)}."]
        of, k = term["of"], term["at_least"]
        if not isinstance(of, list) or not of:
            return [f"{role}: of должен быть непустым списком полей."]
        problems = [f"{role}: неизвестное поле мониторинга «{f}»." for f in of if f not in fields]
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= len(of):
            problems.append(f"{role}: at_least должен быть целым числом от 1 до {len(of)}.")
        return problems
    if not isinstance(term, str):
        return [f"{role}: ожидается имя поля, schools, status:… или {{at_least, of}}, получено {term!r}."]
    if term == "schools" or term in fields:
        return []
    if term.startswith("status:"):
        if term[7:] in STATUSES:
            return []
        return [f"{role}: неизвестный статус «{term}»; допустимо: "
                + ", ".join(f"status:{s}" for s in sorted(STATUSES)) + "."]
    return [f"{role}: неизвестное поле мониторинга «{term}» (нет в контракте файла monitoring и в блоке fields)."]


def _check_indicator(raw: Any, pos: int, fields: dict[str, str]) -> tuple[str, list[str]]:
    """The indicator's display name and its problems."""
    if not isinstance(raw, dict):
        return f"№ {pos}", ["ожидается блок «ключ: значение»."]
    who = str(raw.get("code") or f"№ {pos}")
    problems = [f"неизвестный ключ «{k}»; допустимые ключи: {', '.join(sorted(_ALLOWED))}."
                for k in raw if k not in _ALLOWED]
    problems += [f"не задан обязательный ключ «{k}»." for k in _REQUIRED if raw.get(k) in (None, "")]
    choices = {"level": LEVELS, "population": set(POPULATIONS), "unit": UNITS, "direction": DIRECTIONS}
    for key, allowed in choices.items():
        if raw.get(key) not in (None, "") and raw[key] not in allowed:
            problems.append(f"{key} = {raw[key]!r}; допустимо: {', '.join(sorted(allowed))}.")
    if raw.get("code") and not _CODE.match(str(raw["code"])):
        problems.append("code должен состоять из латинских букв, цифр и «_» и начинаться с буквы.")
    ratio = "numerator" in raw or "denominator" in raw
    if ratio == ("yes_no" in raw):
        problems.append("задайте либо numerator и denominator (доля), либо yes_no (да/нет).")
    elif ratio:
        for role in ("numerator", "denominator"):
            if role not in raw:
                problems.append(f"не задан ключ «{role}».")
            else:
                problems += _check_term(raw[role], fields, role)
        if raw.get("unit") not in (None, "%"):
            problems.append("у доли unit должен быть «%».")
    elif not isinstance(raw["yes_no"], str) or not raw["yes_no"]:
        problems.append("yes_no: ожидается имя поля «да/нет» или ключ ответа муниципалитета.")
    else:
        if raw.get("level") == "school" and fields.get(raw["yes_no"]) not in ("yesno", "declared"):
            problems.append(f"yes_no: «{raw['yes_no']}» не является полем «да/нет» файла monitoring.")
        if raw.get("unit") not in (None, "балл"):
            problems.append("у показателя да/нет unit должен быть «балл».")
    return who, problems


def parse_catalogue(data: Any, source: str = "каталог показателей") -> Catalogue:
    """Validate a catalogue read from YAML and build it.

    Every problem of every indicator is collected before raising, each naming the
    indicator's code.

    Parameters
    ----------
    data : dict
        ``{"fields": {name: label}, "indicators": [{...}, ...]}``.
    source : str
        The file name shown in messages.

    Returns
    -------
    Catalogue

    Raises
    ------
    ParameterError
        Unknown keys, missing keys, unknown monitoring fields or statuses, wrong choices,
        duplicate codes.
    """
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise ParameterError(f"{source}: ожидается список «indicators:» с показателями.")
    problems = [f"{source}: неизвестный ключ верхнего уровня «{k}»; допустимые: fields, indicators."
                for k in data if k not in ("fields", "indicators")]
    extra = data.get("fields") or {}
    if not isinstance(extra, dict):
        problems.append(f"{source}: fields должен быть словарём «имя поля: заголовок столбца».")
        extra = {}
    # A declared field may hold counts or да/нет: its kind is known only from the data.
    fields = {**{str(k): "declared" for k in extra}, **_monitoring_fields()}
    seen: set[str] = set()
    for pos, raw in enumerate(data["indicators"], start=1):
        who, own = _check_indicator(raw, pos, fields)
        if isinstance(raw, dict) and raw.get("code") in seen:
            own.append("code повторяется: коды показателей должны быть уникальны.")
        seen.add(who)
        problems += [f"{source}: показатель «{who}»: {p}" for p in own]
    if problems:
        raise ParameterError(f"Ошибки в каталоге показателей ({len(problems)}):\n  • " + "\n  • ".join(problems))
    indicators = tuple(Indicator(**{k: (str(v) if k in _REQUIRED else v) for k, v in raw.items()})
                       for raw in data["indicators"])
    return Catalogue(indicators, {str(k): str(v) for k, v in extra.items()}, source)


def load_catalogue(path: str | Path | None = None, params: dict | None = None) -> Catalogue:
    """Read and validate the indicator catalogue.

    Parameters
    ----------
    path : path, optional
        The YAML file; by default ``params["monitoring"]["catalogue"]`` (``indicators.yml``),
        a relative name being looked up beside ``default.yml``.
    params : dict, optional
        From :func:`shnor_lib.config.params.load_params`.

    Returns
    -------
    Catalogue
    """
    if path is None:
        path = ((params or {}).get("monitoring") or {}).get("catalogue") or "indicators.yml"
    path = Path(path)
    if not path.is_absolute() and not path.exists():
        path = parameter_file(params or {}, path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"Каталог показателей не найден: {path}") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"Каталог показателей {path} не читается как YAML: {exc}") from None
    return parse_catalogue(data, str(path))


# ---------------------------------------------------------------- targets and answers

def _yes_no(value: Any, where: str) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return np.nan
    if isinstance(value, bool) or value in (0, 1):
        return float(value)
    key = normalize_label(str(value))
    if key in _YES:
        return 1.0
    if key in _NO:
        return 0.0
    raise ParameterError(f"{where}: значение {value!r} — ожидается «да» или «нет».")


def _answer(answers: dict, key: str, year: int | None) -> float:
    """The municipality's answer for ``key`` (scalar, or per year as ``{2024: да}``)."""
    value = answers.get(key)
    where = f"monitoring.municipal_answers.{key}"
    if isinstance(value, dict):
        try:
            by_year = {int(k): v for k, v in value.items()}
        except (TypeError, ValueError):
            raise ParameterError(f"{where}: ключи ответов по годам — годы, например 2024: да.") from None
        return _yes_no(by_year.get(int(year)) if year is not None else None, f"{where}.{year}")
    return _yes_no(value, where)


def _targets(params: dict, catalogue: Catalogue) -> dict[str, dict]:
    """code → {baseline, plan}; ``monitoring.indicator_targets`` wins over the older ``targets``."""
    codes = set(catalogue.codes)
    own = (params.get("monitoring") or {}).get("indicator_targets") or {}
    problems = []
    for code, t in own.items():
        if code not in codes:
            problems.append(f"monitoring.indicator_targets: показателя «{code}» нет в каталоге.")
        elif not isinstance(t, dict) or set(t) - {"baseline", "plan"}:
            problems.append(f"monitoring.indicator_targets.{code}: допустимы только ключи baseline и plan.")
        elif any(v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))) for v in t.values()):
            problems.append(f"monitoring.indicator_targets.{code}: baseline и plan — числа.")
    answers = (params.get("monitoring") or {}).get("municipal_answers") or {}
    keys = {i.yes_no for i in catalogue if i.yes_no and i.level == "municipal"}
    problems += [f"monitoring.municipal_answers: ключ «{k}» не используется ни одним показателем каталога."
                 for k in answers if k not in keys]
    if problems:
        raise ParameterError("Ошибки в целевых значениях показателей:\n  • " + "\n  • ".join(problems))
    legacy = {c: t for c, t in (params.get("targets") or {}).items() if c in codes and isinstance(t, dict)}
    return {**legacy, **own}


def _plan_met(fact: float, plan: float | None, direction: str) -> Any:
    if plan is None or pd.isna(plan) or pd.isna(fact):
        return np.nan
    eps = 1e-9  # a fact equal to the plan meets it despite floating-point noise
    return bool(fact >= plan - eps) if direction == "higher_better" else bool(fact <= plan + eps)


# ---------------------------------------------------------------- computation

def _as_number(values: pd.Series) -> pd.Series:
    """Numbers from a monitoring column: counts as they are, «да»/«нет» as 1/0."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)

    def one(v):
        if pd.isna(v) or str(v).strip() == "":
            return np.nan
        key = normalize_label(str(v))
        if key in _YES or key in _NO:
            return 1.0 if key in _YES else 0.0
        try:
            return float(str(v).replace(",", ".").replace(" ", ""))
        except ValueError:
            return np.nan
    return values.map(one).astype(float)


def _flag(statuses: pd.DataFrame, name: str) -> pd.Series:
    if name not in statuses.columns:
        return pd.Series(False, index=statuses.index)
    return statuses[name].astype(object).fillna(False).astype(bool)


def _masks(statuses: pd.DataFrame) -> dict[str, pd.Series]:
    shnor, shnsu, risk = (_flag(statuses, c) for c in ("shnor", "shnsu", "risk_zone"))
    # Зона риска as a status (Методика §3.4, docs/methodology/rules.md): a ШНОР/ШНСУ school with risk results stays in ШНОР ∪ ШНСУ.
    return {"all": pd.Series(True, index=statuses.index), "shnor": shnor, "shnsu": shnsu,
            "shnor_shnsu": shnor | shnsu, "shnor_or_shnsu": shnor | shnsu, "risk_zone": risk & ~(shnor | shnsu)}


def _school_frame(statuses: pd.DataFrame, monitoring: pd.DataFrame | None, catalogue: Catalogue) -> pd.DataFrame:
    """Statuses of the season's schools with their monitoring fields as numbers."""
    frame = statuses[["school_id"]].copy()
    for flag in ("shnor", "shnsu", "risk_zone"):
        frame[flag] = _flag(statuses, flag)
    frame["school_id"] = frame["school_id"].astype(str)
    if monitoring is None or not len(monitoring):
        return frame.reset_index(drop=True)
    # Columns gathered in a dict and framed once: setting them one by one on a copy cost more
    # than the indicators themselves.
    source = {c: monitoring[c] for c in monitoring.columns}
    by_label = {normalize_label(c): c for c in monitoring.columns}
    for name, label in catalogue.fields.items():
        if name not in source and normalize_label(label) in by_label:
            source[name] = monitoring[by_label[normalize_label(label)]]
    ids = monitoring["school_id"].astype(str)
    first = ~ids.duplicated().to_numpy()
    wanted = [c for c in [*_monitoring_fields(), *catalogue.fields] if c in source]
    mon = pd.DataFrame({"school_id": ids[first], **{c: _as_number(source[c][first]) for c in wanted}})
    return frame.merge(mon, on="school_id", how="left").reset_index(drop=True)


def _term(frame: pd.DataFrame, term: Any, masks: dict[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """Per-school values of a numerator/denominator term (an array aligned with ``frame``) and the
    fields missing from the data."""
    n = len(frame)
    if isinstance(term, dict):
        missing = [f for f in term["of"] if f not in frame.columns]
        if missing:
            return np.full(n, np.nan), missing
        cols = frame[term["of"]].to_numpy(dtype=float)
        hits = ((cols > 0).sum(axis=1) >= term["at_least"]).astype(float)
        hits[np.isnan(cols).any(axis=1)] = np.nan
        return hits, []
    if term == "schools":
        return np.ones(n), []
    if term.startswith("status:"):
        return masks[term[7:]].astype(float), []
    if term not in frame.columns:
        return np.full(n, np.nan), [term]
    return frame[term].to_numpy(dtype=float), []


def _compute_one(ind: Indicator, frame: pd.DataFrame, masks: dict[str, np.ndarray], answers: dict,
                 year: int | None) -> dict:
    """One indicator of one season; ``masks`` are the populations of ``frame`` (:func:`_masks`)."""
    row = {"year": year, "fact": np.nan, "numerator": np.nan, "denominator": np.nan, "note": ind.note}
    notes = [ind.note] if ind.note else []
    if ind.yes_no and ind.level == "municipal":
        row["fact"] = _answer(answers, ind.yes_no, year)
        if pd.isna(row["fact"]):
            notes.append(f"нет ответа муниципалитета (monitoring.municipal_answers.{ind.yes_no})")
        return {**row, "note": "; ".join(notes)}
    pop = masks[ind.population]
    if ind.yes_no:
        num, missing = _term(frame, ind.yes_no, masks)
        den = np.ones(len(frame))
    else:
        num, miss_n = _term(frame, ind.numerator, masks)
        den, miss_d = _term(frame, ind.denominator, masks)
        missing = sorted(set(miss_n + miss_d))
    if missing:
        notes.append("в файле monitoring нет полей: " + ", ".join(missing))
        return {**row, "note": "; ".join(notes)}
    known = pop & ~np.isnan(num) & ~np.isnan(den)
    left_out = int((pop & ~known).sum())
    if left_out:
        notes.append(f"без данных мониторинга: {left_out} ОО совокупности не учтены")
    n, d = float(num[known].sum()), float(den[known].sum())
    row.update(numerator=n, denominator=d)
    if not known.any():
        notes.append(f"в совокупности «{POPULATIONS[ind.population]}» нет школ с данными")
    elif ind.yes_no:
        row["fact"] = 1.0 if n == d else 0.0  # 1 балл only when every school of the population says «да»
    elif d > 0:
        row["fact"] = n / d * 100
    else:
        notes.append("знаменатель равен 0")
    return {**row, "note": "; ".join(notes)}


def dynamics_level(values: Iterable[float], *, direction: str, unit: str = "%",
                   strong_change_pp: float = 10.0) -> float:
    """Level 1–3 of an indicator's dynamics over the years (seed 004, «Критерии оценки»).

    With ``d`` the change from the first to the last known year, signed so that an
    improvement is positive:

    * **3** — ``d ≥ strong_change_pp`` percentage points and no year of decline
      («ярко выраженная положительная динамика на протяжении нескольких лет»);
      a yes/no indicator (балл) never reaches 3;
    * **2** — ``d > 0`` and no year of decline, or the value held at its best bound
      every year (100 % / 0 % / 1 балл) — a result that cannot improve is stable;
    * **1** — otherwise: a decline, no change, or a rise broken by a year of decline.

    Parameters
    ----------
    values : iterable of float
        The facts in year order; missing years (NaN) are skipped.
    direction : {"higher_better", "lower_better"}
    unit : {"%", "балл"}
    strong_change_pp : float
        Parameter ``monitoring.strong_change_pp``.

    Returns
    -------
    float
        1, 2 or 3; NaN with fewer than two known years.
    """
    v = np.array([x for x in values if not pd.isna(x)], dtype=float)
    if len(v) < 2:
        return np.nan
    sign = 1.0 if direction == "higher_better" else -1.0
    steps = sign * np.diff(v)
    total = sign * (v[-1] - v[0])
    best = (100.0 if unit == "%" else 1.0) if sign > 0 else 0.0
    no_decline = bool((steps >= -1e-9).all())
    if no_decline and unit == "%" and total >= strong_change_pp - 1e-9:
        return 3.0
    if no_decline and (total > 1e-9 or bool(np.allclose(v, best))):
        return 2.0
    return 1.0


def compute_indicators(monitoring: pd.DataFrame | None, statuses: pd.DataFrame, catalogue: Catalogue,
                       params: dict, year: int | None = None) -> pd.DataFrame:
    """Facts, targets and dynamics of every indicator of the catalogue.

    Parameters
    ----------
    monitoring : DataFrame or None
        The ``monitoring`` table (one row per school; with a ``year`` column when
        ``statuses`` has one). None or empty: only status and municipal items get facts.
    statuses : DataFrame
        ``school_id`` and the boolean flags ``shnor``, ``shnsu``, ``risk_zone`` of every
        school of the season (``SeasonResult.schools``); with ``year`` for several seasons.
    catalogue : Catalogue
        From :func:`load_catalogue`.
    params : dict
        From :func:`shnor_lib.config.params.load_params`: ``monitoring.municipal_answers``,
        ``monitoring.indicator_targets`` (and ``targets``), ``monitoring.strong_change_pp``.
    year : int, optional
        The season when ``statuses`` has no ``year`` column (picks per-year municipal answers).

    Returns
    -------
    DataFrame
        One row per indicator (× year), columns ``RESULT_COLUMNS``. ``fact`` is in % or
        балл; ``plan_met`` is True/False, NaN without a plan; ``dynamics_level`` (1–3) is
        the dynamics over the given years up to the row's year, NaN for a single year.
    """
    settings = params.get("monitoring") or {}
    answers = settings.get("municipal_answers") or {}
    targets = _targets(params, catalogue)
    strong = _strong_change(params)
    several = "year" in statuses.columns
    if several and monitoring is not None and len(monitoring) and "year" not in monitoring.columns:
        raise ValueError("statuses has a 'year' column: monitoring needs one too")
    years = sorted(int(y) for y in statuses["year"].unique()) if several else [year]
    rows = []
    for season in years:
        st = statuses[statuses["year"] == season] if several else statuses
        mon = monitoring
        if several and monitoring is not None and len(monitoring):
            mon = monitoring[monitoring["year"] == season]
        frame = _school_frame(st, mon, catalogue)
        masks = {k: v.to_numpy(dtype=bool) for k, v in _masks(frame).items()}  # once per season, not per indicator
        for ind in catalogue:
            t = targets.get(ind.code) or {}
            row = _compute_one(ind, frame, masks, answers, season)
            row.update(code=ind.code, name=ind.name, level=ind.level, population=ind.population, unit=ind.unit,
                       direction=ind.direction, source=ind.source, plan=t.get("plan"), baseline=t.get("baseline"),
                       plan_met=_plan_met(row["fact"], t.get("plan"), ind.direction))
            rows.append(row)
    out = pd.DataFrame(rows)
    out[["plan", "baseline"]] = out[["plan", "baseline"]].astype(float)
    out["plan_met"] = out["plan_met"].astype(object)
    out["dynamics_level"] = _dynamics_levels(out, strong) if len(years) > 1 else np.nan
    out["dynamics_label"] = out["dynamics_level"].map(DYNAMICS_LABELS).astype(object).fillna("")
    return out[RESULT_COLUMNS]


def append_indicators(before: pd.DataFrame, now: pd.DataFrame, params: dict) -> pd.DataFrame:
    """The indicators of earlier years (``before``, from :func:`compute_indicators`), then those of
    one later year (``now``), whose dynamics level covers all of them — the rows
    :func:`compute_indicators` gives for the years together, without computing the earlier ones again."""
    facts = before.groupby("code", sort=False)["fact"].agg(list).to_dict()
    now = now.copy()
    now["dynamics_level"] = _dynamics_levels(now, _strong_change(params), facts)
    now["dynamics_label"] = now["dynamics_level"].map(DYNAMICS_LABELS).astype(object).fillna("")
    return pd.concat([before, now], ignore_index=True)


def _strong_change(params: dict) -> float:
    return float((params.get("monitoring") or {}).get("strong_change_pp", 10.0))


def _dynamics_levels(rows: pd.DataFrame, strong: float, earlier: dict | None = None) -> list[float]:
    """Each row's dynamics level over its indicator's ``earlier`` facts and its rows up to this one
    (rows in year order)."""
    seen = {code: list(v) for code, v in (earlier or {}).items()}
    levels = []
    for code, fact, direction, unit in zip(rows["code"], rows["fact"], rows["direction"], rows["unit"], strict=True):
        seen.setdefault(code, []).append(fact)
        levels.append(dynamics_level(seen[code], direction=direction, unit=unit, strong_change_pp=strong))
    return levels


def diagnostics_summary(monitoring: pd.DataFrame | None, statuses: pd.DataFrame,
                        population: str = "shnor_shnsu") -> pd.DataFrame:
    """Teachers by diagnostics level A–D (seed 000, p. 24) in a population of schools.

    Parameters
    ----------
    monitoring : DataFrame or None
        With the fields ``diag_level_a`` … ``diag_level_d`` (and ``year`` for several seasons).
    statuses : DataFrame
        As in :func:`compute_indicators`.
    population : str
        A key of ``POPULATIONS``.

    Returns
    -------
    DataFrame
        ``year, level, label, teachers, share`` — the count of teachers at each level and
        its share (%) of the teachers with a level; empty when the fields are absent.
    """
    columns = ["year", "level", "label", "teachers", "share"]
    if population not in POPULATIONS:
        raise ValueError(f"population must be one of {sorted(POPULATIONS)}")
    fields = [f for f, _ in DIAG_LEVELS.values()]
    if monitoring is None or not any(f in monitoring.columns for f in fields):
        return pd.DataFrame(columns=columns)
    several = "year" in statuses.columns
    rows = []
    for year in sorted(statuses["year"].unique()) if several else [None]:
        st = statuses[statuses["year"] == year] if several else statuses
        mon = monitoring[monitoring["year"] == year] if several else monitoring
        frame = _school_frame(st, mon, Catalogue(()))
        chosen = frame[_masks(frame)[population]]
        counts = {lv: float(chosen[f].sum()) if f in chosen.columns else np.nan
                  for lv, (f, _) in DIAG_LEVELS.items()}
        total = np.nansum(list(counts.values()))
        for lv, (_, label) in DIAG_LEVELS.items():
            share = counts[lv] / total * 100 if total > 0 else np.nan
            rows.append({"year": None if year is None else int(year), "level": lv, "label": label,
                         "teachers": counts[lv], "share": share})
    return pd.DataFrame(rows, columns=columns)


def season_indicators(data: Dataset, results: Sequence | Any, params: dict | None = None,
                      catalogue: Catalogue | None = None) -> pd.DataFrame:
    """:func:`compute_indicators` for computed seasons of one municipality.

    Parameters
    ----------
    data : Dataset
        From :func:`shnor_lib.load_dataset` (its ``monitoring`` tables are used).
    results : SeasonResult or sequence of SeasonResult
        From :func:`shnor_lib.compute_season`; several give the dynamics levels.
    params : dict, optional
        Defaults to the parameters of the last result.
    catalogue : Catalogue, optional
        Defaults to the catalogue named in the parameters.

    Returns
    -------
    DataFrame
        As :func:`compute_indicators`.
    """
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    results = sorted(results, key=lambda r: r.year)
    params = params or results[-1].params
    catalogue = catalogue or load_catalogue(params=params)
    municipality = results[-1].municipality
    statuses = pd.concat([r.schools.assign(year=r.year) for r in results], ignore_index=True)
    frames = [data.seasons[(municipality, r.year)].tables["monitoring"].assign(year=r.year)
              for r in results if data.seasons[(municipality, r.year)].has("monitoring")]
    monitoring = pd.concat(frames, ignore_index=True) if frames else None
    return compute_indicators(monitoring, statuses, catalogue, params)
