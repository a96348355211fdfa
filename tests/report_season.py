"""The hand-made two-year season and the hand-made inputs of sections 8–11 that the report layer's
tests share (a pytest plugin: ``tests/conftest.py`` lists it in ``pytest_plugins``).

The season (10 schools «1»…«10», years 2023 and 2024) is built so that every
expected number follows by hand from the counts below:

* ВПР grades 5 and 6 with 15 pupils each (pooled 30), ОГЭ grade 9 with 25 pupils;
* 2024: school 1 — ВПР математика 12/30 = 40,0% and ОГЭ математика 10/25 = 40,0% → ШНОР
  (two procedures); school 2 — ВПР русский язык 11/30 = 36,7% in 2024 after 10/30 = 33,3%
  in 2023 → ШНОР (two years); school 4 — an extreme social passport → ИСБШ group 1 → ШНСУ;
  school 5 — ВПР математика 4/30 = 13,3% and ОГЭ русский язык 3/25 = 12,0% → зона риска;
* 2023: school 3 — ВПР математика 12/30 and ОГЭ математика 10/25 → ШНОР; in 2024 it is fine.

So 2024: ШНОР {1, 2}, ШНСУ {4}, зона риска {5}; ШНОР ∪ ШНСУ = 3 of 10 = 30,0%.
2023: ШНОР {3}, ШНСУ {4}; 2 of 10 = 20,0%.

Fixtures: ``root`` (the data folder), ``seasons`` (2024 and 2023 computed once per session),
``res`` (a copy of 2024 a test may change), ``report_params`` (the parameters the seasons were
computed with: plan 10%, no random-intercept model).
"""

from __future__ import annotations

import copy
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import RESULT_HEADER, write_csv

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.dynamics import two_proportion_test

SCHOOLS = [str(i) for i in range(1, 11)]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")

# fails per school: (ВПР рус 5 кл., ВПР рус 6 кл., ВПР мат 5, ВПР мат 6, ОГЭ рус, ОГЭ мат)
LOW = (0, 1, 1, 0, 1, 1)
FAILS = {
    2024: {"1": (1, 1, 6, 6, 1, 10), "2": (5, 6, 1, 0, 1, 1), "5": (0, 1, 2, 2, 3, 1),
           "6": (1, 1, 0, 1, 0, 2), "7": (0, 0, 1, 1, 2, 0), "8": (1, 0, 0, 0, 1, 2)},
    2023: {"2": (5, 5, 1, 0, 1, 1), "3": (1, 0, 6, 6, 1, 10), "6": (1, 0, 1, 1, 0, 1)},
}


def _marks(school, procedure, subject, grade, n, n2):
    """A mark row: ``n2`` «2», then the rest split into «3», «4» and two «5»."""
    rest = n - n2
    n5 = 2 if rest >= 4 else 0
    n3 = (rest - n5) // 2
    return [school, procedure, subject, grade, n, n2, n3, rest - n5 - n3, n5, None, None, None]


def results_rows(year):
    rows = []
    for s in SCHOOLS:
        f = FAILS[year].get(s, LOW)
        rows += [_marks(s, "ВПР", "русский язык", 5, 15, f[0]), _marks(s, "ВПР", "русский язык", 6, 15, f[1]),
                 _marks(s, "ВПР", "математика", 5, 15, f[2]), _marks(s, "ВПР", "математика", 6, 15, f[3]),
                 _marks(s, "ОГЭ", "русский язык", 9, 25, f[4]), _marks(s, "ОГЭ", "математика", 9, 25, f[5])]
    return rows


def _social():
    rows = []
    for i, s in enumerate(SCHOOLS):
        if s == "4":
            rows.append([s, 500, 20, 250, 150, 80, 120])
        else:
            rows.append([s, 500, 200 + 7 * i, 100 - 3 * i, 20 + i, 10 + i % 3, 15 + i % 4])
    return rows


