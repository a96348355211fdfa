"""The model frame: one row per school with every school-level column a season has.

A researcher writes a formula against this frame (``quality_index ~ isbsh + iursh +
C(territory)``, ``np.log(students_total)``, ``np.arcsin(np.sqrt(quality_index))``); patsy
parses it, and a name the frame does not hold is a :class:`~shnor_lib.errors.ParameterError`
that lists the columns one may use. :func:`build_model_frame` builds it, the season keeps
it (``SeasonResult.model_frame``, ``QualityModelResults.model_frame``) and ``shnor compute``
writes it as ``model_frame.csv``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from patsy import ModelDesc, PatsyError

from ..errors import ParameterError
from .indices import compute_quality_index

__all__ = [
    "MODEL_FRAME_COLUMNS",
    "QUALITY_OUTCOMES",
    "FormulaInfo",
    "build_model_frame",
    "formula_env",
    "formula_info",
    "index_kind",
    "index_range",
    "quality_outcomes",
    "size_column",
    "logit",
    "expit",
]

# Column → meaning (Russian, for the error message that lists them and for the docs).
MODEL_FRAME_COLUMNS: dict[str, str] = {
    "municipality": "муниципалитет",
    "year": "год",
    "school_id": "код ОО",
    "name": "наименование ОО",
    "kind": "тип ОО (СОШ, ООШ, гимназия, лицей)",
    "territory": "территория (город, село)",
    "students_total": "число обучающихся (перечень ОО, иначе социальный паспорт)",
    "both_parents_higher_ed_share": "доля обучающихся, у которых оба родителя с высшим образованием",
    "single_parent_share": "доля обучающихся из неполных семей",
    "non_native_russian_share": "доля обучающихся, для которых русский язык не родной",
    "on_register_share": "доля обучающихся на учёте (ВШУ, ПДН, КДН)",
    "unemployed_parents_share": "доля обучающихся с безработными родителями",
    "ovz_share": "доля обучающихся с ОВЗ",
    "teachers_total": "всего педагогов",
    "teachers_higher_ed_share": "доля педагогов с высшим образованием",
    "teachers_category_share": "доля педагогов с категорией (ВКК + вес·1КК)",
    "teachers_experience_share": "доля педагогов со стажем не меньше iursh.experience_years",
    "vacancies_share": "вакансии на одного педагога",
    "isbsh": "ИСБШ (z)",
    "isbsh_group": "группа ИСБШ 1–11",
    "isbsh_quartile": "квартиль ИСБШ 1–4",
    "iursh": "ИУРШ (z)",
    "iursh_group": "группа ИУРШ 1–4",
    "quality_index": "индекс качества (quality.index)",
    "quality_n": "число участников за индексом качества",
    "quality_successes": "число успешных участников (индекс × участники; для долей)",
    "quality_group": "группа качества 1–11",
    "oge_base": "доля достигших базового уровня ОГЭ",
    "oge_base_n": "участников ОГЭ",
    "vpr_base": "доля достигших базового уровня ВПР",
    "vpr_base_n": "участников ВПР",
    "quality_share": "качество знаний ОГЭ (доля «4» и «5»)",
    "quality_share_n": "участников ОГЭ",
    "mean_mark": "средняя отметка ОГЭ (2–5)",
    "mean_mark_n": "участников ОГЭ",
    "indices_source": "откуда индексы: рассчитано или файл indices",
}

# Outcomes a quality model may have: the chosen index and each index by name.
QUALITY_OUTCOMES = ("quality_index", "oge_base", "vpr_base", "quality_share", "mean_mark")

_SOCIAL = {"both_parents_higher_ed": "both_parents_higher_ed_share", "single_parent": "single_parent_share",
           "non_native_russian": "non_native_russian_share", "on_register": "on_register_share",
           "unemployed_parents": "unemployed_parents_share", "ovz": "ovz_share"}
_TEXT = ("municipality", "school_id", "name", "kind", "territory", "indices_source")


def logit(p: ArrayLike, eps: float = 0.005) -> np.ndarray:
    """log(p / (1 − p)) with p clipped to [eps, 1 − eps], so a share of 0 or 1 stays finite.

    For formulas such as ``logit(quality_index) ~ isbsh`` (with ``family: ols``).
    """
    q = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return np.log(q / (1 - q))


def expit(x: ArrayLike) -> np.ndarray:
    """The inverse of :func:`logit` (without the clipping)."""
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def formula_env() -> dict:
    """Names a formula may use besides the frame's columns: ``np``, ``logit``, ``expit``."""
    return {"np": np, "logit": logit, "expit": expit}


