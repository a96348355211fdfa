"""What a reader must never see in a generated report or card: number–noun disagreement («5 школы»,
«1 школ»), raw parameter keys (``monitoring.indicator_targets``), code identifiers
(``school_id``, ``SeasonResult``), ``file://`` links, machine paths and internal document names.

:func:`visible_text` turns a page into the text a browser shows (no tags, styles, scripts or
embedded images); :func:`problems` lists every offending phrase with a little context.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from shnor_lib.report.format import plural

# lemma forms: nominative singular, genitive singular (= nominative after 2–4), genitive plural
NOUNS = [
    ("школа", "школы", "школ"), ("мера", "меры", "мер"), ("участник", "участника", "участников"),
    ("фактор", "фактора", "факторов"), ("педагог", "педагога", "педагогов"), ("учитель", "учителя", "учителей"),
    ("показатель", "показателя", "показателей"), ("строка", "строки", "строк"), ("процедура", "процедуры", "процедур"),
    ("предмет", "предмета", "предметов"), ("год", "года", "лет"), ("кластер", "кластера", "кластеров"),
    ("пара", "пары", "пар"), ("ученик", "ученика", "учеников"), ("балл", "балла", "баллов"),
]
_FORMS = {form: lemma for lemma in NOUNS for form in lemma}
_NUMBER_NOUN = re.compile(r"(?<![\d,.\-−–/№])\b(\d{1,6})\s+(" + "|".join(sorted(_FORMS, key=len, reverse=True))
                          + r")(?![а-яё])")

#: input files a methodologist prepares; their names may appear in the справка («нет файла social»)
INPUT_FILES = {"schools", "results", "social", "teachers", "indices", "monitoring", "risk_profiles",
               "diagnostics", "teacher_diagnostics", "official_lists"}
#: files beside the справка or given to the program, named by the report («сохранены в data_issues.csv»)
_FILE_TYPES = {"csv", "xlsx", "pdf", "html"}
_SNAKE = re.compile(r"(?<![\w./\\-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w(]|\.(?:csv|xlsx|pdf|html)\b)")
_DOTTED_KEY = re.compile(r"\b[a-z][a-z_]+\.[a-z_]+(?:\.[a-z_0-9]+)*\b")
_CODE = re.compile(r"shnor_lib|SeasonResult|DataFrame|\.py\b|\.ipynb\b|Traceback|\bNone\b|\bnan\b|\bNaN\b|"
                   r"\bTrue\b|\bFalse\b|\w+\(\)")
_INTERNAL = re.compile(r"file://|/work/|/tmp/|/home/|[A-Z]:\\\\|METHODOLOGY|ARCHITECTURE|HELPERS|TOOLCHAIN|"
                       r"\bseed\s*\d|\bseeds?\b|\.md\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "svg"):
            self._skip += 1
        elif tag in ("p", "li", "br", "tr", "td", "th", "div", "h1", "h2", "h3", "h4", "table", "caption"):
            self.parts.append("\n")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("file:"):
                self.parts.append(f" [ссылка {href}] ")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "svg") and self._skip:
            self._skip -= 1
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    """The text a browser shows for ``page`` (HTML), with ``file:`` links written out."""
    p = _Text()
    p.feed(page)
    p.close()
    return re.sub(r"[ \t\u00a0]+", " ", "".join(p.parts))


def agreement_errors(text: str) -> list[str]:
    """Phrases «N noun» whose noun form cannot agree with N in any case («5 школы», «1 школ», «2 школа»)."""
    bad = []
    for m in _NUMBER_NOUN.finditer(text):
        n, form = int(m.group(1)), m.group(2)
        one, few, many = _FORMS[form]
        if (one, few, many) == ("год", "года", "лет") and 1900 <= n <= 2100:
            continue  # «2024 год» is a year, not a count
        want = plural(n, one, few, many)
        if want == one:
            ok = {one, few}       # 1 школа / из 1 школы
        elif want == few:
            ok = {few, many}      # 2 школы / из 2 школ
        else:
            ok = {many}           # 5 школ
        if form not in ok:
            bad.append(text[max(0, m.start() - 30):m.end() + 10].replace("\n", " "))
    return bad


def problems(page: str) -> dict[str, list[str]]:
    """Every phrase of ``page`` a reader must not see, by kind (empty lists when clean)."""
    text = visible_text(page)
    out: dict[str, list[str]] = {"согласование": agreement_errors(text), "ключи параметров": [],
                                 "идентификаторы": [], "внутреннее": []}
    for m in _DOTTED_KEY.finditer(text):
        if m.group(0).rsplit(".", 1)[1] not in _FILE_TYPES:  # a file the reader gets or gives: «data_issues.csv»
            out["ключи параметров"].append(m.group(0))
    for m in _SNAKE.finditer(text):
        if m.group(1) not in INPUT_FILES:
            out["идентификаторы"].append(text[max(0, m.start() - 30):m.end() + 10].replace("\n", " "))
    for m in _CODE.finditer(text):
        out["идентификаторы"].append(text[max(0, m.start() - 30):m.end() + 10].replace("\n", " "))
    for m in _INTERNAL.finditer(text):
        out["внутреннее"].append(text[max(0, m.start() - 30):m.end() + 20].replace("\n", " "))
    if "file://" in page:
        out["внутреннее"].append("file:// в разметке")
    return {k: sorted(set(v)) for k, v in out.items()}
