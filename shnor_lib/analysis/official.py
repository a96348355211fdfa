"""Official lists beside the program's rule (Методика §3.7, docs/methodology/rules.md).

An optional season file ``official_lists`` names the schools a federal or regional body put on a
list (ФИОКО ШНОР / ШНСУ, «500+», Рособрнадзор's signs of non-objective results). Each known list
is compared with the status the rule gives (:data:`OFFICIAL_LISTS`); every disagreement carries
its reason, taken from the school's own ``reasons`` or objectivity flags. A list of another name
is shown beside the rule without a comparison, never dropped.
"""

from __future__ import annotations

import pandas as pd

from ..contract.schema import normalize_label, school_id_key

__all__ = ["OFFICIAL_LISTS", "official_comparison", "official_summary", "AGREE", "ONLY_OFFICIAL", "ONLY_RULE",
           "NOT_COMPARED"]

#: Known lists: normalised name → (name as shown, what of the rule it is compared with, its words).
#: «500+» is FIOKO's project of schools with low results; seed 004 shows its 2021 cohort is the
#: municipality's ШНСУ list, so it is compared with «ШНОР или ШНСУ».
OFFICIAL_LISTS: dict[str, tuple[str, str, str]] = {
    normalize_label("ФИОКО ШНОР"): ("ФИОКО ШНОР", "shnor", "ШНОР по правилу"),
    normalize_label("ФИОКО ШНСУ"): ("ФИОКО ШНСУ", "shnsu", "ШНСУ по правилу"),
    normalize_label("500+"): ("500+", "shnor_or_shnsu", "ШНОР или ШНСУ по правилу"),
    normalize_label("Рособрнадзор: признаки необъективности"): (
        "Рособрнадзор: признаки необъективности", "objectivity", "признаки необъективности по данным сезона"),
}

AGREE = "совпадает"
ONLY_OFFICIAL = "только в официальном списке"
ONLY_RULE = "только по правилу"
NOT_COMPARED = "не сравнивается"

_COLUMNS = ["Список", "Код ОО", "В официальном списке", "По правилу", "Итог", "Почему", "Источник"]


def _segments(reasons: object, *prefixes: str) -> str:
    """The parts of a ``reasons`` text (joined by « | ») that start with one of ``prefixes``."""
    if not isinstance(reasons, str):
        return ""
    return "; ".join(p for p in reasons.split(" | ") if p.startswith(prefixes))


def _by_rule(schools: pd.DataFrame, flags: pd.DataFrame) -> dict[str, dict[str, bool]]:
    ids = schools["school_id"].astype(str)
    shnor = dict(zip(ids, schools["shnor"].fillna(False).astype(bool), strict=True))
    shnsu = dict(zip(ids, schools["shnsu"].fillna(False).astype(bool), strict=True))
    flagged = set(flags["school_id"].astype(str)) if flags is not None and len(flags) else set()
    return {"shnor": shnor, "shnsu": shnsu,
            "shnor_or_shnsu": {s: shnor[s] or shnsu[s] for s in shnor},
            "objectivity": {s: s in flagged for s in shnor}}


def _why(criterion: str, in_rule: bool, reasons: object, flag_text: str, known: bool) -> str:
    if not known:
        return "школы нет в файле schools сезона — правило её не оценивало"
    if criterion == "objectivity":
        return (f"отмечено: {flag_text}" if in_rule
                else "проверка объективности по данным сезона признаков не нашла")
    prefixes = {"shnor": ("ШНОР", "не ШНОР", "зона риска"), "shnsu": ("ШНСУ", "не ШНСУ"),
                "shnor_or_shnsu": ("ШНОР", "не ШНОР", "зона риска", "ШНСУ", "не ШНСУ")}[criterion]
    text = _segments(reasons, *prefixes)
    return text or "в объяснении школы нет сведений об этом условии"


