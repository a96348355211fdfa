#!/usr/bin/env python3
"""Benchmark: the cost of a school card on top of its season report (issue 17, goal 1).

For one computed season (default: the demo 2024, 12 cards) measures, in one run on this machine:

* **notebook per card** — what ``shnor report`` did before: ``school_card.ipynb`` run by papermill
  (a kernel start, imports, reading the cached season) and exported to HTML and PDF, for the first
  ``--notebook-cards`` schools (each one costs the same, so a few give the rate);
* **in-process cards** — what it does now: every card of the season rendered from the computed
  season through the Jinja2 template (``shnor_lib.report.card_page``), the season's chart drawn
  once with each card's school ringed on it, and all cards printed by one persistent browser in
  one print split into one PDF per school; split into chart, page, the browser's start and PDF,
  wall and CPU seconds (the browser's CPU read with psutil).

Prints a table and appends it to ``benchmarks/RESULTS.md``. Goal: ≤ 0.3 s per card on top of
its report.

    .venv/bin/python benchmarks/bench_cards.py
    .venv/bin/python benchmarks/bench_cards.py --municipality pervouralsk --year 2022
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, machine, publish, table  # noqa: E402


def _children_cpu() -> float:
    """CPU seconds of this process's running children (the browser's processes); 0 without psutil."""
    try:
        import psutil
    except ImportError:
        return 0.0
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:  # ended meanwhile
            continue
        total += times.user + times.system
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--municipality", default="demo")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--notebook-cards", type=int, default=2, help="cards run as notebooks (the old way)")
    ap.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args()

    from shnor_lib.report import card_page, plots
    from shnor_lib.report.context import CACHE_ENV, season_context, store_context
    from shnor_lib.report.export import _printer, find_browser, one_page_pdfs, pdf_page_count, persistent_browser
    from shnor_lib.report.runner import ReportJob, run_report

    data_root = REPO / "data_raw"
    t0 = time.perf_counter()
    sc = season_context(data_root, args.municipality, args.year, None)
    compute = time.perf_counter() - t0
    ids = card_page.card_ids(sc.res)
    out = Path(tempfile.mkdtemp(prefix="shnor-bench-cards-"))
    name = sc.params.get("municipality_name") or args.municipality

    # the old way: one papermill run per card, reading the season from the batch's cache
    cache = out / ".cache"
    os.environ[CACHE_ENV] = str(cache)
    store_context(sc, data_root, cache)
    old = []
    for sid in ids[: args.notebook_cards]:
        job = ReportJob(REPO / "notebooks" / "school_card.ipynb", out / "nb", {
            "municipality": args.municipality, "year": args.year, "school_id": sid, "data_root": str(data_root),
            "params_file": None, "output_dir": str(out / "nb")}, title=f"Карточка {sid}", name=sid,
            footer=f"{name}, {args.year}")
        start = time.perf_counter()
        outcome = run_report(job, formats=("html", "pdf"))
        old.append(time.perf_counter() - start)
        assert outcome.ok, outcome.error

    # the new way: all cards in this process: the season's chart drawn once, one browser, one print
    plots.set_style()
    folder = out / "cards"
    folder.mkdir()
    t, cpu = time.perf_counter(), time.process_time()
    charts = card_page.CardCharts(sc.res)
    drawn = {sid: charts.png(sid) for sid in ids}
    chart = (time.perf_counter() - t, time.process_time() - cpu, 0.0)

    class _Drawn:  # the charts drawn above, so that the page is timed without them
        def png(self, sid: str) -> tuple[bytes, str]:
            return drawn[sid]

    t, cpu = time.perf_counter(), time.process_time()
    for sid in ids:
        (folder / f"{sid}.html").write_text(card_page.render_card(sc.history, sc.support, sid, charts=_Drawn()),
                                            encoding="utf-8")
    page = (time.perf_counter() - t, time.process_time() - cpu, 0.0)
    charts.close()
    with persistent_browser():
        t, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
        _printer(find_browser())  # the browser's start, paid once per process (shared with the report's PDF)
        start = (time.perf_counter() - t, time.process_time() - cpu, _children_cpu() - kids)
        t, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
        pdfs = one_page_pdfs([(folder / f"{sid}.html", folder / f"{sid}.pdf") for sid in ids],
                             footer=f"{name}, {args.year}")
        pdf = (time.perf_counter() - t, time.process_time() - cpu, _children_cpu() - kids)
        # the same print once more: a browser that has printed before, as a report worker's after its first PDF
        again = out / "again"
        again.mkdir()
        for sid in ids:
            (again / f"{sid}.html").write_bytes((folder / f"{sid}.html").read_bytes())
        t, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
        one_page_pdfs([(again / f"{sid}.html", again / f"{sid}.pdf") for sid in ids], footer=f"{name}, {args.year}")
        warm = (time.perf_counter() - t, time.process_time() - cpu, _children_cpu() - kids)
    assert all(isinstance(p, Path) and pdf_page_count(p) == 1 for p in pdfs), pdfs
    n = len(ids)
    on_top = [sum(x) for x in zip(chart, page, pdf, strict=True)]
    total = [a + b for a, b in zip(on_top, start, strict=True)]
    warm_top = [sum(x) for x in zip(chart, page, warm, strict=True)]
    per_old = sum(old) / len(old) if old else float("nan")

    def row(label: str, part: tuple | list, count: str = "") -> list[str]:
        return [label, count, f"{part[0]:.2f}", f"{part[0] / n:.3f}", f"{(part[1] + part[2]) / n:.3f}"]

    rows = [
        ["notebook per card (papermill + nbconvert + Chromium CLI)", f"{len(old)}", f"{sum(old):.1f}",
         f"{per_old:.2f}", ""],
        row("in-process cards, all", total, f"{n}"),
        row("  of it: chart (drawn once a season, each card's school ringed on it)", chart),
        row("  of it: page (texts, tables, template)", page),
        row("  of it: the browser's start (once a process, shared with the report's PDF)", start),
        row("  of it: PDF (one print of all the cards, split into one file per school)", pdf),
        row("**a card on top of its report** (chart + page + PDF)", on_top),
        row("the PDF again, in the browser warm from the first print", warm),
        row("**a card on top of its report, the browser warm** (chart + page + PDF again)", warm_top),
    ]
    text = (f"{machine()}\n\nSeason {args.municipality} {args.year}: {n} cards; the season computed once in "
            f"{compute:.1f} s (shared with its report, not counted).\n\n"
            + table(["route", "cards", "seconds", "per card, s", "CPU-s per card (Python + browser)"], rows)
            + (f"\n\nIn-process cards are {per_old / (total[0] / n):.0f}× cheaper per card than a notebook per card."
               if old else "") + "\n")
    publish("School cards — notebook per card against in-process (bench_cards.py)", text, append=not args.no_append)


if __name__ == "__main__":
    main()
