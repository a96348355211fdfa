"""Section 4 «Объективность результатов»: results with signs of non-objectivity, of which kind,
and whether the rules used them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ...analysis.rules import FLAG_LABELS, exempt_kind
from ..common import (
    id_key,
    name_of,
    sorted_ids,
)
from ..format import fmt_g, fmt_pct, plural

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
        # one line per distinct detail: a sign over pooled grades (ВПР–ГИА) says the same for each grade
        rows.append([sid, names.get(sid, ""), proc, subj, ", ".join(str(int(v)) for v in g["grade"]), label,
                     "\n".join(dict.fromkeys(g["detail"]))])
    out = pd.DataFrame(rows, columns=cols)
    order = sorted(range(len(out)), key=lambda i: (id_key(out.iat[i, 0]), out.iat[i, 2], out.iat[i, 3], out.iat[i, 5]))
    return out.iloc[order].reset_index(drop=True)


def _sd(x: float) -> str:
    """«2 стандартных отклонения», «1,5 стандартного отклонения» (a fraction takes the genitive singular)."""
    if float(x).is_integer():
        n = int(x)
        return f"{n} " + plural(n, "стандартное отклонение", "стандартных отклонения", "стандартных отклонений")
    return f"{fmt_g(x)} стандартного отклонения"


def _rules_text(result: SeasonResult) -> str:
    """How each sign is defined, with the thresholds used and whether they are the package's own."""
    o = result.params["objectivity"]
    return (f"\n\nРезкое отличие параллели: доля «2» в классе вне {fmt_pct(o['jump_confidence'], 0)} "
            f"биномиального интервала вокруг других классов школы и отличается не менее чем на "
            f"{o['jump_min_pp']} п.п. Завышенный результат: показатель класса выше верхней границы по округу "
            f"(Q3 + {fmt_g(o['iqr_k'])}·IQR), а "
            + ("ГИА школы по тому же предмету (ОГЭ, ЕГЭ), если она есть, иначе другие процедуры школы, "
               if o.get("inflated_reference", "gia") == "gia" else "другие процедуры школы ")
            + "ниже медианы по округу. Расхождение ВПР и ГИА: по одному предмету ВПР школы и её ОГЭ или ЕГЭ "
            f"лежат по разные стороны от среднего по округу, и их положения различаются не меньше чем на "
            f"{_sd(o['vpr_gia_gap'])} с учётом числа участников (у маленькой школы случайный разброс больше, "
            "и такой же разрыв у неё весит меньше); признак ставится более высокому результату. "
            f"Пороги несоответствия ВПР и школьных отметок («повысили» не меньше "
            f"{fmt_pct(o['mismatch_raised'], 0)}, «подтвердили» меньше {fmt_pct(o['mismatch_confirmed'], 0)}), "
            "как и пороги других признаков, — эвристика пакета, а не официальный критерий: "
            "опубликованных значений для них нет.")


def _exempt_text(result: SeasonResult) -> str:
    """Which schools the kind exempts from «завышенный результат» and what they would have got."""
    words = result.params["objectivity"].get("inflated_exempt_kinds") or []
    s = result.schools
    if not words or "kind" not in s.columns:
        return ""
    ids = sorted_ids(sid for sid, k in zip(s["school_id"], s["kind"]) if exempt_kind(k, result.params))
    if not ids:
        return ""
    n = len(ids)
    listed = ", ".join(f"«{w}»" for w in words)
    text = (f"\n\nПризнак «завышенный результат» не ставится школам с отбором, у которых «Тип ОО» содержит "
            f"{listed}: {n} {plural(n, 'школа', 'школы', 'школ')} ({'; '.join(ids)}); их высокие результаты "
            "ожидаемы.")
    ex = result.inflated_exempt
    if ex is None or ex.empty:
        return text + " Результатов выше верхней границы по округу у них в этом году нет."
    k = len(ex)
    would = int(ex["would_flag"].sum())
    text += (f" У них {k} {plural(k, 'результат', 'результата', 'результатов')} выше верхней границы по округу "
             f"(школы: {'; '.join(sorted_ids(ex['school_id'].unique()))})")
    if would:
        text += (f", из них {would} получили бы признак без этого исключения "
                 f"(школы: {'; '.join(sorted_ids(ex.loc[ex['would_flag'].astype(bool), 'school_id'].unique()))}).")
    else:
        text += "; признак не получил бы ни один: их ГИА и другие процедуры не ниже медианы."
    return text


def objectivity_text(result: SeasonResult) -> str:
    """Section 4: how many results carry signs of non-objectivity, of which kind, what was done,
    how each sign is defined (and that its thresholds are the package's heuristic), and which
    schools were exempt from «завышенный результат» by their kind."""
    f = result.flags
    p = result.params
    if f is None or f.empty:
        return (f"Признаков возможной необъективности результатов {result.year} года не выявлено "
                "(проверены резкие отличия параллелей, изменения результатов класса за год, завышенные "
                "результаты, расхождения ВПР и ГИА и, где есть данные ФИС ОКО, несоответствие ВПР и школьных "
                "отметок)." + _rules_text(result) + _exempt_text(result))
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
    return text + _rules_text(result) + _exempt_text(result)
