"""Charts of the assessment results (report sections 1 and 3): schools by status, the
distribution of marks «2»–«5» by school, and the school × grade share of «2» (a heat map, or the HTML
table the report shows).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import HTML
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..common import as_text, sorted_ids
from ..format import fmt_pct
from .style import (
    MARK_COLORS,
    MARK_LABELS,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_ORDER,
    WIDTH,
    latest_year,
    mark_handles,
    new_ax,
    no_data,
    select_rows,
    threshold_line,
)

__all__ = [
    "plot_status_counts", "plot_mark_distribution", "mark_distribution_figure", "plot_fail_heatmap",
    "fail_heatmap_figure", "fail_share_table",
]


def plot_status_counts(data: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None,
                       **kws) -> Axes:
    """Number of schools by status (ШНОР, ШНСУ, ШНОР+ШНСУ, зона риска, без статуса).

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.schools`` (one row per school, column ``status``).
    ax : Axes, optional
    title : str, optional
        Default «Школы по статусам».
    **kws
        Passed to :meth:`Axes.barh`.

    Returns
    -------
    Axes
    """
    ax = new_ax(ax, WIDTH, 2.6)
    title = title or "Школы по статусам"
    if data is None or len(data) == 0 or "status" not in data:
        return no_data(ax, title, "нет списка школ")
    status = as_text(data["status"]).astype(str)
    counts = status.value_counts().reindex(STATUS_ORDER, fill_value=0)
    n = int(counts.sum())
    y = np.arange(len(STATUS_ORDER))[::-1]
    ax.barh(y, counts.values, color=[STATUS_COLORS[s] for s in STATUS_ORDER], height=0.62,
            **{"edgecolor": "white", **kws})
    for yi, c in zip(y, counts.values, strict=True):
        ax.text(c + max(n, 1) * 0.01, yi, f"{c} ({fmt_pct(c / n, 1) if n else '—'})", va="center", fontsize=9)
    ax.set_yticks(y, [STATUS_LABELS[s] for s in STATUS_ORDER])
    ax.set_xlim(0, max(counts.max(), 1) * 1.22)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"Число школ (всего {n})")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return ax


def _mark_counts(d: pd.DataFrame) -> pd.DataFrame:
    """Counts of marks 2…5 from the metrics' failed / quality / high columns."""
    out = pd.DataFrame(index=d.index)
    out[2] = d["failed"]
    out[5] = d["high"]
    out[4] = d["quality"] - d["high"]
    out[3] = d["participants"] - d["failed"] - d["quality"]
    return out[[2, 3, 4, 5]].clip(lower=0)


