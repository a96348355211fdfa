#!/usr/bin/env python3
"""Benchmark 2: the season reports of every municipality of a region for one year.

Generates (once, cached) the ``region`` preset of ``make_region.py`` (70 municipalities,
1,500 schools, 3 years), then measures side by side, in one run on this machine:

* ``shnor report --year Y --no-cards --format html`` and ``--format html,pdf`` (the season
  reports only, what the naive loop makes), and ``--format html`` as shipped, i.e. with a
  card per school of interest;
* the naive loop a user would write: for each municipality, the ``papermill`` CLI on
  ``notebooks/season_report.ipynb`` (which recomputes everything from the raw files), then
  ``jupyter nbconvert --to html --no-input``, then for PDF headless Chromium
  (``--print-to-pdf``, the route of TOOLCHAIN.md), one after another;
* the floor: an empty notebook run the same way (papermill CLI, nbconvert CLI, Chromium).

Prints a table and appends it to ``benchmarks/RESULTS.md``. Goals (issue 7): ``shnor
report`` ≥ 2× faster than the naive loop on 2 cores, and its cost per report ≤ 1.5× the
floor's.

    .venv/bin/python benchmarks/bench_reports.py                     # 70 municipalities (~45 min)
    .venv/bin/python benchmarks/bench_reports.py --municipalities 10 # a quick look
    .venv/bin/python benchmarks/bench_reports.py --breakdown         # one report's cost, by part

``--breakdown`` (issue 17, goal 2) takes one season (the demo 2024) apart: kernel start, the
imports of the notebook's setup cell, compute, running the notebook's cells (texts, tables,
charts) on the computed season, HTML export, and the PDF — by a Chromium process per file and by
the one persistent browser ``shnor report`` now keeps per process.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BIN, REPO, Run, dataset, fmt_s, machine, publish, run, summary, table  # noqa: E402

NOTEBOOK = REPO / "notebooks" / "season_report.ipynb"
CARDS = REPO / "notebooks" / "school_card.ipynb"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def empty_notebook(path: Path) -> Path:
    nb = {"cells": [], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                   "name": "python3"},
                                    "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def one_report(notebook: Path, folder: Path, name: str, params: dict, pdf: bool, browser: str | None) -> dict:
    """papermill CLI → nbconvert CLI (→ Chromium): the per-report steps of the naive loop."""
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / f"{name}.ipynb"
    cmd = [str(BIN / "papermill"), str(notebook), str(executed), "-k", "python3", "--no-progress-bar"]
    for k, v in params.items():
        cmd += ["-p", k, str(v)]
    steps = {"papermill": run("papermill", cmd, check=False).wall}
    steps["nbconvert"] = run("nbconvert", [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                                           str(executed)], check=False).wall
    if pdf and browser:
        profile = tempfile.mkdtemp(prefix="chromium-")
        try:
            steps["pdf"] = run("chromium", [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                            f"--print-to-pdf={folder / (name + '.pdf')}",
                                            (folder / f"{name}.html").resolve().as_uri()], check=False).wall
        finally:
            shutil.rmtree(profile, ignore_errors=True)
    return steps


def count_reports(out: Path) -> tuple[int, int]:
    """(season reports, school cards) written under ``out``."""
    html = [p for p in out.rglob("*.html") if p.name != "index.html"]
    cards = sum(1 for p in html if p.parent.name == "schools")
    return len(html) - cards, cards


def breakdown(append: bool) -> None:
    """One season report's cost by part (the demo 2024), on this machine, one after another."""
    import os
    import subprocess
    import time

    import nbformat
    import papermill
    from traitlets.config import Config

    from shnor_lib.report.context import CACHE_ENV, season_context, store_context
    from shnor_lib.report.export import html_to_pdf, notebook_to_html, persistent_browser

    out = Path(tempfile.mkdtemp(prefix="shnor-bench-breakdown-"))
    data_root = REPO / "data_raw"
    parts: list[list[str]] = []

    def timed(label, fn):
        start = time.perf_counter()
        value = fn()
        parts.append([label, f"{time.perf_counter() - start:.2f}"])
        return value

    empty = out / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), empty)
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(out / "k")}})
    timed("kernel start and stop (empty notebook through papermill)", lambda: papermill.execute_notebook(
        str(empty), str(out / "empty-out.ipynb"), kernel_name="python3", progress_bar=False, config=config))
    setup = ("import shnor_lib, matplotlib.pyplot; from shnor_lib.report import sections, plots, html, context; "
             "from IPython.display import display")
    base = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - base
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", setup], check=True)
    parts.append(["imports of the notebook's setup cell (fresh interpreter, minus its start)",
                  f"{time.perf_counter() - start - bare:.2f}"])
    sc = timed("compute: the season and the years before it, with support analyses",
               lambda: season_context(data_root, "demo", 2024, None))
    cache = out / ".cache"
    os.environ[CACHE_ENV] = str(cache)
    store_context(sc, data_root, cache)
    nb = timed("the report notebook on the computed season (kernel, imports, texts, tables, charts)",
               lambda: papermill.execute_notebook(
                   str(NOTEBOOK), str(out / "report.ipynb"), kernel_name="python3", progress_bar=False,
                   cwd=str(NOTEBOOK.parent), config=Config({"KernelManager": {"transport": "ipc", "ip": str(out / "k2")}}),
                   parameters={"municipality": "demo", "year": 2024, "data_root": str(data_root), "params_file": None,
                               "output_dir": str(out), "school_cards": False}))
    html = timed("HTML export (nbconvert, in process)", lambda: notebook_to_html(nb, title="Справка"))
    (out / "report.html").write_text(html, encoding="utf-8")
    timed("PDF by a Chromium process (command line)", lambda: html_to_pdf(out / "report.html", out / "cli.pdf",
                                                                         browser=chromium()))
    with persistent_browser():
        timed("PDF by the persistent browser, first (incl. its start)",
              lambda: html_to_pdf(out / "report.html", out / "pw1.pdf", footer="Демо, 2024"))
        timed("PDF by the persistent browser, next", lambda: html_to_pdf(out / "report.html", out / "pw2.pdf",
                                                                         footer="Демо, 2024"))
    text = (f"{machine()}\n\nOne season report (demo 2024, 40 schools), each part measured alone, one after "
            "another:\n\n" + table(["part", "seconds"], parts) + "\n")
    publish("Season report — cost by part (bench_reports.py --breakdown)", text, append=append)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--municipalities", type=int, default=None, help="only the first N municipalities")
    ap.add_argument("--year", type=int, default=None, help="the year reported (default: the last one)")
    ap.add_argument("--floor-runs", type=int, default=5, help="runs of the empty notebook (default 5)")
    ap.add_argument("--skip-cards", action="store_true", help="do not measure shnor report with school cards")
    ap.add_argument("--pdf-only", action="store_true", help="shnor report runs with --format html,pdf only")
    ap.add_argument("--skip-naive", action="store_true",
                    help="measure shnor report only (no naive loop, no floor): e.g. goal 1, cards against none")
    ap.add_argument("--data", type=Path, default=None, help="folder for generated data (default $SHNOR_BENCH_DATA)")
    ap.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    ap.add_argument("--breakdown", action="store_true", help="one report's cost by part (demo 2024) and stop")
    args = ap.parse_args(argv)
    if args.breakdown:
        breakdown(append=not args.no_append)
        return 0

    region = dataset("region", root=args.data)
    info = summary(region)
    browser = chromium()
    work = Path(tempfile.mkdtemp(prefix="shnor-bench-reports-"))
    try:
        data = region
        if args.municipalities:
            data = work / "data_raw"
            for m in sorted(p.name for p in region.iterdir() if p.is_dir())[: args.municipalities]:
                shutil.copytree(region / m, data / m)
        munis = sorted(p.name for p in data.iterdir() if p.is_dir())
        year = args.year or max(int(p.name) for p in (data / munis[0]).iterdir() if p.is_dir())
        n = len(munis)

        # floor: an empty notebook through the same commands
        empty = empty_notebook(work / "empty.ipynb")
        floors = [one_report(empty, work / "floor", f"r{i}", {}, True, browser)
                  for i in range(0 if args.skip_naive else args.floor_runs)]
        floor_html = sum(f["papermill"] + f["nbconvert"] for f in floors) / max(1, len(floors))
        floor_pdf = sum(f.get("pdf", 0.0) for f in floors) / max(1, len(floors))

        # shnor report
        shnor: dict[str, Run] = {}
        counts: dict[str, tuple[int, int]] = {}
        variants = [("html", "season reports only", False)] * (not args.pdf_only) + [
            ("html,pdf", "season reports only", False)]
        if CARDS.exists() and not args.skip_cards:
            variants.append(("html,pdf", "as shipped (with school cards)", True))
        for fmt, what, cards in variants:
            out = work / f"shnor-{fmt.replace(',', '-')}-{'cards' if cards else 'seasons'}"
            label = f"shnor report --format {fmt}{'' if cards else ' --no-cards'} — {what}"
            shnor[label] = run(label, [str(BIN / "shnor"), "report", "--data-root", str(data), "--year", str(year),
                                       "--format", fmt, "--out", str(out)] + ([] if cards else ["--no-cards"]),
                               check=False)
            counts[label] = count_reports(out)
            shutil.rmtree(out, ignore_errors=True)

        # the naive loop
        steps = []
        for m in [] if args.skip_naive else munis:
            folder = work / "naive" / m
            steps.append(one_report(NOTEBOOK, folder, "report", {
                "municipality": m, "year": year, "data_root": data}, True, browser))
        naive_html = sum(s["papermill"] + s["nbconvert"] for s in steps)
        naive_pdf = naive_html + sum(s.get("pdf", 0.0) for s in steps)
        naive_ok = sum(1 for m in munis if (work / "naive" / m / "report.html").exists())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = []
    naive_for = {"html": naive_html, "html,pdf": naive_pdf}
    floor_for = {"html": floor_html, "html,pdf": floor_html + floor_pdf}
    naive = not args.skip_naive
    if naive:
        rows.append([f"naive loop, HTML (papermill + nbconvert CLI, sequential; {naive_ok}/{n} written)",
                     fmt_s(naive_html), "", fmt_s(naive_html / n), "1.00×", f"{naive_html / n / floor_html:.2f}×"])
    if naive and browser:
        rows.append(["naive loop, HTML + PDF (+ headless Chromium)", fmt_s(naive_pdf), "", fmt_s(naive_pdf / n),
                     "1.00×", f"{naive_pdf / n / floor_for['html,pdf']:.2f}×"])
    verdicts = []
    for label, r in shnor.items():
        fmt = label.split("--format ")[1].split(" ")[0]
        seasons, cards = counts[label]
        per = r.wall / n
        speed = f"**{naive_for[fmt] / r.wall:.2f}×**" if naive else ""
        ratio = f"**{per / floor_for[fmt]:.2f}×**" if naive else ""
        rows.append([f"{label} ({seasons} reports{f', {cards} cards' if cards else ''}; exit {r.returncode})",
                     fmt_s(r.wall), fmt_s(r.cpu), fmt_s(per), speed, ratio])
        if "season reports only" in label and naive:
            verdicts.append(f"{fmt}: {naive_for[fmt] / r.wall:.2f}× faster than the naive loop (goal ≥ 2×: "
                            f"{'met' if naive_for[fmt] / r.wall >= 2 else 'missed'}), {per / floor_for[fmt]:.2f}× "
                            f"the floor per report (goal ≤ 1.5×: {'met' if per <= 1.5 * floor_for[fmt] else 'missed'})")
    with_cards = next((r for k, r in shnor.items() if "as shipped" in k), None)
    without = next((r for k, r in shnor.items() if "html,pdf --no-cards" in k), None)
    if with_cards and without:
        verdicts.append(f"issue 17 goal 1, HTML + PDF with cards against without: {with_cards.wall / without.wall:.2f}× "
                        f"the wall, {with_cards.cpu / without.cpu:.2f}× the CPU (goal ≤ 1.5×)")
    if naive:
        rows.append([f"floor: empty notebook, papermill + nbconvert CLI (mean of {args.floor_runs})", "", "",
                     fmt_s(floor_html), "", "1.00×"])
    if naive and browser:
        rows.append(["floor: … + headless Chromium PDF", "", "", fmt_s(floor_html + floor_pdf), "", "1.00×"])
    text = (f"{machine()}\n\nData: `make_region.py --preset region` — {n} of {info['municipalities']} municipalities, "
            f"year {year}; every report of the year.\n\n"
            + table(["", "wall", "CPU", "per report", "speed-up vs naive", "per report / floor"], rows)
            + "\n\n" + "\n".join(f"- {v}" for v in verdicts)
            + ("\n- with school cards: see the row «as shipped»; the cards are extra reports per school of "
               "interest, not counted in «per report»" if any("as shipped" in k for k in shnor)
               else "\n- school cards not measured (`--skip-cards`)"))
    publish(f"Benchmark 2 — reports at region scale (bench_reports.py{'' if not args.municipalities else f', {n} municipalities'})",
            text, append=not args.no_append)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
