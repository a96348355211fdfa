"""The school × grade table of the share of «2» (``plots.fail_share_table``), which replaced the
annotated heat map in section 3 of the season report, on the hand-made season of
``report_season.py``: 10 schools, ВПР русский язык and математика, grades 5 and 6, 15 pupils
in every class. Golden values are the season's own counts divided by hand (``FAILS``: school 1
has 6 «2» of 15 in both mathematics grades, school 2 has 5 and 6 of 15 in Russian).
"""

from __future__ import annotations

import re

from report_season import SCHOOLS

from shnor_lib.report import plots

SUBJECTS = ["русский язык", "математика"]


def _rows(res, **kws):
    """{school code: [(cell style, cell text), ...]} in column order (Russian 5, 6, maths 5, 6)."""
    doc = plots.fail_share_table(res.metrics_by_grade, procedure="ВПР", subjects=SUBJECTS, year=2024,
                                 grades=[5, 6], **kws).data
    body = doc[doc.index("<tbody>"):doc.index("</tbody>")]
    return {m.group(1): re.findall(r'<td style="([^"]*)">([^<]*)</td>', m.group(2))
            for m in re.finditer(r"<tr><th>([^<]*)</th>(.*?)</tr>", body)}


def test_every_school_has_one_row_and_every_cell_the_share_of_2_and_the_participants(res):
    rows = _rows(res, threshold=0.3)
    assert list(rows) == SCHOOLS  # by code, each once
    assert [text for _, text in rows["1"]] == ["7% (15)", "7% (15)", "40% (15)", "40% (15)"]  # 1, 1, 6, 6 of 15
    assert [text for _, text in rows["2"]] == ["33% (15)", "40% (15)", "7% (15)", "0% (15)"]  # 5, 6, 1, 0 of 15


def test_exactly_the_cells_at_or_above_the_threshold_are_framed(res):
    rows = _rows(res, threshold=0.3)
    framed = {(sid, j) for sid, cells in rows.items() for j, (style, _) in enumerate(cells) if "outline" in style}
    assert framed == {("1", 2), ("1", 3), ("2", 0), ("2", 1)}


def test_classes_below_min_participants_are_grey_italic_and_never_framed(res):
    rows = _rows(res, threshold=0.3, min_participants=20)
    styles = [style for cells in rows.values() for style, _ in cells]
    assert all("font-style:italic" in s and "outline" not in s for s in styles)
    doc = plots.fail_share_table(res.metrics_by_grade, procedure="ВПР", subjects=SUBJECTS, year=2024, grades=[5, 6],
                                 threshold=0.3, min_participants=20).data
    assert "меньше 20 участников, в правиле не учитывается" in doc


def test_a_darker_cell_means_a_larger_share(res):
    rows = _rows(res, threshold=0.3)

    def lightness(style):
        r, g, b = (int(style.split("background:#")[1][i:i + 2], 16) for i in (0, 2, 4))
        return r + g + b

    # 0% < 7% < 33% < 40% of school 2's cells
    by_share = sorted(rows["2"], key=lambda c: int(c[1].split("%")[0]))
    assert [lightness(s) for s, _ in by_share] == sorted((lightness(s) for s, _ in by_share), reverse=True)
    assert lightness(by_share[0][0]) > lightness(by_share[-1][0])


def test_a_procedure_without_results_says_so_instead_of_an_empty_table(res):
    doc = plots.fail_share_table(res.metrics_by_grade, procedure="ЕГЭ", subjects=SUBJECTS, year=2024).data
    assert "<table" not in doc and "Недостаточно данных" in doc


def test_the_table_is_the_same_text_for_the_same_data(res):
    a = plots.fail_share_table(res.metrics_by_grade, procedure="ВПР", subjects=SUBJECTS, year=2024).data
    b = plots.fail_share_table(res.metrics_by_grade, procedure="ВПР", subjects=SUBJECTS, year=2024).data
    assert a == b
