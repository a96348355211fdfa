"""Charts of the season report: one shared style and seaborn-shaped plot functions.

Every axes-level function has the shape ``plot_xxx(data, *, ax=None, **kws) -> Axes``
(as seaborn's): it draws into ``ax`` (a new figure when None) and returns the Axes.
Titles, axis labels and legends are in Russian; numbers use the decimal comma.
When the data do not allow a chart, the function still returns an Axes with its
title and a plain «Недостаточно данных: …» message instead of failing, so a report
section always shows why it is empty.

The functions only read what :func:`shnor_lib.pipeline.season.compute_season` produced
(``SeasonResult.schools``, ``.metrics``, ``.metrics_by_grade``, ``.clusters`` and
``.model``); they compute nothing a report could quote differently. Nothing is
random: labels are spread by a fixed rule, so the same data give the same picture.

Usage::

    from shnor_lib.report import plots
    plots.set_style()
    ax = plots.plot_status_counts(res.schools)
    plots.show_figure(ax)          # display in a notebook and close the figure
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter, ScalarFormatter

from ..analysis.indices import ISBSH_LABELS, IURSH_LABELS
from ..analysis.models import BELOW, RESILIENT, formula_variables
from .format import fmt_g, fmt_num, fmt_pct

__all__ = [
    "PALETTE",
    "STATUS_ORDER",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "MARK_COLORS",
    "set_style",
    "show_figure",
    "figure_title",
    "plot_status_counts",
    "plot_mark_distribution",
    "plot_fail_heatmap",
    "plot_index_distribution",
    "plot_quality_vs_isbsh",
    "plot_school_effects",
    "plot_funnel",
    "funnel_limits",
    "plot_cluster_profiles",
    "mark_distribution_figure",
    "fail_heatmap_figure",
    "plot_indicator_plan",
    "plot_risk_heatmap",
    "plot_school_results",
    "school_card_figure",
]

#: Okabe–Ito: distinguishable with every common colour-vision deficiency, prints in grey.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: Statuses in the order reports list them; "" is a school without status.
STATUS_ORDER = ["ШНОР", "ШНСУ", "ШНОР+ШНСУ", "зона риска", ""]
STATUS_COLORS = {"ШНОР": "#D55E00", "ШНСУ": "#0072B2", "ШНОР+ШНСУ": "#CC79A7", "зона риска": "#E69F00",
                 "": "#B0B0B0"}
STATUS_LABELS = {"ШНОР": "ШНОР", "ШНСУ": "ШНСУ", "ШНОР+ШНСУ": "ШНОР+ШНСУ", "зона риска": "зона риска",
                 "": "без статуса"}

#: Marks 2…5 on a diverging red–blue scale (safe for red–green deficiencies).
MARK_COLORS = {2: "#CA0020", 3: "#F4A582", 4: "#92C5DE", 5: "#0571B0"}
_MARK_LABELS = {2: "«2»", 3: "«3»", 4: "«4»", 5: "«5»"}

_RESILIENCE_COLORS = {RESILIENT: "#009E73", BELOW: "#D55E00"}
_LEVEL_COLORS = {"очень низкий": "#CA0020", "низкий": "#F4A582", "средний": "#D9D9D9", "высокий": "#92C5DE",
                 "очень высокий": "#0571B0", "выше среднего": "#92C5DE"}
_IURSH_COLORS = {1: "#CA0020", 2: "#F4A582", 3: "#92C5DE", 4: "#0571B0"}

_WIDTH = 7.5  # inches: the A4 text block at 100 dpi, so charts are not shrunk on the page


# ---------------------------------------------------------------- style

def set_style(context: str = "notebook", font_scale: float = 0.95) -> None:
    """Apply the report style to matplotlib and seaborn (call once per session).

    Print-friendly white background with light grid, DejaVu Sans (ships with
    matplotlib, renders Cyrillic everywhere), the Okabe–Ito palette, fixed sizes.

    Parameters
    ----------
    context : str
        Seaborn context (``paper``, ``notebook``, ``talk``).
    font_scale : float
        Multiplier of the context's font sizes.
    """
    sns.set_theme(context=context, style="whitegrid", palette=PALETTE, font="DejaVu Sans",
                  font_scale=font_scale)
    plt.rcParams.update({
        "font.family": "DejaVu Sans",
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "axes.edgecolor": "#555555",
        "axes.titleweight": "bold",
        "axes.titlesize": 11,
        "axes.titlelocation": "left",
        "axes.labelsize": 9.5,
        "xtick.labelsize": 8.5,
        "ytick.labelsize": 8.5,
        "legend.fontsize": 8.5,
        "legend.frameon": False,
        "grid.color": "#E3E3E3",
        "grid.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.unicode_minus": True,
        "figure.max_open_warning": 0,
        "svg.hashsalt": "shnor",  # deterministic SVG ids
    })


def figure_title(fig: Figure) -> str:
    """The figure's title (suptitle, else the first axes title) — the alt text of its image."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return " ".join(sup.get_text().split())
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            if ax.get_title(loc):
                return ax.get_title(loc)
    return "Рисунок"


