#!/usr/bin/env python3
"""Benchmark: writing ``schools.xlsx`` — openpyxl against XlsxWriter on our own tables.

Computes real ``schools`` tables (the demo 2024: 40 schools; a small municipality of the
``country`` preset of ``make_region.py``; the largest municipality of the ``region`` preset) and
writes each as ``schools.xlsx`` is written (bold frozen header, Excel-safe cells, fixed document
properties) with both libraries, many times; prints the time per workbook, the size, and whether
two writes give the same bytes. With ``--fast`` also the hand-written serialiser that
reproduced openpyxl's bytes (``shnor_lib.io._xlsx_fast``, removed in issue 16), when it is
still importable.

    .venv/bin/python benchmarks/bench_xlsx.py            # prints, appends to RESULTS.md
    .venv/bin/python benchmarks/bench_xlsx.py --no-append
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, machine, publish, table  # noqa: E402

from shnor_lib.io.templates import save_workbook  # noqa: E402


def _rows(df: pd.DataFrame) -> tuple[list, list]:
    header = [str(c) for c in df.columns]
    rows = [[None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))) else
             (v.item() if isinstance(v, np.generic) else v) for v in row] for row in df.itertuples(index=False)]
    return header, rows


def openpyxl_bytes(df: pd.DataFrame, sheet: str = "Школы") -> bytes:
    """The workbook as openpyxl writes it (what ``compute`` wrote before issue 16)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = _rows(df)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    wb.properties.created = wb.properties.modified = dt.datetime(2000, 1, 1)
    wb.properties.creator = "shnor"
    with tempfile.TemporaryDirectory() as tmp:  # fixed zip dates, as compute saved it
        return save_workbook(wb, Path(tmp) / "schools.xlsx").read_bytes()


def _tables() -> dict[str, pd.DataFrame]:
    import make_region

    import shnor_lib as sh
    from shnor_lib.io.writers import safe_cells

    out = {}
    data = sh.load_dataset(REPO / "data_raw", "demo")
    out["demo 2024"] = sh.compute_season(data, "demo", 2024, sh.load_params("demo"), support=False).schools
    with tempfile.TemporaryDirectory() as tmp:
        for preset, scale, pick in (("country", 0.002, min), ("region", 1, max)):
            root = Path(tmp) / preset
            make_region.generate(root, preset, scale, log=None)
            sizes = {p.name: (p / "2024" / "schools.csv").stat().st_size for p in root.iterdir() if p.is_dir()}
            m = pick(sizes, key=sizes.get)
            data = sh.load_dataset(root, m)
            label = f"{preset} preset, {'smallest' if pick is min else 'largest'} municipality 2024"
            out[label] = sh.compute_season(data, m, 2024, sh.load_params(), support=False).schools
    return {k: safe_cells(v) for k, v in out.items()}


def _time(write, df: pd.DataFrame, repeat: int) -> tuple[float, bytes]:
    first = write(df)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        write(df)
        times.append(time.perf_counter() - t)
    return statistics.median(times), first


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    ap.add_argument("--fast", action="store_true", help="also the hand-written serialiser, if importable")
    args = ap.parse_args(argv)

    from shnor_lib.io.writers import xlsx_bytes

    writers = {"openpyxl": openpyxl_bytes, "XlsxWriter": lambda df: xlsx_bytes(df, "Школы")}
    if args.fast:
        try:
            fast = importlib.import_module("shnor_lib.io._xlsx_fast")
        except ImportError:
            fast = None
        if fast is not None:
            def hand_written(df: pd.DataFrame) -> bytes:
                header, rows = _rows(df)
                return fast.workbook_bytes("Школы", header, rows, lambda h, r: openpyxl_bytes(
                    pd.DataFrame(r, columns=h)))

            writers = {"hand-written (openpyxl's bytes)": hand_written, **writers}
    rows = []
    for label, df in _tables().items():
        for name, write in writers.items():
            seconds, data = _time(write, df, args.repeat)
            rows.append([label, f"{len(df)} × {len(df.columns)}", name, f"{1000 * seconds:.1f} ms",
                         f"{len(data) / 1024:.1f} KB", "yes" if write(df) == data else "**no**"])
    text = (f"{machine()}\n\nMedian of {args.repeat} writes of the same `schools` table (cells made Excel-safe), "
            "in one process.\n\n"
            + table(["table", "rows × columns", "writer", "per workbook", "size", "same bytes twice"], rows))
    publish("XLSX writer — openpyxl against XlsxWriter on schools.xlsx (bench_xlsx.py)", text,
            append=not args.no_append)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
