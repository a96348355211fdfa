#!/usr/bin/env python3
"""Generate the demo municipality «Демо» (Демонстрационный муниципальный округ).

What it writes
--------------
``data_raw/demo/2022/``, ``2023/`` and ``2024/``: one season each, with all six input
files of the data contract (Методика, §10, ``shnor_lib/contract/schema.py``) — ``schools``,
``results``, ``social``, ``teachers``, ``monitoring``, ``risk_profiles`` — for 40
fictional schools (ids ``"1"``…``"40"``), and ``data_raw/demo/README.md``, which describes
the municipality and quotes the key numbers of every scenario school from the data just
written.

Why
---
The project needs a dataset whose right answers are known in advance: every branch of the
identification rules (Методика, §3: ШНОР by two procedures in one year and by one
procedure in two consecutive years, exactly 30 %, «мало участников», зона риска, ШНСУ),
the objectivity flags (§3.5), the two-tier validation (§10: percentage rows, marks that do
not add up, blank cells), year-over-year dynamics (§9) and every loader variant (CSV UTF-8
with ``,``, CSV Windows-1251 with ``;`` and decimal comma, XLSX). Notebooks, tests and CI
run on it.

How
---
Each school gets a latent social context, a teacher resource and a school effect that
persists across the years with a small drift. Social passports, staffing and mark
distributions (an ordinal-logit model) follow from them with noise. The scenario schools
then receive explicit, deterministic fail counts (``SCENARIOS``): nothing in the
scenarios depends on luck. Ordinary schools keep their natural results, except that
shares which would make them ШНОР or зона риска are lowered, so that they stay
unremarkable (at most an isolated one-year blip). Four rows of the 2024 results are then
damaged on purpose (``DEFECTS``).

Determinism
-----------
One generator, ``numpy.random.default_rng(20240901)``, drawn in a fixed order; rows are
sorted; floats have a fixed format; XLSX files get fixed document properties and fixed
ZIP timestamps. Two runs give byte-identical files.

Usage
-----
``python scripts/make_demo.py`` rewrites ``data_raw/demo/`` (paths are taken from this
file's location, never from the current folder); ``--out DIR`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shnor_lib.contract.schema import CONTRACT, RISK_FACTORS  # noqa: E402

SEED = 20240901
YEARS = (2022, 2023, 2024)
DEFAULT_OUT = REPO / "data_raw" / "demo"
FIXED_TIME = dt.datetime(2024, 9, 1, 9, 0, 0)
ZIP_TIME = (2024, 9, 1, 9, 0, 0)

RUS, MATH = "русский язык", "математика"
CORE = (RUS, MATH)
PROCS = ("ВПР", "ОГЭ", "ЕГЭ")
SCOPE_GRADES = {"ВПР": (5, 6, 7, 8), "ОГЭ": (9,), "ЕГЭ": (11,)}
SUBJECT_ORDER = (RUS, MATH, "окружающий мир", "история", "биология", "география", "обществознание", "физика", "химия")
# ВПР subjects by grade: русский язык and математика everywhere, plus the other subjects
# the rules must ignore (grade 4 is out of the rules' scope altogether).
VPR_SUBJECTS = {
    4: (RUS, MATH, "окружающий мир"),
    5: (RUS, MATH, "история", "биология"),
    6: (RUS, MATH, "география", "обществознание"),
    7: (RUS, MATH, "история", "физика"),
    8: (RUS, MATH, "биология", "химия"),
}
OGE_SUBJECTS = (RUS, MATH, "обществознание")
EGE_SUBJECTS = (RUS, MATH)
# ЕГЭ mathematics is written with its level, as real files must (the demo's is the profile level:
# a minimum score, «Не преодолели порог»); the rules pool both levels as «математика».
EGE_WRITTEN = {MATH: "математика (профильный уровень)"}
SUBJECT_EFFECT = {
    RUS: 0.0,
    MATH: -0.1,
    "окружающий мир": 0.4,
    "история": 0.05,
    "биология": 0.05,
    "география": 0.0,
    "обществознание": 0.05,
    "физика": -0.2,
    "химия": -0.05,
}
# Ordinal-logit cut points (fail | 3 | 4 | 5) for an average school.
CUTS = {"ВПР": (-2.9, -0.2, 1.75), "ОГЭ": (-3.4, -0.4, 1.5)}
OGE_ELECTIVE_CUTS = (-2.2, -0.1, 1.8)

THRESH_SHNOR = Fraction(3, 10)
THRESH_RISK = Fraction(1, 10)
MIN_PARTICIPANTS = 5
BLIP_MAX = Fraction(1, 5)  # an ordinary school's natural blip stays under 20 %
BLIP_KEEP = 0.4  # and survives in 40 % of the cases where it arises


# --------------------------------------------------------------------------- schools

URBAN_SPECIAL = {"2": "гимназия", "9": "гимназия", "5": "лицей", "15": "лицей", "21": "ООШ"}
MAOU = {"1", "2", "5", "6", "9", "10", "15"}
RURAL = {
    "25": ("СОШ", "с. Михайловка"),
    "26": ("ООШ", "с. Берёзовка"),
    "27": ("СОШ", "с. Покровское"),
    "28": ("ООШ", "д. Ключи"),
    "29": ("ООШ", "с. Сосновка"),
    "30": ("СОШ", "п. Заречный"),
    "31": ("СОШ", "с. Никольское"),
    "32": ("ООШ", "с. Каменка"),
    "33": ("СОШ", "с. Троицкое"),
    "34": ("ООШ", "д. Малиновка"),
    "35": ("СОШ", "с. Богородское"),
    "36": ("ООШ", "п. Светлый"),
    "37": ("СОШ", "с. Ивановка"),
    "38": ("ООШ", "д. Луговая"),
    "39": ("СОШ", "с. Красный Яр"),
    "40": ("ООШ", "п. Озёрный"),
}


@dataclass
class Scenario:
    """A scenario school: what it demonstrates and the fail shares that make it so.

    ``targets[year][procedure][subject]`` is the pooled fail share to impose (ВПР pooled
    over grades 5–8), or ``(failed, participants)`` for an exact pair. Every other
    group of русский язык / математика in the rules' scope is kept below 10 %.
    ``status`` is the designed status per year (Методика, §3.4).
    """

    title: str
    story: str
    latent: tuple[float, float, float]  # social context, teacher resource, school effect
    # (for the ШНСУ schools the social passport itself is set in SHNSU_SHARES)
    status: dict[int, str]
    targets: dict = field(default_factory=dict)


SCENARIOS: dict[str, Scenario] = {
    "3": Scenario(
        "ШНОР in 2023, leaves the list in 2024",
        "ВПР and ОГЭ математика both ≥ 30 % in 2023 (branch A). In 2024 ВПР improves to "
        "10–30 %: the school leaves ШНОР but stays in the зона риска (ВПР ≥ 10 % in 2023 "
        "and 2024).",
        (-1.2, -0.8, -0.5),
        {2022: "", 2023: "ШНОР", 2024: "зона риска"},
        {
            2022: {"ВПР": {MATH: 0.20}},
            2023: {"ВПР": {MATH: 0.38, RUS: 0.24}, "ОГЭ": {MATH: 0.33}},
            2024: {"ВПР": {MATH: 0.18}},
        },
    ),
    "7": Scenario(
        "ШНОР by branch B only (ВПР in consecutive years)",
        "ВПР 5–8 математика ≥ 30 % in 2022, 2023 and 2024; every other procedure clearly "
        "below 30 %. In 2022 (no 2021 data) only зона риска (ВПР and ОГЭ ≥ 10 %).",
        (-1.5, -0.9, -0.6),
        {2022: "зона риска", 2023: "ШНОР", 2024: "ШНОР"},
        {
            2022: {"ВПР": {MATH: 0.34}, "ОГЭ": {MATH: 0.12}},
            2023: {"ВПР": {MATH: 0.36}},
            2024: {"ВПР": {MATH: 0.33}, "ОГЭ": {MATH: 0.14}},
        },
    ),
    "8": Scenario(
        "Non-objective result: one parallel jumps (parallel_jump)",
        "ВПР 2024 математика, grade 7: the fail share is ≥ 35 percentage points above "
        "grades 5, 6 and 8 (like school 26 of seed 004). Its pooled ВПР share passes 10 % "
        "in 2024 only, so the school has no status.",
        (0.2, 0.1, 0.0),
        {2022: "", 2023: "", 2024: ""},
    ),
    "11": Scenario(
        "ШНОР by branch A only (ВПР + ОГЭ), new in 2024",
        "2023: ВПР and ОГЭ математика 10–30 % — зона риска. 2024: both ≥ 30 % — ШНОР by "
        "branch A; no procedure reached 30 % in 2023, so not branch B.",
        (-1.3, -1.0, -0.4),
        {2022: "", 2023: "зона риска", 2024: "ШНОР"},
        {2023: {"ВПР": {MATH: 0.14}, "ОГЭ": {MATH: 0.12}}, 2024: {"ВПР": {MATH: 0.36, RUS: 0.24}, "ОГЭ": {MATH: 0.34}}},
    ),
    "12": Scenario(
        "Non-objective result: «Повысили» ≥ 20 % and inflated ВПР marks, weak ОГЭ",
        "ВПР 2024 (русский язык and математика, grades 4–8): mostly «5» and «Повысили» "
        "≥ 20 % of participants (journal_mismatch, inflated), while ОГЭ математика weakens "
        "three years running — зона риска in 2023 and 2024 (one procedure ≥ 10 % in two "
        "consecutive years).",
        (-0.9, -0.6, -0.3),
        {2022: "", 2023: "зона риска", 2024: "зона риска"},
        {2022: {"ОГЭ": {MATH: 0.11}}, 2023: {"ОГЭ": {MATH: 0.16}}, 2024: {"ОГЭ": {MATH: 0.22, RUS: 0.12}}},
    ),
    "13": Scenario(
        "Isolated blip: not зона риска",
        "ОГЭ 2023 математика 10–30 %, but one procedure in one year only: neither ШНОР nor зона риска.",
        (-0.4, -0.2, -0.1),
        {2022: "", 2023: "", 2024: ""},
        {2023: {"ОГЭ": {MATH: 0.12}}},
    ),
    "14": Scenario(
        "ШНОР + ШНСУ (both branches)",
        "Very unfavourable social context (ИСБШ group 1) and persistently low results: ВПР "
        "≥ 30 % in all three years, ОГЭ ≥ 30 % in 2022 and 2024 — branch A in 2022, B in "
        "2023, A and B in 2024.",
        (-2.2, -1.2, -0.6),
        {2022: "ШНОР+ШНСУ", 2023: "ШНОР+ШНСУ", 2024: "ШНОР+ШНСУ"},
        {
            2022: {"ВПР": {MATH: 0.38, RUS: 0.31}, "ОГЭ": {MATH: 0.32}},
            2023: {"ВПР": {MATH: 0.35, RUS: 0.22}, "ОГЭ": {MATH: 0.18}},
            2024: {"ВПР": {MATH: 0.37, RUS: 0.26}, "ОГЭ": {MATH: 0.34}},
        },
    ),
    "17": Scenario(
        "Зона риска: two procedures at 10–30 % in one year",
        "2024: ВПР русский язык and ЕГЭ математика both between 10 % and 30 %.",
        (-0.8, -0.5, -0.3),
        {2022: "", 2023: "", 2024: "зона риска"},
        {2024: {"ВПР": {RUS: 0.16}, "ЕГЭ": {MATH: 0.12}}},
    ),
    "18": Scenario(
        "Trap: other subjects fail heavily",
        "ВПР история, биология, география, окружающий мир and ОГЭ обществознание ≥ 30 % in "
        "2023 and 2024, русский язык and математика fine: the rules ignore other subjects, "
        "so no status (counting them would make it ШНОР).",
        (0.0, 0.0, 0.0),
        {2022: "", 2023: "", 2024: ""},
    ),
    "19": Scenario(
        "ШНОР by branch A only (ОГЭ + ЕГЭ), sudden in 2024",
        "Unremarkable until 2023; in 2024 ОГЭ русский язык and ЕГЭ математика ≥ 30 %.",
        (-1.0, -0.7, -0.5),
        {2022: "", 2023: "", 2024: "ШНОР"},
        {2024: {"ОГЭ": {RUS: 0.31}, "ЕГЭ": {MATH: 0.33}}},
    ),
    "22": Scenario(
        "Edge case: exactly 30 %",
        "ОГЭ 2024 математика: exactly 18 of 60 = 30 %. The threshold is inclusive (≥ 0.30), "
        "so together with ВПР ≥ 30 % the school is ШНОР by branch A. A strict «>» would "
        "leave it in the зона риска only.",
        (-1.2, -0.8, -0.4),
        {2022: "", 2023: "", 2024: "ШНОР"},
        {2024: {"ВПР": {MATH: 0.34}, "ОГЭ": {MATH: (18, 60)}}},
    ),
    "23": Scenario(
        "Trap: grade 4 is outside the rule",
        "ВПР 2024 математика: grades 5–8 together just under 30 %, grade 4 about 45 %. "
        "Pooling grade 4 in would give ≥ 30 % and make the school ШНОР; correctly it is "
        "зона риска (ОГЭ ≥ 30 % and ВПР ≥ 10 % in one year).",
        (-1.0, -0.6, -0.4),
        {2022: "", 2023: "", 2024: "зона риска"},
        {2024: {"ВПР": {MATH: 0.28}, "ОГЭ": {MATH: 0.33}}},
    ),
    "30": Scenario(
        "ШНОР by branch B only (ОГЭ in consecutive years), rural",
        "ОГЭ математика ≥ 30 % in 2022, 2023 and 2024 with 7–8 pupils in grade 9 (≥ 5, so "
        "the group counts); ВПР and ЕГЭ clearly below 30 %. 2022: зона риска only (no 2021 "
        "data).",
        (-1.5, -1.0, -0.6),
        {2022: "зона риска", 2023: "ШНОР", 2024: "ШНОР"},
        {
            2022: {"ОГЭ": {MATH: 0.33}, "ВПР": {MATH: 0.11}},
            2023: {"ОГЭ": {MATH: 0.36}},
            2024: {"ОГЭ": {MATH: 0.38, RUS: 0.20}},
        },
    ),
    "33": Scenario(
        "ШНСУ with зона риска results",
        "ИСБШ group 1; ВПР математика 10–30 % in 2022–2024. Status «ШНСУ»; the risk_zone "
        "flag is set in 2023 and 2024 (Методика, §3.4).",
        (-2.0, -0.8, -0.3),
        {2022: "ШНСУ", 2023: "ШНСУ", 2024: "ШНСУ"},
        {2022: {"ВПР": {MATH: 0.12}}, 2023: {"ВПР": {MATH: 0.15}}, 2024: {"ВПР": {MATH: 0.18}}},
    ),
    "36": Scenario(
        "ШНСУ, resilient",
        "ИСБШ group 1, yet good results (every fail share < 10 %, no «2» on ОГЭ): the "
        "quality model should place it above its prediction (резильентная).",
        (-2.0, 0.5, 1.3),
        {2022: "ШНСУ", 2023: "ШНСУ", 2024: "ШНСУ"},
    ),
    "38": Scenario(
        "Too few participants (мало участников)",
        "Small rural ООШ: ОГЭ 2023 with 4 pupils (2 fail математика), ОГЭ 2024 with 3 pupils "
        "(2 fail both subjects). Groups under 5 participants never trigger: no status, the "
        "report says «мало участников» (with min_participants 1 it would be ШНОР by branch B).",
        (-1.0, -0.5, 0.0),
        {2022: "", 2023: "", 2024: ""},
        {2023: {"ОГЭ": {MATH: (2, 4), RUS: (1, 4)}}, 2024: {"ОГЭ": {MATH: (2, 3), RUS: (2, 3)}}},
    ),
}

# Social passports of the ШНСУ schools, as shares of students (outliers by design, so that
# they stay in ИСБШ groups 1–2 after standardisation over the 40 schools).
SHNSU_SHARES = {
    "14": dict(he=0.03, sp=0.40, nn=0.13, reg=0.045, un=0.20, ovz=0.08),
    "33": dict(he=0.02, sp=0.38, nn=0.10, reg=0.050, un=0.26, ovz=0.09),
    "36": dict(he=0.02, sp=0.42, nn=0.18, reg=0.040, un=0.28, ovz=0.07),
}

# Cohort overrides: {school: {year of entry to grade 1: pupils}}.
COHORT_OVERRIDES = {
    "22": {2016: 60},  # grade 9 in 2024: exactly 60 ОГЭ participants
    "38": {2015: 4, 2016: 3},  # grade 9 in 2023 / 2024: 4 and 3 pupils
    "4": {2019: 84},  # grade 6 in 2024: the percentage row (80 participants)
}

# Row-level defects of the 2024 results (ordinary schools; Методика, §10 quarantine).
DEFECTS = {
    ("4", "ВПР", RUS, 6): "percent",  # marks written as percentages, 80 participants
    ("10", "ВПР", MATH, 7): "short3",  # marks add up to 3 less than participants
    ("16", "ВПР", RUS, 8): "blank5",  # «5» left blank, the rest do not add up
    ("20", "ОГЭ", MATH, 9): "over2",  # marks add up to 2 more than participants
}
STRICT = {sid for sid, *_ in DEFECTS}  # keep them far from every threshold

SUPPORT_SINCE = {}  # filled from the designed statuses: first year in ШНОР ∪ ШНСУ
for _sid, _sc in SCENARIOS.items():
    _years = [y for y in YEARS if _sc.status[y] in ("ШНОР", "ШНСУ", "ШНОР+ШНСУ")]
    if _years:
        SUPPORT_SINCE[_sid] = _years[0]


@dataclass
class School:
    sid: str
    name: str
    kind: str
    territory: str
    social: float
    teacher: float
    effect: float
    cohort: dict[int, int] = field(default_factory=dict)  # entry year -> pupils
    ability: dict[int, float] = field(default_factory=dict)

    @property
    def top_grade(self) -> int:
        return 9 if self.kind == "ООШ" else 11

    @property
    def rural(self) -> bool:
        return self.territory == "село"

    def grade_size(self, grade: int, year: int) -> int:
        size = self.cohort[year - grade + 1]
        if grade >= 10:
            lo, hi = (3, 12) if self.rural else (42, 80)
            size = int(np.clip(round(0.62 * size), lo, hi))
        return size

    def students(self, year: int) -> int:
        return sum(self.grade_size(g, year) for g in range(1, self.top_grade + 1))


def build_schools(rng: np.random.Generator) -> list[School]:
    """The 40 schools with their latent context and their cohorts by year of entry."""
    schools = []
    for num in range(1, 41):
        sid = str(num)
        if num <= 24:
            territory = "город"
            kind = URBAN_SPECIAL.get(sid, "СОШ")
            form = "МАОУ" if sid in MAOU else "МБОУ"
            name = f"{form} {kind} № {num}"
            if sid == "20":
                name += " с УИОП"
        else:
            territory = "село"
            kind, place = RURAL[sid]
            form = "МКОУ" if kind == "ООШ" else "МБОУ"
            name = f"{form} {kind} {place}"
        elite = kind in ("гимназия", "лицей")
        s = float(np.clip(rng.normal(0, 0.7) + 0.9 * elite - 0.4 * (territory == "село"), -1.6, 2.0))
        t = float(np.clip(rng.normal(0, 0.8) + 0.6 * elite - 0.3 * (territory == "село"), -2.0, 2.0))
        u = float(rng.normal(0, 0.3) + 0.3 * elite)
        if sid in SCENARIOS:
            s, t, u = SCENARIOS[sid].latent
        if sid == "4":  # the percentage row needs a solid school
            s, t, u = 0.4, 0.3, 0.2
        school = School(sid, name, kind, territory, s, t, u)
        if territory == "город":
            base = rng.uniform(70, 110) if elite else rng.uniform(46, 60) if kind == "ООШ" else rng.uniform(46, 110)
            lo, hi = 44, 120
        else:
            base = rng.uniform(5, 18)
            lo, hi = 4, 20
        for entry in range(2012, 2025):
            school.cohort[entry] = int(np.clip(round(base * rng.uniform(0.88, 1.12)), lo, hi))
        school.cohort.update(COHORT_OVERRIDES.get(sid, {}))
        drift = 0.0
        for year in YEARS:
            drift += rng.normal(0, 0.12)
            school.ability[year] = 0.55 * s + 0.35 * t + u + drift
        schools.append(school)
    return schools


# --------------------------------------------------------------------------- social, staff


def social_rows(schools: list[School], rng: np.random.Generator) -> tuple[dict[int, list[list]], dict]:
    """Social passport counts per year, driven by the latent social context."""
    shares = {}
    for sc in schools:
        if sc.sid in SHNSU_SHARES:
            shares[sc.sid] = dict(SHNSU_SHARES[sc.sid])
            continue
        s, rural = sc.social, sc.rural
        shares[sc.sid] = dict(
            he=float(np.clip((0.12 if rural else 0.22) + 0.10 * s + rng.normal(0, 0.015), 0.03, 0.65)),
            sp=float(np.clip(0.19 - 0.045 * s + rng.normal(0, 0.02), 0.05, 0.40)),
            nn=float(np.clip(0.035 - 0.012 * s + rng.normal(0, 0.012), 0.0, 0.25)),
            reg=float(np.clip(0.012 - 0.006 * s + rng.normal(0, 0.0025), 0.003, 0.05)),
            un=float(np.clip(0.045 - 0.025 * s + 0.02 * rural + rng.normal(0, 0.008), 0.008, 0.30)),
            ovz=float(np.clip(0.045 - 0.008 * s + rng.normal(0, 0.012), 0.005, 0.20)),
        )
    out = {}
    for year in YEARS:
        rows = []
        for sc in schools:
            n = sc.students(year)
            counts = []
            for key in ("he", "sp", "nn", "reg", "un", "ovz"):
                share = shares[sc.sid][key] * (1 + rng.normal(0, 0.06))
                counts.append(int(np.clip(round(share * n), 0, n)))
            rows.append([sc.sid, n, *counts])
        out[year] = rows
    return out, shares


def teacher_rows(schools: list[School], rng: np.random.Generator) -> dict[int, list[list]]:
    """Staffing counts per year, driven by the latent teacher resource."""
    base = {}
    for sc in schools:
        t, rural = sc.teacher, sc.rural
        base[sc.sid] = dict(
            ratio=rng.uniform(6, 9) if rural else rng.uniform(13, 16),
            he=float(np.clip(0.86 + 0.05 * t - 0.1 * rural + rng.normal(0, 0.03), 0.5, 1.0)),
            vkk=float(np.clip(0.27 + 0.08 * t + rng.normal(0, 0.04), 0.02, 0.6)),
            kk1=float(np.clip(0.33 + 0.03 * t + rng.normal(0, 0.04), 0.1, 0.5)),
            szd=float(rng.uniform(0.4, 0.8)),
            exp=float(np.clip(0.66 + 0.05 * t + rng.normal(0, 0.05), 0.3, 0.95)),
            vac=max(0.1, 0.7 + 0.6 * rural - 0.5 * t),
        )
    out = {}
    for year in YEARS:
        rows = []
        for sc in schools:
            b = base[sc.sid]
            total = max(8 if sc.rural else 25, round(sc.students(year) / b["ratio"]))

            def part(share: float, total: int = total) -> int:
                return int(np.clip(round(total * (share + rng.normal(0, 0.015))), 0, total))

            he, vkk, kk1 = part(b["he"]), part(b["vkk"]), part(b["kk1"])
            kk1 = min(kk1, total - vkk)
            szd = int(round((total - vkk - kk1) * b["szd"]))
            exp = part(b["exp"])
            vac = int(min(6, rng.poisson(b["vac"])))
            rows.append([sc.sid, total, he, vkk, kk1, szd, exp, vac])
        out[year] = rows
    return out


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    sid: str
    year: int
    proc: str
    subject: str
    grade: int
    participants: int
    marks: list[int] | None = None  # n2, n3, n4, n5 (ВПР/ОГЭ)
    failed: int | None = None  # ЕГЭ
    high: int | None = None
    mean_base: float = 0.0
    journal: list[int] | None = None  # понизили, подтвердили, повысили (ВПР)
    written_marks: list | None = None  # what the file shows, when it differs (defects)

    @property
    def fails(self) -> int:
        return self.failed if self.proc == "ЕГЭ" else self.marks[0]

    def set_fails(self, f: int) -> None:
        """Set the number failing; the other marks keep their proportions."""
        f = int(min(max(f, 0), self.participants))
        if self.proc == "ЕГЭ":
            self.failed = f
            self.high = min(self.high, self.participants - f)
            return
        rest = self.marks[1:]
        weights = [max(x, 0) + 0.01 for x in rest] if sum(rest) > 0 else [0.55, 0.33, 0.12]
        self.marks = [f, *allocate(self.participants - f, weights)]


def allocate(total: int, weights, caps=None) -> list[int]:
    """Split an integer total proportionally to weights (largest remainder), within caps."""
    w = np.asarray(weights, dtype=float)
    n = len(w)
    caps = np.full(n, np.inf) if caps is None else np.asarray(caps, dtype=float)
    out = np.zeros(n, dtype=int)
    left = int(total)
    active = np.ones(n, dtype=bool)
    while left > 0 and active.any():
        ww = np.where(active, w, 0.0)
        if ww.sum() <= 0:
            ww = active.astype(float)
        raw = left * ww / ww.sum()
        add = np.floor(raw).astype(int)
        rem = left - add.sum()
        order = np.argsort(-(raw - add), kind="stable")
        for i in order[:rem]:
            add[i] += 1
        room = (caps - out).astype(float)
        add = np.minimum(add, np.where(active, room, 0)).astype(int)
        out += add
        left -= int(add.sum())
        active &= out < caps
        if add.sum() == 0:
            break
    return [int(x) for x in out]


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mark_probs(eta: float, cuts) -> list[float]:
    c = [sig(k - eta) for k in cuts]
    return [c[0], c[1] - c[0], c[2] - c[1], 1 - c[2]]


def natural_results(schools: list[School], rng: np.random.Generator) -> list[Row]:
    """Mark distributions from the ordinal-logit model, before any override."""
    rows = []
    for year in YEARS:
        for sc in schools:
            a = sc.ability[year]
            for grade, subjects in VPR_SUBJECTS.items():
                size = sc.grade_size(grade, year)
                for subj in subjects:
                    absent = rng.binomial(size, 0.04 if sc.rural else 0.06)
                    n = max(min(size, 3 if sc.rural else 40), size - absent)
                    if sc.sid == "4" and year == 2024 and grade == 6 and subj == RUS:
                        n = 80
                    eta = a + SUBJECT_EFFECT[subj] + 0.5 * (grade == 4) + rng.normal(0, 0.12)
                    marks = rng.multinomial(n, mark_probs(eta, CUTS["ВПР"])).tolist()
                    rows.append(Row(sc.sid, year, "ВПР", subj, grade, n, marks))
            size9 = sc.grade_size(9, year)
            for subj in OGE_SUBJECTS:
                if subj in CORE:
                    n, cuts = size9, CUTS["ОГЭ"]
                else:
                    n, cuts = max(1, round(size9 * rng.uniform(0.45, 0.7))), OGE_ELECTIVE_CUTS
                eta = 1.3 * a + SUBJECT_EFFECT[subj] + rng.normal(0, 0.12)  # ОГЭ separates more
                marks = rng.multinomial(n, mark_probs(eta, cuts)).tolist()
                rows.append(Row(sc.sid, year, "ОГЭ", subj, 9, n, marks))
            if sc.top_grade == 11:
                n = sc.grade_size(11, year)
                for subj in EGE_SUBJECTS:
                    failed = int(rng.binomial(n, sig(-3.6 - a)))
                    high_p = sig((-1.5 if subj == RUS else -2.8) + 0.9 * a)
                    high = int(rng.binomial(n - failed, high_p))
                    mean = (68.0 if subj == RUS else 52.0) + (6.0 if subj == RUS else 7.0) * a
                    mean += rng.normal(0, 2.0)
                    rows.append(Row(sc.sid, year, "ЕГЭ", subj, 11, n, None, failed, high, mean))
    return rows


class Results:
    """Rows indexed by key, with the group views the generator needs."""

    def __init__(self, rows: list[Row]):
        self.rows = rows
        self.by_key = {(r.sid, r.year, r.proc, r.subject, r.grade): r for r in rows}

    def get(self, sid, year, proc, subj, grade) -> Row | None:
        return self.by_key.get((sid, year, proc, subj, grade))

    def scope(self, sid, year, proc, subj) -> list[Row]:
        return [r for g in SCOPE_GRADES[proc] if (r := self.get(sid, year, proc, subj, g))]

    def vpr_subject(self, sid, year, subj) -> list[Row]:
        return [r for g in VPR_SUBJECTS if (r := self.get(sid, year, "ВПР", subj, g))]


def pooled(rows: list[Row]) -> tuple[int, int]:
    return sum(r.fails for r in rows), sum(r.participants for r in rows)


def set_group_fails(rows: list[Row], total: int, rng: np.random.Generator) -> None:
    """Impose a pooled number failing, spread over the grades with a little noise."""
    weights = [r.participants * rng.uniform(0.85, 1.15) for r in rows]
    parts = allocate(total, weights, [r.participants for r in rows])
    for r, f in zip(rows, parts, strict=True):
        r.set_fails(f)


def lower_group(rows: list[Row], below: Fraction, rng: np.random.Generator) -> None:
    """Lower a group's pooled fail share to a random level clearly under ``below``."""
    f, n = pooled(rows)
    if n == 0 or Fraction(f, n) < below:
        return
    target = int(math.floor(float(below) * n * rng.uniform(0.3, 0.92)))
    while Fraction(target, n) >= below:
        target -= 1
    while pooled(rows)[0] > target:
        worst = max(rows, key=lambda r: (r.fails / r.participants, -r.grade))
        worst.set_fails(worst.fails - 1)


