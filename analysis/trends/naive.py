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

from analysis.trends.batch import _last_col, _prev_col

log = logging.getLogger(__name__)


@dataclass
class Naive:
    """The last value carried forward; ``s2`` the variance of a one-year change (random walk)."""

    z_last: np.ndarray
    x_last: np.ndarray
    s2: np.ndarray
    df: np.ndarray


def fit_naive(z: np.ndarray, mask: np.ndarray, x: np.ndarray, floor: np.ndarray) -> Naive:
    """Random walk without drift: ``s2 = mean((Δz)² / Δt)`` over consecutive observed values
    (a change over a gap of g years counts as g years of steps), df = n − 1."""
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
