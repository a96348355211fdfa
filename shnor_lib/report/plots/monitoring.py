"""Charts of the monitoring indicators (report section 8): fact against plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from ..format import fmt_num
from .style import (
    WIDTH,
    latest_year,
    new_ax,
    no_data,
    short_label,
)

__all__ = ["plot_indicator_plan"]


_PLAN_COLORS = {True: "#009E73", False: "#D55E00", None: "#B0B0B0"}


def plot_indicator_plan(data: pd.DataFrame, *, year: int | None = None, ax: Axes | None = None,
                        title: str | None = None, **kws) -> Axes:
    """Fact against plan for the indicators measured in % (yes/no items are left to the table).

    Bars are the facts, coloured by whether the plan is met (green), not met (vermillion)
    or not set (grey); a black tick marks the plan. Labels carry the indicator's number
    in the report's table and «↓» when a smaller value is better.

    Parameters
    ----------
    data : DataFrame
        :func:`shnor_lib.analysis.indicators.season_indicators` (code, name, unit, direction, fact,
        plan, plan_met, year).
    year : int, optional
        Default: the latest year.
    ax : Axes, optional
    title : str, optional
    **kws
        Passed to :meth:`Axes.barh`.

    Returns
    -------
    Axes
    """
    year = latest_year(data, year) if data is not None and len(data) else year
    title = title or f"Показатели мониторинга {year or ''}: факт и план".replace("  ", " ")
    if data is None or len(data) == 0:
        return no_data(new_ax(ax, WIDTH, 2.0), title, "показатели мониторинга не рассчитаны")
    d = data[data["year"] == year].reset_index(drop=True)
    d = d.assign(no=np.arange(1, len(d) + 1))
    shown = (d["unit"] == "%") & d["fact"].notna()
    left_out = [int(n) for n in d.loc[~shown, "no"]]
    d = d[shown]
    ax = new_ax(ax, WIDTH, 0.28 * max(len(d), 3) + 1.3)
    if d.empty:
        return no_data(ax, title, "нет рассчитанных показателей в %")
    y = np.arange(len(d))[::-1]
    met = [None if (isinstance(v, float) and np.isnan(v)) or v is None else bool(v) for v in d["plan_met"]]
    ax.barh(y, d["fact"], color=[_PLAN_COLORS[m] for m in met], height=0.62, **{"edgecolor": "white", **kws})
    has_plan = d["plan"].notna().to_numpy()
    ax.scatter(d["plan"][has_plan], y[has_plan], marker="|", s=260, linewidths=2.4, color="black", zorder=3)
    for yi, v in zip(y, d["fact"], strict=True):
        ax.text(v + 1, yi, fmt_num(v, 1) + "%", va="center", fontsize=7.5)
    labels = [f"{n}. {'↓ ' if dr == 'lower_better' else ''}{short_label(nm)}"
              for n, nm, dr in zip(d["no"], d["name"], d["direction"], strict=True)]
    ax.set_yticks(y, labels, fontsize=7.2)
    ax.set_ylim(-0.6, len(d) - 0.4)
    ax.set_xlim(0, max(100.0, float(np.nanmax(d[["fact", "plan"]].to_numpy(dtype=float)))) * 1.1)
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_xlabel("Фактическое значение, %")
    ax.grid(axis="y", visible=False)
    handles = [Patch(color=_PLAN_COLORS[True], label="план выполнен"),
               Patch(color=_PLAN_COLORS[False], label="план не выполнен"),
               Patch(color=_PLAN_COLORS[None], label="план не задан"),
               Line2D([], [], marker="|", linestyle="", color="black", markersize=11, markeredgewidth=2.4,
                      label="плановое значение")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.35, -0.9 / (0.28 * max(len(d), 3) + 1.3)),
              ncol=4, fontsize=7.5, handlelength=1.2)
    ax.set_title(title + "\n(↓ — чем меньше, тем лучше; номера — как в таблице)", fontsize=10)
    if left_out:  # name what the chart does not show
        ax.set_xlabel("Фактическое значение, %. Не показаны (ответы «да/нет» или нет факта): показатели № "
                      + "; ".join(str(n) for n in left_out))
    return ax
