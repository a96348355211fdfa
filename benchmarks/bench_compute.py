"""Benchmark: load + validate + compute at region scale.

Replicates the demo municipality into N municipalities (3 years each, 40 schools
per municipality) under a temporary data root, then times ``load_dataset`` and
``compute_season`` for every (municipality, year) and reports peak memory.

    .venv/bin/python benchmarks/bench_compute.py --municipalities 25

Not a test: targets are checked by reading its output, not by timed unit tests.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--municipalities", type=int, default=10)
    args = ap.parse_args()

    import shnor_lib as sh

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data_raw"
        for i in range(args.municipalities):
            shutil.copytree(REPO / "data_raw" / "demo", root / f"m{i:03d}")
        t0 = time.perf_counter()
        data = sh.load_dataset(root)
        t1 = time.perf_counter()
        params = sh.load_params()
        n = 0
        for m, y in data.keys():
            sh.compute_season(data, m, y, params)
            n += 1
        t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    schools = 40 * args.municipalities
    print(f"municipalities={args.municipalities} schools={schools} seasons={n}")
    print(f"load+validate: {t1 - t0:.2f} s; compute: {t2 - t1:.2f} s ({(t2 - t1) / n:.2f} s/season); "
          f"peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
