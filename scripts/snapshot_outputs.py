#!/usr/bin/env python3
"""Fingerprint everything ``shnor compute`` writes and every bad-input message, to prove that a
refactoring changed no output.

    .venv/bin/python scripts/snapshot_outputs.py /tmp/before.json          # before the change
    .venv/bin/python scripts/snapshot_outputs.py /tmp/after.json --compare /tmp/before.json

Covers: the demo (3 years), Pervouralsk 2022, a generated region (benchmarks/make_region.py,
scale 0.1: 7 municipalities, 3 years) and the stderr/exit code/data_issues of every case of
tests/bad_inputs/. Files whose bytes legitimately differ between runs (``manifest.json``: run
time and duration) are fingerprinted without their volatile fields. Exit 1 when compared and
anything differs, listing what.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VOLATILE = {"created", "seconds", "duration_s", "started", "finished", "python", "platform", "host", "packages",
            "data_root", "out_root"}


def _digest(path: Path) -> str:
    data = path.read_bytes()
    if path.name == "manifest.json":
        obj = json.loads(data)

        def strip(o):
            if isinstance(o, dict):
                return {k: strip(v) for k, v in o.items() if k not in VOLATILE}
            if isinstance(o, list):
                return [strip(v) for v in o]
            return o

        data = json.dumps(strip(obj), sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _digest(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _cli(argv: list[str]) -> tuple[int, str, str]:
    from shnor_lib.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def snapshot(work: Path) -> dict:
    snap: dict = {}
    for name, data_root, muni in (("demo", REPO / "data_raw", "demo"), ("pervouralsk", REPO / "data_raw", "pervouralsk")):
        out = work / name
        code, _, err = _cli(["compute", "--data-root", str(data_root), "--municipality", muni, "--out", str(out)])
        snap[name] = {"exit": code, "stderr": err if code else "", "files": _tree(out) if out.exists() else {}}
    region = work / "region_in"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_region.py"), str(region), "--preset", "region",
                    "--scale", "0.1"], check=True, capture_output=True)
    out = work / "region"
    code, _, err = _cli(["compute", "--data-root", str(region), "--out", str(out)])
    # stderr of a successful run is the progress bar (timings): kept only when the run failed
    snap["region"] = {"exit": code, "stderr": err if code else "", "files": _tree(out) if out.exists() else {}}
    cases = {}
    for case in sorted((REPO / "tests" / "bad_inputs").iterdir()):
        if not case.is_dir():
            continue
        data = work / "bad" / case.name / "data_raw"
        shutil.copytree(case / "data_raw", data)
        extra = (case / "args.txt").read_text(encoding="utf-8").split() if (case / "args.txt").exists() else []
        out = work / "bad" / case.name / "out"
        code, _, err = _cli(["compute", "--data-root", str(data), *extra, "--out", str(out)])
        err = err.replace(str(work), "<work>")
        issues = sorted(out.rglob("data_issues.csv"))
        cases[case.name] = {"exit": code, "stderr": err,
                            "issues": {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in issues}}
    snap["bad_inputs"] = cases
    return snap


def compare(a: dict, b: dict, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}/{k}: only after")
            elif k not in b:
                out.append(f"{path}/{k}: only before")
            else:
                out += compare(a[k], b[k], f"{path}/{k}")
        return out
    return [] if a == b else [f"{path}: differs"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="where to write the snapshot (JSON)")
    ap.add_argument("--compare", type=Path, help="an earlier snapshot to compare with")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="shnor-snap-") as tmp:
        snap = snapshot(Path(tmp))
    args.out.write_text(json.dumps(snap, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    if args.compare:
        diff = compare(json.loads(args.compare.read_text(encoding="utf-8")), snap)
        for line in diff:
            print(line)
        print("identical" if not diff else f"{len(diff)} differences")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