def plot_mark_distribution(data: pd.DataFrame, *, procedure: str, subject: str, year: int | None = None,
                           threshold: float | None = None, order: str | Sequence = "id",
                           min_participants: int = 0, ax: Axes | None = None, legend: bool = True,
                           title: str | None = None, **kws) -> Axes:
    """Stacked shares of marks «2»–«5» by school for one procedure and subject.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.metrics`` (pooled over grades: participants, failed, quality, high).
    procedure, subject : str
        E.g. ``"ВПР"``, ``"математика"``. ЕГЭ has scores, not marks, and draws «нет отметок».
    year : int, optional
        Default: the latest year in ``data``.
    threshold : float, optional
        Share of «2» drawn as a vertical line (the ШНОР threshold).
    order : "id", "fail" or a sequence of school ids
        Rows by school code (default, for lookup) or by share of «2», worst on top.
    min_participants : int
        Rows with fewer participants are drawn pale (the rules ignore them).
    ax : Axes, optional
    legend : bool
        Draw the marks legend under the chart.
    title : str, optional
    **kws
        Passed to :meth:`Axes.barh`.

    Returns
    -------
    Axes
    """
    year = latest_year(data, year)
    title = title or f"{procedure} {year or ''}, {subject}: отметки по школам".replace("  ", " ")
    sel = select_rows(data, year=year, procedures=[procedure], subjects=[subject]).dropna(subset=["quality"])
    n_rows = max(len(sel), 4)
    ax = new_ax(ax, WIDTH, 0.22 * n_rows + 1.4)
    if sel.empty:
        reason = "у ЕГЭ баллы, а не отметки" if procedure == "ЕГЭ" else f"нет результатов {procedure}, {subject}"
        return no_data(ax, title, reason)
    sel = sel.set_index(sel["school_id"].astype(str))
    shares = _mark_counts(sel).div(sel["participants"], axis=0)
    if isinstance(order, str) and order == "fail":
        ids = list(shares.sort_values(2, ascending=True).index)
    elif isinstance(order, str):
        ids = sorted_ids(shares.index)[::-1]
    else:
        ids = [str(i) for i in order if str(i) in shares.index][::-1]
    shares = shares.loc[ids]
    y = np.arange(len(ids))
    left = np.zeros(len(ids))
    small = (sel.loc[ids, "participants"] < min_participants).to_numpy()
    for mark in (2, 3, 4, 5):
        for few in (False, True):
            m = small == few
            if m.any():
                ax.barh(y[m], shares[mark].values[m], left=left[m], height=0.78, color=MARK_COLORS[mark],
                        alpha=0.35 if few else 1.0, label=None if few else f"Отметка {MARK_LABELS[mark]}",
                        **{"edgecolor": "white", "linewidth": 0.3, **kws})
        left += shares[mark].values
    for yi, sid, few in zip(y, ids, small, strict=True):
        ax.text(1.01, yi, f"{int(sel.loc[sid, 'participants'])}", va="center", fontsize=7,
                color="#999999" if few else "#444444", fontstyle="italic" if few else "normal",
                transform=ax.get_yaxis_transform())
    ax.text(1.01, 1.0, "n", transform=ax.transAxes, fontsize=7.5, color="#444444", va="bottom")
    if threshold is not None:
        threshold_line(ax, threshold, f"порог ШНОР по «2»: {fmt_pct(threshold, 0)}")
    ax.set_yticks(y, ids)
    ax.set_ylim(-0.6, len(ids) - 0.4)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Доля участников")
    ax.set_ylabel("Код ОО")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    if legend:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.9 / (0.22 * n_rows + 1.4)), ncol=5,
                  fontsize=8, handlelength=1.2, columnspacing=1.0)
    return ax


def mark_distribution_figure(data: pd.DataFrame, *, procedure: str, subjects: Sequence[str],
                             year: int | None = None, threshold: float | None = None,
                             min_participants: int = 0) -> Figure:
    """One figure per procedure: mark distributions of several subjects side by side.

    Rows are schools by code on a shared axis, so one school reads across subjects.
    """
    year = latest_year(data, year)
    sel = select_rows(data, year=year, procedures=[procedure], subjects=subjects)
    ids = sorted_ids(sel["school_id"].astype(str).unique())
    n = max(len(ids), 4)
    fig, axes = plt.subplots(1, len(subjects), figsize=(WIDTH, 0.2 * n + 1.6), sharey=False,
                             layout="constrained", squeeze=False)
    for i, (ax, subject) in enumerate(zip(axes[0], subjects, strict=True)):
        plot_mark_distribution(data, procedure=procedure, subject=subject, year=year, threshold=threshold,
                               order=ids, min_participants=min_participants, ax=ax, legend=False,
                               title=subject.capitalize())
        if i:
            ax.set_ylabel("")
    handles = mark_handles()
    if threshold is not None:
        handles.append(Line2D([], [], color="black", linestyle="--", label=f"порог ШНОР: {fmt_pct(threshold, 0)} «2»"))
    # the note on pale rows is the legend's title: a free fig.text at the bottom overlapped the legend
    note = (f"Бледные строки — меньше {min_participants} участников: в правиле не учитываются."
            if min_participants and (sel["participants"] < min_participants).any() else None)
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8,
               title=note, title_fontsize=7.5)
    fig.suptitle(f"{procedure} {year}: распределение отметок по школам (n — число участников)",
                 fontsize=11, fontweight="bold", x=0.01, ha="left")
    return fig


