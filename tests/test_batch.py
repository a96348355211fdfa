"""Many seasons at once (``shnor_lib.pipeline.batch``): the tasks of a parallel run, on worker
processes or on any ``concurrent.futures`` executor, write exactly what one process writes; a
task that fails never hides what the others found, and leaves nothing staged behind."""

from __future__ import annotations

import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import REPO

from shnor_lib import DataValidationError
from shnor_lib.pipeline import batch
from shnor_lib.pipeline.batch import compute_outputs
from shnor_lib.pipeline.executor import local_executor

sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "scripts"))
import make_region  # noqa: E402
from snapshot_outputs import _tree  # noqa: E402 - file digests, manifest without its run-time fields


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """5 generated municipalities × 3 years (make_region.py, country preset at 1/500)."""
    root = tmp_path_factory.mktemp("region") / "data_raw"
    make_region.generate(root, "country", 0.002, log=None)
    return root


def test_tasks_on_worker_processes_write_what_one_process_writes(region, tmp_path):
    one = compute_outputs(region, tmp_path / "one", jobs=1)
    finished: list[int] = []
    with local_executor(2) as executor:
        many = compute_outputs(region, tmp_path / "many", executor=executor, progress=finished.append)
    assert [(k, line, notes) for k, _, line, notes in many] == [(k, line, notes) for k, _, line, notes in one]
    assert len(one) == 15
    assert _tree(tmp_path / "many") == _tree(tmp_path / "one")
    # one task per municipality here: the bar moves as each task finishes, by its seasons
    assert sorted(finished) == [3, 3, 3, 3, 3]


def _broken(region, tmp_path):
    root = tmp_path / "data_raw"
    shutil.copytree(region, root)
    (root / "mo002" / "2023" / "results.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    (root / "mo004" / "2024" / "schools.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    return root


def test_a_municipality_with_bad_files_does_not_hide_the_errors_of_the_others(region, tmp_path):
    root = _broken(region, tmp_path)
    with pytest.raises(DataValidationError) as alone:
        compute_outputs(root, tmp_path / "one", jobs=1)
    # threads stand for any other executor (a Dask client's get_executor() has the same interface)
    with ThreadPoolExecutor(2) as executor, pytest.raises(DataValidationError) as split:
        compute_outputs(root, tmp_path / "many", executor=executor)
    shown = [str(p) for p in split.value.problems]
    assert shown == [str(p) for p in alone.value.problems]
    assert any("mo002" in p for p in shown) and any("mo004" in p for p in shown)
    assert not (tmp_path / "many").exists()  # nothing published, nothing staged left behind


def test_an_unexpected_error_in_one_task_removes_what_the_others_staged(region, tmp_path, monkeypatch):
    stage = batch._stage_seasons

    def fails_on_mo003(data, params, keys, out_root, progress=None):
        if keys and keys[0][0] == "mo003":
            raise RuntimeError("boom")
        return stage(data, params, keys, out_root, progress)

    monkeypatch.setattr(batch, "_stage_seasons", fails_on_mo003)
    out = tmp_path / "out"
    with ThreadPoolExecutor(2) as executor, pytest.raises(RuntimeError, match="boom"):
        compute_outputs(region, out, executor=executor)
    assert not out.exists() or not any(out.rglob("*"))
