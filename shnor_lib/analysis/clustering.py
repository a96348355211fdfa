"""Clustering of schools by quality of preparation (Методика §6, docs/methodology/clusters.md).

Ward hierarchical clustering (deterministic) on standardised fail and quality
shares of the subjects in scope; clusters are numbered by mean quality, lowest = 1,
and described in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage

from ..contract.schema import school_id_key
from ..report.format import fmt_pct

__all__ = ["cluster_features", "cluster_schools", "describe_clusters"]


def cluster_features(pooled: pd.DataFrame, year: int, params: dict) -> pd.DataFrame:
    """Per school: fail and quality shares of each subject in scope, pooled over the
    clustering procedures (Σ / Σ) for ``year``. Index: school_id."""
    procs = params["clustering"]["procedures"]
    m = pooled[(pooled["year"] == year) & pooled["procedure"].isin(procs) & pooled["subject"].isin(params["subjects"])]
    if m.empty:
        return pd.DataFrame()
    g = m.groupby(["school_id", "subject"])[["failed", "quality", "participants"]].sum()
    g["fail"] = g["failed"] / g["participants"]
    g["quality"] = g["quality"] / g["participants"]
    wide = g[["fail", "quality"]].unstack("subject")
    wide.columns = [f"{a}_share:{b}" for a, b in wide.columns]
    return wide.sort_index()


def cluster_schools(features: pd.DataFrame, params: dict) -> pd.Series:
    """Ward clusters 1…k (1 = lowest mean quality); NaN when too few schools.

    Missing feature values are set to the column mean (0 after standardising) so
    that a school without, say, ОГЭ mathematics still gets a cluster.
    """
    k = int(params["clustering"]["n_clusters"])
    if features.empty or len(features) < max(params["clustering"]["min_schools"], k + 1):
        return pd.Series(np.nan, index=features.index, name="cluster")
    x = features.astype(float)
    sd = x.std(ddof=0).replace(0, 1.0)
    z = ((x - x.mean()) / sd).fillna(0.0)
    labels = fcluster(linkage(z.values, method="ward"), t=k, criterion="maxclust")
    quality_cols = [c for c in x.columns if c.startswith("quality_share")]
    fail_cols = [c for c in x.columns if c.startswith("fail_share")]
    score = x[quality_cols].mean(axis=1) - x[fail_cols].mean(axis=1)
    order = pd.Series(score.values, index=labels).groupby(level=0).mean().sort_values()
    renumber = {old: new for new, old in enumerate(order.index, start=1)}
    return pd.Series([renumber[v] for v in labels], index=features.index, name="cluster")


def describe_clusters(features: pd.DataFrame, clusters: pd.Series) -> pd.DataFrame:
    """One row per cluster: size, schools, mean shares and a sentence in Russian."""
    if clusters.isna().all():
        return pd.DataFrame(columns=["cluster", "n", "schools", "description"])
    rows = []
    x = features.join(clusters)
    fail_cols = [c for c in features.columns if c.startswith("fail_share")]
    qual_cols = [c for c in features.columns if c.startswith("quality_share")]
    overall_fail = features[fail_cols].mean().mean()
    k = int(clusters.max())
    for c, g in x.groupby("cluster"):
        fail, qual = g[fail_cols].mean().mean(), g[qual_cols].mean().mean()
        level = {1: "самые низкие результаты", k: "самые высокие результаты"}.get(int(c), "средние результаты")
        rel = "выше" if fail > overall_fail else "ниже"
        ids = sorted(g.index, key=school_id_key)
        rows.append({
            "cluster": int(c), "n": len(g), "schools": ", ".join(map(str, ids)),
            "fail_share": fail, "quality_share": qual,
            "description": (f"Кластер {int(c)} ({len(g)} ОО): {level}; в среднем не преодолели порог "
                            f"{fmt_pct(fail)} (это {rel} среднего по округу {fmt_pct(overall_fail)}), "
                            f"качество знаний {fmt_pct(qual)}."),
        })
    return pd.DataFrame(rows)
