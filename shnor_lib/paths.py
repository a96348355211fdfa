"""Names given by the user that become folder names (municipality, year).

Everything the CLI and the writers put under ``data_raw/`` or ``outputs/`` is built as
``root / municipality / year``; :func:`safe_component` makes sure each part stays one
folder inside its root on Linux, macOS and Windows alike.
"""

from __future__ import annotations

import unicodedata

from .errors import PathError

__all__ = ["safe_component"]

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
