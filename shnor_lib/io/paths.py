"""Names and folders given by the user: municipality and year names, season folders, ``--out``.

Everything the CLI and the writers put under ``data_raw/`` or ``outputs/`` is built as
``root / municipality / year``; :func:`safe_component` makes sure each part stays one
folder inside its root on Linux, macOS and Windows alike. :func:`season_folder_problems`
names the folders beside the seasons that look like a season but are not read, and
:func:`check_output_folder` refuses an output folder that would mix with the inputs.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from ..errors import OutputError, PathError, Problem

__all__ = ["safe_component", "check_selection", "season_folder_problems", "check_output_folder", "is_season_folder_name"]

# Characters Windows forbids in file names; «/» and «\\» are separators everywhere.
_FORBIDDEN = '/\\:*?"<>|'
# Device names Windows reserves whatever the extension (CON, NUL.txt, COM1, …).
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_LENGTH = 100


def _shown(value: str) -> str:
    """The value with control characters made visible (\\n, \\x00), so the message shows them."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value)


def safe_component(value: object, what: str) -> str:
    """Check that ``value`` can be used as one folder name and return it as text.

    Parameters
    ----------
    value : str or int
        A municipality, a year or another name typed by the user.
    what : str
        What the value is, in Russian (``"муниципалитет"``, ``"год"``), for the message.

    Returns
    -------
    str
        ``str(value)`` unchanged: unsafe values are refused, never silently corrected.

    Raises
    ------
    PathError
        For an empty value, ``.``, ``..``, a path separator or a drive (``/``, ``\\``, ``:``),
        a character Windows forbids, a control character, spaces or a dot at the ends,
        a Windows device name (``CON``, ``NUL``, …) or more than 100 characters.
    """
    text = "" if value is None else str(value)
    shown = _shown(text)

    def refuse(reason: str) -> PathError:
        return PathError(f"Недопустимое значение ({what}): «{shown}» — {reason}. "
                         "Это имя папки: используйте буквы, цифры, пробел, точку, дефис или подчёркивание.")

    if text.strip() == "":
        raise refuse("пустое имя")
    if text in (".", ".."):
        raise refuse("это ссылка на папку, а не имя")
    bad = sorted({ch for ch in text if ch in _FORBIDDEN})
    if bad:
        raise refuse("нельзя использовать символы " + " ".join(f"«{ch}»" for ch in bad))
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text):
        raise refuse("в имени есть управляющие символы")
    if text != text.strip():
        raise refuse("пробел в начале или в конце имени")
    if text.endswith("."):
        raise refuse("точка в конце имени (Windows её отбрасывает)")
    if text.split(".")[0].upper() in _WINDOWS_DEVICES:
        raise refuse("это имя зарезервировано в Windows")
    if len(text) > MAX_LENGTH:
        raise refuse(f"длиннее {MAX_LENGTH} символов")
    return text


def check_selection(municipality: str, year: str | int) -> None:
    """The ``--municipality`` and ``--year`` of a command: each becomes a folder name (or is ``all``).

    Raises
    ------
    PathError
        A municipality that is not a safe folder name (:func:`safe_component`), or a year that
        is not written in ASCII digits.
    """
    if municipality != "all":
        safe_component(municipality, "муниципалитет")
    if year != "all":
        y = safe_component(year, "год")
        if not (y.isascii() and y.isdigit()):
            raise PathError(f"Недопустимое значение (год): «{y}» — ожидается год цифрами, например 2024, или all.")


# ---------------------------------------------------------------- season folders

_DIGIT = re.compile(r"\d")  # any script's decimal digit: «２０２４» looks like a year too


def is_season_folder_name(name: str) -> bool:
    """A season folder is named by its year: exactly four ASCII digits (``2024``)."""
    return len(name) == 4 and name.isascii() and name.isdigit()


def _set_aside(name: str) -> bool:
    # The same convention as for municipality folders: a leading «.» or «_» puts a folder aside.
    return name.startswith((".", "_"))


def _odd_season_reason(name: str) -> str:
    core = unicodedata.normalize("NFKC", name).strip()
    if name != name.strip() and core.isascii() and core.isdigit():
        ends = [where for where, cut in (("в начале", name.lstrip()), ("в конце", name.rstrip())) if cut != name]
        return "пробел " + " и ".join(ends) + " имени"
    if core.isascii() and core.isdigit() and not name.isascii():
        return "цифры набраны не латинскими (ASCII) знаками"
    if name.isascii() and name.isdigit():
        return "год записан не четырьмя цифрами"
    return "кроме года в имени есть другие знаки"