def target_count(share, n: int) -> int:
    """Failing count for a target share, kept on the same side of 10 % and 30 %."""
    f = int(round(share * n))
    band = 2 if share >= 0.3 else 1 if share >= 0.1 else 0
    lo = {2: THRESH_SHNOR, 1: THRESH_RISK, 0: Fraction(0)}[band]
    hi = {2: Fraction(1), 1: THRESH_SHNOR, 0: THRESH_RISK}[band]
    while Fraction(f, n) < lo:
        f += 1
    while Fraction(f, n) >= hi and band < 2:
        f -= 1
    return f


def repair_jumps(rows: list[Row], limit: float = 0.20) -> None:
    """Flatten accidental parallel jumps of natural data (a grade far from the others)."""
    while len(rows) > 1:
        worst, diff = None, 0.0
        for r in rows:
            others = [o for o in rows if o is not r]
            fo, no = pooled(others)
            if no == 0 or r.participants == 0:
                continue
            d = r.fails / r.participants - fo / no
            if abs(d) > abs(diff):
                worst, diff = r, d
        if worst is None or abs(diff) < limit:
            return
        if diff > 0:
            worst.set_fails(worst.fails - 1)
        else:
            top = max((o for o in rows if o is not worst), key=lambda o: o.fails / o.participants)
            top.set_fails(top.fails - 1)