def official_comparison(schools: pd.DataFrame, flags: pd.DataFrame | None,
                        official: pd.DataFrame | None) -> pd.DataFrame:
    """Each official list beside the rule: one row per list and school in either.

    Parameters
    ----------
    schools : DataFrame
        ``SeasonResult.schools`` (``school_id``, ``shnor``, ``shnsu``, ``reasons``).
    flags : DataFrame or None
        ``SeasonResult.flags`` of the year (``school_id``, ``procedure``, ``subject``, ``flag_label``).
    official : DataFrame or None
        The season's ``official_lists`` table (``school_id``, ``list_name``, ``source``).

    Returns
    -------
    DataFrame
        «Список», «Код ОО», «В официальном списке», «По правилу» (да/нет, «—» for a list that is
        not compared), «Итог» (:data:`AGREE`, :data:`ONLY_OFFICIAL`, :data:`ONLY_RULE` or
        :data:`NOT_COMPARED`), «Почему» (the school's own reason for a disagreement; empty when
        both agree) and «Источник». Lists in file order of first appearance, schools in code order.
    """
    if official is None or official.empty:
        return pd.DataFrame(columns=_COLUMNS)
    rule = _by_rule(schools, flags if flags is not None else pd.DataFrame(columns=["school_id"]))
    reasons = dict(zip(schools["school_id"].astype(str), schools["reasons"], strict=True))
    flag_text: dict[str, list[str]] = {}
    if flags is not None and len(flags):
        for r in flags.itertuples():
            flag_text.setdefault(str(r.school_id), []).append(f"{r.procedure}, {r.subject}: {r.flag_label}")
    off = official.assign(school_id=official["school_id"].astype(str))
    rows = []
    for name in dict.fromkeys(off["list_name"].astype(str)):
        part = off[off["list_name"].astype(str) == name]
        sources = dict(zip(part["school_id"], part["source"] if "source" in part else [None] * len(part), strict=True))
        known = OFFICIAL_LISTS.get(normalize_label(name))
        shown = known[0] if known else name
        listed = set(part["school_id"])
        if known is None:
            for sid in sorted(listed, key=school_id_key):
                rows.append([shown, sid, "да", "—", NOT_COMPARED,
                             "список не из известных программе (ФИОКО ШНОР, ФИОКО ШНСУ, 500+, Рособрнадзор: признаки "
                             "необъективности) — показан без сравнения", sources.get(sid) or ""])
            continue
        criterion = known[1]
        ours = {s for s, v in rule[criterion].items() if v}
        for sid in sorted(listed | ours, key=school_id_key):
            a, b = sid in listed, sid in ours
            outcome = AGREE if a and b else (ONLY_OFFICIAL if a else ONLY_RULE)
            why = "" if outcome == AGREE else _why(criterion, b, reasons.get(sid), "; ".join(flag_text.get(sid, [])),
                                                   sid in reasons)
            src = sources.get(sid)
            rows.append([shown, sid, "да" if a else "нет", "да" if b else "нет", outcome, why,
                         "" if src is None or pd.isna(src) else str(src)])
    return pd.DataFrame(rows, columns=_COLUMNS)


def official_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """Agreement counts per list of :func:`official_comparison`.

    Returns
    -------
    DataFrame
        «Список», «С чем сравнивается», «В официальном списке», «По правилу», «В обоих»,
        «Только в официальном списке», «Только по правилу» (numbers of schools).
    """
    cols = ["Список", "С чем сравнивается", "В официальном списке", "По правилу", "В обоих",
            "Только в официальном списке", "Только по правилу"]
    rows = []
    for name in dict.fromkeys(comparison["Список"]):
        part = comparison[comparison["Список"] == name]
        known = OFFICIAL_LISTS.get(normalize_label(name))
        outcome = part["Итог"]
        rows.append([name, known[2] if known else "не сравнивается", int((part["В официальном списке"] == "да").sum()),
                     int((part["По правилу"] == "да").sum()), int((outcome == AGREE).sum()),
                     int((outcome == ONLY_OFFICIAL).sum()), int((outcome == ONLY_RULE).sum())])
    return pd.DataFrame(rows, columns=cols)
