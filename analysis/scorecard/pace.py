"""Pace: the observed annual change against the change still required (the UN SDG progress chart's
ratio of actual to required progress), on the scale of the indicator's model.

References
----------
.. [1] United Nations Statistics Division, SDG Progress Chart technical note (ratio of actual to
   required progress).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from analysis.scorecard.settings import AssessmentSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pace:
    """The observed annual change of a series: a least-squares line on the model scale.

    ``slope`` per year with its ``lo``–``hi`` interval (t, n − 2 df; NaN with 2 points),
    ``sigma`` the residual standard deviation (the series' own year-to-year noise), ``level``
    the line's value in the latest year and ``n`` the number of points.
    """

    slope: float
    lo: float
    hi: float
    se: float
    sigma: float
    level: float
    n: int


def observed_pace(years, z, interval: float = 0.8) -> Pace:
    """Least-squares slope of ``z`` on ``years`` with its t interval, the residual sd and the
    line's level in the last year. The observed pace of the UN SDG progress chart is a growth
    rate between two years; a line through every year of the window is less at the mercy of one
    noisy year, and gives the noise the volatility warning needs.

    References
    ----------
    .. [1] United Nations Statistics Division. SDG Progress Chart, technical note (the observed annual
       rate of change).
    """
    x, z = np.asarray(years, dtype=float), np.asarray(z, dtype=float)
    keep = np.isfinite(z)
    x, z = x[keep], z[keep]
    n = len(x)
    if n < 2:
        return Pace(math.nan, math.nan, math.nan, math.nan, math.nan, float(z[-1]) if n else math.nan, n)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    b = float(xc @ (z - z.mean()) / sxx)
    a = float(z.mean())
    level = a + b * float(x.max() - x.mean())
    if n < 3:
        return Pace(b, math.nan, math.nan, math.nan, math.nan, level, n)
    resid = z - (a + b * xc)
    s2 = float(resid @ resid) / (n - 2)
    se = math.sqrt(s2 / sxx)
    t = float(stats.t.ppf(0.5 + interval / 2, n - 2))
    return Pace(b, b - t * se, b + t * se, se, math.sqrt(s2), level, n)


def required_pace(level: float, target_z: float, year_now: int, target_year: int) -> float:
    """The annual change on the model scale still needed to go from ``level`` (the current level)
    to ``target_z`` by ``target_year`` (NaN when no year is left)."""
    if target_year <= year_now:
        return math.nan
    return (target_z - level) / (target_year - year_now)


def pace_ratio(observed: float, required: float) -> float:
    """Observed over required annual change: 1 = exactly on pace, < 0 = moving away (NaN when
    nothing is required any more, the target's level being reached).

    References
    ----------
    .. [1] United Nations Statistics Division. SDG Progress Chart, technical note (ratio of actual to
       required progress).
    """
    if not np.isfinite(observed) or not np.isfinite(required) or abs(required) < 1e-12:
        return math.nan
    return observed / required


def pace_band(ratio: float, settings: AssessmentSettings) -> str:
    """The pace ratio in words (UN SDG progress chart bands)."""
    if not np.isfinite(ratio):
        return ""
    if ratio >= settings.on_pace:
        return "进度达标"
    if ratio >= settings.acceleration_needed:
        return "需加快"
    return "进展有限" if ratio >= 0 else "方向相反"


def round_to_step(values: np.ndarray, step: float) -> np.ndarray:
    """Values rounded to a reporting step, as they would be published (a count of institutions to
    a whole number, a percentage given to one decimal to one decimal)."""
    return np.round(np.asarray(values, dtype=float) / step) * step
