"""Faults: a killed kernel, a killed compute, and a batch that must go on."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

from shnor_lib.report.runner import ReportJob, run_reports

NOTEBOOKS = Path(__file__).parent / "fixtures" / "notebooks"
REPO = Path(__file__).resolve().parent.parent


def test_kernel_death_fails_its_report_only(tmp_path):
    jobs = [ReportJob(NOTEBOOKS / "ok.ipynb", tmp_path / "a", {"municipality": "a"}, key=("a", 2024)),
            ReportJob(NOTEBOOKS / "die.ipynb", tmp_path / "b", {"municipality": "b"}, key=("b", 2024)),
            ReportJob(NOTEBOOKS / "fail.ipynb", tmp_path / "c", {"municipality": "c"}, key=("c", 2024))]
    ok, died, failed = run_reports(jobs, n_jobs=2, formats=("html",), progress=False)
    assert ok.ok and (tmp_path / "a" / "report.html").exists()
    assert not died.ok and died.error and not (tmp_path / "b" / "report.html").exists()
    assert not failed.ok and failed.failed_cell == 3


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_killed_compute_leaves_previous_outputs_intact(tmp_path):
    out = tmp_path / "outputs"
    cmd = [sys.executable, "-m", "shnor_lib.cli", "compute", "--data-root", str(REPO / "data_raw"),
           "--municipality", "demo", "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    before = _digest(out / "demo")
    for delay in (0.5, 1.5, 3.0):  # die at different stages: loading, computing, writing
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = {k: v for k, v in _digest(out / "demo").items() if "/." not in f"/{k}" and not k.startswith(".")}
        # every table is either the complete previous one or absent from a half-swapped folder: never partial
        for name, digest in after.items():
            if not name.endswith("manifest.json"):
                assert before.get(name) == digest, (delay, name)
    # the next run restores anything a kill left in a backup, completes and cleans up
    subprocess.run(cmd, check=True, capture_output=True)
    final = _digest(out / "demo")
    assert {k for k in before} <= set(final)
    assert [p.name for p in (out / "demo").iterdir() if p.name.startswith(".")] == []
