"""Words and tables of the season report, generated from a :class:`SeasonResult`.

Each ``*_text`` function returns one short Russian conclusion (Markdown) for one
section of the analytical report and quotes the numbers it rests on; each
``*_table`` function returns a DataFrame with Russian column headers for the
reader. Nothing here recomputes what the library computed: counts, shares,
intervals and flags are read from the result; the only computation of this
module is the comparison of two seasons (:func:`status_changes`).

When a section cannot be computed the text says «недостаточно данных» and why.
All functions are pure (no disk I/O) except :func:`package_versions`, which reads
the installed packages' metadata.

Usage::

    from shnor_lib.report import narrative as nv
    Markdown(nv.summary_text(res, prev))
    nv.style_table(nv.identified_table(res))
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from urllib.parse import quote

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from ..analysis.models import BELOW, FAMILY_LABELS, RESILIENT, formula_variables, min_effect_for
from ..analysis.rules import FLAG_LABELS
from .format import fmt_g, fmt_int, fmt_num, fmt_p, fmt_pct, p_text, plural

__all__ = [
    "report_title",
    "summary_text",
    "identified_text",
    "identified_table",
    "status_changes",
    "changes_text",
    "changes_table",
    "assessment_text",
    "assessment_table",
    "objectivity_text",
    "objectivity_table",
    "context_text",
    "identifier_table_view",
    "model_text",
    "coefficient_table",
    "resilience_text",
    "funnel_text",
    "resilience_table",
    "clusters_text",
    "clusters_table",
    "data_quality_text",
    "not_computed_table",
    "data_issues_table",
    "methodology_text",
    "flatten_params",
    "parameters_table",
    "relative_path",
    "input_files_table",
    "package_versions",
    "indicator_value",
    "monitoring_table",
    "monitoring_text",
    "diagnostics_table",
    "diagnostics_text",
    "risk_text",
    "risk_groups_table",
    "short_trigger",
    "recommendations_by_school",
    "measures_table",
    "transitions_table",
    "transitions_text",
    "fail_changes_table",
    "fail_changes_text",
    "support_table",
    "support_text",
    "explain_table",
    "explain_text",
    "leaders_table",
    "leaders_text",
    "CARD_LINK",
    "card_links",
    "md",
    "style_table",
    "table",
]

STATUS_ORDER = ["ШНОР+ШНСУ", "ШНОР", "ШНСУ", "зона риска"]
NO_DATA = "недостаточно данных"


# ---------------------------------------------------------------- formatting

def _text(values: pd.Series) -> pd.Series:
    """Text column with "" for missing values (works for all-NaN float columns too)."""
    return values.astype(object).where(values.notna(), "")


def _schools(n: int) -> str:
    return f"{n} {plural(n, 'школа', 'школы', 'школ')}"


def _schools_gen(n: int) -> str:
    """Genitive after «для», «из»: 1 школы, 2 школ, 5 школ."""
    return f"{n} {plural(n, 'школы', 'школ', 'школ')}"


def _id_key(s) -> tuple:
    return (0, int(s), "") if str(s).isdigit() else (1, 0, str(s))


def _sorted_ids(ids: Iterable) -> list[str]:
    return sorted((str(i) for i in ids), key=_id_key)


def _by_id(df: pd.DataFrame, col: str = "school_id") -> pd.DataFrame:
    """Rows ordered by school code (numeric codes numerically)."""
    order = sorted(range(len(df)), key=lambda i: _id_key(df[col].iat[i]))
    return df.iloc[order]


def _name_of(schools: pd.DataFrame) -> dict[str, str]:
    return dict(zip(schools["school_id"].astype(str), _text(schools["name"]).astype(str), strict=True))


def _school_list(ids: Iterable, names: dict[str, str], with_names: bool = True) -> str:
    """«7 (МБОУ СОШ № 7), 14 (…)» (or just «7, 14») in code order."""
    ids = _sorted_ids(ids)
    if not with_names:
        return ", ".join(ids)
    return ", ".join(f"{i} ({names[i]})" if names.get(i) else str(i) for i in ids)


def _flag(schools: pd.DataFrame, col: str) -> pd.Series:
    return schools[col].astype(object).where(schools[col].notna(), False).astype(bool)


def _is_risk(schools: pd.DataFrame) -> pd.Series:
    """Status «зона риска» (a ШНСУ school with the risk flag keeps status ШНСУ, §3.4)."""
    return _text(schools["status"]).eq("зона риска")


def _has_input(result, stem: str, year: int | None = None) -> bool:
    """Whether the season's input files (``result.checksums``) include ``stem``."""
    year = result.year if year is None else year
    for path in result.checksums:
        p = _pure(path)
        if p.stem == stem and p.parent.name == str(year):
            return True
    return False


def _pure(path: str) -> PurePath:
    return PureWindowsPath(path) if "\\" in str(path) else PurePosixPath(str(path))


def _published_indices(result) -> bool:
    src = result.schools.get("indices_source")
    return src is not None and _text(src).eq("файл indices").any()


# ---------------------------------------------------------------- title and summary

def report_title(result, name: str | None = None) -> str:
    """The report's title line (Markdown ``#``) carrying the municipality and the year."""
    who = name or result.params.get("municipality_name") or f"муниципалитет «{result.municipality}»"
    return f"# Аналитическая справка по итогам мониторинга ШНОР и ШНСУ\n\n**{who}, {result.year} год**"


def _plan(params: dict) -> tuple[float | None, float | None]:
    t = (params.get("targets") or {}).get("shnor_shnsu_share") or {}
    return t.get("baseline"), t.get("plan")


def _pct_value(v: float) -> str:
    """A percentage given in percent units (targets): 10 → «10%», 17.5 → «17,5%»."""
    return fmt_g(v) + "%"


def summary_text(result, previous=None) -> str:
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
    both = int((_flag(s, "shnor") & _flag(s, "shnsu")).sum())
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
    parts.append(f"В зоне риска — {_schools(sh['risk_zone'])}; без статуса — "
                 f"{_schools(int(_text(s['status']).eq('').sum()))}.")
    caveats = []
    if previous is not None:
        ps = previous.shares
        diff = (share - ps["share_shnor_shnsu"]) * 100
        trend = "не изменилась" if abs(diff) < 0.05 else ("выросла" if diff > 0 else "снизилась")
        parts.append(f"В {previous.year} году доля ШНОР и ШНСУ составляла {fmt_pct(ps['share_shnor_shnsu'])} "
                     f"({ps['shnor_or_shnsu']} из {ps['schools']}) — за год она {trend}"
                     + ("." if trend == "не изменилась" else f" на {fmt_num(abs(diff), 1)} п.п."))
    else:
        caveats.append(f"Данных за {y - 1} год нет: условие «одна процедура два года подряд» не проверялось, "
                       "статусы определены только по условию двух процедур в одном году; "
                       f"сравнение с прошлым годом — {NO_DATA}.")
    if not shnsu_known:
        caveats.append(_no_isbsh_reason(result))
    elif not s["isbsh"].notna().any():
        caveats.append(("Социального паспорта (файл social) нет, поэтому ИСБШ по методике не рассчитан; "
                        if not _has_input(result, "social") else "ИСБШ по социальному паспорту не рассчитан; ")
                       + "ШНСУ определены по опубликованным группам ИСБШ (файл indices).")
    caveats.extend(_coverage_notes(result))
    text = " ".join(parts)
    if caveats:
        text += "\n\n**Ограничения данных:**\n\n" + "\n".join(f"- {c}" for c in caveats)
    return text


def _coverage_notes(result) -> list[str]:
    """Cautions when the rules could not see every school or every procedure."""
    s = result.schools
    notes = []
    no_res = _text(s["reasons"]).str.contains("нет результатов в объёме правила")
    if no_res.any():
        ids = _sorted_ids(s.loc[no_res, "school_id"])
        notes.append(f"Для {_schools_gen(len(ids))} ({', '.join(ids)}) нет результатов в объёме правила — "
                     f"их статус не определяется ({NO_DATA}).")
    d = _scope_rows(result)
    d = d[d["enough"]]
    with_results = d["school_id"].nunique()
    cover = {proc: d.loc[d["procedure"] == proc, "school_id"].nunique() for proc in result.params["procedures"]}
    if with_results and min(cover.values()) < with_results / 2:
        what = ", ".join(f"{proc} — {n}" for proc, n in cover.items())
        notes.append(f"Результаты процедур есть не у всех школ ({what} из {with_results}): где известна только "
                     "одна процедура, условие «две процедуры в одном году» выполниться не может, поэтому "
                     "отсутствие статуса ШНОР у таких школ — следствие неполных данных, а не вывод о результатах.")
    return notes


def _no_isbsh_reason(result) -> str:
    if not _has_input(result, "social"):
        return ("Социального паспорта (файл social) нет, поэтому ИСБШ не рассчитан и ШНСУ не определяются — "
                f"{NO_DATA}.")
    return f"ИСБШ не рассчитан (в социальном паспорте нет нужных сведений), ШНСУ не определяются — {NO_DATA}."


# ---------------------------------------------------------------- identified schools

_REASON_PREFIXES = ("ШНОР:", "зона риска:", "ШНСУ:", "исключено как необъективное")


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def identified_table(result) -> pd.DataFrame:
    """Schools with a status (or a risk-zone flag) and the reasons in words and numbers.

    Returns
    -------
    DataFrame
        «Код ОО», «Наименование», «Статус», «Основание» (one reason per line).
    """
    s = result.schools
    keep = _text(s["status"]).ne("") | _flag(s, "risk_zone")
    d = s[keep].copy()
    rows = []
    for r in d.itertuples():
        parts = [p.strip() for p in str(r.reasons or "").split(" | ")]
        why = [re.sub(r"(?<![\w.])-(?=\d)", "−", p) for p in parts if p.startswith(_REASON_PREFIXES)]
        status = r.status or ""
        if status == "ШНСУ" and bool(r.risk_zone):
            status = "ШНСУ (и признаки зоны риска)"
        rows.append({"Код ОО": str(r.school_id), "Наименование": r.name, "Статус": status,
                     "Основание": "\n".join(why), "_rank": _status_rank(r.status or "")})
    out = pd.DataFrame(rows, columns=["Код ОО", "Наименование", "Статус", "Основание", "_rank"])
    out = out.sort_values(["_rank", "Код ОО"], key=lambda c: c.map(_id_key) if c.name == "Код ОО" else c)
    return out.drop(columns="_rank").reset_index(drop=True)


