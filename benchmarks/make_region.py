#!/usr/bin/env python3
"""Generate contract-valid seasons of a whole region or country for the benchmarks.

What it writes
--------------
``OUT/<municipality>/<year>/`` for every municipality and year: ``schools``, ``results``,
``social``, ``teachers``, ``monitoring`` and ``risk_profiles`` — the six files of the data
contract (``shnor_lib/contract/schema.py``), so that ``shnor validate`` finds no structural error.
A few results rows per thousand are damaged the way real forms are (marks written as
percentages, a blank «5» that is really 0, marks that do not add up): validation converts
or quarantines them, as it does for the demo.

Presets
-------
``region``   70 municipalities, 1,500 schools (one regional centre with ~13 % of the
             schools, the rest log-normally sized, at least 3 schools each), 3 years
             — a Sverdlovsk-oblast-sized region; about 80,000 results rows.
``country``  2,500 municipalities, 40,000 schools, 3 years — about 2.2 million results rows.

``--scale N`` multiplies the preset: by default the number of municipalities *and* of schools
(the size distribution stays; what a larger region looks like); with
``--scale-by schools`` the same municipalities get N times as many schools each (what a
larger city looks like). Both are used by ``bench_growth.py``.

How (reused from ``scripts/make_demo.py``)
------------------------------------------
Each school has the demo's latent social context, teacher resource and school effect (with
the demo's formulas, plus a municipality effect), its cohorts by year of entry, an ability
that drifts a little from year to year, and mark distributions from the demo's ordinal-logit
model (``CUTS``, ``SUBJECT_EFFECT``, ``mark_probs``); social passports and staffing follow the
demo's formulas; CSV dialects and number formatting are the demo's (``FORMATS``,
``write_csv``): 2022 UTF-8 with ``,``, 2023 Windows-1251 with ``;`` and decimal comma, 2024
UTF-8 with ``;`` and decimal comma. ``--xlsx`` writes the 2024 tables other than results as
XLSX, as the demo does (reading XLSX then dominates both the run and the floor). Unlike the
demo there are no designed scenario schools: every status comes from the model's noise.
Draws are vectorised over the schools of a municipality, so the country takes about a minute.

The subject layout is leaner than the demo's so that the country has about 2 million rows:
ВПР grade 4 русский язык and математика; grades 5–8 those two plus one further subject;
ОГЭ русский язык, математика, обществознание; ЕГЭ русский язык, математика (not in ООШ).

Determinism
-----------
``numpy.random.default_rng`` seeded with ``(seed, municipality number)`` per municipality
(sizes from ``(seed,)``); the same arguments give byte-identical files.

Usage
-----
    .venv/bin/python benchmarks/make_region.py /tmp/region --preset region
    .venv/bin/python benchmarks/make_region.py /tmp/country --preset country
    .venv/bin/python benchmarks/make_region.py /tmp/r4 --preset region --scale 4
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

import make_demo as demo  # noqa: E402  (scripts/make_demo.py: the demo's model and writers)

from shnor_lib.contract.schema import RISK_FACTORS  # noqa: E402

__all__ = ["PRESETS", "Layout", "generate", "plan_municipalities"]

SEED = demo.SEED
RUS, MATH = demo.RUS, demo.MATH


@dataclass(frozen=True)
class Preset:
    municipalities: int
    schools: int
    centre_share: float  # share of the schools in the first municipality (the regional centre)
    years: tuple[int, ...] = demo.YEARS


PRESETS = {
    "region": Preset(70, 1_500, 0.13),
    "country": Preset(2_500, 40_000, 0.01),
}


@dataclass(frozen=True)
class Layout:
    """Which results rows a school has: ВПР subjects per grade, ОГЭ and ЕГЭ subjects."""

    vpr: dict
    oge: tuple[str, ...] = demo.OGE_SUBJECTS
    ege: tuple[str, ...] = demo.EGE_SUBJECTS


LAYOUT = Layout({4: (RUS, MATH), 5: (RUS, MATH, "история"), 6: (RUS, MATH, "география"),
                 7: (RUS, MATH, "физика"), 8: (RUS, MATH, "биология")})
DEFECT_RATE = 0.002  # per ВПР/ОГЭ row, for each of the three kinds


def plan_municipalities(n_munis: int, n_schools: int, centre_share: float, seed: int = SEED) -> list[int]:
    """Schools per municipality: a regional centre, then log-normal sizes (≥ 3) adding up exactly."""
    rng = np.random.default_rng((seed,))
    if n_munis == 1:
        return [n_schools]
    centre = max(3, round(centre_share * n_schools))
    rest = n_schools - centre
    if rest < 3 * (n_munis - 1):
        raise SystemExit(f"{n_schools} schools are too few for {n_munis} municipalities (≥ 3 each)")
    w = rng.lognormal(0.0, 0.8, n_munis - 1)
    raw = 3 + (rest - 3 * (n_munis - 1)) * w / w.sum()
    sizes = np.floor(raw).astype(int)
    order = np.argsort(-(raw - sizes), kind="stable")
    sizes[order[: rest - sizes.sum()]] += 1
    return [centre, *sizes.tolist()]


# --------------------------------------------------------------------------- one municipality


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _mark_probs(eta: np.ndarray, cuts) -> np.ndarray:
    """Vectorised ``make_demo.mark_probs``: rows of (2, 3, 4, 5) probabilities."""
    c = [_sig(k - eta) for k in cuts]
    p = np.stack([c[0], c[1] - c[0], c[2] - c[1], 1 - c[2]], axis=-1)
    return np.clip(p, 0.0, 1.0) / np.clip(p, 0.0, 1.0).sum(axis=-1, keepdims=True)


class _Schools:
    """Latent context and cohorts of one municipality's schools (arrays over schools)."""

    def __init__(self, code: int, n: int, centre: bool, years: tuple[int, ...], rng: np.random.Generator):
        self.n = n
        self.sid = [f"{code}{k + 1:04d}" for k in range(n)]
        rural_p = 0.08 if centre else 0.55
        self.rural = rng.random(n) < rural_p
        u = rng.random(n)
        kind = np.where(self.rural, np.where(u < 0.45, "ООШ", "СОШ"),
                        np.where(u < 0.08, "гимназия", np.where(u < 0.14, "лицей", np.where(u < 0.22, "ООШ", "СОШ"))))
        self.kind = kind
        elite = np.isin(kind, ("гимназия", "лицей"))
        muni = rng.normal(0, 0.3)  # what a municipality shares: economy, staff, management
        # the demo's build_schools formulas, with the municipality effect added
        self.social = np.clip(rng.normal(0, 0.7, n) + 0.9 * elite - 0.4 * self.rural + muni, -1.6, 2.0)
        self.teacher = np.clip(rng.normal(0, 0.8, n) + 0.6 * elite - 0.3 * self.rural + 0.5 * muni, -2.0, 2.0)
        self.effect = rng.normal(0, 0.3, n) + 0.3 * elite + 0.5 * muni
        base = np.where(self.rural, rng.uniform(5, 18, n),
                        np.where(elite, rng.uniform(70, 110, n),
                                 np.where(kind == "ООШ", rng.uniform(46, 60, n), rng.uniform(46, 110, n))))
        lo, hi = np.where(self.rural, 4, 44), np.where(self.rural, 20, 120)
        first, last = min(years) - 11, max(years)
        self.cohort = {e: np.clip(np.round(base * rng.uniform(0.88, 1.12, n)), lo, hi).astype(int)
                       for e in range(first, last + 1)}
        self.top = np.where(kind == "ООШ", 9, 11)
        self.ability = {}
        drift = np.zeros(n)
        for y in years:
            drift = drift + rng.normal(0, 0.12, n)
            self.ability[y] = 0.55 * self.social + 0.35 * self.teacher + self.effect + drift
        self.names = [self._name(k) for k in range(n)]

    def _name(self, k: int) -> str:
        kind = self.kind[k]
        form = "МКОУ" if kind == "ООШ" and self.rural[k] else "МАОУ" if kind in ("гимназия", "лицей") else "МБОУ"
        where = f"с. {demo.RURAL[str(25 + k % 16)][1].split(' ', 1)[1]}" if self.rural[k] else ""
        return f"{form} {kind} № {k + 1}" + (f" {where}" if where else "")

    def grade_size(self, grade: int, year: int) -> np.ndarray:
        size = self.cohort[year - grade + 1]
        if grade >= 10:
            lo, hi = np.where(self.rural, 3, 42), np.where(self.rural, 12, 80)
            size = np.clip(np.round(0.62 * size), lo, hi).astype(int)
        return np.where(grade <= self.top, size, 0)

    def students(self, year: int) -> np.ndarray:
        return sum(self.grade_size(g, year) for g in range(1, 12))


