"""Section 7 «Кластеры школ»: the clusters in words and numbers, and where the identified schools fall."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..common import (
    NO_DATA,
    as_text,
    n_schools,
)
from ..format import plural

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["clusters_text", "clusters_table", "cluster_level"]


def cluster_level(cluster: int, k: int) -> str:
    """A distinct name for cluster ``cluster`` of ``k`` ordered from the lowest results (1) to the highest (k)."""
    if cluster == 1:
        return "самые низкие результаты"
    if cluster == k:
        return "самые высокие результаты"
    middle = list(range(2, k))
    if len(middle) == 1:
        return "средние результаты"
    i = middle.index(cluster)
    if len(middle) == 2:
        return ("результаты ниже среднего", "результаты выше среднего")[i]
    if len(middle) == 3:
        return ("результаты ниже среднего", "средние результаты", "результаты выше среднего")[i]
    return f"средние результаты (ступень {i + 1} из {len(middle)} снизу)"


def clusters_table(result: SeasonResult) -> pd.DataFrame:
    """Clusters: «Кластер», «Число ОО», «Школы», «Не преодолели порог, %», «Качество знаний, %»."""
    c = result.clusters
    if c is None or c.empty:
        return pd.DataFrame(columns=["Кластер", "Число ОО", "Школы", "Не преодолели порог, %", "Качество знаний, %"])
    return pd.DataFrame({
        "Кластер": c["cluster"].astype(int).values,
        "Число ОО": c["n"].astype(int).values,
        "Школы": [str(v).replace(", ", "; ") for v in c["schools"]],  # «3; 7», never «3, 7»
        "Не преодолели порог, %": 100 * c["fail_share"].values,
        "Качество знаний, %": 100 * c["quality_share"].values,
    })


def clusters_text(result: SeasonResult) -> str:
    """Section 7: the clusters in words, and where the identified schools fall."""
    c = result.clusters
    p = result.params["clustering"]
    if c is None or c.empty:
        n = int(result.schools["cluster"].notna().sum()) if "cluster" in result.schools else 0
        return (f"Кластеры не построены — {NO_DATA}: нужно не меньше {max(p['min_schools'], p['n_clusters'] + 1)} "
                f"школ с результатами {', '.join(p['procedures'])} по русскому языку и математике (есть: {n}).")
    lines = [f"Школы разделены на {len(c)} {plural(len(c), 'кластер', 'кластера', 'кластеров')} по долям «2» и "
             f"качеству знаний ({', '.join(p['procedures'])}, русский язык и математика; метод Уорда); "
             "кластер 1 — самые низкие результаты."]
    k = len(c)
    for cl, d in zip(c["cluster"].astype(int), c["description"], strict=True):
        lines.append(f"- {str(d).replace('средние результаты', cluster_level(cl, k))}")
    s = result.schools
    low = s[(s["cluster"] == 1)]
    flagged = low[as_text(low["status"]).ne("")]
    if len(low):
        lines.append(f"\nВ кластере 1 — {n_schools(len(low))}; из них со статусом: "
                     + (", ".join(f"{i} ({st})" for i, st in zip(flagged["school_id"].astype(str), flagged["status"], strict=True))
                        if len(flagged) else "нет") + ".")
    return "\n".join(lines)
