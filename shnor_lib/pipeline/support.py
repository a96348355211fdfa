"""The support analyses of a season (Методика §7–§10; the report's sections 8–11): monitoring
indicators, risk profiles with their groups and addressed recommendations, dynamics across the
consecutive loaded years, and school-leader pairs — computed once by the pipeline
(:func:`compute_support`, attached to :attr:`SeasonResult.support`) and written by ``shnor
compute`` as tables (:func:`support_tables`); the report only reads them.

The analyses themselves live in :mod:`shnor_lib.analysis` (:mod:`~shnor_lib.analysis.indicators`,
:mod:`~shnor_lib.analysis.risk`, :mod:`~shnor_lib.analysis.dynamics`,
:mod:`~shnor_lib.analysis.leaders`); this module runs them over a season's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..analysis.dynamics import explain_changes, fail_share_changes, status_transitions, support_view
from ..analysis.indicators import (
    Catalogue,
    append_indicators,
    diagnostics_summary,
    load_catalogue,
    season_indicators,
)
from ..analysis.leaders import leader_candidates, pair_leaders
from ..analysis.risk import group_summary, load_recommendations, recommend, risk_profiles_of, significance_matrix
from ..config.params import params_digest
from ..contract.schema import RISK_FACTORS

if TYPE_CHECKING:  # the season imports this module to attach the analyses
    from .dataset import Dataset
    from .season import SeasonResult

__all__ = ["SupportResult", "SupportInputs", "compute_support", "consecutive_years", "support_tables",
           "RISK_PROFILE_COLUMNS"]

#: Columns of ``risk_profiles.csv``: one row per school and recognised factor.
RISK_PROFILE_COLUMNS = ["school_id", "factor_code", "factor_name", "score", "significance"]
_LEVELS = {3: "высокая", 2: "средняя", 1: "низкая"}


def consecutive_years(available: Iterable[int], year: int) -> list[int]:
    """The run of consecutive years in ``available`` that ends with ``year``: [2022, 2023, 2024]."""
    have = {int(y) for y in available}
    if int(year) not in have:
        raise ValueError(f"нет сезона {year} среди загруженных: {sorted(have)}")
    out = [int(year)]
    while out[0] - 1 in have:
        out.insert(0, out[0] - 1)
    return out


@dataclass
class SupportResult:
    """The support analyses of one season, over the consecutive loaded years ending with it.

    Attributes
    ----------
    years : list of int
        The consecutive loaded years the analyses span, oldest first (dynamics need two or more).
    indicators : DataFrame
        Monitoring indicators of every year (``indicators.csv``; Методика §8,
        :func:`~shnor_lib.analysis.indicators.compute_indicators`): ``year``, ``code``, ``name``,
        ``level``, ``population``, ``unit``, ``direction``, ``fact``, ``numerator``,
        ``denominator``, ``plan``, ``baseline``, ``plan_met``, ``dynamics_level``,
        ``dynamics_label``, ``source``, ``note``.
    diagnostics : DataFrame
        Teachers by level of the diagnostics of professional deficits, per year
        (``teacher_diagnostics.csv``): ``year``, ``level``, ``label``, ``teachers``, ``share`` (%).
    risk_profiles : DataFrame
        The season's validated ``risk_profiles`` input table (as read; empty without the file).
    significance : DataFrame
        School × factor significance, 3 высокая / 2 средняя / 1 низкая (index ``school_id``,
        columns the factor codes; :func:`~shnor_lib.analysis.risk.significance_matrix`);
        written in long form as ``risk_profiles.csv`` (:data:`RISK_PROFILE_COLUMNS`).
    groups : DataFrame
        High-significance factors grouped for management decisions (``risk_groups.csv``):
        ``group_id``, ``group``, ``n_schools``, ``schools``, ``detail``.
    recommendations : DataFrame
        Addressed recommendations (``recommendations.csv``): ``school_id``, ``name``,
        ``status``, ``trigger_kind``, ``trigger``, ``measure_id``, ``recommendation``,
        ``addressee``, ``source``.
    transitions : DataFrame
        Entries into and exits from the lists between consecutive years (``transitions.csv``;
        :func:`~shnor_lib.analysis.dynamics.status_transitions`); empty with one year.
    fail_changes : DataFrame
        Changes of fail shares between consecutive years with their test
        (``fail_changes.csv``; :func:`~shnor_lib.analysis.dynamics.fail_share_changes`).
    support : DataFrame
        The schools in support year by year since inclusion (``support.csv``;
        :func:`~shnor_lib.analysis.dynamics.support_view`).
    explained : DataFrame
        «Что изменилось и почему» for every changed status (``status_changes.csv``;
        :func:`~shnor_lib.analysis.dynamics.explain_changes`).
    pairs : DataFrame
        A school-leader for each school in support (``leader_pairs.csv``;
        :func:`~shnor_lib.analysis.leaders.pair_leaders`).
    candidates : DataFrame
        Every school checked as a possible leader (``leader_candidates.csv``;
        :func:`~shnor_lib.analysis.leaders.leader_candidates`).
    """

    years: list[int]
    indicators: pd.DataFrame
    diagnostics: pd.DataFrame
    risk_profiles: pd.DataFrame
    significance: pd.DataFrame
    groups: pd.DataFrame
    recommendations: pd.DataFrame
    transitions: pd.DataFrame
    fail_changes: pd.DataFrame
    support: pd.DataFrame
    explained: pd.DataFrame
    pairs: pd.DataFrame
    candidates: pd.DataFrame


class SupportInputs:
    """The indicator catalogue and the recommendations table of each set of parameters, read once
    for a run (a country run reads the same two files for thousands of seasons)."""

    def __init__(self) -> None:
        self._read: dict[tuple, tuple[Catalogue, dict]] = {}

    def of(self, params: dict) -> tuple[Catalogue, dict]:
        key = (params_digest(params), params.get("_parameters_dir"))
        if key not in self._read:
            self._read[key] = (load_catalogue(params=params), load_recommendations(params))
        return self._read[key]


def compute_support(data: Dataset, history: Sequence[SeasonResult], inputs: SupportInputs | None = None
                    ) -> SupportResult:
    """Indicators, risk profiles, recommendations, dynamics and leader pairs for the last season of ``history``.

    Parameters
    ----------
    data : Dataset
        The loaded data the seasons were computed from.
    history : sequence of SeasonResult
        Consecutive years of one municipality, oldest first, ending with the season.
    inputs : SupportInputs, optional
        The catalogues already read in this run.

    Returns
    -------
    SupportResult
        Dynamics tables are empty when ``history`` holds one year.
    """
    res = history[-1]
    m, y, params = res.municipality, res.year, res.params
    catalogue, table = (inputs or SupportInputs()).of(params)
    season = data.seasons[(m, y)]
    rp = risk_profiles_of(data, m, y)
    significance = significance_matrix(rp) if len(rp) else pd.DataFrame()
    groups = group_summary(rp, params) if len(rp) else pd.DataFrame()
    monitoring = season.tables["monitoring"] if season.has("monitoring") else None
    recs = recommend(res.schools, rp, params, table=table, monitoring=monitoring)
    several = len(history) > 1
    empty = pd.DataFrame()
    prev = _previous(history)
    if prev is None:
        indicators = season_indicators(data, list(history), catalogue=catalogue)
        diagnostics = diagnostics_summary(*_monitoring_and_statuses(data, history))
        transitions = status_transitions(history) if several else empty
        fail_changes = fail_share_changes(history) if several else empty
        explained = explain_changes(history, data) if several else empty
    else:
        # The years before this one were analysed by the season before, with the same parameters: the
        # rows of every table below are per year (or per pair of years) and depend on nothing later,
        # so only this year (and its pair with the year before) is computed and appended.
        last = history[-2:]
        indicators = append_indicators(prev.indicators, season_indicators(data, [res], catalogue=catalogue), params)
        diagnostics = _appended(prev.diagnostics, diagnostics_summary(*_monitoring_and_statuses(data, [res])))
        transitions = _appended(prev.transitions, status_transitions(last))
        fail_changes = _appended(prev.fail_changes, fail_share_changes(last))
        explained = _appended(prev.explained, explain_changes(last, data))
    # the candidates once: the pairing chooses its leaders among them
    candidates = leader_candidates(list(history))
    pairs = pair_leaders(list(history), candidates=candidates)
    return SupportResult(
        years=[r.year for r in history], indicators=indicators, diagnostics=diagnostics, risk_profiles=rp,
        significance=significance, groups=groups, recommendations=recs,
        transitions=transitions, fail_changes=fail_changes,
        support=support_view(history) if several else empty,
        explained=explained,
        pairs=pairs, candidates=candidates)


def _previous(history: Sequence[SeasonResult]) -> SupportResult | None:
    """The support analyses of the season before, when they cover exactly the years before this
    one and were computed with the same parameters (as ``shnor compute`` does, year after year)."""
    if len(history) < 2:
        return None
    before, res = history[-2], history[-1]
    prev = before.support
    if prev is None or prev.years != [r.year for r in history[:-1]]:
        return None
    if (params_digest(before.params), before.params.get("_parameters_dir")) != \
            (params_digest(res.params), res.params.get("_parameters_dir")):
        return None
    return prev


def _monitoring_and_statuses(data: Dataset, history: Sequence[SeasonResult]
                             ) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """The monitoring tables and statuses of ``history``'s years, each with its ``year``."""
    m = history[-1].municipality
    frames = [data.seasons[(m, r.year)].tables["monitoring"].assign(year=r.year) for r in history
              if data.seasons[(m, r.year)].has("monitoring")]
    statuses = pd.concat([r.schools.assign(year=r.year) for r in history], ignore_index=True)
    return (pd.concat(frames, ignore_index=True) if frames else None), statuses


