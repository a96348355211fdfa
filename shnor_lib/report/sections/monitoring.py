"""Section 8 «Показатели мониторинга»: the indicator catalogue against plan with the 1–3 levels of
dynamics, and the A–D levels of teachers' professional deficits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..common import (
    NO_DATA,
    as_text,
    has_input,
    lower_first,
)
from ..format import fmt_int, fmt_num, plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["monitoring_text", "monitoring_table", "indicator_value", "diagnostics_text", "diagnostics_table"]


_DIRECTION = {"higher_better": "↑ больше", "lower_better": "↓ меньше"}


_DYNAMICS_SHORT = {1: "1 — отрицательная или нет", 2: "2 — стабильная положительная", 3: "3 — ярко выраженная"}


_DIRECTION_WORDS = {"higher_better": "чем больше, тем лучше", "lower_better": "чем меньше, тем лучше"}


def indicator_value(value: float, unit: str) -> str:
    """A fact or a plan of an indicator: «66,9%» for a share, «1 (да)» / «0 (нет)» for a yes/no score."""
    if value is None or pd.isna(value):
        return "—"
    if unit == "балл":
        return f"{fmt_num(value, 0)} ({'да' if float(value) >= 0.5 else 'нет'})"
    return f"{fmt_num(value, 1)}%"


def _year_rows(indicators: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """The catalogue's rows of one year (the latest when ``year`` is None), numbered 1… in catalogue order."""
    if indicators is None or indicators.empty:
        return pd.DataFrame(columns=[*(indicators.columns if indicators is not None else []), "no"])
    year = int(indicators["year"].max()) if year is None else int(year)
    d = indicators[indicators["year"] == year].reset_index(drop=True)
    return d.assign(no=np.arange(1, len(d) + 1))


