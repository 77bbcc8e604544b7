"""The candidate protocol: what every projection model implements, over a batch of series at once.

Like statsforecast's model classes, but batched: :meth:`Candidate.fit` fits one model on many rows
(series, or series cut at back-test origins) in a few array operations and returns a
:class:`Fitted`, which gives the forecast moments on the model scale (:meth:`Fitted.moments`),
the in-sample values (:meth:`Fitted.in_sample`), predictive points and quantiles in the
indicator's unit (:meth:`Fitted.predict`), one series' record (:meth:`Fitted.to_record`) and the
warnings of its fit. :meth:`Candidate.simulate` turns such a record back into simulated paths.
A model is one file implementing these, registered in :mod:`analysis.trends.candidates`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # the candidates' own modules import this one: no cycle at run time
    from analysis.trends.shrinkage import Shrinkage


def t_noise(rec: dict[str, Any], n_sims: int, rng: np.random.Generator, horizon: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """The scale mixture ``u`` (one residual-variance draw per path, from its t's chi-square, times
    the record's widening) and the year-to-year innovations ``eps`` (n_sims × horizon) that the
    analytic candidates' paths are built from — drawn in this order from ``rng``."""
    u = np.sqrt(rec["df"] / rng.chisquare(rec["df"], n_sims))[:, None] * rec["widen"]
    eps = rng.standard_normal((n_sims, horizon)) * math.sqrt(rec["s2"]) * u
    return u, eps


def record_bounds(rec: dict[str, Any]) -> tuple[float, float]:
    """The logit scale's bounds of a record (NaN where the scale has none)."""
    return (np.nan if rec["lo"] is None else rec["lo"]), (np.nan if rec["hi"] is None else rec["hi"])


class Fitted(ABC):
    """A candidate fitted on some rows (``pos`` below is a row's position in them)."""

    #: the shrinkage toward the comparator's slope, for the candidates that borrow strength
    shrink: Shrinkage | None = None
    #: the count rows' GLM fit, for the candidates that fit one (``Candidate.uses_glm``)
    glm: Any = None

    @abstractmethod
    def moments(self, r: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and df (t predictive) on the model scale at year(s) ``x`` after each
        row ``r``'s last value."""

    @abstractmethod
    def in_sample(self, rows: Any, r: np.ndarray, c: np.ndarray, x: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and df at observed columns ``c`` (one step ahead for recursive models)."""

    @abstractmethod
    def to_record(self, pos: int, settings: Any) -> dict[str, Any]:
        """The parameters :meth:`Candidate.simulate` needs for the row at ``pos`` (JSON-safe)."""

    def predict(self, batch: Any, rows: Any, r: np.ndarray, x: np.ndarray, widen: np.ndarray, settings: Any,
                streams: Any, n_sims: int) -> tuple[np.ndarray, np.ndarray]:
        """Point and quantiles in the indicator's unit for queries (row ``r``, year ``x``) after each
        row's last value: the t predictive on the model scale, kept inside the valid range.
        ``streams`` gives a series' random stream (:mod:`analysis.trends.simulation`) to the
        candidates that simulate."""
        from analysis.trends.simulation import analytic_quantiles, clip_to_range

        s = rows.series[r]
        mean, var, df = self.moments(r, x)
        point, q = analytic_quantiles(mean, var, df, widen, batch.scale[s], batch.lo[s], batch.hi[s])
        return clip_to_range(point, batch.vlo[s], batch.vhi[s]), clip_to_range(q, batch.vlo[s], batch.vhi[s])

    def slope(self, pos: int) -> tuple[float, float, float, float]:
        """Own slope, comparator slope, weight on the comparator, slope used (NaN: no slope)."""
        return np.nan, np.nan, np.nan, np.nan

    def warnings(self, pos: int) -> list[str]:
        """What the fit of the row at ``pos`` wants a reader to know."""
        return []


class Candidate(ABC):
    """A projection model: its name in the records, how it fits a batch, how it simulates."""

    name: str
    #: the model in a few words ("a trend"), for the records' reasons
    description: str = ""
    #: count series (Poisson / binomial families) are fitted by the family's GLM
    uses_glm: bool = False
    #: False: not a candidate for count series (it has no form on the counts' scale); it is
    #: then neither back-tested nor chosen for them (``force_model`` still applies it)
    for_counts: bool = True

    @abstractmethod
    def fit(self, batch: Any, rows: Any, settings: Any, keep_fitted: bool = False) -> Fitted:
        """Fit the model on ``rows`` of ``batch`` (``keep_fitted``: keep in-sample values)."""

    @abstractmethod
    def simulate(self, rec: dict[str, Any], n_sims: int, rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
        """Simulated paths (n_sims × len(x), consecutive years ``x``) in the indicator's unit from a
        record (:meth:`Fitted.to_record`): the parameters drawn once per path, then the noise."""
