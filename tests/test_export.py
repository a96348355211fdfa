"""Tests for shnor_lib.report.export on hand-made notebooks (no kernel needed)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from shnor_lib.report.export import (
    PdfEngineMissing,
    PdfExportError,
    find_browser,
    html_to_pdf,
    notebook_to_html,
)

# 1×1 PNG
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

posix_only = pytest.mark.skipif(os.name != "posix", reason="поддельный браузер — shell-скрипт")


def _executed_notebook() -> nbformat.NotebookNode:
    code = new_code_cell(
        'print("секретный исходный код")',
        execution_count=1,
        outputs=[
            new_output("stream", name="stdout", text="Итог: 42 школы\n"),
            new_output("stream", name="stderr", text="UserWarning: служебное предупреждение\n"),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        ],
    )
    only_warning = new_code_cell(
        "import warnings",
        execution_count=2,
        outputs=[new_output("stream", name="stderr", text="DeprecationWarning: шум\n")],
    )
    return new_notebook(
        cells=[
            new_markdown_cell("# Отчёт по району\n\nВводный текст."),
            new_markdown_cell("## Итоги\n\nТекст."),
            code,
            only_warning,
            new_markdown_cell("### Школы с низкими результатами"),
            new_markdown_cell("## Итоги\n\nТот же заголовок ещё раз."),
        ]
    )


@pytest.fixture(scope="module")
def page() -> str:
    return notebook_to_html(_executed_notebook(), title="Отчёт <Демо> & 2024")


def _fake_browser(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


# --------------------------------------------------------------------------- HTML


def test_html_title_is_escaped_and_language_is_russian(page):
    assert "<title>Отчёт &lt;Демо&gt; &amp; 2024</title>" in page
    assert '<html lang="ru">' in page


def test_html_hides_code_source_and_prompts(page):
    assert "секретный исходный код" not in page
    assert "In&nbsp;[" not in page
    assert not re.search(r'class="[^"]*jp-InputArea', page)


def test_html_hides_stderr_outputs(page):
    assert "Итог: 42 школы" in page
    assert "служебное предупреждение" not in page and "DeprecationWarning" not in page


def test_html_embeds_png_outputs_as_base64(page):
    assert re.search(rf'<img [^>]*src="data:image/png;base64,{re.escape(PNG)}"', page)
    assert "No description" not in page, "alt text is Russian"


def test_html_loads_nothing_from_the_network(page):
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "require.js" not in page and "mathjax" not in page.lower()
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_html_sets_an_a4_page_for_printing(page):
    assert re.search(r"@page\s*{\s*size:\s*A4;\s*margin:\s*15mm 12mm;", page)


def test_toc_follows_the_title_cell_and_lists_h2_and_nested_h3(page):
    toc = re.search(r'<nav class="shnor-toc".*?</nav>', page, re.S).group(0)
    assert page.index("Отчёт по району") < page.index('<nav class="shnor-toc"')
    assert page.index('<nav class="shnor-toc"') < page.index("<h2")
    titles = re.findall(r'<a href="#[^"]+">([^<]+)</a>', toc)
    assert titles == ["Итоги", "Школы с низкими результатами", "Итоги"]
    assert re.search(r"<ol>\s*<li><a [^>]+>Школы с низкими результатами</a></li>\s*</ol>", toc)


def test_toc_links_point_to_existing_distinct_heading_ids(page):
    toc = re.search(r'<nav class="shnor-toc".*?</nav>', page, re.S).group(0)
    targets = re.findall(r'<a href="#([^"]+)">', toc)
    ids = re.findall(r'<h[23] id="([^"]+)"', page)
    assert len(set(targets)) == 3
    assert set(targets) <= set(ids)


def _generated(markdown: str) -> nbformat.NotebookNode:
    """A code cell whose output is generated Markdown, as thin notebooks produce."""
    return new_code_cell(
        "display(Markdown(text))",
        execution_count=1,
        outputs=[new_output("display_data", data={"text/markdown": markdown, "text/plain": ""})],
    )


def test_toc_follows_a_title_generated_by_a_code_cell():
    nb = new_notebook(cells=[_generated("# Отчёт: Демо, 2024"), new_markdown_cell("## Итоги\n\nТекст.")])
    page = notebook_to_html(nb, title="т")
    assert page.index("<h1") < page.index('<nav class="shnor-toc"')
    assert page.index('<nav class="shnor-toc"') < page.index("<h2")


def test_toc_goes_to_the_top_when_the_title_cell_also_holds_the_sections():
    nb = new_notebook(cells=[_generated("# Отчёт\n\n## Итоги\n\n### Подробности")])
    page = notebook_to_html(nb, title="т")
    assert page.index('<nav class="shnor-toc"') < page.index("<h1")
    assert re.findall(r'<a href="#[^"]+">([^<]+)</a>', page) == ["Итоги", "Подробности"]


def test_toc_is_left_out_when_there_are_no_subheadings():
    nb = new_notebook(cells=[new_markdown_cell("# Только заголовок\n\nТекст.")])
    assert "shnor-toc" not in notebook_to_html(nb, title="т").split("</style>")[-1]


def test_notebook_to_html_does_not_modify_its_input():
    nb = _executed_notebook()
    before = nbformat.writes(nb)
    notebook_to_html(nb, title="т")
    assert nbformat.writes(nb) == before


# --------------------------------------------------------------------------- browser lookup


def test_invalid_shnor_browser_gives_no_browser_instead_of_a_silent_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("SHNOR_BROWSER", str(tmp_path / "нет-такого-браузера"))
    assert find_browser() is None


@posix_only
def test_shnor_browser_wins_over_browsers_on_path(tmp_path, monkeypatch):
    chosen = _fake_browser(tmp_path / "mine", "my-chrome", "exit 0")
    monkeypatch.setenv("SHNOR_BROWSER", str(chosen))
    assert find_browser() == str(chosen)


@posix_only
def test_browser_commands_on_path_are_found(tmp_path, monkeypatch):
    fake = _fake_browser(tmp_path / "bin", "chromium-browser", "exit 0")
    monkeypatch.delenv("SHNOR_BROWSER", raising=False)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert find_browser() == str(fake)


# --------------------------------------------------------------------------- PDF


def test_html_to_pdf_without_a_browser_explains_how_to_install_one(tmp_path, monkeypatch):
    html = tmp_path / "report.html"
    html.write_text("<p>Итоги</p>", encoding="utf-8")
    monkeypatch.delenv("SHNOR_BROWSER", raising=False)
    monkeypatch.setattr("shnor_lib.report.export.find_browser", lambda: None)
    with pytest.raises(PdfEngineMissing) as err:
        html_to_pdf(html, tmp_path / "report.pdf")
    assert "sudo apt-get install chromium" in str(err.value)
    assert "SHNOR_BROWSER" in str(err.value)
    assert not (tmp_path / "report.pdf").exists()


def test_html_to_pdf_with_a_wrong_shnor_browser_names_the_wrong_path(tmp_path, monkeypatch):
    html = tmp_path / "report.html"
    html.write_text("<p>Итоги</p>", encoding="utf-8")
    wrong = str(tmp_path / "chrome-not-here")
    monkeypatch.setenv("SHNOR_BROWSER", wrong)
    with pytest.raises(PdfEngineMissing, match=re.escape(wrong)):
        html_to_pdf(html, tmp_path / "report.pdf")


@posix_only
def test_failing_browser_raises_with_its_stderr_and_keeps_the_old_pdf(tmp_path):
    html = tmp_path / "report.html"
    html.write_text("<p>Итоги</p>", encoding="utf-8")
    old_pdf = tmp_path / "report.pdf"
    old_pdf.write_bytes(b"%PDF- old")
    profiles = tmp_path / "profiles.txt"
    browser = _fake_browser(
        tmp_path / "bin",
        "broken-chrome",
        'for a in "$@"; do case "$a" in --user-data-dir=*) echo "${a#*=}" >> '
        f'"{profiles}";; esac; done\necho "renderer crashed: нет памяти" >&2\nexit 3',
    )
    with pytest.raises(PdfExportError, match="renderer crashed: нет памяти") as err:
        html_to_pdf(html, old_pdf, browser=str(browser))
    assert not isinstance(err.value, PdfEngineMissing)
    assert old_pdf.read_bytes() == b"%PDF- old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bin",
        "profiles.txt",
        "report.html",
        "report.pdf",
    ]
    profile = Path(profiles.read_text(encoding="utf-8").strip())
    assert not profile.exists(), "the temporary browser profile must be removed"


@posix_only
def test_browser_that_writes_no_pdf_is_an_error(tmp_path):
    html = tmp_path / "report.html"
    html.write_text("<p>Итоги</p>", encoding="utf-8")
    browser = _fake_browser(tmp_path / "bin", "lazy-chrome", "exit 0")
    with pytest.raises(PdfExportError, match="не записал PDF"):
        html_to_pdf(html, tmp_path / "report.pdf", browser=str(browser))
    assert not (tmp_path / "report.pdf").exists()