def _results(sc: _Schools, year: int, layout: Layout, rng: np.random.Generator) -> list[list]:
    """Results rows of one year (the demo's ``natural_results`` model, vectorised)."""
    a = sc.ability[year]
    out: list[tuple] = []  # (school index, procedure order, grade, subject order, record)
    order = {s: i for i, s in enumerate(demo.SUBJECT_ORDER)}
    for grade, subjects in layout.vpr.items():
        size = sc.grade_size(grade, year)
        for subj in subjects:
            absent = rng.binomial(size, np.where(sc.rural, 0.04, 0.06))
            n = np.maximum(np.minimum(size, np.where(sc.rural, 3, 40)), size - absent)
            eta = a + demo.SUBJECT_EFFECT[subj] + 0.5 * (grade == 4) + rng.normal(0, 0.12, sc.n)
            marks = rng.multinomial(n, _mark_probs(eta, demo.CUTS["ВПР"]))
            raised = np.round(n * rng.uniform(0.01, 0.07, sc.n)).astype(int)
            share2 = np.divide(marks[:, 0], n, out=np.zeros(sc.n), where=n > 0)
            lowered = np.round(n * (0.12 + 0.6 * share2 + rng.uniform(0.0, 0.10, sc.n))).astype(int)
            lowered = np.maximum(0, np.minimum(lowered, n - raised - np.ceil(0.55 * n).astype(int)))
            for k in np.flatnonzero(n > 0):
                out.append((k, 0, grade, order[subj],
                            [sc.sid[k], "ВПР", subj, grade, int(n[k]), *marks[k].tolist(), None, None, None,
                             int(lowered[k]), int(n[k] - lowered[k] - raised[k]), int(raised[k])]))
    size9 = sc.grade_size(9, year)
    for subj in layout.oge:
        if subj in demo.CORE:
            n, cuts = size9, demo.CUTS["ОГЭ"]
        else:
            n, cuts = np.maximum(1, np.round(size9 * rng.uniform(0.45, 0.7, sc.n))).astype(int), demo.OGE_ELECTIVE_CUTS
        eta = 1.3 * a + demo.SUBJECT_EFFECT[subj] + rng.normal(0, 0.12, sc.n)
        marks = rng.multinomial(n, _mark_probs(eta, cuts))
        for k in np.flatnonzero(size9 > 0):
            out.append((k, 1, 9, order[subj], [sc.sid[k], "ОГЭ", subj, 9, int(n[k]), *marks[k].tolist(),
                                               None, None, None, None, None, None]))
    n11 = sc.grade_size(11, year)
    for subj in layout.ege:
        failed = rng.binomial(n11, _sig(-3.6 - a))
        high = rng.binomial(n11 - failed, _sig((-1.5 if subj == RUS else -2.8) + 0.9 * a))
        mean = (68.0 if subj == RUS else 52.0) + (6.0 if subj == RUS else 7.0) * a + rng.normal(0, 2.0, sc.n)
        mean = np.clip(mean - 30.0 * np.divide(failed, n11, out=np.zeros(sc.n), where=n11 > 0), 25.0, 92.0)
        for k in np.flatnonzero(n11 > 0):
            out.append((k, 2, 11, order[subj], [sc.sid[k], "ЕГЭ", demo.EGE_WRITTEN.get(subj, subj), 11, int(n11[k]), None, None, None, None,
                                                int(failed[k]), int(high[k]), round(float(mean[k]), 1),
                                                None, None, None]))
    out.sort(key=lambda t: t[:4])
    rows = [t[4] for t in out]
    _damage(rows, rng)
    return rows


