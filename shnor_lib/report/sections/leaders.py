"""Section 11 «Школы-лидеры»: the suggested pairs of a ШНОР/ШНСУ and a school-leader, and who is
left without one and why.
"""

from __future__ import annotations

import re

import pandas as pd

from ..common import (
    as_text,
    n_schools_gen,
)
from ..format import fmt_num, plural

__all__ = ["leaders_text", "leaders_table"]


def leaders_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """Suggested pairs: «Код ОО», «ОО (ШНОР/ШНСУ)», «Статус», «Школа-лидер», «Обоснование» (one line per argument)."""
    cols = ["Код ОО", "ОО (ШНОР/ШНСУ)", "Статус", "Школа-лидер", "Обоснование"]
    if pairs is None or pairs.empty:
        return pd.DataFrame(columns=cols)
    d = pairs[pairs["leader_id"].notna()]
    why = [re.sub(r"; (?!\d)", "\n", re.sub(r"^школа-лидер № [^:]*: ", "", str(x))) for x in d["explanation"]]
    return pd.DataFrame({
        "Код ОО": d["partner_id"].astype(str).values, "ОО (ШНОР/ШНСУ)": as_text(d["partner_name"]).values,
        "Статус": as_text(d["partner_status"]).values,
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
                "Школа-лидер закрепляется за каждой ШНОР и ШНСУ.")
    paired = pairs[pairs["leader_id"].notna()]
    alone = pairs[pairs["leader_id"].isna()]
    q = "медианы" if lp["fail_quantile"] == 0.5 else f"квантиля {fmt_num(lp['fail_quantile'])}"
    text = (f"Школа-лидер подбирается для каждой ШНОР и ШНСУ ({n_schools_gen(len(pairs))}). ")
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
