"""Every generated page a reader opens — the demo 2024 and Pervouralsk 2022 справки, every school
card and the index — is free of number–noun disagreement, raw parameter keys, code identifiers,
``file://`` links, machine paths and internal document names (:mod:`report_text` says what each
of these looks like). One real ``shnor report`` run per municipality (module fixture).
"""

from __future__ import annotations

import pytest
from conftest import REPO
from report_text import agreement_errors, problems, visible_text

from shnor_lib.cli import main


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("text") / "outputs"
    for municipality, year in (("demo", "2024"), ("pervouralsk", "2022")):
        code = main(["report", "--data-root", str(REPO / "data_raw"), "--municipality", municipality, "--year", year,
                     "--out", str(out), "--format", "html", "--jobs", "2"])
        assert code == 0
    found = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
             for p in sorted(out.rglob("*.html")) if "reproduction" not in p.parts}
    return found


def test_the_run_made_both_reports_and_the_demo_cards(pages):
    assert "demo/2024/report.html" in pages and "pervouralsk/2022/report.html" in pages
    assert sum(1 for k in pages if k.startswith("demo/2024/schools/") and not k.endswith("index.html")) >= 10


def test_no_page_has_disagreement_raw_keys_code_names_or_internal_paths(pages):
    bad = {}
    for name, page in pages.items():
        found = {kind: items for kind, items in problems(page).items() if items}
        if found:
            bad[name] = found
    assert not bad, bad


def test_the_headline_is_above_the_contents_and_names_the_schools(pages):
    page = pages["demo/2024/report.html"]
    assert page.index("Главное") < page.index("Содержание")
    text = visible_text(page)
    head = text[text.index("Главное"):text.index("Содержание")]
    for school in ("МБОУ СОШ № 7", "МБОУ СОШ № 11", "МБОУ СОШ № 14"):  # designed ШНОР of data_raw/demo/README.md
        assert school in head


def test_pervouralsk_headline_says_why_there_is_no_shnor(pages):
    text = visible_text(pages["pervouralsk/2022/report.html"])
    head = text[text.index("Главное"):text.index("Содержание")]
    assert "0 школ" in head and "не проверялось — нет результатов за 2021 год" in head
    # 9 schools at or above 30% in ВПР 2022: seed 004 (data_raw/pervouralsk/published.yml) and the issue
    assert "у 9 школ (все — по ВПР)" in head


# ---------------------------------------------------------------- the checker itself

def test_the_checker_catches_each_kind_of_fault():
    assert len(agreement_errors("выявлено 5 школы и 1 школ; 2 школа; 21 школ")) == 4
    assert len(agreement_errors("пересчитаны в количество от 131 участников; = 31 участников")) == 2
    assert agreement_errors("1 школа, из 2 школ, 5 школ, 22 школы, 11 школ, в 2024 год, от 131 участника") == []
    found = problems('<p>ключ monitoring.indicator_targets и school_id, <a href="file:///tmp/x.html">x</a></p>'
                     "<p>см. METHODOLOGY.md и seed 004</p>")
    assert found["ключи параметров"] == ["monitoring.indicator_targets"]
    assert any("school_id" in x for x in found["идентификаторы"])
    assert any("file://" in x for x in found["внутреннее"]) and any("METHODOLOGY" in x for x in found["внутреннее"])
    assert problems("<p>нет файла risk_profiles за 2022 год; таблица data_issues.csv</p>") == {
        "согласование": [], "ключи параметров": [], "идентификаторы": [], "внутреннее": []}
