"""Section 1 «Итоги»: the report's title and the season in a paragraph — how many ШНОР, ШНСУ
and schools at risk, their share against the plan, the change since last year, and what the data
did not allow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..common import (
    NO_DATA,
    as_text,
    flag,
    has_input,
    n_schools,
    n_schools_gen,
    no_isbsh_reason,
    scope_rows,
    sorted_ids,
)
from ..format import fmt_g, fmt_num, fmt_pct

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["summary_text", "summary_caveats", "report_title", "GLOSSARY", "glossary_text"]


def report_title(result: SeasonResult, name: str | None = None) -> str:
    """The report's title line (Markdown ``#``) carrying the municipality and the year."""
    who = name or result.params.get("municipality_name") or f"муниципалитет «{result.municipality}»"
    return f"# Аналитическая справка по итогам мониторинга ШНОР и ШНСУ\n\n**{who}, {result.year} год**"


def _plan(params: dict) -> tuple[float | None, float | None]:
    t = (params.get("targets") or {}).get("shnor_shnsu_share") or {}
    return t.get("baseline"), t.get("plan")


def _pct_value(v: float) -> str:
    """A percentage given in percent units (targets): 10 → «10%», 17.5 → «17,5%»."""
    return fmt_g(v) + "%"


def summary_text(result: SeasonResult, previous: SeasonResult | None = None) -> str:
    """Section 1 «Итоги»: counts of ШНОР, ШНСУ, зона риска and the municipal share.

    Parameters
    ----------
    result : SeasonResult
    previous : SeasonResult, optional
        The season of year − 1, for the change of the share.

    Returns
    -------
    str
        Markdown, e.g. «В 2024 году выявлено 5 ШНОР и 3 ШНСУ; доля ШНОР и ШНСУ — 17,5%
        (7 из 40) при плановом значении 10%.»
    """
    sh = result.shares
    y = result.year
    n, union = sh["schools"], sh["shnor_or_shnsu"]
    if n == 0:
        return f"За {y} год нет школ в данных — {NO_DATA} для итогов."
    s = result.schools
    both = int((flag(s, "shnor") & flag(s, "shnsu")).sum())
    share = sh["share_shnor_shnsu"]
    shnsu_known = s["isbsh_group"].notna().any() or s["isbsh"].notna().any()
    if shnsu_known and not sh["shnor"] and not sh["shnsu"]:
        first = f"В {y} году ШНОР и ШНСУ не выявлено"
    elif shnsu_known:
        first = f"В {y} году выявлено {sh['shnor']} ШНОР и {sh['shnsu']} ШНСУ"
        if both:
            first += f" (из них {both} — одновременно ШНОР и ШНСУ)"
    else:
        first = (f"В {y} году выявлено {sh['shnor']} ШНОР" if sh["shnor"] else f"В {y} году ШНОР не выявлено") \
            + f"; ШНСУ не определялись ({NO_DATA}: нет ИСБШ)"
    first += f"; доля ШНОР и ШНСУ — {fmt_pct(share)} ({union} из {n})"
    baseline, plan = _plan(result.params)
    if plan is not None:
        met = share * 100 <= plan + 1e-9
        first += f" при плановом значении {_pct_value(plan)} — " + ("плановое значение достигнуто" if met
                                                                   else "плановое значение не достигнуто")
        if baseline is not None:
            first += f" (базовое значение {_pct_value(baseline)})"
    else:
        first += "; плановое значение в параметрах не задано"
    parts = [first + "."]
    parts.append(f"В зоне риска — {n_schools(sh['risk_zone'])}; без статуса — "
                 f"{n_schools(int(as_text(s['status']).eq('').sum()))}.")
    if previous is not None:
        ps = previous.shares
        diff = (share - ps["share_shnor_shnsu"]) * 100
        trend = "не изменилась" if abs(diff) < 0.05 else ("выросла" if diff > 0 else "снизилась")
        parts.append(f"В {previous.year} году доля ШНОР и ШНСУ составляла {fmt_pct(ps['share_shnor_shnsu'])} "
                     f"({ps['shnor_or_shnsu']} из {ps['schools']}) — за год она {trend}"
                     + ("." if trend == "не изменилась" else f" на {fmt_num(abs(diff), 1)} п.п."))
    caveats = summary_caveats(result, previous)
    text = " ".join(parts)
    if caveats:
        text += "\n\n**Ограничения данных:**\n\n" + "\n".join(f"- {c}" for c in caveats)
    return text


