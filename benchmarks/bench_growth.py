#!/usr/bin/env python3
"""Benchmark 3: how ``shnor compute`` grows with the size of the data.

Runs ``shnor compute --municipality all --year all`` on the ``region`` preset of
``make_region.py`` at 1×, 4× and 16× its size, grown two ways:

* more municipalities (``--scale-by municipalities``: a bigger region, same sizes), and
* bigger municipalities (``--scale-by schools``: the same 70 municipalities with N times the
  schools each — the regional centre then has ~3,100 schools),

and prints the wall and CPU time, the time per school, and the ratio to the 1× run. Goal
(issue 7): no worse than linear — the ratio at k× is at most k (time per school does not
grow). Appends the table to ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/bench_growth.py                 # 1×, 4×, 16×, both ways (~25 min)
    .venv/bin/python benchmarks/bench_growth.py --scales 1 4    # quicker
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BIN, dataset, fmt_s, machine, publish, run, summary, table, warm  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 4, 16])
    ap.add_argument("--by", choices=("municipalities", "schools", "both"), default="both")
    ap.add_argument("--data", type=Path, default=None, help="folder for generated data (default $SHNOR_BENCH_DATA)")
    ap.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = ap.parse_args(argv)

    ways = ["municipalities", "schools"] if args.by == "both" else [args.by]
    rows, verdicts = [], []
    for way in ways:
        base = None
        for scale in args.scales:
            folder = dataset("region", scale, way, root=args.data)
            info = summary(folder)
            warm(folder)
            out = Path(tempfile.mkdtemp(prefix="shnor-bench-growth-"))
            try:
                r = run(f"{scale:g}×", [str(BIN / "shnor"), "compute", "--data-root", str(folder),
                                        "--municipality", "all", "--year", "all", "--out", str(out)])
            finally:
                shutil.rmtree(out, ignore_errors=True)
            schools = int(info["schools"])
            if base is None:
                base = (scale, r, schools)
            size = schools / base[2]
            ratio = r.wall / base[1].wall
            cpu_ratio = r.cpu / base[1].cpu
            ok = ratio <= size * 1.05 and cpu_ratio <= size * 1.05  # 5 % for the noise of a shared machine
            rows.append([way, f"{scale:g}×", info["municipalities"], schools, info["largest"],
                         f"{int(info['results_rows']):,}".replace(",", " "), fmt_s(r.wall), fmt_s(r.cpu),
                         f"{r.wall / schools * 1000:.1f} ms", f"{r.peak_mb:,.0f} MB".replace(",", " "),
                         f"**{ratio:.2f}×** (size {size:.1f}×)", f"{cpu_ratio:.2f}×"])
            if scale != base[0]:
                verdicts.append(f"{way} {scale:g}×: wall {ratio:.2f}× and CPU {cpu_ratio:.2f}× for {size:.1f}× the "
                                f"schools — {'no worse than linear' if ok else 'WORSE than linear'}")
    text = (f"{machine()}\n\nData: `make_region.py --preset region --scale N --scale-by …` (3 years); "
            "time of `shnor compute --municipality all --year all`, ratios to the 1× run.\n\n"
            + table(["grown by", "scale", "municipalities", "schools", "largest", "results rows", "wall", "CPU",
                     "wall per school", "peak memory", "wall ratio", "CPU ratio"], rows)
            + "\n\n" + "\n".join(f"- {v}" for v in verdicts))
    publish("Benchmark 3 — growth (bench_growth.py)", text, append=not args.no_append)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
