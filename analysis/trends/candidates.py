"""The registry of candidate models (:data:`MODELS`) and the rows of a batch they are fitted on."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from analysis.trends.base import BINOMIAL, CANDIDATES, POISSON
from analysis.trends.batch import Batch, _last_col
from analysis.trends.candidate import Candidate
from analysis.trends.damped import DampedCandidate
from analysis.trends.naive import NaiveCandidate
from analysis.trends.trend import TrendCandidate

log = logging.getLogger(__name__)


@dataclass
class Rows:
    """A view of the batch for some rows (series, or series cut at a back-test origin)."""

    series: np.ndarray
    mask: np.ndarray
    z: np.ndarray
    y: np.ndarray
    e: np.ndarray
    family: np.ndarray
    floor: np.ndarray
    last_col: np.ndarray

    @classmethod
    def of(cls, batch: Batch, series: np.ndarray, mask: np.ndarray) -> Rows:
        return cls(series=series, mask=mask, z=batch.z[series], y=batch.y[series], e=batch.e[series],
                   family=batch.family[series], floor=batch.floor[series], last_col=_last_col(mask))

    @property
    def counts(self) -> np.ndarray:
        return np.isin(self.family, [POISSON, BINOMIAL])


#: the candidates, by the name the records carry: adding a model is one file and one entry here
MODELS: dict[str, Candidate] = {m.name: m for m in (
    TrendCandidate("trend", weighted=False), TrendCandidate("weighted_trend", weighted=True),
    DampedCandidate(), NaiveCandidate())}
#: the candidates whose count series are the family's GLM
GLM_CANDIDATES = tuple(name for name, m in MODELS.items() if m.uses_glm)
if tuple(MODELS) != CANDIDATES:
    raise RuntimeError("the registry and base.CANDIDATES must list the same models in the same order")
