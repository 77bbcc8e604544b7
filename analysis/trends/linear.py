"""The ``trend`` and ``weighted_trend`` candidates: straight lines by (recency-weighted) least squares,
closed form across series.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from analysis.trends.batch import _last_col, _prev_col

log = logging.getLogger(__name__)


@dataclass
class Line:
    """A straight line on the model scale for each row, centred at ``xc`` so that intercept and
    slope are uncorrelated: ``z(x) = a + b (x - xc)``, ``Var(a) = var_a``, ``Var(b) = var_b``;
    ``s2`` the noise variance of a new value (the GLM dispersion for count models), ``df`` the
    residual degrees of freedom."""

    xc: np.ndarray
    a: np.ndarray
    b: np.ndarray
    var_a: np.ndarray
    var_b: np.ndarray
    s2: np.ndarray
    df: np.ndarray

    def at(self, rows: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and predictive variance (noise included) of a new value at ``x`` for ``rows``."""
        dx = x - self.xc[rows]
        return self.a[rows] + self.b[rows] * dx, self.s2[rows] + self.var_a[rows] + dx**2 * self.var_b[rows]


def wls_sums(z: np.ndarray, w: np.ndarray, x: np.ndarray, ridge: np.ndarray | float = 0.0
             ) -> tuple[np.ndarray, ...]:
    """Weighted least squares of ``z`` on ``x`` for every row at once (w = 0 where missing).

    Returns the weighted centre ``xc``, the fitted value there ``a``, the slope ``b``, the sum
    of weights, the weighted sum of squares of x about ``xc`` and the weighted residual sum of
    squares. ``ridge`` (per row) is added to the slope's normal equation: a normal prior on the
    slope with precision ``ridge`` centred on 0 (used only where a GLM has no finite maximum).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = np.where(w > 0, z, 0.0)
        sw = w.sum(axis=1)
        xc = (w * x).sum(axis=1) / sw
        a = (w * z0).sum(axis=1) / sw
        dx = x - xc[:, None]
        sxx = (w * dx**2).sum(axis=1)
        b = (w * dx * z0).sum(axis=1) / (sxx + ridge)
        resid = np.where(w > 0, z0 - a[:, None] - b[:, None] * dx, 0.0)
        rss = (w * resid**2).sum(axis=1)
    return xc, a, b, sw, sxx, rss


def step_variance(z: np.ndarray, mask: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The variance of a one-year change of each row, ``mean((Δz)² / Δt)`` over consecutive
    observed values (a change over a gap of g years counts as g years of steps: a random
    walk's), and the number of changes it rests on."""
    prev = _prev_col(mask)
    has_prev = mask & (prev >= 0)
    z_prev = np.take_along_axis(z, np.clip(prev, 0, None), axis=1)
    dt = x[None, :] - x[np.clip(prev, 0, None)]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(has_prev, (z - z_prev) ** 2 / dt, 0.0)
        m = has_prev.sum(axis=1)
        return step.sum(axis=1) / m, m


def recency_weights(mask: np.ndarray, x: np.ndarray, decay: float) -> np.ndarray:
    """Weights ``decay ** (last observed year - year)``: 1 for the latest value, 0 where missing."""
    last = _last_col(mask)
    x_last = x[np.clip(last, 0, None)]
    return np.where(mask, decay ** np.clip(x_last[:, None] - x, 0, None), 0.0)


def fit_line(z: np.ndarray, mask: np.ndarray, x: np.ndarray, weights: np.ndarray | None,
             floor: np.ndarray) -> Line:
    """A least-squares trend per row (recency-weighted when ``weights`` are given), with t
    predictive intervals that include the uncertainty of intercept and slope.

    Unweighted: ordinary least squares, ``s2 = RSS / (n − 2)``, n − 2 df (what statsmodels' OLS
    prediction interval gives). Weighted (discounted least squares): the weights discount old
    years, they do not say old values were noisier, so the noise is taken as the same every
    year: ``s2 = Σ w r² / d`` with ``d = Σw − Σw²/Σw − Σw²(x−x̄)²/Σw(x−x̄)²`` the exact
    expectation factor of Σ w r² (n − 2 when all w = 1), ``d`` df, and the coefficients'
    variances are the sandwich ``(X'WX)⁻¹ X'W²X (X'WX)⁻¹ s2``. Two points leave no residual:
    ``s2`` is then the squared change between them per year (their only measure of volatility)
    with 1 df. ``s2`` never falls below ``floor²`` (the rounding of the published values).
    """
    w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
    xc, a, b, sw, sxx, rss = wls_sums(z, w, x)
    n = mask.sum(axis=1)
    two_point_s2, _ = step_variance(z, mask, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = np.where(w > 0, x - xc[:, None], 0.0)
        w2, w2x, w2xx = (w**2).sum(1), (w**2 * dx).sum(1), (w**2 * dx**2).sum(1)
        d = sw - w2 / sw - w2xx / sxx
        s2 = np.where(n > 2, rss / np.maximum(d, 1e-9), two_point_s2)
        s2 = np.maximum(s2, floor**2)
        var_a, var_b, cov_ab = s2 * w2 / sw**2, s2 * w2xx / sxx**2, s2 * w2x / (sw * sxx)
        # move the centre so that intercept and slope are uncorrelated (exactly xc when unweighted)
        shift = np.where(var_b > 0, -cov_ab / var_b, 0.0)
        a, xc, var_a = a + b * shift, xc + shift, var_a - np.where(var_b > 0, cov_ab**2 / var_b, 0.0)
        df = np.where(n > 2, np.maximum(np.round(d, 1), 1.0), 1.0)
    return Line(xc=xc, a=a, b=b, var_a=var_a, var_b=var_b, s2=s2, df=df)
