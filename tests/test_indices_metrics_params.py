"""Indices groups, Wilson intervals, pooling, parameters and packaging agreement."""

from __future__ import annotations

import math
import re
import tomllib

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO

from shnor_lib import ParameterError, band_group, load_params, quartile_group, wilson_interval
from shnor_lib.analysis.indices import compute_isbsh, social_shares
from shnor_lib.analysis.metrics import pooled_metrics


@pytest.mark.parametrize("z,group", [(0.0, 6), (0.24, 6), (0.25, 7), (-0.25, 5), (0.74, 7), (0.75, 8),
                                     (-1.75, 2), (-1.74, 3), (-2.25, 1), (-9, 1), (2.75, 11), (9, 11)])
def test_band_group_half_sd_bands(z, group):
    assert band_group([z])[0] == group


def test_quartile_group():
    s = pd.Series([1, 2, 3, 4, 5, 6, 7, 8], dtype=float)
    # quartiles of 1..8 (linear): 2.75, 4.5, 6.25
    assert list(quartile_group(s)) == [1, 1, 2, 2, 3, 3, 4, 4]


def test_wilson_interval_by_hand():
    # k = 31, n = 76, z = 1.959964, z² = 3.841459: p = 0.407895; 1 + z²/n = 1.050546;
    # centre = (0.407895 + 0.025273) / 1.050546 = 0.412327;
    # half = z·sqrt(0.0031779 + 0.00016627) / 1.050546 = 0.107890 → [0.30444, 0.52022]
    lo, hi = wilson_interval([31], [76])
    assert lo[0] == pytest.approx(0.30444, abs=1e-5) and hi[0] == pytest.approx(0.52022, abs=1e-5)
    lo, hi = wilson_interval([0], [0])
    assert math.isnan(lo[0]) and math.isnan(hi[0])


def test_pooling_sums_counts_not_percentages():
    r = pd.DataFrame({"school_id": ["1", "1"], "year": [2024, 2024], "procedure": ["ВПР", "ВПР"],
                      "subject": ["математика"] * 2, "grade": [5, 6], "participants": [10.0, 90.0],
                      "n2": [5.0, 9.0], "n3": [5.0, 81.0], "n4": [0.0, 0.0], "n5": [0.0, 0.0],
                      "failed": [np.nan] * 2, "high": [np.nan] * 2, "mean_score": [np.nan] * 2})
    m = pooled_metrics(r, load_params())
    # Σ = 14/100 = 14%, not the mean of 50% and 10% (30%)
    assert m.iloc[0]["fail_share"] == pytest.approx(0.14)
    assert m.iloc[0]["mean_mark"] == pytest.approx((2 * 14 + 3 * 86) / 100)


def test_isbsh_weights_by_hand():
    # Two inputs only (others absent): higher_ed shares 0.1, 0.2, 0.3; register 0.03, 0.02, 0.01.
    # z (population sd) of each: −1.2247, 0, 1.2247 for higher_ed and the mirror for register.
    # raw = 1·z_h − 1·z_r = −2.449, 0, 2.449 (renormalised by Σ|w| / Σ|w available|, a constant);
    # re-standardised → −1.2247, 0, 1.2247 → groups clip(round(z/0.5)+6) = 4, 6, 8.
    social = pd.DataFrame({"municipality": "m", "year": 2024, "school_id": ["a", "b", "c"],
                           "students_total": [100.0, 100, 100], "both_parents_higher_ed": [10.0, 20, 30],
                           "on_register": [3.0, 2, 1]})
    out, info = compute_isbsh(social_shares(social), load_params())
    assert list(out["isbsh"]) == pytest.approx([-1.224745, 0, 1.224745], abs=1e-6)
    assert list(out["isbsh_group"]) == [4, 6, 8]
    assert info["inputs"] == ["both_parents_higher_ed", "on_register"]


def test_unknown_parameter_key_is_named(tmp_path):
    p = tmp_path / "x.yml"
    p.write_text("shnor_treshold: 0.3\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="неизвестный параметр «shnor_treshold»"):
        load_params(path=p)


def test_nested_unknown_key_is_named(tmp_path):
    p = tmp_path / "x.yml"
    p.write_text("model:\n  formulae: y ~ x\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="«model.formulae»"):
        load_params(path=p)


def test_wrong_type_is_named(tmp_path):
    p = tmp_path / "x.yml"
    p.write_text("min_participants: пять\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="«min_participants» имеет неверный тип"):
        load_params(path=p)


def test_invalid_choice_is_named(tmp_path):
    p = tmp_path / "x.yml"
    p.write_text("subject_mode: some\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="subject_mode"):
        load_params(path=p)


def test_parsed_files_are_reused_but_edits_and_mutations_never_leak(tmp_path):
    p = tmp_path / "x.yml"
    p.write_text("shnor_threshold: 0.4\nmodel:\n  mixed: never\n", encoding="utf-8")
    first = load_params(path=p)
    assert (first["shnor_threshold"], first["model"]["mixed"]) == (0.4, "never")
    first["model"]["mixed"] = "always"  # a caller changing its copy changes nobody else's
    assert load_params(path=p)["model"]["mixed"] == "never"
    assert load_params()["model"]["mixed"] == "auto"
    p.write_text("shnor_threshold: 0.35\n", encoding="utf-8")  # edited between two runs
    again = load_params(path=p)
    assert again["shnor_threshold"] == 0.35 and again["model"]["mixed"] == "auto"


def test_municipal_override_applies():
    p = load_params("pervouralsk")
    assert p["model"]["formula"] == "quality_index ~ isbsh_group + iursh_group"
    assert p["shnor_threshold"] == 0.30


# Data tables of their own with their own validating loaders, not municipal overrides.
CATALOGUES = {"default.yml", "indicators.yml", "recommendations.yml", "vocabulary.yml"}


def test_every_shipped_municipal_parameter_file_is_valid():
    checked = 0
    for f in sorted((REPO / "parameters").glob("*.yml")):
        if f.name not in CATALOGUES and yaml.safe_load(f.read_text(encoding="utf-8")) is not None:
            load_params(path=f)
            checked += 1
    assert checked >= 2  # demo.yml, pervouralsk.yml


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ]", req, maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    pip_list = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_reqs = sorted(r for r in pip_list if not r.startswith("-e"))
    assert sorted(conda_reqs) == sorted(project["dependencies"])
    assert "python=3.11" in env["dependencies"]


def test_readme_contract_section_is_generated_from_the_code():
    from shnor_lib import contract_markdown
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- contract:begin", 1)[1].split("-->", 1)[1].split("<!-- contract:end -->", 1)[0]
    assert section.strip() == contract_markdown().strip()
