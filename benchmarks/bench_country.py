#!/usr/bin/env python3
"""Benchmark 1: ``shnor compute --municipality all --year all`` on a whole country.

Generates (once, cached) the ``country`` preset of ``make_region.py`` — 40,000 schools in
2,500 municipalities, 3 years, about 2.2 million results rows, 45,000 files — then measures,
in one run on this machine:

* the floor: a child process that merely reads the same input files into pandas
  (``pd.read_csv`` with the file's encoding, separator and decimal mark; ``pd.read_excel``
  for XLSX), one after another;
* ``shnor compute`` on the same data, as a child process;
* the same command with ``--params`` setting ``model.mixed: never`` — what the per-season
  random-intercept model (statsmodels MixedLM, refitted for every season from the second
  year on) costs (``--default-only`` skips this run).

For each: wall time, CPU time (user + system of the whole process tree) and peak resident
memory (of the process tree, sampled every 0.25 s). Prints a table and appends it to
``benchmarks/RESULTS.md``.

Goals (issue 7): compute ≤ 4× the floor, peak memory ≤ 4 GB.

    .venv/bin/python benchmarks/bench_country.py                # the country
    .venv/bin/python benchmarks/bench_country.py --scale 0.1    # a tenth of it, to try things out
    .venv/bin/python benchmarks/bench_country.py --scheduler tcp://host:8786   # compute on a Dask cluster

Data goes to ``$SHNOR_BENCH_DATA`` (default ``/tmp/shnor-bench``), outputs to a temporary
folder that is removed afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BIN, dataset, fmt_s, machine, publish, run, summary, table, warm  # noqa: E402

FLOOR = r"""
import io, sys, time
from pathlib import Path
import pandas as pd
root = Path(sys.argv[1])
rows = files = 0
for p in sorted(root.rglob("*")):
    if p.suffix == ".csv":
        raw = p.read_bytes()
        try:
            text, enc = raw.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            text, enc = raw.decode("cp1251"), "cp1251"
        first = text[: text.find("\n")]
        sep = max((";", "\t", ","), key=first.count)
        df = pd.read_csv(io.StringIO(text), sep=sep, decimal="," if sep == ";" else ".")
    elif p.suffix == ".xlsx":
        df = pd.read_excel(p)
    else:
        continue
    rows += len(df)
    files += 1
print(files, rows)
"""


def _n(x: int) -> str:
    return f"{x:,}".replace(",", " ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1, help="fraction or multiple of the country (default 1)")
    ap.add_argument("--data", type=Path, default=None, help="folder for generated data (default $SHNOR_BENCH_DATA)")
    ap.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    ap.add_argument("--default-only", action="store_true",
                    help="skip the second run without the random-intercept model (model.mixed: never)")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run shnor compute on this Dask cluster (its workers must see /tmp); the floor stays local")
    args = ap.parse_args(argv)

    folder = dataset("country", args.scale, root=args.data)
    info = summary(folder)
    info["files"] = sum(1 for p in folder.rglob("*") if p.suffix in (".csv", ".xlsx"))
    warm(folder)
    out = Path(tempfile.mkdtemp(prefix="shnor-bench-out-"))
    try:
        floor = run("floor: read every input file with pandas", [str(BIN / "python"), "-c", FLOOR, str(folder)])
        command = [str(BIN / "shnor"), "compute", "--data-root", str(folder), "--municipality", "all",
                   "--year", "all", "--out", str(out / "outputs")]
        if args.scheduler:
            command += ["--scheduler", args.scheduler]
        compute = run("shnor compute --municipality all --year all", command)
        written = sum(1 for p in (out / "outputs").rglob("*") if p.is_file())
        shutil.rmtree(out / "outputs")
        # What the per-season random-intercept model costs: the same run with it switched off
        # by a parameter file, as a user who does not need school effects would.
        lean = None
        if not args.default_only:
            (out / "no-mixed.yml").write_text("model:\n  mixed: never\n", encoding="utf-8")
            lean = run("… with `model: {mixed: never}` (no random-intercept model)",
                       command + ["--params", str(out / "no-mixed.yml")])
    finally:
        shutil.rmtree(out, ignore_errors=True)

    ratio = compute.wall / floor.wall
    rows = [[r.label, fmt_s(r.wall), fmt_s(r.cpu), f"{r.peak_mb:,.0f} MB".replace(",", " ")] for r in (floor, compute)]
    rows.append(["ratio compute / floor", f"**{ratio:.2f}×** (goal ≤ 4×)", f"{compute.cpu / floor.cpu:.2f}×",
                 f"goal ≤ 4 096 MB: {'met' if compute.peak_mb <= 4096 else 'missed'}"])
    if lean is not None:
        rows.append([lean.label, fmt_s(lean.wall), fmt_s(lean.cpu), f"{lean.peak_mb:,.0f} MB".replace(",", " ")])
        rows.append(["ratio without the model / floor", f"{lean.wall / floor.wall:.2f}×", f"{lean.cpu / floor.cpu:.2f}×",
                     ""])
    where = f" on the Dask cluster `{args.scheduler}` (CPU: this machine's processes only)" if args.scheduler else ""
    text = (f"{machine()}{where}\n\nData: `make_region.py --preset country"
            f"{'' if args.scale == 1 else f' --scale {args.scale:g}'}` — {info['municipalities']} municipalities, "
            f"{info['schools']} schools, {info['seasons']} seasons, {_n(int(info['results_rows']))} results rows "
            f"({_n(info['files'])} files); {_n(written)} output files written.\n\n"
            + table(["", "wall", "CPU (user+sys)", "peak memory"], rows)
            + f"\n\nGoal ≤ 4× floor: **{'met' if ratio <= 4 else 'missed'}**; "
              f"peak ≤ 4 GB: **{'met' if compute.peak_mb <= 4096 else 'missed'}**.")
    publish(f"Benchmark 1 — compute at country scale (bench_country.py{'' if args.scale == 1 else f', scale {args.scale:g}'})",
            text, append=not args.no_append)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
