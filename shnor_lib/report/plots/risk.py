"""Charts of the risk profiles (report section 9): school × factor significance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch

from ...contract.schema import RISK_FACTORS
from .style import (
    STATUS_COLORS,
    WIDTH,
    new_ax,
    no_data,
    short_label,
)

__all__ = ["plot_risk_heatmap"]


_SIGNIFICANCE_COLORS = {1: "#D1E5F0", 2: "#F4A582", 3: "#CA0020"}


_SIGNIFICANCE_LETTERS = {1: "Н", 2: "С", 3: "В"}


def plot_risk_heatmap(data: pd.DataFrame, *, statuses: dict | pd.Series | None = None, ax: Axes | None = None,
                      title: str | None = None, **kws) -> Axes:
    """School × factor heat map of risk-factor significance (высокая / средняя / низкая).

    Each cell also carries the letter В / С / Н, so the map reads in grey print; an empty
    cell means the factor was not assessed. Row labels give the school's code and, when
    ``statuses`` is given, its status in the status colour.

    Parameters
    ----------
    data : DataFrame
        :func:`shnor_lib.analysis.risk.significance_matrix` (index school_id, columns factor codes,
        values 3/2/1 or NaN).
    statuses : mapping school_id → status, optional
        E.g. ``res.schools.set_index("school_id")["status"]``.
    ax : Axes, optional
    title : str, optional
    **kws
        Passed to :meth:`Axes.pcolormesh`.

    Returns
    -------
    Axes
    """
    title = title or "Рисковые профили: значимость факторов риска по школам"
    n = 0 if data is None else len(data)
    ax = new_ax(ax, WIDTH, 0.15 * max(n, 6) + 2.4)
    if data is None or data.empty:
        return no_data(ax, title, "нет рисковых профилей (файл risk_profiles)")
    m = data.astype(float)
    cmap = ListedColormap([_SIGNIFICANCE_COLORS[k] for k in (1, 2, 3)]).with_extremes(bad="white")
    norm = BoundaryNorm([0.5, 1.5, 2.5, 3.5], cmap.N)
    ax.pcolormesh(np.ma.masked_invalid(m.to_numpy()), **{"cmap": cmap, "norm": norm, "edgecolors": "white",
                                                         "linewidth": 0.8, **kws})
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = m.iat[i, j]
            if not np.isnan(v):
                ax.text(j + 0.5, i + 0.5, _SIGNIFICANCE_LETTERS[int(v)], ha="center", va="center", fontsize=6,
                        color="white" if v == 3 else "#333333")
    ax.set_xlim(0, m.shape[1])
    ax.set_ylim(m.shape[0], 0)
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    st = {} if statuses is None else {str(k): (v if isinstance(v, str) else "") for k, v in dict(statuses).items()}
    ylabels = [f"{sid} · {st[str(sid)]}" if st.get(str(sid)) else str(sid) for sid in m.index]
    ax.set_yticks(np.arange(m.shape[0]) + 0.5, ylabels, fontsize=6.8)
    for lab, sid in zip(ax.get_yticklabels(), m.index, strict=True):
        s = st.get(str(sid), "")
        if s:
            lab.set_color(STATUS_COLORS.get(s, "#333333"))
            lab.set_fontweight("bold")
    names = [f"{int(c)}. {short_label(RISK_FACTORS.get(int(c), str(c)), 26, 3)}" for c in m.columns]
    ax.set_xticks(np.arange(m.shape[1]) + 0.5, names, rotation=90, fontsize=6.8, ha="center", va="top")
    ax.tick_params(axis="both", length=0)
    ax.set_ylabel("Код ОО (статус)")
    handles = [Patch(facecolor=_SIGNIFICANCE_COLORS[k], edgecolor="#999999",
                     label=f"{_SIGNIFICANCE_LETTERS[k]} — {w}") for k, w in ((3, "высокая"), (2, "средняя"), (1, "низкая"))]
    handles.append(Patch(facecolor="white", edgecolor="#999999", label="не оценивался"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, fontsize=7.5,
              title="Значимость фактора", title_fontsize=7.5, alignment="left")
    ax.set_title(title, pad=30)
    return ax
