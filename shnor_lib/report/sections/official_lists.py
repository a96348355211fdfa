"""Section 2 addition «Официальные списки рядом с правилом»: the season's ``official_lists``
(ФИОКО ШНОР / ШНСУ, «500+», Рособрнадзор) beside the statuses of the rule, with agreement counts
and the reason for every disagreement (Методика §3.7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ...analysis.official import ONLY_OFFICIAL, ONLY_RULE, official_comparison, official_summary
from ..format import plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["official_lists_table", "official_lists_summary", "official_lists_text"]


def official_lists_table(result: SeasonResult) -> pd.DataFrame:
    """Every list and school in either the official list or the rule, with the outcome and its reason."""
    return official_comparison(result.schools, result.flags, result.official_lists)


def official_lists_summary(result: SeasonResult) -> pd.DataFrame:
    """Agreement counts per official list (:func:`shnor_lib.analysis.official.official_summary`)."""
    return official_summary(official_lists_table(result))


def _schools(n: int) -> str:
    return f"{n} {plural(n, 'школа', 'школы', 'школ')}"


def official_lists_text(result: SeasonResult) -> str:
    """Plain Russian: which lists were given, how many schools agree, where they differ and why to look."""
    if result.official_lists is None or result.official_lists.empty:
        return ("Официальные списки (ФИОКО, «500+», Рособрнадзор) за этот сезон не заданы: файл official_lists "
                "не приложен, поэтому сравнить статусы по правилу с ними нельзя.")
    summary = official_lists_summary(result)
    parts = []
    for r in summary.itertuples(index=False):
        if r[1] == "не сравнивается":
            parts.append(f"«{r[0]}» — {_schools(r[2])}, с правилом не сравнивается")
            continue
        text = f"«{r[0]}» ({_schools(r[2])}) и {r[1]} ({_schools(r[3])}): в обоих — {r[4]}"
        if r[5] or r[6]:
            text += f", только в официальном списке — {r[5]}, только по правилу — {r[6]}"
        else:
            text += ", расхождений нет"
        parts.append(text)
    table = official_lists_table(result)
    differ = int(table["Итог"].isin([ONLY_OFFICIAL, ONLY_RULE]).sum())
    tail = (" Для каждого расхождения в таблице ниже — причина из объяснения школы. Официальные списки "
            "составлены по своим методикам и данным (часто за другой год), поэтому расхождение не ошибка, а "
            "повод сверить." if differ else "")
    return "Официальные списки рядом со статусами по правилу: " + "; ".join(parts) + "." + tail
