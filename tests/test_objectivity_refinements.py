"""Objectivity refinements (issue 14 item 7, Методика §3.5.2 and §3.5.5): the kind of a school
exempts it from ``inflated``; ``inflated`` reads the school's ГИА of the same subject where
present; the ВПР–ГИА agreement flag ``vpr_gia_mismatch``; the report says which thresholds are
the package's heuristic.

Every season below is five or six schools with one ВПР work (математика, 6 класс) and ОГЭ.
``conftest.row`` writes only marks «2» and «3», so a group's mean mark is 3 − f/n (f «2» of n):
expected values are computed by hand from that. With one school at a + d and the other k − 1 at
a, the sample z-score of the odd school is (k − 1)/√k (1.789 for five schools, 2.041 for six);
for the ВПР–ГИА gap the two z-scores are subtracted.
"""

from __future__ import annotations

import math

import pytest
from conftest import row

from shnor_lib import compute_season, load_dataset, load_params
from shnor_lib.analysis.rules import exempt_kind
from shnor_lib.errors import ParameterError
from shnor_lib.report.sections import objectivity_text

SCHOOL_HEADER = ["school_id", "name", "kind", "students_total"]


def _season(season_writer, vpr: list[tuple[int, int]], oge: dict[str, list[tuple[int, int]]],
            kinds: list[str] | None = None):
    """Schools 1…k: ВПР математика 6 класс (n, f) and ОГЭ (n, f) per subject, in school order."""
    ids = [str(i + 1) for i in range(len(vpr))]
    results = [row(s, "ВПР", "математика", 6, n, f) for s, (n, f) in zip(ids, vpr)]
    for subject, groups in oge.items():
        results += [row(s, "ОГЭ", subject, 9, n, f) for s, (n, f) in zip(ids, groups)]
    kinds = kinds or ["СОШ"] * len(ids)
    schools = [[s, f"Школа {s}", k, 1000] for s, k in zip(ids, kinds)]
    return season_writer(2024, results, extra={"schools": (SCHOOL_HEADER, schools)})


def _result(root, params=None):
    return compute_season(load_dataset(root, "t"), "t", 2024, params or load_params(), support=False)


def _flags(root, flag, params=None):
    f = _result(root, params).flags
    return f[f["flag"] == flag]


def _params(tmp_path, text):
    path = tmp_path / "p.yml"
    path.write_text(text, encoding="utf-8")
    return load_params(path=path)


# ВПР: school 1 has no «2» of 50 (mean mark 3.0); schools 2–5 have 10, 12, 14, 16 of 50 (2.8, 2.76,
# 2.72, 2.68). Sorted: 2.68, 2.72, 2.76, 2.8, 3.0 → Q1 = 2.72, Q3 = 2.8, fence 2.8 + 1.5·0.08 = 2.92 < 3.0.
HIGH_VPR = [(50, 0), (50, 10), (50, 12), (50, 14), (50, 16)]
# ОГЭ математика: school 1 20 of 50 (2.6), the others 5 of 50 (2.9): median 2.9, school 1 below it.
WEAK_OGE = [(50, 20), (50, 5), (50, 5), (50, 5), (50, 5)]


# ---------------------------------------------------------------- inflated: exemption by kind

@pytest.mark.parametrize("kind", ["гимназия", "МАОУ Гимназия", "Лицей-интернат", "лицей",
                                  "СОШ с углублённым изучением отдельных предметов",
                                  "СОШ с углубленным изучением математики", "СОШ с УИОП"])
def test_selective_kinds_are_exempt(kind, params):
    assert exempt_kind(kind, params)


@pytest.mark.parametrize("kind", ["СОШ", "ООШ", "НОШ", "", None, float("nan")])
def test_ordinary_or_unknown_kinds_are_not_exempt(kind, params):
    assert not exempt_kind(kind, params)


def test_empty_exempt_list_exempts_nobody(params):
    p = {**params, "objectivity": {**params["objectivity"], "inflated_exempt_kinds": []}}
    assert not exempt_kind("гимназия", p)