def triggered(res: Results, sid: str, year: int, proc: str, level: Fraction) -> float | None:
    """Largest core-subject pooled share ≥ level with enough participants, else None."""
    best = None
    for subj in CORE:
        f, n = pooled(res.scope(sid, year, proc, subj))
        if n >= MIN_PARTICIPANTS and Fraction(f, n) >= level:
            best = max(best or 0.0, f / n)
    return best


def shape_results(schools: list[School], rows: list[Row], rng: np.random.Generator) -> Results:
    """Apply scenario targets, keep ordinary schools unremarkable, add the special cases."""
    res = Results(rows)
    for year in YEARS:
        for sc in schools:
            for subj in SUBJECT_ORDER:
                repair_jumps(res.vpr_subject(sc.sid, year, subj))

    for sc in schools:
        scen = SCENARIOS.get(sc.sid)
        prev: set[str] = set()
        for year in YEARS:
            targets = scen.targets.get(year, {}) if scen else {}
            for proc in PROCS:
                for subj in CORE:
                    group = res.scope(sc.sid, year, proc, subj)
                    if not group:
                        continue
                    goal = targets.get(proc, {}).get(subj)
                    if goal is None:
                        if scen or sc.sid in STRICT:
                            lower_group(group, Fraction(7, 100) if sc.sid in STRICT else THRESH_RISK, rng)
                        else:
                            lower_group(group, BLIP_MAX, rng)
                        continue
                    if isinstance(goal, tuple):
                        f, n = goal
                        assert pooled(group)[1] == n, (sc.sid, year, proc, subj, pooled(group))
                    else:
                        f = target_count(goal, pooled(group)[1])
                    set_group_fails(group, f, rng)
            if scen or sc.sid in STRICT:
                continue
            # Ordinary school: at most one procedure ≥ 10 % in a year, never two years running.
            shares = {p: triggered(res, sc.sid, year, p, THRESH_RISK) for p in PROCS}
            keep = [p for p in PROCS if shares[p] is not None and p not in prev]
            keep = {max(keep, key=lambda p: shares[p])} if keep and rng.random() < BLIP_KEEP else set()
            for proc in PROCS:
                if shares[proc] is not None and proc not in keep:
                    for subj in CORE:
                        lower_group(res.scope(sc.sid, year, proc, subj), THRESH_RISK, rng)
            prev = keep

    align_grade4(schools, res)
    special_cases(res, rng)
    add_journal(res, rng)
    for r in res.rows:
        if r.proc == "ЕГЭ":
            r.mean_base = float(np.clip(r.mean_base - 30.0 * r.failed / r.participants, 25.0, 92.0))
    return res


