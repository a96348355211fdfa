"""The data contract: what a season's files hold and what the program accepts.

- :mod:`.schema` declares the files, columns, Russian labels, types and every check of a column
  (kind, required, signed, bounds, the total it may not exceed, how a «%» is read) — one table
  that drives reading, validation, the templates and the documentation — and the one order of
  school codes (:func:`~.schema.school_id_key`);
- :mod:`.vocabulary` the procedures, subjects and grades the rules read (``parameters/vocabulary.yml``);
- validation turns text cells into typed tables: :mod:`.cells` reads one cell as its column's
  kind, :mod:`.checks` runs the declared checks over typed tables, :mod:`.marks` converts or
  quarantines rows whose marks do not add up, :mod:`.season` is the validated season and its
  issues ledger, :mod:`.validate` runs all of it over one season (structural errors stop the
  run) and :mod:`.together` over many seasons at once, from the same checks.
"""

from __future__ import annotations

from ..lazy import lazy_exports

# Public names of this room and the module each lives in, imported on first use (shnor_lib.lazy).
_HOME = {
    "Column": "schema", "FileSpec": "schema", "CONTRACT": "schema", "SIGNIFICANCE_LEVELS": "schema",
    "RISK_FACTORS": "schema", "RISK_FACTOR_ALIASES": "schema",
    "RISK_PROFILE_VARIANTS": "schema", "RISK_PROFILE_VARIANT_NAMES": "schema", "normalize_label": "schema",
    "canonical_procedure": "schema", "canonical_subject": "schema", "contract_markdown": "schema",
    "school_id_key": "schema", "sorted_school_ids": "schema", "school_id_order": "schema",
    "Vocabulary": "vocabulary", "load_vocabulary": "vocabulary", "normalize_term": "vocabulary",
    "parse_number": "cells",
    "Season": "season", "ISSUE_COLUMNS": "season",
    "MARKS": "marks", "quarantine_limits": "marks",
    "validate_season": "validate", "validate_seasons": "validate", "copied_results": "validate",
}
__all__ = list(_HOME)


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
