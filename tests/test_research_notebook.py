"""The research template: committed clean, thin, and runs top to bottom on the demo.

Executed once per module with papermill on the demo (about 20 s: it loads the three demo
seasons, computes one, and cross-validates the default specifications leave-one-out); each
test checks one property of the executed notebook or of what it exported.
"""

from __future__ import annotations

import tempfile
import uuid

import nbformat
import pandas as pd
import papermill
import pytest
from conftest import REPO

NOTEBOOK = REPO / "notebooks" / "research_template.ipynb"
PARAMETERS = ["municipality", "year", "data_root", "params_file", "overrides", "specifications", "cv", "output_dir"]


def test_template_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_parameters_cell_declares_the_research_parameters():
    declared = papermill.inspect_notebook(str(NOTEBOOK))
    assert list(declared) == PARAMETERS
    assert declared["data_root"]["default"] == '"../data_raw"' and declared["cv"]["default"] == '"loo"'


def test_template_cells_hold_calls_not_logic():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for c in nb.cells:
        if c.cell_type != "code" or "setup" in c.metadata.get("tags", []):
            continue
        lines = [ln for ln in c.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        assert len(lines) <= 8, c.source
        assert "def " not in c.source and "class " not in c.source and "for " not in c.source


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    from traitlets.config import Config

    out = tmp_path_factory.mktemp("research")
    sockets = tempfile.mkdtemp(prefix="shnor-k-")
    config = Config({"KernelManager": {"transport": "ipc", "ip": f"{sockets}/k-{uuid.uuid4().hex[:12]}"}})
    nb = papermill.execute_notebook(
        str(NOTEBOOK), str(out / "research.ipynb"), kernel_name="python3", progress_bar=False, start_timeout=60,
        parameters={"data_root": str(REPO / "data_raw"), "output_dir": str(out / "export")},
        cwd=str(NOTEBOOK.parent), config=config)
    return nb, out / "export"


def test_template_runs_top_to_bottom_on_the_demo(executed):
    nb, _ = executed
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)


def test_template_exports_the_frame_the_comparison_and_the_robustness_table(executed):
    _, export = executed
    frame = pd.read_csv(export / "model_frame.csv", dtype={"school_id": str})
    specs = pd.read_csv(export / "specifications.csv")
    robust = pd.read_csv(export / "robustness.csv", dtype={"school_id": str})
    assert len(frame) == 40 and "territory" in frame.columns
    assert specs["name"].iloc[0] == "основная" and (specs["cv"] == "loo").all() and specs["cv_rmse"].notna().all()
    assert len(robust) == 40 and {"robust_k", "robust_m", "fragile"} <= set(robust.columns)


def test_template_shows_the_model_summary_with_its_family(executed):
    nb, _ = executed
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Семейство: дробная логистическая регрессия" in text