def align_grade4(schools: list[School], res: Results, band: float = 0.15) -> None:
    """Keep grade 4 (outside the rules) near the school's grades 5–8 after the overrides.

    A weak school is weak in grade 4 too; without this, imposing a share on grades 5–8
    would leave grade 4 looking like a parallel jump that nobody designed.
    """
    for year in YEARS:
        for sc in schools:
            for subj in CORE:
                f58, n58 = pooled(res.scope(sc.sid, year, "ВПР", subj))
                r4 = res.get(sc.sid, year, "ВПР", subj, 4)
                if not n58 or not r4:
                    continue
                p58, p4 = f58 / n58, r4.fails / r4.participants
                if abs(p4 - p58) > band:
                    lo = max(0.0, p58 - band)
                    hi = min(1.0, p58 + band)
                    r4.set_fails(round(min(max(p4, lo), hi) * r4.participants))


def special_cases(res: Results, rng: np.random.Generator) -> None:
    """Scenarios that are not a pooled share: jumps, inflation, other subjects, grade 4."""
    # 8: one parallel far above the others (ВПР 2024, математика, 7 класс).
    rows = res.vpr_subject("8", 2024, MATH)
    for r in rows:
        if r.grade == 7:
            r.set_fails(round(0.46 * r.participants))
        elif r.fails / r.participants > 0.07:
            r.set_fails(math.floor(0.06 * r.participants))

    # 12: ВПР 2024 with many «5» (the journal columns are set in add_journal).
    for grade in VPR_SUBJECTS:
        for subj in CORE:
            r = res.get("12", 2024, "ВПР", subj, grade)
            n = r.participants
            n2 = min(1, n)
            n5 = round(n * rng.uniform(0.56, 0.63))
            n4 = round(n * rng.uniform(0.27, 0.32))
            r.marks = [n2, n - n2 - n5 - n4, n4, n5]

    # 18: other subjects fail heavily; the rules must ignore them.
    for year, level in ((2023, 0.34), (2024, 0.37)):
        for r in res.vpr_subject("18", year, "история") + res.vpr_subject("18", year, "биология"):
            r.set_fails(round(level * r.participants))
        for subj, lvl in (("география", 0.38), ("окружающий мир", 0.31)):
            for r in res.vpr_subject("18", year, subj):
                r.set_fails(round(lvl * r.participants))
        r = res.get("18", year, "ОГЭ", "обществознание", 9)
        r.set_fails(round((level + 0.03) * r.participants))

    # 23: grade 4 high enough that pooling it with 5–8 would reach 30 %.
    group = res.scope("23", 2024, "ВПР", MATH)
    f58, n58 = pooled(group)
    r4 = res.get("23", 2024, "ВПР", MATH, 4)
    f4 = 0
    while Fraction(f58 + f4, n58 + r4.participants) < Fraction(31, 100):
        f4 += 1
    r4.set_fails(f4)


