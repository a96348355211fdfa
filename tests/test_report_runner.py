"""Tests for shnor_lib.report.runner (and the atomic writes it relies on).

Executing a notebook costs ~3 s, so the executed reports are shared through
module-scoped fixtures; each test then checks one behaviour of the result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shnor_lib.io.atomic import atomic_path, atomic_write_text
from shnor_lib.report.export import find_browser
from shnor_lib.report.runner import (
    ReportJob,
    ReportOutcome,
    ReportParameterError,
    check_parameters,
    run_report,
    run_reports,
    write_index,
)

NOTEBOOKS = Path(__file__).resolve().parent / "fixtures" / "notebooks"
OK_NB = NOTEBOOKS / "ok.ipynb"
FAIL_NB = NOTEBOOKS / "fail.ipynb"

BROWSER = find_browser()
HAS_PDFTOTEXT = shutil.which("pdftotext") is not None

needs_browser = pytest.mark.skipif(BROWSER is None, reason="нет Chromium/Chrome для печати PDF")
needs_pdftotext = pytest.mark.skipif(not HAS_PDFTOTEXT, reason="нет pdftotext (poppler-utils) для чтения PDF")


def _job(notebook: Path, out: Path, **params) -> ReportJob:
    params = {"municipality": "Демо", "year": 2024, **params}
    return ReportJob(
        notebook=notebook,
        output_dir=out,
        parameters=params,
        title=f"Отчёт: {params['municipality']}, {params['year']}",
        key=(params["municipality"], params["year"]),
    )


@pytest.fixture(scope="module")
def ok_report(tmp_path_factory) -> ReportOutcome:
    out = tmp_path_factory.mktemp("reports") / "Демо" / "2024"
    return run_report(_job(OK_NB, out), formats=("html", "pdf"))


@pytest.fixture(scope="module")
def ok_html(ok_report) -> str:
    return ok_report.html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    fail_dir = root / "Провал" / "2024"
    fail_dir.mkdir(parents=True)
    # a good report from an earlier run, which the failing run must not touch
    (fail_dir / "report.html").write_text("прежний отчёт", encoding="utf-8")
    jobs = [
        _job(OK_NB, root / "Первый" / "2024", municipality="Первый"),
        _job(FAIL_NB, fail_dir, municipality="Провал"),
        _job(OK_NB, root / "Второй" / "2023", municipality="Второй", year=2023),
    ]
    return jobs, run_reports(jobs, n_jobs=2, formats=("html",), progress=False)


# --------------------------------------------------------------------------- one good report


def test_successful_report_is_ok_and_keeps_the_executed_notebook(ok_report):
    assert ok_report.ok, ok_report.error
    assert ok_report.error is None and ok_report.failed_cell is None
    executed = json.loads(ok_report.notebook_out.read_text(encoding="utf-8"))
    assert ok_report.notebook_out.name == "report.ipynb"
    assert any(cell.get("outputs") for cell in executed["cells"])


def test_no_temporary_files_are_left_next_to_the_report(ok_report):
    leftovers = [p.name for p in ok_report.job.output_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_report_html_shows_values_of_the_injected_parameters(ok_html):
    assert "Муниципалитет: Демо, год: 2024. Всё посчитано." in ok_html


def test_report_html_hides_code_inputs_and_prompts(ok_html):
    assert not re.search(r'class="[^"]*jp-InputArea', ok_html)
    assert "In&nbsp;[" not in ok_html
    assert not re.search(r'class="[^"]*jp-(In|Out)putPrompt', ok_html)
    assert "plt.subplots" not in ok_html
    assert 'print(f"Муниципалитет' not in ok_html


def test_report_html_hides_stderr_output(ok_html):
    assert "служебное предупреждение" not in ok_html


def test_report_html_embeds_the_chart_as_base64_png(ok_html):
    # nbconvert re-serialises tags with sorted attributes, so src is not first
    assert re.search(r'<img [^>]*src="data:image/png;base64,[A-Za-z0-9+/]{100}', ok_html)
    assert 'alt="Рисунок"' in ok_html


def test_report_html_opens_with_a_table_of_contents_linking_to_headings(ok_html):
    toc = re.search(r'<nav class="shnor-toc".*?</nav>', ok_html, re.S)
    assert toc and "Содержание" in toc.group(0)
    links = dict((text, href) for href, text in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc.group(0)))
    assert set(links) == {"Итоги", "Подраздел"}
    assert re.search(rf'<h2 id="{re.escape(links["Итоги"])}"', ok_html)
    assert re.search(rf'<h3 id="{re.escape(links["Подраздел"])}"', ok_html)


def test_report_html_is_russian_titled_and_loads_no_external_scripts(ok_html):
    assert '<html lang="ru">' in ok_html
    assert "<title>Отчёт: Демо, 2024</title>" in ok_html
    assert not re.search(r"<script[^>]*\bsrc=", ok_html)
    assert not re.search(r'(src|href)="(https?:)?//', ok_html)


@needs_browser
@needs_pdftotext
def test_report_pdf_keeps_cyrillic_text(ok_report):
    assert ok_report.pdf is not None, ok_report.pdf_note
    text = subprocess.run(["pdftotext", str(ok_report.pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Итоги" in text
    assert "Муниципалитет: Демо" in text


@needs_browser
@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="нет pdfinfo (poppler-utils)")
def test_report_pdf_is_printed_on_a4(ok_report):
    info = subprocess.run(["pdfinfo", str(ok_report.pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width == pytest.approx(595, abs=2) and height == pytest.approx(842, abs=2)


@needs_browser
def test_report_opens_in_headless_chromium_without_console_errors(ok_report):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright не установлен")
    problems: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=BROWSER,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(ok_report.html.as_uri(), wait_until="load")
            loaded_images = page.evaluate("[...document.images].every(i => i.naturalWidth > 0)")
        finally:
            browser.close()
    assert problems == []
    assert loaded_images
    assert all(url.startswith(("file:", "data:")) for url in requests), requests


def test_missing_pdf_engine_still_writes_html_and_explains_how_to_get_pdf(tmp_path, monkeypatch):
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"%PDF- from an earlier run")
    monkeypatch.setenv("SHNOR_BROWSER", str(tmp_path / "no-such-browser"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))

    outcome = run_report(_job(OK_NB, out), formats=("html", "pdf"))

    assert outcome.ok and outcome.html.is_file()
    assert outcome.pdf is None
    assert "SHNOR_BROWSER" in outcome.pdf_note
    assert not (out / "report.pdf").exists(), "a PDF of an earlier run must not pass for the new one"


# --------------------------------------------------------------------------- parameters


def test_check_parameters_returns_the_declared_parameters():
    declared = check_parameters(OK_NB, {"municipality": "Демо"})
    assert set(declared) == {"municipality", "year"}


def test_unknown_parameter_raises_a_russian_error_naming_it():
    with pytest.raises(ReportParameterError, match="«region»"):
        check_parameters(OK_NB, {"region": "Юг"})


def test_unknown_parameter_fails_the_job_before_anything_is_executed(tmp_path):
    out = tmp_path / "never"
    outcome = run_report(_job(OK_NB, out, region="Юг"))
    assert not outcome.ok
    assert "не знает параметр «region»" in outcome.error
    assert "«municipality»" in outcome.error, "the message lists what the notebook accepts"
    assert not out.exists()


# --------------------------------------------------------------------------- batch


def test_batch_returns_outcomes_in_the_order_of_the_jobs(batch):
    jobs, outcomes = batch
    assert [o.job.key for o in outcomes] == [j.key for j in jobs]


def test_a_failing_job_does_not_stop_the_others(batch):
    _, outcomes = batch
    assert [o.ok for o in outcomes] == [True, False, True]
    for outcome in (outcomes[0], outcomes[2]):
        assert outcome.html.is_file()
        assert outcome.job.key[0] in outcome.html.read_text(encoding="utf-8")


def test_failing_job_names_the_failing_code_cell_and_the_exception(batch):
    failed = batch[1][1]
    assert failed.failed_cell == 3
    assert failed.error == "ячейка 3: ValueError: сломано"


def test_failing_job_keeps_the_executed_notebook_with_the_traceback(batch):
    failed = batch[1][1]
    executed = failed.notebook_out.read_text(encoding="utf-8")
    assert failed.notebook_out == failed.job.output_dir / "report.ipynb"
    assert "ValueError" in executed and "сломано" in executed


def test_failing_job_leaves_the_previous_report_untouched(batch):
    failed = batch[1][1]
    previous = failed.job.output_dir / "report.html"
    assert failed.html is None and failed.pdf is None
    assert previous.read_text(encoding="utf-8") == "прежний отчёт"
    assert failed.kept_previous == (previous,)
    assert "новый отчёт не записан" in failed.status


def test_two_jobs_writing_into_the_same_files_are_refused(tmp_path):
    jobs = [_job(OK_NB, tmp_path / "same"), _job(OK_NB, tmp_path / "same", year=2023)]
    with pytest.raises(ValueError, match="одни файлы"):
        run_reports(jobs, n_jobs=1, progress=False)


def test_jobs_with_different_names_share_a_folder(tmp_path):
    a, b = _job(OK_NB, tmp_path / "cards"), _job(OK_NB, tmp_path / "cards", year=2023)
    a.name, b.name = "1", "2"
    outcomes = run_reports([a, b], n_jobs=1, formats=("html",), progress=False)
    assert [o.ok for o in outcomes] == [True, True]
    assert (tmp_path / "cards" / "1.html").exists() and (tmp_path / "cards" / "2.ipynb").exists()


# --------------------------------------------------------------------------- index


def _outcome(root: Path, name: str, *, ok: bool, error: str | None = None) -> ReportOutcome:
    folder = root / name / "2024"
    folder.mkdir(parents=True)
    html = folder / "report.html"
    notebook = folder / "report.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    if ok:
        html.write_text("<p>отчёт</p>", encoding="utf-8")
    return ReportOutcome(
        job=ReportJob(notebook=OK_NB, output_dir=folder, key=(name, 2024)),
        ok=ok,
        html=html if ok else None,
        pdf=None,
        notebook_out=notebook,
        error=error,
        failed_cell=None if ok else 2,
        pdf_note=None,
        seconds=1.0,
    )


def test_index_escapes_markup_coming_from_error_messages(tmp_path):
    evil = _outcome(tmp_path, "Злой <b>район</b>", ok=False, error="<script>alert(1)</script>")
    page = write_index([evil], tmp_path).read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Злой &lt;b&gt;район&lt;/b&gt;" in page


def test_index_links_to_existing_report_files_relatively(tmp_path):
    good = _outcome(tmp_path, "Первый", ok=True)
    bad = _outcome(tmp_path, "Второй", ok=False, error="ячейка 2: KeyError: 'x'")
    index = write_index([good, bad], tmp_path)
    page = index.read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs, "the index must link to the reports"
    from urllib.parse import unquote

    assert all((index.parent / unquote(h)).is_file() for h in hrefs)
    assert all(not h.startswith(("/", "file:", "http")) for h in hrefs)
    assert sum(h.endswith("report.html") for h in hrefs) == 1, "no link to a report not written"
    assert "готов" in page and "ошибка: ячейка 2: KeyError: &#39;x&#39;" in page  # Jinja2's escaping of '


def test_index_is_self_contained_and_russian(tmp_path):
    page = write_index([_outcome(tmp_path, "Первый", ok=True)], tmp_path).read_text("utf-8")
    assert '<html lang="ru">' in page
    assert "Отчёты по мониторингу ШНОР и ШНСУ" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


# --------------------------------------------------------------------------- atomic writes


def test_failing_block_in_atomic_path_leaves_neither_target_nor_temp_file(tmp_path):
    target = tmp_path / "sub" / "report.pdf"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half a PDF")
            raise RuntimeError("browser crashed")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_failing_block_in_atomic_path_keeps_the_previous_file(tmp_path):
    target = atomic_write_text(tmp_path / "index.html", "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("new")
            raise RuntimeError
    assert target.read_text() == "old"


def test_atomic_write_text_creates_parents_and_replaces_content(tmp_path):
    target = tmp_path / "a" / "b" / "index.html"
    atomic_write_text(target, "первая")
    atomic_write_text(target, "вторая")
    assert target.read_text(encoding="utf-8") == "вторая"
    assert os.listdir(target.parent) == ["index.html"]


def test_serial_batch_returns_one_outcome_per_job_in_order(tmp_path):
    # unknown parameters fail before execution, which keeps this test instant
    jobs = [_job(OK_NB, tmp_path / name, region=name) for name in ("б", "а", "в")]
    outcomes = run_reports(jobs, n_jobs=1, progress=False)
    assert [o.job.output_dir.name for o in outcomes] == ["б", "а", "в"]
    assert all(not o.ok and "«region»" in o.error for o in outcomes)
