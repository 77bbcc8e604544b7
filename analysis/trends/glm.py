"""The count families' trends: Poisson and binomial GLMs fitted by batched IRLS, quasi-likelihood
dispersion, a slope prior where the maximum is not finite, the future exposure.

References
----------
.. [1] McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed. Chapman & Hall.
.. [2] Cameron, A. C., & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from analysis.trends.base import LINK_CLIP, POISSON
from analysis.trends.batch import _first_col, _last_col
from analysis.trends.linear import Line, fit_line, wls_sums

log = logging.getLogger(__name__)


@dataclass
class GLMFit(Line):
    """A Poisson (log link, offset log e) or binomial (logit link) GLM trend per row, centred at
    the information-weighted mean year so that intercept and slope are uncorrelated; ``s2`` is
    the dispersion used (max(1, Pearson χ²/df)), ``phi_hat`` the estimate, ``converged`` and
    ``no_events`` flags, and the exposure's own log-linear trend for projecting it."""

    phi_hat: np.ndarray = field(default_factory=lambda: np.array([]))
    converged: np.ndarray = field(default_factory=lambda: np.array([]))
    no_events: np.ndarray = field(default_factory=lambda: np.array([]))
    penalized: np.ndarray = field(default_factory=lambda: np.array([]))
    exposure: Line | None = None
    e_last: np.ndarray = field(default_factory=lambda: np.array([]))

    def coef(self) -> tuple[np.ndarray, np.ndarray]:
        """Intercept at x = 0 (year 2000) and slope: the parametrisation statsmodels reports."""
        return self.a - self.b * self.xc, self.b

    def cov(self) -> np.ndarray:
        """The (rows × 2 × 2) covariance of (intercept at x = 0, slope), dispersion included."""
        vaa = self.var_a + self.xc**2 * self.var_b
        vab = -self.xc * self.var_b
        return np.stack([np.stack([vaa, vab], -1), np.stack([vab, self.var_b], -1)], -2)




