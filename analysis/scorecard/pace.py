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
import pandas as pd
from scipy import stats

from analysis.returns import parse
from analysis.scorecard.settings import SCALE_CODES, AssessmentSettings
from analysis.trends.base import from_model_scale, reporting_step, to_model_scale

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
    noisy year, and gives the noise the volatility warning needs."""
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
    nothing is required any more, the target's level being reached)."""
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


@dataclass(frozen=True)
class Scale:
    """The model scale of a series (as the projection engine chose it) and its range."""

    name: str
    lo: float
    hi: float
    per: float
    family: str

    @property
    def code(self) -> int:
        return SCALE_CODES[self.name]

    def to_z(self, values) -> np.ndarray:
        """Values in the unit → the model scale, values at a bound of the range moved inside by a
        quarter of their reporting step (as the engine does before the logit)."""
        v = np.asarray(values, dtype=float)
        if self.name == "linear":
            return v
        step = 0.25 * reporting_step(v)
        lo = self.lo if np.isfinite(self.lo) else -np.inf
        hi = self.hi if np.isfinite(self.hi) else np.inf
        v = np.clip(v, lo + step, hi - step) if self.name == "logit" else np.maximum(v, step)
        return to_model_scale(v, self.code, self.lo, self.hi)

    def counts_to_z(self, numerator, denominator) -> np.ndarray:
        """Counts → the empirical rate on the model scale with half an event added (the engine's
        rule for the count families): log rate for a Poisson rate, logit for a binomial share."""
        y, n = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
        if self.name == "log":
            return np.log((y + 0.5) / n * self.per)
        return np.log((y + 0.5) / (n - y + 0.5))

    def to_unit(self, z) -> np.ndarray:
        """The model scale → the unit."""
        return from_model_scale(np.asarray(z, dtype=float), self.code, self.lo, self.hi)

    def unit_per_z(self, value: float) -> float:
        """d(value)/dz at ``value``: a model-scale distance in the unit, for words a reader knows."""
        if self.name == "log":
            return value
        if self.name == "logit":
            return (value - self.lo) * (self.hi - value) / (self.hi - self.lo)
        return 1.0


def round_to_step(values: np.ndarray, step: float) -> np.ndarray:
    """Values rounded to a reporting step, as they would be published (a count of institutions to
    a whole number, a percentage given to one decimal to one decimal)."""
    return np.round(np.asarray(values, dtype=float) / step) * step


def unit_scale(entry: pd.Series) -> Scale:
    """The scale the engine would use for an indicator without counts, from its unit: logit of the
    valid range for shares and rates, log for levels, counts and durations, else linear."""
    from analysis.clean import valid_range

    unit = entry.get("unit")
    spec = parse.units().get(unit, {}) if isinstance(unit, str) else {}
    kind = spec.get("kind")
    lo, hi = valid_range(entry, unit) if spec else (-math.inf, math.inf)
    per = float(spec.get("per", math.nan))
    if kind in ("proportion", "rate"):
        return Scale("logit", lo, hi, per, "logit")
    if kind in ("level", "count", "duration"):
        return Scale("log", lo, hi, per, "log")
    return Scale("linear", lo, hi, per, "linear")