def index_range(outcome: str, params: dict) -> tuple[float, float]:
    """The scale of a quality outcome: (2, 5) for a mean mark, (0, 1) for a share."""
    kind = params["quality"]["index"] if outcome == "quality_index" else outcome
    return (2.0, 5.0) if kind == "mean_mark" else (0.0, 1.0)


def index_kind(outcome: str, params: dict) -> str:
    """``quality.index`` vocabulary of an outcome column (``quality_index`` → the chosen index)."""
    return params["quality"]["index"] if outcome == "quality_index" else outcome


def size_column(outcome: str) -> str:
    """The frame column holding the number of participants behind ``outcome``."""
    return "quality_n" if outcome == "quality_index" else f"{outcome}_n"


@dataclass(frozen=True)
class FormulaInfo:
    """What a formula uses, read by patsy.

    Attributes
    ----------
    formula : str
    outcome : str
        The frame column of the left-hand side (``quality_index`` in ``np.log(quality_index)``).
    transformed : bool
        Whether the left-hand side is a transformation of the outcome, not the outcome itself.
    lhs : str
        The left-hand side's code as patsy reads it.
    variables : list of str
        Frame columns the formula names (outcome first), in frame order otherwise.
    """

    formula: str
    outcome: str
    transformed: bool
    lhs: str
    variables: list[str]


_PATSY_NAMES = {"I", "Q", "ContrastMatrix", "Treatment", "Poly", "Sum", "Helmert", "Diff", "C", "center",
                "standardize", "scale", "bs", "cr", "cc", "te"}


def _names(code: str) -> set[str]:
    """The bare names a factor's Python code reads (``np.log(x)`` → {np, x})."""
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _columns_text() -> str:
    return "; ".join(f"{c} — {d}" for c, d in MODEL_FRAME_COLUMNS.items())


