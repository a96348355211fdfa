"""Loading seasons (``shnor_lib.pipeline.dataset``): the validation limits come from the parameters
the caller loaded — a project's ``parameters/`` beside the data and ``--params`` included — not
from a second reading of the package's files inside validation."""

from __future__ import annotations

import pytest
from test_readers_boundary import SCHOOLS, _shifted_rows, results, write_season

from shnor_lib import DataValidationError, load_dataset, load_params
from shnor_lib.cli import main


def _six_of_ten_left_out(tmp_path):
    # 6 of 10 rows left out (marks shifted one column) = 60%, above the default 20% (default.yml)
    return write_season(tmp_path / "data_raw", {"schools.csv": SCHOOLS, "results.csv": results(*_shifted_rows(6, 4))})


def test_the_validation_limits_of_the_given_parameters_decide(tmp_path):
    root = _six_of_ten_left_out(tmp_path)
    with pytest.raises(DataValidationError):
        load_dataset(root, "t", params_for={"t": load_params("t")})
    lenient = load_params("t", overrides={"validation": {"max_quarantined_share": 0.6}})
    season = load_dataset(root, "t", params_for={"t": lenient}).seasons[("t", 2024)]
    assert (season.issues["action"] == "исключена").sum() == 6  # 60% is not more than 60%


def test_a_project_parameters_folder_beside_the_data_sets_the_validation_limits(tmp_path, capsys):
    root = _six_of_ten_left_out(tmp_path)
    assert main(["validate", "--data-root", str(root)]) == 2  # the package's default: 20%
    assert "больше допустимой доли 20%" in capsys.readouterr().err
    (tmp_path / "parameters").mkdir()
    (tmp_path / "parameters" / "t.yml").write_text("validation:\n  max_quarantined_share: 0.6\n", encoding="utf-8")
    assert main(["validate", "--data-root", str(root)]) == 0
    assert len(load_dataset(root, "t").seasons[("t", 2024)].issues) == 6  # the library's default looks there too


def test_the_validation_limits_of_a_params_file_are_used(tmp_path, capsys):
    root = _six_of_ten_left_out(tmp_path)
    extra = tmp_path / "lenient.yml"
    extra.write_text("validation:\n  max_quarantined_share: 0.6\n", encoding="utf-8")
    assert main(["compute", "--data-root", str(root), "--params", str(extra), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "t" / "2024" / "data_issues.csv").exists()
