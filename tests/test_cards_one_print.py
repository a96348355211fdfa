"""A season's cards are printed in one browser print and split into one PDF per school (issue 17,
goal 1): each school's PDF must keep what a card printed on its own has — one A4 page, the same
text and look, relative links, bookmarks, title, footer — and a page that does not fit is shrunk
or printed on its own."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO
from PIL import Image

from shnor_lib.report import export
from shnor_lib.report.card_page import card_ids, render_card
from shnor_lib.report.context import season_context
from shnor_lib.report.plots import set_style

pypdf = pytest.importorskip("pypdf")
needs_browser = pytest.mark.skipif(export.find_browser() is None or shutil.which("pdftoppm") is None
                                   or shutil.which("pdfinfo") is None, reason="нет Chromium или poppler-utils")


@pytest.fixture(scope="module")
def demo():
    return season_context(REPO / "data_raw", "demo", 2024)


def _poppler(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True).stdout


def _pixels(pdf: Path, tmp: Path) -> np.ndarray:
    stem = tmp / pdf.stem
    _poppler("pdftoppm", "-r", "60", "-png", "-singlefile", pdf, stem)
    return np.asarray(Image.open(f"{stem}.png").convert("RGB"))


def _outline(pdf: Path) -> list[tuple[str, float]]:
    reader = pypdf.PdfReader(pdf)
    out: list[tuple[str, float]] = []

    def walk(items):
        for item in items:
            walk(item) if isinstance(item, list) else out.append((item.title, round(float(item.top), 1)))

    walk(reader.outline)
    return out


def _page(body: str, title: str = "Страница") -> str:
    return (f'<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
            '<style>@page { size: A4; } body { font-family: "DejaVu Sans", sans-serif; } p { margin: 0; }</style>\n</head>\n'
            f"<body>\n{body}\n</body>\n</html>\n")


@needs_browser
def test_cards_printed_in_one_print_match_cards_printed_one_by_one(demo, tmp_path):
    set_style()  # as write_cards does
    ids = card_ids(demo.res)[:3]
    one, alone = tmp_path / "one", tmp_path / "alone"
    for folder in (one, alone):
        folder.mkdir()
        for sid in ids:
            (folder / f"{sid}.html").write_text(render_card(demo.history, demo.support, sid), encoding="utf-8")
    with export.persistent_browser():
        got = export.one_page_pdfs([(one / f"{s}.html", one / f"{s}.pdf") for s in ids], footer="Демо, 2024")
        for sid in ids:
            export.html_to_pdf(alone / f"{sid}.html", alone / f"{sid}.pdf", footer="Демо, 2024", one_page=True)
    assert got == [one / f"{s}.pdf" for s in ids]
    assert not [p for p in one.iterdir() if p.name.startswith(".")]  # the joint document and PDF are removed
    for sid in ids:
        a, b = one / f"{sid}.pdf", alone / f"{sid}.pdf"
        info = _poppler("pdfinfo", a)
        assert re.search(r"Pages:\s+1\n", info) and "595.92 x 842.88" in info
        assert _poppler("pdfinfo", a).split("Title:")[1].splitlines()[0] == \
            _poppler("pdfinfo", b).split("Title:")[1].splitlines()[0]
        text = _poppler("pdftotext", "-layout", a, "-")
        assert text == _poppler("pdftotext", "-layout", b, "-")  # footer «Демо, 2024 · стр. 1 из 1 … сформировано» too
        assert "Демо, 2024 · стр. 1 из 1" in text
        # ../report.pdf, index.html, …: the same links (a card printed alone pads its links with «./»)
        assert _poppler("pdfinfo", "-url", a) == re.sub(r"(?<= )(\./)+", "", _poppler("pdfinfo", "-url", b))
        assert "../report.pdf" in _poppler("pdfinfo", "-url", a)
        assert _outline(a) == _outline(b) and len(_outline(a)) == 8  # the card's title and its 7 sections
        assert pypdf.PdfReader(a).trailer["/Root"]["/Lang"] == "ru"
        assert np.array_equal(_pixels(a, tmp_path), _pixels(b, tmp_path)), sid


@needs_browser
def test_a_page_taller_than_a4_is_shrunk_to_its_own_page_in_the_one_print(tmp_path):
    tall = "".join(f"<p>Абзац {i}: длинная карточка.</p>" for i in range(1, 81))  # about 1.5 A4 pages
    pages = [(tmp_path / "a.html", _page("<p>Короткая страница</p>", "А")), (tmp_path / "b.html", _page(tall, "Б")),
             (tmp_path / "c.html", _page("<p>Третья страница</p>", "В"))]
    for path, text in pages:
        path.write_text(text, encoding="utf-8")
    calls = []
    real = export._Printer.print_sheets
    mp = pytest.MonkeyPatch()
    mp.setattr(export._Printer, "print_sheets", lambda self, *a, **k: calls.append(real(self, *a, **k)) or calls[-1])
    try:
        got = export.one_page_pdfs([(p, p.with_suffix(".pdf")) for p, _ in pages], footer="Тест")
    finally:
        mp.undo()
    assert calls and calls[0][0] == 1 and 0.5 < calls[0][1] < 0.75 and calls[0][2] == 1  # only the tall one shrunk
    for pdf, word in zip(got, ("Короткая", "Абзац 80:", "Третья"), strict=True):
        assert export.pdf_page_count(pdf) == 1
        assert word in _poppler("pdftotext", pdf, "-")
    assert "Абзац 1:" in _poppler("pdftotext", got[1], "-")


@needs_browser
def test_pages_that_cannot_share_one_document_are_printed_one_by_one(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    a.write_text(_page("<p>Первая</p>"), encoding="utf-8")
    b.write_text(_page("<p>Вторая</p>").replace("DejaVu Sans", "Liberation Serif"), encoding="utf-8")  # another head
    sheets = []
    mp = pytest.MonkeyPatch()
    mp.setattr(export._Printer, "print_sheets", lambda *a, **k: sheets.append(1))
    try:
        got = export.one_page_pdfs([(a, tmp_path / "a.pdf"), (b, tmp_path / "b.pdf")])
    finally:
        mp.undo()
    assert not sheets  # never tried together
    assert got == [tmp_path / "a.pdf", tmp_path / "b.pdf"]
    assert "Вторая" in _poppler("pdftotext", got[1], "-") and export.pdf_page_count(got[1]) == 1