def _damage(rows: list[list], rng: np.random.Generator) -> None:
    """A few rows the way real forms come: percentages, a blank «5» that is 0, marks off by some."""
    kinds = rng.random(len(rows))
    for row, u in zip(rows, kinds):
        if row[1] == "ЕГЭ" or u >= 3 * DEFECT_RATE:
            continue
        n, marks = row[4], row[5:9]
        if u < DEFECT_RATE and n not in (0, 100):  # percentages, one decimal (the demo's «percent» defect)
            row[5:9] = [round(100 * m / n, 1) for m in marks]
        elif u < 2 * DEFECT_RATE and marks[3] == 0:  # blank «5» that is really 0: converted
            row[8] = None
        elif u >= 2 * DEFECT_RATE and marks[1] >= 2:  # two «3» missing: quarantined
            row[6] = marks[1] - 2


def _social(sc: _Schools, years, rng) -> dict[int, list[list]]:
    """The demo's ``social_rows`` formulas, vectorised."""
    s, rural = sc.social, sc.rural
    n = sc.n
    shares = [
        np.clip(np.where(rural, 0.12, 0.22) + 0.10 * s + rng.normal(0, 0.015, n), 0.03, 0.65),
        np.clip(0.19 - 0.045 * s + rng.normal(0, 0.02, n), 0.05, 0.40),
        np.clip(0.035 - 0.012 * s + rng.normal(0, 0.012, n), 0.0, 0.25),
        np.clip(0.012 - 0.006 * s + rng.normal(0, 0.0025, n), 0.003, 0.05),
        np.clip(0.045 - 0.025 * s + 0.02 * rural + rng.normal(0, 0.008, n), 0.008, 0.30),
        np.clip(0.045 - 0.008 * s + rng.normal(0, 0.012, n), 0.005, 0.20),
    ]
    out = {}
    for y in years:
        total = sc.students(y)
        counts = [np.clip(np.round(sh * (1 + rng.normal(0, 0.06, n)) * total), 0, total).astype(int) for sh in shares]
        out[y] = [[sc.sid[k], int(total[k]), *(int(c[k]) for c in counts)] for k in range(n)]
    return out


