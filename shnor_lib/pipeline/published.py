"""What the last published справка of a season showed: ``<out>/<municipality>/<year>/published.json``.

``shnor compute`` and ``shnor report`` rewrite a season's tables whenever they compute it, and the
report of year Y computes Y − 1 and Y − 2 again with today's parameters. So that the report can
say which figures of those years differ from what their own справка published, ``shnor report``
keeps a small record per season — its parameters, the input files' checksums and every school's
status — written only after the season's справка was made (:func:`record_published`), and
carried over by every later recomputation of the season's tables (the record is not one of the
files they write). A season published before this record existed is recorded from its tables at
the start of the next run (:func:`keep_published`), before the run overwrites them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from ..io.atomic import atomic_write_text

__all__ = ["PUBLISHED_NAME", "published_record", "record_published", "keep_published"]

PUBLISHED_NAME = "published.json"


def published_record(folder: str | Path) -> dict | None:
    """The record of the season's last published справка in ``folder``, or None.

    Returns
    -------
    dict or None
        ``municipality``, ``year``, ``parameters`` (as in ``parameters_used.yml``), ``inputs``
        (input file → SHA-256, paths relative to the data folder), ``schools`` (list of
        ``[code, name, status]``, status "" for none). None when the season has no record (its
        справка was never made, or the record cannot be read).
    """
    path = Path(folder) / PUBLISHED_NAME
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("parameters"), dict) \
            or not isinstance(body.get("schools"), list):
        return None
    return body


def _from_tables(folder: Path) -> dict | None:
    """The record of the tables now in ``folder`` (None when one of them is missing or unreadable)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        params = yaml.safe_load((folder / "parameters_used.yml").read_text(encoding="utf-8"))
        with open(folder / "schools.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, ValueError, yaml.YAMLError):
        return None
    if not isinstance(params, dict) or not isinstance(manifest, dict) or (rows and "status" not in rows[0]):
        return None
    return {
        "municipality": manifest.get("municipality"),
        "year": manifest.get("year"),
        "parameters": params,
        "inputs": {i["file"]: i["sha256"] for i in manifest.get("inputs", []) if "file" in i and "sha256" in i},
        "schools": [[r.get("school_id", ""), r.get("name", ""), r.get("status", "")] for r in rows],
    }


def record_published(folder: str | Path) -> Path | None:
    """Record the tables now in ``folder`` as the season's published справка (atomically).

    Called by ``shnor report`` after the season's справка was made from these tables. The text is
    deterministic (no timestamp): the same tables give the same bytes.
    """
    folder = Path(folder)
    body = _from_tables(folder)
    if body is None:
        return None
    return atomic_write_text(folder / PUBLISHED_NAME,
                             json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def keep_published(folder: str | Path) -> Path | None:
    """Before a run overwrites a season made by an earlier ``shnor report`` without a record, record
    its tables: the manifest lists a справка that was made (``reports`` with ``ok``)."""
    folder = Path(folder)
    if (folder / PUBLISHED_NAME).exists():
        return None
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    reports = manifest.get("reports") if isinstance(manifest, dict) else None
    if not (isinstance(reports, list) and any(isinstance(r, dict) and r.get("ok") and r.get("html") == "report.html"
                                              for r in reports)):
        return None
    return record_published(folder)
