"""Display helpers (shnor_lib.report.html): styled tables, escaping of data, links to school cards.

School names typed by users reach the reader as text, never as markup; tables use the decimal
comma and «—»; codes link only to cards that exist.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import write_csv
from report_season import SCHOOLS, make_params, write_season

from shnor_lib import compute_season, load_dataset
from shnor_lib.report import sections


def test_styled_tables_hide_the_index_and_use_decimal_commas():
    df = pd.DataFrame({"Школа": ["1", None], "Доля, %": [12.5, np.nan], "Участников": [1200, 3]})
    html = sections.style_table(df).to_html()
    assert "12,5" in html and "12.5" not in html
    assert "1\u00a0200" in html
    assert "—" in html and "nan" not in html.lower().replace("nanosecond", "")
    assert "None" not in html
    assert 'class="row_heading' not in html  # no index column
    assert sections.style_table(df).to_html() == html  # deterministic ids


def test_empty_tables_become_a_note():
    note = sections.table(pd.DataFrame(columns=["a"]), empty="Нет строк.")
    assert "Нет строк." in note.data


def test_school_names_reach_the_reader_literally_never_as_markup(tmp_path):
    """A school named «<script>alert(1)</script>» shows as those characters in text, tables and the HTML page."""
    import nbformat

    from shnor_lib.report.export import notebook_to_html

    root = write_season(tmp_path / "data_raw", 2024)
    evil = "<script>alert(1)</script>"
    write_csv(root / "t" / "2024" / "schools.csv", ["school_id", "name", "students_total"],
              [[s, evil if s == "1" else f"Школа {s}", 1000] for s in SCHOOLS])
    r = compute_season(load_dataset(root, municipality="t"), "t", 2024, make_params())
    text = sections.md(sections.identified_text(r)).data
    assert evil not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    table = sections.table(sections.identified_table(r), links=sections.card_links(r)).data
    assert evil not in table and "&lt;script&gt;alert(1)&lt;/script&gt;" in table
    assert '<a href="schools/1.html">1</a>' in table
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": text}),
                    nbformat.v4.new_output("display_data", data={"text/html": table})]
    nb.cells = [cell]
    page = notebook_to_html(nb, title="t")
    assert evil not in page and "alert(1)" in page


def test_md_keeps_code_spans_and_escapes_the_rest():
    out = sections.md("формула `a < b` и имя <b>x</b> & co").data
    assert out == "формула `a < b` и имя &lt;b&gt;x&lt;/b&gt; &amp; co"


def test_card_links_point_only_to_schools_that_have_a_card(res):
    links = sections.card_links(res)["Код ОО"]
    assert links == {"1": "schools/1.html", "2": "schools/2.html", "4": "schools/4.html", "5": "schools/5.html"}
    html = sections.style_table(pd.DataFrame({"Код ОО": ["1", "3"]}), links=sections.card_links(res)).to_html()
    assert '<a href="schools/1.html">1</a>' in html and "schools/3.html" not in html


def test_style_table_links_quote_the_address_and_escape_the_text():
    html = sections.style_table(pd.DataFrame({"Код ОО": ['7"><x']}), links={"Код ОО": sections.CARD_LINK}).to_html()
    assert 'href="schools/7%22%3E%3Cx.html"' in html and "&gt;&lt;x</a>" in html


def test_card_links_can_be_switched_off(res):
    assert sections.card_links(res, enabled=False) == {"Код ОО": {}}
    html = sections.style_table(pd.DataFrame({"Код ОО": ["1"]}), links=sections.card_links(res, enabled=False)).to_html()
    assert "schools/1.html" not in html
