"""Turn an executed notebook into a reader's report: HTML, then PDF.

HTML comes from nbconvert with our ``shnor_report`` template (code hidden,
A4 print CSS, no scripts from the network, a table of contents). PDF is the
same HTML printed by a headless Chrome/Chromium: of the routes measured in
``TOOLCHAIN.md`` it is the only one that keeps Cyrillic without a TeX install
and honours CSS ``@page`` (A4).
"""

from __future__ import annotations

import copy
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from ..io.atomic import atomic_path
from .html import insert_toc

__all__ = [
    "PdfEngineMissing",
    "PdfExportError",
    "TEMPLATES_DIR",
    "find_browser",
    "html_to_pdf",
    "notebook_to_html",
]

#: Folder holding the nbconvert template ``shnor_report``.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: Environment variable with the path (or command name) of the browser for PDF.
BROWSER_ENV = "SHNOR_BROWSER"

_BROWSER_COMMANDS = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
)

class PdfExportError(RuntimeError):
    """The browser ran but did not produce a PDF (message in Russian)."""


class PdfEngineMissing(PdfExportError):
    """No Chrome/Chromium to print the PDF with (message in Russian)."""


# --------------------------------------------------------------------------- HTML


@functools.lru_cache(maxsize=1)
def _html_exporter():
    # nbconvert costs ~0.9 s to import; only pay for it when HTML is wanted.
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "shnor_report"
    config.HTMLExporter.extra_template_basedirs = [str(TEMPLATES_DIR)]
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.language_code = "ru"
    config.HTMLExporter.theme = "light"
    config.HTMLExporter.embed_images = True
    # Tags an author can use to keep a cell or its output out of the report.
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    config.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(config=config)
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    return exporter


