#!/usr/bin/env python3
"""Benchmark: the cost of a school card on top of its season report (issue 17, goal 1).

For one computed season (default: the demo 2024, 12 cards) measures, in one run on this machine:

* **notebook per card** — what ``shnor report`` did before: ``school_card.ipynb`` run by papermill
  (a kernel start, imports, reading the cached season) and exported to HTML and PDF, for the first
  ``--notebook-cards`` schools (each one costs the same, so a few give the rate);
* **in-process cards** — what it does now: every card of the season rendered from the computed
  season through the Jinja2 template (``shnor_lib.report.card_page``) and printed by one
  persistent browser; split into chart, page and PDF.

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--municipality", default="demo")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--notebook-cards", type=int, default=2, help="cards run as notebooks (the old way)")
    ap.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    args = ap.parse_args()

    from shnor_lib.report import card_page, plots
    from shnor_lib.report.context import CACHE_ENV, season_context, store_context
    from shnor_lib.report.export import html_to_pdf, persistent_browser
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

    # the new way: all cards in this process, one browser
    plots.set_style()
    chart = page = pdf = 0.0
    folder = out / "cards"
    folder.mkdir()
    first_pdf = None
    start_all = time.perf_counter()
    with persistent_browser():
        for sid in ids:
            t = time.perf_counter()
            card_page._figure(sc.res, sid)  # the chart alone, to split the cost
            chart += time.perf_counter() - t
            t = time.perf_counter()
            html = card_page.render_card(sc.history, sc.support, sid)
            (folder / f"{sid}.html").write_text(html, encoding="utf-8")
            page += time.perf_counter() - t
            t = time.perf_counter()
            html_to_pdf(folder / f"{sid}.html", folder / f"{sid}.pdf", footer=f"{name}, {args.year}", one_page=True)
            took = time.perf_counter() - t
            first_pdf = took if first_pdf is None else first_pdf
            pdf += took
    total_new = time.perf_counter() - start_all - chart  # the chart was drawn twice above
    n = len(ids)
    per_old = sum(old) / len(old) if old else float("nan")
    rows = [
        ["notebook per card (papermill + nbconvert + Chromium CLI)", f"{len(old)}", f"{sum(old):.1f}", f"{per_old:.2f}"],
        ["in-process cards, all", f"{n}", f"{total_new:.1f}", f"{total_new / n:.2f}"],
        ["  of it: chart", "", f"{chart:.1f}", f"{chart / n:.2f}"],
        ["  of it: page (texts, tables, template; chart again)", "", f"{page - chart:.1f}", f"{(page - chart) / n:.2f}"],
        ["  of it: PDF, one browser (first incl. its start)", "", f"{pdf:.1f}",
         f"{pdf / n:.2f} (first {first_pdf:.2f})"],
    ]
    text = (f"{machine()}\n\nSeason {args.municipality} {args.year}: {n} cards; the season computed once in "
            f"{compute:.1f} s (shared with its report, not counted).\n\n"
            + table(["route", "cards", "seconds", "per card, s"], rows)
            + f"\n\nIn-process cards are {per_old / (total_new / n):.0f}× cheaper per card than a notebook per card.\n")
    publish("School cards — notebook per card against in-process (bench_cards.py)", text, append=not args.no_append)


if __name__ == "__main__":
    main()
