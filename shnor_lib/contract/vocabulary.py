"""The declared vocabulary of procedures, subjects and grades (``parameters/vocabulary.yml``).

Values that the rules read are looked up here, in input files and in parameter files alike:
after normalisation (case, «ё»/«е», spaces, punctuation) a value is a canonical name or one
of its aliases, or it is unknown. Unknown values are never guessed: the caller reports them
with :meth:`Vocabulary.explain`, which names the nearest known names and any Latin letter
hiding among Cyrillic ones (or the reverse).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from ..config.folders import default_parameters_dir
from ..errors import ParameterError

__all__ = ["Term", "Vocabulary", "load_vocabulary", "normalize_term", "mixed_script", "VOCABULARY_FILE"]

VOCABULARY_FILE = "vocabulary.yml"
MARKS_SCALE = "marks"
SCORE_SCALE = "score"

_PUNCT = re.compile(r"[\s.,;:!?()\[\]{}/\\«»\"'`‘’“”„_–—\-]+")
# Latin letters that look like Cyrillic ones and the reverse (lower case).
_LATIN_TO_CYR = dict(zip("aceopxykmthb", "асеорхукмтнв"))
_CYR_TO_LAT = {v: k for k, v in _LATIN_TO_CYR.items()}


def normalize_term(text: object) -> str:
    """Lower case, «ё» → «е», punctuation and runs of spaces → one space.

    >>> normalize_term("  Рус. яз. ")
    'рус яз'
    >>> normalize_term("Математика (профильный уровень)")
    'математика профильный уровень'
    """
    s = unicodedata.normalize("NFC", str(text)).replace("\ufeff", "").lower().replace("ё", "е")
    return " ".join(_PUNCT.sub(" ", s).split())


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("CYRILLIC"):
        return "cyr"
    if name.startswith("LATIN"):
        return "lat"
    return None


def mixed_script(text: object) -> list[tuple[int, str, str]]:
    """Letters of the other alphabet inside a word: ``(position from 1, letter, alphabet)``.

    In a word mostly of Cyrillic letters the Latin ones are returned (alphabet ``"латинская"``),
    in a word mostly of Latin letters the Cyrillic ones (``"русская"``). Words of one alphabet
    give nothing.
    """
    s = str(text)
    out: list[tuple[int, str, str]] = []
    for m in re.finditer(r"\w+", s):
        word = m.group(0)
        scripts = [_script(ch) for ch in word]
        n_cyr, n_lat = scripts.count("cyr"), scripts.count("lat")
        if not (n_cyr and n_lat):
            continue
        minority = "lat" if n_cyr >= n_lat else "cyr"
        for k, (ch, sc) in enumerate(zip(word, scripts)):
            if sc == minority:
                out.append((m.start() + k + 1, ch, "латинская" if sc == "lat" else "русская"))
    return out


def _unmixed(text: str) -> str:
    """``text`` with look-alike letters of the minority alphabet replaced (for a hint only)."""
    chars = list(text)
    for pos, ch, alphabet in mixed_script(text):
        table = _LATIN_TO_CYR if alphabet == "латинская" else _CYR_TO_LAT
        repl = table.get(ch.lower())
        if repl:
            chars[pos - 1] = repl.upper() if ch.isupper() else repl
    return "".join(chars)


@dataclass(frozen=True)
class Term:
    """One vocabulary entry: a procedure or a subject with its accepted spellings."""

    name: str
    kind: str  # "procedure" | "subject"
    aliases: tuple[str, ...] = ()
    grades: tuple[int, ...] = ()  # procedures: the grades it is held in
    scale: str = ""  # "score" (ЕГЭ) or "marks"; a subject's own scale overrides its procedure's (ЕГЭ базовая)
    procedures: tuple[str, ...] = ()  # subjects that exist only under these procedures
    level_of: str | None = None  # a level of this subject (ЕГЭ mathematics)


_KIND_RU = {"procedure": "процедур", "subject": "предметов"}


class Vocabulary:
    """Procedures and subjects with their aliases, grades and scales.

    Parameters
    ----------
    procedures, subjects : dict of name -> Term
    source : str
        Where the vocabulary was read from (for messages).
    """

    def __init__(self, procedures: dict[str, Term], subjects: dict[str, Term], source: str = VOCABULARY_FILE):
        self.procedures = procedures
        self.subjects = subjects
        self.source = source
        self._index: dict[str, dict[str, str]] = {"procedure": {}, "subject": {}}
        for kind, terms in (("procedure", procedures), ("subject", subjects)):
            index = self._index[kind]
            for term in terms.values():
                for spelling in (term.name, *term.aliases):
                    key = normalize_term(spelling)
                    other = index.get(key)
                    if other is not None and other != term.name:
                        raise ParameterError(f"{source}: написание «{spelling}» отнесено и к «{other}», и к "
                                             f"«{term.name}» — оставьте его у одного.")
                    index[key] = term.name

    def _lookup(self, kind: str, value: object) -> str | None:
        if value is None:
            return None
        return self._index[kind].get(normalize_term(value))

    def procedure(self, value: object) -> str | None:
        """The canonical procedure (``"ВПР"``, ``"ОГЭ"`` …) for ``value``; None when unknown."""
        return self._lookup("procedure", value)

    def subject(self, value: object) -> str | None:
        """The canonical subject for ``value``; None when unknown."""
        return self._lookup("subject", value)

    def grades(self, procedure: str) -> tuple[int, ...]:
        """Grades in which ``procedure`` is held (all grades 1–11 for an unknown one)."""
        term = self.procedures.get(procedure)
        return term.grades if term and term.grades else tuple(range(1, 12))

    def levels(self, subject: str) -> list[str]:
        """Subjects declared as levels of ``subject`` (ЕГЭ mathematics: базовый, профильный)."""
        return [t.name for t in self.subjects.values() if t.level_of == subject]

    def marked(self, procedure: str, subject: str) -> bool:
        """True when results of this procedure and subject are marks 2–5 (not scores)."""
        for term in (self.subjects.get(subject), self.procedures.get(procedure)):
            if term is not None and term.scale:
                return term.scale == MARKS_SCALE
        return True

    def marked_mask(self, procedures: Iterable[str], subjects: Iterable[str]) -> np.ndarray:
        """:meth:`marked` of each (procedure, subject) pair, as a boolean array."""
        pairs = list(zip(procedures, subjects))
        cache = {pair: self.marked(*pair) for pair in set(pairs)}
        return np.fromiter((cache[pair] for pair in pairs), dtype=bool, count=len(pairs))

    def nearest(self, kind: str, value: object, n: int = 3) -> list[str]:
        """Up to ``n`` canonical names closest to ``value`` (by spelling), best first."""
        index = self._index[kind]
        key = normalize_term(_unmixed(str(value)))
        scored: dict[str, float] = {}
        for spelling, name in index.items():
            ratio = difflib.SequenceMatcher(None, key, spelling).ratio()
            if ratio >= 0.6 and ratio > scored.get(name, 0.0):
                scored[name] = ratio
        if scored:
            best = max(scored.values())
            # Only the close contenders: «Рускии язык» suggests «русский язык», not every «… язык».
            ranked = sorted((name for name, r in scored.items() if r >= best - 0.05), key=lambda x: -scored[x])
            return ranked[:n]
        # An abbreviation: a known spelling that starts like it.
        return list(dict.fromkeys(index[k] for k in sorted(index) if key and k.startswith(key[:4])))[:n]

    def explain(self, kind: str, value: object, where: str = "") -> str:
        """Why ``value`` is not a known procedure or subject, and what it may have meant (Russian).

        ``where`` (e.g. «строки 3, 4») is put after the value.
        """
        text = f"значение «{value}»" + (f" ({where})" if where else "") + f" не найдено в словаре {_KIND_RU[kind]}"
        mixed = mixed_script(value)
        fixed = self._lookup(kind, _unmixed(str(value))) if mixed else None
        if mixed:
            letters = ", ".join(f"«{ch}» ({alphabet}, {pos}-й знак)" for pos, ch, alphabet in mixed)
            text += f": в слове есть буквы другого алфавита — {letters}"
            if fixed:
                text += f"; если набрать их заново, получится «{fixed}»"
        text += "."
        near = [] if fixed else self.nearest(kind, value)
        if near:
            text += " Возможно, имелось в виду: " + ", ".join(f"«{x}»" for x in near) + "."
        return text

    def names(self, kind: str) -> list[str]:
        return list(self.procedures if kind == "procedure" else self.subjects)


def _as_tuple(value, source: str, where: str) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ParameterError(f"{source}: «{where}» должен быть списком в квадратных скобках.")
    return tuple(value)


def _terms(section: object, kind: str, source: str) -> dict[str, Term]:
    if not isinstance(section, dict) or not section:
        raise ParameterError(f"{source}: нет раздела «{kind}s» (словарь «название: описание»).")
    out: dict[str, Term] = {}
    for name, spec in section.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise ParameterError(f"{source}: описание «{name}» должно быть словарём (aliases, grades …).")
        unknown = set(spec) - {"aliases", "grades", "scale", "procedures", "level_of"}
        if unknown:
            raise ParameterError(f"{source}: у «{name}» неизвестные ключи: {', '.join(sorted(map(str, unknown)))}.")
        grades = _as_tuple(spec.get("grades"), source, f"{name}.grades")
        if any(not isinstance(g, int) or isinstance(g, bool) or not 1 <= g <= 11 for g in grades):
            raise ParameterError(f"{source}: «{name}.grades» — классы должны быть целыми числами от 1 до 11.")
        scale = spec.get("scale") or ""
        if scale not in ("", MARKS_SCALE, SCORE_SCALE):
            raise ParameterError(f"{source}: «{name}.scale» = {scale!r}; допустимо: marks, score.")
        out[str(name)] = Term(str(name), kind, tuple(str(a) for a in _as_tuple(spec.get("aliases"), source,
                                                                              f"{name}.aliases")),
                              tuple(grades), scale, tuple(map(str, _as_tuple(spec.get("procedures"), source,
                                                                             f"{name}.procedures"))),
                              spec.get("level_of"))
    return out


@functools.lru_cache(maxsize=16)
def _parse(text: str, source: str) -> Vocabulary:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ParameterError(f"Словарь {source} не читается как YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ParameterError(f"Словарь {source} должен содержать разделы procedures и subjects.")
    vocab = Vocabulary(_terms(data.get("procedures"), "procedure", source),
                       _terms(data.get("subjects"), "subject", source), source)
    for term in vocab.subjects.values():
        if term.level_of and term.level_of not in vocab.subjects:
            raise ParameterError(f"{source}: «{term.name}.level_of» = «{term.level_of}» — такого предмета нет.")
        for proc in term.procedures:
            if proc not in vocab.procedures:
                raise ParameterError(f"{source}: «{term.name}.procedures» называет неизвестную процедуру «{proc}».")
    return vocab


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read the vocabulary (``parameters/vocabulary.yml`` of the package by default)."""
    if path is None:
        path = default_parameters_dir() / VOCABULARY_FILE
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(f"Словарь не найден: {path}") from None
    except UnicodeDecodeError:
        raise ParameterError(f"Словарь {path} не в кодировке UTF-8: сохраните его в UTF-8.") from None
    return _parse(text, path.name)