def formula_info(formula: str, where: str = "model.formula", columns: Iterable[str] | None = None) -> FormulaInfo:
    """Parse ``formula`` with patsy and check every name against the model frame.

    Parameters
    ----------
    formula : str
        A patsy formula, e.g. ``quality_index ~ isbsh + iursh + C(territory)``.
    where : str
        The parameter that holds it, for the message.
    columns : iterable of str, optional
        Further columns a researcher's own frame holds (the model frame's are always known).

    Raises
    ------
    ParameterError
        (Russian) on a syntax error, a name that is neither a column of the model frame
        nor ``np`` / ``logit`` / ``expit`` / a patsy function (the message lists the
        columns one may use), or a left-hand side that is not one quality outcome.
    """
    if not isinstance(formula, str) or "~" not in formula:
        raise ParameterError(f"параметр «{where}» = {formula!r}: нужна формула вида «quality_index ~ isbsh + iursh».")
    try:
        desc = ModelDesc.from_formula(formula)
    except PatsyError as exc:
        raise ParameterError(f"параметр «{where}»: формула «{formula}» не разбирается ({exc.message}).") from None
    frame_columns = set(MODEL_FRAME_COLUMNS) | {str(c) for c in (columns if columns is not None else ())}
    known = frame_columns | set(formula_env()) | _PATSY_NAMES
    used: list[str] = []
    for term in desc.lhs_termlist + desc.rhs_termlist:
        for factor in term.factors:
            names = _names(factor.code)
            if not names and factor.code.strip():
                raise ParameterError(f"параметр «{where}»: слагаемое «{factor.code}» формулы «{formula}» не разбирается.")
            unknown = sorted(names - known)
            if unknown:
                raise ParameterError(
                    f"параметр «{where}»: в формуле «{formula}» неизвестн"
                    + ("ое имя" if len(unknown) == 1 else "ые имена") + f" {', '.join(unknown)}. "
                    f"В формуле можно использовать столбцы таблицы модели (model_frame.csv): {_columns_text()}; "
                    "а также np (numpy), logit, expit и функции patsy (C, I, center, standardize…).")
            used += [n for n in names if n in frame_columns]
    if len(desc.lhs_termlist) != 1 or len(desc.lhs_termlist[0].factors) != 1:
        raise ParameterError(f"параметр «{where}»: в левой части формулы «{formula}» должен быть один индекс качества "
                             f"({', '.join(QUALITY_OUTCOMES)}), возможно преобразованный.")
    lhs = desc.lhs_termlist[0].factors[0].code
    outcomes = [n for n in _names(lhs) if n in frame_columns]
    if len(outcomes) != 1 or outcomes[0] not in QUALITY_OUTCOMES:
        raise ParameterError(f"параметр «{where}»: левая часть формулы «{formula}» — «{lhs}»; ожидается один индекс "
                             f"качества ({', '.join(QUALITY_OUTCOMES)}), возможно преобразованный, например "
                             "np.arcsin(np.sqrt(quality_index)).")
    outcome = outcomes[0]
    order = list(MODEL_FRAME_COLUMNS) + sorted(frame_columns - set(MODEL_FRAME_COLUMNS))
    variables = [outcome] + [c for c in order if c in set(used) and c != outcome]
    return FormulaInfo(formula, outcome, lhs.strip() != outcome, lhs.strip(), variables)


def _year_rows(table: pd.DataFrame | None, municipality: str, year: int) -> pd.DataFrame | None:
    if table is None or len(table) == 0:
        return None
    t = table
    if "year" in t.columns:
        t = t[t["year"] == year]
    if "municipality" in t.columns:
        t = t[t["municipality"] == municipality]
    return t