def _teachers(sc: _Schools, years, rng) -> dict[int, list[list]]:
    """The demo's ``teacher_rows`` formulas, vectorised."""
    t, rural, n = sc.teacher, sc.rural, sc.n
    ratio = np.where(rural, rng.uniform(6, 9, n), rng.uniform(13, 16, n))
    he = np.clip(0.86 + 0.05 * t - 0.1 * rural + rng.normal(0, 0.03, n), 0.5, 1.0)
    vkk = np.clip(0.27 + 0.08 * t + rng.normal(0, 0.04, n), 0.02, 0.6)
    kk1 = np.clip(0.33 + 0.03 * t + rng.normal(0, 0.04, n), 0.1, 0.5)
    szd = rng.uniform(0.4, 0.8, n)
    exp = np.clip(0.66 + 0.05 * t + rng.normal(0, 0.05, n), 0.3, 0.95)
    vac = np.maximum(0.1, 0.7 + 0.6 * rural - 0.5 * t)
    out = {}
    for y in years:
        total = np.maximum(np.where(rural, 8, 25), np.round(sc.students(y) / ratio)).astype(int)

        def part(share):
            return np.clip(np.round(total * (share + rng.normal(0, 0.015, n))), 0, total).astype(int)

        h, v, k1 = part(he), part(vkk), part(kk1)
        k1 = np.minimum(k1, total - v)
        z = np.round((total - v - k1) * szd).astype(int)
        e = part(exp)
        va = np.minimum(6, rng.poisson(vac))
        out[y] = [[sc.sid[k], int(total[k]), int(h[k]), int(v[k]), int(k1[k]), int(z[k]), int(e[k]), int(va[k])]
                  for k in range(n)]
    return out


