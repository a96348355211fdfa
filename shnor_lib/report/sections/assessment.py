"""Section 3 «Результаты оценочных процедур»: municipal fail shares per procedure and subject
in the rules' scope, and the schools at or above the ШНОР threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..common import (
    NO_DATA,
    scope_rows,
    sorted_ids,
)
from ..format import fmt_int, fmt_num, fmt_pct, plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["assessment_text", "assessment_table"]


def assessment_table(result: SeasonResult) -> pd.DataFrame:
    """Municipal totals per procedure and subject in the rules' scope (Σ over schools).

    Returns
    -------
    DataFrame
        «Процедура», «Предмет», «Школ», «Участников», «Не преодолели порог, %»,
        «Качество знаний, %», «Школ с долей «2» ≥ порога» (shares in percent units).
    """
    d = scope_rows(result)
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


def assessment_text(result: SeasonResult) -> str:
    """Section 3: municipal fail shares per procedure and subject, and the schools over the threshold."""
    d = scope_rows(result)
    if d.empty:
        return f"Результатов оценочных процедур в объёме правила за {result.year} год нет — {NO_DATA}."
    th = result.params["shnor_threshold"]
    lines = [f"Доля не преодолевших минимальный порог в {result.year} году (все школы вместе, Σ «2» / Σ участников):"]
    for r in assessment_table(result).itertuples(index=False):
        proc, subj, _, n, fail = r[0], r[1], r[2], r[3], r[4]
        sub = d[(d["procedure"] == proc.split(" ")[0]) & (d["subject"] == subj)]
        over = sub[(sub["fail_share"] >= th - 1e-12) & sub["enough"]]
        who = f"; школ с долей не ниже {fmt_pct(th, 0)} — {len(over)}" + (
            f" ({'; '.join(sorted_ids(over['school_id']))})" if len(over) else "")
        lines.append(f"- {proc}, {subj}: {fmt_num(fail, 1)}% из {fmt_int(n)} участников{who}.")
    small = d[~d["enough"]]
    if len(small):
        lines.append(f"\n{len(small)} {plural(len(small), 'результат', 'результата', 'результатов')} с числом "
                     f"участников меньше {result.params['min_participants']} показаны на диаграммах бледнее, "
                     "но в правиле не учитываются.")
    lines.append("\nНа диаграммах отметок школы упорядочены по коду; пунктир — порог ШНОР. "
                 "В таблице по классам в каждой ячейке — доля «2» и число участников: малые классы дают "
                 "неустойчивые доли, поэтому смотрите на n.")
    return "\n".join(lines)