def summary_caveats(result: SeasonResult, previous: SeasonResult | None = None,
                    previous_year_note: bool = True) -> list[str]:
    """The season's main data caveats in sentences (no previous year, no ИСБШ, incomplete coverage).

    ``previous_year_note=False`` leaves out the note on the missing previous year (said elsewhere).
    """
    y = result.year
    s = result.schools
    shnsu_known = s["isbsh_group"].notna().any() or s["isbsh"].notna().any()
    caveats = []
    if previous is None and previous_year_note:
        caveats.append(f"Данных за {y - 1} год нет: условие «одна процедура два года подряд» не проверялось, "
                       "статусы определены только по условию двух процедур в одном году; "
                       f"сравнение с прошлым годом — {NO_DATA}.")
    if not shnsu_known:
        caveats.append(no_isbsh_reason(result))
    elif not s["isbsh"].notna().any():
        caveats.append(("Социального паспорта (файл social) нет, поэтому ИСБШ по методике не рассчитан; "
                        if not has_input(result, "social") else "ИСБШ по социальному паспорту не рассчитан; ")
                       + "ШНСУ определены по опубликованным группам ИСБШ (файл indices).")
    caveats.extend(_coverage_notes(result))
    return caveats


def _coverage_notes(result: SeasonResult) -> list[str]:
    """Cautions when the rules could not see every school or every procedure."""
    s = result.schools
    notes = []
    no_res = as_text(s["reasons"]).str.contains("нет результатов в объёме правила")
    if no_res.any():
        ids = sorted_ids(s.loc[no_res, "school_id"])
        notes.append(f"Для {n_schools_gen(len(ids))} ({'; '.join(ids)}) нет результатов в объёме правила — "
                     f"их статус не определяется ({NO_DATA}).")
    d = scope_rows(result)
    d = d[d["enough"]]
    with_results = d["school_id"].nunique()
    cover = {proc: d.loc[d["procedure"] == proc, "school_id"].nunique() for proc in result.params["procedures"]}
    if with_results and min(cover.values()) < with_results / 2:
        what = ", ".join(f"{proc} — {n}" for proc, n in cover.items())
        notes.append(f"Результаты процедур есть не у всех школ ({what} из {with_results}): где известна только "
                     "одна процедура, условие «две процедуры в одном году» выполниться не может, поэтому "
                     "отсутствие статуса ШНОР у таких школ — следствие неполных данных, а не вывод о результатах.")
    return notes


#: The abbreviations and terms of the справка, spelled out (the «Сокращения» subsection of section 1).
GLOSSARY = {
    "ШНОР": "школы с низкими образовательными результатами",
    "ШНСУ": "школы, функционирующие в неблагоприятных социальных условиях",
    "Зона риска": "школы, у которых доля не преодолевших порог выше порога зоны риска, но условие ШНОР не выполнено",
    "ОО": "общеобразовательная организация (школа)",
    "ВПР": "всероссийские проверочные работы",
    "ОГЭ": "основной государственный экзамен (9 класс)",
    "ЕГЭ": "единый государственный экзамен (11 класс)",
    "ГИА": "государственная итоговая аттестация (ОГЭ и ЕГЭ)",
    "ИСБШ": "индекс социального благополучия школы: чем ниже, тем сложнее социальный состав учеников",
    "ИУРШ": "индекс учительских ресурсов школы: образование, категория и стаж педагогов",
    "Индекс качества": "доля учеников, достигших базового уровня (или иной показатель результатов, заданный в параметрах)",
    "Резильентная школа": "школа, результаты которой устойчиво выше ожидаемых для её социального контекста",
    "ИОМ": "индивидуальный образовательный маршрут педагога",
    "ШППКО": "школьная программа повышения качества образования",
    "п.п.": "процентные пункты: разность двух долей в процентах",
}


def glossary_text() -> str:
    """The «Сокращения» list of the справка (Markdown)."""
    return "\n".join(f"- **{k}** — {v}." for k, v in GLOSSARY.items())