def add_journal(res: Results, rng: np.random.Generator) -> None:
    """FIS OKO columns (понизили / подтвердили / повысили) as counts summing to participants."""
    for r in res.rows:
        if r.proc != "ВПР":
            continue
        n = r.participants
        if r.sid == "12" and r.year == 2024 and r.subject in CORE:
            raised = round(n * rng.uniform(0.24, 0.32))
            lowered = round(n * rng.uniform(0.02, 0.05))
        else:
            share2 = r.marks[0] / n if n else 0.0
            raised = round(n * rng.uniform(0.01, 0.07))
            lowered = round(n * (0.12 + 0.6 * share2 + rng.uniform(0.0, 0.10)))
            lowered = max(0, min(lowered, n - raised - math.ceil(0.55 * n)))
        r.journal = [lowered, n - lowered - raised, raised]


def apply_defects(res: Results) -> None:
    """Damage four 2024 rows the way real forms are damaged (kept visible in the file)."""
    for (sid, proc, subj, grade), kind in DEFECTS.items():
        r = res.get(sid, 2024, proc, subj, grade)
        m = list(r.marks)
        if kind == "percent":
            assert r.participants == 80
            r.marks = [4, 30, 36, 10]
            r.journal = [20, 56, 4]
            r.written_marks = [round(100 * x / 80, 1) for x in r.marks]  # 5,0 37,5 45,0 12,5
        elif kind == "short3":
            assert m[1] >= 3
            m[1] -= 3
            r.written_marks = m
        elif kind == "blank5":
            assert m[3] >= 3
            r.written_marks = [m[0], m[1], m[2], None]
        elif kind == "over2":
            m[2] += 2
            r.written_marks = m


