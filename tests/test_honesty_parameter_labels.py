"""The report's parameters appendix names every objectivity parameter in Russian.

A parameter without a label is left out of the appendix (``parameters_table`` skips unlabelled
keys), so a reader of the справка could not see the thresholds of the ``cohort_jump`` flag.
"""

from __future__ import annotations

from shnor_lib.report.sections import package_defaults, parameters_table


def test_cohort_jump_parameters_appear_in_the_appendix_with_russian_labels():
    params = package_defaults()
    table = parameters_table(params, params)
    rows = dict(zip(table["Параметр"], table["Значение"]))
    min_pp = [label for label in rows if label.startswith("скачок когорты") and "п.п." in label]
    alpha = [label for label in rows if label.startswith("скачок когорты") and "значимости" in label]
    assert len(min_pp) == 1 and len(alpha) == 1, sorted(rows)
    assert rows[min_pp[0]] == "25"
    # a significance level is shown like the other ones (dynamics.alpha): as percent
    assert rows[alpha[0]] == rows["уровень значимости изменения доли «2»"]


def test_every_objectivity_parameter_has_a_label():
    params = package_defaults()
    table = parameters_table(params, params)
    shown = list(table["Параметр"])
    # the group title is written on its first row only: the block runs to the next title
    obj_rows = table.index[table["Правило"].eq("Объективность результатов")]
    start = obj_rows[0]
    nxt = table.index[(table.index > start) & table["Правило"].ne("")]
    end = nxt[0] if len(nxt) else len(table)
    assert end - start == len(params["objectivity"]), shown[start:end]
