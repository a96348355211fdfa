"""School cards without a notebook kernel: every card of a season rendered in one process.

``shnor report`` computes a season once; the cards of its schools of interest are then filled
from that :class:`~shnor_lib.pipeline.season.SeasonResult` with the same prose functions the
``school_card.ipynb`` notebook calls (:mod:`.cards`), through the Jinja2 template
``templates/school_card.html.j2`` (slim print CSS, one A4 page), and printed to PDF by the
process's one browser in one print for all the cards, split into one PDF per school
(:func:`.export.one_page_pdfs`, a card shrunk to one page when needed). A card costs its chart
and its share of that print, not a kernel start, imports and a notebook export.

The notebook stays for researchers who want one card interactively; the batch uses this path.
"""

from __future__ import annotations

import base64
import functools
import io
import re
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import jinja2
import matplotlib.pyplot as plt
import mistune
import numpy as np
import pandas as pd
from IPython.display import HTML
from matplotlib import image as mpl_image
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.text import Annotation

from ..io.atomic import atomic_write_text
from . import cards
from . import html as nv
from .common import has_card
from .export import TEMPLATES_DIR, one_page_pdfs, persistent_browser
from .plots import plot_card_position, set_style
from .plots.card import card_points
from .plots.model import HIGHLIGHT_GID
from .plots.style import figure_title

if TYPE_CHECKING:  # annotations only
    from ..pipeline.season import SeasonResult
    from ..pipeline.support import SupportResult

__all__ = ["CardCharts", "CardOutcome", "card_ids", "render_card", "write_cards", "write_cards_index"]

CARD_TEMPLATE = "school_card.html.j2"
CARDS_INDEX_TEMPLATE = "cards_index.html.j2"

_MARKDOWN = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])


@dataclass
class CardOutcome:
    """One card written: its school, files and cost (``pdf_note`` says why a PDF is missing)."""

    school_id: str
    name: str
    status: str
    reason: str
    html: Path | None
    pdf: Path | None
    seconds: float
    error: str | None = None
    pdf_note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def card_ids(result: SeasonResult) -> list[str]:
    """Codes of the schools that get a card: the schools of report section 2 (a status or the
    risk-zone flag), the same set the report links (:func:`.html.card_links`)."""
    s = result.schools
    return [str(i) for i in s.loc[has_card(s), "school_id"]]


def _md(text: str) -> str:
    """Generated Markdown → HTML, every character of the data escaped first (:func:`.html.md`)."""
    return _MARKDOWN(nv.md(text).data) if text else ""


def _table(df: pd.DataFrame, empty: str | None = None, **kws) -> str:
    obj = nv.table(df, empty=empty, **kws)
    # a table is HTML; an empty one is a Markdown note, already escaped by nv.table
    return obj.data if isinstance(obj, HTML) else _MARKDOWN(obj.data or "")


_PAD = 0.08  # inches around the chart, as show_figure's pad_inches
_DPI = 100


class CardCharts:
    """The card charts of one season: the scatter of all schools drawn once, each card's school
    ringed and labelled on a copy of that drawing.

    Every card shows the same chart but for the ringed school and its label «№ …», which are the
    chart's topmost artists. The first card's chart is laid out by matplotlib's constrained layout
    and cropped tight (as :func:`.plots.show_figure` renders it); that drawing without the ring and
    the label is kept as pixels, and a card's chart is those pixels with its ring and label drawn
    on top — what a full draw at that layout paints. A card whose school has no point in the
    chart, or whose label would leave the crop, is drawn and laid out on its own.

    Parameters
    ----------
    result : SeasonResult
        The cards' season.
    """

    def __init__(self, result: SeasonResult) -> None:
        self.result = result
        self._points = card_points(result)
        self._base: _Base | None = None
        self._tried = False

    def png(self, school_id: str) -> tuple[bytes, str]:
        """The card's chart as PNG bytes and its alt text."""
        sid = str(school_id)
        if self._base is not None and sid in self._points:
            png = self._base.draw(sid, self._points[sid])
            if png is not None:
                return png, self._base.alt
        if self._base is not None or self._tried or sid not in self._points:
            return _own_chart(self.result, sid)
        # the season's first card with a point: drawn on its own, then kept for the others
        self._tried = True
        fig = _card_figure(self.result, sid)
        drawn = _png_tight(fig)
        self._base = _Base.keep(fig, self._points[sid])
        if self._base is None:
            plt.close(fig)
        return drawn

    def close(self) -> None:
        """Release the kept figure."""
        if self._base is not None:
            plt.close(self._base.fig)
            self._base = None


