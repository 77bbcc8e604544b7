"""Borrowing strength: a local slope shrunk toward its comparator's by precision weighting.

References
----------
.. [1] Gelman, A. et al. (2013). Bayesian Data Analysis, 3rd ed., ch. 5 (partial pooling).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from analysis.trends.batch import Batch
from analysis.trends.linear import Line, fit_line

log = logging.getLogger(__name__)


@dataclass
class Shrinkage:
    """Per row: the comparator's slope and its variance, the weight put on it (0 when none)."""

    own: np.ndarray
    comparator: np.ndarray
    weight: np.ndarray


def shrink_toward(fit: Line, comp: Line, has_comp: np.ndarray, tau: np.ndarray) -> Shrinkage:
    """Move each slope toward its comparator's by precision weighting (partial pooling).

    Prior for the local slope: normal, centred on the comparator's slope, variance
    ``tau² + Var(comparator slope)`` (``tau``: how far a district's trend may plausibly differ
    from the nation's). Posterior mean ``(1 - w) b_own + w b_comp`` with
    ``w = Var(b_own) / (Var(b_own) + tau² + Var(b_comp))``; posterior variance ``(1 - w) Var(b_own)``.
    Modifies ``fit`` in place; returns what it did.

    References
    ----------
    .. [1] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A., & Rubin, D. B. (2013).
       Bayesian Data Analysis, 3rd ed. CRC Press, ch. 5.
    """
    prior_var = tau**2 + comp.var_b
    ok = has_comp & np.isfinite(comp.b) & np.isfinite(prior_var) & np.isfinite(fit.var_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(ok, fit.var_b / (fit.var_b + prior_var), 0.0)
    own = fit.b.copy()
    fit.b = np.where(ok, (1 - weight) * fit.b + weight * np.where(ok, comp.b, 0.0), fit.b)
    fit.var_b = np.where(ok, (1 - weight) * fit.var_b, fit.var_b)
    return Shrinkage(own=own, comparator=np.where(ok, comp.b, np.nan), weight=np.where(ok, weight, np.nan))


def comparator_lines(batch: Batch, rows: np.ndarray, cutoff_col: np.ndarray) -> tuple[Line, np.ndarray]:
    """The comparators' least-squares lines for ``rows`` of the batch, each using only the
    comparator's values up to ``cutoff_col`` (a back-test never sees the comparator's future)."""
    cols = np.arange(len(batch.years))
    cm = batch.comp_mask[rows] & (cols[None, :] <= cutoff_col[:, None])
    line = fit_line(batch.comp_z[rows], cm, batch.x, None, batch.floor[rows])
    return line, (batch.comp[rows] >= 0) & (cm.sum(1) >= 2)
