"""End to end: ``shnor report`` on the demo season and a broken municipality.

One run (module fixture) of the real command; the tests read what a department
head would get: HTML without code, with every section, charts and a table of
contents; a PDF whose text is Russian; an index that lists the broken season
as failed while the good one is written.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import REPO, write_csv

from shnor_lib.cli import main
from shnor_lib.report.export import find_browser

XSS_NAME = '<img src=x onerror="window.__xss=1">МБОУ СОШ № 7<script>window.__xss=2</script>'
SECTIONS = ["1. Итоги", "2. Выявленные школы", "3. Результаты оценочных процедур", "4. Объективность результатов",
            "5. Социальный контекст и учительский ресурс", "6. Качество с учётом контекста", "7. Кластеры школ",
            "8. Показатели мониторинга", "9. Рисковые профили", "10. Динамика", "11. Школы-лидеры",
            "12. Качество данных", "13. Методика"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    root = tmp / "data_raw"
    shutil.copytree(REPO / "data_raw" / "demo", root / "demo")
    # A hostile school name: it must show as text, never run (issue: safe HTML).
    import openpyxl
    book = openpyxl.load_workbook(root / "demo" / "2024" / "schools.xlsx")
    sheet = book.active
    for r in sheet.iter_rows(min_row=2):
        if str(r[0].value) == "7":
            r[1].value = XSS_NAME
    book.save(root / "demo" / "2024" / "schools.xlsx")
    broken = root / "broken" / "2024"
    write_csv(broken / "schools.csv", ["school_id", "name"], [["1", "Школа 1"]])
    write_csv(broken / "results.csv", ["school_id", "procedure", "subject", "grade", "participants", "n2", "n3", "n4", "n5"],
              [["99", "ВПР", "математика", 5, 20, 5, 15, 0, 0]])
    out = tmp / "outputs"
    before = _digest(root)
    code = main(["report", "--data-root", str(root), "--out", str(out), "--year", "2024", "--jobs", "2"])
    assert _digest(root) == before, "data_raw must never be written"
    return code, out


def _digest(folder):
    import hashlib
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_broken_data_fails_alone_with_exit_2(run):
    code, out = run
    assert code == 2
    assert (out / "demo" / "2024" / "report.html").exists()
    assert not (out / "broken" / "2024" / "report.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "ошибки во входных данных" in index and "неизвестный код ОО «99»" in index
    assert 'href="demo/2024/report.html"' in index


def test_html_has_no_code_and_every_section(run):
    _, out = run
    html = (out / "demo" / "2024" / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"class=\"[^\"]*jp-Input(Area|Prompt)", html)
    assert "import shnor_lib" not in html and "compute_season(" not in html
    for heading in SECTIONS:
        assert heading in html, heading
    assert "Содержание" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) >= 6
    assert not re.search(r"<script[^>]+src=\"https?:", html)
    assert "Traceback" not in html and "Warning" not in html


def test_manifest_records_inputs_parameters_versions_and_reports(run):
    import json
    _, out = run
    m = json.loads((out / "demo" / "2024" / "manifest.json").read_text(encoding="utf-8"))
    assert {i["file"] for i in m["inputs"]} >= {"demo/2024/results.csv", "demo/2023/results.csv"}
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])
    assert m["parameters"]["shnor_threshold"] == 0.3 and m["versions"]["shnor"] != "—"
    assert m["reports"][0]["ok"] and m["reports"][0]["status"] == "готов" and m["reports"][0]["seconds"] > 0


def test_tables_of_compute_sit_beside_the_report(run):
    _, out = run
    folder = out / "demo" / "2024"
    for name in ["schools.csv", "schools.xlsx", "metrics.csv", "data_issues.csv", "identifier_table.csv",
                 "model.txt", "manifest.json", "report.ipynb"]:
        assert (folder / name).exists(), name


@pytest.mark.skipif(find_browser() is None or shutil.which("pdftotext") is None,
                    reason="нет Chromium или pdftotext: PDF не проверяется")
def test_pdf_text_is_russian(run):
    _, out = run
    pdf = out / "demo" / "2024" / "report.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for heading in ["Итоги", "Выявленные школы", "Качество данных", "Методика"]:
        assert heading in text, heading


def test_hostile_school_name_is_escaped_in_html(run):
    _, out = run
    html = (out / "demo" / "2024" / "report.html").read_text(encoding="utf-8")
    assert "<script>window.__xss" not in html and '<img src=x onerror="window.__xss' not in html
    assert "&lt;script&gt;window.__xss=2&lt;/script&gt;" in html


@pytest.mark.skipif(find_browser() is None, reason="нет Chromium")
def test_hostile_school_name_does_not_run_in_chromium(run):
    playwright = pytest.importorskip("playwright.sync_api")
    _, out = run
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto((out / "demo" / "2024" / "report.html").as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("window.__xss === undefined")
            assert "<script>window.__xss=2</script>" in page.inner_text("body")
            assert dialogs == []
        finally:
            browser.close()


@pytest.mark.skipif(find_browser() is None, reason="нет Chromium")
def test_report_and_index_open_in_chromium_without_console_errors(run):
    playwright = pytest.importorskip("playwright.sync_api")
    _, out = run
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        try:
            for page_path, selector, least in [(out / "demo" / "2024" / "report.html", "h2", 13),
                                               (out / "index.html", "tbody tr", 2)]:
                page = browser.new_page()
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(page_path.as_uri())
                page.wait_for_load_state("load")
                assert page.locator(selector).count() >= least
                page.close()
        finally:
            browser.close()
    assert errors == []


needs_pdf_tools = pytest.mark.skipif(find_browser() is None or shutil.which("pdfinfo") is None,
                                     reason="нет Chromium или poppler-utils: PDF не проверяется")


def _pdfinfo(path, *args):
    return subprocess.run(["pdfinfo", *args, str(path)], capture_output=True, text=True, check=True).stdout


@needs_pdf_tools
def test_report_pdf_has_a_running_footer_with_page_numbers_and_the_date_made(run):
    _, out = run
    pdf = out / "demo" / "2024" / "report.pdf"
    pages = int(re.search(r"Pages:\s+(\d+)", _pdfinfo(pdf)).group(1))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # the municipality's name from parameters/demo.yml, not its folder slug
    for n in (1, 2, pages):
        assert f"Демонстрационный муниципальный округ, 2024 · стр. {n} из {pages}" in text, n
    assert re.search(r"сформировано \d\d\.\d\d\.\d{4}", text)
    assert b"/Outlines" in pdf.read_bytes()  # bookmarks from the headings


@needs_pdf_tools
def test_every_card_is_one_a4_page_in_pdf(run):
    _, out = run
    cards = sorted((out / "demo" / "2024" / "schools").glob("*.pdf"))
    # data_raw/demo/README.md: the schools of section 2 (status or risk-zone flag) get a card
    assert {c.stem for c in cards} >= {"7", "33"}
    for card in cards:
        info = _pdfinfo(card)
        assert re.search(r"Pages:\s+1\n", info), card.name
        assert "595.92 x 842.88" in info or "595 x 842" in info, card.name  # A4 in points


@needs_pdf_tools
def test_no_file_url_or_absolute_path_in_any_html_or_pdf(run):
    _, out = run
    files = [p for p in out.rglob("*") if p.suffix in (".html", ".pdf")]
    assert len(files) > 20
    for f in files:
        data = f.read_bytes()
        assert b"file://" not in data, f
        assert str(out).encode() not in data, f


@needs_pdf_tools
def test_report_pdf_links_the_cards_pdfs_relatively(run):
    _, out = run
    urls = _pdfinfo(out / "demo" / "2024" / "report.pdf", "-url")
    links = re.findall(r"Annotation\s+(\S+)", urls)
    card_links = {re.sub(r"^(\./)+", "", u) for u in links if "schools/" in u}
    assert "schools/7.pdf" in card_links and "schools/33.pdf" in card_links
    card = _pdfinfo(out / "demo" / "2024" / "schools" / "7.pdf", "-url")
    assert re.search(r"Annotation\s+(\./)*\.\./report\.pdf", card)  # card → report, in the PDF too


def test_card_links_back_to_report_cards_index_and_all_reports(run):
    _, out = run
    card = (out / "demo" / "2024" / "schools" / "7.html").read_text(encoding="utf-8")
    for href in ('href="../report.html"', 'href="index.html"', 'href="../../../index.html"'):
        assert href in card, href
    report = (out / "demo" / "2024" / "report.html").read_text(encoding="utf-8")
    assert 'href="../../index.html"' in report and 'href="schools/index.html"' in report
    assert (out / "demo" / "2024" / "schools" / "index.html").exists()


def test_cards_index_lists_each_school_with_name_status_and_reason(run):
    _, out = run
    page = (out / "demo" / "2024" / "schools" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", page)
    by_id = {r[0]: r for r in rows}
    # data_raw/demo/README.md: 7 is ШНОР («два года подряд»), 33 is ШНСУ
    assert by_id["7"][2] == "ШНОР" and "&lt;script&gt;" in by_id["7"][1]  # the hostile name, escaped
    assert by_id["33"][2] == "ШНСУ" and "ИСБШ" in by_id["33"][3]
    assert len({r[1] for r in rows}) == len(rows)  # a name per school, not one title repeated


def test_card_html_is_slim_and_self_contained(run):
    _, out = run
    for card in (out / "demo" / "2024" / "schools").glob("*.html"):
        html = card.read_text(encoding="utf-8")
        assert len(html.encode()) < 150_000, card.name  # ~345 KB with the notebook's CSS before
        assert "<script" not in html and "http://" not in html and "https://" not in html


@pytest.mark.skipif(find_browser() is None, reason="нет Chromium")
def test_glavnoe_with_its_first_named_school_is_on_the_first_screen_at_1280x1000(run):
    playwright = pytest.importorskip("playwright.sync_api")
    _, out = run
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto((out / "demo" / "2024" / "report.html").as_uri())
            block = page.locator("h2, h3, h4", has_text=re.compile(r"^\s*Главное[\s¶]*$"))
            assert block.count() == 1, "no «Главное» heading"
            box = block.first.bounding_box()
            assert box is not None and box["y"] < 1000
            # the first named school of the lists: a line linking its card, with its status and reason
            first = block.first.locator("xpath=following::li[a][1]")
            item = first.bounding_box()
            assert item is not None and item["y"] + item["height"] <= 1000, item
            assert re.search(r"—\s*ШНОР|—\s*ШНСУ", first.inner_text()), first.inner_text()
        finally:
            browser.close()


# Runs last: it rewrites the index of the shared run.
def test_resume_skips_unchanged_reports(run):
    code, out = run
    root = out.parent / "data_raw"
    again = main(["report", "--data-root", str(root), "--out", str(out), "--year", "2024", "--municipality", "demo",
                  "--resume"])
    assert again == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "не пересчитывался" in index


def test_no_cards_makes_season_reports_only_and_links_no_card(tmp_path):
    root = tmp_path / "data_raw"
    shutil.copytree(REPO / "data_raw" / "demo", root / "demo")
    out = tmp_path / "outputs"
    earlier = out / "demo" / "2024" / "schools"  # cards of an earlier run with cards
    earlier.mkdir(parents=True)
    for f in ("7.html", "7.pdf", ".7.shnor-run.json", "index.html"):
        (earlier / f).write_text("earlier run", encoding="utf-8")
    code = main(["report", "--data-root", str(root), "--out", str(out), "--municipality", "demo", "--year", "2024",
                 "--format", "html", "--no-cards"])
    assert code == 0
    season = out / "demo" / "2024"
    schools = (season / "schools.csv").read_text(encoding="utf-8")
    assert "ШНОР" in schools  # there are schools that would have had a card
    assert not (season / "schools").exists()  # no card outlives the run that made it
    html = (season / "report.html").read_text(encoding="utf-8")
    assert "2. Выявленные школы" in html and 'href="schools/' not in html
    assert "карточк" not in html  # no text promises cards that were not made
    assert "Карточки школ" not in (out / "index.html").read_text(encoding="utf-8")


def test_report_fingerprint_counts_the_notebook_parameters():
    from shnor_lib.config.params import load_params
    from shnor_lib.pipeline.dataset import load_dataset
    from shnor_lib.report.batch import _fingerprint, _season_jobs

    data = load_dataset(REPO / "data_raw", "demo", 2024)
    params = load_params("demo", None, REPO / "parameters")
    with_cards, = [j for j in _season_jobs("demo", 2024, REPO / "outputs", REPO / "data_raw", None, cards=True)]
    without, = [j for j in _season_jobs("demo", 2024, REPO / "outputs", REPO / "data_raw", None, cards=False)]
    prints = {_fingerprint(j, params, data, "demo", 2024, ("html",)) for j in (with_cards, without, with_cards)}
    assert len(prints) == 2  # --resume after --no-cards re-makes the report with its card links


def test_cards_of_schools_without_a_card_this_run_are_removed(tmp_path):
    from shnor_lib.report.batch import _prune_cards

    folder = tmp_path / "schools"
    folder.mkdir()
    files = ["7.html", "7.pdf", "7.ipynb", ".7.shnor-run.json", "9.html", ".9.shnor-run.json", "index.html",
             "notes.txt"]
    for f in files:
        (folder / f).write_text("x", encoding="utf-8")
    _prune_cards(folder, {"9"})  # school 7 lost its status since the earlier run
    assert sorted(p.name for p in folder.iterdir()) == [".9.shnor-run.json", "9.html", "index.html", "notes.txt"]
    _prune_cards(folder, set())  # no cards at all: only what is not a card stays
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
