"""Charts of the clusters of schools (report section 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from ..format import fmt_pct
from .style import (
    MARK_COLORS,
    WIDTH,
    new_ax,
    no_data,
)

__all__ = ["plot_cluster_profiles"]


def plot_cluster_profiles(data: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                          **kws) -> Axes:
    """Mean share of «2» and quality of knowledge («4»+«5») per cluster.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.clusters`` (cluster, n, fail_share, quality_share).
    ax : Axes, optional
    title : str, optional
    **kws
        Passed to :meth:`Axes.bar`.

    Returns
    -------
    Axes
    """
    title = title or "Профили кластеров школ (ВПР и ОГЭ, русский язык и математика)"
    ax = new_ax(ax, WIDTH, 3.4)
    if data is None or len(data) == 0 or "fail_share" not in data:
        return no_data(ax, title, "кластеры не построены (мало школ с результатами)")
    d = data.sort_values("cluster").reset_index(drop=True)
    x = np.arange(len(d))
    w = 0.38
    series = (("fail_share", "не преодолели порог («2»)", MARK_COLORS[2]),
              ("quality_share", "качество знаний («4» и «5»)", MARK_COLORS[5]))
    for i, (col, lab, color) in enumerate(series):
        pos = x + (i - 0.5) * w
        ax.bar(pos, d[col], width=w, color=color, label=lab, **{"edgecolor": "white", **kws})
        for p, v in zip(pos, d[col], strict=True):
            ax.text(p, v + 0.01, fmt_pct(v, 1), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [f"Кластер {int(c)}\n{int(n)} ОО" for c, n in zip(d["cluster"], d["n"], strict=True)])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, min(1.0, max(d["fail_share"].max(), d["quality_share"].max()) * 1.25 + 0.02))
    ax.set_ylabel("Средняя доля по кластеру")
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title)
    return ax