def season_folder_problems(data_root: str | Path, municipality: str | list[str] | None = "all") -> list[Problem]:
    """Folders of a municipality that look like a season but are not one, as problems.

    The rule: inside ``<data_root>/<municipality>/`` a folder named by four ASCII digits is
    a season; a folder whose name holds any other digit (« 2024», «2024 », «2024_копия»,
    «2024 (2)», «2023-2024», «24», «２０２４») is an error, because a person would take it for a
    season and the program would not read it; a folder without digits (``source/``,
    ``архив/``), a folder starting with «.» or «_» (put aside on purpose) and any file
    (``README.md``, ``SOURCE.md``, ``published.yml``) are not seasons and are left alone.

    Parameters
    ----------
    data_root : path
        The folder of the municipalities.
    municipality : str or list of str
        A municipality, several, or ``"all"`` (every municipality folder).

    Returns
    -------
    list of Problem
        One per odd folder (``what="папка"``), in name order; empty when all is well.
    """
    root = Path(data_root)
    if not root.is_dir():
        return []
    if municipality in ("all", None):
        munis = sorted(p.name for p in root.iterdir() if p.is_dir() and not _set_aside(p.name))
    else:
        munis = [municipality] if isinstance(municipality, str) else sorted(municipality)
    problems = []
    for m in munis:
        mdir = root / m
        if not mdir.is_dir():
            continue
        names = {p.name for p in mdir.iterdir() if p.is_dir()}
        for name in sorted(names):
            if _set_aside(name) or is_season_folder_name(name) or not _DIGIT.search(name):
                continue
            year = "".join(_DIGIT.findall(unicodedata.normalize("NFKC", name)))
            shown = _shown(name)
            aside = "уберите её из папки муниципалитета или начните имя с «_» (такие папки программа пропускает)"
            only_typing = unicodedata.normalize("NFKC", name).strip() == year  # spaces or full-width digits
            if len(year) == 4 and year.isascii() and year not in names:
                hint = (f"Переименуйте её в «{year}»." if only_typing else
                        f"Если это сезон {year} года, переименуйте её в «{year}»; если копия или архив — {aside}.")
            else:
                hint = f"Если это копия или архив, {aside}."
            problems.append(Problem(
                f"{root.name}/{m}", None, None,
                f"вложенная папка «{shown}» похожа на папку сезона, но не будет прочитана: "
                f"{_odd_season_reason(name)}; папка сезона называется годом из четырёх цифр, например 2024.",
                hint, what="папка"))
    return problems


# ---------------------------------------------------------------- the output folder

def _can_write(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def check_output_folder(out: str | Path, inputs: dict[str, str | Path | None],
                        containers: dict[str, str | Path | None] | None = None, *, writable: bool = True) -> Path:
    """Refuse an output folder that would mix with the inputs or cannot be written.

    Parameters
    ----------
    out : path
        The output folder (``--out``); it may not exist yet.
    inputs : dict of description -> path
        Input folders, described in Russian (genitive) for the message (``"данных (--data-root)"``):
        ``out`` may be neither one of them, nor inside one, nor hold one. None values are skipped.
    containers : dict of description -> path, optional
        Folders ``out`` may not be or lie inside (but may hold, e.g. the package's parameters).
    writable : bool
        Also check that the folder (or the nearest folder above it that exists) can be written.

    Returns
    -------
    Path
        ``out`` resolved.

    Raises
    ------
    PathError
        ``out`` equal to or inside an input folder, an input folder inside ``out``, or ``out``
        (or a folder above it) is a file.
    OutputError
        No permission to write there.
    """
    target = Path(out).resolve()
    shown = _shown_path(target)
    checks = [(what, f, True) for what, f in inputs.items()]
    checks += [(what, f, False) for what, f in (containers or {}).items()]
    for what, folder, both_ways in checks:
        if folder is None:
            continue
        f = Path(folder).resolve()
        if target == f:
            reason = f"совпадает с папкой {what} «{_shown_path(f)}»"
        elif target.is_relative_to(f):
            reason = f"лежит внутри папки {what} «{_shown_path(f)}»"
        elif both_ways and f.is_relative_to(target):
            reason = f"содержит папку {what} «{_shown_path(f)}»"
        else:
            continue
        raise PathError(f"Папка результатов (--out) «{shown}» {reason}: результаты смешались бы с входными "
                        "файлами и могли бы заменить их. Укажите отдельную папку, например --out outputs.")
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "" if existing == target else f" (внутри пути есть файл «{_shown_path(existing)}»)"
        raise PathError(f"Папка результатов (--out) «{shown}» — это файл, а не папка{what}. "
                        "Укажите папку для результатов.")
    if writable and not _can_write(existing):
        raise OutputError(f"Нет прав на запись в папку «{_shown_path(existing)}» (папка результатов --out "
                          f"«{shown}»). Укажите другую папку или попросите администратора дать права на запись.")
    return target
