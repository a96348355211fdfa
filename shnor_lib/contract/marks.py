"""Row-level reading of ``results``: marks that do not add up, journal shares, the share of rows left out.

A row whose marks do not match its participants is not a structural error: it is converted
(percentages → counts by the largest remainder, blank marks → 0 when the rest adds up) or
quarantined (marks that do not add up, no participants, ЕГЭ without the number below the
threshold), and every such row goes to the issues ledger with its reason and original
values. When more rows would be left out than ``validation.max_quarantined_share`` allows,
the file as a whole is wrong (:func:`systematic_quarantine`) and the run stops.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..config.params import load_params
from ..errors import ParameterError, Problem
from ..io.table import ROW, RawFile
from ..report.format import plural
from .checks import rows_text
from .vocabulary import load_vocabulary

__all__ = ["MARKS", "JOURNAL", "largest_remainder", "usual_marks", "reconcile_marks", "journal_shares",
           "quarantine_limits", "systematic_quarantine"]

MARKS = ["n2", "n3", "n4", "n5"]
JOURNAL = ["journal_lowered", "journal_confirmed", "journal_raised"]


def _of_pupils(n: float) -> str:
    """«от 131 участника», «от 25 участников» (genitive after «от»)."""
    return plural(int(n), "участника", "участников", "участников")


def _fmt(v: float) -> str:
    """A number as a message shows it: «12,5»; blank for a missing value."""
    return "" if pd.isna(v) else f"{v:g}".replace(".", ",")


def largest_remainder(shares: list[float], total: int) -> list[int]:
    """Counts of ``total`` in the given percentages, adding up to ``total`` (largest remainders first)."""
    raw = [s * total / 100.0 for s in shares]
    base = [math.floor(x) for x in raw]
    rest = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


def usual_marks(res: pd.DataFrame, percent: np.ndarray | None = None) -> np.ndarray:
    """Rows :func:`reconcile_marks` keeps untouched and silently: participants, and either
    ЕГЭ with failed/high within participants, or integer marks (not written with «%»)
    adding up to participants."""
    n = res["participants"].to_numpy(dtype=float)
    ege = ~load_vocabulary().marked_mask(res["procedure"], res["subject"])  # scores with a threshold
    failed, high = res["failed"].to_numpy(dtype=float), res["high"].to_numpy(dtype=float)
    m = res[MARKS].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        ege_ok = ege & ~np.isnan(failed) & ~(failed > n) & ~(high > n)
        total = m[:, 0] + m[:, 1] + m[:, 2] + m[:, 3]
        marks_ok = (~ege & ~np.isnan(m).any(axis=1) & (np.abs(total - n) < 1e-9)
                    & (np.floor(m) == m).all(axis=1))
    usual = (n != 0) & (ege_ok | marks_ok)
    return usual if percent is None else usual & ~percent


def reconcile_marks(res: pd.DataFrame, raw: RawFile, issues: list[dict], municipality: str, year: int,
                     percent: np.ndarray | None = None) -> pd.DataFrame:
    """Convert or quarantine rows whose mark distribution does not match participants.

    ``percent`` marks the rows whose marks were written with «%»: they are percentages
    whatever they add up to. Each issue carries ``_kind``, its reason without the row's
    numbers (to count the reasons of a file).
    """
    display = "/".join(raw.path.parts[-4:])
    keep_all = np.ones(len(res), dtype=bool)
    if not len(res):
        return res
    # Most rows are consistent; they are kept as they are. Only the others go through the
    # row-by-row reasoning below (in file order, so the ledger keeps its order).
    unusual = np.flatnonzero(~usual_marks(res, percent))
    shown_cols = [c for c in raw.frame.columns if c != ROW and not c.startswith("_extra:")]
    labels = [raw.label(c) for c in shown_cols]
    marks_now = res[MARKS].to_numpy(dtype=float).copy()  # conversions, written back at the end
    scored = ~load_vocabulary().marked_mask(res["procedure"], res["subject"])
    changed = False
    for pos, (idx, r) in zip(unusual, res.iloc[unusual].iterrows()):
        original = "; ".join(f"{label}={v}" for label, v in zip(labels, raw.frame.loc[idx, shown_cols].tolist()))

        def issue(action: str, reason: str, kind: str) -> None:
            issues.append({"municipality": municipality, "year": year, "file": display, "row": int(r[ROW]),
                           "school_id": r["school_id"], "procedure": r["procedure"], "subject": r["subject"],
                           "grade": int(r["grade"]), "action": action, "reason": reason, "original": original,
                           "_kind": kind})

        n = r["participants"]
        if n == 0:
            issue("исключена", "нет участников (0).", "нет участников (0)")
            keep_all[pos] = False
            continue
        if scored[pos]:
            if pd.isna(r["failed"]):
                issue("исключена", "ЕГЭ: не указано число не преодолевших порог.",
                      "ЕГЭ: не указано число не преодолевших порог")
                keep_all[pos] = False
            elif r["failed"] > n or (pd.notna(r["high"]) and r["high"] > n):
                issue("исключена", f"ЕГЭ: не преодолели порог ({_fmt(r['failed'])}) или высокий балл "
                                   f"({_fmt(r['high'])}) больше числа участников ({_fmt(n)}).",
                      "ЕГЭ: не преодолевших порог или высокобалльников больше, чем участников")
                keep_all[pos] = False
            continue
        marks = [r[m] for m in MARKS]
        if all(pd.isna(m) for m in marks):
            issue("исключена", "нет распределения отметок (все ячейки 2–5 пустые).",
                  "нет распределения отметок (все ячейки 2–5 пустые)")
            keep_all[pos] = False
            continue
        blanks = [m for m, v in zip(MARKS, marks) if pd.isna(v)]
        values = [0.0 if pd.isna(v) else float(v) for v in marks]
        total = sum(values)
        shown = "+".join(_fmt(v) for v in values)
        if percent is not None and percent[pos]:
            # Written with «%»: percentages whatever they add up to, even with 100 participants.
            if abs(total - 100.0) <= 0.5:
                counts = largest_remainder(values, int(n))
                marks_now[pos] = [float(c) for c in counts]
                changed = True
                issue("преобразована", f"отметки указаны в процентах (со знаком «%»: {shown} = {_fmt(total)}%), "
                                       f"пересчитаны в количество от {_fmt(n)} {_of_pupils(n)}: "
                                       f"{'+'.join(map(str, counts))}.", "отметки в процентах")
            else:
                issue("исключена", f"отметки указаны в процентах (со знаком «%»), но их сумма {shown} = "
                                   f"{_fmt(total)}% не равна 100%.", "отметки в процентах, но их сумма не 100%")
                keep_all[pos] = False
            continue
        if abs(total - n) < 1e-9 and all(float(v).is_integer() for v in values):
            if blanks:
                marks_now[pos, [MARKS.index(b) for b in blanks]] = 0.0
                changed = True
                issue("преобразована", f"пустые ячейки отметок ({', '.join('«' + b[1] + '»' for b in blanks)}) приняты за 0: "
                                       f"{shown} = {_fmt(n)} {plural(int(n), 'участник', 'участника', 'участников')}.",
                      "пустые отметки приняты за 0")
        elif abs(total - 100.0) <= 0.5 and n != 100:
            counts = largest_remainder(values, int(n))
            marks_now[pos] = [float(c) for c in counts]
            changed = True
            issue("преобразована", f"отметки указаны в процентах ({shown} = {_fmt(total)}%), пересчитаны в количество "
                                   f"от {_fmt(n)} {_of_pupils(n)}: {'+'.join(map(str, counts))}.", "отметки в процентах")
        else:
            issue("исключена", f"сумма отметок {shown} = {_fmt(total)} не равна числу участников {_fmt(n)}.",
                  "сумма отметок не равна числу участников")
            keep_all[pos] = False
    if changed:
        for k, c in enumerate(MARKS):
            res[c] = marks_now[:, k]
    return res[pd.Series(keep_all, index=res.index, dtype=bool)]


def journal_shares(res: pd.DataFrame) -> pd.DataFrame:
    """Journal columns may be shares (≤1), percentages or counts; store shares of participants."""
    cols = JOURNAL
    vals = res[cols].astype(float)
    total = vals.sum(axis=1, min_count=1)
    as_counts = total > 1.5
    as_pct = as_counts & (total - 100).abs().le(1.0) & res["participants"].ne(100)
    denom = np.where(as_pct, 100.0, np.where(as_counts, res["participants"].astype(float), 1.0))
    for c in cols:
        res[c] = vals[c] / denom
    return res


def quarantine_limits(params: dict | str | None = None) -> tuple[float, int]:
    """``validation.max_quarantined_share`` and ``validation.min_quarantined_rows``, checked.

    ``params`` are loaded parameters (:func:`shnor_lib.config.params.load_params`: what the
    pipeline passes, so a project's ``parameters/`` and ``--params`` count); a municipality
    name or None reads the package's ``parameters/`` (``default.yml``, ``<municipality>.yml``).
    """
    if not isinstance(params, dict):
        params = load_params(params)
    block = params.get("validation") or {}
    share, rows = block.get("max_quarantined_share", 0.2), block.get("min_quarantined_rows", 5)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise ParameterError(f"параметр «validation.max_quarantined_share» = {share!r} должен быть долей "
                             "больше 0 и не больше 1.")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ParameterError(f"параметр «validation.min_quarantined_rows» = {rows!r} должен быть целым числом "
                             "не меньше 1.")
    return float(share), rows


def systematic_quarantine(municipality: str, n_rows: int, reconciled: list[dict],
                          limits: tuple[float, int] | None) -> list[Problem]:
    """The problems to stop with when too many of the results rows would be left out.

    Only rows left out («исключена») count: converted rows are read as meant, totals rows
    are not data. A few wrong rows are typos; a large share of them is a file filled or
    exported the wrong way (columns shifted, marks of another kind), which the ledger
    would otherwise hide behind a shorter list of schools.
    """
    out = [i for i in reconciled if i["action"] == "исключена"]
    if not out or not n_rows:
        return []
    share, min_rows = limits if limits is not None else quarantine_limits(municipality)
    if len(out) < min_rows or len(out) <= share * n_rows:
        return []
    display = out[0]["file"]
    kinds: dict[str, list[int]] = {}
    for i in out:
        kinds.setdefault(i["_kind"], []).append(i["row"])
    ranked = sorted(kinds.items(), key=lambda kv: -len(kv[1]))
    top = "; ".join(f"«{k}» — {len(v)} {plural(len(v), 'строка', 'строки', 'строк')}" for k, v in ranked[:3])
    head = Problem(display, None, None,
                   f"исключены были бы {len(out)} из {n_rows} {plural(n_rows, 'строки', 'строк', 'строк')} "
                   f"({100 * len(out) / n_rows:.0f}%) — больше допустимой доли {100 * share:g}% "
                   "(параметр validation.max_quarantined_share): это похоже не на отдельные опечатки, а на ошибку "
                   f"всего файла. Чаще всего: {top}.",
                   "Проверьте, как файл заполнен или выгружен (сдвинутые или переименованные столбцы отметок, "
                   "проценты вместо количества); строки с каждой причиной — ниже.")
    return [head] + [Problem(display, None, None, f"{k}: {rows_text(np.array(v))}.") for k, v in ranked]


