"""School cards fit one A4 page at 100% print scale (issue 12, «one A4 page per school card, really»).

The demo school with the most measures (data_raw/demo 2024: school 33, 19 measures) used to print
at about half size because the card was shrunk to one page. Its measures are now short headlines
(the first clause of each measure's text in ``parameters/recommendations.yml``) linking the
справка's list, where each measure is in full.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import REPO

from shnor_lib.report import cards, export
from shnor_lib.report.card_page import card_ids, render_card
from shnor_lib.report.context import season_context
from shnor_lib.report.plots import set_style

needs_browser = pytest.mark.skipif(export.find_browser() is None or shutil.which("pdftotext") is None,
                                   reason="нет Chromium или poppler-utils")


@pytest.fixture(scope="module")
def demo():
    return season_context(REPO / "data_raw", "demo", 2024)


def _most_measures(sc) -> str:
    recs = sc.support.recommendations
    return str(recs["school_id"].astype(str).value_counts().sort_index().idxmax())


def test_measure_headline_is_the_first_clause_without_brackets_and_without_a_dangling_word():
    # parameters/recommendations.yml, K04 and S01
    assert cards.measure_short("Составить план закрытия вакансий: привлечение молодых специалистов.") == \
        "Составить план закрытия вакансий"
    s01 = ("Разработать (актуализировать) школьную программу повышения качества образования (ШППКО) и "
           "антирисковую программу по факторам риска высокой значимости; пройти взаимоэкспертизу.")
    short = cards.measure_short(s01)
    assert short.startswith("Разработать школьную программу") and short.endswith("\u00a0…")
    assert "(" not in short and len(short) <= 54
    v02 = "Направить педагогов и специалистов сопровождения на повышение квалификации по инклюзивному образованию."
    assert cards.measure_short(v02) == "Направить педагогов и специалистов сопровождения\u00a0…"  # not «… на …»


def test_card_lists_every_measure_and_links_the_full_text_in_the_report():
    recs = pd.DataFrame({"school_id": ["7", "7"], "trigger": ["статус: ШНОР", "фактор 3 «X»: высокая значимость"],
                         "recommendation": ["Составить план закрытия вакансий: подробно.", "Провести аудит (кратко)."],
                         "measure_id": ["K04", "O01"], "addressee": ["руководитель ОО", "учредитель"]})
    text = cards.measures_list(SimpleNamespace(recommendations=recs), "7", "../report.html")
    assert text.startswith("**1.**\u00a0Составить план закрытия вакансий. **2.**\u00a0Провести аудит.")
    # the справка's heading «Адресные рекомендации» (notebooks/season_report.ipynb), as nbconvert anchors it
    assert "](../report.html#%D0%90%D0%B4%D1%80%D0%B5%D1%81%D0%BD%D1%8B%D0%B5-%D1%80%D0%B5%D0%BA%D0%BE%D0%BC%D0%B5" \
           "%D0%BD%D0%B4%D0%B0%D1%86%D0%B8%D0%B8)" in text
    assert "### Адресные рекомендации" in (REPO / "notebooks" / "season_report.ipynb").read_text(encoding="utf-8")


@needs_browser
def test_card_of_the_school_with_most_measures_fits_one_a4_page_at_full_scale(demo, tmp_path):
    sid = _most_measures(demo)
    assert sid in card_ids(demo.res)
    set_style()  # as write_cards does
    page = tmp_path / f"{sid}.html"
    page.write_text(render_card(demo.history, demo.support, sid), encoding="utf-8")
    scales = []
    real = export._Printer.print

    def spy(self, *args, **kws):
        scales.append(real(self, *args, **kws))
        return scales[-1]

    mp = pytest.MonkeyPatch()
    mp.setattr(export._Printer, "print", spy)
    try:
        with export.persistent_browser():
            pdf = export.html_to_pdf(page, tmp_path / f"{sid}.pdf", footer="Демо, 2024", one_page=True)
    finally:
        mp.undo()
    assert scales == [1.0]  # printed once, not shrunk
    assert export.pdf_page_count(pdf) == 1
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    n = int((demo.support.recommendations["school_id"].astype(str) == sid).sum())
    assert n >= 12
    numbers = [int(x) for x in re.findall(r"(?<![\d,])(\d{1,2})\.\s", text.split("Рекомендации", 1)[1].split(
        "Школа-лидер", 1)[0])]
    assert list(range(1, n + 1)) == [x for x in numbers if x <= n][:n]
    assert "Полный текст мер" in text
