"""The ``naive`` candidate: the last value carried forward with the series' own volatility (a random
walk) — and, for a count series, its count-scale stand-in: the recency-weighted mean rate, with
the counts' own sampling noise.

References
----------
.. [1] Hyndman, R. J., & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed., ch. 5.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from analysis.trends.base import from_model_scale
from analysis.trends.batch import _last_col, _prev_col
from analysis.trends.candidate import Candidate, Fitted, t_noise
from analysis.trends.candidate import record_bounds as _bounds
from analysis.trends.linear import step_variance
from analysis.trends.trend import TrendCandidate, TrendFit

log = logging.getLogger(__name__)


@dataclass
class Naive(Fitted):
    """The last value carried forward; ``s2`` the variance of a one-year change (random walk).
    Count rows are the recency-weighted level GLM in ``level`` (``counts`` marks them)."""

    z_last: np.ndarray
    x_last: np.ndarray
    s2: np.ndarray
    df: np.ndarray
    level: TrendFit | None = None
    counts: np.ndarray | None = None

    @property
    def glm(self):
        return None if self.level is None else self.level.glm

    @property
    def glm_rows(self):
        return None if self.level is None else self.level.glm_rows

    def _split(self, r):
        """Which of the rows ``r`` are count rows (fitted by the level GLM)."""
        return np.zeros(len(r), bool) if self.counts is None else self.counts[r]

    def moments(self, r, x):
        mean, var, df = self.z_last[r], self.s2[r] * (x - self.x_last[r]), self.df[r]   # new arrays
        on = self._split(r)
        if on.any():
            mean[on], var[on], df[on] = self.level.moments(r[on], x[on])
        return mean, var, df

    def in_sample(self, rows, r, c, x):
        prev = _prev_col(rows.mask)[r, c]
        mean = np.where(prev >= 0, rows.z[r, np.clip(prev, 0, None)], np.nan)
        var, df = self.s2[r] * np.where(prev >= 0, c - prev, np.nan), self.df[r]
        on = self._split(r)
        if on.any():
            mean[on], var[on], df[on] = self.level.in_sample(rows, r[on], c[on], x[on])
        return mean, var, df

    def predict(self, batch, rows, r, x, widen, settings, streams, n_sims):
        """The random walk's t predictive; count rows the level GLM's simulated one."""
        point, q = super().predict(batch, rows, r, x, widen, settings, streams, n_sims)
        on = np.flatnonzero(self._split(r))
        if len(on):
            point[on], q[on] = self.level.predict(batch, rows, r[on], x[on], widen[on], settings, streams, n_sims)
        return point, q

    def to_record(self, pos, settings):
        if self.counts is not None and self.counts[pos]:
            return self.level.to_record(pos, settings)
        return {"z_last": float(self.z_last[pos]), "s2": float(self.s2[pos]), "df": float(self.df[pos])}

    def warnings(self, pos):
        return self.level.warnings(pos) if self.counts is not None and self.counts[pos] else []


def fit_naive(z: np.ndarray, mask: np.ndarray, x: np.ndarray, floor: np.ndarray) -> Naive:
    """Random walk without drift: ``s2 = mean((Δz)² / Δt)`` over consecutive observed values
    (a change over a gap of g years counts as g years of steps), df = n − 1.

    References
    ----------
    .. [1] Hyndman, R. J., & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed.,
       OTexts, §5.5 (prediction intervals of the naive method).
    """
    rows = np.arange(len(z))
    s2, m = step_variance(z, mask, x)
    s2 = np.maximum(s2, floor**2)
    last = _last_col(mask)
    return Naive(z_last=z[rows, np.clip(last, 0, None)], x_last=x[np.clip(last, 0, None)], s2=s2,
                 df=np.maximum(m, 1).astype(float))


class NaiveCandidate(Candidate):
    """``naive``: a random walk from the last value (FPP3 ch. 5). A count series has no random
    walk on its own scale that the counts can carry (the log of 0 maternal deaths in a year, or
    of 0.5 added to them, is not a level: a published rate can only be 0 or at least one death
    in that year's births): its ``naive`` is the family's GLM with the level alone,
    recency-weighted (weights halving every ``half_life`` years, as ``weighted_trend``'s), the
    slope held at 0 — the recent rate carried forward, with the counts' sampling noise and
    overdispersion at the projected exposure."""

    name = "naive"
    description = "the last value carried forward"
    uses_glm = True
    _level = TrendCandidate("naive", weighted=True, slope=False)

    def fit(self, batch, rows, settings, keep_fitted=False) -> Naive:
        out = fit_naive(rows.z, rows.mask, batch.x, rows.floor)
        if rows.counts.any():
            out.level, out.counts = self._level.fit(batch, rows, settings), rows.counts
        return out

    def simulate(self, rec, n_sims, rng, x):
        if rec.get("glm"):
            return self._level.simulate(rec, n_sims, rng, x)
        _, eps = t_noise(rec, n_sims, rng, len(x))
        return from_model_scale(rec["z_last"] + np.cumsum(eps, axis=1), rec["scale"], *_bounds(rec))