def _teachers():
    header = ["school_id", "teachers_total", "higher_education", "category_highest", "category_first",
              "experience_10plus"]
    rows = [[s, 40, 25 if s == "4" else 36 - i % 3, 3 if s == "4" else 10 + i, 10, 12 if s == "4" else 25 + i % 4]
            for i, s in enumerate(SCHOOLS)]
    return header, rows


def write_season(root, year, social=True):
    """Write one season of the hand-made municipality «t» under ``root`` (as ``conftest.season_writer`` does)."""
    folder = root / "t" / str(year)
    write_csv(folder / "schools.csv", ["school_id", "name", "students_total"], [[s, f"Школа {s}", 1000] for s in SCHOOLS])
    write_csv(folder / "results.csv", RESULT_HEADER, results_rows(year))
    if social:
        write_csv(folder / "social.csv", ["school_id", "students_total", "both_parents_higher_ed", "single_parent",
                                          "non_native_russian", "on_register", "unemployed_parents"], _social())
        write_csv(folder / "teachers.csv", *_teachers())
    return root


@pytest.fixture(scope="session")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("season") / "data_raw"
    for year in (2023, 2024):
        write_season(root, year)
    return root


def make_params(**model):
    p = load_params()
    p["targets"]["shnor_shnsu_share"]["plan"] = 10
    p["model"].update({"mixed": "never", **model})
    return p


@pytest.fixture
def report_params():
    return make_params()


@pytest.fixture(scope="session")
def seasons(root):
    data = load_dataset(root, municipality="t")
    return compute_season(data, "t", 2024, make_params()), compute_season(data, "t", 2023, make_params())


@pytest.fixture
def res(seasons):
    return copy.copy(seasons[0])  # a test may replace attributes (e.g. params) of its own copy


def fake_season(year=2024, files=("results", "monitoring", "risk_profiles"), previous=2023):
    """A stand-in for SeasonResult with what the section texts read: the year and the input files."""
    return SimpleNamespace(year=year, previous_year=previous,
                           checksums={f"/d/t/{year}/{f}.csv": "0" * 64 for f in files})


def indicators_frame():
    """Four indicators over 2023–2024 (facts in %, or 0/1 for the yes/no item).

    1 lower_better 25 → 20 with plan 10: not met, decline of a «lower is better» share = improvement
      of 5 п.п. without a bad year → level 2;
    2 higher_better 40 → 55,5 with plan 50: met, +15,5 п.п. → level 3;
    3 yes/no 1 → 0 with plan 1: not met, worse → level 1;
    4 higher_better 30 → 31 without a plan → level 2.
    """
    rows = []
    spec = [("a", "Доля А", "%", "lower_better", (25.0, 20.0), 10.0), ("b", "Доля Б", "%", "higher_better", (40.0, 55.5), 50.0),
            ("c", "Наличие В", "балл", "higher_better", (1.0, 0.0), 1.0), ("d", "Доля Г", "%", "higher_better", (30.0, 31.0), None)]
    levels = {"a": 2, "b": 3, "c": 1, "d": 2}
    for y, k in ((2023, 0), (2024, 1)):
        for code, name, unit, direction, facts, plan in spec:
            fact = facts[k]
            met = np.nan if plan is None else (fact >= plan if direction == "higher_better" else fact <= plan)
            rows.append({"year": y, "code": code, "name": name, "level": "municipal", "population": "all", "unit": unit,
                         "direction": direction, "fact": fact, "numerator": np.nan, "denominator": np.nan,
                         "plan": np.nan if plan is None else plan, "baseline": np.nan, "plan_met": met,
                         "dynamics_level": levels[code] if k else np.nan, "dynamics_label": "", "source": "", "note": ""})
    out = pd.DataFrame(rows)
    out["plan_met"] = out["plan_met"].astype(object)
    return out