def show_figure(obj: Axes | Figure, dpi: int = 100, skip_empty: bool = False) -> None:
    """Display a chart in the notebook as a PNG with Russian alt text, then close its figure.

    Closing keeps memory flat over a long report; the PNG is rendered here (not by
    the inline backend) so every image carries its title as alt text. With
    ``skip_empty`` a «Недостаточно данных» placeholder is closed without display
    (when the text beside it already says why).
    """
    import io

    fig = obj.figure if isinstance(obj, Axes) else obj
    if skip_empty and all(getattr(ax, "_shnor_no_data", False) for ax in fig.axes):
        plt.close(fig)
        return
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08, metadata={"Software": None})
    alt = figure_title(fig)
    plt.close(fig)
    try:
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover
        return
    display(Image(data=buf.getvalue(), format="png", alt=alt))


# ---------------------------------------------------------------- helpers

def _text(values: pd.Series) -> pd.Series:
    """Text column with "" for missing values (works for all-NaN float columns too)."""
    return values.astype(object).where(values.notna(), "")


def _new_ax(ax: Axes | None, width: float, height: float) -> Axes:
    if ax is not None:
        return ax
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


class _CommaFormatter(ScalarFormatter):
    """Matplotlib's tick labels with the decimal comma (no locale needed)."""

    def __call__(self, x, pos=None):
        return super().__call__(x, pos).replace(".", ",")


def _comma_formatter() -> ScalarFormatter:
    f = _CommaFormatter(useOffset=False)
    f.set_scientific(False)
    return f


def _sort_ids(ids) -> list:
    return sorted(ids, key=lambda s: (0, int(s), "") if str(s).isdigit() else (1, 0, str(s)))