def identified_text(result, cards: bool = True) -> str:
    """Section 2: which schools are ШНОР, ШНСУ, зона риска, by code and name, and by which branch.
    ``cards=False`` (reports made without school cards) does not promise links to them."""
    s = result.schools
    names = _name_of(s)
    ids = s["school_id"].astype(str)
    shnor = ids[_flag(s, "shnor")]
    shnsu = ids[_flag(s, "shnsu")]
    risk = ids[_is_risk(s)]
    lines = []
    if len(shnor):
        br = _text(s.loc[_flag(s, "shnor"), "shnor_branch"]).value_counts()
        how = []
        if br.get("две процедуры"):
            how.append(f"по условию «две процедуры в одном году» — {br['две процедуры']}")
        if br.get("два года подряд"):
            how.append(f"по условию «одна процедура два года подряд» — {br['два года подряд']}")
        lines.append(f"- **ШНОР ({len(shnor)})**: {_school_list(shnor, names)}"
                     + (f" ({'; '.join(how)})." if how else "."))
    else:
        lines.append("- **ШНОР**: не выявлено.")
    if s["isbsh_group"].notna().any() or s["isbsh"].notna().any():
        lines.append(f"- **ШНСУ ({len(shnsu)})**: {_school_list(shnsu, names)}." if len(shnsu)
                     else "- **ШНСУ**: не выявлено.")
    else:
        lines.append(f"- **ШНСУ**: не определялись — {NO_DATA} (нет ИСБШ).")
    lines.append(f"- **Зона риска ({len(risk)})**: {_school_list(risk, names)}." if len(risk)
                 else "- **Зона риска**: школ нет.")
    extra = ids[_flag(s, "shnsu") & _flag(s, "risk_zone") & ~_flag(s, "shnor")]
    if len(extra):
        lines.append(f"- ШНСУ с признаками зоны риска (статус — ШНСУ): {_school_list(extra, names, False)}.")
    tail = ("Основания — в таблице ниже: процедура, предмет, год, доля не преодолевших порог и число участников"
            + ("; код школы в таблице — ссылка на её карточку." if cards else "."))
    if not len(shnor) and not len(shnsu) and not len(risk):
        tail = ("Школы, у которых доля не преодолевших порог достигла порога хотя бы в одной процедуре, "
                "перечислены в разделе 3.")
    return "\n".join(lines) + "\n\n" + tail


# ---------------------------------------------------------------- what changed

_LISTS = (("ШНОР", lambda s: _flag(s, "shnor")), ("ШНСУ", lambda s: _flag(s, "shnsu")),
          ("зона риска", _is_risk))


def status_changes(current, previous) -> pd.DataFrame:
    """Schools that entered, left or stayed in each list (ШНОР, ШНСУ, зона риска) between two seasons.

    A school is in the ШНОР list when flagged ШНОР (also ШНОР+ШНСУ), in the ШНСУ list
    when flagged ШНСУ, in the risk-zone list when its status is «зона риска». A school
    absent from the previous season counts as not listed then (and vice versa).

    Parameters
    ----------
    current, previous : SeasonResult
        The same municipality, years Y and Y − 1.

    Returns
    -------
    DataFrame
        list, change («вошла» / «вышла» / «осталась»), school_id, name, status_before,
        status_now; ordered by list, change, school code.
    """
    cur = current.schools.assign(school_id=current.schools["school_id"].astype(str)).set_index("school_id")
    prev = previous.schools.assign(school_id=previous.schools["school_id"].astype(str)).set_index("school_id")
    names = {**_name_of(previous.schools), **_name_of(current.schools)}
    rows = []
    for label, member in _LISTS:
        now = set(cur.index[member(cur).values])
        before = set(prev.index[member(prev).values])
        for change, ids in (("вошла", now - before), ("вышла", before - now), ("осталась", now & before)):
            for sid in ids:
                rows.append({"list": label, "change": change, "school_id": sid, "name": names.get(sid, ""),
                             "status_before": prev["status"].get(sid, None) if sid in prev.index else None,
                             "status_now": cur["status"].get(sid, None) if sid in cur.index else None})
    out = pd.DataFrame(rows, columns=["list", "change", "school_id", "name", "status_before", "status_now"])
    order_l = {lab: i for i, (lab, _) in enumerate(_LISTS)}
    order_c = {"вошла": 0, "вышла": 1, "осталась": 2}
    if len(out):
        out = out.sort_values(["list", "change", "school_id"],
                              key=lambda c: c.map(order_l) if c.name == "list"
                              else (c.map(order_c) if c.name == "change" else c.map(_id_key)))
    return out.reset_index(drop=True)


def changes_text(current, previous=None) -> str:
    """«Что изменилось»: who entered, left and stayed in each list, by code and name."""
    if previous is None:
        return (f"Сравнение с {current.year - 1} годом — {NO_DATA}: сезон {current.year - 1} года не загружен. "
                "Вошедшие в списки и вышедшие из них школы будут показаны, когда появятся данные двух лет подряд.")
    ch = status_changes(current, previous)
    names = {**_name_of(previous.schools), **_name_of(current.schools)}
    lines = [f"Сравнение {current.year} года с {previous.year} годом:"]
    shnsu_known = current.schools["isbsh_group"].notna().any() or current.schools["isbsh"].notna().any()
    for label, _ in _LISTS:
        if label == "ШНСУ" and not shnsu_known:
            lines.append(f"- **ШНСУ**: {NO_DATA} (нет ИСБШ).")
            continue
        shown = label[0].upper() + label[1:]
        d = ch[ch["list"] == label]
        parts = []
        for change, word in (("вошла", "вошли"), ("вышла", "вышли"), ("осталась", "остались")):
            ids = d.loc[d["change"] == change, "school_id"]
            parts.append(f"{word} — {_school_list(ids, names)}" if len(ids) else f"{word} — нет")
        lines.append(f"- **{shown}**: " + "; ".join(parts[:2]) + f"; {parts[2]}.")
    # status moves between lists (e.g. ШНОР → зона риска) are visible in the table
    return "\n".join(lines)


def changes_table(current, previous) -> pd.DataFrame:
    """The status of every school whose status changed between Y − 1 and Y, with Russian headers."""
    cur = current.schools[["school_id", "name", "status"]].assign(school_id=lambda d: d["school_id"].astype(str))
    prev = previous.schools[["school_id", "status"]].assign(school_id=lambda d: d["school_id"].astype(str))
    m = cur.merge(prev, on="school_id", how="outer", suffixes=("_now", "_before"))
    m["status_now"] = _text(m["status_now"])
    m["status_before"] = _text(m["status_before"])
    m = m[m["status_now"] != m["status_before"]]
    m = _by_id(m)
    def word(s: str) -> str:
        return s or "без статуса"
    return pd.DataFrame({
        "Код ОО": m["school_id"].values,
        "Наименование": _text(m["name"]).values,
        f"Статус {previous.year}": [word(v) for v in m["status_before"]],
        f"Статус {current.year}": [word(v) for v in m["status_now"]],
    })


# ---------------------------------------------------------------- assessment results

def _scope_rows(result) -> pd.DataFrame:
    m = result.metrics
    p = result.params
    return m[(m["year"] == result.year) & m["procedure"].isin(p["procedures"]) & m["subject"].isin(p["subjects"])]


