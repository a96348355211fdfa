"""The quality model's families on a planted truth: which schools each one finds.

Simulated municipalities (``shnor_lib.analysis.simulation.simulate_frame``): 60 schools, half with
a small cohort (8–25 participants), half a large one (60–200); context ИСБШ and ИУРШ;
ordinary school effects N(0, 0.3²) on the logit scale; 8 planted schools with an effect
of ±``--planted`` on the logit scale (2 positive small, 2 positive large, 2 negative
small, 2 negative large). Each family labels with the same rule (Benjamini–Hochberg at
``model.fdr``, ``min_effect``); the table gives, per family, the share of planted schools
labelled in their direction (by sign and cohort) and the false flags (ordinary schools
labelled, per 1,000 and as the share of all labels — the realised false discovery
proportion). A third scenario plants nothing: every label is false.

    .venv/bin/python benchmarks/bench_quality_model.py            # 200 municipalities per scenario
    .venv/bin/python benchmarks/bench_quality_model.py --reps 50 --no-append
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, publish, table  # noqa: E402

from shnor_lib import load_params  # noqa: E402
from shnor_lib.analysis.models import BELOW, RESILIENT, fit_quality_model  # noqa: E402
from shnor_lib.analysis.simulation import simulate_frame  # noqa: E402

FAMILIES = {
    "fractional_logit (default)": {"family": "fractional_logit"},
    "fractional_logit, weights participants": {"family": "fractional_logit", "weights": "participants"},
    "binomial_counts": {"family": "binomial_counts"},
    "ols": {"family": "ols"},
    "ols, weights participants": {"family": "ols", "weights": "participants"},
}


def scenarios(planted: float) -> dict[str, dict]:
    return {
        f"mid-range index (mean share ≈ 0.62), planted ±{planted:g}": {"intercept": 0.5, "planted": planted},
        f"near the ceiling (mean share ≈ 0.88, like ОГЭ base share), planted ±{planted:g}":
            {"intercept": 2.0, "planted": planted},
        "nothing planted (mean share ≈ 0.62)": {"intercept": 0.5, "n_planted": 0},
    }


def run(reps: int, planted: float, seed: int) -> list[tuple[str, pd.DataFrame]]:
    params = load_params(overrides={"model": {"specifications": []}})
    out = []
    for name, kw in scenarios(planted).items():
        rng = np.random.default_rng(seed)
        rows = []
        for rep in range(reps):
            frame = simulate_frame(rng, **kw)
            for fam, spec in FAMILIES.items():
                res = fit_quality_model(frame, params, {"name": fam, **spec})
                d = frame.merge(res.predictions[["school_id", "resilience", "pi_low", "pi_high"]], on="school_id")
                d["family"], d["rep"] = fam, rep
                rows.append(d)
        out.append((name, pd.concat(rows, ignore_index=True)))
    return out


def summarise(d: pd.DataFrame) -> list[list]:
    d = d.copy()
    d["size"] = np.where(d["territory"] == "село", "small", "large")
    want = np.select([d["planted"] > 0, d["planted"] < 0], [RESILIENT, BELOW], "")
    d["hit"] = (want != "") & (d["resilience"] == want)
    d["flag"] = d["resilience"].isin([RESILIENT, BELOW])
    d["false"] = d["flag"] & ~d["hit"]
    d["outside"] = (d["pi_low"] < 0) | (d["pi_high"] > 1)
    rows = []
    for fam in FAMILIES:
        f = d[d["family"] == fam]
        planted = f[f["planted"] != 0]

        def rate(mask):
            return f"{planted[mask]['hit'].mean():.2f}" if mask.any() else "—"

        per_rep = f.groupby("rep").agg(false=("false", "sum"), flags=("flag", "sum"))
        fdp = (per_rep["false"] / per_rep["flags"].clip(lower=1)).mean()
        ordinary = f[f["planted"] == 0]
        rows.append([fam, rate(planted["planted"] > 0), rate((planted["planted"] > 0) & (planted["size"] == "large")),
                     rate((planted["planted"] > 0) & (planted["size"] == "small")),
                     rate(planted["planted"] < 0), rate((planted["planted"] < 0) & (planted["size"] == "large")),
                     rate((planted["planted"] < 0) & (planted["size"] == "small")),
                     f"{1000 * ordinary['flag'].mean():.1f}", f"{fdp:.3f}", int(f["outside"].sum())])
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=200, help="simulated municipalities per scenario")
    ap.add_argument("--planted", type=float, default=2.0, help="planted effect on the logit scale")
    ap.add_argument("--seed", type=int, default=20240901)
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    header = ["family", "recovered +", "+ large", "+ small", "recovered −", "− large", "− small",
              "false flags per 1,000 ordinary", "false discovery proportion", "intervals outside 0–1"]
    parts = [f"{machine()}\n",
             f"{args.reps} simulated municipalities per scenario × 60 schools (seed {args.seed}); ordinary school "
             "effects N(0, 0.3²) on the logit scale; cohorts 8–25 (small) and 60–200 (large); rule: "
             "Benjamini–Hochberg at fdr 0.10 and min_effect 0.02 (defaults).\n"]
    for name, d in run(args.reps, args.planted, args.seed):
        parts.append(f"\n**{name}**\n\n" + table(header, summarise(d)) + "\n")
    parts.append(f"\n{time.perf_counter() - started:.0f} s.\n")
    publish("Quality model — families on a planted truth (bench_quality_model.py)", "".join(parts),
            append=not args.no_append)
    return 0


if __name__ == "__main__":
    sys.exit(main())
