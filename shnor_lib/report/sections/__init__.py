"""The season report's sections, one module per section of ``notebooks/season_report.ipynb``.

Each module turns the computed season (a :class:`~shnor_lib.pipeline.season.SeasonResult` and
the support tables of sections 8–11) into its Russian words and tables: ``*_text`` functions
return a short Markdown conclusion quoting the numbers it rests on, ``*_table`` functions a
DataFrame with Russian headers for the reader. The numbers are computed in
:mod:`shnor_lib.analysis`; the sections only read and word them, and say «недостаточно данных»
and why when a section cannot be computed. To change what a section says, edit its module:
all of the section's wording is there.

=====================  ==================================================================
module                 section
=====================  ==================================================================
:mod:`.headline`       «Главное», above the table of contents
:mod:`.summary`        1. Итоги (and the report's title)
:mod:`.identified`     2. Выявленные школы; что изменилось по сравнению с прошлым годом
:mod:`.official_lists` 2. (end) Официальные списки рядом с правилом
:mod:`.history`        2. (end) Пересчёт прошлых лет: цифры прошлых лет против их опубликованных справок
:mod:`.assessment`     3. Результаты оценочных процедур
:mod:`.objectivity`    4. Объективность результатов
:mod:`.context`        5. Социальный контекст и учительский ресурс
:mod:`.model`          6. Качество с учётом контекста
:mod:`.clusters`       7. Кластеры школ
:mod:`.monitoring`     8. Показатели мониторинга
:mod:`.risk`           9. Рисковые профили
:mod:`.dynamics`       10. Динамика
:mod:`.leaders`        11. Школы-лидеры
:mod:`.data_quality`   12. Качество данных
:mod:`.methodology`    13. Методика
=====================  ==================================================================

The package is the report notebook's vocabulary: it re-exports every section function and
the display helpers of :mod:`shnor_lib.report.html` (``md``, ``table``, ``style_table``,
``card_links``), so that a notebook imports one name::

    from shnor_lib.report import sections as nv
    display(nv.md(nv.summary_text(res, prev)))
    display(nv.table(nv.identified_table(res), links=nv.card_links(res)))
"""

from ..common import relative_path
from ..html import CARD_LINK, card_links, md, style_table, table
from .assessment import assessment_table, assessment_text
from .clusters import cluster_level, clusters_table, clusters_text
from .context import context_text, identifier_table_view
from .data_quality import data_issues_table, data_quality_text, not_computed_table
from .dynamics import (
    explain_table,
    explain_text,
    fail_changes_table,
    fail_changes_text,
    support_table,
    support_text,
    transitions_table,
    transitions_text,
)
from .headline import headline_text, key_measures, rule_gaps, school_reason_line
from .history import (
    YearChange,
    history_headline,
    history_table,
    history_text,
    published_records,
    recomputed_years,
)
from .identified import changes_table, changes_text, identified_table, identified_text, status_changes
from .leaders import leaders_table, leaders_text
from .methodology import (
    PARAM_LABELS,
    flatten_params,
    formula_words,
    indicator_names,
    input_files_table,
    methodology_text,
    package_defaults,
    package_versions,
    parameter_words,
    parameters_table,
)
from .model import coefficient_table, funnel_text, model_text, resilience_table, resilience_text
from .monitoring import diagnostics_table, diagnostics_text, indicator_value, monitoring_table, monitoring_text
from .objectivity import objectivity_table, objectivity_text
from .official_lists import official_lists_summary, official_lists_table, official_lists_text
from .risk import (
    measure_headline,
    measures_table,
    recommendations_by_school,
    risk_groups_table,
    risk_text,
    short_trigger,
    trigger_words,
)
from .summary import GLOSSARY, glossary_text, report_title, summary_caveats, summary_text

__all__ = [
    # 1–13, in report order
    "report_title", "headline_text", "key_measures", "rule_gaps", "school_reason_line", "summary_text",
    "summary_caveats", "GLOSSARY", "glossary_text",
    "identified_text", "identified_table", "status_changes", "changes_text", "changes_table",
    "official_lists_text", "official_lists_summary", "official_lists_table",
    "YearChange", "published_records", "recomputed_years", "history_headline", "history_text", "history_table",
    "assessment_text", "assessment_table",
    "objectivity_text", "objectivity_table",
    "context_text", "identifier_table_view",
    "model_text", "coefficient_table", "resilience_text", "resilience_table", "funnel_text",
    "clusters_text", "clusters_table", "cluster_level",
    "monitoring_text", "monitoring_table", "indicator_value", "diagnostics_text", "diagnostics_table",
    "risk_text", "risk_groups_table", "recommendations_by_school", "measures_table", "short_trigger",
    "trigger_words", "measure_headline",
    "transitions_text", "transitions_table", "fail_changes_text", "fail_changes_table", "support_text",
    "support_table", "explain_text", "explain_table",
    "leaders_text", "leaders_table",
    "data_quality_text", "data_issues_table", "not_computed_table",
    "methodology_text", "parameters_table", "parameter_words", "flatten_params", "formula_words", "package_defaults", "indicator_names", "PARAM_LABELS", "input_files_table",
    "package_versions", "relative_path",
    # display (shnor_lib.report.html)
    "md", "table", "style_table", "card_links", "CARD_LINK",
]