def _no_data(ax: Axes, title: str, reason: str) -> Axes:
    """An empty chart that says why it is empty."""
    ax._shnor_no_data = True
    ax.set_title(title)
    ax.text(0.5, 0.5, f"Недостаточно данных:\n{reason}", ha="center", va="center", fontsize=10,
            color="#555555", transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    if len(ax.figure.axes) == 1:
        ax.figure.set_figheight(1.8)
    return ax


def _latest_year(data: pd.DataFrame, year: int | None) -> int | None:
    if year is not None:
        return int(year)
    return int(data["year"].max()) if "year" in data.columns and len(data) else None


# ---------------------------------------------------------------- statuses

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
    ax = _new_ax(ax, _WIDTH, 2.6)
    title = title or "Школы по статусам"
    if data is None or len(data) == 0 or "status" not in data:
        return _no_data(ax, title, "нет списка школ")
    status = _text(data["status"]).astype(str)
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


# ---------------------------------------------------------------- marks

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
    year = _latest_year(data, year)
    title = title or f"{procedure} {year or ''}, {subject}: отметки по школам".replace("  ", " ")
    sel = data[(data["procedure"] == procedure) & (data["subject"] == subject)]
    if year is not None:
        sel = sel[sel["year"] == year]
    sel = sel[sel["participants"] > 0].dropna(subset=["quality"])
    n_rows = max(len(sel), 4)
    ax = _new_ax(ax, _WIDTH, 0.22 * n_rows + 1.4)
    if sel.empty:
        reason = "у ЕГЭ баллы, а не отметки" if procedure == "ЕГЭ" else f"нет результатов {procedure}, {subject}"
        return _no_data(ax, title, reason)
    sel = sel.set_index(sel["school_id"].astype(str))
    shares = _mark_counts(sel).div(sel["participants"], axis=0)
    if isinstance(order, str) and order == "fail":
        ids = list(shares.sort_values(2, ascending=True).index)
    elif isinstance(order, str):
        ids = _sort_ids(shares.index)[::-1]
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
                        alpha=0.35 if few else 1.0, label=None if few else f"Отметка {_MARK_LABELS[mark]}",
                        **{"edgecolor": "white", "linewidth": 0.3, **kws})
        left += shares[mark].values
    for yi, sid, few in zip(y, ids, small, strict=True):
        ax.text(1.01, yi, f"{int(sel.loc[sid, 'participants'])}", va="center", fontsize=7,
                color="#999999" if few else "#444444", fontstyle="italic" if few else "normal",
                transform=ax.get_yaxis_transform())
    ax.text(1.01, 1.0, "n", transform=ax.transAxes, fontsize=7.5, color="#444444", va="bottom")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1.0,
                   label=f"порог ШНОР по «2»: {fmt_pct(threshold, 0)}")
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
    year = _latest_year(data, year)
    sel = data[(data["procedure"] == procedure) & data["subject"].isin(subjects) & (data["year"] == year)]
    ids = _sort_ids(sel["school_id"].astype(str).unique())
    n = max(len(ids), 4)
    fig, axes = plt.subplots(1, len(subjects), figsize=(_WIDTH, 0.2 * n + 1.6), sharey=False,
                             layout="constrained", squeeze=False)
    for i, (ax, subject) in enumerate(zip(axes[0], subjects, strict=True)):
        plot_mark_distribution(data, procedure=procedure, subject=subject, year=year, threshold=threshold,
                               order=ids, min_participants=min_participants, ax=ax, legend=False,
                               title=subject.capitalize())
        if i:
            ax.set_ylabel("")
    handles = [Patch(color=MARK_COLORS[m], label=f"Отметка {_MARK_LABELS[m]}") for m in (2, 3, 4, 5)]
    if threshold is not None:
        handles.append(Line2D([], [], color="black", linestyle="--", label=f"порог ШНОР: {fmt_pct(threshold, 0)} «2»"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
    if min_participants and (sel["participants"] < min_participants).any():
        fig.text(0.01, 0.0, f"Бледные строки — меньше {min_participants} участников: в правиле не учитываются.",
                 fontsize=7.5, color="#555555", ha="left", va="bottom")
    fig.suptitle(f"{procedure} {year}: распределение отметок по школам (n — число участников)",
                 fontsize=11, fontweight="bold", x=0.01, ha="left")
    return fig


# ---------------------------------------------------------------- heat map

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
    year = _latest_year(data, year)
    title = title or f"{procedure} {year}, {subject}: доля не преодолевших порог по классам"
    sel = data[(data["procedure"] == procedure) & (data["subject"] == subject)]
    if year is not None:
        sel = sel[sel["year"] == year]
    if grades is not None:
        sel = sel[sel["grade"].isin(list(grades))]
    sel = sel[sel["participants"] > 0]
    n_rows = max(sel["school_id"].nunique(), 4)
    ax = _new_ax(ax, _WIDTH, 0.24 * n_rows + 1.4)
    if sel.empty:
        return _no_data(ax, title, f"нет результатов {procedure}, {subject} по классам")
    sel = sel.assign(school_id=sel["school_id"].astype(str), grade=sel["grade"].astype(int))
    share = sel.pivot_table(index="school_id", columns="grade", values="fail_share", aggfunc="first")
    n = sel.pivot_table(index="school_id", columns="grade", values="participants", aggfunc="first")
    order = _sort_ids(share.index)
    share, n = share.loc[order], n.loc[order]
    vmax = vmax or min(1.0, 2 * threshold)
    cmap = sns.color_palette("YlOrRd", as_cmap=True)
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
            dark = v / vmax > 0.62
            ax.text(j + 0.5, i + 0.5, f"{fmt_pct(v, 0)} (n={int(m)})", ha="center", va="center", fontsize=6.8,
                    color="#777777" if small else ("white" if dark else "#1a1a1a"),
                    fontstyle="italic" if small else "normal", in_layout=False)
            if v >= threshold - 1e-12 and not small:
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
    year = _latest_year(data, year)
    sel = data[(data["procedure"] == procedure) & data["subject"].isin(subjects) & (data["year"] == year)]
    if grades is not None:
        sel = sel[sel["grade"].isin(list(grades))]
    n_rows = max(sel["school_id"].nunique(), 4)
    fig = plt.figure(figsize=(_WIDTH, 0.24 * n_rows + 1.9), layout="constrained")
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


# ---------------------------------------------------------------- indices

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
    ax = _new_ax(ax, _WIDTH, 3.0 if index == "isbsh" else 2.6)
    full = "индекс социального благополучия" if index == "isbsh" else "индекс учительского ресурса"
    title = title or f"{name} — {full}: школы по группам"
    col = f"{index}_group"
    g = data[col].dropna().astype(int) if col in data else pd.Series(dtype=int)
    if g.empty:
        why = "нет социального паспорта (файл social) и опубликованных групп" if index == "isbsh" \
            else "нет сведений о педагогах (файл teachers) и опубликованных групп"
        return _no_data(ax, title, why)
    if index in data and data[index].isna().all():
        title += " (опубликованные группы)"
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


# ---------------------------------------------------------------- quality model

def _spread(x: np.ndarray, y: np.ndarray, width: float = 0.32) -> np.ndarray:
    """Deterministic horizontal spread of points that share an x value (discrete groups)."""
    out = x.astype(float).copy()
    for v in np.unique(x):
        idx = np.where(x == v)[0]
        if len(idx) > 1:
            idx = idx[np.argsort(y[idx], kind="stable")]
            out[idx] = v + np.linspace(-width, width, len(idx))
    return out


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# Offsets (points) tried in turn for a label; the first free one wins.
_LABEL_OFFSETS = [(4, 2), (4, -9), (-4, 2), (-4, -9), (4, 9), (-4, 9), (4, -16), (-4, -16), (12, 2), (-12, 2),
                  (12, 14), (-12, 14), (12, -21), (-12, -21), (0, 20), (0, -27), (20, 8), (-20, 8), (20, -15),
                  (-20, -15)]


def _place_labels(ax: Axes, x, y, texts: Sequence[str], fontsize: float = 7) -> None:
    """Label every point without overlaps where possible (greedy, deterministic).

    Labels are placed top to bottom, left to right; each takes the first offset
    whose box hits neither a placed label nor another point. Far offsets get a
    thin leader line. A label with no free place keeps the first offset.
    """
    fig = ax.figure
    fig.draw_without_rendering()  # final layout, so data→pixel positions are right
    pts = ax.transData.transform(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    scale = fig.dpi / 72
    h = fontsize * 1.15 * scale
    dots = [(px - 3.5 * scale, py - 3.5 * scale, px + 3.5 * scale, py + 3.5 * scale) for px, py in pts]
    placed: list[tuple] = []
    for i in np.lexsort((pts[:, 0], -pts[:, 1])):
        w = (len(texts[i]) * 0.62 + 0.3) * fontsize * scale
        choice = None
        for dx, dy in _LABEL_OFFSETS:
            x0 = pts[i, 0] + dx * scale - (w if dx < 0 else (w / 2 if dx == 0 else 0))
            box = (x0, pts[i, 1] + dy * scale, x0 + w, pts[i, 1] + dy * scale + h)
            if any(_overlaps(box, b) for b in placed):
                continue
            if any(_overlaps(box, b) for j, b in enumerate(dots) if j != i):
                continue
            choice = (dx, dy, box)
            break
        if choice is None:
            dx, dy = _LABEL_OFFSETS[0]
            x0 = pts[i, 0] + dx * scale
            choice = (dx, dy, (x0, pts[i, 1] + dy * scale, x0 + w, pts[i, 1] + dy * scale + h))
        dx, dy, box = choice
        placed.append(box)
        far = abs(dx) > 8 or dy > 10 or dy < -12
        ax.annotate(texts[i], (x[i], y[i]), xytext=(dx, dy), textcoords="offset points",
                    ha="right" if dx < 0 else ("center" if dx == 0 else "left"), va="bottom", fontsize=fontsize,
                    color="#222222", zorder=4,
                    arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.5, "shrinkA": 0,
                                "shrinkB": 2} if far else None)


def _resilience_labels(d: pd.DataFrame) -> pd.Series:
    """The year's model label, else the school-effect label (both flag only large, significant gaps)."""
    year = _text(d["resilience"]).astype(str) if "resilience" in d else pd.Series("", index=d.index)
    if "effect_label" in d:
        eff = _text(d["effect_label"]).astype(str)
        year = year.where(year.isin([RESILIENT, BELOW]), eff)
    return year


def _model_x(model, data: pd.DataFrame) -> str:
    variables = formula_variables(model.formula, data.columns) if model is not None else []
    if "isbsh" in variables:
        return "isbsh"
    if "isbsh_group" in variables:
        return "isbsh_group"
    return "isbsh" if "isbsh" in data and data["isbsh"].notna().any() else "isbsh_group"


def _fitted_line(model, x: str, grid: np.ndarray) -> pd.DataFrame | None:
    """Model prediction along ``x`` with the other regressors at their mean (numeric) or mode."""
    frame = getattr(getattr(getattr(model.fit, "model", None), "data", None), "frame", None)
    if frame is None:
        return None
    variables = formula_variables(model.formula, frame.columns)
    yname = model.fit.model.endog_names
    new = pd.DataFrame({x: grid})
    for v in variables:
        if v in (x, yname):
            continue
        col = frame[v]
        new[v] = col.mean() if pd.api.types.is_numeric_dtype(col) else col.mode().iloc[0]
    sf = model.fit.get_prediction(new).summary_frame(model.alpha)
    return pd.DataFrame({"x": grid, "mean": sf["mean"].values, "low": sf["mean_ci_lower"].values,
                         "high": sf["mean_ci_upper"].values})


def plot_quality_vs_isbsh(data: pd.DataFrame, model=None, *, x: str | None = None, ax: Axes | None = None,
                          title: str | None = None, ylabel: str = "Индекс качества", highlight: str | None = None,
                          label_all: bool = True, **kws) -> Axes:
    """Quality index against ИСБШ: schools labelled, statuses coloured, fitted line with its band.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.schools`` (quality_index, isbsh / isbsh_group, status, resilience).
    model : QualityModelResults, optional
        ``SeasonResult.model``; its line (other regressors at their mean) and the
        confidence band of the mean are drawn when ``x`` is one of its regressors.
    x : str, optional
        ``"isbsh"`` or ``"isbsh_group"``; default: the one the model's formula uses.
    ax : Axes, optional
    title, ylabel : str, optional
    highlight : str, optional
        A school code to ring in black and label in bold (the school of a card).
    label_all : bool
        Label every school with its code (default); False labels only ``highlight``.
    **kws
        Passed to :meth:`Axes.scatter` (the points).

    Returns
    -------
    Axes
    """
    x = x or _model_x(model, data)
    xname = "ИСБШ" if x == "isbsh" else "Группа ИСБШ"
    title = title or ("Качество подготовки и ИСБШ" if x == "isbsh" else "Качество подготовки и группа ИСБШ")
    ax = _new_ax(ax, _WIDTH, 5.0)
    d = data.dropna(subset=[c for c in (x, "quality_index") if c in data]) if x in data else data.iloc[0:0]
    if len(d) < 3 or "quality_index" not in d:
        return _no_data(ax, title, "нужны индекс качества и ИСБШ хотя бы для трёх школ")
    d = d.reset_index(drop=True)
    xv = d[x].astype(float).to_numpy()
    yv = d["quality_index"].astype(float).to_numpy()
    discrete = x.endswith("_group")
    xs = _spread(xv, yv) if discrete else xv
    line_note = None
    if model is not None and x in formula_variables(model.formula, data.columns):
        grid = np.linspace(np.nanmin(xv) - (0.4 if discrete else 0.1), np.nanmax(xv) + (0.4 if discrete else 0.1), 60)
        fl = _fitted_line(model, x, grid)
        if fl is not None:
            level = fmt_num(100 * (1 - model.alpha), 0)
            ax.fill_between(fl["x"], fl["low"], fl["high"], color="#56B4E9", alpha=0.25, linewidth=0,
                            label=f"{level}% доверительный интервал линии")
            others = [v for v in formula_variables(model.formula, data.columns) if v not in (x, "quality_index")]
            ax.plot(fl["x"], fl["mean"], color="#0072B2", linewidth=1.8,
                    label="линия регрессии" + (" (прочие показатели — средние)" if others else ""))
    elif model is not None:
        line_note = f"{xname} не входит в формулу модели — линия не строится"
    status = _text(d["status"]).astype(str) if "status" in d else pd.Series("", index=d.index)
    resil = _resilience_labels(d)
    for st in STATUS_ORDER:
        for kind, marker, size in ((RESILIENT, "^", 95), (BELOW, "v", 95), ("", "o", 42)):
            m = (status == st) & ((resil == kind) if kind else ~resil.isin([RESILIENT, BELOW]))
            if not m.any():
                continue
            ax.scatter(xs[m], yv[m], s=size, marker=marker, color=STATUS_COLORS[st],
                       edgecolor=_RESILIENCE_COLORS.get(kind, "white"), linewidth=1.6 if kind else 0.6,
                       **{"zorder": 3, "alpha": 0.95, **kws})
    handles, labels = ax.get_legend_handles_labels()
    present = [s for s in STATUS_ORDER if (status == s).any()]
    for s in present:
        handles.append(Line2D([], [], marker="o", linestyle="", color=STATUS_COLORS[s], markersize=7))
        labels.append(STATUS_LABELS[s])
    for kind, marker in ((RESILIENT, "^"), (BELOW, "v")):
        if (resil == kind).any():
            handles.append(Line2D([], [], marker=marker, linestyle="", markerfacecolor="white",
                                  markeredgecolor=_RESILIENCE_COLORS[kind], markeredgewidth=1.6, markersize=8))
            labels.append(kind)
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=7.5, ncol=4)
    if discrete:
        lo, hi = int(np.nanmin(xv)), int(np.nanmax(xv))
        ax.set_xticks(range(lo, hi + 1))
        ax.set_xlim(lo - 0.6, hi + 0.6)
    else:
        ax.xaxis.set_major_formatter(_comma_formatter())
    ax.yaxis.set_major_formatter(_comma_formatter())
    ax.set_xlabel(xname + (" (1–11)" if discrete else " (стандартизованный: 0 — среднее, 1 — стандартное отклонение)"))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    pad_y = 0.06 * (np.nanmax(yv) - np.nanmin(yv) or 0.1)
    ax.set_ylim(min(ax.get_ylim()[0], np.nanmin(yv) - pad_y), max(ax.get_ylim()[1], np.nanmax(yv) + pad_y))
    ids = d["school_id"].astype(str).to_numpy()
    if highlight is not None and (ids == str(highlight)).any():
        i = int(np.flatnonzero(ids == str(highlight))[0])
        lo, hi = ax.get_ylim()  # room for the ring at the edge of the cloud
        ax.set_ylim(lo - 0.06 * (hi - lo), hi + 0.06 * (hi - lo))
        ax.scatter([xs[i]], [yv[i]], s=240, facecolors="none", edgecolors="black", linewidths=1.8, zorder=5)
        ax.annotate(f"№ {highlight}", (xs[i], yv[i]), xytext=(9, 7), textcoords="offset points", fontsize=8.5,
                    fontweight="bold", zorder=6)
    if label_all:
        keep = ids != str(highlight) if highlight is not None else np.ones(len(ids), bool)
        _place_labels(ax, xs[keep], yv[keep], list(ids[keep]))
    if line_note:
        ax.text(0.01, 0.01, line_note, transform=ax.transAxes, fontsize=7.5, color="#555555")
    return ax


def plot_school_effects(data: pd.DataFrame, *, min_effect: float | None = None, ax: Axes | None = None,
                        title: str | None = None, **kws) -> Axes:
    """Caterpillar plot: each school's effect (or residual) with its interval, sorted.

    Uses the random-intercept school effects (``school_effect``, ``effect_low``,
    ``effect_high``, ``effect_label``) when present, else the OLS residuals with the
    prediction interval's half-width (``residual``, ``pi_low``, ``pi_high``,
    ``resilience``). Flagged schools are coloured; ± ``min_effect`` is shaded.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.schools``.
    min_effect : float, optional
        ``params["model"]["min_effect"]`` — the size below which no school is flagged.
    ax : Axes, optional
    title : str, optional
    **kws
        Passed to :meth:`Axes.scatter` (the points).

    Returns
    -------
    Axes
    """
    use_effects = "school_effect" in data and data["school_effect"].notna().any()
    if use_effects:
        d = data.dropna(subset=["school_effect"]).copy()
        d["value"], d["low"], d["high"] = d["school_effect"], d["effect_low"], d["effect_high"]
        d["label"] = d["effect_label"]
        title = title or "Эффекты школ (модель со случайным эффектом школы) с 95% интервалами"
        xlabel = "Эффект школы: отклонение качества от ожидаемого с учётом контекста"
    else:
        d = data.dropna(subset=["residual", "pi_low", "pi_high"]).copy() if "residual" in data else data.iloc[0:0]
        half = (d["pi_high"] - d["pi_low"]) / 2
        d["value"], d["low"], d["high"] = d["residual"], d["residual"] - half, d["residual"] + half
        d["label"] = d.get("resilience")
        title = title or "Отклонения школ от ожидаемого качества с 95% интервалами прогноза"
        xlabel = "Отклонение индекса качества от ожидаемого по модели"
    ax = _new_ax(ax, _WIDTH, 0.2 * max(len(d), 5) + 1.5)
    if d.empty:
        return _no_data(ax, title, "модель качества не построена")
    d = d.sort_values(["value", "school_id"]).reset_index(drop=True)
    y = np.arange(len(d))
    colors = [_RESILIENCE_COLORS.get(lab, "#777777") for lab in _text(d["label"])]
    if min_effect:
        ax.axvspan(-min_effect, min_effect, color="#DDDDDD", alpha=0.6, zorder=0, linewidth=0)
    ax.axvline(0, color="#333333", linewidth=0.9)
    ax.hlines(y, d["low"], d["high"], colors=colors, linewidth=1.4)
    ax.scatter(d["value"], y, color=colors, **{"s": 22, "zorder": 3, **kws})
    ax.set_yticks(y, d["school_id"].astype(str))
    ax.set_ylim(-0.7, len(d) - 0.3)
    ax.xaxis.set_major_formatter(_comma_formatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Код ОО")
    ax.grid(axis="y", visible=False)
    handles = [Line2D([], [], color=_RESILIENCE_COLORS[RESILIENT], marker="o", label=RESILIENT),
               Line2D([], [], color=_RESILIENCE_COLORS[BELOW], marker="o", label=BELOW),
               Line2D([], [], color="#777777", marker="o", label="в пределах ожидаемого")]
    if min_effect:
        handles.append(Patch(color="#DDDDDD", label=f"малые отклонения (< {fmt_g(min_effect)})"))
    ax.legend(handles=handles, loc="lower right", fontsize=7.5, frameon=True, framealpha=0.9)
    ax.set_title(title)
    return ax


_Z95, _Z998 = 1.959964, 3.090232


def funnel_limits(residuals, sizes, z: float, ddof: int = 1) -> tuple[float, float]:
    """Scale of the funnel: limits are ± z·sqrt(k / n) with k = s² · harmonic mean of n.

    The residual variance s² is spread over schools in proportion to 1/n (the
    binomial shape), normalised so that the mean of the per-school variances equals s².

    Returns
    -------
    (s2, k)
    """
    r = np.asarray(residuals, dtype=float)
    n = np.asarray(sizes, dtype=float)
    s2 = float(np.var(r, ddof=ddof))
    hmean = len(n) / float(np.sum(1.0 / n))
    return s2, s2 * hmean


def plot_funnel(data: pd.DataFrame, *, residual: str = "residual", size: str = "quality_n",
                ax: Axes | None = None, title: str | None = None,
                xlabel: str = "Число участников, по которым рассчитан индекс качества", **kws) -> Axes:
    """Funnel plot: residuals against cohort size with 95% and 99,8% control limits.

    Limits are ± z·sqrt(k / n): the residual variance with a binomial-type 1/√n shape
    (see :func:`funnel_limits`). Schools outside the 95% limits are labelled.

    Parameters
    ----------
    data : DataFrame
        ``SeasonResult.schools`` (``residual``, ``quality_n``, ``school_id``).
    residual, size : str
        Columns of the residual and of the number of participants.
    ax : Axes, optional
    title, xlabel : str, optional
    **kws
        Passed to :meth:`Axes.scatter`.

    Returns
    -------
    Axes
    """
    title = title or "Воронкообразная диаграмма: отклонения от модели и число участников"
    ax = _new_ax(ax, _WIDTH, 4.2)
    if residual not in data or size not in data:
        return _no_data(ax, title, "нет отклонений от модели или числа участников")
    d = data.dropna(subset=[residual, size])
    d = d[d[size] > 0].reset_index(drop=True)
    if len(d) < 5:
        return _no_data(ax, title, "число участников известно меньше чем для пяти школ в модели")
    _, k = funnel_limits(d[residual], d[size], _Z95)
    n = d[size].astype(float).to_numpy()
    r = d[residual].astype(float).to_numpy()
    grid = np.linspace(max(n.min() * 0.9, 1), n.max() * 1.05, 200)
    for z, style, lab in ((_Z95, "--", "95% контрольные границы"), (_Z998, ":", "99,8% контрольные границы")):
        lim = z * np.sqrt(k / grid)
        ax.plot(grid, lim, color="#333333", linestyle=style, linewidth=1.1, label=lab)
        ax.plot(grid, -lim, color="#333333", linestyle=style, linewidth=1.1)
    out95 = np.abs(r) > _Z95 * np.sqrt(k / n)
    out998 = np.abs(r) > _Z998 * np.sqrt(k / n)
    colors = np.where(out998, "#D55E00", np.where(out95, "#E69F00", "#0072B2"))
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.scatter(n, r, c=list(colors), **{"s": 30, "zorder": 3, "edgecolor": "white", "linewidth": 0.5, **kws})
    for ni, ri, sid, o in zip(n, r, d["school_id"].astype(str), out95, strict=True):
        if o:
            ax.annotate(sid, (ni, ri), xytext=(4, 3), textcoords="offset points", fontsize=7.5)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], marker="o", linestyle="", color=c, markersize=6) for c in
                ("#0072B2", "#E69F00", "#D55E00")]
    labels += ["внутри 95% границ", "за 95% границей", "за 99,8% границей"]
    ax.legend(handles, labels, loc="lower right", fontsize=7.5, ncol=2, frameon=True, framealpha=0.9)
    ax.yaxis.set_major_formatter(_comma_formatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Отклонение от ожидаемого")
    ax.set_title(title)
    return ax


# ---------------------------------------------------------------- clusters

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
    ax = _new_ax(ax, _WIDTH, 3.4)
    if data is None or len(data) == 0 or "fail_share" not in data:
        return _no_data(ax, title, "кластеры не построены (мало школ с результатами)")
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


# ---------------------------------------------------------------- monitoring indicators

_PLAN_COLORS = {True: "#009E73", False: "#D55E00", None: "#B0B0B0"}


def _short(text: str, width: int = 46, lines: int = 2) -> str:
    """``text`` wrapped to at most ``lines`` lines of ``width`` characters (an ellipsis when cut)."""
    import textwrap

    parts = textwrap.wrap(str(text), width)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip(" ,;") + "…"
    return "\n".join(parts)


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
    year = _latest_year(data, year) if data is not None and len(data) else year
    title = title or f"Показатели мониторинга {year or ''}: факт и план".replace("  ", " ")
    if data is None or len(data) == 0:
        return _no_data(_new_ax(ax, _WIDTH, 2.0), title, "показатели мониторинга не рассчитаны")
    d = data[data["year"] == year].reset_index(drop=True)
    d = d.assign(no=np.arange(1, len(d) + 1))
    d = d[(d["unit"] == "%") & d["fact"].notna()]
    ax = _new_ax(ax, _WIDTH, 0.28 * max(len(d), 3) + 1.3)
    if d.empty:
        return _no_data(ax, title, "нет рассчитанных показателей в %")
    y = np.arange(len(d))[::-1]
    met = [None if (isinstance(v, float) and np.isnan(v)) or v is None else bool(v) for v in d["plan_met"]]
    ax.barh(y, d["fact"], color=[_PLAN_COLORS[m] for m in met], height=0.62, **{"edgecolor": "white", **kws})
    has_plan = d["plan"].notna().to_numpy()
    ax.scatter(d["plan"][has_plan], y[has_plan], marker="|", s=260, linewidths=2.4, color="black", zorder=3)
    for yi, v in zip(y, d["fact"], strict=True):
        ax.text(v + 1, yi, fmt_num(v, 1) + "%", va="center", fontsize=7.5)
    labels = [f"{n}. {'↓ ' if dr == 'lower_better' else ''}{_short(nm)}"
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
    return ax


# ---------------------------------------------------------------- risk profiles

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
    from matplotlib.colors import BoundaryNorm, ListedColormap

    from ..contract.schema import RISK_FACTORS

    title = title or "Рисковые профили: значимость факторов риска по школам"
    n = 0 if data is None else len(data)
    ax = _new_ax(ax, _WIDTH, 0.15 * max(n, 6) + 2.4)
    if data is None or data.empty:
        return _no_data(ax, title, "нет рисковых профилей (файл risk_profiles)")
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
    names = [f"{int(c)}. {_short(RISK_FACTORS.get(int(c), str(c)), 26, 3)}" for c in m.columns]
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


# ---------------------------------------------------------------- school card

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
    year = _latest_year(data, year)
    title = title or f"Доля не преодолевших порог, {year}"
    sel = data[(data["school_id"].astype(str) == str(school_id)) & (data["participants"] > 0)]
    if year is not None:
        sel = sel[sel["year"] == year]
    if procedures is not None:
        sel = sel[sel["procedure"].isin(list(procedures))]
    if subjects is not None:
        sel = sel[sel["subject"].isin(list(subjects))]
    if grades is not None:
        sel = sel[(sel["procedure"] != "ВПР") | sel["grade"].isin(list(grades))]
    rows = sorted({(p, int(g)) for p, g in zip(sel["procedure"], sel["grade"], strict=True)},
                  key=lambda t: ((list(procedures).index(t[0]) if procedures and t[0] in procedures else 9), t[1]))
    ax = _new_ax(ax, _WIDTH / 2, 0.3 * max(len(rows), 3) + 1.2)
    if sel.empty:
        return _no_data(ax, title, "нет результатов школы")
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
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1.0, label=f"порог ШНОР {fmt_pct(threshold, 0)}")
    ax.set_yticks(range(len(rows)), [f"{p} {g} кл." for p, g in rows[::-1]], fontsize=7.5)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    top = float(np.nanmax([sel["fail_high"].max(), threshold or 0]))
    ax.set_xlim(0, min(1.0, top * 1.1 + 0.02))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Доля «2» с 95% интервалом Вильсона", fontsize=8)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="best", fontsize=7, frameon=True, framealpha=0.9, handlelength=1.0)
    ax.set_title(title, fontsize=9.5)
    return ax


def school_card_figure(result, school_id: str) -> Figure:
    """The card's two charts side by side: the school's results by grade with intervals, and
    its quality against ИСБШ among all schools (the school ringed)."""
    p = result.params
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(_WIDTH, 1.95), layout="constrained",
                                 gridspec_kw={"width_ratios": [1, 1.15]})
    plot_school_results(result.metrics_by_grade, school_id=school_id, year=result.year,
                        procedures=[x for x in p["procedures"] if x != "ЕГЭ"] + (["ЕГЭ"] if "ЕГЭ" in p["procedures"]
                                                                                else []),
                        subjects=p["subjects"], grades=p["vpr_grades"], threshold=p["shnor_threshold"],
                        min_participants=p["min_participants"], ax=a1,
                        title=f"Результаты {result.year}: доля «2» по классам")
    a1.set_xlabel(f"Доля «2» с {fmt_num(100 * p['confidence_level'], 0)}% интервалом Вильсона")
    plot_quality_vs_isbsh(result.schools, result.model, ax=a2, highlight=school_id, label_all=False,
                          title="Качество и ИСБШ: школа среди всех ОО")
    if a2.get_xlabel().startswith("ИСБШ ("):
        a2.set_xlabel("ИСБШ (0 — среднее по округу)")
    for ax in (a1, a2):
        ax.title.set_fontsize(9.5)
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
        ax.tick_params(labelsize=7.5)
    if a2.get_legend() is not None:
        a2.get_legend().remove()
    return fig
