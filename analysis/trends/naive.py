"""The ``naive`` candidate: the last value carried forward with the series' own volatility (a random
walk).

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

log = logging.getLogger(__name__)


@dataclass
class Naive(Fitted):
    """The last value carried forward; ``s2`` the variance of a one-year change (random walk)."""

    z_last: np.ndarray
    x_last: np.ndarray
    s2: np.ndarray
    df: np.ndarray

    def moments(self, r, x):
        return self.z_last[r], self.s2[r] * (x - self.x_last[r]), self.df[r]

    def in_sample(self, rows, r, c, x):
        prev = _prev_col(rows.mask)[r, c]
        mean = np.where(prev >= 0, rows.z[r, np.clip(prev, 0, None)], np.nan)
        return mean, self.s2[r] * np.where(prev >= 0, c - prev, np.nan), self.df[r]

    def to_record(self, pos, settings):
        return {"z_last": float(self.z_last[pos]), "s2": float(self.s2[pos]), "df": float(self.df[pos])}


def fit_naive(z: np.ndarray, mask: np.ndarray, x: np.ndarray, floor: np.ndarray) -> Naive:
    """Random walk without drift: ``s2 = mean((Δz)² / Δt)`` over consecutive observed values
    (a change over a gap of g years counts as g years of steps), df = n − 1.

    References
    ----------
    .. [1] Hyndman, R. J., & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed.,
       OTexts, §5.5 (prediction intervals of the naive method).
    """
    rows = np.arange(len(z))
    prev = _prev_col(mask)
    has_prev = mask & (prev >= 0)
    z_prev = np.take_along_axis(z, np.clip(prev, 0, None), axis=1)
    dt = x[None, :] - x[np.clip(prev, 0, None)]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(has_prev, (z - z_prev) ** 2 / dt, 0.0)
        m = has_prev.sum(axis=1)
        s2 = np.maximum(step.sum(axis=1) / m, floor**2)
    last = _last_col(mask)
    return Naive(z_last=z[rows, np.clip(last, 0, None)], x_last=x[np.clip(last, 0, None)], s2=s2,
                 df=np.maximum(m, 1).astype(float))


class NaiveCandidate(Candidate):
    """``naive``: a random walk from the last value (FPP3 ch. 5)."""

    name = "naive"
    description = "the last value carried forward"

    def fit(self, batch, rows, settings, keep_fitted=False) -> Naive:
        return fit_naive(rows.z, rows.mask, batch.x, rows.floor)

    def simulate(self, rec, n_sims, rng, x):
        _, eps = t_noise(rec, n_sims, rng, len(x))
        return from_model_scale(rec["z_last"] + np.cumsum(eps, axis=1), rec["scale"], *_bounds(rec))
