"""Small readability fixes (issue 12): the model section says in one sentence that no school stands
out (not «нет» twice), and the workbook shows «без статуса» where a school has no status, as the
report does.

The hand-made season of ``report_season.py``: its quality model labels no school (10 schools, the
small-sample case), so both lists are empty; a copy with school 7 marked резильентная checks the
sentence when only one list has a school.
"""

from __future__ import annotations

import copy
import io

import openpyxl

from shnor_lib.analysis.models import RESILIENT
from shnor_lib.io.workbook import season_tables, workbook_bytes
from shnor_lib.report import sections


def test_model_section_says_in_one_sentence_that_no_school_stands_out(res):
    assert sections.resilience_table(res, RESILIENT).empty  # the hand-made season labels no school
    text = sections.model_text(res)
    assert "**Какие школы выделяются:** ни одна школа не оказалась устойчиво выше или ниже ожидаемого с учётом " \
           "контекста." in text
    assert "— нет" not in text
    details = sections.resilience_text(res)
    assert details.count("нет") == 1 and details.endswith(
        "В этом году таких школ нет: ни одна школа не оказалась устойчиво выше или ниже ожидаемого.")


def test_model_section_names_the_schools_of_one_list_and_says_the_other_is_empty(res):
    r = copy.copy(res)
    r.schools = res.schools.copy()
    r.schools.loc[r.schools["school_id"].astype(str) == "7", "resilience"] = RESILIENT
    text = sections.model_text(r)
    assert "**Какие школы выделяются:** выше ожидаемого (резильентные) — 7 (Школа 7); школ ниже ожидаемого нет." \
        in text


def test_workbook_shows_schools_without_a_status_as_in_the_report(res):
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(season_tables(res))))
    ws = wb["Школы"]
    heads = [c.value for c in ws[1]]
    code, status = heads.index("Код ОО") + 1, heads.index("Статус") + 1
    shown = {str(ws.cell(r, code).value): ws.cell(r, status).value for r in range(2, ws.max_row + 1)}
    # report_season.py: 2024 — ШНОР {1, 2}, ШНСУ {4}, зона риска {5}; the six others have no status
    assert shown == {"1": "ШНОР", "2": "ШНОР", "3": "без статуса", "4": "ШНСУ", "5": "зона риска",
                     "6": "без статуса", "7": "без статуса", "8": "без статуса", "9": "без статуса",
                     "10": "без статуса"}
