#!/usr/bin/env python3
"""Benchmark 4: peak memory of reading and validating one very large ``results`` file.

Generates (once, into ``$SHNOR_BENCH_DATA/memory-<rows>``) one season of one municipality
whose ``results.csv`` has about 1.5 million rows — ``make_region.py``'s model and CSV dialect
(UTF-8, ``;``, decimal comma; a few percentages, blank «5» and rows that do not add up), with
``schools.csv`` and only those two files — and runs ``shnor validate`` on it as a child
process, sampling the resident memory of the process tree. Goal (issue 11, class 13): peak at
most 1.5 GB, with every message still naming its row and column. Also measured, for scale:
the floor, ``pandas.read_csv`` of the same file with every cell as text.

    .venv/bin/python benchmarks/bench_memory.py               # ~1.5 M rows (~3 min to generate once)
    .venv/bin/python benchmarks/bench_memory.py --rows 300000 --no-append   # a quick look
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BIN, DATA_HOME, fmt_s, machine, publish, run, table, warm  # noqa: E402

GOAL_MB = 1536
ROWS_PER_SCHOOL = 18.8  # results rows per school and year in make_region's layout (measured)


def dataset(rows: int, root: Path | None = None) -> tuple[Path, int]:
    """A data root with one season (``m/2024``) of about ``rows`` results rows; (folder, exact rows)."""
    import make_region

    folder = Path(root or DATA_HOME) / f"memory-{rows}"
    schools = math.ceil(rows / ROWS_PER_SCHOOL)
    stamp = folder / ".bench-key"
    key = f"memory {rows} schools={schools} seed={make_region.SEED} layout={make_region.LAYOUT!r}\n"
    if not (stamp.exists() and stamp.read_text(encoding="utf-8").startswith(key)):
        print(f"generating {schools} schools into {folder} …", flush=True)
        import shutil

        if folder.exists():
            shutil.rmtree(folder)
        n = make_region.write_municipality(folder, "m", 1, schools, True, (2024,), make_region.LAYOUT, False,
                                           make_region.SEED)
        season = folder / "m" / "2024"
        for p in season.iterdir():  # the benchmark is about results: keep the two required files
            if p.stem not in ("schools", "results"):
                p.unlink()
        stamp.write_text(key + f"rows={n}\n", encoding="utf-8")
    n = int(stamp.read_text(encoding="utf-8").rsplit("rows=", 1)[1])
    return folder, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_500_000, help="results rows to generate (about)")
    ap.add_argument("--data", type=Path, default=None, help="folder for generated data (default $SHNOR_BENCH_DATA)")
    ap.add_argument("--no-floor", action="store_true", help="skip the pandas.read_csv floor")
    ap.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = ap.parse_args(argv)

    folder, n = dataset(args.rows, args.data)
    results = folder / "m" / "2024" / "results.csv"
    warm(folder)
    size_mb = results.stat().st_size / 2**20
    runs = [run("shnor validate", [str(BIN / "shnor"), "validate", "--data-root", str(folder)])]
    if not args.no_floor:
        floor = ("import pandas as pd, sys; pd.read_csv(sys.argv[1], sep=';', dtype=str, keep_default_na=False)")
        runs.insert(0, run("floor: pandas.read_csv(dtype=str)", [sys.executable, "-c", floor, str(results)]))
    rows = [[r.label, fmt_s(r.wall), fmt_s(r.cpu), f"{r.peak_mb:,.0f} MB".replace(",", " ")] for r in runs]
    peak = runs[-1].peak_mb
    verdict = "met" if peak <= GOAL_MB else "**missed**"
    n_text = f"{n:,}".replace(",", " ")
    text = (f"{machine()}\n\nData: one season, `results.csv` of {n_text} rows ({size_mb:.0f} MB; "
            "`make_region.py` model, UTF-8 `;` decimal comma) and `schools.csv`.\n\n"
            + table(["", "wall", "CPU (user+sys)", "peak memory"], rows)
            + f"\n\nGoal peak ≤ {GOAL_MB} MB for `shnor validate`: {verdict}.")
    publish("Benchmark 4 — memory of one large results file (bench_memory.py)", text,
            append=not args.no_append)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
