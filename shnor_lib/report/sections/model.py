"""Section 6 «Качество с учётом контекста»: the quality model (formula, family, coefficients with
intervals, warnings), the schools it labels резильентная / ниже ожидаемого, and the funnel of
deviations against school size.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...analysis.funnel import funnel
from ...analysis.models import BELOW, RESILIENT, formula_variables, min_effect_for
from ..common import (
    NO_DATA,
    as_text,
    by_id,
    n_schools,
    n_schools_gen,
    published_indices,
    pure_path,
)
from ..format import count, fmt_g, fmt_num, fmt_p, fmt_pct, plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["model_text", "coefficient_table", "resilience_text", "resilience_table", "funnel_text"]


_TERMS = {"Intercept": "Свободный член", "isbsh": "ИСБШ", "iursh": "ИУРШ", "isbsh_group": "Группа ИСБШ",
          "iursh_group": "Группа ИУРШ", "quality_index": "Индекс качества", "territory": "Территория",
          "kind": "Тип ОО", "students_total": "Число обучающихся"}


def _term_label(term: str) -> str:
    m = re.fullmatch(r"C\((\w+)[^)]*\)\[T\.(.+)\]", term)
    if m:
        return f"{_TERMS.get(m.group(1), m.group(1))}: {m.group(2)}"
    return _TERMS.get(term, term)


def coefficient_table(result: SeasonResult) -> pd.DataFrame:
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


def model_text(result: SeasonResult) -> str:
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
    q = _QUALITY_WORDS.get(result.params["quality"]["index"], "индекс качества")
    ctx_terms = [_TERM_WORDS.get(v, _term_label(v)) for v in formula_variables(model.formula.split("~", 1)[-1],
                                                                               s.columns)]
    parts = [f"**Что проверялось.** Индекс качества школы ({q}) сравнивается с тем, чего можно ожидать от школы "
             f"с таким же контекстом: {', '.join(ctx_terms) if ctx_terms else 'контекст школы'}. Ожидаемое значение "
             f"даёт статистическая модель, построенная по {count(model.n, 'школе', 'школам', 'школам')} муниципалитета"
             + (" (каждый ученик учитывается один раз)" if result.params["model"]["weights"] == "participants" else "")
             + f". Контекст объясняет {fmt_pct(model.r2)} различий индекса качества между школами; остальное — "
             "работа самих школ, особенности года и случайность."]
    if published_indices(result):
        parts.append("Индекс качества и группы взяты из опубликованной таблицы индексов.")
    found = []
    for r in model.coefficients.itertuples():
        if r.term == "Intercept":
            continue
        sig = r.p_value < model.alpha
        word = _term_label(r.term)
        if sig:
            found.append(f"чем выше {word}, тем {'выше' if r.coef > 0 else 'ниже'} ожидаемый индекс качества — "
                         f"связь подтверждается данными (с надёжностью {level}%)")
        else:
            found.append(f"связь индекса качества с показателем «{word}» данными не подтверждается")
    if found:
        parts.append("**Что получилось:** " + "; ".join(found) + ".")
    parts.append("**Какие школы выделяются:** " + _standouts(result) + ". Школа отмечается, только если её отличие "
                 "от ожидаемого устойчиво (маловероятно как случайность, даже с учётом того, что проверялась каждая "
                 f"школа) и не меньше {fmt_num(min_effect_for(result.params))} по шкале индекса; остальные отличия "
                 "могут быть случайными. Ожидаемое значение и его интервал у каждой отмеченной школы — ниже.")
    if result.effects is not None:
        e = result.effects
        parts.append(f"Дополнительно проверено, устойчиво ли отличие школы за все загруженные годы ({e.n_obs} "
                     f"{plural(e.n_obs, 'наблюдение', 'наблюдения', 'наблюдений')}, {n_schools(e.n_groups)}): так "
                     "отделяется постоянное отличие школы от колебаний отдельного года.")
    warn = list(model.warnings) + (list(result.effects.warnings) if result.effects is not None else [])
    text = "\n\n".join(parts)
    text += ("\n\nТехнические подробности (вид модели, коэффициенты с интервалами, доля объяснённых различий "
             f"R² = {fmt_num(model.r2)}) — в таблице ниже и в разделе «Методика».")
    if warn:
        text += "\n\n**Ограничения:** " + "; ".join(warn) + "."
    return text


def _standouts(result: SeasonResult) -> str:
    """«выше ожидаемого (резильентные) — 7 (…); ниже ожидаемого — ни одной школы», or one clause when
    neither kind has a school (not «нет» twice)."""
    found = {}
    for kind in (RESILIENT, BELOW):
        t = resilience_table(result, kind)
        found[kind] = [f"{i} ({n})" if n else i for i, n in zip(t["Код ОО"], t["Наименование"], strict=True)]
    if not found[RESILIENT] and not found[BELOW]:
        return "ни одна школа не оказалась устойчиво выше или ниже ожидаемого с учётом контекста"
    words = {RESILIENT: ("выше ожидаемого (резильентные)", "резильентных школ нет"),
             BELOW: ("ниже ожидаемого", "школ ниже ожидаемого нет")}
    return "; ".join(f"{words[k][0]} — " + "; ".join(found[k]) if found[k] else words[k][1] for k in (RESILIENT, BELOW))


_TERM_WORDS = {"isbsh": "социальное благополучие учеников (индекс социального благополучия школы, ИСБШ)",
               "iursh": "кадровый ресурс (индекс учительских ресурсов школы, ИУРШ)"}

_QUALITY_WORDS = {"oge_base": "доля учеников, достигших базового уровня на ОГЭ",
                  "vpr_base": "доля учеников, достигших базового уровня на ВПР",
                  "quality_share": "доля отметок «4» и «5» на ОГЭ", "mean_mark": "средняя отметка на ОГЭ"}


def funnel_text(result: SeasonResult) -> str:
    """What the funnel plot shows: the schools the quality model labels, on the model's own scale.

    The funnel (:func:`shnor_lib.analysis.funnel.funnel`) plots each school's ``z_score``; only the
    schools the model labels are named, and the schools beyond a guide without a label are
    counted against what chance alone would put there.
    """
    model = result.model
    if model is None:
        return f"Воронкообразная диаграмма — {NO_DATA}: модель качества не построена."
    f = funnel(result.schools)
    if not f.available:
        why = (" (индекс качества взят из опубликованной таблицы, число участников в ней не указано)"
               if published_indices(result) else "")
        return (f"Воронкообразная диаграмма — {NO_DATA}: число участников, по которым рассчитан индекс качества, "
                f"известно только для {n_schools_gen(len(f.points))}{why}.")
    (l95, z95), (l998, z998) = sorted(f.guides.items())
    labelled = by_id(f.labelled)
    named = [f"{word} — {'; '.join(labelled.loc[labelled['label'] == kind, 'school_id'])}"
             for kind, word in ((RESILIENT, "резильентные"), (BELOW, "ниже ожидаемого"))
             if (labelled["label"] == kind).any()]
    rule = ("значимо с поправкой на число проверенных школ" if model.multiple_testing == "bh"
            else f"значимо при p < {fmt_num(model.alpha)}")
    # «при 40 школах», «около 2 школ»
    among, chance = count(len(f.points), "школе", "школах", "школах"), n_schools_gen(round(f.expected_beyond(l95)))
    text = ("Воронкообразная диаграмма показывает отклонение каждой школы от модели качества с учётом числа "
            "участников: по вертикали — z, место индекса качества школы в распределении, которое модель ожидает "
            "для школы с таким контекстом и таким числом участников (у малых школ это распределение шире, поэтому "
            "то же отклонение индекса даёт у них меньший z); по горизонтали — число участников. Линии — границы "
            f"{fmt_g(100 * l95)}% (±{fmt_num(z95)}) и {fmt_g(100 * l998)}% (±{fmt_num(z998)}) для одной школы. "
            f"Названы только школы, которые отмечает модель (отклонение {rule} и не меньше "
            f"{fmt_num(model.min_effect)}): " + ("; ".join(named) if named else "в этом году таких школ нет") + ".")
    beyond = f.beyond_unlabelled(l95)
    if len(beyond):
        text += (f" За {fmt_g(100 * l95)}% границей без отметки модели — {n_schools(len(beyond))}: даже без реальных "
                 f"различий при {among} за эту границу случайно выходят около {chance}, поэтому выход за "
                 "неё сам по себе отличием не считается.")
    else:
        text += (f" Даже без реальных различий при {among} за {fmt_g(100 * l95)}% границу случайно выходят "
                 f"около {chance}.")
    return text


def _effects_years(result: SeasonResult) -> str:
    years = sorted({int(pure_path(k).parent.name) for k in result.checksums if pure_path(k).parent.name.isdigit()})
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(result.year)


def resilience_table(result: SeasonResult, kind: str = RESILIENT) -> pd.DataFrame:
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


def resilience_text(result: SeasonResult) -> str:
    """Which schools beat their context (резильентные) and which fall below the expected, with numbers."""
    if result.model is None and result.effects is None:
        return f"Резильентные школы и школы ниже ожидаемого — {NO_DATA}: модель не построена."
    me = min_effect_for(result.params)
    lines = [f"Школа отмечается, только если её индекс качества отличается от ожидаемого значимо (с поправкой на "
             f"число проверенных школ) **и** отклонение не меньше {fmt_num(me)}: малые и "
             "статистически незначимые отличия не считаются."]
    s = result.schools.set_index(result.schools["school_id"].astype(str))
    years = _effects_years(result)
    tables = {kind: resilience_table(result, kind) for kind in (RESILIENT, BELOW)}
    if tables[RESILIENT].empty and tables[BELOW].empty:
        lines.append("В этом году таких школ нет: ни одна школа не оказалась устойчиво выше или ниже ожидаемого.")
        return "\n\n".join(lines)
    for kind, word in ((RESILIENT, "Резильентные (выше ожидаемого с учётом контекста)"),
                       (BELOW, "Ниже ожидаемого с учётом контекста")):
        t = tables[kind]
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
