"""Section 4 «Объективность результатов»: results with signs of non-objectivity, of which kind,
and whether the rules used them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ...analysis.rules import FLAG_LABELS
from ..common import (
    id_key,
    name_of,
    sorted_ids,
)
from ..format import fmt_pct, plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["objectivity_text", "objectivity_table"]


def objectivity_table(result: SeasonResult) -> pd.DataFrame:
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
    names = name_of(result.schools)
    rows = []
    for (sid, proc, subj, label), g in f.assign(school_id=f["school_id"].astype(str)).groupby(
            ["school_id", "procedure", "subject", "flag_label"], sort=False):
        g = g.sort_values("grade")
        rows.append([sid, names.get(sid, ""), proc, subj, ", ".join(str(int(v)) for v in g["grade"]), label,
                     "\n".join(g["detail"])])
    out = pd.DataFrame(rows, columns=cols)
    order = sorted(range(len(out)), key=lambda i: (id_key(out.iat[i, 0]), out.iat[i, 2], out.iat[i, 3], out.iat[i, 5]))
    return out.iloc[order].reset_index(drop=True)


def objectivity_text(result: SeasonResult) -> str:
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
            f"школы: {'; '.join(sorted_ids(f['school_id'].unique()))}. ")
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
