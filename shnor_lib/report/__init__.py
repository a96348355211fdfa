"""The report layer: it reads computed seasons and turns them into words, tables, charts and
documents.

- :mod:`.sections` — the season report, one module per section (its numbers → its words);
- :mod:`.format` — the one formatter of Russian numbers, percentages and plurals;
- :mod:`.common` — small readers of a computed season shared by sections and cards;
- :mod:`.html` — Markdown and tables for notebooks, card links, the table of contents;
- :mod:`.plots` — the charts, by family, in one style;
- :mod:`.cards` — the one-page school card; :mod:`.reproduction` — published findings
  set against the computation (Pervouralsk 2022);
- :mod:`.runner`, :mod:`.export`, :mod:`.batch`, :mod:`.context` — running the notebooks,
  HTML/PDF, ``shnor report`` and its cache; ``templates/`` — the nbconvert template and the
  index page; :mod:`.log` — warnings kept in the executed notebook, shown when they concern
  the reader.

Names are loaded on first use: :mod:`.format` is imported by the contract and analysis layers
too, and importing it must not pull in matplotlib, nbconvert or the sections.
"""

from __future__ import annotations

import importlib

__all__ = [
    "sections", "plots", "format", "common", "html", "cards", "reproduction", "runner", "export", "batch", "context",
    "log", "keep_warnings", "run_season_reports", "run_reports", "write_index", "notebook_to_html", "html_to_pdf", "season_context",
    "SupportContext",
]

_NAMES = {
    "run_season_reports": "batch", "run_reports": "runner", "write_index": "runner",
    "notebook_to_html": "export", "html_to_pdf": "export", "season_context": "context", "SupportContext": "cards",
    "keep_warnings": "log",
}


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
