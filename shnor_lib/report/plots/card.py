"""Charts of the school card: the school's results by grade with intervals, next to its place
among all schools on quality against ИСБШ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..format import fmt_num
from .model import plot_quality_vs_isbsh, quality_points
from .style import (
    WIDTH,
    latest_year,
    new_ax,
    no_data,
    select_rows,
    threshold_line,
)

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ...pipeline.season import SeasonResult

__all__ = ["card_points", "plot_school_results", "school_card_figure"]


_SUBJECT_STYLE = [("#0072B2", "o"), ("#D55E00", "s"), ("#009E73", "D"), ("#CC79A7", "^")]


def plot_school_results(data: pd.DataFrame, *, school_id: str, year: int | None = None,
                        procedures: Sequence[str] | None = None, subjects: Sequence[str] | None = None,
                        grades: Sequence[int] | None = None, threshold: float | None = None,
                        min_participants: int = 0, ax: Axes | None = None, title: str | None = None,
                        **kws) -> Axes:
    """One school's fail share by procedure and grade with 95% Wilson intervals, one colour per subject.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.metrics_by_grade`` (fail_share, fail_low, fail_high, participants).
    school_id : str
    year : int, optional
        Default: the latest year.
    procedures, subjects : sequence of str, optional
        Default: all present (the rules' ones in a card).
    grades : sequence of int, optional
        ВПР grades to show (others procedures keep their grade).
    threshold : float, optional
        The ШНОР threshold, drawn as a dashed line.
    min_participants : int
        Smaller groups are drawn hollow (the rules ignore them).
    ax : Axes, optional
    title : str, optional
    **kws
        Passed to :meth:`Axes.scatter`.

    Returns
    -------
    Axes
    """
    year = latest_year(data, year)
    title = title or f"Доля не преодолевших порог, {year}"
    sel = select_rows(data, year=year, procedures=procedures, subjects=subjects, grades=grades, vpr_grades_only=True,
                      school_id=school_id)
    rows = sorted({(p, int(g)) for p, g in zip(sel["procedure"], sel["grade"], strict=True)},
                  key=lambda t: ((list(procedures).index(t[0]) if procedures and t[0] in procedures else 9), t[1]))
    ax = new_ax(ax, WIDTH / 2, 0.3 * max(len(rows), 3) + 1.2)
    if sel.empty:
        return no_data(ax, title, "нет результатов школы")
    subj = list(subjects) if subjects is not None else sorted(sel["subject"].unique())
    subj = [s for s in subj if (sel["subject"] == s).any()]
    pos = {r: i for i, r in enumerate(rows[::-1])}
    step = 0.32 / max(len(subj) - 1, 1)
    for k, s in enumerate(subj):
        color, marker = _SUBJECT_STYLE[k % len(_SUBJECT_STYLE)]
        d = sel[sel["subject"] == s]
        yy = np.array([pos[(p, int(g))] for p, g in zip(d["procedure"], d["grade"], strict=True)], dtype=float)
        yy += (k - (len(subj) - 1) / 2) * step if len(subj) > 1 else 0
        ax.hlines(yy, d["fail_low"], d["fail_high"], color=color, linewidth=1.3)
        small = (d["participants"] < min_participants).to_numpy()
        ax.scatter(d["fail_share"][~small], yy[~small], color=color, marker=marker, label=s.capitalize(),
                   **{"s": 26, "zorder": 3, **kws})
        if small.any():
            ax.scatter(d["fail_share"][small], yy[small], facecolor="white", edgecolor=color, marker=marker,
                       **{"s": 26, "zorder": 3, **kws})
    if threshold is not None:
        threshold_line(ax, threshold)
    ax.set_yticks(range(len(rows)), [f"{p} {g} кл." for p, g in rows[::-1]], fontsize=7.5)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    top = float(np.nanmax([sel["fail_high"].max(), threshold or 0]))
    ax.set_xlim(0, min(1.0, top * 1.1 + 0.02))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Доля «2» с 95% интервалом Вильсона", fontsize=8)
    ax.grid(axis="y", visible=False)
    # under the axes: inside, «best» still lands on an interval of some grade
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=3, fontsize=7, frameon=False, handlelength=1.0)
    ax.set_title(title, fontsize=9.5)
    return ax


def school_card_figure(result: SeasonResult, school_id: str) -> Figure:
    """The card's two charts side by side: the school's results by grade with intervals, and
    its quality against ИСБШ among all schools (the school ringed)."""
    p = result.params
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(WIDTH, 1.95), layout="constrained",
                                 gridspec_kw={"width_ratios": [1, 1.15]})
    plot_school_results(result.metrics_by_grade, school_id=school_id, year=result.year,
                        procedures=[x for x in p["procedures"] if x != "ЕГЭ"] + (["ЕГЭ"] if "ЕГЭ" in p["procedures"]
                                                                                else []),
                        subjects=p["subjects"], grades=p["vpr_grades"], threshold=p["shnor_threshold"],
                        min_participants=p["min_participants"], ax=a1,
                        title=f"Результаты {result.year}: доля «2» по классам")
    a1.set_xlabel(f"Доля «2» с {fmt_num(100 * p['confidence_level'], 0)}% интервалом Вильсона")
    _small_type(a1, 9.5)
    plot_card_position(result, school_id, a2, title_size=9.5)
    return fig


def plot_card_position(result: SeasonResult, school_id: str, ax: Axes, *, title_size: float = 9) -> None:
    """The school among all schools on quality against ИСБШ, in the card's small type and without
    a legend (the card's words say which point is the school)."""
    plot_quality_vs_isbsh(result.schools, result.model, ax=ax, highlight=school_id, label_all=False,
                          title="Качество и ИСБШ: школа среди всех ОО")
    if ax.get_xlabel().startswith("ИСБШ ("):
        ax.set_xlabel("ИСБШ (0 — среднее по округу)")
    _small_type(ax, title_size)
    if ax.get_legend() is not None:
        ax.get_legend().remove()


def card_points(result: SeasonResult) -> dict[str, tuple[float, float]]:
    """Where :func:`plot_card_position` puts each school (data coordinates): the point it rings when
    the school is the card's. Empty when the chart shows no points (fewer than three schools)."""
    return quality_points(result.schools, result.model)


def _small_type(ax: Axes, title_size: float) -> None:
    ax.title.set_fontsize(title_size)
    ax.xaxis.label.set_fontsize(8)
    ax.yaxis.label.set_fontsize(8)
    ax.tick_params(labelsize=7.5)