def assessment_table(result) -> pd.DataFrame:
    """Municipal totals per procedure and subject in the rules' scope (Σ over schools).

    Returns
    -------
    DataFrame
        «Процедура», «Предмет», «Школ», «Участников», «Не преодолели порог, %»,
        «Качество знаний, %», «Школ с долей «2» ≥ порога» (shares in percent units).
    """
    d = _scope_rows(result)
    th = result.params["shnor_threshold"]
    rows = []
    order = {p: i for i, p in enumerate(result.params["procedures"])}
    for (proc, subj), g in sorted(d.groupby(["procedure", "subject"]), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
        n = g["participants"].sum()
        q = g["quality"].sum(min_count=1)
        over = g[(g["fail_share"] >= th - 1e-12) & g["enough"]]
        label = proc + (f" ({min(result.params['vpr_grades'])}–{max(result.params['vpr_grades'])} кл.)"
                        if proc == "ВПР" else "")
        rows.append({"Процедура": label, "Предмет": subj, "Школ": len(g), "Участников": int(n),
                     "Не преодолели порог, %": 100 * g["failed"].sum() / n if n else np.nan,
                     "Качество знаний, %": 100 * q / n if n and pd.notna(q) else np.nan,
                     f"Школ с долей «2» ≥ {fmt_pct(th, 0)}": len(over)})
    return pd.DataFrame(rows)


def assessment_text(result) -> str:
    """Section 3: municipal fail shares per procedure and subject, and the schools over the threshold."""
    d = _scope_rows(result)
    if d.empty:
        return f"Результатов оценочных процедур в объёме правила за {result.year} год нет — {NO_DATA}."
    th = result.params["shnor_threshold"]
    lines = [f"Доля не преодолевших минимальный порог в {result.year} году (все школы вместе, Σ «2» / Σ участников):"]
    for r in assessment_table(result).itertuples(index=False):
        proc, subj, _, n, fail = r[0], r[1], r[2], r[3], r[4]
        sub = d[(d["procedure"] == proc.split(" ")[0]) & (d["subject"] == subj)]
        over = sub[(sub["fail_share"] >= th - 1e-12) & sub["enough"]]
        who = f"; школ с долей не ниже {fmt_pct(th, 0)} — {len(over)}" + (
            f" ({', '.join(_sorted_ids(over['school_id']))})" if len(over) else "")
        lines.append(f"- {proc}, {subj}: {fmt_num(fail, 1)}% из {fmt_int(n)} участников{who}.")
    small = d[~d["enough"]]
    if len(small):
        lines.append(f"\n{len(small)} {plural(len(small), 'результат', 'результата', 'результатов')} с числом "
                     f"участников меньше {result.params['min_participants']} показаны на диаграммах бледнее, "
                     "но в правиле не учитываются.")
    lines.append("\nНа диаграммах отметок школы упорядочены по коду; пунктир — порог ШНОР. "
                 "На тепловой карте в каждой ячейке — доля «2» и число участников: малые классы дают "
                 "неустойчивые доли, поэтому смотрите на n.")
    return "\n".join(lines)


# ---------------------------------------------------------------- objectivity

def objectivity_table(result) -> pd.DataFrame:
    """Flagged results, one row per school × procedure × subject × sign (grades listed together).

    Returns
    -------
    DataFrame
        «Код ОО», «Наименование», «Процедура», «Предмет», «Классы», «Признак», «Подробности»
        (one line per grade).
    """
    cols = ["Код ОО", "Наименование", "Процедура", "Предмет", "Классы", "Признак", "Подробности"]
    f = result.flags
    if f is None or f.empty:
        return pd.DataFrame(columns=cols)
    names = _name_of(result.schools)
    rows = []
    for (sid, proc, subj, label), g in f.assign(school_id=f["school_id"].astype(str)).groupby(
            ["school_id", "procedure", "subject", "flag_label"], sort=False):
        g = g.sort_values("grade")
        rows.append([sid, names.get(sid, ""), proc, subj, ", ".join(str(int(v)) for v in g["grade"]), label,
                     "\n".join(g["detail"])])
    out = pd.DataFrame(rows, columns=cols)
    order = sorted(range(len(out)), key=lambda i: (_id_key(out.iat[i, 0]), out.iat[i, 2], out.iat[i, 3], out.iat[i, 5]))
    return out.iloc[order].reset_index(drop=True)


def objectivity_text(result) -> str:
    """Section 4: how many results carry signs of non-objectivity, of which kind, and what was done."""
    f = result.flags
    p = result.params
    if f is None or f.empty:
        return (f"Признаков возможной необъективности результатов {result.year} года не выявлено "
                "(проверены резкие отличия параллелей, завышенные результаты и, где есть данные ФИС ОКО, "
                "несоответствие ВПР и школьных отметок).")
    kinds = f["flag"].value_counts()
    what = "; ".join(f"{FLAG_LABELS.get(k, k)} — {v}" for k, v in kinds.items())
    n_sch = f["school_id"].nunique()
    n_res = len(f[["school_id", "procedure", "subject", "grade"]].drop_duplicates())
    text = (f"Признаки возможной необъективности: {len(f)} (у {n_res} "
            f"{plural(n_res, 'результата', 'результатов', 'результатов')} в {n_sch} "
            f"{plural(n_sch, 'школе', 'школах', 'школах')}: {what}); "
            f"школы: {', '.join(_sorted_ids(f['school_id'].unique()))}. ")
    if p["exclude_nonobjective"]:
        ex = result.excluded
        text += (f"По параметрам расчёта такие результаты исключены из определения статусов "
                 f"({len(ex)} {plural(len(ex), 'результат', 'результата', 'результатов')}).")
    else:
        text += ("По параметрам расчёта они учтены при определении статусов: признак — повод для проверки, "
                 "а не доказательство необъективности.")
    text += (f" Резкое отличие параллели: доля «2» в классе вне {fmt_pct(p['objectivity']['jump_confidence'], 0)} "
             f"биномиального интервала вокруг других классов школы и отличается не менее чем на "
             f"{p['objectivity']['jump_min_pp']} п.п.")
    return text


# ---------------------------------------------------------------- social context and indices

def context_text(result) -> str:
    """Section 5: ИСБШ and ИУРШ — computed, published or absent; ШНСУ by the rule; the identifier table."""
    s = result.schools
    p = result.params
    names = _name_of(s)
    lines = []
    has_z = s["isbsh"].notna().any()
    has_g = s["isbsh_group"].notna().any()
    rule = p["shnsu_rule"]
    crit = (f"группа ИСБШ не выше {rule['isbsh_group_max']} («очень низкий»)" if rule.get("isbsh_group_max") is not None
            else f"ИСБШ в нижних {fmt_pct(rule['isbsh_quantile'], 0)} школ")
    shnsu = s.loc[_flag(s, "shnsu"), "school_id"].astype(str)
    if has_z:
        w = result.isbsh_info.get("weights", {})
        lines.append(f"**ИСБШ** рассчитан по социальному паспорту для {_schools_gen(int(s['isbsh'].notna().sum()))} "
                     f"(среднее 0, стандартное отклонение 1; от {fmt_num(s['isbsh'].min())} до "
                     f"{fmt_num(s['isbsh'].max())}). Учтено показателей: {len(w)}.")
    elif has_g:
        why = "социального паспорта (файл social) нет, поэтому ИСБШ по методике не рассчитан" \
            if not _has_input(result, "social") else "по социальному паспорту ИСБШ не рассчитан"
        lines.append(f"**ИСБШ**: {why} — {NO_DATA}. Использованы опубликованные группы ИСБШ (файл indices) "
                     f"для {_schools_gen(int(s['isbsh_group'].notna().sum()))} из {len(s)}.")
    else:
        lines.append(f"**ИСБШ**: {_no_isbsh_reason(result)} Раздел о социальном контексте не строится.")
    if has_z or has_g:
        lines.append(f"ШНСУ — {crit}: " + (f"{_school_list(shnsu, names)}." if len(shnsu) else "таких школ нет."))
    if s["iursh_group"].notna().any():
        low = s.loc[s["iursh_group"] == 1, "school_id"].astype(str)
        if s["iursh"].notna().any() and _published_indices(result):
            src = "рассчитан по файлу teachers, опубликованные группы (файл indices) имеют приоритет"
        elif s["iursh"].notna().any():
            src = "рассчитан по сведениям о педагогах, файл teachers"
        else:
            src = "опубликованные группы, файл indices"
        lines.append(f"**ИУРШ** известен для {_schools_gen(int(s['iursh_group'].notna().sum()))} ({src}); "
                     f"группа 1 (низкий учительский ресурс): "
                     + (f"{_school_list(low, names, False)}." if len(low) else "нет."))
    else:
        lines.append(f"**ИУРШ**: нет сведений о педагогах (файл teachers) — {NO_DATA}.")
    both = s.dropna(subset=["isbsh_group", "quality_group"])
    if len(both):
        low_q = both["quality_group"] <= 4
        ctx = both.loc[low_q & (both["isbsh_group"] >= 5), "school_id"]
        poor = both.loc[low_q & (both["isbsh_group"] <= 4), "school_id"]
        lines.append(f"Таблица-идентификатор (ниже) распределяет {_schools(len(both))} по группам ИСБШ (строки) и "
                     "группам качества (столбцы). Низкое качество (группы 1–4) при среднем или высоком ИСБШ "
                     "(группы 5–11) — результаты не объясняются социальным контекстом: "
                     + (", ".join(_sorted_ids(ctx)) if len(ctx) else "таких школ нет") + "; "
                     "низкое качество при низком ИСБШ (группы 1–4): "
                     + (", ".join(_sorted_ids(poor)) if len(poor) else "таких школ нет") + ".")
    else:
        lines.append(f"Таблица-идентификатор (ИСБШ × качество) — {NO_DATA}: нет групп ИСБШ или качества.")
    return "\n\n".join(lines)


def identifier_table_view(result) -> pd.DataFrame:
    """The 11 × 11 identifier table (seed 004) as a flat table: «Группа ИСБШ», 1…11, «Итого ОО»."""
    t = result.identifier_table.copy()
    t.columns = [str(c) for c in t.columns]
    t.insert(0, "Группа ИСБШ", [str(i) for i in t.index])
    return t.reset_index(drop=True)


# ---------------------------------------------------------------- quality model

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
             + f"), {_schools(model.n)}; R² = {fmt_num(model.r2)} — модель объясняет "
             f"{fmt_pct(model.r2)} различий индекса качества между школами."]
    if _published_indices(result):
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
                     f"({_schools(e.n_groups)}, все загруженные годы): она отделяет устойчивое отличие школы "
                     "от колебаний отдельного года.")
        warn += list(e.warnings)
    text = " ".join(parts)
    if warn:
        text += "\n\n**Ограничения:** " + "; ".join(warn) + "."
    return text


def funnel_text(result) -> str:
    """What the funnel plot shows: schools beyond the 95% and 99,8% control limits."""
    from .plots import _Z95, _Z998, funnel_limits

    s = result.schools
    d = s.dropna(subset=["residual", "quality_n"])
    d = d[d["quality_n"] > 0]
    if result.model is None:
        return f"Воронкообразная диаграмма — {NO_DATA}: модель качества не построена."
    if len(d) < 5:
        why = (" (индекс качества взят из опубликованной таблицы, число участников в ней не указано)"
               if _published_indices(result) else "")
        return (f"Воронкообразная диаграмма — {NO_DATA}: число участников, по которым рассчитан индекс качества, "
                f"известно только для {_schools_gen(len(d))}{why}.")
    _, k = funnel_limits(d["residual"], d["quality_n"], _Z95)
    lim = np.sqrt(k / d["quality_n"].astype(float))
    out95 = d[(d["residual"].abs() > _Z95 * lim) & (d["residual"].abs() <= _Z998 * lim)]
    out998 = d[d["residual"].abs() > _Z998 * lim]

    def ids(x):
        return ", ".join(f"{i} ({'выше' if r > 0 else 'ниже'})" for i, r in
                         zip(_by_id(x)["school_id"].astype(str), _by_id(x)["residual"], strict=True)) or "нет"

    return ("Воронкообразная диаграмма сопоставляет отклонение школы от модели с числом участников: у малых "
            "школ разброс естественно больше, поэтому границы расширяются к малым n (дисперсия остатков "
            "с формой 1/√n). "
            f"За 99,8% границами: {ids(out998)}; между 95% и 99,8% границами: {ids(out95)}. "
            f"Даже без реальных различий при {_schools(len(d))} за 95% границу случайно выходят около "
            f"{_schools(round(0.05 * len(d)))}; выход за 99,8% границу — повод для разбора.")


