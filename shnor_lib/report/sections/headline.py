"""«Главное»: the block a head of department reads first, above the table of contents.

Counts by status and their change since last year, the named schools of the ШНОР and ШНСУ lists
with one line of reason each, the schools that entered or left a list, the measures that matter
most (in words, with their addressee and reason), the share against the municipal target, and
the main data caveats. When the season cannot apply a condition of the ШНОР rule (one year of
data, one procedure), the count says so and how many schools reach the threshold on the
evidence there is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from ..common import NO_DATA, as_text, flag, id_key, is_risk, name_of, scope_rows, sorted_ids
from ..format import count, fmt_g, fmt_pct, plural
from ..html import CARD_LINK
from .history import YearChange, history_headline
from .identified import status_changes
from .summary import summary_caveats

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["headline_text", "rule_gaps", "school_reason_line", "key_measures"]

_STATUS_ORDER = {"ШНОР+ШНСУ": 0, "ШНОР": 1, "ШНСУ": 2, "зона риска": 3}
_LIST_WORDS = {"ШНОР": ("в список ШНОР", "из списка ШНОР"), "ШНСУ": ("в список ШНСУ", "из списка ШНСУ"),
               "зона риска": ("в зону риска", "из зоны риска")}
_COUNTS = re.compile(r"\s*\(\d[\d\u00a0 ]* из \d[\d\u00a0 ]*\)")


def _schools(n: int) -> str:
    return count(n, "школа", "школы", "школ")


def _change(now: int, before: int | None) -> str:
    """«+2 за год», «−1 за год», «без изменений»; «» when there is no previous season."""
    if before is None:
        return ""
    d = now - before
    return "без изменений за год" if d == 0 else f"{'+' if d > 0 else '−'}{abs(d)} за год"


def _short(reason: str) -> str:
    """A rule's reason without the pupil counts and with the shorter wording of the condition."""
    text = _COUNTS.sub("", reason).strip()
    return (text.replace("в двух различных процедурах в один год", "в двух процедурах одного года")
            .replace(" (но условие ШНОР не выполнено)", ""))


def school_reason_line(reasons: str, status: str) -> str:
    """One line of reason for a listed school from its ``reasons`` (``schools.csv``).

    Keeps the parts that made the status (ШНОР, ШНСУ, зона риска) without the pupil counts, e.g.
    «не менее 30% не преодолели порог в двух различных процедурах в один год: ВПР 2024,
    математика: 36,9%; ОГЭ 2024, математика: 34,0%; ШНСУ — группа ИСБШ 1 из 11 (очень низкий
    социальный индекс)».
    """
    parts = [p.strip() for p in str(reasons or "").split(" | ")]
    out = []
    for p in parts:
        if p.startswith("ШНОР:") and "ШНОР" in status:
            out.append(_short(p[len("ШНОР:"):]))
        elif p.startswith("зона риска:") and status == "зона риска":
            out.append(_short(p[len("зона риска:"):]))
        elif p.startswith("ШНСУ:") and "ШНСУ" in status:
            m = re.search(r"группа (\d+)", p)
            why = (f"группа {m.group(1)} из 11 по индексу социального благополучия школы (ИСБШ)" if m
                   else p[len("ШНСУ:"):].strip())
            out.append(why if status == "ШНСУ" else "ШНСУ — " + why)
    text = "; ".join(out) or "основание — в разделе 2"
    return re.sub(r"(?<![\w.])-(?=\d)", "−", text)


def rule_gaps(result: SeasonResult) -> list[str]:
    """Conditions of the ШНОР rule this season could not apply, in words (empty when both could).

    «одна процедура два года подряд» needs in-scope results of year − 1; «две процедуры в одном
    году» needs at least one school with enough participants in two procedures.
    """
    p = result.params
    m = result.metrics
    gaps = []
    prev_rows = m[(m["year"] == result.year - 1) & m["procedure"].isin(p["procedures"])
                  & m["subject"].isin(p["subjects"]) & m["enough"].astype(bool)]
    if prev_rows.empty:
        gaps.append(f"условие «одна процедура два года подряд» не проверялось — нет результатов за "
                    f"{result.year - 1} год")
    d = scope_rows(result)
    d = d[d["enough"].astype(bool)]
    per_school = d.groupby("school_id")["procedure"].nunique()
    two = int((per_school >= 2).sum())
    if d.empty or two == 0:
        procs = sorted(d["procedure"].unique())
        have = (f"есть результаты только {'процедуры' if len(procs) == 1 else 'процедур'} "
                f"{', '.join(procs)}" if procs else "нет результатов процедур")
        gaps.append(f"условие «две процедуры в одном году» выполниться не может — {have}")
    elif two < len(per_school) / 2:
        gaps.append(f"условие «две процедуры в одном году» можно проверить только у "
                    f"{count(two, 'школы', 'школ', 'школ')} из {len(per_school)} — у остальных есть результаты "
                    "одной процедуры")
    return gaps