# --------------------------------------------------------------------------- monitoring

MONITORING_FIELDS = (
    ("teachers_total", "Всего педагогов"),
    ("teachers_diagnosed", "Прошли диагностику дефицитов"),
    ("teachers_diag_subject", "Диагностика: предметные"),
    ("teachers_diag_method", "Диагностика: методические"),
    ("teachers_diag_psych", "Диагностика: психолого-педагогические"),
    ("teachers_method_support", "Получили методическую поддержку"),
    ("teachers_network_mo", "Включены в сетевые МО"),
    ("teachers_method_active", "В методическом активе"),
    ("teachers_iom", "Имеют ИОМ"),
    ("diag_level_a", "Уровень A"),
    ("diag_level_b", "Уровень B"),
    ("diag_level_c", "Уровень C"),
    ("diag_level_d", "Уровень D"),
    ("students_total", "Число обучающихся"),
    ("students_iup", "Обучающихся с ИУП"),
    ("students_tutor", "С тьюторской поддержкой"),
    ("has_curator", "Закреплён куратор"),
    ("has_leader_school", "Закреплена школа-лидер"),
    ("has_shppko", "Есть ШППКО"),
    ("has_failure_prevention", "Программа профилактики неуспешности"),
    ("risk_internet_solved", "Риск: интернет устранён"),
    ("risk_computers_solved", "Риск: компьютерная техника устранён"),
    ("risk_staff_solved", "Риск: кадровый дефицит устранён"),
)


def yn(flag: bool) -> str:
    return "да" if flag else "нет"


def monitoring_rows(schools, teachers, rng) -> dict[int, list[list]]:
    """Monitoring form: support coverage grows with the years a school has been supported."""
    # Year from which something holds (2021 = before the period, 2025 = not yet), drawn once
    # per school so that a solved risk or an adopted programme stays so in later years.
    since = {}
    for sc in schools:
        weak = sc.social < -1.0 or sc.sid in SUPPORT_SINCE
        span = [2021, 2022, 2023, 2024, 2025]
        since[sc.sid] = dict(
            internet=int(rng.choice(span)) if sc.rural else 2021,
            computers=int(rng.choice(span)) if (sc.rural or weak) else int(rng.choice([2021, 2021, 2022])),
            shppko=int(rng.choice([2022, 2023, 2024, 2025, 2025, 2025, 2025, 2025])),
            prevention=int(rng.choice([2021, 2022, 2023, 2024, 2025, 2025])),
        )
    out = {}
    for year in YEARS:
        staff = {row[0]: row for row in teachers[year]}
        rows = []
        for sc in schools:
            total, vacancies = staff[sc.sid][1], staff[sc.sid][7]
            first = SUPPORT_SINCE.get(sc.sid)
            k = year - first + 1 if first and year >= first else 0  # years in support
            scen = SCENARIOS.get(sc.sid)
            risk = bool(scen and scen.status[year] == "зона риска")
            diag_rate = {
                0: rng.uniform(0.05, 0.30) + 0.08 * (year - 2022),
                1: rng.uniform(0.45, 0.60),
                2: rng.uniform(0.70, 0.85),
                3: rng.uniform(0.90, 1.00),
            }[k]
            diagnosed = min(total, round(total * diag_rate))
            d_subject = diagnosed
            d_method = round(diagnosed * rng.uniform(0.6, 0.9))
            d_psych = round(diagnosed * rng.uniform(0.3, 0.6))
            support = min(
                total,
                round(
                    total
                    * ((0.05 + 0.25 * rng.random()) if k == 0 else {1: 0.35, 2: 0.60, 3: 0.85}[k] + rng.uniform(0, 0.1))
                ),
            )
            network = min(
                total,
                round(
                    total
                    * ((0.05 + 0.2 * rng.random()) if k == 0 else {1: 0.20, 2: 0.45, 3: 0.60}[k] + rng.uniform(0, 0.1))
                ),
            )
            elite = sc.kind in ("гимназия", "лицей")
            active = int(rng.integers(3, 7)) if elite else int(rng.integers(0, 3))
            iom = round(diagnosed * (rng.uniform(0.5, 0.9) if k else rng.uniform(0.1, 0.4)))
            probs = [0.15, 0.35, 0.35, 0.15] if (k or risk) else [0.05, 0.20, 0.45, 0.30]
            levels = rng.multinomial(diagnosed, probs).tolist()
            n = sc.students(year)
            iup = round(n * (rng.uniform(0.03, 0.08) if k else rng.uniform(0.005, 0.03)))
            tutor = round(n * (rng.uniform(0.01, 0.04) if k else rng.uniform(0.0, 0.015)))
            adopted = since[sc.sid]
            rows.append(
                [
                    sc.sid,
                    total,
                    diagnosed,
                    d_subject,
                    d_method,
                    d_psych,
                    support,
                    network,
                    active,
                    iom,
                    *levels,
                    n,
                    iup,
                    tutor,
                    yn(k > 0 or (risk and year >= 2023)),
                    yn(k >= 2 or (k == 1 and not sc.rural)),
                    yn(k >= 2 or adopted["shppko"] <= year),
                    yn(k > 0 or adopted["prevention"] <= year),
                    yn(adopted["internet"] <= year),
                    yn(adopted["computers"] <= year or k >= 2),
                    yn(vacancies == 0),
                ]
            )
        out[year] = rows
    return out


# --------------------------------------------------------------------------- risk profiles


def risk_profile_rows(schools, social, shares, teachers, res: Results, rng) -> dict[int, list[list]]:
    """FIOKO «500+» profiles: ten factors whose significance follows the school's context."""
    out = {}
    for year in YEARS:
        staff = {row[0]: row for row in teachers[year]}
        soc = {row[0]: row for row in social[year]}
        raw = []
        for sc in schools:
            st = staff[sc.sid]
            total = st[1]
            n = soc[sc.sid][1]
            fs = []
            for proc in PROCS:
                for subj in CORE:
                    f, m = pooled(res.scope(sc.sid, year, proc, subj))
                    if m:
                        fs.append(f / m)
            fail = max(fs) if fs else 0.0
            sh = shares[sc.sid]
            raw.append(
                [
                    0.8 * sc.rural - 0.4 * sc.social,  # 1 оснащение
                    st[7] / total * 10 + 0.3 * sc.rural,  # 2 кадры
                    -sc.teacher,  # 3 компетентность
                    -sc.ability[year] + 2 * fail,  # 4 адаптивность
                    -sc.teacher - 2 * (st[3] + 0.5 * st[4]) / total,  # 5 система ПК
                    3 * fail - 0.3 * sc.ability[year],  # 6 неуспешность
                    soc[sc.sid][7] / n,  # 7 ОВЗ
                    soc[sc.sid][4] / n,  # 8 языковые барьеры
                    -sc.social + 20 * sh["reg"],  # 9 среда
                    -sc.social + 2 * sh["sp"],  # 10 родители
                ]
            )
        x = np.asarray(raw)
        z = (x - x.mean(axis=0)) / x.std(axis=0)
        z += rng.normal(0, 0.25, size=z.shape)
        rows = []
        for i, sc in enumerate(schools):
            for k in range(10):
                level = "высокая" if z[i, k] > 0.9 else "средняя" if z[i, k] > -0.2 else "низкая"
                rows.append([sc.sid, k + 1, RISK_FACTORS[k + 1], level])
        out[year] = rows
    return out