def _effects_years(result) -> str:
    years = sorted({int(_pure(k).parent.name) for k in result.checksums if _pure(k).parent.name.isdigit()})
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
    by_year = _text(s["resilience"]).eq(kind)
    by_eff = _text(s["effect_label"]).eq(kind) if "effect_label" in s else pd.Series(False, index=s.index)
    d = s[by_year | by_eff]
    d = _by_id(d)
    years = _effects_years(result)
    basis = []
    for y_flag, e_flag, eff in zip(by_year[d.index], by_eff[d.index], d["school_effect"] if "school_effect" in d
                                   else [np.nan] * len(d), strict=True):
        parts = ([f"модель {result.year} г."] if y_flag else []) + \
                ([f"эффект школы {years} ({fmt_num(eff, 3)})"] if e_flag else [])
        basis.append("; ".join(parts))
    return pd.DataFrame({
        "Код ОО": d["school_id"].astype(str).values,
        "Наименование": _text(d["name"]).values,
        "Статус": _text(d["status"]).replace("", "без статуса").values,
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


# ---------------------------------------------------------------- clusters

def clusters_table(result) -> pd.DataFrame:
    """Clusters: «Кластер», «Число ОО», «Школы», «Не преодолели порог, %», «Качество знаний, %»."""
    c = result.clusters
    if c is None or c.empty:
        return pd.DataFrame(columns=["Кластер", "Число ОО", "Школы", "Не преодолели порог, %", "Качество знаний, %"])
    return pd.DataFrame({
        "Кластер": c["cluster"].astype(int).values,
        "Число ОО": c["n"].astype(int).values,
        "Школы": c["schools"].values,
        "Не преодолели порог, %": 100 * c["fail_share"].values,
        "Качество знаний, %": 100 * c["quality_share"].values,
    })


def clusters_text(result) -> str:
    """Section 7: the clusters in words, and where the identified schools fall."""
    c = result.clusters
    p = result.params["clustering"]
    if c is None or c.empty:
        n = int(result.schools["cluster"].notna().sum()) if "cluster" in result.schools else 0
        return (f"Кластеры не построены — {NO_DATA}: нужно не меньше {max(p['min_schools'], p['n_clusters'] + 1)} "
                f"школ с результатами {', '.join(p['procedures'])} по русскому языку и математике (есть: {n}).")
    lines = [f"Школы разделены на {len(c)} {plural(len(c), 'кластер', 'кластера', 'кластеров')} по долям «2» и "
             f"качеству знаний ({', '.join(p['procedures'])}, русский язык и математика; метод Уорда); "
             "кластер 1 — самые низкие результаты."]
    for d in c["description"]:
        lines.append(f"- {d}")
    s = result.schools
    low = s[(s["cluster"] == 1)]
    flagged = low[_text(low["status"]).ne("")]
    if len(low):
        lines.append(f"\nВ кластере 1 — {_schools(len(low))}; из них со статусом: "
                     + (", ".join(f"{i} ({st})" for i, st in zip(flagged["school_id"].astype(str), flagged["status"], strict=True))
                        if len(flagged) else "нет") + ".")
    return "\n".join(lines)


# ---------------------------------------------------------------- data quality

def data_issues_table(result, data_root: str | None = None) -> pd.DataFrame:
    """Quarantined and converted input rows: «Файл», «Строка», «Код ОО», «Результат», «Действие», «Причина».

    «Файл» is relative to the municipality's folder (``2024/results.csv``): the report is about one
    municipality, and short paths keep the table within the page.
    """
    i = result.issues
    cols = ["Файл", "Строка", "Код ОО", "Результат", "Действие", "Причина"]
    if i is None or i.empty:
        return pd.DataFrame(columns=cols)

    def what(r) -> str:
        parts = [str(v) for v in (r.get("procedure"), r.get("subject")) if isinstance(v, str) and v]
        g = r.get("grade")
        if g is not None and pd.notna(g) and str(g) != "":
            parts.append(f"{int(float(g))} кл.")
        return ", ".join(parts)

    return pd.DataFrame({
        "Файл": [re.sub(rf"^{re.escape(result.municipality)}/", "", relative_path(f, data_root)) for f in i["file"]],
        "Строка": [int(v) if pd.notna(v) else "" for v in i["row"]],
        "Код ОО": _text(i["school_id"]).astype(str).values,
        "Результат": [what(r) for _, r in i.iterrows()],
        "Действие": i["action"].values,
        "Причина": i["reason"].values,
    })


def not_computed_table(result) -> pd.DataFrame:
    """What the data did not allow, by report section, and why: «Раздел», «Не рассчитано», «Причина»."""
    s = result.schools
    rows = []
    no_social = not _has_input(result, "social")
    if not s["isbsh"].notna().any():
        why = "нет социального паспорта (файл social)" if no_social else "в социальном паспорте нет нужных сведений"
        if s["isbsh_group"].notna().any():
            rows.append(("5. Социальный контекст", "ИСБШ по социальному паспорту",
                         f"{why}; использованы опубликованные группы ИСБШ (файл indices)"))
            rows.append(("1–2. Итоги, выявленные школы", "ШНСУ по рассчитанному ИСБШ",
                         f"{why}; ШНСУ определены по опубликованным группам ИСБШ"))
        else:
            rows.append(("5. Социальный контекст", "ИСБШ и таблица-идентификатор", why))
            rows.append(("1–2. Итоги, выявленные школы", "ШНСУ", f"{why}: без ИСБШ ШНСУ не определяются"))
    if not s["iursh_group"].notna().any():
        rows.append(("5. Социальный контекст", "ИУРШ", "нет сведений о педагогах (файл teachers)"))
    if result.previous_year is None:
        rows.append(("2. Что изменилось", "сравнение с прошлым годом; условие «одна процедура два года подряд»",
                     f"нет данных за {result.year - 1} год"))
    if result.model is None:
        rows.append(("6. Качество с учётом контекста", "модель качества, резильентные школы",
                     "мало школ с индексом качества и показателями контекста"))
    else:
        d = s.dropna(subset=["residual", "quality_n"])
        if len(d[d["quality_n"] > 0]) < 5:
            rows.append(("6. Качество с учётом контекста", "воронкообразная диаграмма",
                         "неизвестно число участников, по которым рассчитан индекс качества"
                         + (" (индекс взят из опубликованной таблицы)" if _published_indices(result) else "")))
    if result.effects is None and result.params["model"]["mixed"] != "never":
        rows.append(("6. Качество с учётом контекста", "устойчивый эффект школы (модель со случайным эффектом)",
                     "нужны данные нескольких лет по тем же школам"))
    if result.clusters is None or result.clusters.empty:
        rows.append(("7. Кластеры", "кластеры школ", "мало школ с результатами ВПР и ОГЭ"))
    y = result.year
    if not _has_input(result, "monitoring"):
        rows.append(("8. Показатели мониторинга", "показатели по форме мониторинга; уровни диагностики A–D",
                     f"нет файла monitoring за {y} год"))
    if result.previous_year is None:
        rows.append(("8. Показатели мониторинга", "уровни динамики показателей 1–3", f"загружен один год ({y})"))
    if not _has_input(result, "risk_profiles"):
        rows.append(("9. Рисковые профили", "тепловая карта факторов, группы факторов, рекомендации по факторам",
                     f"нет файла risk_profiles за {y} год"))
    if result.previous_year is None:
        rows.append(("10. Динамика", "переходы между списками, изменения долей, школы в поддержке, причины смены "
                     "статусов", f"загружен один год ({y})"))
    return pd.DataFrame(rows, columns=["Раздел", "Не рассчитано", "Причина"])


def data_quality_text(result) -> str:
    """Section 12: what the validation changed or left out, and which optional inputs are missing."""
    i = result.issues
    lines = []
    warned = i[i["action"] == "предупреждение"] if i is not None and len(i) else None
    if warned is not None and len(warned):
        i = i[i["action"] != "предупреждение"]
        schools = ", ".join(dict.fromkeys(f"{sid} ({proc})" for sid, proc in zip(warned["school_id"], warned["procedure"])))
        lines.append(f"Внимание: у {len(warned)} {plural(len(warned), 'школы', 'школ', 'школ')} строки результатов "
                     f"совпадают со строками прошлого года один в один — так бывает, когда файл или папку скопировали с "
                     f"прошлого года: {schools}. Эти строки участвуют в расчёте; если они скопированы, условие «два "
                     "года подряд» сработало по одним и тем же числам. Проверьте исходные данные (data_issues.csv, "
                     "действие «предупреждение»).")
    if i is None or i.empty:
        lines.append("Входные файлы прошли проверку: структурных ошибок нет, несогласованных строк нет.")
    else:
        acts = i["action"].value_counts()
        desc = "; ".join(f"{a} — {n}" for a, n in acts.items())
        lines.append(f"Структурных ошибок нет. Несогласованные строки ({len(i)}): {desc}. Исключённые строки не "
                     "участвуют ни в одном расчёте, преобразованные пересчитаны по документированному правилу; "
                     "исходные значения сохранены в data_issues.csv.")
    missing = [(stem, what) for stem, what in (("social", "социальный паспорт"), ("teachers", "сведения о педагогах"),
                                               ("monitoring", "мониторинг мер поддержки"),
                                               ("risk_profiles", "рисковые профили"))
               if not _has_input(result, stem)]
    if missing:
        lines.append("Нет необязательных файлов за " f"{result.year} год: "
                     + "; ".join(f"{stem} ({what})" for stem, what in missing) + ".")
    notes = [n for n in result.notes if n]
    if notes:
        lines.append("Примечания расчёта: " + "; ".join(notes) + ".")
    return "\n\n".join(lines)


# ---------------------------------------------------------------- methodology

def methodology_text(result) -> str:
    """Section 13: the rules in words with the parameter values actually used."""
    p = result.params
    th, rk = fmt_pct(p["shnor_threshold"], 0), fmt_pct(p["risk_threshold"], 0)
    grades = ", ".join(str(g) for g in p["vpr_grades"])
    subj = " и ".join(p["subjects"])
    mode = "хотя бы по одному из предметов" if p["subject_mode"] == "any" else "по каждому из предметов"
    procs = ", ".join(f"ВПР ({grades} кл.)" if x == "ВПР" else x for x in p["procedures"])
    rule = p["shnsu_rule"]
    shnsu = (f"группа ИСБШ не выше {rule['isbsh_group_max']} из 11" if rule.get("isbsh_group_max") is not None
             else f"ИСБШ в нижних {fmt_pct(rule['isbsh_quantile'], 0)} школ")
    isb = p["isbsh"]
    weights = ", ".join(f"{_INPUT_LABELS.get(k, k)} {fmt_num(v, 2)}" for k, v in isb["weights"].items())
    ref = {"municipality": "школы муниципалитета", "all": "все загруженные муниципалитеты года",
           "fixed": "фиксированные средние и стандартные отклонения из параметров"}
    q = {"oge_base": "доля достигших базового уровня на ОГЭ", "vpr_base": "доля достигших базового уровня на ВПР",
         "quality_share": "качество знаний на ОГЭ (доля «4» и «5»)", "mean_mark": "средняя отметка ОГЭ"}
    m = p["model"]
    o = p["objectivity"]
    lines = [
        f"- **ШНОР**: не менее {th} участников не преодолели минимальный порог {mode} ({subj}) в двух различных "
        f"оценочных процедурах в одном году или в одной процедуре два года подряд. Процедуры: {procs}; доли "
        f"объединяются по классам (Σ «2» / Σ участников); результаты с числом участников меньше "
        f"{p['min_participants']} не учитываются.",
        f"- **Зона риска**: то же правило с порогом {rk} для школ, не отнесённых к ШНОР.",
        f"- **ШНСУ**: {shnsu} (уровень «очень низкий»).",
        f"- **ИСБШ**: взвешенная сумма стандартизованных долей обучающихся ({weights}); эталон — "
        f"{ref[isb['reference']]}; группы 1–11 — полосы шириной {fmt_num(p['group_band_sd'], 1)} стандартного "
        "отклонения вокруг среднего (группа 6).",
        f"- **ИУРШ**: среднее z-оценок долей педагогов с высшим образованием, с категорией (ВКК + "
        f"{fmt_num(p['iursh']['category_first_weight'], 1)}·1КК) и со стажем не менее "
        f"{p['iursh']['experience_years']} лет; группы 1–4 — квартили.",
        f"- **Индекс качества**: {q[p['quality']['index']]} по предметам {subj}; группы качества 1–11 — те же "
        "полосы, что у ИСБШ.",
        f"- **Модель качества**: `{m['formula']}`, {FAMILY_LABELS[m['family']]}; "
        f"школа «резильентная» (или «ниже ожидаемого»), если её индекс значимо выше (ниже) ожидаемого "
        + (f"(поправка Бенджамини — Хохберга, доля ложных открытий {fmt_pct(m['fdr'], 0)}) " if m["multiple_testing"] == "bh"
           else f"(p < {fmt_num(m['alpha'])}) ")
        + f"и отклонение не меньше {fmt_num(min_effect_for(p))}; "
        f"при меньше чем {m['small_sample']} школах выводы помечаются как предварительные.",
        f"- **Объективность**: резкое отличие параллели (вне {fmt_pct(o['jump_confidence'], 0)} биномиального "
        f"интервала и не менее {o['jump_min_pp']} п.п.); завышенный результат (выше Q3 + {fmt_num(o['iqr_k'], 1)}·IQR "
        f"при слабых других процедурах); несоответствие ВПР и журнала («повысили» ≥ "
        f"{fmt_pct(o['mismatch_raised'], 0)} или «подтвердили» < {fmt_pct(o['mismatch_confirmed'], 0)}); "
        + ("флагованные результаты исключаются из правил." if p["exclude_nonobjective"]
           else "флагованные результаты не исключаются из правил."),
        f"- **Кластеры**: метод Уорда на стандартизованных долях «2» и «4»+«5» "
        f"({', '.join(p['clustering']['procedures'])}), {p['clustering']['n_clusters']} "
        f"{plural(p['clustering']['n_clusters'], 'кластер', 'кластера', 'кластеров')}.",
        f"- Доли сопровождаются {fmt_pct(p['confidence_level'], 0)} доверительными интервалами Вильсона.",
    ]
    lines += _support_methodology(p)
    return "\n".join(lines)


def _support_methodology(p: dict) -> list[str]:
    """Methodology lines of sections 8–11 (monitoring, risk profiles, dynamics, leaders)."""
    out = []
    mon = p.get("monitoring") or {}
    if mon:
        out.append(f"- **Показатели мониторинга**: каталог `{mon.get('catalogue', 'indicators.yml')}`; доля — "
                   "Σ числителей / Σ знаменателей по школам совокупности × 100; ответы «да/нет» — 1/0 балл; план "
                   "выполнен, если факт не хуже планового значения с учётом направления. Динамика (критерии "
                   "Первоуральска): 3 — улучшение не менее чем на "
                   f"{fmt_num(mon.get('strong_change_pp', 10), 0)} п.п. без лет ухудшения; 2 — улучшение без лет "
                   "ухудшения (или лучшее возможное значение все годы); 1 — иначе.")
    risk = p.get("risk") or {}
    if risk:
        out.append(f"- **Рисковые профили**: меры требуются при значимости фактора «{risk.get('act_on')}»; группы "
                   "факторов — параметр risk.groups; адресные рекомендации — таблица "
                   f"`{risk.get('recommendations_file')}`, для статусов: {', '.join(risk.get('recommend_for', []))}.")
    dyn = p.get("dynamics") or {}
    if dyn:
        test = {"exact": "точный критерий Фишера", "z": "z-критерий с поправкой на непрерывность"}.get(
            dyn.get("test"), dyn.get("test"))
        out.append(f"- **Динамика**: изменение доли «2» между соседними годами — {test} (двусторонний), значимо при "
                   f"p < {fmt_num(dyn.get('alpha', 0.05), 2)}; причина смены статуса — данные, параметры или ветвь "
                   "правила (пересчёт соседнего года с параметрами текущего и наоборот).")
    ld = p.get("leaders") or {}
    if ld:
        w = ld.get("weights", {})
        q = "медианы" if ld.get("fail_quantile") == 0.5 else f"квантиля {fmt_num(ld.get('fail_quantile'))}"
        out.append(f"- **Школы-лидеры**: кандидат — без статуса во все годы, доля «2» ниже {q} округа каждый год"
                   + (", без признаков необъективности" if ld.get("exclude_objectivity_flags") else "")
                   + f"; пары подбираются сразу для всех ШНОР и ШНСУ по наименьшей сумме стоимостей "
                   f"({fmt_num(w.get('isbsh', 1))}·|ΔИСБШ| + {fmt_num(w.get('territory', 1))}·[другая территория] − "
                   f"{fmt_num(w.get('resilient', 0))}·[резильентная] − {fmt_num(w.get('positive_residual', 0))}·"
                   f"[выше прогноза]), не более {ld.get('leader_capacity')} ОО на школу-лидера.")
    return out


_INPUT_LABELS = {"both_parents_higher_ed": "оба родителя с высшим образованием", "on_register": "на учёте",
                 "unemployed_parents": "безработные родители", "single_parent": "неполные семьи",
                 "non_native_russian": "русский язык не родной"}

PARAM_LABELS = {
    "procedures": "процедуры, учитываемые в правилах", "vpr_grades": "классы ВПР в правилах",
    "subjects": "предметы в правилах", "subject_mode": "any — достаточно одного предмета; all — все предметы",
    "min_participants": "минимальное число участников результата", "shnor_threshold": "порог доли «2» для ШНОР",
    "risk_threshold": "порог доли «2» для зоны риска", "ege_high_score": "высокий балл ЕГЭ",
    "confidence_level": "уровень доверия интервалов Вильсона",
    "shnsu_rule.isbsh_group_max": "ШНСУ: наибольшая группа ИСБШ", "shnsu_rule.isbsh_quantile": "ШНСУ: нижняя доля ИСБШ",
    "objectivity.jump_min_pp": "резкое отличие параллели: минимум, п.п.",
    "objectivity.jump_confidence": "резкое отличие параллели: уровень интервала",
    "objectivity.iqr_k": "завышенный результат: множитель IQR", "objectivity.inflated_metric": "завышенный результат: показатель",
    "objectivity.mismatch_raised": "ВПР и журнал: порог «повысили»",
    "objectivity.mismatch_confirmed": "ВПР и журнал: порог «подтвердили»",
    "exclude_nonobjective": "исключать флагованные результаты из правил", "isbsh.method": "ИСБШ: способ весов",
    "isbsh.reference": "ИСБШ: эталонная совокупность", "iursh.reference": "ИУРШ: эталонная совокупность",
    "iursh.category_first_weight": "ИУРШ: вес первой категории", "iursh.experience_years": "ИУРШ: стаж, лет",
    "quality.index": "индекс качества", "quality.reference": "группы качества: эталонная совокупность",
    "group_band_sd": "ширина групп, стандартных отклонений", "model.formula": "формула модели качества",
    "municipality_name": "название муниципалитета в отчётах",
    "model.weights": "веса модели", "model.alpha": "1 − уровень доверия модели",
    "model.min_effect": "минимальное отклонение для отметки школы", "model.small_sample": "малая выборка: меньше школ",
    "model.mixed": "модель со случайным эффектом школы", "clustering.n_clusters": "число кластеров",
    "clustering.procedures": "процедуры для кластеров", "clustering.min_schools": "минимум школ для кластеров",
    "targets.shnor_shnsu_share.baseline": "доля ШНОР и ШНСУ: базовое значение, %",
    "targets.shnor_shnsu_share.plan": "доля ШНОР и ШНСУ: плановое значение, %",
    "monitoring.catalogue": "каталог показателей мониторинга",
    "monitoring.strong_change_pp": "уровень 3 динамики показателя: улучшение не менее, п.п.",
    "risk.act_on": "значимость фактора риска, требующая мер", "risk.recommendations_file": "таблица адресных рекомендаций",
    "risk.recommend_for": "статусы, для которых формируются рекомендации",
    "dynamics.alpha": "уровень значимости изменения доли «2»", "dynamics.test": "критерий изменения доли «2»",
    "leaders.leader_capacity": "наибольшее число ОО на школу-лидера",
    "leaders.partner_statuses": "статусы, за которыми закрепляется школа-лидер",
    "leaders.fail_quantile": "школа-лидер: доля «2» ниже этого квантиля округа",
    "leaders.exclude_objectivity_flags": "школа-лидер без признаков необъективности",
    "leaders.missing_isbsh_gap": "|ΔИСБШ| при неизвестном ИСБШ",
}


def _param_label(key: str) -> str:
    if key in PARAM_LABELS:
        return PARAM_LABELS[key]
    if key.startswith("isbsh.weights."):
        name = key.rsplit(".", 1)[1]
        return f"ИСБШ: вес показателя «{_INPUT_LABELS.get(name, name)}»"
    if key.startswith("iursh.weights."):
        name = key.rsplit(".", 1)[1]
        return f"ИУРШ: вес показателя «{_IURSH_INPUTS.get(name, name)}»"
    if key in ("isbsh.fixed", "iursh.fixed"):
        return "фиксированные средние и стандартные отклонения (эталон fixed)"
    section = _PARAM_SECTIONS.get(key.split(".", 1)[0])
    return f"раздел «{section}»" if section else ""


_PARAM_SECTIONS = {"monitoring": "мониторинг показателей", "risk": "рисковые профили", "dynamics": "динамика",
                   "leaders": "школы-лидеры", "targets": "плановые значения", "objectivity": "объективность",
                   "model": "модель качества", "clustering": "кластеры", "isbsh": "ИСБШ", "iursh": "ИУРШ",
                   "quality": "индекс качества"}


_IURSH_INPUTS = {"higher_education": "высшее образование", "category": "квалификационная категория",
                 "experience": "стаж"}


def flatten_params(params: dict, prefix: str = "") -> dict[str, object]:
    """Every leaf of the parameters as ``dotted.key → value`` (sources and private keys left out)."""
    out: dict[str, object] = {}
    for k, v in params.items():
        if str(k).startswith("_"):
            continue
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten_params(v, key + "."))
        else:
            out[key] = v
    return out


def _value_text(v) -> str:
    if v is None:
        return "не задано"
    if isinstance(v, bool):
        return "да" if v else "нет"
    if isinstance(v, float):
        return fmt_g(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(_value_text(x) for x in v)
    if isinstance(v, dict):
        return "не задано" if not v else "; ".join(f"{k}: {_value_text(x)}" for k, x in v.items())
    return str(v)


def parameters_table(params: dict) -> pd.DataFrame:
    """Every parameter used: «Параметр» (dotted key), «Значение», «Смысл»."""
    flat = flatten_params(params)
    return pd.DataFrame({"Параметр": list(flat), "Значение": [_value_text(v) for v in flat.values()],
                         "Смысл": [_param_label(k) for k in flat]})


def relative_path(path: str, data_root: str | None = None) -> str:
    """``path`` relative to ``data_root`` when inside it, else its last three parts (municipality/year/file)."""
    p = _pure(str(path))
    if data_root is not None:
        root = _pure(str(data_root))
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            pass
    return PurePosixPath(*p.parts[-3:]).as_posix()


def input_files_table(result, data_root: str | None = None) -> pd.DataFrame:
    """Input files of the seasons used with their SHA-256: «Файл», «SHA-256»."""
    items = sorted((relative_path(k, data_root), v) for k, v in result.checksums.items())
    return pd.DataFrame(items, columns=["Файл", "SHA-256"])


def package_versions() -> pd.DataFrame:
    """Versions of Python and the packages the report rests on: «Пакет», «Версия» — the same
    list as the run manifest's (:func:`shnor_lib.pipeline.provenance.package_versions`)."""
    from ..pipeline.provenance import package_versions as versions

    rows = [("shnor_lib" if name == "shnor" else name, v) for name, v in versions().items()]
    return pd.DataFrame(rows, columns=["Пакет", "Версия"])


# ---------------------------------------------------------------- 8. monitoring indicators

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


def monitoring_table(result, indicators: pd.DataFrame) -> pd.DataFrame:
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
    if not _has_input(result, "monitoring"):
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
        out["Примечание"] = [str(n) if pd.isna(f) else "" for f, n in zip(d["fact"], _text(d["note"]), strict=True)]
    return out


def _numbers(rows: pd.DataFrame) -> str:
    return "№ " + ", ".join(str(int(n)) for n in rows["no"])


def monitoring_text(result, indicators: pd.DataFrame) -> str:
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
    if not _has_input(result, "monitoring"):
        what = "; ".join(f"{_lower_first(r.name)} — {indicator_value(r.fact, r.unit)}"
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
        lines.append("Плановые значения показателей в параметрах не заданы (monitoring.indicator_targets) — "
                     "выполнение плана не оценивается.")
    no_plan = known[known["plan"].isna()]
    if len(plan) and len(no_plan):
        lines.append(f"Без планового значения: {_numbers(no_plan)}.")
    years = sorted(int(v) for v in indicators["year"].unique())
    if len(years) > 1:
        lv = d["dynamics_level"]
        counts = {k: d[lv == k] for k in (3, 2, 1)}
        lines.append(f"Динамика за {years[0]}–{years[-1]} годы (критерии оценки Первоуральска): уровень 3 "
                     f"(ярко выраженная положительная) — {len(counts[3])}, уровень 2 (положительная стабильная) — "
                     f"{len(counts[2])}, уровень 1 (отрицательная или отсутствует) — {len(counts[1])}"
                     + (f" ({_numbers(counts[1])})" if len(counts[1]) else "") + ".")
    else:
        lines.append(f"Динамика показателей (уровни 1–3) не оценивается: загружен один год ({y}).")
    missing = d[d["fact"].isna()]
    if len(missing) and _has_input(result, "monitoring"):
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


def diagnostics_text(result, diagnostics: pd.DataFrame) -> str:
    """The A–D summary of teacher diagnostics (seed 000, p. 24) in words, or why it is absent."""
    y = result.year
    if not _has_input(result, "monitoring"):
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


# ---------------------------------------------------------------- 9. risk profiles

_LEVEL_WORD = {3: "высокая", 2: "средняя", 1: "низкая"}


def _lower_first(text: str) -> str:
    """«Высокая доля … с ОВЗ» → «высокая доля … с ОВЗ» (abbreviations keep their capitals)."""
    text = str(text)
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _factor_name(code: int) -> str:
    from ..contract.schema import RISK_FACTORS

    return RISK_FACTORS.get(int(code), f"фактор {code}")


def risk_text(result, significance: pd.DataFrame, groups: pd.DataFrame | None = None,
              recommendations: pd.DataFrame | None = None, cards: bool = True) -> str:
    """Section 9: profiled schools, the most frequent high-significance factors, the management groups
    and the number of addressed recommendations; «не рассчитываются» when there is no risk_profiles file.

    Parameters
    ----------
    result : SeasonResult
    significance : DataFrame
        :func:`shnor_lib.analysis.risk.significance_matrix` (school × factor, 3/2/1).
    groups : DataFrame, optional
        :func:`shnor_lib.analysis.risk.group_summary`.
    recommendations : DataFrame, optional
        :func:`shnor_lib.analysis.risk.recommend`.
    cards : bool
        Whether the schools have cards (``shnor report --no-cards``: they do not).
    """
    y = result.year
    if significance is None or significance.empty:
        why = (f"нет файла risk_profiles за {y} год" if not _has_input(result, "risk_profiles")
               else "в файле risk_profiles нет распознанных факторов")
        return f"Рисковые профили не рассчитываются: {why}."
    s = result.schools
    names = _name_of(s)
    high = significance.eq(3)
    with_high = high.any(axis=1)
    lines = [f"Рисковые профили заполнены для {_schools_gen(len(significance))} из {len(s)}; хотя бы один фактор "
             f"высокой значимости — у {_schools_gen(int(with_high.sum()))}."]
    top = high.sum(axis=0).sort_values(ascending=False, kind="stable")
    top = top[top > 0].head(3)
    if len(top):
        lines[-1] += " Чаще всего высокую значимость имеют: " + "; ".join(
            f"{int(c)}. {_lower_first(_factor_name(c))} — {_schools(int(n))}" for c, n in top.items()) + "."
    interest = s.loc[_text(s["status"]).ne(""), "school_id"].astype(str)
    absent = [i for i in interest if i not in significance.index]
    if absent:
        lines.append(f"Нет рискового профиля у школ со статусом: {_school_list(absent, names)}.")
    if groups is not None and len(groups):
        lines.append("Факторы высокой значимости по группам управленческих решений (как в программе Первоуральска): "
                     + "; ".join(f"{_lower_first(r.group)} — {r.n_schools} ОО" for r in groups.itertuples()) + ".")
    if recommendations is not None:
        if len(recommendations):
            kinds = recommendations["trigger_kind"].str.split("; ").str[0].value_counts()
            lines.append(f"Адресные рекомендации: {len(recommendations)} "
                         f"{plural(len(recommendations), 'мера', 'меры', 'мер')} для "
                         f"{_schools_gen(recommendations['school_id'].nunique())} со статусом; по основаниям: "
                         + ", ".join(f"{k} — {n}" for k, n in kinds.items())
                         + ". Каждая мера в таблице ниже показана с тем, что её вызвало; полный текст мер — "
                         + ("в перечне мер и в карточках школ." if cards else "в перечне мер."))
        else:
            lines.append("Адресных рекомендаций нет: нет школ со статусом, для которого они формируются "
                         "(risk.recommend_for).")
    return "\n\n".join(lines)


def risk_groups_table(groups: pd.DataFrame) -> pd.DataFrame:
    """The grouped high-significance factors (seed 004): «Группа факторов», «Число ОО», «ОО и факторы»
    (all schools of the group, then one line per factor with its schools)."""
    cols = ["Группа факторов", "Число ОО", "ОО и факторы"]
    if groups is None or groups.empty:
        return pd.DataFrame(columns=cols)
    detail = [f"все: {s}\n" + d.replace("; ", "\n") if n else d
              for s, d, n in zip(groups["schools"], groups["detail"], groups["n_schools"], strict=True)]
    return pd.DataFrame({"Группа факторов": groups["group"].values, "Число ОО": groups["n_schools"].astype(int).values,
                         "ОО и факторы": detail})


def short_trigger(trigger: str) -> str:
    """A recommendation's trigger in a few words: «фактор 3 «…»: высокая значимость» → «фактор 3»."""
    parts = [re.sub(r"фактор (\d+) «[^»]*»: \w+ значимость", r"фактор \1", p.strip())
             for p in str(trigger).split("; ")]
    return "; ".join(dict.fromkeys(p.replace("статус: ", "статус ") for p in parts))


def recommendations_by_school(recommendations: pd.DataFrame) -> pd.DataFrame:
    """One row per school: «ОО», «Статус», «Меры (основание)» — measure codes grouped by their trigger.

    A line reads «K01, K03 — фактор 3»: measures K01 and K03 were triggered by risk factor 3;
    the measures' text is in :func:`measures_table`.
    """
    cols = ["ОО", "Статус", "Меры (основание)"]
    if recommendations is None or recommendations.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    r = recommendations.assign(short=recommendations["trigger"].map(short_trigger))
    for sid in _sorted_ids(r["school_id"].unique()):
        g = r[r["school_id"] == sid]
        lines = [f"{', '.join(h['measure_id'])} — {t}" for t, h in g.groupby("short", sort=False)]
        rows.append({"ОО": f"{sid} ({g['name'].iat[0]})", "Статус": g["status"].iat[0], "Меры (основание)": "\n".join(lines)})
    return pd.DataFrame(rows, columns=cols)


def measures_table(recommendations: pd.DataFrame) -> pd.DataFrame:
    """The measures recommended this season: «Код», «Мера», «Адресат», «Школы»."""
    cols = ["Код", "Мера", "Адресат", "Школы"]
    if recommendations is None or recommendations.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for mid, g in recommendations.groupby("measure_id", sort=True):
        rows.append({"Код": mid, "Мера": g["recommendation"].iat[0], "Адресат": g["addressee"].iat[0],
                     "Школы": ", ".join(_sorted_ids(g["school_id"].unique()))})
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------- 10. dynamics

_LIST_COLS = {"shnor_change": "ШНОР", "shnsu_change": "ШНСУ", "risk_change": "зона риска"}


def _status_word(s) -> str:
    return s if isinstance(s, str) and s else "без статуса"


def _one_year(year: int) -> str:
    return (f"Динамика не рассчитывается: загружен один год ({year}). Переходы между списками, изменения долей и "
            "трёхлетний мониторинг школ в поддержке появятся, когда будут данные нескольких лет подряд.")


def transitions_table(transitions: pd.DataFrame) -> pd.DataFrame:
    """Schools with a status in some loaded year: their status each year and what changed.

    Returns
    -------
    DataFrame
        «Код ОО», «Наименование», one «Статус <год>» per year, «Переходы» («2023→2024: ШНОР — вошла»;
        «осталась» is not repeated: the status columns show it).
    """
    if transitions is None or transitions.empty:
        return pd.DataFrame(columns=["Код ОО", "Наименование", "Переходы"])
    t = transitions
    years = sorted(set(t["year_from"]) | set(t["year_to"]))
    rows = []
    for sid, g in t.groupby("school_id", sort=False):
        status = {int(r.year_from): r.status_from for r in g.itertuples()}
        status.update({int(r.year_to): r.status_to for r in g.itertuples()})
        if not any(isinstance(v, str) and v and v != "нет в перечне ОО" for v in status.values()):
            continue
        moves = []
        for r in g.itertuples():
            words = [f"{lab} — {getattr(r, col)}" for col, lab in _LIST_COLS.items()
                     if getattr(r, col) in ("вошла", "вышла")]
            if words:
                moves.append(f"{r.year_from}→{r.year_to}: " + ", ".join(words))
        row = {"Код ОО": str(sid), "Наименование": g["name"].iat[-1]}
        row.update({f"Статус {y}": _status_word(status.get(y)) for y in years})
        row["Переходы"] = "\n".join(moves) or "без изменений"
        rows.append(row)
    out = pd.DataFrame(rows, columns=["Код ОО", "Наименование", *[f"Статус {y}" for y in years], "Переходы"])
    return _by_id(out, "Код ОО").reset_index(drop=True)


def transitions_text(transitions: pd.DataFrame, year: int) -> str:
    """Who entered, left and stayed in each list for each pair of consecutive years (codes)."""
    if transitions is None or transitions.empty:
        return _one_year(year)
    lines = []
    for (y0, y1), g in transitions.groupby(["year_from", "year_to"], sort=True):
        parts = []
        for col, lab in _LIST_COLS.items():
            words = []
            for change, word in (("вошла", "вошли"), ("вышла", "вышли"), ("осталась", "остались")):
                ids = _sorted_ids(g.loc[g[col] == change, "school_id"])
                words.append(f"{word} {', '.join(ids)}" if ids else f"{word} — нет")
            parts.append(f"{lab}: " + "; ".join(words))
        lines.append(f"- **{y0} → {y1}** — " + ". ".join(p[0].upper() + p[1:] for p in parts) + ".")
    years = sorted(set(transitions["year_from"]) | set(transitions["year_to"]))
    return (f"Статусы школ за {years[0]}–{years[-1]} годы (переходы между соседними годами):\n\n"
            + "\n".join(lines))


def fail_changes_table(changes: pd.DataFrame, significant_only: bool = True) -> pd.DataFrame:
    """Changes of fail shares between consecutive years (by default only those beyond chance).

    Returns
    -------
    DataFrame
        «Код ОО», «Годы», «Процедура, предмет», «Было», «Стало» («19,8% (38 из 192)»),
        «Изменение, п.п.», «p».
    """
    cols = ["Код ОО", "Годы", "Процедура, предмет", "Было", "Стало", "Изменение, п.п.", "p"]
    if changes is None or changes.empty:
        return pd.DataFrame(columns=cols)
    d = changes[changes["significant"]] if significant_only else changes
    return pd.DataFrame({
        "Код ОО": d["school_id"].astype(str).values,
        "Годы": [f"{a}→{b}" for a, b in zip(d["year_from"], d["year_to"], strict=True)],
        "Процедура, предмет": ["все процедуры и предметы вместе" if p == "все процедуры" else f"{p}, {s}"
                               for p, s in zip(d["procedure"], d["subject"], strict=True)],
        "Было": [f"{fmt_pct(f / n)} ({f:.0f} из {n:.0f})" for f, n in zip(d["failed_from"], d["participants_from"],
                                                                           strict=True)],
        "Стало": [f"{fmt_pct(f / n)} ({f:.0f} из {n:.0f})" for f, n in zip(d["failed_to"], d["participants_to"],
                                                                            strict=True)],
        "Изменение, п.п.": d["change_pp"].astype(float).values,
        "p": [fmt_p(v) for v in d["p_value"]],
    }, columns=cols)


def fail_changes_text(changes: pd.DataFrame, params: dict, year: int, n_years: int = 2) -> str:
    """How many year-over-year changes of fail shares are beyond chance, with the test and α used;
    by all procedures together, which schools rose and which fell."""
    if n_years < 2:
        return f"Не оцениваются: загружен один год ({year})."
    if changes is None or changes.empty:
        return "Изменения долей не оцениваются: нет результатов одних и тех же процедур в соседние годы."
    alpha = fmt_num(params["dynamics"]["alpha"], 2)
    test = changes["test"].iat[0]
    sig = changes[changes["significant"]]
    pooled = sig[sig["procedure"] == "все процедуры"]

    def items(d):
        return ", ".join(f"{r.school_id} ({r.year_from}→{r.year_to}: {'+' if r.change_pp > 0 else '−'}"
                         f"{fmt_num(abs(r.change_pp), 1)} п.п., {p_text(r.p_value)})" for r in d.itertuples()) or "нет"

    text = (f"Доли не преодолевших порог сравнены у каждой школы в соседние годы: {len(changes)} "
            f"{plural(len(changes), 'сравнение', 'сравнения', 'сравнений')} «школа × процедура × предмет» "
            f"(и «все процедуры» вместе). За пределами случайных колебаний (p < {alpha}, {test}) — {len(sig)}; "
            "они перечислены в таблице ниже.")
    text += (" Остальные изменения в пределах случайных колебаний: у малых школ даже заметная разница долей может "
             "быть случайной.")
    if len(sig):
        text += ("\n\nПо всем процедурам и предметам вместе доля «2» значимо:\n"
                 f"- выросла у школ: {items(pooled[pooled['change_pp'] > 0])};\n"
                 f"- снизилась у школ: {items(pooled[pooled['change_pp'] < 0])}.")
    return text


def support_table(view: pd.DataFrame) -> pd.DataFrame:
    """The three-year view of schools in support (seed 001, 1.2.12), one row per school.

    Returns
    -------
    DataFrame
        «Код ОО», «Наименование», «В поддержке с», one column per year («ШНОР\\n25,0% (142 из 568)»:
        status and the pooled fail share), «Изменение, п.п.» (last year against the year of inclusion).
    """
    if view is None or view.empty:
        return pd.DataFrame(columns=["Код ОО", "Наименование", "В поддержке с", "Изменение, п.п."])
    years = sorted(view["year"].unique())
    rows = []
    for sid, g in view.groupby("school_id", sort=False):
        g = g.set_index("year")
        row = {"Код ОО": str(sid), "Наименование": g["name"].iat[-1], "В поддержке с": g["included_since"].iat[0]}
        for y in years:
            if y in g.index:
                r = g.loc[y]
                share = (f"{fmt_pct(r['fail_share'])} ({r['failed']:.0f} из {r['participants']:.0f})"
                         if r["participants"] > 0 else "нет результатов")
                row[str(int(y))] = f"{_status_word(r['status'] if r['status'] != '—' else '')}\n{share}"
            else:
                row[str(int(y))] = "—"
        row["Изменение, п.п."] = float(g["change_pp"].iat[-1]) if len(g) > 1 else np.nan
        rows.append(row)
    out = pd.DataFrame(rows, columns=["Код ОО", "Наименование", "В поддержке с", *[str(int(y)) for y in years],
                                      "Изменение, п.п."])
    return _by_id(out, "Код ОО").reset_index(drop=True)


def support_text(view: pd.DataFrame, year: int, n_years: int = 2) -> str:
    """Schools in support: their number, and how their pooled fail share moved since inclusion."""
    if n_years < 2:
        return f"Трёхлетний мониторинг школ в поддержке не ведётся: загружен один год ({year})."
    if view is None or view.empty:
        return "Школ в поддержке (ШНОР или ШНСУ хотя бы в один загруженный год) нет."
    last = view.groupby("school_id", sort=False).tail(1)
    followed = last[last["year_no"] > 0]
    new = last[last["year_no"] == 0]
    n = view["school_id"].nunique()
    text = (f"В поддержке (ШНОР или ШНСУ хотя бы в один загруженный год) — {_schools(n)}. Год включения — первый "
            "загруженный год со статусом; для первого загруженного года включение могло быть и раньше («не позднее»). "
            "Доля — все процедуры и предметы правила вместе (Σ «2» / Σ участников).")

    def item(r):
        return f"{r.school_id} ({'+' if r.change_pp > 0 else '−'}{fmt_num(abs(r.change_pp), 1)} п.п. за " \
               f"{r.year_no} {plural(r.year_no, 'год', 'года', 'лет')})"

    if len(followed):
        down = followed[followed["change_pp"] < 0]
        up = followed[followed["change_pp"] > 0]
        text += (" С года включения доля снизилась у: " + (", ".join(item(r) for r in down.itertuples()) or "нет")
                 + "; выросла у: " + (", ".join(item(r) for r in up.itertuples()) or "нет") + ".")
    if len(new):
        text += (f" Включены в {year} году (динамика появится в следующем году): "
                 + ", ".join(_sorted_ids(new["school_id"])) + ".")
    left = last[(last["year"] == year) & ~last["status"].isin(["ШНОР", "ШНСУ", "ШНОР+ШНСУ"])]
    if len(left):
        text += " Вышли из списков ШНОР и ШНСУ: " + ", ".join(
            f"{r.school_id} (в {year} году — {_status_word(r.status if r.status != '—' else '')})"
            for r in left.itertuples()) + "."
    return text


_DATA_PREFIX = re.compile(r"^данные: при одних параметрах статус сменился «[^»]*» → «[^»]*»: ")
_NEXT_RESULT = re.compile(r"; (?=(?:ВПР|ОГЭ|ЕГЭ|группа ИСБШ|обоснование)\b)")


def explain_table(explained: pd.DataFrame) -> pd.DataFrame:
    """«Что изменилось и почему»: «Код ОО», «Годы», «Статус» (было → стало, with the ШНОР branch),
    «Причина», «Что изменилось» (one line per result that crossed a threshold)."""
    cols = ["Код ОО", "Годы", "Статус", "Причина", "Что изменилось"]
    if explained is None or explained.empty:
        return pd.DataFrame(columns=cols)
    e = explained

    def st(s, b):
        return _status_word(s) + (f" ({b})" if isinstance(b, str) and b else "")

    def words(text, cause):
        text = re.sub(r"(?<![\w.])-(?=\d)", "−", str(text))
        if cause == "данные":  # the columns already say what moved; keep the numbers
            text = _DATA_PREFIX.sub("", text)
        return _NEXT_RESULT.sub("\n", text)

    return pd.DataFrame({
        "Код ОО": e["school_id"].astype(str).values,
        "Годы": [f"{a}→{b}" for a, b in zip(e["year_from"], e["year_to"], strict=True)],
        "Статус": [f"{st(s0, b0)} →\n{st(s1, b1)}" for s0, b0, s1, b1 in
                   zip(e["status_from"], e["branch_from"], e["status_to"], e["branch_to"], strict=True)],
        "Причина": e["cause"].values,
        "Что изменилось": [words(x, c) for x, c in zip(e["explanation"], e["cause"], strict=True)],
    }, columns=cols)


def explain_text(explained: pd.DataFrame, year: int, n_years: int) -> str:
    """How many status changes the data, the parameters and the rule branch caused."""
    if n_years < 2:
        return f"Не оценивается: загружен один год ({year})."
    if explained is None or explained.empty:
        return "Статусы школ между соседними годами не менялись."
    e = explained
    n = len(e)
    text = (f"Статус (или ветвь правила ШНОР) сменился в {n} "
            f"{plural(n, 'случае', 'случаях', 'случаях')}: из-за данных — {int(e['by_data'].sum())}, "
            f"из-за параметров — {int(e['by_params'].sum())}, из-за ветви правила — {int(e['by_branch'].sum())} "
            "(несколько причин могут действовать вместе). ")
    if not e["parameter_changes"].astype(bool).any():
        text += ("Параметры расчёта во все годы одинаковы, поэтому смена статуса вызвана данными (доли перешли порог, "
                 "условие выполнено второй год подряд, изменилась группа ИСБШ) или сменой ветви правила ШНОР.")
    else:
        diffs = "; ".join(dict.fromkeys(x for x in e["parameter_changes"] if x))
        text += (f"Параметры расчёта между годами менялись ({diffs}): вклад параметров проверен пересчётом соседнего "
                 "года с параметрами текущего.")
    return text


# ---------------------------------------------------------------- 11. school leaders

def leaders_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """Suggested pairs: «Код ОО», «ОО (ШНОР/ШНСУ)», «Статус», «Школа-лидер», «Обоснование» (one line per argument)."""
    cols = ["Код ОО", "ОО (ШНОР/ШНСУ)", "Статус", "Школа-лидер", "Обоснование"]
    if pairs is None or pairs.empty:
        return pd.DataFrame(columns=cols)
    d = pairs[pairs["leader_id"].notna()]
    why = [re.sub(r"; (?!\d)", "\n", re.sub(r"^школа-лидер № [^:]*: ", "", str(x))) for x in d["explanation"]]
    return pd.DataFrame({
        "Код ОО": d["partner_id"].astype(str).values, "ОО (ШНОР/ШНСУ)": _text(d["partner_name"]).values,
        "Статус": _text(d["partner_status"]).values,
        "Школа-лидер": [f"{i} ({n})" for i, n in zip(d["leader_id"], d["leader_name"], strict=True)],
        "Обоснование": why,
    }, columns=cols)


def leaders_text(pairs: pd.DataFrame, candidates: pd.DataFrame | None, params: dict) -> str:
    """Section 11: how many ШНОР/ШНСУ got a leader, how many schools could lead, and who is left
    without a leader and why."""
    lp = params["leaders"]
    partners = ", ".join(lp["partner_statuses"])
    if pairs is None or pairs.empty:
        return (f"Школы-лидеры не подбираются: в этом году нет школ со статусами {partners}. "
                "Школа-лидер закрепляется за каждой ШНОР и ШНСУ (приказ Краснодара, раздел 16, показатель 3).")
    paired = pairs[pairs["leader_id"].notna()]
    alone = pairs[pairs["leader_id"].isna()]
    q = "медианы" if lp["fail_quantile"] == 0.5 else f"квантиля {fmt_num(lp['fail_quantile'])}"
    text = (f"Школа-лидер подбирается для каждой ШНОР и ШНСУ ({_schools_gen(len(pairs))}). ")
    if candidates is not None and len(candidates):
        n_ok = int(candidates["eligible"].sum())
        text += (f"Кандидаты — школы без статуса во все загруженные годы с долей не преодолевших порог ниже {q} "
                 + "округа каждый год" + (" и без признаков необъективности" if lp["exclude_objectivity_flags"] else "")
                 + f": {n_ok} из {len(candidates)}. ")
    if len(paired):
        leaders = paired["leader_id"].nunique()
        text += (f"Предложено {len(paired)} {plural(len(paired), 'пара', 'пары', 'пар')}, "
                 f"{leaders} {plural(leaders, 'школа-лидер', 'школы-лидера', 'школ-лидеров')} (не более "
                 f"{lp['leader_capacity']} ОО на каждую). Пары подобраны сразу для всех школ так, чтобы сумма "
                 "«стоимостей» была наименьшей: близкий ИСБШ, та же территория, результаты лидера выше ожидаемых.")
    if len(alone):
        text += "\n\nБез школы-лидера:\n" + "\n".join(
            f"- {r.partner_id} ({r.partner_name}): {re.sub(r'^школа-лидер не подобрана: ', '', str(r.explanation))}."
            for r in alone.itertuples())
    else:
        text += " Все ШНОР и ШНСУ получили школу-лидера."
    return text


# ---------------------------------------------------------------- display

#: Where the report links a school's code: its card, relative to ``<out>/<M>/<Y>/report.html``.
CARD_LINK = "schools/{}.html"

_CODE_SPAN = re.compile(r"(`[^`]*`)")


def card_links(result, column: str = "Код ОО", enabled: bool = True) -> dict[str, dict[str, str]]:
    """``links`` for :func:`table`: the codes of the schools that have a card (status ШНОР, ШНСУ,
    зона риска, or the risk-zone flag — the schools of section 2) point to ``CARD_LINK``; other
    codes stay plain text, so no link leads nowhere. ``enabled=False`` (reports made without
    cards, ``shnor report --no-cards``) links nothing."""
    if not enabled:
        return {column: {}}
    s = result.schools
    keep = _text(s["status"]).ne("") | _flag(s, "risk_zone")
    return {column: {str(i): CARD_LINK.format(quote(str(i), safe="")) for i in s.loc[keep, "school_id"]}}


def md(text: str):
    """Generated Markdown for ``display``, with every HTML special character of the text escaped.

    Values from data (school names, codes, subjects) go into the texts verbatim; a name such as
    ``<script>alert(1)</script>`` must reach the reader as those characters, never as markup.
    ``html.escape`` is applied outside code spans (inside them Markdown shows characters as they
    are); the texts themselves use Markdown only, never HTML, so nothing intended is lost.
    """
    from IPython.display import Markdown

    parts = _CODE_SPAN.split(str(text))
    return Markdown("".join(p if p.startswith("`") and p.endswith("`") and len(p) > 1
                            else html.escape(p, quote=False) for p in parts))


def table(df: pd.DataFrame, empty: str | None = "Нет строк для показа.", **kws):
    """An HTML object of :func:`style_table` for ``display``, or a Markdown note when ``df`` has no rows.

    HTML rather than the Styler itself: a Styler's plain-text form carries its memory address,
    which would make the executed notebook differ from run to run.
    """
    from IPython.display import HTML, Markdown

    if df is None or len(df) == 0:
        return Markdown(f"*{html.escape(empty, quote=False)}*" if empty else "")
    return HTML(style_table(df, **kws).to_html())


def style_table(df: pd.DataFrame, *, precision: int = 1, formats: dict | None = None, caption: str | None = None,
                nowrap: Iterable[str] = (), breakall: Iterable[str] = (), center: bool = False,
                links: dict[str, str] | None = None, full_width: bool = False, small: bool = False,
                widths: dict[str, str] | None = None):
    """A pandas Styler for the reader: no index, decimal comma, «—» for missing values.

    Text is HTML-escaped and line breaks become ``<br>``; floats get ``precision``
    decimals unless ``formats`` gives a column its own (digits or a callable). Text is
    left-aligned and numbers right-aligned (``center`` centres everything, for the
    identifier table); ``nowrap`` columns never wrap, ``breakall`` columns (hashes)
    wrap anywhere. ``links`` makes a column's values links: ``{"Код ОО": CARD_LINK}``
    gives ``<a href="schools/7.html">7</a>`` for every value (URL-quoted in the address,
    HTML-escaped in both places); ``{"Код ОО": {"7": "schools/7.html"}}`` links only the
    values listed (:func:`card_links`). ``full_width`` stretches the table over the text
    block, so long text columns wrap into fewer lines; ``small`` sets a smaller type with
    tighter cells (the one-page school card); ``widths`` fixes columns' shares of the table
    (``{"Мера": "70%"}``).
    """
    formats = dict(formats or {})
    for col, target in (links or {}).items():
        def link(v, target=target):
            if v is None or (isinstance(v, float) and np.isnan(v)) or str(v) == "":
                return "—"
            href = (target.get(str(v)) if isinstance(target, dict)
                    else target.format(quote(str(v), safe="")))
            if href is None:
                return html.escape(str(v))
            return f'<a href="{html.escape(href, quote=True)}">{html.escape(str(v))}</a>'
        formats[col] = link

    def text(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "—"
        return html.escape(str(v)).replace("\n", "<br>")

    def number(digits):
        return lambda v: "—" if v is None or pd.isna(v) else fmt_num(v, digits)

    fmt = {}
    for c in df.columns:
        if c in formats:
            f = formats[c]
            fmt[c] = f if callable(f) else number(int(f))
        elif pd.api.types.is_float_dtype(df[c]):
            fmt[c] = number(precision)
        elif pd.api.types.is_integer_dtype(df[c]):
            fmt[c] = fmt_int
        else:
            fmt[c] = text
    # a fixed uuid keeps the HTML byte-identical between runs (pandas draws a random one)
    uid = hashlib.sha1(df.to_csv().encode("utf-8") + repr(list(df.columns)).encode("utf-8")).hexdigest()[:10]
    st = Styler(df, uuid=uid, cell_ids=False).format(fmt).hide(axis="index")
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    texts = [c for c in df.columns if c not in numeric]
    if center:
        st = st.set_properties(**{"text-align": "center"})
    else:
        st = st.set_properties(subset=numeric, **{"text-align": "right", "white-space": "nowrap"})
        st = st.set_properties(subset=texts, **{"text-align": "left"})
    keep = [c for c in nowrap if c in df.columns]
    if keep:
        st = st.set_properties(subset=keep, **{"white-space": "nowrap"})
    hexes = [c for c in breakall if c in df.columns]
    if hexes:
        st = st.set_properties(subset=hexes, **{"word-break": "break-all", "font-family": "monospace",
                                                 "font-size": "0.85em"})
    st = st.set_table_styles([{"selector": "th", "props": [("text-align", "center" if center else "left"),
                                                           ("vertical-align", "bottom")]}]
                             + ([{"selector": "", "props": [("width", "100%")]}] if full_width else [])
                             + ([{"selector": "", "props": [("font-size", "0.78em"), ("line-height", "1.2")]},
                                 {"selector": "td, th", "props": [("padding", "0.1em 0.5em")]}] if small else []))
    sized = {c: [{"selector": "", "props": [("width", w)]}] for c, w in (widths or {}).items() if c in df.columns}
    if sized:
        st = st.set_table_styles(sized, overwrite=False)
    if caption:
        st = st.set_caption(html.escape(caption))
    return st