def _at_threshold(result: SeasonResult) -> tuple[list[str], dict[str, int]]:
    """Schools with a fail share at or above the ШНОР threshold in at least one procedure this year."""
    d = scope_rows(result)
    d = d[d["enough"].astype(bool) & (d["fail_share"] >= result.params["shnor_threshold"] - 1e-12)]
    by_proc = {proc: int(g["school_id"].nunique()) for proc, g in d.groupby("procedure")}
    return sorted_ids(d["school_id"].unique()), by_proc


def key_measures(recommendations: pd.DataFrame | None, n: int = 5) -> list[dict]:
    """The measures recommended to the most schools (ties: first in the catalogue order), at most ``n``.

    Each item: ``text`` (the measure in words), ``addressee``, ``schools`` (codes), ``why``
    (statuses and risk factors that triggered it, in words).
    """
    if recommendations is None or recommendations.empty:
        return []
    r = recommendations
    order = {mid: i for i, mid in enumerate(dict.fromkeys(r["measure_id"]))}
    rows = []
    for mid, g in r.groupby("measure_id", sort=False):
        statuses, why = [], []
        for t in g["trigger"]:
            for part in str(t).split("; "):
                part = part.strip()
                fm = re.match(r"фактор (\d+) «([^»]*)»", part)
                if fm:
                    why.append(f"фактор риска {fm.group(1)} — {fm.group(2)[:1].lower() + fm.group(2)[1:]}")
                elif part.startswith("статус:"):
                    statuses.append(part[len("статус:"):].strip())
                elif part:
                    # a monitoring indicator below its bar: its name, without each school's value
                    why.append(part.split(":")[0].strip())
        statuses = sorted(dict.fromkeys(statuses), key=lambda x: _STATUS_ORDER.get(x, 9))
        why = ([("статус " if len(statuses) == 1 else "статусы ") + ", ".join(statuses)] if statuses else []) + why
        rows.append({"id": mid, "text": str(g["recommendation"].iat[0]), "addressee": str(g["addressee"].iat[0]),
                     "schools": sorted_ids(g["school_id"].unique()), "why": list(dict.fromkeys(why)),
                     "_order": order[mid]})
    rows.sort(key=lambda x: (-len(x["schools"]), x["_order"]))
    return rows[:n]


def _link(sid: str, cards: bool, has_card: set[str]) -> str:
    return f"[{sid}]({CARD_LINK.format(sid)})" if cards and sid in has_card else sid