def _without_stderr(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` without stderr stream outputs (warnings, logs), and with
    raw HTML in generated Markdown outputs shown as text.

    Generated conclusions are Markdown built from data (school names typed by users):
    Markdown passes raw HTML through, so a name like ``<img onerror=…>`` would become
    markup. Our texts use Markdown syntax only, so every ``<`` in a Markdown *output*
    is text and is escaped. Markdown *cells* (written by us) are left alone.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                out
                for out in cell.get("outputs", [])
                if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
            ]
            for out in cell["outputs"]:
                data = out.get("data") or {}
                if "text/markdown" in data:
                    text = data["text/markdown"]
                    text = "".join(text) if isinstance(text, list) else text
                    data["text/markdown"] = text.replace("<", "&lt;")
    return nb


def notebook_to_html(nb: nbformat.NotebookNode, *, title: str) -> str:
    """Render an executed notebook as a self-contained Russian HTML report.

    Code, prompts and stderr outputs are hidden; images are embedded as
    base64; no script is loaded from the network; a table of contents
    («Содержание») built from the h2/h3 headings is put at the top (after the
    title cell when the notebook starts with an h1).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    title : str
        Text of the ``<title>`` element.

    Returns
    -------
    str
        The complete HTML document.
    """
    nb = _without_stderr(nb)
    nb.metadata["title"] = title
    body, _ = _html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return insert_toc(body)



# --------------------------------------------------------------------------- PDF


def _candidate_paths() -> list[str]:
    """Usual install locations of Chrome, Chromium and Edge per platform."""
    if sys.platform == "darwin":
        apps = [
            "Google Chrome.app/Contents/MacOS/Google Chrome",
            "Chromium.app/Contents/MacOS/Chromium",
            "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
        ]
        roots = ["/Applications", str(Path.home() / "Applications")]
        return [str(Path(root) / app) for root in roots for app in apps]
    if os.name == "nt":
        roots = [
            os.environ.get("PROGRAMFILES", r"C:\Program Files"),
            os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"),
            os.environ.get("LOCALAPPDATA", ""),
        ]
        apps = [
            r"Google\Chrome\Application\chrome.exe",
            r"Chromium\Application\chrome.exe",
            r"Microsoft\Edge\Application\msedge.exe",
        ]
        return [str(Path(root) / app) for root in roots if root for app in apps]
    return [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
        "/usr/bin/google-chrome-stable",
        "/snap/bin/chromium",
        "/opt/google/chrome/chrome",
        "/usr/lib/chromium/chromium",
        "/usr/bin/microsoft-edge",
        "/opt/microsoft/msedge/msedge",
    ]


def _executable(candidate: str) -> str | None:
    found = shutil.which(candidate)
    if found:
        return found
    path = Path(candidate).expanduser()
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    return None


def find_browser() -> str | None:
    """Find a Chrome/Chromium/Edge executable to print PDF with.

    Looks at ``$SHNOR_BROWSER`` first. When that variable is set, it is the
    only candidate: a wrong value gives ``None`` instead of silently printing
    with some other browser. Otherwise tries ``chromium``, ``chromium-browser``,
    ``google-chrome``, ``google-chrome-stable``, ``chrome`` and ``msedge`` on
    ``PATH``, then the usual install locations on Linux, macOS and Windows.

    Returns
    -------
    str or None
        Path of the executable, or ``None`` when none is found.
    """
    explicit = os.environ.get(BROWSER_ENV, "").strip()
    if explicit:
        return _executable(explicit)
    for name in _BROWSER_COMMANDS:
        found = shutil.which(name)
        if found:
            return found
    for candidate in _candidate_paths():
        found = _executable(candidate)
        if found:
            return found
    return None


def _missing_browser_message(browser: str | None = None) -> str:
    explicit = browser or os.environ.get(BROWSER_ENV, "").strip()
    if explicit:
        return (
            f"PDF не создан: браузер «{explicit}» не найден или не запускается "
            f"(путь задан {'аргументом browser' if browser else 'переменной ' + BROWSER_ENV}). "
            f"Исправьте путь к Chromium/Chrome или удалите переменную {BROWSER_ENV}, "
            "чтобы браузер искался автоматически. HTML-отчёт при этом создаётся."
        )
    return (
        "PDF не создан: не найден браузер Chromium или Google Chrome, которым печатается PDF. "
        "HTML-отчёт при этом создаётся. Чтобы получать и PDF, установите Chromium "
        "(Debian/Ubuntu: sudo apt-get install chromium) или Google Chrome, "
        f"либо укажите путь к браузеру в переменной окружения {BROWSER_ENV}."
    )


def _tail(data: bytes, lines: int = 15) -> str:
    text = data.decode("utf-8", errors="replace").strip()
    return "\n".join(text.splitlines()[-lines:])


def _run_browser(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run the browser; on timeout kill it with all its helper processes."""
    posix = os.name == "posix"
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=posix,  # its own process group, so a kill reaches the renderers
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if posix:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            proc.kill()
        out, err = proc.communicate()
        raise PdfExportError(
            f"PDF не создан: браузер не уложился в {timeout:g} с. "
            f"Последние строки его вывода:\n{_tail(err) or '(пусто)'}"
        ) from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def html_to_pdf(
    html_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    *,
    browser: str | None = None,
    timeout: float = 120,
) -> Path:
    """Print an HTML file to an A4 PDF with headless Chrome/Chromium.

    The PDF is printed to a temporary file next to ``pdf_path`` and renamed
    onto it only when the browser produced a real PDF, so an earlier PDF is
    never replaced by a broken one. A fresh browser profile is used and
    removed afterwards.

    Parameters
    ----------
    html_path : str or os.PathLike
        The HTML file to print (page size comes from its CSS ``@page``).
    pdf_path : str or os.PathLike
        Where to write the PDF.
    browser : str, optional
        Browser executable; by default :func:`find_browser` is used.
    timeout : float, default 120
        Seconds before the browser is killed.

    Returns
    -------
    pathlib.Path
        ``pdf_path``.

    Raises
    ------
    PdfEngineMissing
        No usable browser (the message says how to install one).
    PdfExportError
        The browser failed, timed out or wrote no PDF (with its stderr tail).
    """
    source = Path(html_path).resolve()
    target = Path(pdf_path).resolve()
    if not source.is_file():
        raise FileNotFoundError(f"Нет HTML-файла для печати в PDF: {source}")
    exe = _executable(browser) if browser else find_browser()
    if exe is None:
        raise PdfEngineMissing(_missing_browser_message(browser))

    profile = tempfile.mkdtemp(prefix="shnor-browser-")
    try:
        with atomic_path(target) as tmp:
            cmd = [
                exe,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={tmp}",
                source.as_uri(),
            ]
            try:
                result = _run_browser(cmd, timeout)
            except OSError as exc:
                raise PdfEngineMissing(_missing_browser_message(exe) + f" ({exc})") from exc
            ok = tmp.is_file() and tmp.stat().st_size > 0 and tmp.read_bytes()[:5] == b"%PDF-"
            if not ok:
                raise PdfExportError(
                    f"PDF не создан: браузер {exe} завершился с кодом {result.returncode} "
                    "и не записал PDF. Последние строки его вывода:\n"
                    f"{_tail(result.stderr) or '(пусто)'}"
                )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return target
