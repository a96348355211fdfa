"""Turn an executed notebook into a reader's report: HTML, then PDF.

HTML comes from nbconvert with our ``shnor_report`` template (code hidden,
A4 print CSS, no scripts from the network, a table of contents). PDF is the
same HTML printed by a headless Chrome/Chromium: of the routes measured in
``TOOLCHAIN.md`` it is the only one that keeps Cyrillic without a TeX install
and honours CSS ``@page`` (A4).

The browser is driven through Playwright (the Python package only, with the
installed Chromium: no browser download) and kept open for the whole process,
so each further PDF costs a fraction of a second instead of a browser start;
it prints a running footer («<municipality>, <year> · стр. N из M», the date
made) and PDF bookmarks from the headings. Without Playwright the browser's
command line prints the PDF (bookmarks, no footer). Links to other reports are
printed relative to the PDF (``schools/7.pdf``, ``../report.pdf``), never as
``file://`` paths of the machine that made them.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import datetime
import functools
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import nbformat

from ..io.atomic import atomic_path
from .html import insert_toc

__all__ = [
    "PdfEngineMissing",
    "PdfExportError",
    "TEMPLATES_DIR",
    "find_browser",
    "html_to_pdf",
    "pdf_page_count",
    "close_browser",
    "keep_browser_for_process",
    "persistent_browser",
    "notebook_to_html",
    "one_page_pdfs",
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


def notebook_to_html(nb: nbformat.NotebookNode, *, title: str, nav: tuple = ()) -> str:
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
    nav : tuple of (href, label), optional
        Relative links back (the overview of all reports, the season report) shown above the report.

    Returns
    -------
    str
        The complete HTML document.
    """
    nb = _without_stderr(nb)
    nb.metadata["title"] = title
    body, _ = _html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    if nav:
        links = "".join(f'<a href="{html.escape(href, quote=True)}">{html.escape(label)}</a>' for href, label in nav)
        body = body.replace("<main>\n", f'<main>\n<nav class="shnor-back">{links}</nav>\n', 1)
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


# ---------------------------------------------------------------- links and pages of a PDF

_HREF = re.compile(r'(href=")([^"#:?]+?)\.html((?:#[^"]*)?")')
_URI = re.compile(rb"/URI \((file://[^()\\]*)\)")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_OCTAL_DOT = b"\\056/"  # «./» written in 5 bytes inside a PDF string


def _pdf_hrefs(page: str) -> str:
    """Point relative links to other reports at their PDFs (``schools/7.html`` → ``schools/7.pdf``).

    Index pages (``index.html``) have no PDF and keep their link; absolute URLs are not touched.
    """
    def swap(m: re.Match[str]) -> str:
        target = m.group(2)
        if target.rsplit("/", 1)[-1] == "index" or target.startswith("/"):
            return m.group(0)
        return f"{m.group(1)}{target}.pdf{m.group(3)}"

    return _HREF.sub(swap, page)