def _card_figure(result: SeasonResult, school_id: str) -> Figure:
    """The school among all schools on quality against ИСБШ, beside the words on its position (its
    results by grade are the table above it, cell by cell)."""
    fig, ax = plt.subplots(figsize=(3.6, 1.8), layout="constrained")
    plot_card_position(result, school_id, ax)
    return fig


def _own_chart(result: SeasonResult, school_id: str) -> tuple[bytes, str]:
    """The card's chart laid out and drawn on its own."""
    fig = _card_figure(result, school_id)
    try:
        return _png_tight(fig)
    finally:
        plt.close(fig)


def _png_tight(fig: Figure) -> tuple[bytes, str]:
    """The chart laid out and cropped by matplotlib (``bbox_inches="tight"``), and its alt text."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight", pad_inches=_PAD, metadata={"Software": None})
    return buf.getvalue(), figure_title(fig) or "Рисунок"


@dataclass
class _Base:
    """A card chart fixed at its layout and crop, kept as pixels without its school's ring and label."""

    fig: Figure
    ring: PathCollection
    label: Annotation
    background: object  # the Agg canvas's saved region
    alt: str

    @classmethod
    def keep(cls, fig: Figure, point: tuple[float, float]) -> _Base | None:
        """``fig`` — just saved by :func:`_png_tight` — fixed at that layout and crop; None when its
        ring and label cannot be told apart from the rest."""
        if len(fig.axes) != 1:
            return None
        ax = fig.axes[0]
        rings = [c for c in ax.collections if c.get_gid() == HIGHLIGHT_GID]
        labels = [t for t in ax.texts if isinstance(t, Annotation) and t.get_gid() == HIGHLIGHT_GID]
        # the two must be the topmost artists: the kept pixels are everything drawn below them
        low = min([a.get_zorder() for a in rings + labels], default=0)
        tops = [a for a in ax.get_children() if a.get_zorder() >= low and a.get_visible()]
        if (len(rings) != 1 or len(labels) != 1 or len(tops) != 2
                or not np.allclose(np.asarray(rings[0].get_offsets())[0], point)):
            return None
        crop = fig.get_tightbbox().padded(_PAD)  # what savefig kept, from the draw it just made
        w, h = fig.get_size_inches()
        pos = ax.get_position()
        with plt.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)  # the layout stays as solved
        fig.set_dpi(_DPI)
        fig.set_size_inches(crop.width, crop.height)  # the figure is the crop
        ax.set_position([(pos.x0 * w - crop.x0) / crop.width, (pos.y0 * h - crop.y0) / crop.height,
                         pos.width * w / crop.width, pos.height * h / crop.height])
        for a in (rings[0], labels[0]):
            a.set_visible(False)
        fig.canvas.draw()
        background = fig.canvas.copy_from_bbox(fig.bbox)
        for a in (rings[0], labels[0]):
            a.set_visible(True)
        return cls(fig, rings[0], labels[0], background, figure_title(fig) or "Рисунок")

    def draw(self, school_id: str, point: tuple[float, float]) -> bytes | None:
        """The chart with ``school_id`` ringed; None when its label would leave the crop."""
        canvas = self.fig.canvas
        self.ring.set_offsets([point])
        self.label.xy = point
        self.label.set_text(f"№ {school_id}")
        canvas.restore_region(self.background)
        ax = self.fig.axes[0]
        ax.draw_artist(self.ring)
        ax.draw_artist(self.label)
        box = self.label.get_window_extent()
        margin = _PAD / 4 * _DPI  # a quarter of the margin may be taken
        if box.width and (box.x0 < margin or box.y0 < margin or box.x1 > self.fig.bbox.x1 - margin
                          or box.y1 > self.fig.bbox.y1 - margin):
            return None
        buf = io.BytesIO()
        mpl_image.imsave(buf, np.asarray(canvas.buffer_rgba()), format="png", origin="upper",
                         dpi=_DPI, metadata={"Software": None})
        return buf.getvalue()


