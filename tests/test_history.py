"""Recomputed history is visible (issue 12 item 9): when the report of 2024 computes 2023 again with
parameters other than those its published справка used, the report says which figures of 2023
changed and why.

The hand-made season of ``report_season.py`` (its docstring derives the numbers by hand): with the
default threshold of 30%, 2023 has ШНОР {3} (ВПР математика 12/30 = 40,0% and ОГЭ математика
10/25 = 40,0%) and ШНСУ {4}, 2 of 10 = 20,0%. With the threshold raised to 41%, school 3 falls
below it in both procedures: not ШНОР, but at or above the 10% risk threshold in both, so зона
риска; ШНОР 1 → 0, зона риска 0 → 1, the share of ШНОР and ШНСУ 20,0% → 10,0%.
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from report_season import make_params

from shnor_lib import compute_season, load_dataset
from shnor_lib.pipeline import write_outputs
from shnor_lib.pipeline.published import PUBLISHED_NAME, keep_published, published_record, record_published
from shnor_lib.report import batch, sections
from shnor_lib.report.runner import ReportOutcome


def _raised():
    p = make_params()
    p["shnor_threshold"] = 0.41
    return p


@pytest.fixture(scope="module")
def computed(root):
    data = load_dataset(root, municipality="t")
    return {(y, name): compute_season(data, "t", y, p) for y in (2023, 2024)
            for name, p in (("A", make_params()), ("B", _raised()))}


def _publish(result, out):
    """What ``shnor report`` leaves after the справка of ``result`` was made."""
    write_outputs(result, out)
    return record_published(out / result.municipality / str(result.year))


def test_report_names_changed_figures_of_an_earlier_year_and_the_parameter_that_changed_them(computed, tmp_path):
    out = tmp_path / "outputs"
    _publish(computed[(2023, "A")], out)
    changes = sections.recomputed_years([computed[(2023, "B")]], sections.published_records(out / "t", [2023]))
    text = sections.headline_text(computed[(2024, "B")], computed[(2023, "B")], recomputed=changes)
    assert "**Цифры 2023 года пересчитаны** и отличаются от опубликованных в справке за 2023 год: ШНОР было 1, " \
           "стало 0; в зоне риска было 0, стало 1; доля ШНОР и ШНСУ была 20,0%, стала 10,0%; школа 3 (Школа 3) " \
           "вышла из списка ШНОР и вошла в зону риска." in text
    # the parameter by its description in the parameters appendix, the values in Russian number format
    assert "Причина: изменены параметры расчёта — порог доли «2» для ШНОР: 30% → 41%." in text
    details = sections.history_text(changes, 2024)
    assert "- **2023**: цифры отличаются от опубликованной справки" in details
    assert "статус изменился у 1 школы" in details
    table = sections.history_table(changes)
    assert table.to_dict("records") == [{"Год": "2023", "Код ОО": "3", "Наименование": "Школа 3",
                                         "В опубликованной справке": "ШНОР", "В этой справке": "зона риска"}]


def test_same_parameters_and_inputs_give_no_notice(computed, tmp_path):
    out = tmp_path / "outputs"
    _publish(computed[(2023, "A")], out)
    changes = sections.recomputed_years([computed[(2023, "A")]], sections.published_records(out / "t", [2023]))
    assert sections.history_headline(changes) == ""
    assert "пересчитаны" not in sections.headline_text(computed[(2024, "A")], computed[(2023, "A")],
                                                       recomputed=changes)
    assert sections.history_text(changes, 2024) == "- **2023**: цифры совпадают с опубликованной справкой."
    assert sections.history_table(changes).empty


def test_a_year_never_published_is_said_in_one_line_and_not_in_the_headline(computed, tmp_path):
    changes = sections.recomputed_years([computed[(2023, "B")]], sections.published_records(tmp_path / "t", [2023]))
    assert sections.history_headline(changes) == ""
    assert sections.history_text(changes, 2024) == \
        "- **2023**: справка за этот год ранее не публиковалась — сравнивать не с чем."


def test_changed_input_file_is_named_as_the_reason(computed, root, tmp_path):
    out = tmp_path / "outputs"
    _publish(computed[(2023, "A")], out)
    path = out / "t" / "2023" / PUBLISHED_NAME
    body = json.loads(path.read_text(encoding="utf-8"))
    body["inputs"]["t/2023/results.csv"] = "0" * 64  # as if the file had other bytes when published
    body["schools"] = [[sid, name, "" if sid == "3" else st] for sid, name, st in body["schools"]]
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    changes = sections.recomputed_years([computed[(2023, "A")]], sections.published_records(out / "t", [2023]))
    assert "Причина: изменились входные данные (1 файл: t/2023/results.csv)." in sections.history_headline(changes)


def test_published_record_survives_a_recomputation_of_the_season_tables(computed, tmp_path):
    out = tmp_path / "outputs"
    first = _publish(computed[(2023, "A")], out).read_bytes()
    assert record_published(out / "t" / "2023").read_bytes() == first  # deterministic: same tables, same bytes
    write_outputs(computed[(2023, "B")], out)  # `shnor compute` (or the report of 2024) rewrites the tables
    folder = out / "t" / "2023"
    assert yaml.safe_load((folder / "parameters_used.yml").read_text(encoding="utf-8"))["shnor_threshold"] == 0.41
    assert (folder / PUBLISHED_NAME).read_bytes() == first
    assert published_record(folder)["parameters"]["shnor_threshold"] == 0.3


def test_season_reported_before_the_record_existed_is_recorded_before_it_is_overwritten(computed, tmp_path):
    out = tmp_path / "outputs"
    folder = write_outputs(computed[(2023, "A")], out)
    assert keep_published(folder) is None  # tables of `shnor compute` alone: no справка was made from them
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["reports"] = [{"title": "Аналитическая справка: t, 2023", "ok": True, "html": "report.html"}]
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert keep_published(folder) == folder / PUBLISHED_NAME
    write_outputs(computed[(2023, "B")], out)
    rec = published_record(folder)
    assert rec["parameters"]["shnor_threshold"] == 0.3
    assert dict((sid, st) for sid, _, st in rec["schools"])["3"] == "ШНОР"


def test_shnor_report_records_each_season_after_its_report_and_passes_the_records_to_the_notebook(root, tmp_path):
    data_root = tmp_path / "data_raw"
    shutil.copytree(root / "t", data_root / "t")
    out = tmp_path / "outputs"
    seen = {}

    def notebooks(jobs, **kws):  # the notebook itself is run in the test below
        for j in jobs:
            folder = j.parameters["published_root"]
            seen[j.parameters["year"]] = {y: (r or {}).get("parameters", {}).get("shnor_threshold")
                                          for y, r in sections.published_records(folder, [2023, 2024]).items()}
        return [ReportOutcome(j, True, None, None, j.output_dir / "report.ipynb", None, None, None, 0.0) for j in jobs]

    mp = pytest.MonkeyPatch()
    mp.setattr(batch, "run_reports", notebooks)
    params = tmp_path / "raised.yml"
    params.write_text("shnor_threshold: 0.41\n", encoding="utf-8")
    try:
        # n_jobs=1: in this process, where the stand-in replaces the notebooks
        batch.build_reports(data_root, out, "t", 2023, formats=("html",), progress=False, cards=False, n_jobs=1)
        assert published_record(out / "t" / "2023")["parameters"]["shnor_threshold"] == 0.3
        # both years again with the raised threshold: while the notebooks run, 2023's record is still
        # the one of its published справка; after them, it is this run's
        batch.build_reports(data_root, out, "t", "all", params_file=str(params), formats=("html",), progress=False,
                            cards=False, n_jobs=1)
    finally:
        mp.undo()
    assert seen[2024] == {2023: 0.3, 2024: None}
    assert published_record(out / "t" / "2023")["parameters"]["shnor_threshold"] == 0.41
    assert published_record(out / "t" / "2024")["parameters"]["shnor_threshold"] == 0.41


def test_season_report_notebook_shows_the_recomputed_year(root, tmp_path):
    data_root = tmp_path / "data_raw"
    shutil.copytree(root / "t", data_root / "t")
    out = tmp_path / "outputs"
    data = load_dataset(data_root, municipality="t")
    _publish(compute_season(data, "t", 2023, make_params()), out)  # 2023 published with the 30% threshold
    params = tmp_path / "raised.yml"
    params.write_text("shnor_threshold: 0.41\n", encoding="utf-8")
    outcomes, failed = batch.build_reports(data_root, out, "t", 2024, params_file=str(params), formats=("html",),
                                           progress=False, cards=False)
    assert not failed and outcomes[0].ok, outcomes[0].error
    page = (out / "t" / "2024" / "report.html").read_text(encoding="utf-8")
    assert "Цифры 2023 года пересчитаны" in page
    assert "порог доли «2» для ШНОР: 30% → 41%" in page
    assert "Пересчёт прошлых лет" in page