def test_high_result_of_an_ordinary_school_with_weak_oge_is_inflated(season_writer):
    f = _flags(_season(season_writer, HIGH_VPR, {"математика": WEAK_OGE}), "inflated")
    assert list(f["school_id"]) == ["1"] and list(f["grade"]) == [6]
    assert f["detail"].iloc[0] == ("6 класс: средний балл 3,00 выше верхней границы 2,92 (Q3 + 1,5·IQR по "
                                   "округу), а ГИА по предмету «математика» ниже медианы: ОГЭ 2,60 (медиана 2,90)")


def test_gymnasium_is_not_flagged_inflated_but_its_high_result_is_reported(season_writer):
    root = _season(season_writer, HIGH_VPR, {"математика": WEAK_OGE}, kinds=["гимназия"] + ["СОШ"] * 4)
    res = _result(root)
    assert res.flags[res.flags["flag"] == "inflated"].empty
    ex = res.inflated_exempt
    assert list(ex["school_id"]) == ["1"] and list(ex["kind"]) == ["гимназия"]
    assert list(ex["would_flag"]) == [True]
    assert ex["detail"].iloc[0].endswith("тип ОО «гимназия» — признак не ставится")
    text = objectivity_text(res)
    assert "не ставится школам с отбором, у которых «Тип ОО» содержит «гимназия»" in text
    assert "1 школа (1)" in text
    assert "У них 1 результат выше верхней границы по округу (школы: 1), из них 1 получили бы признак" in text


def test_exemption_can_be_switched_off(season_writer, tmp_path):
    root = _season(season_writer, HIGH_VPR, {"математика": WEAK_OGE}, kinds=["гимназия"] + ["СОШ"] * 4)
    res = _result(root, _params(tmp_path, "objectivity:\n  inflated_exempt_kinds: []\n"))
    assert list(res.flags.loc[res.flags["flag"] == "inflated", "school_id"]) == ["1"]
    assert res.inflated_exempt.empty


# ---------------------------------------------------------------- inflated: ГИА of the same subject

def test_inflated_uses_the_oge_of_the_same_subject_not_the_mean_over_subjects(season_writer, tmp_path):
    # ОГЭ математика: everyone 5 of 50 (2.9), so school 1 is not below the median 2.9 in the subject;
    # ОГЭ русский язык: school 1 25 of 50 (2.5), the others 5 of 50 (2.9).
    # Over subjects (inflated_reference: other) school 1's ОГЭ is (2.9 + 2.5)/2 = 2.7 < median 2.9 → flag;
    # with the ГИА of the same subject (gia, the default) it is 2.9, not below 2.9 → no flag.
    oge = {"математика": [(50, 5)] * 5, "русский язык": [(50, 25)] + [(50, 5)] * 4}
    root = _season(season_writer, HIGH_VPR, oge)
    assert _flags(root, "inflated").empty
    other = _flags(root, "inflated", _params(tmp_path, "objectivity:\n  inflated_reference: other\n"))
    assert list(other["school_id"]) == ["1"]
    assert other["detail"].iloc[0].endswith("а другие процедуры ниже медианы: ОГЭ 2,70 (медиана 2,90)")


def test_weak_oge_of_the_subject_flags_although_other_subjects_are_strong(season_writer, tmp_path):
    # ОГЭ математика: school 1 20 of 50 (2.6), the others 5 of 50 (2.9);
    # ОГЭ русский язык: school 1 0 of 50 (3.0), the others 20 of 50 (2.6).
    # Over subjects: school 1 (2.6 + 3.0)/2 = 2.8, the others (2.9 + 2.6)/2 = 2.75 = median → not below
    # (other: no flag); the same subject: 2.6 < 2.9 (gia: flag).
    oge = {"математика": WEAK_OGE, "русский язык": [(50, 0)] + [(50, 20)] * 4}
    root = _season(season_writer, HIGH_VPR, oge)
    f = _flags(root, "inflated")
    assert list(zip(f["procedure"], f["subject"], f["school_id"])) == [("ВПР", "математика", "1")]
    assert _flags(root, "inflated", _params(tmp_path, "objectivity:\n  inflated_reference: other\n")).empty


