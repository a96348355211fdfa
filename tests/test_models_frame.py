"""The model frame and formulas: every school-level column, patsy terms, refusals in Russian.

Golden shares are read by hand from the demo's 2024 input files (social.xlsx and
teachers.xlsx, school 1: 732 pupils, 6 on a register; 48 teachers, 12 ВКК and 18 1КК).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, RESULT_HEADER, write_csv

import shnor_lib as sh
from shnor_lib.analysis.model_frame import MODEL_FRAME_COLUMNS, formula_info
from shnor_lib.analysis.models import WITHIN, fit_quality_model
from shnor_lib.cli import main
from shnor_lib.errors import ParameterError

DEMO = REPO / "data_raw"


@pytest.fixture(scope="module")
def demo_data():
    return sh.load_dataset(DEMO, municipality="demo")


@pytest.fixture(scope="module")
def demo_2024(demo_data):
    return sh.compute_season(demo_data, "demo", 2024, sh.load_params("demo"))


def test_the_season_keeps_a_frame_with_every_column_and_one_row_per_school(demo_2024):
    f = demo_2024.model_frame
    assert list(f.columns) == list(MODEL_FRAME_COLUMNS)
    assert len(f) == 40 and f["school_id"].is_unique
    assert demo_2024.model.model_frame is not None and len(demo_2024.model.model_frame) == 40
    # every column the demo has is filled for every school
    for c in ("kind", "territory", "students_total", "on_register_share", "teachers_category_share", "isbsh",
              "iursh", "quality_index", "quality_n", "oge_base", "vpr_base", "quality_share", "mean_mark"):
        assert f[c].notna().all(), c


def test_the_frame_holds_shares_computed_from_the_input_counts(demo_2024):
    one = demo_2024.model_frame.set_index("school_id").loc["1"]
    assert one["students_total"] == 732
    assert one["on_register_share"] == pytest.approx(6 / 732)
    assert one["teachers_category_share"] == pytest.approx((12 + 0.5 * 18) / 48)  # ВКК + 0.5·1КК
    assert one["kind"] == "СОШ" and one["territory"] == "город"
    # the chosen index is ОГЭ base share: quality_index is oge_base, successes are index × n
    assert one["quality_index"] == pytest.approx(one["oge_base"])
    assert one["quality_successes"] == pytest.approx(round(one["quality_index"] * one["quality_n"]))


def test_territory_and_log_size_terms_work_with_the_default_family(demo_2024):
    p = sh.load_params("demo")
    res = fit_quality_model(demo_2024.model_frame, p,
                            {"formula": "quality_index ~ isbsh + iursh + C(territory) + np.log(students_total)"})
    terms = list(res.coefficients["term"])
    assert terms == ["Intercept", "C(territory)[T.село]", "isbsh", "iursh", "np.log(students_total)"]
    assert res.n == 40 and res.predictions["pi_high"].le(1).all()


def test_the_readme_example_formula_runs_through_compute(demo_data):
    p = sh.load_params("demo", overrides={"model": {"formula": "quality_index ~ isbsh + iursh + C(territory)"}})
    r = sh.compute_season(demo_data, "demo", 2024, p)
    assert "C(territory)[T.село]" in set(r.model.coefficients["term"])
    # the random-intercept model gets territory from the frames of every year
    assert r.effects is not None and "C(territory)[T.село]" in r.effects.fit.params.index


@pytest.mark.parametrize("lhs, inverse", [("np.arcsin(np.sqrt(quality_index))", lambda m: np.sin(m) ** 2),
                                          ("logit(quality_index)", lambda m: 1 / (1 + np.exp(-m)))])
def test_a_transformed_outcome_is_fitted_by_ols_and_read_back_on_the_index_scale(demo_2024, lhs, inverse):
    p = sh.load_params("demo")
    res = fit_quality_model(demo_2024.model_frame, p, {"formula": f"{lhs} ~ isbsh + iursh", "family": "ols"})
    lin = np.asarray(res.fit.fittedvalues)
    # the expected value is the transformation undone (to the grid's precision)
    assert np.allclose(res.predictions["predicted"], np.clip(inverse(lin), 0, 1), atol=1e-3)
    assert res.predictions[["predicted", "pi_low", "pi_high"]].apply(lambda c: c.between(0, 1)).all().all()


def test_a_transformed_outcome_is_refused_for_a_glm_family_with_a_reason():
    with pytest.raises(ParameterError, match="семейство fractional_logit моделирует сам индекс"):
        sh.load_params(overrides={"model": {"formula": "np.arcsin(np.sqrt(quality_index)) ~ isbsh"}})


def test_binomial_counts_refuses_a_mean_mark():
    with pytest.raises(ParameterError, match="средняя отметка, не доля"):
        sh.load_params(overrides={"quality": {"index": "mean_mark"}, "model": {"family": "binomial_counts"}})


def test_an_unknown_term_lists_the_columns_one_may_use():
    with pytest.raises(ParameterError) as e:
        formula_info("quality_index ~ isbsh + teritory")
    msg = str(e.value)
    assert "неизвестное имя teritory" in msg
    for column in ("territory — территория", "students_total", "on_register_share", "quality_n"):
        assert column in msg


def test_the_left_hand_side_must_be_a_quality_index():
    with pytest.raises(ParameterError, match="ожидается один индекс качества"):
        formula_info("isbsh ~ iursh")


def test_an_unknown_term_stops_compute_with_exit_2_in_russian_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("model:\n  formula: quality_index ~ isbsh + teritory\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["compute", "--data-root", str(DEMO), "--municipality", "demo", "--year", "2024",
                 "--params", str(bad), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Ошибка в параметрах" in err and "teritory" in err and "territory — территория" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_overrides_are_checked_like_a_parameter_file():
    p = sh.load_params(overrides={"model": {"family": "ols", "fdr": 0.05}})
    assert p["model"]["family"] == "ols" and p["model"]["fdr"] == 0.05 and p["_sources"][-1] == "overrides"
    with pytest.raises(ParameterError, match="неизвестный параметр «model.famly»"):
        sh.load_params(overrides={"model": {"famly": "ols"}})
    with pytest.raises(ParameterError, match="model.fdr"):
        sh.load_params(overrides={"model": {"fdr": 1.5}})
    with pytest.raises(ParameterError, match="model.family"):
        sh.load_params(overrides={"model": {"family": "probit"}})
    with pytest.raises(ParameterError, match="должен быть словарём"):
        sh.load_params(overrides={"model": {"min_effect": 0.05}})
    with pytest.raises(ParameterError, match=r"model.specifications\[1\]"):
        sh.load_params(overrides={"model": {"specifications": [{"name": "x", "formula": "quality_index ~ foo"}]}})


def test_read_validate_pool_in_a_row_works():
    raw = sh.read_season(DEMO, "demo", 2024)
    season = sh.validate_season(raw)
    params = sh.load_params("demo")
    pooled = sh.pooled_metrics(season, params)
    assert set(pooled["year"]) == {2024}
    q = sh.compute_quality_index(pooled, params).set_index("school_id")
    # school 1's ОГЭ base share, the same number the full pipeline computes
    full = sh.compute_season(sh.load_dataset(DEMO, "demo"), "demo", 2024, params).schools.set_index("school_id")
    assert q.loc["1", "quality_index"] == pytest.approx(full.loc["1", "quality_index"])
    # the season's own table (no year column) pools too
    assert len(sh.pooled_metrics(season.results, params)) == len(pooled)


def _small_season(root, year, first_name="Школа 1"):
    folder = root / "t" / str(year)
    ids = [str(i) for i in range(1, 13)]
    write_csv(folder / "schools.csv", ["school_id", "name", "kind", "territory", "students_total"],
              [[s, first_name if s == "1" else f"Школа {s}", "СОШ", "город" if int(s) % 2 else "село", 500 + int(s)]
               for s in ids])
    rows = []
    for i, s in enumerate(ids):
        n = 20 + 3 * i
        fail = 1 + i % 4
        rows.append([s, "ОГЭ", "математика", 9, n, fail, n - fail - 5, 3, 2, None, None, None])
        rows.append([s, "ОГЭ", "русский язык", 9, n, i % 3, n - i % 3 - 6, 4, 2, None, None, None])
    write_csv(folder / "results.csv", RESULT_HEADER, rows)
    write_csv(folder / "social.csv", ["school_id", "students_total", "both_parents_higher_ed", "single_parent",
                                      "non_native_russian", "on_register", "unemployed_parents"],
              [[s, 500 + int(s), 100 + 7 * int(s), 60, 10, 3 + int(s) % 5, 20] for s in ids])
    write_csv(folder / "teachers.csv", ["school_id", "teachers_total", "higher_education", "category_highest",
                                        "category_first", "experience_10plus"],
              [[s, 40, 30 + int(s) % 7, 10 + int(s) % 5, 12, 20 + int(s) % 6] for s in ids])
    return root


def test_model_frame_and_robustness_csv_are_written_deterministically_and_excel_safe(tmp_path):
    from shnor_lib.pipeline.batch import compute_outputs

    root = _small_season(tmp_path / "data_raw", 2024, first_name="=HYPERLINK(\"x\")")
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        compute_outputs(root, out, "t", 2024, jobs=1)
        outs.append(out / "t" / "2024")
    for name in ("model_frame.csv", "robustness.csv", "model.txt"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    frame = pd.read_csv(outs[0] / "model_frame.csv", dtype={"school_id": str})
    assert list(frame.columns) == list(MODEL_FRAME_COLUMNS)
    assert frame.loc[frame["school_id"] == "1", "name"].item() == "'=HYPERLINK(\"x\")"
    rob = pd.read_csv(outs[0] / "robustness.csv", dtype={"school_id": str}, keep_default_na=False)
    assert list(rob.columns[:6]) == ["school_id", "resilience", "robust_k", "robust_m", "agreement", "fragile"]
    assert "основная" in rob.columns and len(rob) == 12
    assert (rob["resilience"] == WITHIN).any()
    assert (rob["robust_m"] >= 2).all() and (rob["robust_k"] <= rob["robust_m"]).all()


def test_a_season_with_schools_outside_the_model_writes_every_table(tmp_path, capsys):
    # Pervouralsk 2022 (published indices): 15 of 23 schools have a quality index; the 8 others
    # have no model row, so robust_k/robust_m are blank — schools.xlsx must still be written
    out = tmp_path / "out"
    code = main(["compute", "--data-root", str(DEMO), "--municipality", "pervouralsk", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    folder = out / "pervouralsk" / "2022"
    assert (folder / "schools.xlsx").exists() and (folder / "robustness.csv").exists()
    s = pd.read_csv(folder / "schools.csv", dtype={"school_id": str})
    modelled = s["predicted"].notna()
    assert modelled.sum() == 15 and s.loc[~modelled, "robust_k"].isna().all()
    # the seed's linear reading (family: ols): its prediction intervals passed 1 for every
    # school (1.003–1.050); they are now cut at the scale's edge
    assert (s.loc[modelled, "pi_high"] <= 1).all() and (s.loc[modelled, "pi_low"] >= 0).all()


def test_a_season_pickled_in_one_process_unpickles_in_another(demo_data, tmp_path):
    # the report cache pickles the season; the notebook's kernel unpickles it without having
    # fitted anything, and draws the fitted line from the formula (np.log needs our names)
    import pickle
    import subprocess
    import sys

    p = sh.load_params("demo", overrides={"model": {"formula": "quality_index ~ isbsh + np.log(students_total)"}})
    r = sh.compute_season(demo_data, "demo", 2024, p)
    path = tmp_path / "season.pkl"
    path.write_bytes(pickle.dumps(r))
    code = ("import pickle, sys; r = pickle.loads(open(sys.argv[1], 'rb').read()); "
            "f = r.model_frame.head(3); "
            "print(r.model.fit.get_prediction(f).summary_frame()['mean'].round(6).tolist(), "
            "r.robustness.fits['линейная'].expected(f).round(6).tolist())")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout
    f = r.model_frame.head(3)
    expected = (f"{r.model.fit.get_prediction(f).summary_frame()['mean'].round(6).tolist()} "
                f"{r.robustness.fits['линейная'].expected(f).round(6).tolist()}")
    assert out.strip() == expected