def diagnostics_frame():
    rows = [(2023, "A", 4, 40.0), (2023, "B", 2, 20.0), (2023, "C", 2, 20.0), (2023, "D", 2, 20.0),
            (2024, "A", 2, 20.0), (2024, "B", 3, 30.0), (2024, "C", 4, 40.0), (2024, "D", 1, 10.0)]
    return pd.DataFrame([{"year": y, "level": lv, "label": f"уровень {lv}", "teachers": float(n), "share": s}
                         for y, lv, n, s in rows])


def significance_frame():
    # schools 1, 2, 3 × factors 1, 2, 7: school 1 high on 1 and 7, school 2 high on 1, school 3 none high
    m = pd.DataFrame({1: [3.0, 3.0, 1.0], 2: [2.0, 1.0, np.nan], 7: [3.0, 2.0, 1.0]}, index=["1", "2", "3"])
    m.index.name, m.columns.name = "school_id", "factor_code"
    return m


def recommendations_frame():
    rows = [("1", "Школа 1", "ШНОР", "статус", "статус: ШНОР", "S01"), ("1", "Школа 1", "ШНОР", "фактор риска",
            "фактор 1 «Низкий уровень оснащения школы»: высокая значимость; фактор 7 «Высокая доля обучающихся с ОВЗ»: "
            "высокая значимость", "O01"), ("1", "Школа 1", "ШНОР", "фактор риска",
            "фактор 1 «Низкий уровень оснащения школы»: высокая значимость", "O02"),
            ("2", "Школа 2", "ШНСУ", "статус", "статус: ШНСУ", "S01")]
    return pd.DataFrame([{"school_id": s, "name": n, "status": st, "trigger_kind": k, "trigger": t, "measure_id": m,
                          "recommendation": f"Мера {m}.", "addressee": "руководитель ОО", "source": "seed"}
                         for s, n, st, k, t, m in rows])


def transitions_frame():
    """School 3: none → ШНОР → зона риска; school 7: ШНОР all years; school 9: never a status."""
    cols = ["school_id", "name", "year_from", "year_to", "status_from", "status_to", "shnor_change", "risk_change"]
    rows = [("3", "Школа 3", 2022, 2023, "", "ШНОР", "вошла", "не в списке"),
            ("3", "Школа 3", 2023, 2024, "ШНОР", "зона риска", "вышла", "вошла"),
            ("7", "Школа 7", 2022, 2023, "ШНОР", "ШНОР", "осталась", "не в списке"),
            ("7", "Школа 7", 2023, 2024, "ШНОР", "ШНОР", "осталась", "не в списке"),
            ("9", "Школа 9", 2022, 2023, "", "", "не в списке", "не в списке"),
            ("9", "Школа 9", 2023, 2024, "", "", "не в списке", "не в списке")]
    t = pd.DataFrame(rows, columns=cols)
    return t.assign(branch_from="", branch_to="", status_changed=t["status_from"] != t["status_to"],
                    shnsu_change="не в списке", support_change=t["shnor_change"])


def changes_frame():
    # school 5: 2/40 → 12/40 (Fisher: p = 0,0064), school 6: 10/20 → 8/20 (p ≈ 0,75)
    rows = []
    for sid, proc, subj, f0, n0, f1, n1 in (("5", "все процедуры", "русский язык и математика", 2, 40, 12, 40),
                                            ("6", "ВПР", "математика", 10, 20, 8, 20)):
        p = two_proportion_test(f0, n0, f1, n1)
        rows.append({"school_id": sid, "name": f"Школа {sid}", "year_from": 2023, "year_to": 2024, "procedure": proc,
                     "subject": subj, "failed_from": f0, "participants_from": n0, "share_from": f0 / n0,
                     "failed_to": f1, "participants_to": n1, "share_to": f1 / n1, "change_pp": 100 * (f1 / n1 - f0 / n0),
                     "p_value": p, "test": "точный критерий Фишера", "significant": p < 0.05, "conclusion": ""})
    return pd.DataFrame(rows)
