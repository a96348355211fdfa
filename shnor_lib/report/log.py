"""Warnings raised while a report notebook runs: kept in the log of the run, and shown to the
reader when they concern what the reader sees.

The executed notebook (``report.ipynb`` beside each report) is the log of the run. Every warning
goes there, on the stderr of the cell that raised it (the report's HTML template leaves stderr
out). A warning about the results or the charts — a library saying something about the data,
the numbers or a missing glyph — is also shown in the report itself, where it arose. Notices
about libraries' future APIs (:data:`DEVELOPER_WARNINGS`) concern the program's developers only
and stay in the log.
"""

from __future__ import annotations

import html
import sys
import warnings

from IPython.display import HTML, display

__all__ = ["DEVELOPER_WARNINGS", "keep_warnings", "warning_note"]

#: Warnings about programming interfaces, not about a report's numbers: logged, not shown.
DEVELOPER_WARNINGS: tuple[type[Warning], ...] = (DeprecationWarning, PendingDeprecationWarning, FutureWarning,
                                                  ImportWarning)


def warning_note(message: Warning | str, category: type[Warning]) -> str:
    """The HTML note a report shows for a warning (the text escaped, on one line)."""
    text = " ".join(str(message).split())
    return ("<blockquote><p><strong>Предупреждение при построении:</strong> "
            f"{html.escape(text)} ({html.escape(category.__name__)}). Подробности — в журнале "
            "запуска (<code>report.ipynb</code> рядом с отчётом).</p></blockquote>")


def keep_warnings() -> None:
    """Record every warning in the executed notebook and show the reader those that matter.

    Call it once, in a notebook's setup cell. Each distinct warning is written once per place
    that raises it (Python's ``default`` action: nothing is ignored); those not in
    :data:`DEVELOPER_WARNINGS` are displayed in the cell's output as well.
    """
    warnings.simplefilter("default")

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))
        if not issubclass(category, DEVELOPER_WARNINGS):
            display(HTML(warning_note(message, category)))

    warnings.showwarning = show
