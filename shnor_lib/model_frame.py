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
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ParameterError

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


def logit(p, eps: float = 0.005):
    """log(p / (1 − p)) with p clipped to [eps, 1 − eps], so a share of 0 or 1 stays finite.

    For formulas such as ``logit(quality_index) ~ isbsh`` (with ``family: ols``).
    """
    q = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return np.log(q / (1 - q))


def expit(x):
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


def formula_info(formula: str, where: str = "model.formula", columns=None) -> FormulaInfo:
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
    from patsy import ModelDesc, PatsyError

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
    out = pd.DataFrame({"school_id": schools["school_id"].astype(str).to_numpy()})
    out.insert(0, "year", np.int64(year))
    out.insert(0, "municipality", municipality)
    for c in ("name", "kind", "territory", "students_total"):
        out[c] = schools[c].to_numpy() if c in schools.columns else np.nan
    soc = _year_rows(social, municipality, year)
    if soc is not None:
        s = soc.drop_duplicates("school_id").set_index(soc.drop_duplicates("school_id")["school_id"].astype(str))
        total = s["students_total"].astype(float).where(lambda v: v > 0)
        for col, name in _SOCIAL.items():
            out[name] = out["school_id"].map(s[col].astype(float) / total) if col in s.columns else np.nan
        missing = pd.to_numeric(out["students_total"], errors="coerce").isna()
        if missing.any():
            out["students_total"] = pd.to_numeric(out["students_total"], errors="coerce").astype(float)
            out.loc[missing, "students_total"] = out.loc[missing, "school_id"].map(s["students_total"]).astype(float)
    else:
        for name in _SOCIAL.values():
            out[name] = np.nan
    tea = _year_rows(teachers, municipality, year)
    w1 = (params or {}).get("iursh", {}).get("category_first_weight", 0.5)
    if tea is not None:
        t = tea.drop_duplicates("school_id")
        t = t.set_index(t["school_id"].astype(str))
        total = t["teachers_total"].astype(float).where(lambda v: v > 0)

        def share(num):
            return out["school_id"].map(num / total)

        out["teachers_total"] = out["school_id"].map(t["teachers_total"].astype(float))
        out["teachers_higher_ed_share"] = share(t["higher_education"]) if "higher_education" in t else np.nan
        if "category_highest" in t and "category_first" in t:
            out["teachers_category_share"] = share(t["category_highest"] + w1 * t["category_first"])
        else:
            out["teachers_category_share"] = np.nan
        out["teachers_experience_share"] = share(t["experience_10plus"]) if "experience_10plus" in t else np.nan
        out["vacancies_share"] = share(t["vacancies"]) if "vacancies" in t else np.nan
    else:
        for c in ("teachers_total", "teachers_higher_ed_share", "teachers_category_share",
                  "teachers_experience_share", "vacancies_share"):
            out[c] = np.nan
    idx = indices.drop_duplicates("school_id").set_index(indices.drop_duplicates("school_id")["school_id"].astype(str))
    for c in ("isbsh", "isbsh_group", "isbsh_quartile", "iursh", "iursh_group", "quality_index", "quality_n",
              "quality_group", "indices_source"):
        out[c] = out["school_id"].map(idx[c]) if c in idx.columns else np.nan
    kind = (params or {}).get("quality", {}).get("index", "oge_base")
    out["quality_successes"] = (out["quality_index"] * out["quality_n"]) if kind != "mean_mark" else np.nan
    q = quality.set_index(quality["school_id"].astype(str)) if quality is not None and len(quality) else None
    for name in ("oge_base", "vpr_base", "quality_share", "mean_mark"):
        for c in (name, f"{name}_n"):
            out[c] = out["school_id"].map(q[c]) if q is not None and c in q.columns else np.nan
    out = out[list(MODEL_FRAME_COLUMNS)]
    for c in out.columns:
        if c not in _TEXT and c != "year":
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def quality_outcomes(pooled: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Every quality index by name for the schools of ``pooled`` (one year, one municipality).

    Returns ``school_id`` and, for each of ``oge_base``, ``vpr_base``, ``quality_share``
    and ``mean_mark``, the index and ``<name>_n`` (participants behind it) — the
    alternative outcomes a specification may use.
    """
    from .indices import compute_quality_index

    out = None
    for name in ("oge_base", "vpr_base", "quality_share", "mean_mark"):
        p = {**params, "quality": {**params["quality"], "index": name}}
        q = compute_quality_index(pooled, p)
        q = q[["school_id", "quality_index", "quality_n"]].rename(columns={"quality_index": name,
                                                                           "quality_n": f"{name}_n"})
        q["school_id"] = q["school_id"].astype(str)
        out = q if out is None else out.merge(q, on="school_id", how="outer")
    return out
