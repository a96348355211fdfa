"""Section 2 «Выявленные школы»: which schools are ШНОР, ШНСУ, зона риска and why (codes,
names, reasons in words and numbers), and «Что изменилось по сравнению с прошлым годом»: who
entered, left and stayed in each list.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from ..common import (
    NO_DATA,
    as_text,
    by_id,
    flag,
    id_key,
    is_risk,
    name_of,
    school_list,
)

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["identified_text", "identified_table", "status_changes", "changes_text", "changes_table"]


_STATUS_ORDER = ["ШНОР+ШНСУ", "ШНОР", "ШНСУ", "зона риска"]


_REASON_PREFIXES = ("ШНОР:", "зона риска:", "ШНСУ:", "исключено как необъективное")


def _status_rank(status: str) -> int:
    return _STATUS_ORDER.index(status) if status in _STATUS_ORDER else len(_STATUS_ORDER)


def identified_table(result: SeasonResult) -> pd.DataFrame:
    """Schools with a status (or a risk-zone flag) and the reasons in words and numbers.

    Returns
    -------
    DataFrame
        «Код ОО», «Наименование», «Статус», «Основание» (one reason per line).
    """
    s = result.schools
    keep = as_text(s["status"]).ne("") | flag(s, "risk_zone")
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
    out = out.sort_values(["_rank", "Код ОО"], key=lambda c: c.map(id_key) if c.name == "Код ОО" else c)
    return out.drop(columns="_rank").reset_index(drop=True)


def identified_text(result: SeasonResult, cards: bool = True) -> str:
    """Section 2: which schools are ШНОР, ШНСУ, зона риска, by code and name, and by which branch.
    ``cards=False`` (reports made without school cards) does not promise links to them."""
    s = result.schools
    names = name_of(s)
    ids = s["school_id"].astype(str)
    shnor = ids[flag(s, "shnor")]
    shnsu = ids[flag(s, "shnsu")]
    risk = ids[is_risk(s)]
    lines = []
    if len(shnor):
        br = as_text(s.loc[flag(s, "shnor"), "shnor_branch"]).value_counts()
        how = []
        if br.get("две процедуры"):
            how.append(f"по условию «две процедуры в одном году» — {br['две процедуры']}")
        if br.get("два года подряд"):
            how.append(f"по условию «одна процедура два года подряд» — {br['два года подряд']}")
        lines.append(f"- **ШНОР ({len(shnor)})**: {school_list(shnor, names)}"
                     + (f" ({'; '.join(how)})." if how else "."))
    else:
        lines.append("- **ШНОР**: не выявлено.")
    if s["isbsh_group"].notna().any() or s["isbsh"].notna().any():
        lines.append(f"- **ШНСУ ({len(shnsu)})**: {school_list(shnsu, names)}." if len(shnsu)
                     else "- **ШНСУ**: не выявлено.")
    else:
        lines.append(f"- **ШНСУ**: не определялись — {NO_DATA} (нет ИСБШ).")
    lines.append(f"- **Зона риска ({len(risk)})**: {school_list(risk, names)}." if len(risk)
                 else "- **Зона риска**: школ нет.")
    extra = ids[flag(s, "shnsu") & flag(s, "risk_zone") & ~flag(s, "shnor")]
    if len(extra):
        lines.append(f"- ШНСУ с признаками зоны риска (статус — ШНСУ): {school_list(extra, names, False)}.")
    tail = ("Основания — в таблице ниже: процедура, предмет, год, доля не преодолевших порог и число участников"
            + ("; код школы в таблице — ссылка на её карточку." if cards else "."))
    if not len(shnor) and not len(shnsu) and not len(risk):
        tail = ("Школы, у которых доля не преодолевших порог достигла порога хотя бы в одной процедуре, "
                "перечислены в разделе 3.")
    return "\n".join(lines) + "\n\n" + tail


_LISTS = (("ШНОР", lambda s: flag(s, "shnor")), ("ШНСУ", lambda s: flag(s, "shnsu")),
          ("зона риска", is_risk))


def status_changes(current: SeasonResult, previous: SeasonResult) -> pd.DataFrame:
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
    names = {**name_of(previous.schools), **name_of(current.schools)}
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
                              else (c.map(order_c) if c.name == "change" else c.map(id_key)))
    return out.reset_index(drop=True)


def changes_text(current: SeasonResult, previous: SeasonResult | None = None) -> str:
    """«Что изменилось»: who entered, left and stayed in each list, by code and name."""
    if previous is None:
        return (f"Сравнение с {current.year - 1} годом — {NO_DATA}: сезон {current.year - 1} года не загружен. "
                "Вошедшие в списки и вышедшие из них школы будут показаны, когда появятся данные двух лет подряд.")
    ch = status_changes(current, previous)
    names = {**name_of(previous.schools), **name_of(current.schools)}
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
            parts.append(f"{word} — {school_list(ids, names)}" if len(ids) else f"{word} — нет")
        lines.append(f"- **{shown}**: " + "; ".join(parts[:2]) + f"; {parts[2]}.")
    # status moves between lists (e.g. ШНОР → зона риска) are visible in the table
    return "\n".join(lines)


def changes_table(current: SeasonResult, previous: SeasonResult) -> pd.DataFrame:
    """The status of every school whose status changed between Y − 1 and Y, with Russian headers."""
    cur = current.schools[["school_id", "name", "status"]].assign(school_id=lambda d: d["school_id"].astype(str))
    prev = previous.schools[["school_id", "status"]].assign(school_id=lambda d: d["school_id"].astype(str))
    m = cur.merge(prev, on="school_id", how="outer", suffixes=("_now", "_before"))
    m["status_now"] = as_text(m["status_now"])
    m["status_before"] = as_text(m["status_before"])
    m = m[m["status_now"] != m["status_before"]]
    m = by_id(m)
    def word(s: str) -> str:
        return s or "без статуса"
    return pd.DataFrame({
        "Код ОО": m["school_id"].values,
        "Наименование": as_text(m["name"]).values,
        f"Статус {previous.year}": [word(v) for v in m["status_before"]],
        f"Статус {current.year}": [word(v) for v in m["status_now"]],
    })
