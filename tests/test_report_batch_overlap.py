"""``shnor report`` keeps every worker busy: a municipality's seasons are computed on the executor
(not one after another in the calling process), and the seasons' cards are made there while
report notebooks run, instead of all cards first in the calling process (issue 17, goals 1–2).

The notebooks and the cards are replaced by stand-ins that record when and where they ran (a
notebook takes seconds, which would hide nothing but cost minutes here); the compute, the tables
and the cache the notebooks read are the real ones, on a generated region of 2 municipalities.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import REPO

from shnor_lib.report import batch
from shnor_lib.report.runner import ReportOutcome

sys.path.insert(0, str(REPO / "benchmarks"))
import make_region  # noqa: E402

# a notebook long enough to outlast the start of a cards task on the other thread (it loads the season)
REPORT_SECONDS, CARDS_SECONDS = 3.0, 0.3


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """2 generated municipalities × 3 years (make_region.py, country preset at 1/1250)."""
    root = tmp_path_factory.mktemp("region") / "data_raw"
    make_region.generate(root, "country", 0.0008, log=None)
    return root


def test_compute_cards_and_reports_run_on_the_executor_and_cards_overlap_the_notebooks(
        region, tmp_path, monkeypatch):
    spans: dict[tuple, tuple[float, float, str]] = {}
    lock = threading.Lock()
    real_compute = batch.compute_all

    def record(what, fn):
        start = time.monotonic()
        value = fn()
        with lock:
            spans[what] = (start, time.monotonic(), threading.current_thread().name)
        return value

    def compute(data, params_for, keys, **kw):
        return record(("compute", keys[0][0]), lambda: real_compute(data, params_for, keys, **kw))

    def cards(history, support, folder, **kw):
        res = history[-1]
        assert (folder.parent / ".." / ".." / ".cache").resolve().exists()  # stored before the cards start
        return record(("cards", res.municipality, res.year), lambda: time.sleep(CARDS_SECONDS) or [])

    def report(job, formats=()):
        def run():
            time.sleep(REPORT_SECONDS)
            return ReportOutcome(job, True, None, None, job.output_dir / f"{job.name}.ipynb", None, None, None, 0.0)
        return record(("report", *job.key), run)

    monkeypatch.setattr(batch, "compute_all", compute)
    monkeypatch.setattr(batch, "write_cards", cards)
    monkeypatch.setattr(batch, "run_report", report)
    with ThreadPoolExecutor(2, thread_name_prefix="worker") as pool:
        outcomes, failed = batch.build_reports(region, tmp_path / "out", year=2024, formats=("html",),
                                               progress=False, executor=pool)

    assert not failed and all(o.ok for o in outcomes)
    municipalities = ("mo001", "mo002")
    assert {k for k in spans if k[0] == "compute"} == {("compute", m) for m in municipalities}
    # every part ran on the executor's threads, none in the calling one
    assert all(name.startswith("worker") for _, _, name in spans.values()), spans
    for m in municipalities:  # both read what the compute stored
        assert spans[("compute", m)][1] <= min(spans[("cards", m, 2024)][0], spans[("report", m, 2024)][0])
    # the cards were printed while notebooks ran, not all of them before the first notebook
    card_spans = [v for k, v in spans.items() if k[0] == "cards"]
    report_spans = [v for k, v in spans.items() if k[0] == "report"]
    assert any(c0 < r1 and r0 < c1 for c0, c1, _ in card_spans for r0, r1, _ in report_spans), sorted(spans.items(), key=lambda kv: kv[1])
    # the tables were written by the tasks, as before
    assert (tmp_path / "out" / "mo001" / "2024" / "manifest.json").exists()