# --------------------------------------------------------------------------- writing


def labels(stem: str) -> list[str]:
    return [c.label for c in CONTRACT[stem].columns]


def fmt(value, decimal: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yn(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", decimal)
    return str(value)


# Season formats, as real departments send them (Методика, §10 lists all of them).
FORMATS = {
    2022: dict(kind="csv", encoding="utf-8-sig", sep=",", decimal=".", newline="\n"),
    2023: dict(kind="csv", encoding="cp1251", sep=";", decimal=",", newline="\r\n"),
    2024: dict(kind="xlsx"),
}
RESULTS_2024 = dict(kind="csv", encoding="utf-8", sep=";", decimal=",", newline="\n")


def write_csv(path: Path, header, rows, encoding, sep, decimal, newline, **_):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([fmt(v, decimal) for v in row])
    path.write_bytes(buf.getvalue().encode(encoding))


def write_xlsx(path: Path, header, rows, **_):
    """One sheet, header in row 1, fixed properties and ZIP timestamps (byte-stable)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Лист1"
    ws.append(header)
    for row in rows:
        ws.append([int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v for v in row])
    for i, text in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, min(40, len(text) + 2))
    wb.properties.creator = "shnor scripts/make_demo.py"
    wb.properties.lastModifiedBy = "shnor scripts/make_demo.py"
    wb.properties.title = path.stem
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(wb, archive).save()  # not save_workbook(): it stamps the current time
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(out.getvalue())


def write_table(folder: Path, stem: str, header, rows, fmt_spec: dict) -> None:
    if fmt_spec["kind"] == "xlsx":
        write_xlsx(folder / f"{stem}.xlsx", header, rows)
    else:
        write_csv(folder / f"{stem}.csv", header, rows, **fmt_spec)


def result_sort_key(r: Row):
    return (int(r.sid), PROCS.index(r.proc), r.grade, SUBJECT_ORDER.index(r.subject))


def result_record(r: Row) -> list:
    marks = r.written_marks if r.written_marks is not None else r.marks
    if r.proc == "ЕГЭ":
        return [
            r.sid,
            r.proc,
            EGE_WRITTEN.get(r.subject, r.subject),
            r.grade,
            r.participants,
            None,
            None,
            None,
            None,
            r.failed,
            r.high,
            round(r.mean_base, 1),
            None,
            None,
            None,
        ]
    journal = r.journal if r.journal is not None else [None] * 3
    return [r.sid, r.proc, r.subject, r.grade, r.participants, *marks, None, None, None, *journal]


# --------------------------------------------------------------------------- README


def share_text(f: int, n: int) -> str:
    return f"{f} of {n} = {100 * f / n:.1f} %"


def proc_label(proc: str) -> str:
    return "ВПР 5–8" if proc == "ВПР" else proc


def core_max(sid: str, year: int, res: Results) -> str:
    """The largest fail share among русский язык / математика in the rules' scope."""
    best = max(
        (Fraction(*pooled(res.scope(sid, year, p, s))), p, s)
        for p in PROCS
        for s in CORE
        if pooled(res.scope(sid, year, p, s))[1] >= MIN_PARTICIPANTS
    )
    f, n = pooled(res.scope(sid, year, best[1], best[2]))
    return f"{year}: largest core share {proc_label(best[1])} {best[2]} {share_text(f, n)}"


def scenario_facts(sid: str, res: Results) -> list[str]:
    """Key numbers of a scenario school, read back from the generated rows."""
    facts = []
    scen = SCENARIOS[sid]
    for year, procs in sorted(scen.targets.items()):
        for proc, subjects in procs.items():
            for subj in subjects:
                f, n = pooled(res.scope(sid, year, proc, subj))
                facts.append(f"{proc_label(proc)} {year}, {subj}: {share_text(f, n)}")
    if sid == "8":
        for r in res.vpr_subject("8", 2024, MATH):
            facts.append(f"ВПР 2024, математика, grade {r.grade}: {share_text(r.fails, r.participants)}")
    if sid == "12":
        for grade in (5, 6, 7, 8):
            r = res.get("12", 2024, "ВПР", MATH, grade)
            mean = (2 * r.marks[0] + 3 * r.marks[1] + 4 * r.marks[2] + 5 * r.marks[3]) / r.participants
            facts.append(
                f"ВПР 2024, математика, grade {grade}: «5» {r.marks[3]} of {r.participants}, "
                f"mean mark {mean:.2f}, «Повысили» {r.journal[2]} of {r.participants}"
            )
    if sid == "18":
        for year in (2023, 2024):
            for subj in ("история", "биология"):
                f, n = pooled(res.vpr_subject("18", year, subj))
                facts.append(f"ВПР {year}, {subj} (ignored): {share_text(f, n)}")
            r = res.get("18", year, "ОГЭ", "обществознание", 9)
            facts.append(f"ОГЭ {year}, обществознание (ignored): {share_text(r.fails, r.participants)}")
            facts.append(core_max("18", year, res))
    if sid == "23":
        f58, n58 = pooled(res.scope("23", 2024, "ВПР", MATH))
        r4 = res.get("23", 2024, "ВПР", MATH, 4)
        facts.append(f"ВПР 2024, математика, grade 4 (ignored): {share_text(r4.fails, r4.participants)}")
        facts.append(
            f"ВПР 2024, математика, grades 4–8 pooled (the mistake to avoid): "
            f"{share_text(f58 + r4.fails, n58 + r4.participants)}"
        )
    if sid == "36":
        facts += [core_max(sid, year, res) for year in YEARS]
    return facts


def ordinary_blips(schools: list[School], res: Results) -> list[str]:
    """Ordinary schools whose core share passes 10 % once (isolated, so no status)."""
    out = []
    for sc in schools:
        if sc.sid in SCENARIOS:
            continue
        for year in YEARS:
            for proc in PROCS:
                for subj in CORE:
                    f, n = pooled(res.scope(sc.sid, year, proc, subj))
                    if n >= MIN_PARTICIPANTS and Fraction(f, n) >= THRESH_RISK:
                        out.append(f"{sc.sid} ({proc_label(proc)} {year}, {subj}: {share_text(f, n)})")
    return out


def readme_text(schools: list[School], res: Results) -> str:
    urban = sum(s.territory == "город" for s in schools)
    kinds = {k: sum(s.kind == k for s in schools) for k in ("СОШ", "ООШ", "гимназия", "лицей")}
    lines = [
        "# Демо-муниципалитет «Демо» (Демонстрационный муниципальный округ)",
        "",
        "Fictional data generated by `scripts/make_demo.py` (seed 20240901). Do not edit by hand:",
        "run `python scripts/make_demo.py` to regenerate this folder byte for byte. Every number",
        "quoted below is read back from the generated files by the script itself.",
        "",
        "## Municipality",
        "",
        f'40 schools, ids `"1"`…`"40"`: {urban} urban (город, ids 1–24, 400–1 200 pupils,',
        f"40–120 per grade) and {40 - urban} rural (село, ids 25–40, 40–250 pupils, 3–20 per grade).",
        f"Kinds: СОШ {kinds['СОШ']}, ООШ {kinds['ООШ']} (grades 1–9: no ЕГЭ, no grades 10–11),",
        f"гимназия {kinds['гимназия']}, лицей {kinds['лицей']}. Three seasons: 2022, 2023, 2024,",
        "each with all six contract files (`schools`, `results`, `social`, `teachers`,",
        "`monitoring`, `risk_profiles`), headers are the Russian labels of `shnor_lib/contract/schema.py`.",
        "",
        "How the data arise: every school has a latent social context (drives the social",
        "passport counts), a teacher resource (drives staffing) and a school effect that",
        "persists across years with a small drift; mark distributions follow from them with",
        "noise. Scenario schools get explicit fail counts; ordinary schools keep their natural",
        "results but are kept out of ШНОР and зона риска (at most an isolated one-year blip).",
        "",
        "results: ВПР grades 4–8 (русский язык, математика and other subjects — окружающий мир,",
        "история, биология, география, обществознание, физика, химия — which the rules ignore,",
        "as they ignore grade 4), with the FIS OKO columns Понизили / Подтвердили / Повысили as",
        "counts; ОГЭ grade 9 (русский язык, математика, обществознание); ЕГЭ grade 11 for",
        "СОШ / гимназия / лицей (русский язык, математика: Участников, Не преодолели порог,",
        "Высокий балл, Средний балл; Отметка 2–5 blank). risk_profiles: factors 1–10 (number in",
        "«Фактор риска», name in the extra column «Наименование фактора»).",
        "",
        "## File formats (on purpose, to exercise the loaders)",
        "",
        "| season | files | format |",
        "|---|---|---|",
        "| 2022 | all six | CSV, UTF-8 with BOM, separator `,`, decimal point, LF |",
        "| 2023 | all six | CSV, Windows-1251, separator `;`, decimal comma, CRLF |",
        "| 2024 | schools, social, teachers, monitoring, risk_profiles | XLSX, one sheet, header in row 1 |",
        "| 2024 | results | CSV, UTF-8 without BOM, separator `;`, decimal comma, LF |",
        "",
        "Counts are integers. The only decimals are ЕГЭ «Средний балл» and the percentage row below.",
        "",
        "## Expected statuses (default parameters)",
        "",
        "Thresholds 0.30 / 0.10, min_participants 5, ВПР grades 5–8, subjects русский язык and",
        "математика, ИСБШ groups 1–2 = ШНСУ. Schools not listed have no status in any year.",
        "",
        "| year | ШНОР | ШНСУ | зона риска (status) | ШНОР ∪ ШНСУ |",
        "|---|---|---|---|---|",
    ]
    for year in YEARS:
        st = {sid: sc.status[year] for sid, sc in SCENARIOS.items()}
        shnor = [s for s, v in st.items() if v.startswith("ШНОР")]
        shnsu = [s for s, v in st.items() if v.endswith("ШНСУ")]
        risk = [s for s, v in st.items() if v == "зона риска"]
        union = sorted(set(shnor) | set(shnsu), key=int)
        lines.append(
            f"| {year} | {', '.join(sorted(shnor, key=int))} | {', '.join(sorted(shnsu, key=int))} | "
            f"{', '.join(sorted(risk, key=int))} | {len(union)} of 40 = {100 * len(union) / 40:.1f} % |"
        )
    lines += [
        "",
        "2022 has no previous season, so only the «two procedures in one year» branch applies",
        "there (the report says so). School 33 (ШНСУ) also has the зона риска flag in 2023 and",
        "2024 (status stays «ШНСУ», Методика, §3.4).",
        "",
        "Ordinary schools with an isolated one-year blip ≥ 10 % (one procedure in one year, never",
        "two years running, so no status):",
        "",
        *[f"- {blip}" for blip in ordinary_blips(schools, res)],
        "",
        "## Scenario schools",
        "",
    ]
    for sid in sorted(SCENARIOS, key=int):
        scen = SCENARIOS[sid]
        school = next(s for s in schools if s.sid == sid)
        statuses = "; ".join(f"{y}: {scen.status[y] or '—'}" for y in YEARS)
        lines.append(f"### {sid} — {school.name}: {scen.title}")
        lines.append("")
        lines.append(scen.story)
        lines.append("")
        lines.append(f"Expected status: {statuses}.")
        lines.append("")
        for fact in scenario_facts(sid, res):
            lines.append(f"- {fact}")
        lines.append("")
    lines += [
        "## Row-level defects (2024 results only, ordinary schools)",
        "",
        "| school | row | defect | expected handling |",
        "|---|---|---|---|",
    ]
    handling = {
        "percent": (
            "Отметка 2–5 written as percentages `5,0; 37,5; 45,0; 12,5` (sum 100) with 80 participants",
            "converted to counts 4, 30, 36, 10 and listed as converted",
        ),
        "short3": ("marks add up to 3 less than participants", "quarantined (data_issues.csv)"),
        "blank5": ("«Отметка 5» blank and the other marks do not add up", "quarantined"),
        "over2": ("marks add up to 2 more than participants", "quarantined"),
    }
    for (sid, proc, subj, grade), kind in DEFECTS.items():
        what, how = handling[kind]
        lines.append(f"| {sid} | {proc}, {subj}, {grade} кл. | {what} | {how} |")
    lines += [
        "",
        "These schools are kept well below every threshold, so their statuses do not depend on",
        "the quarantine. With `--strict` each of the four rows stops the run.",
        "",
        "## Monitoring and risk profiles",
        "",
        "monitoring: one row per school and season; schools in support (in ШНОР ∪ ШНСУ since",
        "the year shown) have a curator, later a leader school, a ШППКО, and growing shares of",
        "teachers diagnosed, supported and with an ИОМ: "
        + ", ".join(f"{sid} (с {y})" for sid, y in sorted(SUPPORT_SINCE.items(), key=lambda x: int(x[0])))
        + ".",
        "Risk-zone schools get a curator from 2023. Diagnostic levels A–D add up to the teachers",
        "diagnosed; all counts stay within their totals.",
        "",
        "risk_profiles: significance follows the school's context (rural location and social",
        "context → оснащение; vacancies → кадры; teacher resource → competence and ПК; results →",
        "adaptivity and неуспешность; ОВЗ and non-native shares → factors 7 and 8; social context →",
        "среда and parents), so weak schools carry more «высокая».",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def generate(out: Path) -> None:
    """Write the three seasons and the README into ``out`` (replacing earlier output)."""
    rng = np.random.default_rng(SEED)
    schools = build_schools(rng)
    social, shares = social_rows(schools, rng)
    teachers = teacher_rows(schools, rng)
    res = shape_results(schools, natural_results(schools, rng), rng)
    readme = readme_text(schools, res)  # true numbers, before the defects
    apply_defects(res)
    monitoring = monitoring_rows(schools, teachers, rng)
    risks = risk_profile_rows(schools, social, shares, teachers, res, rng)

    out.mkdir(parents=True, exist_ok=True)
    for year in YEARS:
        folder = out / str(year)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        spec = FORMATS[year]
        school_rows = [[s.sid, s.name, s.kind, s.territory, s.students(year)] for s in schools]
        write_table(folder, "schools", labels("schools"), school_rows, spec)
        rows = sorted((r for r in res.rows if r.year == year), key=result_sort_key)
        write_table(
            folder,
            "results",
            labels("results"),
            [result_record(r) for r in rows],
            RESULTS_2024 if year == 2024 else spec,
        )
        write_table(folder, "social", labels("social"), social[year], spec)
        write_table(folder, "teachers", labels("teachers"), teachers[year], spec)
        write_table(folder, "monitoring", ["Код ОО", *[lab for _, lab in MONITORING_FIELDS]], monitoring[year], spec)
        rp = CONTRACT["risk_profiles"]
        write_table(
            folder,
            "risk_profiles",
            [
                rp.column("school_id").label,
                rp.column("factor").label,
                "Наименование фактора",
                rp.column("significance").label,
            ],
            risks[year],
            spec,
        )
    (out / "README.md").write_text(readme, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT.relative_to(REPO)})"
    )
    args = parser.parse_args(argv)
    generate(args.out.resolve())
    print(f"demo data written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
