"""The one style of the report's charts: palette and status colours, :func:`set_style`, showing a
figure in a notebook (:func:`show_figure`), and the small helpers every chart family shares —
a new Axes of the page's width, the «Недостаточно данных» placeholder, the rows of one year,
the ШНОР threshold line, the legend of marks, tick labels with the decimal comma.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Image, display
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import ScalarFormatter

from ...analysis.models import BELOW, RESILIENT
from ..format import fmt_pct

__all__ = [
    "PALETTE", "STATUS_ORDER", "STATUS_COLORS", "STATUS_LABELS", "MARK_COLORS", "MARK_LABELS", "RESILIENCE_COLORS",
    "WIDTH", "set_style", "figure_title", "show_figure", "new_ax", "no_data", "is_no_data", "latest_year",
    "select_rows", "threshold_line", "mark_handles", "comma_formatter", "short_label",
]

#: Okabe–Ito: distinguishable with every common colour-vision deficiency, prints in grey.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: Statuses in the order charts list them; "" is a school without status.
STATUS_ORDER = ["ШНОР", "ШНСУ", "ШНОР+ШНСУ", "зона риска", ""]
STATUS_COLORS = {"ШНОР": "#D55E00", "ШНСУ": "#0072B2", "ШНОР+ШНСУ": "#CC79A7", "зона риска": "#E69F00",
                 "": "#B0B0B0"}
STATUS_LABELS = {"ШНОР": "ШНОР", "ШНСУ": "ШНСУ", "ШНОР+ШНСУ": "ШНОР+ШНСУ", "зона риска": "зона риска",
                 "": "без статуса"}

#: Marks 2…5 on a diverging red–blue scale (safe for red–green deficiencies).
MARK_COLORS = {2: "#CA0020", 3: "#F4A582", 4: "#92C5DE", 5: "#0571B0"}
MARK_LABELS = {2: "«2»", 3: "«3»", 4: "«4»", 5: "«5»"}

#: The quality model's two labels.
RESILIENCE_COLORS = {RESILIENT: "#009E73", BELOW: "#D55E00"}

WIDTH = 7.5  # inches: the A4 text block at 100 dpi, so charts are not shrunk on the page


# ---------------------------------------------------------------- theme and display

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
    fig = obj.figure if isinstance(obj, Axes) else obj
    if skip_empty and all(is_no_data(ax) for ax in fig.axes):
        plt.close(fig)
        return
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08, metadata={"Software": None})
    alt = figure_title(fig)
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png", alt=alt))


# ---------------------------------------------------------------- shared by the chart families

def new_ax(ax: Axes | None, width: float, height: float) -> Axes:
    """``ax``, or the Axes of a new figure ``width`` × ``height`` inches."""
    if ax is not None:
        return ax
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def no_data(ax: Axes, title: str, reason: str) -> Axes:
    """An empty chart that says why it is empty («Недостаточно данных: …»)."""
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


def is_no_data(ax: Axes) -> bool:
    """Whether ``ax`` is a :func:`no_data` placeholder."""
    return bool(getattr(ax, "_shnor_no_data", False))


def latest_year(data: pd.DataFrame, year: int | None) -> int | None:
    """``year``, else the latest year of ``data`` (None without a year column or rows)."""
    if year is not None:
        return int(year)
    return int(data["year"].max()) if "year" in data.columns and len(data) else None


def select_rows(data: pd.DataFrame, *, year: int | None, procedures: Sequence[str] | None = None,
                subjects: Sequence[str] | None = None, grades: Sequence[int] | None = None,
                vpr_grades_only: bool = False, school_id: str | None = None) -> pd.DataFrame:
    """Rows of ``SeasonResult.metrics`` / ``metrics_by_grade`` with participants, of one year.

    ``procedures``, ``subjects``, ``grades`` and ``school_id`` narrow them when given;
    with ``vpr_grades_only`` the grades restrict ВПР only (other procedures keep their grade).
    """
    sel = data
    if school_id is not None:
        sel = sel[sel["school_id"].astype(str) == str(school_id)]
    if procedures is not None:
        sel = sel[sel["procedure"].isin(list(procedures))]
    if subjects is not None:
        sel = sel[sel["subject"].isin(list(subjects))]
    if year is not None:
        sel = sel[sel["year"] == year]
    if grades is not None:
        keep = sel["grade"].isin(list(grades))
        sel = sel[(sel["procedure"] != "ВПР") | keep] if vpr_grades_only else sel[keep]
    return sel[sel["participants"] > 0]


def threshold_line(ax: Axes, threshold: float, label: str | None = None) -> None:
    """The ШНОР threshold on a share axis: a dashed black vertical line."""
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1.0,
               label=label if label is not None else f"порог ШНОР {fmt_pct(threshold, 0)}")


def mark_handles() -> list[Patch]:
    """Legend entries of the marks «2»…«5»."""
    return [Patch(color=MARK_COLORS[m], label=f"Отметка {MARK_LABELS[m]}") for m in (2, 3, 4, 5)]


class _CommaFormatter(ScalarFormatter):
    """Matplotlib's tick labels with the decimal comma (no locale needed)."""

    def __call__(self, x, pos=None):
        return super().__call__(x, pos).replace(".", ",")


def comma_formatter() -> ScalarFormatter:
    """Tick labels with the decimal comma, never in scientific notation or with an offset."""
    f = _CommaFormatter(useOffset=False)
    f.set_scientific(False)
    return f


def short_label(text: str, width: int = 46, lines: int = 2) -> str:
    """``text`` wrapped to at most ``lines`` lines of ``width`` characters (an ellipsis when cut)."""
    parts = textwrap.wrap(str(text), width)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip(" ,;") + "…"
    return "\n".join(parts)