# ---------------------------------------------------------------- vpr_gia_mismatch

# ВПР: school 1 0 of 50 (3.0), the others 10 of 50 (2.8): z = 4/√5 = +1.789.
PLANTED_VPR = [(50, 0)] + [(50, 10)] * 4
# ОГЭ: school 1 25 of 50 (2.5), the others 5 of 50 (2.9): z = −1.789; gap 3.58 ≥ 2.
PLANTED_OGE = [(50, 25)] + [(50, 5)] * 4


def test_planted_vpr_above_and_oge_below_fires_on_the_vpr_result(season_writer):
    z = 4 / math.sqrt(5)
    assert z == pytest.approx(1.7889, abs=1e-4)
    f = _flags(_season(season_writer, PLANTED_VPR, {"математика": PLANTED_OGE}), "vpr_gia_mismatch")
    assert list(zip(f["school_id"], f["procedure"], f["grade"])) == [("1", "ВПР", 6)]
    assert list(f["flag_label"]) == ["расхождение ВПР и ГИА по предмету"]
    assert f["detail"].iloc[0] == (
        "ВПР выше ГИА: ВПР (6 класс): средняя отметка 3,00, на 1,8 стандартного отклонения выше среднего "
        "по округу (2,84); ОГЭ (9 класс): средняя отметка 2,50, на 1,8 стандартного отклонения ниже среднего "
        "по округу (2,82); разрыв 3,6 (порог 2)")


def test_reverse_mismatch_fires_on_the_oge_result(season_writer):
    vpr = [(50, 25)] + [(50, 5)] * 4      # 2.5 against 2.9: z = −1.789
    oge = [(50, 0)] + [(50, 10)] * 4      # 3.0 against 2.8: z = +1.789
    f = _flags(_season(season_writer, vpr, {"математика": oge}), "vpr_gia_mismatch")
    assert list(zip(f["school_id"], f["procedure"], f["grade"])) == [("1", "ОГЭ", 9)]
    assert f["detail"].iloc[0].startswith("ГИА выше ВПР: ОГЭ (9 класс): средняя отметка 3,00")


def test_mismatch_of_a_small_cohort_does_not_fire(season_writer, tmp_path):
    # Six schools; school 1 wrote ВПР with 4 pupils (0 «2»: 3.0), the others 10 of 50 (2.8);
    # ОГЭ school 1 25 of 50 (2.5), the others 5 of 50 (2.9). With min_participants 5 school 1's ВПР
    # does not count: no flag. Counted (min_participants 4), its 4 pupils' 3.0 is only z = +0.98 on
    # the funnel scale (§3.5.5: θ₀ = 712/254 = 2.803, s² = 40/248, τ² = 0, 0.197/√(s²/4)); the ОГЭ
    # 2.5 of 50 pupils is z = −2.04 (equal cohorts: the sample sd of the means); gap 3.02.
    vpr = [(4, 0)] + [(50, 10)] * 5
    oge = [(50, 25)] + [(50, 5)] * 5
    root = _season(season_writer, vpr, {"математика": oge})
    assert _flags(root, "vpr_gia_mismatch").empty
    f = _flags(root, "vpr_gia_mismatch", _params(tmp_path, "min_participants: 4\n"))
    assert list(f["school_id"]) == ["1"] and "разрыв 3,0 (порог 2)" in f["detail"].iloc[0]


