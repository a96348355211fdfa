"""Where parameters live: the package's ``parameters/`` folder (its ``default.yml`` is the base of
every run, with the vocabulary and the catalogues) and a project's ``parameters/`` folder beside
its data root (overrides). The one place that knows these folders; :mod:`.params` reads them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PROJECT_DIR", "DEFAULTS_FILE", "shipped_dir", "default_parameters_dir", "project_parameters_dir",
           "parameter_file"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # shnor_lib/config/folders.py → shnor_lib
PROJECT_DIR = PACKAGE_DIR.parent  # the checkout, for an editable install

DEFAULTS_FILE = "default.yml"


def shipped_dir(name: str) -> Path:
    """A folder of files shipped with the package: ``parameters`` or ``notebooks``.

    The top-level folders of the project are the sources; a built wheel carries copies in
    ``shnor_lib/resources/<name>`` (pyproject.toml maps them), found first. An editable install
    (a checkout) has no such copy and uses the top-level folder itself.
    """
    installed = PACKAGE_DIR / "resources" / name
    return installed if installed.is_dir() else PROJECT_DIR / name


def default_parameters_dir() -> Path:
    """The ``parameters/`` folder shipped with the package: its ``default.yml`` is the base of every run."""
    return shipped_dir("parameters")


def project_parameters_dir(data_root: str | Path) -> Path | None:
    """The project's ``parameters/`` folder beside ``data_root`` (overrides), or None when there is none.

    The package's own folder counts as none: its ``default.yml`` is the base anyway.
    """
    candidate = Path(data_root).resolve().parent / "parameters"
    if not candidate.is_dir() or candidate.resolve() == default_parameters_dir().resolve():
        return None
    return candidate


def parameter_file(params: dict, name: str | Path) -> Path:
    """A table named in the parameters (``indicators.yml``, ``recommendations.yml``): an absolute
    path as it is; a relative one in the project's ``parameters/`` when it is there, else in the
    package's (the default catalogues ship with the package, like ``default.yml``)."""
    path = Path(name)
    if path.is_absolute():
        return path
    project = (params or {}).get("_parameters_dir")
    if project and (Path(project) / path).exists():
        return Path(project) / path
    return default_parameters_dir() / path