def _padded(rel: bytes, length: int) -> bytes | None:
    """``rel`` prefixed with ``./`` segments (2 bytes each, or 5 as ``\\056/``) to exactly ``length`` bytes."""
    gap = length - len(rel)
    for odd in (0, 1):
        rest = gap - 5 * odd
        if rest >= 0 and rest % 2 == 0:
            return _OCTAL_DOT * odd + b"./" * (rest // 2) + rel
    return None


def _relative_uris(data: bytes, folder: Path) -> bytes:
    """Rewrite every ``file://`` link of a PDF relative to ``folder`` (where the PDF lies).

    The browser stores a link as the absolute URL it resolved; a PDF sent by e-mail would then point
    into the machine that made it. The rewritten string keeps its byte length (padded with ``./``),
    so the PDF's cross-reference offsets stay valid.
    """
    def swap(m: re.Match[bytes]) -> bytes:
        padded = _padded(_relative_uri(m.group(1).decode("latin-1"), folder).encode("ascii"), len(m.group(1)))
        return b"/URI (" + padded + b")" if padded is not None else b"/URI ()"

    return _URI.sub(swap, data)


def _relative_uri(uri: str, folder: Path) -> str:
    """A ``file://`` URL relative to ``folder``, percent-encoded, with its fragment."""
    url = urlsplit(uri)
    rel = os.path.relpath(unquote(url.path), folder).replace(os.sep, "/")
    return quote(rel, safe="/.-_~") + (f"#{url.fragment}" if url.fragment else "")


def pdf_page_count(path: str | os.PathLike[str]) -> int:
    """Number of pages of a PDF printed by Chromium (its page objects; no PDF library needed)."""
    return len(_PAGE.findall(Path(path).read_bytes()))


# ---------------------------------------------------------------- one persistent browser

_FOOTER = ('<div style="font-family:\'DejaVu Sans\',sans-serif;font-size:7.5px;color:#555;width:100%;'
           'margin:0 12mm;display:flex;justify-content:space-between">'
           '<span>{left}стр. {page} из {pages}</span>'
           '<span>{right}</span></div>')
#: Page margins of the printed PDF (the bottom one holds the footer).
PDF_MARGIN = {"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}
# the printable area of A4 within PDF_MARGIN, in CSS pixels (96 per inch)
_A4_WIDTH_PX, _A4_HEIGHT_PX = round((210 - 24) / 25.4 * 96), round((297 - 30) / 25.4 * 96)


#: The browser's running page numbers in the footer; a one-page PDF cut from a longer print writes «1».
_PAGE_NUMBERS = {"page": '<span class="pageNumber"></span>', "pages": '<span class="totalPages"></span>'}
# each sheet's own height (margins inside, display: flow-root)
_SHEET_HEIGHTS = """() => Array.from(document.querySelectorAll("div.shnor-sheet"),
                                    (sheet) => Math.ceil(sheet.getBoundingClientRect().height))"""
_ZOOM_SHEET = """([i, zoom]) => { document.querySelectorAll("div.shnor-sheet")[i].style.zoom = String(zoom); }"""


def _fit_scale(height: float) -> float:
    """The print scale (or CSS zoom) that brings content ``height`` px tall onto one A4 page: 1 when it
    fits, else shrunk with a 3% margin, never below 50%."""
    return 1.0 if height <= _A4_HEIGHT_PX else max(0.5, round(0.97 * _A4_HEIGHT_PX / max(height, 1), 3))


class _Printer:
    """One headless Chromium driven by Playwright, kept for the life of the process."""

    def __init__(self, exe: str) -> None:
        # here: Playwright is optional; without it the browser's command line prints
        from playwright.sync_api import sync_playwright

        self.exe = exe
        self._page: Any = None  # playwright's Page, opened on first print
        self._pw = sync_playwright().start()
        try:
            self.browser = self._pw.chromium.launch(
                executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-quic",
                                           "--disable-background-networking", "--disable-component-update"])
        except BaseException:
            self._pw.stop()
            raise

    def print(self, url: str, target: Path, *, footer: str | None, timeout: float, scale: float = 1.0,
              fit: bool = False) -> float:
        """Print ``url`` to ``target``; with ``fit`` the scale shrinks the page's height to one A4 page.

        Returns the scale used."""
        with self._tab(url, timeout) as page:
            if fit:
                page.emulate_media(media="print")
                # the content's own height (the document's is at least the viewport's, one A4 page)
                height = page.evaluate("Math.ceil(document.body.getBoundingClientRect().bottom)")
                if height > _A4_HEIGHT_PX:
                    scale = min(scale, _fit_scale(height))
            self._pdf(target, footer=footer, scale=scale)
        return scale

    def print_sheets(self, url: str, target: Path, *, footer: str | None, timeout: float) -> list[float]:
        """Print a document of one-page sheets (``div.shnor-sheet``, each from a new page) to ``target``.

        A sheet taller than the printable A4 area is shrunk with CSS ``zoom`` by the scale
        :meth:`print` would use for it; the footer numbers every page «стр. 1 из 1», since each
        page becomes a PDF of its own. Returns each sheet's zoom.
        """
        with self._tab(url, timeout) as page:
            page.emulate_media(media="print")
            zooms = [_fit_scale(height) for height in page.evaluate(_SHEET_HEIGHTS)]
            for i, zoom in enumerate(zooms):
                if zoom < 1:
                    page.evaluate(_ZOOM_SHEET, [i, zoom])
            self._pdf(target, footer=footer, scale=1.0, page_numbers={"page": "1", "pages": "1"})
        return zooms

    @contextlib.contextmanager
    def _tab(self, url: str, timeout: float) -> Iterator[Any]:
        """The process's one tab, loaded with ``url``; closed, not reused, when the print fails mid-way."""
        # One tab for every print: opening a tab costs more than printing a school card.
        if self._page is None or self._page.is_closed():
            self._page = self.browser.new_page(viewport={"width": _A4_WIDTH_PX, "height": _A4_HEIGHT_PX})
        page = self._page
        try:
            page.goto(url, wait_until="load", timeout=timeout * 1000)
            yield page
        except BaseException:
            page.close()  # a tab left mid-way (timeout, crash) is not reused
            raise

    def _pdf(self, target: Path, *, footer: str | None, scale: float,
             page_numbers: dict[str, str] = _PAGE_NUMBERS) -> None:
        left = f"{html.escape(footer)} · " if footer else ""
        made = f"сформировано {datetime.date.today():%d.%m.%Y}"
        template = _FOOTER.format(left=left, right=made, **page_numbers)
        self._page.pdf(path=str(target), format="A4", print_background=True, outline=True, tagged=True,
                       display_header_footer=True, header_template="<span></span>", footer_template=template,
                       margin=PDF_MARGIN, scale=scale)

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            self._pw.stop()


_PRINTERS: dict[str, _Printer | None] = {}


def _printer(exe: str) -> _Printer | None:
    """The process's browser for ``exe``, started on first use; None when Playwright cannot drive it."""
    if exe not in _PRINTERS:
        try:
            from playwright.sync_api import Error as PlaywrightError
        except ImportError:
            _PRINTERS[exe] = None
            return None
        try:
            _PRINTERS[exe] = _Printer(exe)
            atexit.register(_close_printers)
        except (PlaywrightError, RuntimeError, OSError):  # e.g. inside a running asyncio loop (Jupyter)
            _PRINTERS[exe] = None
    return _PRINTERS[exe]


def _close_printers() -> None:
    from playwright.sync_api import Error as PlaywrightError  # here: only called once Playwright was imported

    for exe, printer in list(_PRINTERS.items()):
        _PRINTERS.pop(exe, None)
        if printer is not None:
            try:
                printer.close()
            except (PlaywrightError, OSError, RuntimeError):  # a browser already gone is fine
                pass


def close_browser() -> None:
    """Close the persistent browser of this process (it is also closed at exit)."""
    _close_printers()


_KEEP = [0]  # open persistent_browser() scopes (or 1 for a worker process that keeps it for life)


@contextlib.contextmanager
def persistent_browser() -> Iterator[None]:
    """Keep one browser open for every :func:`html_to_pdf` inside the ``with`` block.

    Outside such a block each PDF starts and closes its own browser, so that a caller's own
    Playwright session in the same thread is never disturbed by one left running.
    """
    _KEEP[0] += 1
    try:
        yield
    finally:
        _KEEP[0] -= 1
        if _KEEP[0] == 0:
            _close_printers()


def keep_browser_for_process() -> None:
    """Keep the browser open until this process ends (an initializer of report worker processes)."""
    _KEEP[0] = max(_KEEP[0], 1)


def html_to_pdf(
    html_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    *,
    browser: str | None = None,
    timeout: float = 120,
    footer: str | None = None,
    one_page: bool = False,
) -> Path:
    """Print an HTML file to an A4 PDF with headless Chrome/Chromium.

    The PDF is printed to a temporary file next to ``pdf_path`` and renamed
    onto it only when the browser produced a real PDF, so an earlier PDF is
    never replaced by a broken one. Relative links to other reports
    (``schools/7.html``) point to their PDFs (``schools/7.pdf``) and stay
    relative inside the PDF.

    Parameters
    ----------
    html_path : str or os.PathLike
        The HTML file to print (page size comes from its CSS ``@page``).
    pdf_path : str or os.PathLike
        Where to write the PDF.
    browser : str, optional
        Browser executable, run through its command line (no footer); by
        default :func:`find_browser` is used, driven through Playwright when
        it is installed (one browser per process, running footer, bookmarks).
    timeout : float, default 120
        Seconds before the browser is killed.
    footer : str, optional
        Text before «стр. N из M» in the running footer, e.g. «Демо, 2024».
    one_page : bool, default False
        Shrink the print (down to 55%) until the PDF has one page (school cards).

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
    printer = None if browser else _printer(exe)
    # a copy beside the page, so that its relative links resolve as the page's own
    copy_path = source.with_name(f".{source.stem}.print-{os.getpid()}.html")
    copy_path.write_text(_pdf_hrefs(source.read_text(encoding="utf-8")), encoding="utf-8")
    try:
        with atomic_path(target) as tmp:
            if printer is not None:
                _print_playwright(printer, copy_path, tmp, footer=footer, timeout=timeout, one_page=one_page)
            else:
                _print_cli(exe, copy_path, tmp, timeout)
            data = tmp.read_bytes() if tmp.is_file() else b""
            tmp.write_bytes(_relative_uris(data, target.parent))
    finally:
        copy_path.unlink(missing_ok=True)
        if _KEEP[0] == 0:
            _close_printers()
    return target


def _print_playwright(printer: _Printer, source: Path, tmp: Path, *, footer: str | None, timeout: float,
                      one_page: bool) -> None:
    from playwright.sync_api import Error as PlaywrightError

    scale = 1.0
    try:
        scale = printer.print(source.as_uri(), tmp, footer=footer, timeout=timeout, fit=one_page)
        while one_page and scale > 0.5 and pdf_page_count(tmp) > 1:
            scale = round(scale - 0.04, 3)
            printer.print(source.as_uri(), tmp, footer=footer, timeout=timeout, scale=scale)
    except PlaywrightError as exc:
        raise PdfExportError(f"PDF не создан: браузер {printer.exe} сообщил об ошибке: {_one_line(str(exc))}") from exc
    if not (tmp.is_file() and tmp.read_bytes()[:5] == b"%PDF-"):
        raise PdfExportError(f"PDF не создан: браузер {printer.exe} не записал PDF.")


_DOCUMENT = re.compile(r"(?s)\A(.*?)<title>(.*?)</title>(.*?)</head>\s*<body>(.*)</body>\s*</html>\s*\Z")
_SHEETS_CSS = ("<style>div.shnor-sheet { display: flow-root; }\n"
               "div.shnor-sheet + div.shnor-sheet { break-before: page; page-break-before: always; }</style>\n")


def one_page_pdfs(pages: Sequence[tuple[str | os.PathLike[str], str | os.PathLike[str]]], *,
                  footer: str | None = None, timeout: float = 120) -> list[Path | PdfExportError]:
    """Print one-page HTML documents of one folder (school cards) to one A4 PDF each, in one print.

    The pages' bodies are printed as one document, one page each (a page taller than A4 is shrunk
    to fit, as ``html_to_pdf(..., one_page=True)`` does), and the PDF is split into one file per
    page with its text, links (relative, as :func:`html_to_pdf` writes them), bookmarks, title,
    language and the running footer («<footer> · стр. 1 из 1», the date made). One print of N pages
    costs a fraction of N prints (a print has a fixed cost of loading and laying out a document).
    The split files are not tagged (the browser's structure tree spans the whole document).

    When the pages cannot go into one document (other folders or page heads, no Playwright or
    ``pypdf``) or a page did not stay on one page, each is printed on its own by
    :func:`html_to_pdf`.

    Parameters
    ----------
    pages : sequence of (html_path, pdf_path)
        HTML documents of one folder with the same ``<head>`` but for the title, and their PDFs.
    footer : str, optional
        Text before «стр. 1 из 1» in the footer, e.g. «Демо, 2024».
    timeout : float, default 120
        Seconds for the whole print.

    Returns
    -------
    list of Path or PdfExportError
        Per page, in order: its PDF, or why it has none (the PDF left as it was).
    """
    sources = [(Path(h).resolve(), Path(p).resolve()) for h, p in pages]
    done = _one_print(sources, footer=footer, timeout=timeout) if len(sources) > 1 else None
    if done is not None:
        return list(done)
    out: list[Path | PdfExportError] = []
    for src, target in sources:
        try:
            out.append(html_to_pdf(src, target, footer=footer, timeout=timeout, one_page=True))
        except PdfExportError as exc:
            out.append(exc)
    return out


def _one_print(sources: list[tuple[Path, Path]], *, footer: str | None, timeout: float) -> list[Path] | None:
    """:func:`one_page_pdfs` in one print; None when it cannot be done so (the caller prints each)."""
    try:
        # here: pypdf takes ~0.1 s to import and only the cards' one print needs it, not every report kernel
        import pypdf
        from playwright.sync_api import Error as PlaywrightError
    except ImportError:
        return None
    folder = sources[0][0].parent
    exe = find_browser()
    if exe is None or any(src.parent != folder or not src.is_file() for src, _ in sources):
        return None
    parts = [_DOCUMENT.match(_pdf_hrefs(src.read_text(encoding="utf-8"))) for src, _ in sources]
    if any(m is None or (m[1], m[3]) != (parts[0][1], parts[0][3]) for m in parts):
        return None
    printer = _printer(exe)
    if printer is None:
        return None
    first = parts[0]
    document = (f"{first[1]}<title></title>{first[3]}{_SHEETS_CSS}</head>\n<body>\n"
                + "".join(f'<div class="shnor-sheet">{m[4]}</div>\n' for m in parts)
                + "</body>\n</html>\n")
    combined = folder / f".shnor-sheets-{os.getpid()}.html"
    printed = folder / f".shnor-sheets-{os.getpid()}.pdf"
    try:
        combined.write_text(document, encoding="utf-8")
        try:
            printer.print_sheets(combined.as_uri(), printed, footer=footer, timeout=timeout)
        except PlaywrightError:
            return None
        try:
            reader = pypdf.PdfReader(printed)
            if len(reader.pages) != len(sources):  # a sheet ran over its page: print each on its own
                return None
            titles = [html.unescape(m[2]) for m in parts]
            outline = _outline_by_page(reader, reader.outline)  # read once: pypdf parses it anew on each access
            for number, (_, target) in enumerate(sources):
                with atomic_path(target) as tmp:
                    _one_page_of(reader, number, titles[number], outline, target.parent).write(tmp)
        except pypdf.errors.PyPdfError:  # a PDF pypdf cannot split: print each on its own
            return None
    finally:
        combined.unlink(missing_ok=True)
        printed.unlink(missing_ok=True)
        if _KEEP[0] == 0:
            _close_printers()
    return [target for _, target in sources]


def _one_page_of(reader: Any, number: int, title: str, outline: list, folder: Path) -> Any:
    """Page ``number`` of ``reader`` as a PDF of its own (a ``pypdf.PdfWriter``), links relative to ``folder``."""
    import pypdf  # here: loaded by _one_print, the only caller
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = pypdf.PdfWriter()
    page = writer.add_page(reader.pages[number])
    if "/StructParents" in page:  # the structure tree stays behind with the whole document
        del page[NameObject("/StructParents")]
    for ref in page.get("/Annots", []):
        action = ref.get_object().get("/A")
        uri = action.get_object().get("/URI") if action is not None else None
        if isinstance(uri, str) and uri.startswith("file://"):
            action.get_object()[NameObject("/URI")] = TextStringObject(_relative_uri(uri, folder))
    _copy_outline(outline, number, writer, None)
    root = reader.trailer["/Root"]
    for key in ("/Lang", "/ViewerPreferences"):
        if key in root:
            value = root[key].get_object()
            writer.root_object[NameObject(key)] = (DictionaryObject(value) if isinstance(value, dict)
                                                    else value)
    meta = {k: v for k, v in (reader.metadata or {}).items() if k in ("/Creator", "/Producer", "/CreationDate",
                                                                         "/ModDate")}
    writer.add_metadata({**meta, "/Title": title})
    return writer


def _outline_by_page(reader: Any, items: list) -> list:
    """The outline as nested lists of (title, page number, left, top)."""
    return [_outline_by_page(reader, item) if isinstance(item, list)
            else (item.title, reader.get_destination_page_number(item), item.left, item.top) for item in items]


def _copy_outline(items: list, number: int, writer: Any, parent: Any) -> None:
    """The bookmarks of page ``number`` (nested as they were) into ``writer``'s only page."""
    from pypdf.generic import Fit  # here: loaded by _one_print, the only caller

    last = None
    for item in items:
        if isinstance(item, list):  # the children of the item before
            _copy_outline(item, number, writer, last if last is not None else parent)
        elif item[1] == number:
            last = writer.add_outline_item(title=item[0], page_number=0, parent=parent, fit=Fit.xyz(item[2], item[3]))
        else:
            last = None


def _one_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else "—"


def _print_cli(exe: str, source: Path, tmp: Path, timeout: float) -> None:
    profile = tempfile.mkdtemp(prefix="shnor-browser-")
    try:
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
            "--generate-pdf-document-outline",
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