def build_model_frame(schools: pd.DataFrame, indices: pd.DataFrame, social: pd.DataFrame | None = None,
                      teachers: pd.DataFrame | None = None, quality: pd.DataFrame | None = None,
                      params: dict | None = None, municipality: str = "", year: int = 0) -> pd.DataFrame:
    """One school-level frame of a season with every column of :data:`MODEL_FRAME_COLUMNS`.

    Parameters
    ----------
    schools : DataFrame
        The season's ``schools`` table (school_id, name, optional kind, territory,
        students_total).
    indices : DataFrame
        ИСБШ, ИУРШ, the quality index and their groups per school (``school_id``,
        ``isbsh``, ``isbsh_group``, ``isbsh_quartile``, ``iursh``, ``iursh_group``,
        ``quality_index``, ``quality_n``, ``quality_group``, ``indices_source``).
    social, teachers : DataFrame, optional
        The season's social passport and staffing tables (counts); they become shares.
    quality : DataFrame, optional
        Every quality index by name (``school_id`` and, for each of ``oge_base``,
        ``vpr_base``, ``quality_share``, ``mean_mark``, the value and ``<name>_n``), as
        :func:`quality_outcomes` gives them.
    params : dict, optional
        For ``quality.index`` (whether ``quality_successes`` is a count) and
        ``iursh.category_first_weight``.
    municipality, year : the season (first two columns).

    Returns
    -------
    DataFrame
        One row per school of ``schools``, ordered as ``schools``, with exactly the
        columns of :data:`MODEL_FRAME_COLUMNS` (NaN where the season has no data).
        Shares are counts over ``students_total`` (social passport) or
        ``teachers_total``; ``quality_successes`` is ``quality_index × quality_n``
        for a share index (NaN for ``mean_mark``).
    """
    ids = pd.Index(schools["school_id"].astype(str).to_numpy(), name="school_id")
    n = len(ids)
    cols: dict[str, np.ndarray] = {"municipality": np.full(n, municipality, dtype=object),
                                   "year": np.full(n, year, dtype=np.int64), "school_id": ids.to_numpy(dtype=object)}
    for c in ("name", "kind", "territory"):
        cols[c] = schools[c].to_numpy(dtype=object) if c in schools.columns else np.full(n, np.nan, dtype=object)
    cols["students_total"] = (pd.to_numeric(schools["students_total"], errors="coerce").to_numpy(float)
                              if "students_total" in schools.columns else np.full(n, np.nan))

    def by_school(table: pd.DataFrame | None) -> pd.DataFrame | None:
        if table is None or len(table) == 0:
            return None
        t = table.drop_duplicates("school_id")
        return t.set_index(t["school_id"].astype(str)).reindex(ids)

    def num(t: pd.DataFrame | None, c: str) -> np.ndarray:
        if t is None or c not in t.columns:
            return np.full(n, np.nan)
        return pd.to_numeric(t[c], errors="coerce").to_numpy(float)

    with np.errstate(divide="ignore", invalid="ignore"):
        soc = by_school(_year_rows(social, municipality, year))
        total = num(soc, "students_total")
        total = np.where(total > 0, total, np.nan)
        for col, name in _SOCIAL.items():
            cols[name] = num(soc, col) / total
        missing = np.isnan(cols["students_total"])
        cols["students_total"] = np.where(missing, num(soc, "students_total"), cols["students_total"])
        tea = by_school(_year_rows(teachers, municipality, year))
        w1 = (params or {}).get("iursh", {}).get("category_first_weight", 0.5)
        t_total = num(tea, "teachers_total")
        per = np.where(t_total > 0, t_total, np.nan)
        cols["teachers_total"] = t_total
        cols["teachers_higher_ed_share"] = num(tea, "higher_education") / per
        cols["teachers_category_share"] = (num(tea, "category_highest") + w1 * num(tea, "category_first")) / per
        cols["teachers_experience_share"] = num(tea, "experience_10plus") / per
        cols["vacancies_share"] = num(tea, "vacancies") / per
    idx = by_school(indices)
    for c in ("isbsh", "isbsh_group", "isbsh_quartile", "iursh", "iursh_group", "quality_index", "quality_n",
              "quality_group"):
        cols[c] = num(idx, c)
    cols["indices_source"] = (idx["indices_source"].to_numpy(dtype=object) if idx is not None
                              and "indices_source" in idx.columns else np.full(n, np.nan, dtype=object))
    kind = (params or {}).get("quality", {}).get("index", "oge_base")
    cols["quality_successes"] = cols["quality_index"] * cols["quality_n"] if kind != "mean_mark" else np.full(n, np.nan)
    q = by_school(quality)
    for name in ("oge_base", "vpr_base", "quality_share", "mean_mark"):
        for c in (name, f"{name}_n"):
            cols[c] = num(q, c)
    return pd.DataFrame({c: cols[c] for c in MODEL_FRAME_COLUMNS})


def quality_outcomes(pooled: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Every quality index by name for the schools of ``pooled``.

    Returns the keys of ``pooled`` (``municipality`` and ``year`` when present,
    ``school_id``) and, for each of ``oge_base``, ``vpr_base``, ``quality_share`` and
    ``mean_mark``, the index and ``<name>_n`` (participants behind it) — the alternative
    outcomes a specification may use. Computed for many municipalities and years at once,
    a season takes its rows (:func:`build_model_frame` matches them by ``school_id``).
    """
    out = None
    for name in ("oge_base", "vpr_base", "quality_share", "mean_mark"):
        p = {**params, "quality": {**params["quality"], "index": name}}
        q = compute_quality_index(pooled, p).rename(columns={"quality_index": name, "quality_n": f"{name}_n"})
        keys = [c for c in ("municipality", "year", "school_id") if c in q.columns]
        q["school_id"] = q["school_id"].astype(str)
        out = q if out is None else out.merge(q, on=keys, how="outer")
    return out
