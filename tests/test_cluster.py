"""``--scheduler ADDRESS``: ``shnor compute`` and ``shnor report`` run their tasks on a real Dask distributed cluster
(a ``dask scheduler`` and ``dask worker`` processes started here, as an administrator would)
and writes the same bytes as a run on this machine; a bad address is refused in Russian."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from shnor_lib.cli import main

sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "scripts"))
import make_region  # noqa: E402
from snapshot_outputs import _tree  # noqa: E402 - file digests, manifest without its run-time fields

DASK = Path(sys.executable).parent / "dask"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    # own process group: the worker's nanny starts children, all are stopped together
    return subprocess.Popen([str(DASK), *args], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=log.parent)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded worker processes on this machine; its address."""
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                    logs / "scheduler.log")]
    try:
        deadline = time.monotonic() + 30
        while True:  # the scheduler listens before the workers can join it
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or procs[0].poll() is not None:
                    pytest.fail("dask scheduler did not start: " + (logs / "scheduler.log").read_text())
                time.sleep(0.2)
        procs.append(_start(["worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                            logs / "worker.log"))
        with Client(address, timeout=10) as client:
            client.wait_for_workers(2, timeout=40)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """2 generated municipalities × 3 years (make_region.py, country preset at 1/1250): two tasks."""
    root = tmp_path_factory.mktemp("region") / "data_raw"
    make_region.generate(root, "country", 0.0008, log=None)
    return root


def test_compute_on_a_dask_cluster_writes_the_same_bytes_as_a_local_run(cluster, region, tmp_path, capsys):
    assert main(["compute", "--data-root", str(region), "--out", str(tmp_path / "local")]) == 0
    local_lines = capsys.readouterr().out.replace(str(tmp_path / "local"), "OUT")
    assert main(["compute", "--data-root", str(region), "--out", str(tmp_path / "cluster"),
                 "--scheduler", cluster]) == 0
    cluster_lines = capsys.readouterr().out.replace(str(tmp_path / "cluster"), "OUT")
    assert cluster_lines == local_lines
    assert local_lines.count(" → ") == 6
    local, remote = _tree(tmp_path / "local"), _tree(tmp_path / "cluster")
    assert len(local) > 6 * 5
    assert remote == local


@pytest.mark.parametrize("address, words", [
    ("tcp://127.0.0.1:{closed}", "Не удалось подключиться к планировщику Dask"),
    ("nonsense", "это не адрес планировщика Dask"),
    ("http://127.0.0.1:8786", "протокол «http» не поддерживается"),
])
def test_a_bad_scheduler_address_is_refused_in_russian_and_nothing_is_written(region, tmp_path, capsys,
                                                                             address, words):
    address = address.format(closed=_free_port())  # nobody listens on a port just freed
    code = main(["compute", "--data-root", str(region), "--out", str(tmp_path / "out"), "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and "Traceback" not in err and "tcp://хост:8786" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.csv"))


def test_report_on_a_dask_cluster_writes_the_same_pages_as_a_local_run(cluster, tmp_path, capsys):
    # one municipality, one year, with school cards: the season compute, the report notebook and
    # the cards each run as tasks on the cluster's workers
    # (the generated region's tiny municipalities have no school with a status, so no cards: the demo has 12)
    args = ["report", "--data-root", str(REPO / "data_raw"), "--municipality", "demo", "--year", "2024",
            "--format", "html"]
    assert main([*args, "--out", str(tmp_path / "local"), "--jobs", "2"]) == 0
    assert main([*args, "--out", str(tmp_path / "cluster"), "--scheduler", cluster]) == 0
    capsys.readouterr()

    def pages(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.html"))}

    local, remote = pages(tmp_path / "local"), pages(tmp_path / "cluster")
    assert any("schools/" in name for name in local)  # cards were made, not only the report
    assert sorted(remote) == sorted(local)
    assert [n for n in local if remote[n] != local[n]] == []