def headline_text(result: SeasonResult, previous: SeasonResult | None = None,
                  recommendations: pd.DataFrame | None = None, cards: bool = True,
                  recomputed: list[YearChange] | None = None) -> str:
    """The «Главное» block (Markdown) that opens the report, above the table of contents.

    Parameters
    ----------
    result : SeasonResult
    previous : SeasonResult, optional
        The season of year − 1 (change of counts, entered and left lists).
    recommendations : DataFrame, optional
        :func:`shnor_lib.analysis.risk.recommend` of the season (the key measures).
    cards : bool
        Whether school codes link to the schools' cards.
    recomputed : list of YearChange, optional
        :func:`~shnor_lib.report.sections.history.recomputed_years`: a short block when figures of
        earlier years differ from their published справка.
    """
    s = result.schools
    y = result.year
    sh = result.shares
    lines = ["#### Главное", ""]
    if sh["schools"] == 0:
        return "\n".join(lines + [f"За {y} год нет школ в данных — {NO_DATA}."])
    ids = s["school_id"].astype(str)
    names = name_of(s)
    status = as_text(s["status"])
    shnsu_known = bool(s["isbsh_group"].notna().any() or s["isbsh"].notna().any())
    n_shnor, n_shnsu, n_risk = int(flag(s, "shnor").sum()), int(flag(s, "shnsu").sum()), int(is_risk(s).sum())
    both = int((flag(s, "shnor") & flag(s, "shnsu")).sum())
    before = {}
    if previous is not None:
        ps = previous.schools
        before = {"shnor": int(flag(ps, "shnor").sum()), "shnsu": int(flag(ps, "shnsu").sum()),
                  "risk": int(is_risk(ps).sum())}

    def item(label: str, n: int, key: str) -> str:
        ch = _change(n, before.get(key))
        return f"**{label} — {_schools(n)}**" + (f" ({ch})" if ch else "")

    counts = [item("ШНОР (школы с низкими образовательными результатами)", n_shnor, "shnor")]
    gaps = rule_gaps(result)
    if gaps:
        n_at, by_proc = _at_threshold(result)
        thr = fmt_g(result.params["shnor_threshold"] * 100) + "%"
        where = (f" (все — по {next(iter(by_proc))})" if len(by_proc) == 1 else
                 " (" + ", ".join(f"по {proc} — {n}" for proc, n in by_proc.items()) + ")" if by_proc else "")
        counts[-1] += (f". **Внимание:** {'; '.join(gaps)}, поэтому статус ШНОР мог не присвоиться школам с "
                       f"низкими результатами. Доля не преодолевших порог {thr} и выше хотя бы по одному "
                       f"предмету — у {count(len(n_at), 'школы', 'школ', 'школ')}{where}"
                       + (f": {'; '.join(n_at)}" if n_at else ""))
    if shnsu_known:
        counts.append(item("ШНСУ (школы в неблагоприятных социальных условиях)", n_shnsu, "shnsu")
                      + (f", из них {count(both, 'школа одновременно', 'школы одновременно', 'школ одновременно')}"
                         " ШНОР и ШНСУ" if both else ""))
    else:
        counts.append(f"**ШНСУ (школы в неблагоприятных социальных условиях)** не определялись — {NO_DATA}: "
                      "нет индекса социального благополучия школ")
    counts.append(item("Зона риска", n_risk, "risk"))
    share = sh["share_shnor_shnsu"]
    target = ((result.params.get("targets") or {}).get("shnor_shnsu_share") or {}).get("plan")
    share_line = f"Доля ШНОР и ШНСУ — **{fmt_pct(share)}** ({sh['shnor_or_shnsu']} из {sh['schools']})"
    if target is not None:
        met = share * 100 <= target + 1e-9
        share_line += (f" при целевом значении муниципалитета {fmt_g(target)}% — "
                       + ("цель достигнута" if met else "цель не достигнута"))
    else:
        share_line += "; целевое значение муниципалитета не задано"
    if previous is not None:
        d = (share - previous.shares["share_shnor_shnsu"]) * 100
        share_line += (f"; в {previous.year} году — {fmt_pct(previous.shares['share_shnor_shnsu'])}")
        share_line += "" if abs(d) < 0.05 else f" ({'рост' if d > 0 else 'снижение'} на {fmt_g(round(abs(d), 1))} п.п.)"
    lines += [f"- {c}." for c in counts] + [f"- {share_line}.", ""]
    again = history_headline(recomputed or [])
    if again:  # the earlier years' figures above are not those of their published справка
        lines += [again, ""]

    # the named schools, one line of reason each
    has_card = set(ids[status.ne("") | flag(s, "risk_zone")])
    listed = s[status.isin(["ШНОР+ШНСУ", "ШНОР", "ШНСУ"])]
    if len(listed):
        lines.append("**Школы в списках ШНОР и ШНСУ и почему:**")
        lines.append("")
        rows = sorted(listed.itertuples(), key=lambda r: (_STATUS_ORDER[r.status], id_key(r.school_id)))
        for r in rows:
            sid = str(r.school_id)
            lines.append(f"- {_link(sid, cards, has_card)} {names.get(sid, '')} — **{r.status}**: "
                         f"{school_reason_line(r.reasons, r.status)}.")
        lines.append("")
    risk_ids = sorted_ids(ids[is_risk(s)])
    if risk_ids:
        lines.append(f"**Зона риска** (доля не преодолевших порог от {fmt_g(result.params['risk_threshold'] * 100)}%, "
                     "но условие ШНОР не выполнено): "
                     + "; ".join(f"{_link(i, cards, has_card)} {names.get(i, '')}".strip() for i in risk_ids) + ".")
        lines.append("")

    # entered and left
    if previous is not None:
        ch = status_changes(result, previous)
        all_names = {**name_of(previous.schools), **names}
        moved = []
        for lst in ("ШНОР", "ШНСУ", "зона риска"):
            if lst == "ШНСУ" and not shnsu_known:
                continue
            into, out_of = _LIST_WORDS[lst]
            for change, word in (("вошла", "вошли " + into), ("вышла", "вышли " + out_of)):
                got = sorted_ids(ch.loc[(ch["list"] == lst) & (ch["change"] == change), "school_id"])
                if got:
                    moved.append(f"{word} — " + "; ".join(f"{i} ({all_names[i]})" if all_names.get(i) else i
                                                          for i in got))
        lines.append(f"**Изменения с {previous.year} года:** " + ("; ".join(moved) if moved
                                                                else "состав списков не изменился") + ".")
    else:
        lines.append(f"**Изменения с {y - 1} года:** {NO_DATA} — сезон {y - 1} года не загружен.")
    lines.append("")

    measures = key_measures(recommendations)
    if measures:
        lines.append("**Главные меры** (рекомендованы наибольшему числу школ; все меры — в разделе 9"
                     + (" и в карточках школ):" if cards else "):"))
        lines.append("")
        for i, mz in enumerate(measures, 1):
            k = len(mz["schools"])
            lines.append(f"{i}. {mz['text'].rstrip('.')}. *Кто выполняет:* {mz['addressee']}. "
                         f"*Для {k} {plural(k, 'школы', 'школ', 'школ')}:* {'; '.join(mz['schools'])}. "
                         f"*Основание:* {'; '.join(mz['why'])}.")
        lines.append("")
    caveats = summary_caveats(result, previous, previous_year_note=not gaps)
    if caveats:
        lines.append("**Ограничения данных:** " + " ".join(caveats))
    return "\n".join(lines).rstrip() + "\n"