def _appended(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """The rows of earlier years, then this year's; a side without rows adds nothing (with no rows at
    all, this year's empty table: it has the columns the function gives, an earlier «no years to
    compare» placeholder may not)."""
    if not len(before):
        return now
    if not len(now):
        return before
    return pd.concat([before, now], ignore_index=True)


def _risk_profile_rows(significance: pd.DataFrame) -> pd.DataFrame:
    """The significance matrix in long form: one row per school and assessed factor."""
    if significance is None or significance.empty:
        return pd.DataFrame(columns=RISK_PROFILE_COLUMNS)
    long = significance.stack().dropna().rename("score").reset_index()
    long.columns = ["school_id", "factor_code", "score"]
    long["factor_code"] = long["factor_code"].astype(int)
    long["score"] = long["score"].astype(int)
    long["factor_name"] = long["factor_code"].map(RISK_FACTORS)
    long["significance"] = long["score"].map(_LEVELS)
    return long[RISK_PROFILE_COLUMNS]


def support_tables(support: SupportResult) -> dict[str, pd.DataFrame]:
    """The tables ``shnor compute`` writes from a season's support analyses, by file name.

    The dynamics tables (``transitions.csv``, ``fail_changes.csv``, ``support.csv``,
    ``status_changes.csv``) only when two or more consecutive years are loaded.
    """
    out = {"indicators.csv": support.indicators, "teacher_diagnostics.csv": support.diagnostics,
           "risk_profiles.csv": _risk_profile_rows(support.significance),
           "risk_groups.csv": support.groups if len(support.groups.columns) else _EMPTY_GROUPS,
           "recommendations.csv": support.recommendations}
    if len(support.years) > 1:
        out.update({"transitions.csv": support.transitions, "fail_changes.csv": support.fail_changes,
                    "support.csv": support.support, "status_changes.csv": support.explained})
    out.update({"leader_pairs.csv": support.pairs, "leader_candidates.csv": support.candidates})
    return out


_EMPTY_GROUPS = pd.DataFrame(columns=["group_id", "group", "n_schools", "schools", "detail"])