def plot_fail_heatmap(data: pd.DataFrame, *, procedure: str, subject: str, year: int | None = None,
                      threshold: float = 0.30, grades: Sequence[int] | None = None,
                      min_participants: int = 0, ax: Axes | None = None, cbar: bool = True,
                      cbar_ax: Axes | None = None, title: str | None = None, vmax: float | None = None,
                      **kws) -> Axes:
    """School × grade heat map of the share of «2», the number of participants in each cell.

    Each cell reads «41% (n=76)»; cells at or above ``threshold`` (with at least
    ``min_participants`` pupils) are framed in black, and the colour bar marks the
    threshold, so both the size of a result and its sample are visible.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.metrics_by_grade``.
    procedure, subject : str
    year : int, optional
        Default: the latest year.
    threshold : float
        The ШНОР threshold (share).
    grades : sequence of int, optional
        Grades to show (e.g. the rule's ВПР grades); default all present.
    min_participants : int
        Smaller cells are written in grey and never framed («мало участников»).
    ax, cbar, cbar_ax : as in :func:`seaborn.heatmap`.
    title : str, optional
    vmax : float, optional
        Top of the colour scale; default twice the threshold (capped at 1).
    **kws
        Passed to :meth:`Axes.pcolormesh`.

    Returns
    -------
    Axes
    """
    year = latest_year(data, year)
    title = title or f"{procedure} {year}, {subject}: доля не преодолевших порог по классам"
    sel = select_rows(data, year=year, procedures=[procedure], subjects=[subject], grades=grades)
    n_rows = max(sel["school_id"].nunique(), 4)
    ax = new_ax(ax, WIDTH, 0.24 * n_rows + 1.4)
    if sel.empty:
        return no_data(ax, title, f"нет результатов {procedure}, {subject} по классам")
    sel = sel.assign(school_id=sel["school_id"].astype(str), grade=sel["grade"].astype(int))
    share = sel.pivot_table(index="school_id", columns="grade", values="fail_share", aggfunc="first")
    n = sel.pivot_table(index="school_id", columns="grade", values="participants", aggfunc="first")
    order = sorted_ids(share.index)
    share, n = share.loc[order], n.loc[order]
    vmax, cmap = _fail_scale(threshold, vmax)
    # pcolormesh rather than seaborn.heatmap: the latter draws the figure to test tick overlap (slow)
    mesh = ax.pcolormesh(np.ma.masked_invalid(share.to_numpy(dtype=float)),
                         **{"cmap": cmap, "vmin": 0, "vmax": vmax, "edgecolors": "white", "linewidth": 0.6, **kws})
    ax.set_xlim(0, share.shape[1])
    ax.set_ylim(share.shape[0], 0)
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    if cbar:
        cb = ax.figure.colorbar(mesh, cax=cbar_ax, ax=None if cbar_ax is not None else ax,
                                format=PercentFormatter(1.0, decimals=0), extend="max")
        cb.outline.set_visible(False)
    for i in range(share.shape[0]):
        for j in range(share.shape[1]):
            v, m = share.iat[i, j], n.iat[i, j]
            if pd.isna(v):
                ax.text(j + 0.5, i + 0.5, "нет данных", ha="center", va="center", fontsize=6.5, color="#999999",
                        in_layout=False)
                continue
            small = m < min_participants
            dark = _dark(v, vmax)
            ax.text(j + 0.5, i + 0.5, f"{fmt_pct(v, 0)} (n={int(m)})", ha="center", va="center", fontsize=6.8,
                    color="#777777" if small else ("white" if dark else "#1a1a1a"),
                    fontstyle="italic" if small else "normal", in_layout=False)
            if _framed(v, threshold, small):
                ax.add_patch(Rectangle((j + 0.04, i + 0.06), 0.92, 0.88, fill=False, edgecolor="black",
                                       linewidth=1.6))
    if cbar:
        cb.ax.axhline(threshold, color="black", linewidth=2.2)
        cb.set_label(f"Доля «2» (черта — порог ШНОР {fmt_pct(threshold, 0)})")
    ax.set_xticks(np.arange(share.shape[1]) + 0.5, [f"{g} кл." for g in share.columns], rotation=0)
    ax.set_yticks(np.arange(share.shape[0]) + 0.5, order, rotation=0)
    ax.set_xlabel("Класс")
    ax.set_ylabel("Код ОО")
    ax.tick_params(axis="both", length=0)
    ax.set_title(title)
    return ax


