"""Shared helpers of the benchmarks: generated data, timed child processes, the results file.

Not part of the package: the benchmarks measure what a user runs (the ``shnor`` command and
plain ``papermill`` / ``jupyter nbconvert``) as child processes, from outside.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = REPO / "benchmarks" / "RESULTS.md"
DATA_HOME = Path(os.environ.get("SHNOR_BENCH_DATA", Path(tempfile.gettempdir()) / "shnor-bench"))


# --------------------------------------------------------------------------- data


def dataset(preset: str, scale: float = 1, scale_by: str = "municipalities", root: Path | None = None) -> Path:
    """Folder with the generated seasons (``make_region.py``), generated on first use."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import make_region

    if scale == 1:
        scale_by = "municipalities"  # the same data either way
    name = preset if scale == 1 else f"{preset}-x{scale:g}-{scale_by}"
    folder = Path(root or DATA_HOME) / name
    stamp = folder / ".bench-key"
    key = f"{preset} {scale:g} {scale_by} seed={make_region.SEED} layout={make_region.LAYOUT!r}\n"
    if not (stamp.exists() and stamp.read_text(encoding="utf-8") == key):
        print(f"generating {name} into {folder} …", flush=True)
        s = make_region.generate(folder, preset, scale, scale_by, log=None)
        stamp.write_text(key, encoding="utf-8")
        print(f"  {s['municipalities']} municipalities, {s['schools']} schools, {s['results_rows']:,} results rows "
              f"({s['seconds']} s)", flush=True)
    return folder


def summary(folder: Path) -> dict[str, str]:
    """The generator's summary of a data folder (GENERATED.txt)."""
    out = {}
    for line in (folder / "GENERATED.txt").read_text(encoding="utf-8").splitlines()[1:]:
        key, _, value = line.partition(": ")
        out[key] = value
    return out


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    """One timed child process: wall and CPU seconds (of the whole process tree) and peak memory."""

    label: str
    wall: float
    cpu: float
    peak_mb: float
    returncode: int


def _tree(root: int) -> set[int]:
    """A process and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read()
                parents[int(entry)] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError):
                continue
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(p for p, pp in parents.items() if pp == pid and p not in tree)
    return tree


def _rss_kb(tree: set[int]) -> int:
    """Resident memory of these processes, in kB."""
    total = 0
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page_kb
        except (OSError, ValueError, IndexError):
            continue
    return total


def run(label: str, cmd: list[str], *, cwd: Path | None = None, env: dict | None = None, quiet: bool = True,
        check: bool = True) -> Run:
    """Run ``cmd``; measure wall time, CPU time of the process tree and the peak resident
    memory of the tree (sampled every 0.25 s; plus the kernel's peak of the largest process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE if quiet else None)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        # The process tree is looked up every 2 s, its memory read every 0.25 s: light enough
        # not to take CPU from what is measured.
        nonlocal peak
        tree, looked = {proc.pid}, 0.0
        while not stop.is_set():
            if os.path.isdir("/proc"):
                if time.perf_counter() - looked > 2:
                    tree, looked = _tree(proc.pid), time.perf_counter()
                peak = max(peak, _rss_kb(tree))
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if after.ru_maxrss > before.ru_maxrss:  # kB on Linux: the largest child so far, if it is this one
        peak = max(peak, after.ru_maxrss)
    if check and proc.returncode != 0:
        sys.stderr.write((err or b"").decode("utf-8", "replace")[-3000:])
        raise SystemExit(f"{label}: exit code {proc.returncode}: {' '.join(map(str, cmd))}")
    return Run(label, wall, cpu, peak / 1024, proc.returncode)


def warm(folder: Path) -> None:
    """Read every file once, so that the first measured command does not pay for a cold disk."""
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            p.read_bytes()


# --------------------------------------------------------------------------- reporting


# Taken when a benchmark script starts (it imports this module first), not when it prints.
_STARTED = dt.datetime.now().astimezone()
try:
    _START_LOAD: float | None = os.getloadavg()[0]
except OSError:
    _START_LOAD = None


def machine() -> str:
    """Cores, memory, load, Python and date, for the heading of a results table."""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        mem = "RAM unknown"
    load = f", load average at start {_START_LOAD:.1f}" if _START_LOAD is not None else ""
    now = _STARTED.strftime("%Y-%m-%d %H:%M %Z")
    return (f"{os.cpu_count()} cores, {mem}, Python {platform.python_version()}, {platform.system()}"
            f"{load}; {now}; code {_commit()}")


def _commit() -> str:
    """The commit measured (``+changes`` when the package differs from it)."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "shnor_lib", "notebooks",
                                "parameters"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" +changes" if dirty else "")


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def publish(title: str, text: str, append: bool = True) -> None:
    """Print a section and append it to benchmarks/RESULTS.md."""
    section = f"\n## {title}\n\n{text.rstrip()}\n"
    print(section)
    if append:
        if not RESULTS.exists():
            RESULTS.write_text("# Benchmark results\n\nAppended by the scripts in `benchmarks/` "
                               "(see `benchmarks/README.md`); the latest run of each is at the end.\n",
                               encoding="utf-8")
        with open(RESULTS, "a", encoding="utf-8") as fh:
            fh.write(section)
        print(f"(appended to {RESULTS.relative_to(REPO)})")


def fmt_s(seconds: float) -> str:
    return f"{seconds:,.1f} s".replace(",", " ")
