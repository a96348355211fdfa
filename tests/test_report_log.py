"""Warnings are kept, not hidden: the executed notebook (the log of the run) records every
warning, and the report shows the reader those about the results (report/log.py)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from shnor_lib.report.log import warning_note
from shnor_lib.report.runner import ReportJob, run_report

REPO = Path(__file__).resolve().parent.parent

WARN = '''\
import warnings

warnings.warn("модель не сошлась за 7 итераций <b>", UserWarning)
warnings.warn("аргумент устареет в pandas 4", FutureWarning)
print("дальше")
'''


@pytest.mark.parametrize("notebook", sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")))
def test_every_notebook_keeps_warnings_in_its_setup_instead_of_ignoring_them(notebook):
    nb = nbformat.read(REPO / "notebooks" / notebook, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert not any(re.search(r"(filterwarnings|simplefilter)\(\s*[\"']ignore", src) for src in code), notebook
    setup = next(src for c, src in zip([c for c in nb.cells if c.cell_type == "code"], code)
                 if "parameters" not in c.metadata.get("tags", []))
    assert re.search(r"^keep_warnings\(\)", setup, re.M), notebook


def test_a_warning_about_the_results_shows_in_the_report_and_every_warning_stays_in_the_log(tmp_path):
    notebook = tmp_path / "warns.ipynb"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from shnor_lib.report import keep_warnings\n\nkeep_warnings()"),
        nbformat.v4.new_code_cell(WARN)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebook)
    outcome = run_report(ReportJob(notebook, tmp_path / "out"), formats=("html",))
    assert outcome.ok, outcome.error

    log = nbformat.read(tmp_path / "out" / "report.ipynb", as_version=4)
    stderr = "".join(o.get("text", "") for c in log.cells for o in c.get("outputs", [])
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    assert "UserWarning: модель не сошлась за 7 итераций <b>" in stderr
    assert "FutureWarning: аргумент устареет в pandas 4" in stderr

    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Предупреждение при построении:</strong> модель не сошлась за 7 итераций &lt;b&gt; (UserWarning)" in report
    assert "аргумент устареет" not in report  # a developer's notice stays in the log
    assert "дальше" in report


def test_the_note_is_one_escaped_line():
    note = warning_note("строка 1\n  <script>x</script>", RuntimeWarning)
    assert "\n" not in note and "<script>" not in note and "строка 1 &lt;script&gt;" in note