def fail_heatmap_figure(data: pd.DataFrame, *, procedure: str, subjects: Sequence[str], year: int | None = None,
                        threshold: float = 0.30, grades: Sequence[int] | None = None,
                        min_participants: int = 0) -> Figure:
    """Heat maps of several subjects side by side with one colour bar and one legend."""
    year = latest_year(data, year)
    sel = select_rows(data, year=year, procedures=[procedure], subjects=subjects, grades=grades)
    n_rows = max(sel["school_id"].nunique(), 4)
    fig = plt.figure(figsize=(WIDTH, 0.24 * n_rows + 1.9), layout="constrained")
    gs = fig.add_gridspec(1, len(subjects) + 1, width_ratios=[1] * len(subjects) + [0.05])
    cax = fig.add_subplot(gs[0, -1])
    for i, subject in enumerate(subjects):
        ax = fig.add_subplot(gs[0, i])
        plot_fail_heatmap(data, procedure=procedure, subject=subject, year=year, threshold=threshold,
                          grades=grades, min_participants=min_participants, ax=ax, cbar=(i == 0), cbar_ax=cax,
                          title=subject.capitalize())
        if i:
            ax.set_ylabel("")
    if not cax.has_data() and not cax.get_ylabel():
        cax.remove()
    handles = [Patch(facecolor="white", edgecolor="black", linewidth=1.6,
                     label=f"доля «2» ≥ {fmt_pct(threshold, 0)} (порог ШНОР)")]
    if min_participants and (sel["participants"] < min_participants).any():
        handles.append(Patch(facecolor="white", edgecolor="white",
                             label=f"серый курсив — меньше {min_participants} участников, не учитывается"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
    fig.suptitle(f"{procedure} {year}: доля не преодолевших порог по классам\n"
                 "в ячейке — доля «2» и число участников (n)", fontsize=10.5, fontweight="bold", x=0.01, ha="left")
    return fig


def _fail_scale(threshold: float, vmax: float | None):
    """The colour scale of the share of «2» (heat map and table): top ``vmax``, default twice the
    threshold (capped at 1), and the YlOrRd colour map."""
    return vmax or min(1.0, 2 * threshold), sns.color_palette("YlOrRd", as_cmap=True)


def _dark(share: float, vmax: float) -> bool:
    """Whether a cell's colour is dark enough for white text."""
    return share / vmax > 0.62


def _framed(share: float, threshold: float, small: bool) -> bool:
    """Whether a cell is at or above the ШНОР threshold with enough participants to count."""
    return share >= threshold - 1e-12 and not small


def _cell_style(share: float, vmax: float, cmap, *, small: bool, framed: bool) -> str:
    """Inline CSS of one cell of :func:`fail_share_table`: the heat map's colour, its text colour and frame."""
    style = f"background:{to_hex(cmap(min(share / vmax, 1.0)))};"
    if small:
        return style + "color:#666;font-style:italic;"
    style += "color:#fff;" if _dark(share, vmax) else "color:#1a1a1a;"
    return style + ("outline:2px solid #000;outline-offset:-3px;font-weight:700;" if framed else "")


def fail_share_table(data: pd.DataFrame, *, procedure: str, subjects: Sequence[str], year: int | None = None,
                     threshold: float = 0.30, grades: Sequence[int] | None = None,
                     min_participants: int = 0, vmax: float | None = None) -> HTML:
    """The school × grade heat map of :func:`fail_heatmap_figure` as an HTML table.

    One row per school (by code), one column per subject and grade; each cell reads «41% (76)» (share of «2», participants)
    on the heat map's colour (YlOrRd, from 0 to ``vmax``, default twice the threshold). Cells at or
    above ``threshold`` with at least ``min_participants`` pupils are framed and bold, smaller
    ones grey and italic («мало участников»), absent ones «нет данных». Sharper than a picture in
    the PDF, searchable, and a tenth of the cost of drawing 300-odd labels into a PNG.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.metrics_by_grade``.
    procedure : str
    subjects : sequence of str
    year : int, optional
        Default: the latest year.
    threshold : float
        The ШНОР threshold (share).
    grades : sequence of int, optional
        Grades to show; default all present.
    min_participants : int
    vmax : float, optional

    Returns
    -------
    IPython.display.HTML
        The table with its caption and a colour key; a «Недостаточно данных» note when there are no rows.
    """
    year = latest_year(data, year)
    title = f"{procedure} {year}: доля не преодолевших порог по классам"
    sel = select_rows(data, year=year, procedures=[procedure], subjects=subjects, grades=grades)
    if sel.empty:
        return HTML(f"<p><em>{html.escape(title)}. Недостаточно данных: нет результатов {html.escape(procedure)} "
                    "по классам.</em></p>")
    sel = sel.assign(school_id=sel["school_id"].astype(str), grade=sel["grade"].astype(int))
    present = [s for s in subjects if s in set(sel["subject"])]
    cols = [(s, g) for s in present for g in sorted(sel.loc[sel["subject"] == s, "grade"].unique())]
    cells = sel.drop_duplicates(["school_id", "subject", "grade"]).set_index(["school_id", "subject", "grade"])
    share, n = cells["fail_share"].to_dict(), cells["participants"].to_dict()
    vmax, cmap = _fail_scale(threshold, vmax)
    esc = html.escape
    cell = "padding:0.15em 0.3em;text-align:center;white-space:nowrap;"
    head = ['<th rowspan="2" style="vertical-align:bottom;white-space:nowrap">Код ОО</th>']
    head += [f'<th colspan="{sum(1 for c in cols if c[0] == s)}" style="text-align:center;border-left:1.5px solid #444">'
             f"{esc(s.capitalize())}</th>" for s in present]
    # a rule between subjects, as the gap between the heat map's panels
    first = {c for i, c in enumerate(cols) if i == 0 or cols[i - 1][0] != c[0]}
    sep = {c: "border-left:1.5px solid #444;" if c in first else "" for c in cols}
    sub = "".join(f'<th style="{cell}{sep[s, g]}">{g} кл.</th>' for s, g in cols)
    rows = []
    for sid in sorted_ids(sel["school_id"].unique()):
        tds = []
        for s, g in cols:
            v = share.get((sid, s, g), np.nan)
            if pd.isna(v):
                tds.append(f'<td style="{cell}{sep[s, g]}color:#999;">нет данных</td>')
                continue
            m = int(n[(sid, s, g)])
            small = m < min_participants
            style = _cell_style(float(v), vmax, cmap, small=small, framed=_framed(float(v), threshold, small))
            tds.append(f'<td style="{cell}{sep[s, g]}{style}">{fmt_pct(v, 0)} ({m})</td>')
        rows.append(f"<tr><th>{esc(sid)}</th>{''.join(tds)}</tr>")
    steps = np.linspace(0, vmax, 7)
    key = "".join(f'<span style="display:inline-block;padding:0 0.45em;{_cell_style(float(v), vmax, cmap, small=False, framed=False)}">'
                  f'{"≥ " if i == len(steps) - 1 else ""}{fmt_pct(v, 0)}</span>' for i, v in enumerate(steps))
    notes = ["в ячейке — доля «2» и в скобках число участников",
             f'цвет — доля «2»: <span style="white-space:nowrap">{key}</span>',
             f'<span style="outline:2px solid #000;outline-offset:-1px;font-weight:700;padding:0 0.3em">рамка</span> — '
             f"доля «2» не ниже {fmt_pct(threshold, 0)} (порог ШНОР)"]
    if min_participants and (sel["participants"] < min_participants).any():
        notes.append(f'<span style="color:#666;font-style:italic">серый курсив</span> — меньше {min_participants} '
                     "участников, в правиле не учитывается")
    return HTML(f'<table style="width:100%;font-size:0.8em;print-color-adjust:exact;-webkit-print-color-adjust:exact">'
                f'<caption style="caption-side:top;text-align:left;font-weight:700">{esc(title)}</caption>'
                f"<thead><tr>{''.join(head)}</tr><tr>{sub}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
                f'<p style="font-size:0.85em;line-height:1.6">{"; ".join(notes)}.</p>')
