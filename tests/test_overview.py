"""The regional overview ``index.html`` and the cards of ``shnor report`` over two municipalities.

One batch (module fixture) over the demo 2024 and Pervouralsk 2022 seasons with the notebooks
stubbed out (their own tests run them): what is checked here is what the batch itself writes —
the overview by municipality names, the cards made in-process, their index.
"""

from __future__ import annotations

import re
import shutil
from urllib.parse import quote

import pytest
from conftest import REPO

from shnor_lib.report import batch
from shnor_lib.report.export import find_browser
from shnor_lib.report.runner import ReportOutcome


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("region")
    root = tmp / "data_raw"
    shutil.copytree(REPO / "data_raw" / "pervouralsk", root / "pervouralsk")
    for y in ("2023", "2024"):  # two years: the change since the year before, and fewer seasons to card
        shutil.copytree(REPO / "data_raw" / "demo" / y, root / "demo" / y)
    out = tmp / "outputs"

    def notebooks_not_run(jobs, **kws):  # the season notebooks are tested elsewhere
        return [ReportOutcome(j, True, None, None, j.output_dir / "report.ipynb", None, None, None, 0.0) for j in jobs]

    mp = pytest.MonkeyPatch()
    mp.setattr(batch, "run_reports", notebooks_not_run)
    try:
        outcomes, failed = batch.build_reports(root, out, "all", "all", formats=("html",), progress=False,
                                               n_jobs=1)  # in this process: the stand-in replaces the notebooks
    finally:
        mp.undo()
    return out, outcomes, failed


def _rows(page: str) -> list[list[str]]:
    body = page.split('<table class="sortable" id="overview">', 1)[1].split("</table>", 1)[0]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", body)]
    return [r for r in rows if r]


def test_overview_names_municipalities_by_their_names_with_counts_and_share(region):
    out, _, failed = region
    assert not failed
    page = (out / "index.html").read_text(encoding="utf-8")
    rows = {(r[0], r[1]): r for r in _rows(page)}
    # municipality_name in parameters/demo.yml and parameters/pervouralsk.yml, not the folder slugs
    assert ("Демонстрационный муниципальный округ", "2024") in rows
    assert not any(name in ("demo", "pervouralsk") for name, _ in rows)
    demo = rows[("Демонстрационный муниципальный округ", "2024")]
    # data_raw/demo/README.md via schools.csv of the run: ШНОР 6, ШНСУ 3 (one of them ШНОР+ШНСУ)
    import pandas as pd
    schools = pd.read_csv(out / "demo" / "2024" / "schools.csv", dtype=str, keep_default_na=False)
    assert demo[2] == str((schools["status"] == "ШНОР").sum()) and demo[5] == str((schools["status"] == "зона риска").sum())
    # the share and its plan as indicators.csv of the run gives them (2023 from its own row)
    ind = pd.read_csv(out / "demo" / "2024" / "indicators.csv").query("code == 'shnor_shnsu_share'").set_index("year")
    fact, before, plan = ind.at[2024, "fact"], ind.at[2023, "fact"], ind.at[2024, "plan"]
    assert demo[6] == f"{fact:.1f}%".replace(".", ",") and demo[7] == f"{plan:.1f}%".replace(".", ",")
    sign = "+" if fact > before else "−" if fact < before else "±"
    assert demo[8] == f"{sign}{abs(fact - before):.1f}".replace(".", ",") + " п.п."
    assert 'href="demo/2024/schools/index.html"' in page and f'href="demo/2024/{quote("таблицы.xlsx")}"' in page
    assert "Для специалистов" in page


def test_cards_are_written_by_the_batch_without_notebooks(region):
    out, outcomes, _ = region
    folder = out / "demo" / "2024" / "schools"
    cards = sorted(p.stem for p in folder.glob("*.html") if p.stem != "index")
    assert "7" in cards and "33" in cards
    assert not list(folder.glob("*.ipynb"))  # no kernel per card
    row = next(o for o in outcomes if o.job.key == ("demo", 2024) and o.job.name == "index")
    assert row.ok and row.job.title == f"Карточки школ ({len(cards)})"


@pytest.mark.skipif(find_browser() is None, reason="нет Chromium")
def test_overview_sorts_by_a_click_on_a_column_offline(region):
    playwright = pytest.importorskip("playwright.sync_api")
    out, _, _ = region
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((out / "index.html").as_uri())
            header = page.locator("#overview th", has_text="Доля ШНОР и ШНСУ")
            header.click()
            first = page.locator("#overview tbody tr").first.locator("td").nth(6).inner_text()
            header.click()
            last_first = page.locator("#overview tbody tr").first.locator("td").nth(6).inner_text()
            assert first != last_first and errors == []
        finally:
            browser.close()
