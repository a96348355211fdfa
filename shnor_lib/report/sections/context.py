"""Section 5 «Социальный контекст и учительский ресурс»: ИСБШ and ИУРШ — computed, published or
absent —, the ШНСУ rule, and the identifier table (group of ИСБШ × group of quality).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..common import (
    NO_DATA,
    flag,
    has_input,
    n_schools,
    n_schools_gen,
    name_of,
    no_isbsh_reason,
    published_indices,
    school_list,
    sorted_ids,
)
from ..format import fmt_num, fmt_pct

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["context_text", "identifier_table_view"]


def context_text(result: SeasonResult) -> str:
    """Section 5: ИСБШ and ИУРШ — computed, published or absent; ШНСУ by the rule; the identifier table."""
    s = result.schools
    p = result.params
    names = name_of(s)
    lines = []
    has_z = s["isbsh"].notna().any()
    has_g = s["isbsh_group"].notna().any()
    rule = p["shnsu_rule"]
    crit = (f"группа ИСБШ не выше {rule['isbsh_group_max']} («очень низкий»)" if rule.get("isbsh_group_max") is not None
            else f"ИСБШ в нижних {fmt_pct(rule['isbsh_quantile'], 0)} школ")
    shnsu = s.loc[flag(s, "shnsu"), "school_id"].astype(str)
    if has_z:
        w = result.isbsh_info.get("weights", {})
        lines.append(f"**ИСБШ** рассчитан по социальному паспорту для {n_schools_gen(int(s['isbsh'].notna().sum()))} "
                     f"(среднее 0, стандартное отклонение 1; от {fmt_num(s['isbsh'].min())} до "
                     f"{fmt_num(s['isbsh'].max())}). Учтено показателей: {len(w)}.")
    elif has_g:
        why = "социального паспорта (файл social) нет, поэтому ИСБШ по методике не рассчитан" \
            if not has_input(result, "social") else "по социальному паспорту ИСБШ не рассчитан"
        lines.append(f"**ИСБШ**: {why} — {NO_DATA}. Использованы опубликованные группы ИСБШ (файл indices) "
                     f"для {n_schools_gen(int(s['isbsh_group'].notna().sum()))} из {len(s)}.")
    else:
        lines.append(f"**ИСБШ**: {no_isbsh_reason(result)} Раздел о социальном контексте не строится.")
    if has_z or has_g:
        lines.append(f"ШНСУ — {crit}: " + (f"{school_list(shnsu, names)}." if len(shnsu) else "таких школ нет."))
    if s["iursh_group"].notna().any():
        low = s.loc[s["iursh_group"] == 1, "school_id"].astype(str)
        if s["iursh"].notna().any() and published_indices(result):
            src = "рассчитан по файлу teachers, опубликованные группы (файл indices) имеют приоритет"
        elif s["iursh"].notna().any():
            src = "рассчитан по сведениям о педагогах, файл teachers"
        else:
            src = "опубликованные группы, файл indices"
        lines.append(f"**ИУРШ** известен для {n_schools_gen(int(s['iursh_group'].notna().sum()))} ({src}); "
                     f"группа 1 (низкий учительский ресурс): "
                     + (f"{school_list(low, names, False)}." if len(low) else "нет."))
    else:
        lines.append(f"**ИУРШ**: нет сведений о педагогах (файл teachers) — {NO_DATA}.")
    both = s.dropna(subset=["isbsh_group", "quality_group"])
    if len(both):
        low_q = both["quality_group"] <= 4
        ctx = both.loc[low_q & (both["isbsh_group"] >= 5), "school_id"]
        poor = both.loc[low_q & (both["isbsh_group"] <= 4), "school_id"]
        lines.append(f"Таблица-идентификатор (ниже) распределяет {n_schools(len(both))} по группам ИСБШ (строки) и "
                     "группам качества (столбцы). Низкое качество (группы 1–4) при среднем или высоком ИСБШ "
                     "(группы 5–11) — результаты не объясняются социальным контекстом: "
                     + ("; ".join(sorted_ids(ctx)) if len(ctx) else "таких школ нет") + "; "
                     "низкое качество при низком ИСБШ (группы 1–4): "
                     + ("; ".join(sorted_ids(poor)) if len(poor) else "таких школ нет") + ".")
    else:
        lines.append(f"Таблица-идентификатор (ИСБШ × качество) — {NO_DATA}: нет групп ИСБШ или качества.")
    return "\n\n".join(lines)


def identifier_table_view(result: SeasonResult) -> pd.DataFrame:
    """The 11 × 11 identifier table (seed 004) as a flat table: «Группа ИСБШ», 1…11, «Итого ОО»."""
    t = result.identifier_table.copy()
    t.columns = [str(c) for c in t.columns]
    t.insert(0, "Группа ИСБШ", [str(i) for i in t.index])
    return t.reset_index(drop=True)
