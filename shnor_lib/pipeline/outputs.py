"""Writing a season's tables: staged in a hidden folder beside the target, then swapped in
(:func:`write_outputs`, :class:`StagedOutputs`), so a failure leaves the previous outputs and no
half-written file; a run killed on the way is finished by the next one (crash recovery).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..config.params import params_digest
from ..io.atomic import make_temp_dir
from ..io.workbook import WORKBOOK_NAME, write_workbook
from ..io.writers import safe_cells, write_csv, write_xlsx
from .provenance import manifest
from .season import SeasonResult
from .support import support_tables

__all__ = ["write_outputs", "stage_outputs", "StagedOutputs"]


def write_outputs(result: SeasonResult, out_root: str | Path) -> Path:
    """Write the season's tables to ``<out_root>/<municipality>/<year>/`` atomically.

    Everything is written into a temporary folder beside the target and swapped in
    with renames, so a failure leaves the previous outputs intact and no half-written
    files.
    """
    staged = stage_outputs(result, out_root)
    try:
        return staged.publish()
    except BaseException:
        staged.discard()
        raise


@dataclass
class StagedOutputs:
    """A season's tables written into a temporary folder beside their target, not yet visible.

    :meth:`publish` swaps them in (what :func:`write_outputs` does at once); a run that
    computes many seasons stages each one as it goes and publishes them all at the end,
    so a failure on the way leaves every earlier output as it was.
    """

    tmp: Path
    target: Path

    def publish(self) -> Path:
        """Swap the staged folder in; report files of an earlier run (report.html/pdf) stay."""
        try:
            backup = None
            if self.target.exists():
                backup = self.target.parent / f".{self.target.name}.old-{os.getpid()}"
                os.replace(self.target, backup)
            os.replace(self.tmp, self.target)
            if backup is not None:
                # keep report files of an earlier run (report.html/pdf) that compute does not produce
                for f in backup.iterdir():
                    if not (self.target / f.name).exists():
                        os.replace(f, self.target / f.name)
                shutil.rmtree(backup, ignore_errors=True)
        except BaseException:
            self.discard()
            raise
        return self.target

    def discard(self) -> None:
        """Remove the staged folder (nothing is published)."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def stage_outputs(result: SeasonResult, out_root: str | Path, _texts: dict[str, str | None] | None = None
                  ) -> StagedOutputs:
    """Write the season's tables into a temporary folder beside ``<out_root>/<municipality>/<year>/``."""
    target = Path(out_root) / result.municipality / str(result.year)
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted(target)
    tmp = make_temp_dir(f".{result.year}.tmp-{os.getpid()}-", target.parent)  # mkdtemp's 0700 would be published
    try:
        _write_all(result, tmp, _texts or {})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return StagedOutputs(tmp, target)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _recover_interrupted(target: Path) -> None:
    """Finish what a killed run left beside ``target``: restore or merge its backup
    (``.<year>.old-<pid>``) and drop its temporary folder (``.<year>.tmp-<pid>-…``)."""
    for stale in sorted(target.parent.glob(f".{target.name}.*-*")):
        parts = stale.name.split("-")
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid != os.getpid() and _alive(pid):
            continue  # another run is writing right now
        if ".old-" in stale.name:
            if not target.exists():
                os.replace(stale, target)
                continue
            for f in stale.iterdir():
                if not (target / f.name).exists():
                    os.replace(f, target / f.name)
        shutil.rmtree(stale, ignore_errors=True)


def _write_all(r: SeasonResult, folder: Path, texts: dict[str, str | None] | None = None) -> None:
    # Text from input files (names, codes, verbatim rows) must never become a spreadsheet formula.
    write_csv(r.schools, folder / "schools.csv")
    write_xlsx(safe_cells(r.schools), folder / "schools.xlsx", "Школы")
    write_workbook(r, folder / WORKBOOK_NAME)  # the tables for Excel: Russian headers, formats, filters
    for name, table in (("metrics.csv", r.metrics), ("metrics_by_grade.csv", r.metrics_by_grade)):
        text = (texts or {}).get(name)
        if text is not None:  # the same text, rendered once for the municipality's seasons
            (folder / name).write_bytes(text.encode("utf-8"))
        else:
            write_csv(table, folder / name)
    write_csv(r.issues, folder / "data_issues.csv")
    write_csv(r.flags, folder / "objectivity.csv")
    write_csv(r.identifier_table, folder / "identifier_table.csv", index=True)
    write_csv(r.clusters, folder / "clusters.csv")
    if r.reference_shares is not None:  # only a season with ФИС ОКО exports has them
        write_csv(r.reference_shares, folder / "reference_shares.csv")
    if r.model_frame is not None:
        write_csv(r.model_frame, folder / "model_frame.csv")
    if r.robustness is not None:
        write_csv(r.robustness.robustness_table(), folder / "robustness.csv")
    if r.support is not None:  # indicators, risk profiles, recommendations, dynamics, leaders
        for name, table in support_tables(r.support).items():
            write_csv(table, folder / name)
    parts = [f"Модель качества: {r.municipality}, {r.year}\n"]
    if r.model is not None:
        parts.append(r.model.summary())
    else:
        parts.append("Модель не построена: недостаточно школ с индексом качества и контекстом.")
    if r.robustness is not None:
        parts.append("\n\n" + r.robustness.summary())
    if r.effects is not None:
        parts.append("\n\nМодель со случайным эффектом школы (MixedLM): устойчивое отличие школы за загруженные "
                     "годы — дополнительное свидетельство, не вторая отметка\n")
        parts.append(r.effects.summary())
    if r.isbsh_info:
        parts.append("\n\nИСБШ: " + _yaml(r.isbsh_info, sort_keys=True))
    (folder / "model.txt").write_text("\n".join(parts), encoding="utf-8")
    (folder / "manifest.json").write_text(manifest(
        municipality=r.municipality, year=r.year, checksums=r.checksums, params=r.params,
        digest=params_digest(r.params), status="рассчитано", seconds=r.seconds, notes=r.notes,
        data_root=r.data_root), encoding="utf-8")
    clean = {k: v for k, v in r.params.items() if not k.startswith("_")}
    (folder / "parameters_used.yml").write_text(_yaml(clean, sort_keys=False), encoding="utf-8")


_YAML_CACHE: dict[tuple[str, bool], str] = {}


def _yaml(data: dict, sort_keys: bool) -> str:
    """``yaml.safe_dump`` of plain data, remembered: the same parameters and ИСБШ weights
    serve every season of a municipality (and often every municipality)."""
    key = (repr(data), sort_keys)
    if key not in _YAML_CACHE:
        if len(_YAML_CACHE) > 256:
            _YAML_CACHE.clear()
        _YAML_CACHE[key] = yaml.safe_dump(data, allow_unicode=True, sort_keys=sort_keys)
    return _YAML_CACHE[key]
