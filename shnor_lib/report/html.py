"""HTML of the reports: generated Markdown and tables for ``display``, links to school cards,
and the table of contents of a rendered report.

- :func:`md` and :func:`table` are what a notebook cell displays: Markdown with every HTML
  special character of the data escaped, a styled table (:func:`style_table`: no index,
  decimal comma, «—» for missing values) or a note when the table is empty;
- :func:`card_links` makes the codes of the schools that have a card link to it;
- :func:`insert_toc` gives every heading of an nbconvert page a unique id and fills the
  ``<!--shnor:toc-->`` marker of the ``shnor_report`` template with a «Содержание» from the
  h2/h3 headings. It reads the page with :class:`html.parser.HTMLParser` and changes only the
  heading start tags and the marker, so the rest of the page stays byte for byte as
  nbconvert wrote it.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import quote

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown
from pandas.io.formats.style import Styler

from .common import has_card
from .format import fmt_int, fmt_num

if TYPE_CHECKING:  # annotations only: reading a computed season needs no pipeline loaded
    from ..pipeline.season import SeasonResult

__all__ = ["CARD_LINK", "TOC_MARKER", "CELL_END_MARKER", "md", "table", "style_table", "card_links", "insert_toc"]

#: Where the report links a school's code: its card, relative to ``<out>/<M>/<Y>/report.html``.
CARD_LINK = "schools/{}.html"

#: Left by the ``shnor_report`` template right after ``<main>`` and after every cell with output.
TOC_MARKER = "<!--shnor:toc-->"
CELL_END_MARKER = "<!--shnor:cell-end-->"

_CODE_SPAN = re.compile(r"(`[^`]*`)")  # a Markdown code span, shown as written


# ---------------------------------------------------------------- display in a notebook

def md(text: str) -> Markdown:
    """Generated Markdown for ``display``, with every HTML special character of the text escaped.

    Values from data (school names, codes, subjects) go into the texts verbatim; a name such as
    ``<script>alert(1)</script>`` must reach the reader as those characters, never as markup.
    ``html.escape`` is applied outside code spans (inside them Markdown shows characters as they
    are); the texts themselves use Markdown only, never HTML, so nothing intended is lost.
    """
    parts = _CODE_SPAN.split(str(text))
    return Markdown("".join(p if p.startswith("`") and p.endswith("`") and len(p) > 1
                            else html.escape(p, quote=False) for p in parts))


def table(df: pd.DataFrame, empty: str | None = "Нет строк для показа.", **kws) -> HTML | Markdown:
    """An HTML object of :func:`style_table` for ``display``, or a Markdown note when ``df`` has no rows.

    HTML rather than the Styler itself: a Styler's plain-text form carries its memory address,
    which would make the executed notebook differ from run to run.
    """
    if df is None or len(df) == 0:
        return Markdown(f"*{html.escape(empty, quote=False)}*" if empty else "")
    return HTML(style_table(df, **kws).to_html())


def style_table(df: pd.DataFrame, *, precision: int = 1, formats: dict | None = None, caption: str | None = None,
                nowrap: Iterable[str] = (), breakall: Iterable[str] = (), center: bool = False,
                links: dict[str, str | dict[str, str]] | None = None, full_width: bool = False,
                small: bool = False, widths: dict[str, str] | None = None) -> Styler:
    """A pandas Styler for the reader: no index, decimal comma, «—» for missing values.

    Text is HTML-escaped and line breaks become ``<br>``; floats get ``precision``
    decimals unless ``formats`` gives a column its own (digits or a callable). Text is
    left-aligned and numbers right-aligned (``center`` centres everything, for the
    identifier table); ``nowrap`` columns never wrap, ``breakall`` columns (hashes)
    wrap anywhere. ``links`` makes a column's values links: ``{"Код ОО": CARD_LINK}``
    gives ``<a href="schools/7.html">7</a>`` for every value (URL-quoted in the address,
    HTML-escaped in both places); ``{"Код ОО": {"7": "schools/7.html"}}`` links only the
    values listed (:func:`card_links`). ``full_width`` stretches the table over the text
    block, so long text columns wrap into fewer lines; ``small`` sets a smaller type with
    tighter cells (the one-page school card); ``widths`` fixes columns' shares of the table
    (``{"Мера": "70%"}``).
    """
    formats = dict(formats or {})
    for col, target in (links or {}).items():
        def link(v, target=target):
            if v is None or (isinstance(v, float) and np.isnan(v)) or str(v) == "":
                return "—"
            href = (target.get(str(v)) if isinstance(target, dict)
                    else target.format(quote(str(v), safe="")))
            if href is None:
                return html.escape(str(v))
            return f'<a href="{html.escape(href, quote=True)}">{html.escape(str(v))}</a>'
        formats[col] = link

    def text(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "—"
        return html.escape(str(v)).replace("\n", "<br>")

    def number(digits):
        return lambda v: "—" if v is None or pd.isna(v) else fmt_num(v, digits)

    fmt = {}
    for c in df.columns:
        if c in formats:
            f = formats[c]
            fmt[c] = f if callable(f) else number(int(f))
        elif pd.api.types.is_float_dtype(df[c]):
            fmt[c] = number(precision)
        elif pd.api.types.is_integer_dtype(df[c]):
            fmt[c] = fmt_int
        else:
            fmt[c] = text
    # a fixed uuid keeps the HTML byte-identical between runs (pandas draws a random one)
    uid = hashlib.sha1(df.to_csv().encode("utf-8") + repr(list(df.columns)).encode("utf-8")).hexdigest()[:10]
    st = Styler(df, uuid=uid, cell_ids=False).format(fmt).hide(axis="index")
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    texts = [c for c in df.columns if c not in numeric]
    if center:
        st = st.set_properties(**{"text-align": "center"})
    else:
        st = st.set_properties(subset=numeric, **{"text-align": "right", "white-space": "nowrap"})
        st = st.set_properties(subset=texts, **{"text-align": "left"})
    keep = [c for c in nowrap if c in df.columns]
    if keep:
        st = st.set_properties(subset=keep, **{"white-space": "nowrap"})
    hexes = [c for c in breakall if c in df.columns]
    if hexes:
        st = st.set_properties(subset=hexes, **{"word-break": "break-all", "font-family": "monospace",
                                                 "font-size": "0.85em"})
    st = st.set_table_styles([{"selector": "th", "props": [("text-align", "center" if center else "left"),
                                                           ("vertical-align", "bottom")]}]
                             + ([{"selector": "", "props": [("width", "100%")]}] if full_width else [])
                             + ([{"selector": "", "props": [("font-size", "0.78em"), ("line-height", "1.2")]},
                                 {"selector": "td, th", "props": [("padding", "0.1em 0.5em")]}] if small else []))
    sized = {c: [{"selector": "", "props": [("width", w)]}] for c, w in (widths or {}).items() if c in df.columns}
    if sized:
        st = st.set_table_styles(sized, overwrite=False)
    if caption:
        st = st.set_caption(html.escape(caption))
    return st


def card_links(result: SeasonResult, column: str = "Код ОО", enabled: bool = True) -> dict[str, dict[str, str]]:
    """``links`` for :func:`table`: the codes of the schools that have a card (status ШНОР, ШНСУ,
    зона риска, or the risk-zone flag — the schools of section 2) point to ``CARD_LINK``; other
    codes stay plain text, so no link leads nowhere. ``enabled=False`` (reports made without
    cards, ``shnor report --no-cards``) links nothing."""
    if not enabled:
        return {column: {}}
    s = result.schools
    return {column: {str(i): CARD_LINK.format(quote(str(i), safe="")) for i in s.loc[has_card(s), "school_id"]}}


# ---------------------------------------------------------------- table of contents

class _Page(HTMLParser):
    """Where the headings, the TOC marker and the cell-end markers of a page are (char offsets)."""

    def __init__(self, doc: str) -> None:
        super().__init__(convert_charrefs=True)
        self._line_start = [0]
        i = doc.find("\n")
        while i >= 0:
            self._line_start.append(i + 1)
            i = doc.find("\n", i + 1)
        self.headings: list[dict] = []  # level, start, end (of the start tag), attrs, text
        self.comments: list[tuple[str, int, int]] = []  # text, start, end
        self._open: dict | None = None
        self._skip = 0  # depth inside the anchor-link <a> nbconvert appends to headings
        self.feed(doc)
        self.close()

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_start[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456" and self._open is None:
            start = self._offset()
            self._open = {"level": int(tag[1]), "start": start, "end": start + len(self.get_starttag_text()),
                          "attrs": attrs, "text": []}
        elif self._open is not None and (self._skip or (tag == "a" and "anchor-link" in (dict(attrs).get("class")
                                                                                          or "").split())):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if self._open is None:
            return
        if self._skip and tag == "a":
            self._skip -= 1
        elif tag == f"h{self._open['level']}":
            self._open["text"] = " ".join("".join(self._open["text"]).split())
            self.headings.append(self._open)
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and not self._skip:
            self._open["text"].append(data)

    def handle_comment(self, data: str) -> None:
        start = self._offset()
        self.comments.append((f"<!--{data}-->", start, start + len(data) + 7))


def _toc_html(entries: list[tuple[int, str, str]]) -> str:
    """The «Содержание» block: h2 entries, each with its h3 entries nested."""
    if not entries:
        return ""
    parts = [
        '<nav class="shnor-toc" aria-labelledby="shnor-toc-title">',
        '<div class="shnor-toc-title" id="shnor-toc-title">Содержание</div>',
        "<ol>",
    ]
    open_sub = False
    open_item = False
    for level, anchor, text in entries:
        link = f'<a href="#{html.escape(anchor)}">{html.escape(text)}</a>'
        if level == 2:
            if open_sub:
                parts.append("</ol>")
                open_sub = False
            if open_item:
                parts.append("</li>")
            parts.append(f"<li>{link}")
            open_item = True
        else:
            if not open_item:
                parts.append("<li>")
                open_item = True
            if not open_sub:
                parts.append("<ol>")
                open_sub = True
            parts.append(f"<li>{link}</li>")
    if open_sub:
        parts.append("</ol>")
    if open_item:
        parts.append("</li>")
    parts.append("</ol></nav>")
    return "\n".join(parts)


def insert_toc(doc: str) -> str:
    """Give every heading of a rendered page a unique id and fill the TOC marker from h2/h3.

    The contents go right under the report's title when the page opens with a title cell (an
    h1 and no h2/h3 before the end of that cell), else where the marker is (the top of
    ``<main>``). A page without the marker is returned unchanged; one without h2/h3 gets no
    contents. The cell-end markers are removed.
    """
    page = _Page(doc)
    toc_at = next((s for text, s, _ in page.comments if text == TOC_MARKER), None)
    if toc_at is None:
        return doc
    cell_ends = [(s, e) for text, s, e in page.comments if text == CELL_END_MARKER and s > toc_at]
    headings = [h for h in page.headings if h["start"] > toc_at]
    seen: set[str] = set()
    entries: list[tuple[int, str, str]] = []
    edits: list[tuple[int, int, str]] = [(s, e, "") for s, e in cell_ends]
    for h in headings:
        attrs = [(k, v) for k, v in h["attrs"] if k != "id"]
        anchor = next((v or "" for k, v in h["attrs"] if k == "id"), "")
        if not anchor:
            # same rule as nbconvert's markdown headings
            anchor = quote(h["text"].replace(" ", "-"), safe="?/:@!$&'()*+,;=") or "section"
        base, n = anchor, 1
        while anchor in seen:
            n += 1
            anchor = f"{base}-{n}"
        seen.add(anchor)
        if h["level"] in (2, 3) and h["text"]:
            entries.append((h["level"], anchor, h["text"]))
        rest = "".join(f' {k}="{html.escape(v or "", quote=True)}"' if v is not None else f" {k}"
                       for k, v in attrs)
        edits.append((h["start"], h["end"], f'<h{h["level"]} id="{html.escape(anchor)}"{rest}>'))
    toc = _toc_html(entries)
    where = toc_at
    if toc and headings and headings[0]["level"] == 1:
        # a title cell opens the report: the contents belong under it
        title_end = next(((s, e) for s, e in cell_ends if s > headings[0]["start"]), None)
        if title_end is not None and not any(h["level"] in (2, 3) and h["start"] < title_end[0] for h in headings):
            where = title_end[1]
    edits.append((toc_at, toc_at + len(TOC_MARKER), ""))
    edits.append((where, where, toc))
    out, pos = [], 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(doc[pos:start])
        out.append(new)
        pos = max(pos, end)
    out.append(doc[pos:])
    return "".join(out)