def _at_one_end(positive: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rows where every ``positive`` cell is in the first observed year, or every one in the last."""
    cols = np.arange(mask.shape[1])[None, :]
    first, last = _first_col(mask)[:, None], _last_col(mask)[:, None]
    positive = positive & mask
    only_first = ~(positive & (cols != first)).any(axis=1)
    only_last = ~(positive & (cols != last)).any(axis=1)
    return positive.any(axis=1) & (only_first | only_last)


def _glm_pieces(eta, y, e, poisson, w):
    """IRLS pieces at the linear predictor ``eta``: mean count, working weights, working response."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = special.expit(eta)
        mu = np.where(poisson, e * np.exp(eta), e * p)
        var = np.where(poisson, mu, e * p * (1.0 - p))
        weight = w * var
        work = eta + np.where(var > 0, (y - mu) / var, 0.0)
    return mu, var, weight, work


def fit_glm(y: np.ndarray, e: np.ndarray, mask: np.ndarray, x: np.ndarray, family: np.ndarray,
            weights: np.ndarray | None = None, *, slope_prior_sd: float, sparse_events: float = 0,
            slope: bool = True, max_iter: int = 100, tol: float = 1e-11) -> GLMFit:
    """Fit ``g(E[y]/e) = α + β x`` for every row by iteratively reweighted least squares.

    Poisson rows: log link with offset log(e); binomial rows: y successes of e trials, logit
    link. ``weights`` are variance weights (statsmodels' ``var_weights``; the recency weights of
    ``weighted_trend``). The covariance is the inverse Fisher information times the dispersion
    ``max(1, Pearson χ²/d)`` (quasi-likelihood; McCullagh & Nelder 1989, §4.5), with ``d`` the
    expectation factor of the weighted Pearson χ² at the IRLS weights ω = w·V(μ):
    ``d = Σw − Σwω/Σω − Σwω(x−x̄)²/Σω(x−x̄)²`` (n − 2 without weights; the linear trend's ``d``
    of :func:`analysis.trends.linear.fit_line` with ω for w²): the recency weights sum to about
    4.4 on ten years, and dividing their χ² by n − 2 = 8 understated a dispersion of 3 as 1.2.
    ``d`` is also the df of the t mixture. ``slope=False`` fits the level alone (the slope held
    at 0: the count-scale random walk's stand-in, a recency-weighted mean rate). A row with
    no events at all (or only events, binomial) has no finite maximum: it gets a constant rate
    with half an event added, b = 0 with no uncertainty of its own (the data say nothing about a
    trend; a comparator's slope can still be borrowed), and the intercept's information at
    that rate (half an event: Var(log rate) = 2). A row whose events all
    fall in its first or its last year (or, binomial, whose non-events do) has none either: its
    slope gets a normal prior with sd ``slope_prior_sd`` (``params/projection.yaml``; a ridge
    penalty; ``penalized``) — and so does a row with fewer than ``sparse_events`` events in all
    its years (binomial: or fewer non-events): its maximum is finite but rests on one or two
    events, and deaths 0,…,0,1,1 gave a slope of +1.07 a year, a 2030 rate 2,000 times the
    observed one.

    References
    ----------
    .. [1] McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed. Chapman & Hall,
       §2.5 (IRLS), §4.5 (quasi-likelihood dispersion).
    .. [2] Cameron, A. C., & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed.
       Cambridge University Press (Pearson χ²/df).
    """
    w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
    poisson = (family == POISSON)[:, None]
    y0, e0 = np.where(mask, y, 0.0), np.where(mask, e, 1.0)
    ty, te = (w * y0).sum(1), (w * e0).sum(1)
    no_events = (ty <= 0) | (~poisson[:, 0] & (ty >= te))
    events, non_events = (y0 * mask).sum(1), ((e0 - y0) * mask).sum(1)
    sparse = np.where(poisson[:, 0], events, np.minimum(events, non_events)) < sparse_events
    penalized = ~no_events & (_at_one_end(y0 > 0, mask) | (~poisson[:, 0] & _at_one_end(y0 < e0, mask)) | sparse)
    ridge = np.where(penalized, 1.0 / slope_prior_sd**2, 0.0) if slope else np.full(len(y), np.inf)
    penalized = penalized & slope
    start = np.where(poisson, np.log((y0 + 0.5) / e0), np.log((y0 + 0.5) / (e0 - y0 + 0.5)))
    xc, a, b, *_ = wls_sums(start, w, x)
    eta = a[:, None] + b[:, None] * (x - xc[:, None])
    # a row stops at its own convergence (not at the batch's slowest row): its fit must not
    # depend on which other series are fitted with it, not even in the last digit
    converged = np.zeros(len(y), bool)
    for _ in range(max_iter):
        _, _, weight, work = _glm_pieces(eta, y0, e0, poisson, w)
        xc, a, b, *_ = wls_sums(work, weight, x, ridge)
        new = np.clip(a[:, None] + b[:, None] * (x - xc[:, None]), -LINK_CLIP, LINK_CLIP)
        change = np.where(mask, np.abs(new - eta), 0.0).max(axis=1)
        eta = np.where((no_events | converged)[:, None], eta, new)
        converged = converged | (change < tol * (1 + np.abs(eta).max(axis=1)))
        if converged[~no_events].all():
            break
    # half an event added on the side the data never reached: no successes → just above 0,
    # only successes (binomial, 2/2, 1/1 …) → just below 1
    const = np.where(poisson[:, 0], np.log(0.5 / te),
                     np.where(ty >= te, special.logit((te + 0.5) / (te + 1.0)), special.logit(0.5 / (te + 1.0))))
    eta = np.where(no_events[:, None], const[:, None], eta)
    mu, var, weight, _ = _glm_pieces(eta, y0, e0, poisson, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        sw = weight.sum(1)
        xcw = (weight * x).sum(1) / sw
        a = (weight * eta).sum(1) / sw
        dx2 = (weight * (x - xcw[:, None]) ** 2).sum(1)
        b = np.where(no_events | (not slope), 0.0, ((weight * (x - xcw[:, None]) * eta).sum(1) / dx2))
        var_a = 1.0 / sw
        var_b = np.where(no_events, 0.0, 1.0 / (dx2 + ridge))
        pearson = np.where(mask & (var > 0), w * (y0 - mu) ** 2 / var, 0.0).sum(1)
        n = mask.sum(1)
        d = w.sum(1) - (w * weight).sum(1) / sw - (w * weight * (x - xcw[:, None]) ** 2).sum(1) / (dx2 + ridge)
        n_params = 2 if slope else 1
        phi_hat = np.where(n > n_params, pearson / np.maximum(d, 1e-9), np.nan)
    disp = np.where(np.isfinite(phi_hat) & ~no_events, np.maximum(phi_hat, 1.0), 1.0)
    df = np.where(n > n_params, np.maximum(np.round(d, 1), 1.0), 1.0)
    exposure = fit_line(np.log(np.where(mask, e, np.nan)), mask, x, None, np.zeros(len(y)))
    last = np.clip(_last_col(mask), 0, None)
    return GLMFit(xc=xcw, a=a, b=b, var_a=var_a * disp, var_b=var_b * disp, s2=disp,
                  df=df, phi_hat=phi_hat, converged=converged | no_events,
                  no_events=no_events, penalized=penalized, exposure=exposure,
                  e_last=e[np.arange(len(e)), last])


def projected_exposure(fit: GLMFit, rows: np.ndarray, x: np.ndarray, rule: str) -> np.ndarray:
    """The exposure (denominator) assumed for a future year: the last one (``last``), its own
    log-linear trend (``trend``), or the smaller of the two (``conservative``, the default:
    a falling number of births is followed, a rising one is not assumed, because more exposure
    would narrow the interval)."""
    last = fit.e_last[rows]
    trend_mean, _ = fit.exposure.at(rows, x)
    trend = np.exp(np.where(np.isfinite(trend_mean), trend_mean, np.log(last)))
    out = {"last": last, "trend": trend, "conservative": np.minimum(last, trend)}[rule]
    return np.maximum(np.round(out), 1.0)


def _refit_intercept(fit: GLMFit, y, e, mask, x, family, weights=None) -> None:
    """After the slope was moved (shrinkage), re-estimate each GLM's intercept with the slope
    held fixed (Poisson: closed form; binomial: Newton steps), in place."""
    w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
    poisson = (family == POISSON)[:, None]
    y0, e0 = np.where(mask, y, 0.0), np.where(mask, e, 1.0)
    slope_part = fit.b[:, None] * (x - fit.xc[:, None])
    a = fit.a.copy()
    for _ in range(30):
        eta = a[:, None] + slope_part
        mu, var, weight, _ = _glm_pieces(eta, y0, e0, poisson, w)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = (w * (y0 - mu)).sum(1) / weight.sum(1)
        a = np.where(fit.no_events | ~np.isfinite(step), a, a + np.clip(step, -5, 5))
    fit.a = a
    fit.var_a = fit.s2 / weight.sum(1)
