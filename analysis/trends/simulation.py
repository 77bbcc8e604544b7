"""Predictive quantiles: t intervals on the model scale, simulated GLM draws with their sampling noise,
and clipping to the valid range.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable

import numpy as np
from scipy import special, stats

from analysis.trends.base import LINK_CLIP, POISSON, QUANTILES, from_model_scale
from analysis.trends.linear import Line

log = logging.getLogger(__name__)


def t_quantiles(df: np.ndarray) -> np.ndarray:
    """Student-t quantiles at :data:`QUANTILES` for each df (rows × 5)."""
    df = np.asarray(df, dtype=float)
    uniq, inv = np.unique(df, return_inverse=True)
    table = stats.t.ppf(QUANTILES[None, :], uniq[:, None])
    return table[inv.ravel()].reshape(df.shape + (len(QUANTILES),))


def analytic_quantiles(mean, var, df, widen, scale, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Point (the centre back-transformed) and quantiles in the indicator's unit of a
    location-scale t on the model scale."""
    zq = mean[:, None] + t_quantiles(df) * (np.sqrt(var) * widen)[:, None]
    return (from_model_scale(mean, scale, lo, hi),
            from_model_scale(zq, scale[:, None], lo[:, None], hi[:, None]))


def _glm_draws(a, b, var_a, var_b, disp, df, widen, rng, n_sims):
    """Parameter draws (sims × rows): normal from the covariance, with a t scale mixture where
    the dispersion was estimated (quasi-likelihood, disp > 1)."""
    shape = (n_sims,) + np.shape(a)
    za, zb = rng.standard_normal(shape), rng.standard_normal(shape)
    over = np.broadcast_to(np.asarray(disp) > 1.0, np.shape(a))
    if over.any():
        df = np.broadcast_to(np.maximum(df, 1.0), np.shape(a))
        mix = np.ones(shape)
        if np.ndim(a) == 0:
            mix = np.sqrt(df / rng.chisquare(df, n_sims))
        else:
            mix[:, over] = np.sqrt(df[over] / rng.chisquare(df[over], (n_sims, int(over.sum()))))
        za, zb = za * mix, zb * mix
    return a + np.sqrt(var_a) * widen * za, b + np.sqrt(var_b) * widen * zb


def _glm_noise(eta, expo, poisson: bool, disp, rng):
    """Counts drawn at the linear predictor ``eta`` and exposure ``expo`` (broadcast): Poisson
    or binomial, overdispersed as gamma-Poisson / beta-binomial with variance ``disp`` × the
    nominal one where ``disp`` > 1 (Cameron & Trivedi 2013, ch. 4). Returns count / exposure."""
    expo = np.broadcast_to(expo, eta.shape)
    disp = np.broadcast_to(disp, eta.shape)
    over = disp > 1.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if poisson:
            lam = np.minimum(expo * np.exp(np.minimum(eta, LINK_CLIP)), 1e12)
            if over.any():
                k = disp[over] - 1.0
                lam[over] = rng.gamma(np.maximum(lam[over] / k, 1e-12), k)
            counts = rng.poisson(lam)
        else:
            p = special.expit(eta)
            if over.any():
                rho = np.clip((disp[over] - 1.0) / np.maximum(expo[over] - 1.0, 1.0), 1e-9, 0.999)
                k = 1.0 / rho - 1.0
                p[over] = rng.beta(np.maximum(p[over] * k, 1e-12), np.maximum((1 - p[over]) * k, 1e-12))
            counts = rng.binomial(expo.astype(np.int64), p)
    return counts / expo


def sim_quantiles(draws: np.ndarray) -> np.ndarray:
    """Quantiles at :data:`QUANTILES` of simulated draws (sims along axis 0), as numpy's default
    (linear) method gives them, by one sort (faster than ``np.quantile`` with several levels)."""
    ordered = np.sort(draws, axis=0)
    pos = QUANTILES * (draws.shape[0] - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, draws.shape[0] - 1)
    frac = (pos - lo).reshape((-1,) + (1,) * (draws.ndim - 1))
    return (ordered[lo] * (1 - frac) + ordered[hi] * frac).T


def series_seed(seed: int, key: tuple[str, str, str]) -> list[int]:
    """A seed sequence for one series: the run's seed and a stable hash of its key, so that a
    series' draws do not depend on which other series are projected with it."""
    return [int(seed), zlib.crc32("|".join(key).encode("utf-8"))]


#: a function giving the random stream of one series of the batch (by its index)
Streams = Callable[[int], np.random.Generator]


def keyed_streams(seed: int, keys: Callable[[int], tuple[str, str, str]], label: int) -> Streams:
    """Each series' own stream: the run's seed, the hash of the series' key, and ``label``
    (which use of the draws: 3 the fitted values of observed years). A series draws the same
    numbers whatever else is in the batch."""
    return lambda s: np.random.default_rng(series_seed(seed, keys(s)) + [int(label)])


def common_streams(seed: int, label: int) -> Streams:
    """The same stream for every series (common random numbers; ``label`` 1 the back-test):
    a series' back-test scores then depend on its data alone — not on the batch, nor on its
    key — and every candidate is scored on the same draws, so that the difference between two
    candidates' scores is not Monte Carlo noise of independent draws."""
    return lambda s: np.random.default_rng([int(seed), int(label)])


def glm_quantiles(line: Line, rows: np.ndarray, x: np.ndarray, expo: np.ndarray, family: np.ndarray,
                  per: np.ndarray, widen: np.ndarray, n_sims: int, streams: Streams, series: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Point (the fitted rate) and simulated quantiles for GLM queries: parameter draws from the
    (quasi-)covariance — one set per row, shared by that row's years — then sampling noise at
    the exposure ``expo`` of each query. ``series`` is each query's series in the batch: its
    draws come from ``streams(series)``, one series at a time, so that they never depend on
    the other series of the batch."""
    eta0 = line.a[rows] + line.b[rows] * (x - line.xc[rows])
    point = per * np.where(family == POISSON, np.exp(eta0), special.expit(eta0))
    q = np.empty((len(rows), len(QUANTILES)))
    order = np.argsort(series, kind="stable")
    for sl in np.split(order, np.flatnonzero(np.diff(series[order])) + 1):
        if not len(sl):
            continue
        rng = streams(int(series[sl[0]]))
        uniq, inv = np.unique(rows[sl], return_inverse=True)
        w = np.empty(len(uniq))
        w[inv] = widen[sl]
        a_s, b_s = _glm_draws(line.a[uniq], line.b[uniq], line.var_a[uniq], line.var_b[uniq], line.s2[uniq],
                              line.df[uniq], w, rng, n_sims)
        eta = a_s[:, inv] + b_s[:, inv] * (x[sl] - line.xc[rows[sl]])
        rate = _glm_noise(eta, expo[sl], bool(family[sl[0]] == POISSON), line.s2[rows[sl]], rng)
        q[sl] = sim_quantiles(rate) * per[sl, None]
    return point, q


def clip_to_range(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Values (rows, or rows × quantiles) kept inside each row's valid range (the catalog's
    ``valid_range`` or the unit's: 0–100 % , 0–1000 ‰, ≥ 0 for levels): a rate of 4 deaths per
    1,000 births cannot be projected above 1,000 ‰, nor a level below 0."""
    shape = (-1,) + (1,) * (np.ndim(values) - 1)
    lo = np.where(np.isfinite(lo), lo, -np.inf).reshape(shape)
    hi = np.where(np.isfinite(hi), hi, np.inf).reshape(shape)
    return np.clip(values, lo, hi)