def _monitoring(sc: _Schools, teachers: dict, years, rng) -> dict[int, list[list]]:
    """The monitoring form: plausible counts within their totals and yes/no answers."""
    n = sc.n
    weak = sc.social < -0.8
    out = {}
    for i, y in enumerate(years):
        total = np.array([r[1] for r in teachers[y]])
        vac = np.array([r[7] for r in teachers[y]])
        rate = np.clip(rng.uniform(0.05, 0.4, n) + 0.08 * i + 0.4 * weak, 0, 1)
        diagnosed = np.minimum(total, np.round(total * rate)).astype(int)
        d_method = np.round(diagnosed * rng.uniform(0.6, 0.9, n)).astype(int)
        d_psych = np.round(diagnosed * rng.uniform(0.3, 0.6, n)).astype(int)
        support = np.minimum(total, np.round(total * (rng.uniform(0.05, 0.3, n) + 0.4 * weak))).astype(int)
        network = np.minimum(total, np.round(total * (rng.uniform(0.05, 0.25, n) + 0.3 * weak))).astype(int)
        active = rng.integers(0, 4, n)
        iom = np.round(diagnosed * rng.uniform(0.1, 0.6, n)).astype(int)
        levels = rng.multinomial(diagnosed, [0.1, 0.3, 0.4, 0.2])
        students = sc.students(y)
        iup = np.round(students * rng.uniform(0.005, 0.06, n)).astype(int)
        tutor = np.round(students * rng.uniform(0.0, 0.03, n)).astype(int)
        yes = rng.random((n, 6)) < np.where(weak, 0.8, 0.4)[:, None]
        out[y] = [[sc.sid[k], int(total[k]), int(diagnosed[k]), int(diagnosed[k]), int(d_method[k]), int(d_psych[k]),
                   int(support[k]), int(network[k]), int(active[k]), int(iom[k]), *levels[k].tolist(),
                   int(students[k]), int(iup[k]), int(tutor[k]), *(demo.yn(b) for b in yes[k]), demo.yn(vac[k] == 0)]
                  for k in range(n)]
    return out


def _risk_profiles(sc: _Schools, years, rng) -> dict[int, list[list]]:
    """Ten FIOKO factors per school; significance follows the latent context with noise."""
    out = {}
    for y in years:
        base = np.stack([0.8 * sc.rural - 0.4 * sc.social, 0.3 * sc.rural - 0.3 * sc.teacher, -sc.teacher,
                         -sc.ability[y], -sc.teacher, -0.5 * sc.ability[y], -0.3 * sc.social,
                         -0.3 * sc.social, -sc.social, -sc.social], axis=1)
        z = (base - base.mean(axis=0)) / np.where(base.std(axis=0) > 0, base.std(axis=0), 1.0)
        z += rng.normal(0, 0.25, z.shape)
        out[y] = [[sc.sid[i], k + 1, RISK_FACTORS[k + 1],
                   "высокая" if z[i, k] > 0.9 else "средняя" if z[i, k] > -0.2 else "низкая"]
                  for i in range(sc.n) for k in range(10)]
    return out


def _dialect(year: int, years: tuple[int, ...], xlsx: bool, results: bool) -> dict:
    """The demo's file formats by position of the year: UTF-8 ``,``; cp1251 ``;``; UTF-8 ``;`` (or XLSX)."""
    pos = (len(years) - 1 - years.index(year)) % 3  # the last year gets the demo's 2024 format
    if pos == 0:
        return demo.FORMATS[2024] if (xlsx and not results) else demo.RESULTS_2024
    return demo.FORMATS[2023] if pos == 1 else demo.FORMATS[2022]