def test_moderate_gap_does_not_fire_until_the_threshold_is_lowered(season_writer, tmp_path):
    # ВПР as planted (z = +1.789). ОГЭ: school 1 8 of 50 (2.84); the others 5, 7, 8, 11 of 50
    # (2.9, 2.86, 2.84, 2.78). Mean 14.22/5 = 2.844; deviations −0.004, 0.056, 0.016, −0.004, −0.064.
    # These spread less than sampling noise (sample variance 0.00752/4 = 0.00188 < s²/n =
    # (Σ 50·p(1−p) / 245)/50 = (32.54/245)/50 = 0.002656): τ² = 0 and every ОГЭ z is
    # (x − 2.844)/√0.002656 (funnel z, §3.5.5). School 1: −0.078, gap 1.866 < 2.
    se = math.sqrt(32.54 / 245 / 50)
    assert 4 / math.sqrt(5) + 0.004 / se == pytest.approx(1.866, abs=1e-3)
    oge = [(50, 8), (50, 5), (50, 7), (50, 8), (50, 11)]
    root = _season(season_writer, PLANTED_VPR, {"математика": oge})
    assert _flags(root, "vpr_gia_mismatch").empty
    # With 1.5 school 1 fires (1.866), and so does school 2 the other way: its ВПР 2.8 is at
    # z = −1/√5 = −0.447 and its ОГЭ 2.9 at 0.056/√0.002656 = +1.087, gap 1.534.
    assert 1 / math.sqrt(5) + 0.056 / se == pytest.approx(1.534, abs=1e-3)
    f = _flags(root, "vpr_gia_mismatch", _params(tmp_path, "objectivity:\n  vpr_gia_gap: 1.5\n"))
    assert list(zip(f["school_id"], f["procedure"])) == [("1", "ВПР"), ("2", "ОГЭ")]
    assert "разрыв 1,9 (порог 1,5)" in f["detail"].iloc[0] and "разрыв 1,5 (порог 1,5)" in f["detail"].iloc[1]


def test_same_side_of_the_mean_is_no_mismatch_however_wide_the_gap(season_writer, tmp_path):
    # ВПР z = +1.789; ОГЭ school 1 at 2.9 with the others 5, 10, 15, 20 of 50 (2.9, 2.8, 2.7, 2.6):
    # mean 2.78, school 1 above it. Even with the gap threshold 0.1 school 1 gets no flag: both its
    # results are high. (School 2 does: ВПР 2.8 below the mean 2.84, ОГЭ 2.9 above 2.78.)
    oge = [(50, 5), (50, 5), (50, 10), (50, 15), (50, 20)]
    root = _season(season_writer, PLANTED_VPR, {"математика": oge})
    f = _flags(root, "vpr_gia_mismatch", _params(tmp_path, "objectivity:\n  vpr_gia_gap: 0.1\n"))
    assert "1" not in set(f["school_id"]) and "2" in set(f["school_id"])


def test_subjects_outside_vpr_gia_subjects_are_not_compared(season_writer, tmp_path):
    root = _season(season_writer, PLANTED_VPR, {"математика": PLANTED_OGE})
    p = _params(tmp_path, "objectivity:\n  vpr_gia_subjects: [русский язык]\n")
    assert _flags(root, "vpr_gia_mismatch", p).empty


# ---------------------------------------------------------------- parameters and the report

@pytest.mark.parametrize("text", ["objectivity:\n  vpr_gia_gap: 0\n", "objectivity:\n  vpr_gia_gap: -1\n",
                                  "objectivity:\n  inflated_exempt_kinds: [1]\n",
                                  "objectivity:\n  inflated_reference: gi\n"])
def test_bad_objectivity_parameters_stop_with_a_russian_message(tmp_path, text):
    with pytest.raises(ParameterError, match="objectivity"):
        _params(tmp_path, text)


def test_report_calls_the_journal_thresholds_a_heuristic_and_describes_the_new_sign(season_writer):
    text = objectivity_text(_result(_season(season_writer, PLANTED_VPR, {"математика": PLANTED_OGE})))
    assert ("Пороги несоответствия ВПР и школьных отметок («повысили» не меньше 15%, «подтвердили» меньше 50%), "
            "как и пороги других признаков, — эвристика пакета, а не официальный критерий") in text
    assert "расхождение ВПР и ГИА по предмету — 1" in text
    assert "различаются не меньше чем на 2 стандартных отклонения" in text
    # no school of a selective kind here: the exemption is not mentioned
    assert "школам с отбором" not in text
