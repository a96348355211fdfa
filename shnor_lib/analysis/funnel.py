"""The funnel of the quality model: each school's normal score against the size of its cohort.

The quality model (:mod:`.models`) tests every school against its own predictive distribution —
the values a school with its context *and its number of participants* could show — and reports
where the observed index falls in it as a normal score (``z_score``) and one label
(``resilience``: резильентная / ниже ожидаемого / в пределах ожидаемого). A small cohort's
distribution is already wide, so on the z scale the control limits of a funnel plot are
horizontal lines: ±1.96 holds 95% of one school's distribution, ±3.09 holds 99.8%
(Spiegelhalter 2005).

This module only arranges those numbers for the report's chart and text. It estimates nothing
of its own — no second variance, no second list of schools: a school is named exactly when the
model labels it (significant after the adjustment for the number of schools, and a deviation of
at least ``model.min_effect``). The guides are for one school without that adjustment, so some
unlabelled schools lie beyond them by chance; :attr:`Funnel.expected_beyond` says how many.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .models import BELOW, RESILIENT

__all__ = ["GUIDE_LEVELS", "MIN_SCHOOLS", "Funnel", "funnel"]

#: Coverage of the funnel's guide lines for one school's predictive distribution.
GUIDE_LEVELS = (0.95, 0.998)

#: Fewest schools with a known cohort for which a funnel is drawn (fewer points show no pattern).
MIN_SCHOOLS = 5


@dataclass(frozen=True)
class Funnel:
    """The funnel's points and guides.

    Attributes
    ----------
    points : DataFrame
        One row per school in the model with a known cohort, in the order of the schools table:
        ``school_id`` (str), ``size`` (participants behind the index), ``z`` (the model's
        ``z_score``), ``label`` (the model's ``resilience``), ``beyond`` (the largest guide
        level whose line the school is outside of, NaN when inside every guide).
    guides : dict
        Guide level → its line on the z scale (0.95 → 1.96, 0.998 → 3.09).
    """

    points: pd.DataFrame
    guides: dict[float, float]

    @property
    def available(self) -> bool:
        """Whether there are enough schools with a known cohort to draw the funnel."""
        return len(self.points) >= MIN_SCHOOLS

    @property
    def labelled(self) -> pd.DataFrame:
        """The schools the model labels (резильентная or ниже ожидаемого) — the only ones named."""
        return self.points[self.points["label"].isin([RESILIENT, BELOW])]

    def beyond_unlabelled(self, level: float = GUIDE_LEVELS[0]) -> pd.DataFrame:
        """Schools outside the ``level`` guide that the model does not label."""
        p = self.points
        return p[(p["beyond"] >= level) & ~p["label"].isin([RESILIENT, BELOW])]

    def expected_beyond(self, level: float = GUIDE_LEVELS[0]) -> float:
        """How many schools lie outside the ``level`` guide by chance alone when no school differs."""
        return (1 - level) * len(self.points)


def funnel(schools: pd.DataFrame, *, score: str = "z_score", size: str = "quality_n",
           label: str = "resilience") -> Funnel:
    """The funnel of a season's quality model from its schools table.

    Parameters
    ----------
    schools : DataFrame
        ``SeasonResult.schools`` (``school_id``, ``z_score``, ``quality_n``, ``resilience``).
    score, size, label : str
        Columns of the normal score, the cohort size and the model's label.

    Returns
    -------
    Funnel
        Without the columns (no model), a funnel without points.
    """
    guides = {level: float(stats.norm.ppf(0.5 + level / 2)) for level in GUIDE_LEVELS}
    cols = ["school_id", "size", "z", "label", "beyond"]
    if any(c not in schools for c in (score, size)):
        return Funnel(pd.DataFrame(columns=cols), guides)
    d = schools.dropna(subset=[score, size])
    d = d[d[size] > 0]
    z = d[score].astype(float).to_numpy()
    beyond = np.full(len(d), np.nan)
    for level, line in sorted(guides.items()):
        beyond[np.abs(z) > line] = level
    labels = d[label].astype(object).where(d[label].notna(), "") if label in d else pd.Series("", index=d.index)
    points = pd.DataFrame({"school_id": d["school_id"].astype(str).to_numpy(), "size": d[size].astype(float).to_numpy(),
                           "z": z, "label": labels.to_numpy(), "beyond": beyond}, columns=cols)
    return Funnel(points, guides)
