"""Provenance of a run: package versions and the run manifest (inputs, parameters, timing)."""

from __future__ import annotations

import datetime as _dt
import functools
import json
import platform
from importlib import metadata
from pathlib import Path

__all__ = ["PACKAGES", "package_versions", "manifest"]

PACKAGES = ["shnor", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "papermill",
            "nbconvert", "openpyxl", "pyyaml"]


def package_versions() -> dict[str, str]:
    """Python and the versions of the packages a result depends on («—» when absent)."""
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    # Looked up once per process: reading package metadata costs ~40 ms, and every
    # season's manifest asks for it.
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "—"
    return tuple(out.items())


def manifest(*, municipality: str, year: int, checksums: dict[str, str], params: dict, digest: str,
             status: str, seconds: float | None = None, notes: list[str] | None = None,
             data_root: str | Path | None = None) -> str:
    """The run manifest as JSON text. Timestamps live here only, never in the tables."""
    root = Path(data_root).resolve() if data_root else None

    def rel(p: str) -> str:
        if root is None:
            return p
        try:
            return Path(p).resolve().relative_to(root).as_posix()
        except ValueError:
            return p

    body = {
        "municipality": municipality,
        "year": year,
        "status": status,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "seconds": None if seconds is None else round(seconds, 3),
        "inputs": [{"file": rel(p), "sha256": h} for p, h in sorted(checksums.items())],
        "parameter_files": params.get("_sources", []),
        "parameters_digest": digest,
        "parameters": {k: v for k, v in params.items() if not k.startswith("_")},
        "versions": package_versions(),
        "notes": notes or [],
    }
    return json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n"