def write_municipality(out: Path, name: str, code: int, n_schools: int, centre: bool, years: tuple[int, ...],
                       layout: Layout, xlsx: bool, seed: int) -> int:
    """Draw and write every season of one municipality; returns the number of results rows."""
    rng = np.random.default_rng((seed, code))
    sc = _Schools(code, n_schools, centre, years, rng)
    social = _social(sc, years, rng)
    teachers = _teachers(sc, years, rng)
    monitoring = _monitoring(sc, teachers, years, rng)
    risks = _risk_profiles(sc, years, rng)
    rp = demo.CONTRACT["risk_profiles"]
    rp_header = [rp.column("school_id").label, rp.column("factor").label, "Наименование фактора",
                 rp.column("significance").label]
    n_rows = 0
    for y in years:
        folder = out / name / str(y)
        folder.mkdir(parents=True, exist_ok=True)
        spec = _dialect(y, years, xlsx, results=False)
        students = sc.students(y)
        territory = np.where(sc.rural, "село", "город")
        demo.write_table(folder, "schools", demo.labels("schools"),
                         [[sc.sid[k], sc.names[k], str(sc.kind[k]), str(territory[k]), int(students[k])]
                          for k in range(sc.n)], spec)
        rows = _results(sc, y, layout, rng)
        n_rows += len(rows)
        demo.write_table(folder, "results", demo.labels("results"), rows, _dialect(y, years, xlsx, results=True))
        demo.write_table(folder, "social", demo.labels("social"), social[y], spec)
        demo.write_table(folder, "teachers", demo.labels("teachers"), teachers[y], spec)
        demo.write_table(folder, "monitoring", ["Код ОО", *[lab for _, lab in demo.MONITORING_FIELDS]],
                         monitoring[y], spec)
        demo.write_table(folder, "risk_profiles", rp_header, risks[y], spec)
    return n_rows


def generate(out: Path, preset: str = "region", scale: float = 1, scale_by: str = "municipalities",
             years: tuple[int, ...] | None = None, xlsx: bool = False, seed: int = SEED,
             layout: Layout = LAYOUT, log=print) -> dict:
    """Write a whole region into ``out`` (which must not be inside the repository's data_raw).

    Returns a summary: municipalities, schools, seasons, results rows, seconds.
    """
    out = Path(out).resolve()
    if (REPO / "data_raw").resolve() in (out, *out.parents):
        raise SystemExit("make_region.py never writes into data_raw/: give another folder")
    p = PRESETS[preset]
    years = tuple(sorted(years or p.years))
    n_munis = p.municipalities if scale_by == "schools" else max(1, round(p.municipalities * scale))
    n_schools = round(p.schools * scale)
    sizes = plan_municipalities(n_munis, n_schools, p.centre_share, seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    width = max(3, len(str(n_munis)))
    started = time.perf_counter()
    n_rows = 0
    for i, size in enumerate(sizes):
        n_rows += write_municipality(out, f"mo{i + 1:0{width}d}", i + 1, size, i == 0, years, layout, xlsx, seed)
        if log and (i + 1) % 250 == 0:
            log(f"  {i + 1}/{n_munis} municipalities")
    summary = {"preset": preset, "scale": scale, "scale_by": scale_by, "municipalities": n_munis,
               "schools": sum(sizes), "largest": max(sizes), "years": list(years), "seasons": n_munis * len(years),
               "results_rows": n_rows, "seconds": round(time.perf_counter() - started, 1)}
    (out / "GENERATED.txt").write_text(
        "Generated by benchmarks/make_region.py (synthetic; not real data).\n"
        + "".join(f"{k}: {v}\n" for k, v in summary.items()), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder to write (replaced if it exists; never data_raw/)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="region")
    ap.add_argument("--scale", type=float, default=1, help="multiply the preset's size (default 1)")
    ap.add_argument("--scale-by", choices=("municipalities", "schools"), default="municipalities",
                    help="grow by more municipalities (default) or by more schools per municipality")
    ap.add_argument("--years", default=None, help="comma-separated years (default 2022,2023,2024)")
    ap.add_argument("--xlsx", action="store_true", help="write the last year's tables except results as XLSX")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    years = tuple(int(y) for y in args.years.split(",")) if args.years else None
    s = generate(args.out, args.preset, args.scale, args.scale_by, years, args.xlsx, args.seed)
    print(f"{s['municipalities']} municipalities, {s['schools']} schools (largest {s['largest']}), "
          f"{s['seasons']} seasons, {s['results_rows']:,} results rows in {s['seconds']} s → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