def _first_line(markdown: str) -> str:
    return re.sub(r"^#+\s*", "", markdown.splitlines()[0]) if markdown else ""


def render_card(history: list[SeasonResult], ctx: SupportResult, school_id: str, *,
                report_href: str = "../report.html", index_href: str = "index.html",
                top_href: str | None = "../../../index.html", charts: CardCharts | None = None) -> str:
    """The HTML page of one school's card: the sections of ``school_card.ipynb``, one A4 page.

    Parameters
    ----------
    history : list of SeasonResult
        Consecutive computed seasons ending with the card's year.
    ctx : SupportResult
        The support analyses of that year (:attr:`SeasonResult.support`).
    school_id : str
        The school's code.
    report_href, index_href, top_href : str
        Relative links back to the season report, the cards' index and the overview of all reports.
    charts : CardCharts, optional
        The season's card charts, drawn once for all its cards; by default the chart is drawn
        for this card alone (the same picture).

    Returns
    -------
    str
        A complete, self-contained HTML document (no network, no script).
    """
    res, sid = history[-1], str(school_id)
    data, alt = charts.png(sid) if charts is not None else _own_chart(res, sid)
    png = base64.b64encode(data).decode("ascii")
    sections = [
        ("Статус и основания", _md(cards.status_text(res, sid))),
        ("Результаты по классам и предметам",
         _md(cards.results_text(res, sid, compact=True))
         + _table(cards.results_table(res, sid, compact=True), empty="Результатов в объёме правила нет.", small=True,
                  full_width=True)),
        ("Положение с учётом контекста",
         f'<div class="side"><div>{_md(cards.position_text(res, sid))}</div>'
         f'<figure class="chart"><img src="data:image/png;base64,{png}" alt="{_attr(alt)}"></figure></div>'),
        ("Рисковый профиль", _md(cards.risk_profile_text(res, ctx, sid))),
        # each measure's first clause; the full text, addressees and reasons are in the справка (linked)
        ("Рекомендации", _md(cards.recommendations_text(res, ctx, sid, short=True))
         + f'<div class="measures">{_md(cards.measures_list(ctx, sid, report_href))}</div>'),
        ("Школа-лидер", _md(cards.leader_text(res, ctx, sid))),
        ("Динамика за три года", _md(cards.trend_text(history[-3:], ctx, sid))
         + _table(cards.trend_table(history[-3:], sid), full_width=True, small=True)),
    ]
    title = _first_line(cards.card_title(res, sid))
    return _templates().get_template(CARD_TEMPLATE).render(
        title=title, subtitle=cards.card_subtitle(res, sid), sections=sections,
        report_href=report_href, index_href=index_href, top_href=top_href)


def _attr(text: str) -> str:
    return escape(str(text), quote=True)


def _reason(row: pd.Series) -> str:
    """The reasons of the school's status (ШНОР+ШНСУ: both), else its first reason."""
    reasons = [p.strip() for p in str(row.get("reasons") or "").split(" | ") if p.strip()]
    status = row.get("status") if isinstance(row.get("status"), str) else ""
    mine = [p for p in reasons for part in (status or "зона риска").split("+") if p.startswith(f"{part}:")]
    return "; ".join(mine) if mine else (reasons[0] if reasons else "")


