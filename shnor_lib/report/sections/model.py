"""Section 6 «Качество с учётом контекста»: the quality model (formula, family, coefficients with
intervals, warnings), the schools it labels резильентная / ниже ожидаемого, and the funnel of
deviations against school size.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...analysis.models import BELOW, FAMILY_LABELS, RESILIENT, formula_variables, min_effect_for
from ..common import (
    NO_DATA,
    as_text,
    by_id,
    n_schools,
    n_schools_gen,
    published_indices,
    pure_path,
)
from ..format import fmt_num, fmt_p, fmt_pct

__all__ = ["model_text", "coefficient_table", "resilience_text", "resilience_table", "funnel_text"]


_TERMS = {"Intercept": "Свободный член", "isbsh": "ИСБШ", "iursh": "ИУРШ", "isbsh_group": "Группа ИСБШ",
          "iursh_group": "Группа ИУРШ", "quality_index": "Индекс качества", "territory": "Территория",
          "kind": "Тип ОО", "students_total": "Число обучающихся"}


def _term_label(term: str) -> str:
    m = re.fullmatch(r"C\((\w+)[^)]*\)\[T\.(.+)\]", term)
    if m:
        return f"{_TERMS.get(m.group(1), m.group(1))}: {m.group(2)}"
    return _TERMS.get(term, term)


def coefficient_table(result) -> pd.DataFrame:
    """Coefficients of the quality model with the confidence interval and p-value, Russian headers."""
    model = result.model
    cols = ["Показатель", "Коэффициент", "Ст. ошибка", "ДИ, нижняя граница", "ДИ, верхняя граница", "p-значение",
            "Вывод"]
    if model is None:
        return pd.DataFrame(columns=cols)
    c = model.coefficients
    level = fmt_num(100 * (1 - model.alpha), 0)
    out = pd.DataFrame({
        "Показатель": [_term_label(t) for t in c["term"]],
        "Коэффициент": c["coef"].values,
        "Ст. ошибка": c["se"].values,
        f"{level}% ДИ, нижняя граница": c["ci_low"].values,
        f"{level}% ДИ, верхняя граница": c["ci_high"].values,
        "p-значение": [fmt_p(v) for v in c["p_value"]],
        "Вывод": ["значим" if v < model.alpha else "не значим" for v in c["p_value"]],
    })
    return out


def model_text(result) -> str:
    """Section 6: what the quality model says, with its warnings; «недостаточно данных» when absent."""
    model = result.model
    s = result.schools
    if model is None:
        need = formula_variables(result.params["model"]["formula"], s.columns)
        have = {v: int(s[v].notna().sum()) for v in need}
        what = ", ".join(f"{_TERMS.get(v, v)} — {n}" for v, n in have.items())
        return (f"Модель качества с учётом контекста не построена — {NO_DATA}: нужны индекс качества и показатели "
                f"контекста хотя бы для нескольких школ (известно: {what}). "
                "Резильентные школы и школы ниже ожидаемого не определяются.")
    level = fmt_num(100 * (1 - model.alpha), 0)
    formula = model.formula
    parts = [f"Модель: `{formula}` ({FAMILY_LABELS[model.family]}"
             + (", веса — число участников" if result.params["model"]["weights"] == "participants" else "")
             + f"), {n_schools(model.n)}; R² = {fmt_num(model.r2)} — модель объясняет "
             f"{fmt_pct(model.r2)} различий индекса качества между школами."]
    if published_indices(result):
        parts.append("Индекс качества и группы взяты из опубликованной таблицы (файл indices).")
    for r in model.coefficients.itertuples():
        if r.term == "Intercept":
            continue
        sig = r.p_value < model.alpha
        parts.append(f"{_term_label(r.term)}: коэффициент {fmt_num(r.coef, 3)} ({level}% ДИ от {fmt_num(r.ci_low, 3)} "
                     f"до {fmt_num(r.ci_high, 3)}; p = {fmt_p(r.p_value)}) — связь статистически "
                     + ("значима." if sig else "не значима."))
    warn = list(model.warnings)
    if result.effects is not None:
        e = result.effects
        parts.append(f"Дополнительно построена модель со случайным эффектом школы по {e.n_obs} наблюдениям "
                     f"({n_schools(e.n_groups)}, все загруженные годы): она отделяет устойчивое отличие школы "
                     "от колебаний отдельного года.")
        warn += list(e.warnings)
    text = " ".join(parts)
    if warn:
        text += "\n\n**Ограничения:** " + "; ".join(warn) + "."
    return text


def funnel_text(result) -> str:
    """What the funnel plot shows: schools beyond the 95% and 99,8% control limits."""
    from ..plots.model import _Z95, _Z998, funnel_limits

    s = result.schools
    d = s.dropna(subset=["residual", "quality_n"])
    d = d[d["quality_n"] > 0]
    if result.model is None:
        return f"Воронкообразная диаграмма — {NO_DATA}: модель качества не построена."
    if len(d) < 5:
        why = (" (индекс качества взят из опубликованной таблицы, число участников в ней не указано)"
               if published_indices(result) else "")
        return (f"Воронкообразная диаграмма — {NO_DATA}: число участников, по которым рассчитан индекс качества, "
                f"известно только для {n_schools_gen(len(d))}{why}.")
    _, k = funnel_limits(d["residual"], d["quality_n"], _Z95)
    lim = np.sqrt(k / d["quality_n"].astype(float))
    out95 = d[(d["residual"].abs() > _Z95 * lim) & (d["residual"].abs() <= _Z998 * lim)]
    out998 = d[d["residual"].abs() > _Z998 * lim]

    def ids(x):
        return ", ".join(f"{i} ({'выше' if r > 0 else 'ниже'})" for i, r in
                         zip(by_id(x)["school_id"].astype(str), by_id(x)["residual"], strict=True)) or "нет"

    return ("Воронкообразная диаграмма сопоставляет отклонение школы от модели с числом участников: у малых "
            "школ разброс естественно больше, поэтому границы расширяются к малым n (дисперсия остатков "
            "с формой 1/√n). "
            f"За 99,8% границами: {ids(out998)}; между 95% и 99,8% границами: {ids(out95)}. "
            f"Даже без реальных различий при {n_schools(len(d))} за 95% границу случайно выходят около "
            f"{n_schools(round(0.05 * len(d)))}; выход за 99,8% границу — повод для разбора.")


def _effects_years(result) -> str:
    years = sorted({int(pure_path(k).parent.name) for k in result.checksums if pure_path(k).parent.name.isdigit()})
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(result.year)


def resilience_table(result, kind: str = RESILIENT) -> pd.DataFrame:
    """Schools flagged ``kind`` (резильентная / ниже ожидаемого) by the year's model or the school effect.

    The library flags a school only when it is outside the interval *and* the
    deviation is at least ``model.min_effect``; this table lists exactly those.

    Returns
    -------
    DataFrame
        «Код ОО», «Наименование», «Статус», «Индекс качества», «Ожидаемое» (by the year's
        model), «Отклонение», «Основание» (the year's model and/or the school effect).
    """
    if kind not in (RESILIENT, BELOW):
        raise ValueError(f"kind must be {RESILIENT!r} or {BELOW!r}")
    s = result.schools
    by_year = as_text(s["resilience"]).eq(kind)
    by_eff = as_text(s["effect_label"]).eq(kind) if "effect_label" in s else pd.Series(False, index=s.index)
    d = s[by_year | by_eff]
    d = by_id(d)
    years = _effects_years(result)
    basis = []
    for y_flag, e_flag, eff in zip(by_year[d.index], by_eff[d.index], d["school_effect"] if "school_effect" in d
                                   else [np.nan] * len(d), strict=True):
        parts = ([f"модель {result.year} г."] if y_flag else []) + \
                ([f"эффект школы {years} ({fmt_num(eff, 3)})"] if e_flag else [])
        basis.append("; ".join(parts))
    return pd.DataFrame({
        "Код ОО": d["school_id"].astype(str).values,
        "Наименование": as_text(d["name"]).values,
        "Статус": as_text(d["status"]).replace("", "без статуса").values,
        "Индекс качества": d["quality_index"].values,
        "Ожидаемое": d["predicted"].values,
        "Отклонение": d["residual"].values,
        "Основание": basis,
    })


def resilience_text(result) -> str:
    """Which schools beat their context (резильентные) and which fall below the expected, with numbers."""
    if result.model is None and result.effects is None:
        return f"Резильентные школы и школы ниже ожидаемого — {NO_DATA}: модель не построена."
    me = min_effect_for(result.params)
    lines = [f"Школа отмечается, только если её индекс качества отличается от ожидаемого значимо (с поправкой на "
             f"число проверенных школ) **и** отклонение не меньше {fmt_num(me)}: малые и "
             "статистически незначимые отличия не считаются."]
    s = result.schools.set_index(result.schools["school_id"].astype(str))
    years = _effects_years(result)
    for kind, word in ((RESILIENT, "Резильентные (выше ожидаемого с учётом контекста)"),
                       (BELOW, "Ниже ожидаемого с учётом контекста")):
        t = resilience_table(result, kind)
        if t.empty:
            lines.append(f"- {word}: нет.")
            continue
        items = []
        for sid, name in zip(t["Код ОО"], t["Наименование"], strict=True):
            r = s.loc[sid]
            basis = []
            if r.get("resilience") == kind:
                basis.append(f"модель {result.year} г.: индекс {fmt_num(r['quality_index'])} при ожидаемом "
                             f"{fmt_num(r['predicted'])}, интервал прогноза {fmt_num(r['pi_low'])}–{fmt_num(r['pi_high'])}")
            if r.get("effect_label") == kind:
                basis.append(f"эффект школы за {years} гг.: {fmt_num(r['school_effect'], 3)} "
                             f"(95% ДИ от {fmt_num(r['effect_low'], 3)} до {fmt_num(r['effect_high'], 3)})")
            items.append(f"{sid} ({name}) — " + "; ".join(basis))
        lines.append(f"- {word}: " + "; ".join(items) + "." if len(items) == 1 else
                     f"- {word}:\n" + "\n".join(f"    - {i}" for i in items))
    return "\n".join(lines)