def _met(v) -> bool | None:
    """``plan_met`` (True / False / NaN in an object column) as True, False or None."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return bool(v)


def monitoring_table(result: SeasonResult, indicators: pd.DataFrame) -> pd.DataFrame:
    """The indicator catalogue of the report's year against plan (section 8).

    Without a ``monitoring`` file only the indicators that could be computed (from statuses and
    the municipality's answers) are listed; :func:`monitoring_text` says why the others are not.

    Parameters
    ----------
    result : SeasonResult
        The season of the report (its year and input files).
    indicators : DataFrame
        :func:`shnor_lib.analysis.indicators.season_indicators` (one or several years).

    Returns
    -------
    DataFrame
        «№», «Показатель», «Факт», «План», «Лучше» (↑ больше / ↓ меньше), «План выполнен»
        (да / нет / —), «Динамика (1–3)»; «Примечание» (why a fact is missing) only when some
        fact is missing.
    """
    cols = ["№", "Показатель", "Факт", "План", "Лучше", "План выполнен", "Динамика (1–3)"]
    d = _year_rows(indicators, result.year)
    if not has_input(result, "monitoring"):
        d = d[d["fact"].notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({
        "№": d["no"].astype(int).values,
        "Показатель": d["name"].values,
        "Факт": [indicator_value(v, u) for v, u in zip(d["fact"], d["unit"], strict=True)],
        "План": [indicator_value(v, u) for v, u in zip(d["plan"], d["unit"], strict=True)],
        "Лучше": d["direction"].map(_DIRECTION).values,
        "План выполнен": [{True: "да", False: "нет", None: "—"}[_met(v)] for v in d["plan_met"]],
        "Динамика (1–3)": [_DYNAMICS_SHORT.get(int(v), "—") if pd.notna(v) else "—" for v in d["dynamics_level"]],
    })
    if d["fact"].isna().any():
        out["Примечание"] = [str(n) if pd.isna(f) else "" for f, n in zip(d["fact"], as_text(d["note"]), strict=True)]
    return out


def _numbers(rows: pd.DataFrame) -> str:
    return "№ " + ", ".join(str(int(n)) for n in rows["no"])


def monitoring_text(result: SeasonResult, indicators: pd.DataFrame) -> str:
    """Section 8: how many plans are met and which are not (fact against plan), the 1–3 levels of
    the dynamics, and what could not be computed — «показатели мониторинга не рассчитываются: нет
    файла monitoring» when the season has no monitoring file.

    Parameters
    ----------
    result : SeasonResult
        The season of the report (its input files tell whether ``monitoring`` exists).
    indicators : DataFrame
        :func:`shnor_lib.analysis.indicators.season_indicators` over the loaded years.
    """
    y = result.year
    d = _year_rows(indicators, y)
    if d.empty:
        return f"Показатели мониторинга не рассчитываются: каталог показателей пуст — {NO_DATA}."
    known = d[d["fact"].notna()]
    lines = []
    if not has_input(result, "monitoring"):
        what = "; ".join(f"{lower_first(r.name)} — {indicator_value(r.fact, r.unit)}"
                         for r in known.itertuples())
        lines.append(f"Показатели мониторинга не рассчитываются: нет файла monitoring за {y} год. "
                     + (f"По статусам школ и ответам муниципалитета рассчитано {len(known)} из {len(d)} показателей "
                        f"каталога: {what}." if len(known) else "Ни один показатель каталога не рассчитан."))
    plan = d[d["plan_met"].map(_met).notna()]
    met = plan[plan["plan_met"].map(_met).astype(bool)] if len(plan) else plan
    missed = plan.drop(met.index)
    if len(plan):
        lines.append(f"Плановые значения заданы для {len(plan)} "
                     f"{plural(len(plan), 'показателя', 'показателей', 'показателей')} с известным фактом {y} года: "
                     f"план выполнен по {len(met)}, не выполнен по {len(missed)}."
                     + (f" Выполнены: {_numbers(met)}." if len(met) else ""))
        if len(missed):
            lines.append("Не выполнены:\n" + "\n".join(
                f"- № {int(r.no)}. {r.name}: факт {indicator_value(r.fact, r.unit)} при плане "
                f"{indicator_value(r.plan, r.unit)} ({_DIRECTION_WORDS[r.direction]})." for r in missed.itertuples()))
    elif len(known):
        lines.append("Плановые значения показателей в параметрах муниципалитета не заданы — "
                     "выполнение плана не оценивается.")
    no_plan = known[known["plan"].isna()]
    if len(plan) and len(no_plan):
        lines.append(f"Без планового значения: {_numbers(no_plan)}.")
    years = sorted(int(v) for v in indicators["year"].unique())
    if len(years) > 1:
        lv = d["dynamics_level"]
        counts = {k: d[lv == k] for k in (3, 2, 1)}
        lines.append(f"Динамика за {years[0]}–{years[-1]} годы: уровень 3 "
                     f"(ярко выраженная положительная) — {len(counts[3])}, уровень 2 (положительная стабильная) — "
                     f"{len(counts[2])}, уровень 1 (отрицательная или отсутствует) — {len(counts[1])}"
                     + (f" ({_numbers(counts[1])})" if len(counts[1]) else "") + ".")
    else:
        lines.append(f"Динамика показателей (уровни 1–3) не оценивается: загружен один год ({y}).")
    missing = d[d["fact"].isna()]
    if len(missing) and has_input(result, "monitoring"):
        lines.append(f"Не рассчитаны — {NO_DATA}: {_numbers(missing)} (причина — в столбце «Примечание»).")
    return "\n\n".join(lines)


def diagnostics_table(diagnostics: pd.DataFrame) -> pd.DataFrame:
    """Teachers of ШНОР and ШНСУ by diagnostics level A–D: «Уровень», «Что означает», one column per year
    («27 (13,1%)»)."""
    if diagnostics is None or diagnostics.empty:
        return pd.DataFrame(columns=["Уровень", "Что означает"])
    d = diagnostics.copy()
    out = d.drop_duplicates("level")[["level", "label"]].rename(columns={"level": "Уровень", "label": "Что означает"})
    out = out.reset_index(drop=True)
    for y, g in d.groupby("year", sort=True):
        g = g.set_index("level")
        out[str(int(y))] = [f"{fmt_int(g.loc[lv, 'teachers'])} ({fmt_num(g.loc[lv, 'share'], 1)}%)"
                            if pd.notna(g.loc[lv, "teachers"]) else "—" for lv in out["Уровень"]]
    return out


def diagnostics_text(result: SeasonResult, diagnostics: pd.DataFrame) -> str:
    """The A–D summary of teacher diagnostics (seed 000, p. 24) in words, or why it is absent."""
    y = result.year
    if not has_input(result, "monitoring"):
        return f"Уровни диагностики профессиональных дефицитов (A–D) не приводятся: нет файла monitoring за {y} год."
    if diagnostics is None or diagnostics.empty or not (diagnostics["year"] == y).any() \
            or diagnostics.loc[diagnostics["year"] == y, "teachers"].sum() == 0:
        return ("Уровни диагностики профессиональных дефицитов (A–D) не приводятся: в файле monitoring нет "
                "сведений diag_level_a … diag_level_d по ШНОР и ШНСУ.")
    g = diagnostics[diagnostics["year"] == y].set_index("level")
    total = g["teachers"].sum()
    parts = "; ".join(f"{lv} — {fmt_int(r.teachers)} ({fmt_num(r.share, 1)}%)" for lv, r in g.iterrows())
    ab = g.loc[["A", "B"], "share"].sum()
    text = (f"Диагностика профессиональных дефицитов педагогов ШНОР и ШНСУ, {y} год: уровень определён у "
            f"{fmt_int(total)} {plural(int(total), 'педагога', 'педагогов', 'педагогов')}: {parts}. "
            f"Системные и локальные дефициты (A и B) — у {fmt_num(ab, 1)}% педагогов")
    first = diagnostics[diagnostics["year"] == diagnostics["year"].min()].set_index("level")
    if int(diagnostics["year"].min()) != y and first["teachers"].sum() > 0:
        text += f" (в {int(diagnostics['year'].min())} году — {fmt_num(first.loc[['A', 'B'], 'share'].sum(), 1)}%)"
    return text + "."
