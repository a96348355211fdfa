"""Section 2 (end) «Пересчёт прошлых лет»: the figures of earlier years that this справка shows
differently from their own published справка, and why.

The report of year Y computes Y − 1 and Y − 2 again with today's parameters and inputs (the
change since last year, the dynamics). When those differ from the ones the earlier справка was
made with, the earlier years' counts and statuses may differ from what was published. The
record of each published справка is ``published.json`` beside its tables
(:mod:`shnor_lib.pipeline.published`); :func:`recomputed_years` compares it with this run's
results, :func:`history_headline` words the short block of «Главное», :func:`history_text` and
:func:`history_table` the details.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pandas as pd
import yaml

from ...pipeline.published import published_record
from ..common import as_text, id_key, relative_path, status_word
from ..format import count, fmt_pct
from .methodology import parameter_words

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

SECTION_TITLE = "Пересчёт прошлых лет"  # the notebook's heading; «Главное» links its anchor

__all__ = ["YearChange", "published_records", "recomputed_years", "history_headline", "history_text",
           "history_table"]

_LISTS = (("ШНОР", "ШНОР"), ("ШНСУ", "ШНСУ"), ("зона риска", "зона риска"))
_INTO = {"ШНОР": "вошла в список ШНОР", "ШНСУ": "вошла в список ШНСУ", "зона риска": "вошла в зону риска"}
_OUT = {"ШНОР": "вышла из списка ШНОР", "ШНСУ": "вышла из списка ШНСУ", "зона риска": "вышла из зоны риска"}


@dataclass
class YearChange:
    """One earlier year: its published справка against this run's computation of it.

    ``published`` is False when the year has no published справка to compare with (then every
    other field is empty). ``parameters``: (description, published value, value now) of each
    parameter that differs, in words; ``inputs``: input files added, removed or changed since;
    ``counts``: (list, published count, count now) of each list whose count differs, and the share
    of ШНОР and ШНСУ; ``schools``: (code, name, published status, status now) of each school whose
    status differs ("" — no status, None — not in that computation).
    """

    year: int
    published: bool = True
    parameters: list[tuple[str, str, str]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    counts: list[tuple[str, str, str]] = field(default_factory=list)
    schools: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)

    @property
    def figures_changed(self) -> bool:
        """Whether a figure of the year (a count or a school's status) differs from the published one."""
        return bool(self.counts or self.schools)


def published_records(folder: str | Path | None, years: Iterable[int]) -> dict[int, dict | None]:
    """The published record of each year under ``folder`` (``<out>/<municipality>``; None: no folder)."""
    return {int(y): (published_record(Path(folder) / str(y)) if folder else None) for y in years}


def _plain(data):
    """Parameters as they read back from ``parameters_used.yml`` and ``published.json``."""
    return json.loads(json.dumps(yaml.safe_load(yaml.safe_dump(data, allow_unicode=True)), default=str))


def _parameter_changes(old: dict, new: dict) -> list[tuple[str, str, str]]:
    a, b = parameter_words(_plain(old)), parameter_words(_plain(new))
    out: list[tuple[str, str, str]] = []
    sections: list[str] = []
    for key in dict.fromkeys([*b, *a]):
        if key in a and key in b and a[key][2] == b[key][2]:
            continue
        label = (b.get(key) or a[key])[0]
        if label.startswith(("раздел ", "прочие")):  # no description of its own (a catalogue, groups)
            if label not in sections:
                sections.append(label)
            continue
        out.append((label, a[key][1] if key in a else "не задано", b[key][1] if key in b else "не задано"))
    return out + [(section, "", "изменён") for section in sections]


def _lists(statuses: dict[str, str]) -> dict[str, int]:
    vals = list(statuses.values())
    return {"ШНОР": sum("ШНОР" in v for v in vals), "ШНСУ": sum("ШНСУ" in v for v in vals),
            "зона риска": sum(v == "зона риска" for v in vals)}


def _share(statuses: dict[str, str]) -> float | None:
    n = len(statuses)
    return sum(bool(v) and v != "зона риска" for v in statuses.values()) / n if n else None


def recomputed_years(results: Iterable[SeasonResult], records: dict[int, dict | None],
                     data_root: str | Path | None = None) -> list[YearChange]:
    """Compare each earlier season computed in this run with the record of its published справка.

    Parameters
    ----------
    results : iterable of SeasonResult
        The earlier seasons as this run computed them (the report's year left out).
    records : dict
        Year → :func:`~shnor_lib.pipeline.published.published_record` (None: never published).
    data_root : path, optional
        The data folder, to name input files relative to it (as the manifest does).

    Returns
    -------
    list of YearChange
        One per season, oldest first.
    """
    out = []
    for r in sorted(results, key=lambda x: x.year):
        rec = records.get(r.year)
        if not rec:
            out.append(YearChange(r.year, published=False))
            continue
        ch = YearChange(r.year)
        clean = {k: v for k, v in r.params.items() if not str(k).startswith("_")}
        ch.parameters = _parameter_changes(rec.get("parameters") or {}, clean)
        now_inputs = {relative_path(p, data_root or r.data_root): h for p, h in r.checksums.items()}
        was_inputs = rec.get("inputs") or {}
        ch.inputs = sorted(f for f in {*now_inputs, *was_inputs} if now_inputs.get(f) != was_inputs.get(f))
        was = {str(sid): str(st or "") for sid, _, st in rec["schools"]}
        names = {str(sid): str(name or "") for sid, name, _ in rec["schools"]}
        s = r.schools
        now = dict(zip(s["school_id"].astype(str), as_text(s["status"]).astype(str), strict=True))
        names.update(dict(zip(s["school_id"].astype(str), as_text(s["name"]).astype(str), strict=True)))
        a, b = _lists(was), _lists(now)
        ch.counts = [(label, str(a[key]), str(b[key])) for key, label in _LISTS if a[key] != b[key]]
        sa, sb = _share(was), _share(now)
        if ch.counts and sa is not None and sb is not None and fmt_pct(sa) != fmt_pct(sb):
            ch.counts.append(("доля ШНОР и ШНСУ", fmt_pct(sa), fmt_pct(sb)))
        ch.schools = [(sid, names.get(sid, ""), was.get(sid), now.get(sid))
                      for sid in sorted({*was, *now}, key=id_key) if was.get(sid) != now.get(sid)]
        out.append(ch)
    return out


def _school_change(sid: str, name: str, was: str | None, now: str | None) -> str:
    who = f"школа {sid} ({name})" if name and name != sid else f"школа {sid}"
    if was is None:
        return f"{who} — нет в опубликованном расчёте, теперь " + (f"«{now}»" if now else "без статуса")
    if now is None:
        return f"{who} — нет в нынешнем расчёте (был{'' if not was else ' статус'} «{was or 'без статуса'}»)"
    words = []
    for lst in ("ШНОР", "ШНСУ", "зона риска"):
        inside_was = (lst in was) if lst != "зона риска" else was == lst
        inside_now = (lst in now) if lst != "зона риска" else now == lst
        if inside_now and not inside_was:
            words.append(_INTO[lst])
        elif inside_was and not inside_now:
            words.append(_OUT[lst])
    return f"{who} {' и '.join(words)}" if words else f"{who}: было «{was}», стало «{now}»"


def _counts_words(ch: YearChange) -> str:
    """«ШНОР было 3, стало 4; в зоне риска было 0, стало 1; доля ШНОР и ШНСУ была 20,0%, стала 30,0%»."""
    words = {"зона риска": ("в зоне риска", "было", "стало"), "доля ШНОР и ШНСУ": ("доля ШНОР и ШНСУ", "была", "стала")}
    out = []
    for label, was, now in ch.counts:
        name, v1, v2 = words.get(label, (label, "было", "стало"))
        out.append(f"{name} {v1} {was}, {v2} {now}")
    return "; ".join(out)


def _why(ch: YearChange, limit: int | None = None) -> str:
    parts = []
    if ch.parameters:
        items = ch.parameters if limit is None else ch.parameters[:limit]
        words = "; ".join(f"{label}: {was} → {now}" if was else f"{label} {now}" for label, was, now in items)
        more = len(ch.parameters) - len(items)
        if more:
            words += f" и ещё {count(more, 'параметр', 'параметра', 'параметров')}"
        parts.append("изменены параметры расчёта — " + words)
    if ch.inputs:
        n = len(ch.inputs)
        files = ch.inputs if limit is None else ch.inputs[:limit]
        parts.append(f"изменились входные данные ({count(n, 'файл', 'файла', 'файлов')}: "
                     + ", ".join(files) + (" …" if len(files) < n else "") + ")")
    if not parts:
        parts.append("параметры и входные файлы те же — различие дала новая версия программы")
    return "; ".join(parts)


def history_headline(changes: list[YearChange]) -> str:
    """The short block of «Главное» (Markdown) for the earlier years whose figures differ from their
    published справка; "" when none does."""
    changed = [c for c in changes if c.published and c.figures_changed]
    if not changed:
        return ""
    lines = []
    for c in changed:
        schools = "; ".join(_school_change(*s) for s in c.schools[:5])
        if len(c.schools) > 5:
            schools += f" и ещё {count(len(c.schools) - 5, 'школа', 'школы', 'школ')}"
        lines.append(f"**Цифры {c.year} года пересчитаны** и отличаются от опубликованных в справке за {c.year} "
                     f"год: {_counts_words(c) + '; ' if c.counts else ''}{schools}. "
                     f"Причина: {_why(c, limit=3)}. Подробнее — в разделе "
                     f"[«Пересчёт прошлых лет»](#{quote(SECTION_TITLE.replace(' ', '-'))}).")
    return "\n\n".join(lines)


def history_text(changes: list[YearChange], year: int) -> str:
    """«Пересчёт прошлых лет» (Markdown): per earlier year, whether its figures in this справка match
    its published справка, and if not, which and why."""
    if not changes:
        return f"Более ранних сезонов до {year} года в расчёте нет — сравнивать не с чем."
    lines = []
    for c in changes:
        if not c.published:
            lines.append(f"- **{c.year}**: справка за этот год ранее не публиковалась — сравнивать не с чем.")
        elif not c.figures_changed and not c.parameters and not c.inputs:
            lines.append(f"- **{c.year}**: цифры совпадают с опубликованной справкой.")
        elif not c.figures_changed:
            lines.append(f"- **{c.year}**: статусы школ и их число совпадают с опубликованной справкой, хотя "
                         f"{_why(c)}.")
        else:
            n = len(c.schools)
            lines.append(f"- **{c.year}**: цифры отличаются от опубликованной справки — "
                         f"{_counts_words(c) + '; ' if c.counts else ''}статус изменился у "
                         f"{count(n, 'школы', 'школ', 'школ')} (см. таблицу). Причина: {_why(c)}.")
    if any(c.figures_changed for c in changes if c.published):
        lines.append("")
        lines.append("Справка за прошлые годы остаётся такой, какой была опубликована; в этой справке цифры "
                     "прошлых лет (изменения за год, динамика) рассчитаны заново с нынешними параметрами и "
                     "данными, чтобы годы сравнивались по одним правилам.")
    return "\n".join(lines)


def history_table(changes: list[YearChange]) -> pd.DataFrame:
    """Schools whose status of an earlier year differs from the published one: «Год», «Код ОО»,
    «Наименование», «В опубликованной справке», «В этой справке»."""
    def word(v: str | None) -> str:
        return "нет в расчёте" if v is None else status_word(v)

    rows = [{"Год": str(c.year), "Код ОО": sid, "Наименование": name, "В опубликованной справке": word(was),
             "В этой справке": word(now)}
            for c in changes if c.published for sid, name, was, now in c.schools]
    return pd.DataFrame(rows, columns=["Год", "Код ОО", "Наименование", "В опубликованной справке",
                                       "В этой справке"])