def write_cards(history: list[SeasonResult], ctx: SupportResult, folder: str | Path, *,
                formats: tuple[str, ...] = ("html", "pdf"), footer: str | None = None,
                ids: list[str] | None = None) -> list[CardOutcome]:
    """Write ``<folder>/<id>.html`` (and ``.pdf``) for every school with a card, then the cards' index.

    Parameters
    ----------
    history : list of SeasonResult
        Consecutive computed seasons ending with the cards' year.
    ctx : SupportResult
        The support analyses of that year.
    folder : str or Path
        ``<out>/<municipality>/<year>/schools``.
    formats : tuple of {"html", "pdf"}
        With "pdf" each card is printed to one A4 page.
    footer : str, optional
        Running footer of the PDFs («Демо, 2024»).
    ids : list of str, optional
        The schools; by default :func:`card_ids`.

    Returns
    -------
    list of CardOutcome
        One per school, in the order of the schools table.
    """
    res = history[-1]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    set_style()
    schools = res.schools.assign(_id=res.schools["school_id"].astype(str)).set_index("_id")
    charts = CardCharts(res)  # the season's chart drawn once, each card's school ringed on it
    try:
        with persistent_browser():  # one browser prints all the cards
            outcomes = _write_each(history, ctx, folder, schools,
                                   card_ids(res) if ids is None else [str(i) for i in ids], formats, footer, charts)
    finally:
        charts.close()
    write_cards_index(outcomes, folder, title=f"Карточки школ: {footer or res.municipality}")
    return outcomes


def _write_each(history: list[SeasonResult], ctx: SupportResult, folder: Path, schools: pd.DataFrame,
                ids: list[str], formats: tuple[str, ...], footer: str | None, charts: CardCharts) -> list[CardOutcome]:
    from ..errors import PathError
    from ..io.paths import safe_component

    outcomes = []
    for sid in ids:
        start = time.perf_counter()
        row = schools.loc[sid]
        status = row["status"] if isinstance(row["status"], str) and row["status"] else "зона риска (признаки)"
        base = dict(school_id=sid, name=str(row["name"]), status=status, reason=_reason(row))
        try:
            safe_component(sid, "код ОО")
        except PathError as exc:
            outcomes.append(CardOutcome(**base, html=None, pdf=None, seconds=0.0, error=str(exc)))
            continue
        html_path = atomic_write_text(folder / f"{sid}.html", render_card(history, ctx, sid, charts=charts))
        for stale in (folder / f"{sid}.ipynb", folder / f".{sid}.shnor-run.json"):  # left by notebook cards
            stale.unlink(missing_ok=True)
        outcomes.append(CardOutcome(**base, html=html_path, pdf=None, seconds=time.perf_counter() - start))
    written = [o for o in outcomes if o.html is not None]
    if "pdf" in formats and written:
        start = time.perf_counter()
        # one print for all the cards, split into one PDF per school (a print's fixed cost paid once)
        pdfs = one_page_pdfs([(o.html, folder / f"{o.school_id}.pdf") for o in written], footer=footer)
        share = (time.perf_counter() - start) / len(written)
        for o, pdf in zip(written, pdfs, strict=True):
            o.seconds += share
            if isinstance(pdf, Path):
                o.pdf = pdf
            else:  # PdfEngineMissing too: the HTML card is still good
                o.pdf_note = str(pdf)
    for o in written:
        if o.pdf is None:
            (folder / f"{o.school_id}.pdf").unlink(missing_ok=True)
    return outcomes


def write_cards_index(outcomes: list[CardOutcome], folder: Path, *, title: str) -> Path:
    """``<folder>/index.html``: one row per card — code, school name, status, its first reason, links."""
    rows = [{"id": o.school_id, "name": o.name, "status": o.status, "reason": o.reason, "error": o.error,
             "html": quote(f"{o.school_id}.html") if o.html else None,
             "pdf": quote(f"{o.school_id}.pdf") if o.pdf else None} for o in outcomes]
    page = _templates().get_template(CARDS_INDEX_TEMPLATE).render(title=title, rows=rows)
    return atomic_write_text(folder / "index.html", page)

