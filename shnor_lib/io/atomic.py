"""Atomic file writing.

A reader (a person opening ``index.html``, a second run, a sync client) must
never see a half-written report. Every file the package publishes is first
written to a temporary file in the *same* directory and then moved onto its
final name with :func:`os.replace`, which is atomic on POSIX and Windows as
long as source and target live on one file system.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "make_temp_dir"]


def make_temp_dir(prefix: str, dir: str | os.PathLike[str]) -> Path:
    """Create a new, uniquely named folder in ``dir`` with the usual permissions.

    Unlike :func:`tempfile.mkdtemp` (mode 0700, private to its owner), the folder gets the
    mode every other folder gets (``0777`` less the umask): it is renamed into place as
    a published output folder, which the user's colleagues (or a web server) must be able
    to read just as well as a folder made by hand.

    Parameters
    ----------
    prefix : str
        Start of the folder's name; a random suffix follows.
    dir : path
        Parent folder (must exist).

    Returns
    -------
    pathlib.Path
        The created folder.
    """
    for _ in range(100):
        path = Path(dir) / f"{prefix}{secrets.token_hex(4)}"
        try:
            os.mkdir(path, 0o777)  # the umask applies, as for any folder
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"не удалось создать временную папку в {dir}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only if the block succeeds.

    The temporary file lives next to ``path`` (so the final rename stays on
    one file system) and is hidden (leading dot). If the block raises, the
    temporary file is removed and ``path`` is left exactly as it was.

    Parameters
    ----------
    path : str or os.PathLike
        Final location of the file. Missing parent directories are created.
    suffix : str, optional
        Suffix of the temporary file; defaults to the suffix of ``path``, so
        tools that look at the extension (papermill, browsers) behave.

    Yields
    ------
    pathlib.Path
        A path that does not exist yet; write the new content there.

    Examples
    --------
    >>> with atomic_path(out / "report.pdf") as tmp:  # doctest: +SKIP
    ...     render_pdf(tmp)
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.",
        suffix=(target.suffix if suffix is None else suffix) + ".tmp",
        dir=target.parent,
    )
    os.close(fd)
    tmp = Path(name)
    # mkstemp creates the file; tools such as Chromium or papermill expect to
    # create it themselves, and "file exists after the block" must mean
    # "the block wrote it".
    tmp.unlink()
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"временный файл {tmp} не был создан")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Target file; parent directories are created.
    data : bytes
        Full new content.

    Returns
    -------
    pathlib.Path
        The target path.
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8 and ``\\n`` line ends by default).

    Parameters
    ----------
    path : str or os.PathLike
        Target file; parent directories are created.
    text : str
        Full new content.
    encoding : str, default "utf-8"
        Text encoding.

    Returns
    -------
    pathlib.Path
        The target path.
    """
    return atomic_write_bytes(path, text.encode(encoding))
