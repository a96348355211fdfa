"""Charts of the social context (report section 5): schools by group of ИСБШ or ИУРШ."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ...analysis.indices import ISBSH_LABELS, IURSH_LABELS
from .style import (
    WIDTH,
    new_ax,
    no_data,
)

__all__ = ["plot_index_distribution"]


_LEVEL_COLORS = {"очень низкий": "#CA0020", "низкий": "#F4A582", "средний": "#D9D9D9", "высокий": "#92C5DE",
                 "очень высокий": "#0571B0", "выше среднего": "#92C5DE"}


_IURSH_COLORS = {1: "#CA0020", 2: "#F4A582", 3: "#92C5DE", 4: "#0571B0"}


def _iursh_values(data: pd.DataFrame, ax: Axes, title: str) -> Axes:
    """ИУРШ of each school as a histogram, coloured by its quartile group."""
    d = data[["iursh", "iursh_group"]].dropna()
    bins = np.linspace(d["iursh"].min(), d["iursh"].max(), 13)
    bottom = np.zeros(len(bins) - 1)
    for k in range(1, 5):
        vals = d.loc[d["iursh_group"].astype(int) == k, "iursh"]
        h, _ = np.histogram(vals, bins=bins)
        ax.bar(bins[:-1], h, width=np.diff(bins), align="edge", bottom=bottom, color=_IURSH_COLORS[k],
               edgecolor="#555555", linewidth=0.5, label=IURSH_LABELS[k] + f" (группа {k})")
        bottom += h
    ax.set_xlabel("ИУРШ (0 — средний уровень; больше — сильнее кадровый ресурс)")
    ax.set_ylabel("Число школ")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, bottom.max() * 1.2 + 0.5)
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, title="Группа ИУРШ", title_fontsize=8)
    ax.set_title(title)
    return ax


def plot_index_distribution(data: pd.DataFrame, *, index: str = "isbsh", highlight_max: int | None = None,
                            ax: Axes | None = None, title: str | None = None, **kws) -> Axes:
    """Schools by group of ИСБШ (1–11) or ИУРШ (1–4), bars coloured by level.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.schools`` with ``isbsh_group`` / ``iursh_group``.
    index : {"isbsh", "iursh"}
    highlight_max : int, optional
        Groups up to this one are marked (the ШНСУ rule, ``shnsu_rule.isbsh_group_max``).
    ax : Axes, optional
    title : str, optional
    **kws
        Passed to :meth:`Axes.bar`.

    Returns
    -------
    Axes
    """
    if index not in ("isbsh", "iursh"):
        raise ValueError("index must be 'isbsh' or 'iursh'")
    name = "ИСБШ" if index == "isbsh" else "ИУРШ"
    groups = range(1, 12) if index == "isbsh" else range(1, 5)
    labels = ISBSH_LABELS if index == "isbsh" else IURSH_LABELS
    ax = new_ax(ax, WIDTH, 3.0 if index == "isbsh" else 2.6)
    full = "индекс социального благополучия" if index == "isbsh" else "индекс учительского ресурса"
    title = title or f"{name} — {full}: школы по группам"
    col = f"{index}_group"
    g = data[col].dropna().astype(int) if col in data else pd.Series(dtype=int)
    if g.empty:
        why = "нет социального паспорта (файл social) и опубликованных групп" if index == "isbsh" \
            else "нет сведений о педагогах (файл teachers) и опубликованных групп"
        return no_data(ax, title, why)
    if index in data and data[index].isna().all():
        title += " (опубликованные группы)"
    elif index == "iursh" and data[index].notna().sum() >= 4:
        # quartile groups of the municipality's own schools hold a quarter each by construction:
        # the bars would always be equal, so show the values themselves
        return _iursh_values(data, ax, f"{name} — {full}: значения по школам")
    counts = g.value_counts().reindex(list(groups), fill_value=0)
    colors = [_LEVEL_COLORS[labels[k]] if index == "isbsh" else _IURSH_COLORS[k] for k in groups]
    x = np.arange(len(counts))
    ax.bar(x, counts.values, color=colors, **{"edgecolor": "#555555", "linewidth": 0.5, "width": 0.75, **kws})
    for xi, c in zip(x, counts.values, strict=True):
        if c:
            ax.text(xi, c, str(c), ha="center", va="bottom", fontsize=8.5)
    ax.set_xticks(x, [str(k) for k in groups])
    ax.set_xlabel(f"Группа {name}" + (" (1 — самый низкий, 11 — самый высокий)" if index == "isbsh"
                                      else " (квартиль: 1 — низкий, 4 — высокий)"))
    ax.set_ylabel("Число школ")
    ax.set_ylim(0, counts.max() * 1.2 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="x", visible=False)
    seen = dict.fromkeys(labels[k] for k in groups)
    handles = [Patch(facecolor=_LEVEL_COLORS[lv] if index == "isbsh" else _IURSH_COLORS[k],
                     edgecolor="#555555", label=lv) for k, lv in zip(
        [next(k for k in groups if labels[k] == lv) for lv in seen], seen, strict=True)]
    if highlight_max is not None and index == "isbsh":
        ax.axvspan(-0.5, highlight_max - 0.5, color="#0072B2", alpha=0.10, zorder=0)
        ax.axvline(highlight_max - 0.5, color="#0072B2", linestyle="--", linewidth=1)
        handles.append(Patch(facecolor="#0072B2", alpha=0.15, label=f"ШНСУ: группы 1–{highlight_max}"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, title="Уровень",
              title_fontsize=8)
    ax.set_title(title)
    return ax
