"""The engine's constants, settings (``params/projection.yaml``) and scales (identity, log, logit of the
valid range).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from analysis import config

log = logging.getLogger(__name__)


KEY = ["indicator_id", "area", "sex"]


#: the quantile levels every predictive distribution is summarised by
QUANTILES = np.array([0.025, 0.1, 0.5, 0.9, 0.975])


CANDIDATES = ("trend", "weighted_trend", "damped", "naive")


LINEAR, LOG, LOGIT, POISSON, BINOMIAL = range(5)


FAMILY_NAMES = np.array(["linear", "log", "logit", "poisson", "binomial"])


#: the model scale of each family: 0 identity, 1 log, 2 logit of the valid range
SCALE_OF_FAMILY = np.array([0, 1, 2, 1, 2])


SCALE_NAMES = {0: "linear", 1: "log", 2: "logit"}




COMPARATOR_AREA = "national"


PROJECTION_COLUMNS = ["indicator_id", "area", "sex", "year", "mean", "lo80", "hi80", "lo95", "hi95", "model",
                      "is_projection"]


MODEL_COLUMNS = ["indicator_id", "area", "sex", "n_points", "first_year", "last_year", "projectable", "reason",
                 "family", "scale", "candidates", "chosen", "model", "why", "comparator", "shrinkage_weight",
                 "own_slope", "comparator_slope", "slope", "warnings", "params", "seed"]


PROJECTION_DTYPES = {"indicator_id": "str", "area": "str", "sex": "str", "year": "int64", "mean": float,
                     "lo80": float, "hi80": float, "lo95": float, "hi95": float, "model": "str",
                     "is_projection": bool}


X0 = 2000.0
#: a numerical guard, not a modelling choice: the linear predictor of a count GLM is kept within
#: ±LINK_CLIP while iterating and simulating (exp(50) ≈ 5·10²¹: no rate or odds of the plans
#: comes near it), so that a diverging IRLS step or a wild draw cannot overflow
LINK_CLIP = 50.0  # time origin of the design (years are used as year - X0)


def has_flag(flags, flag: str) -> np.ndarray:
    """Which observations carry ``flag`` in their ``flags`` (``;``-separated, a flag optionally
    followed by ``:detail``), as a boolean array."""
    text = pd.Series(flags).fillna("").astype(str)
    return text.str.contains(rf"(?:^|;){flag}(?:$|;|:)", regex=True).to_numpy()


FLAG_WARNINGS = {
    "lower_bound": "value(s) published as a lower bound (以上) kept as the value: the level may be understated",
    "approximate": "approximate value(s) (近, 多) kept as published",
    "jump": "value(s) flagged 'jump' by the cleaning step kept",
}


@dataclass(frozen=True)
class ProjectionSettings:
    """The engine's parameters: ``params/projection.yaml``, the horizon, seed and simulation
    counts from ``params/plan.yaml`` (see docs/projections.md); no defaults in code.

    ``force_model`` projects every series with one candidate (``"naive"`` for the baseline of
    the national back-test) instead of choosing; ``use_comparator`` turns shrinkage off.
    """

    horizon: int = field(metadata={"plan": "final_year"})
    min_backtest_points: int
    min_fit_points: int
    backtest_first_origin: int
    bias_threshold: float
    horizon_power: float
    half_life: float
    default_widen: float
    default_model: str
    shrink_tau: float
    slope_prior_sd: float
    sparse_events: int
    damped_alpha: tuple[float, ...]
    damped_beta: tuple[float, ...]
    damped_phi: tuple[float, ...]
    n_sims: int = field(metadata={"plan": "n_sims_projection"})
    n_sims_backtest: int = field(metadata={"plan": "n_sims_backtest"})
    seed: int = field(metadata={"plan": "seed"})
    exposure: str
    use_comparator: bool
    calibrate: bool
    calibration_min_forecasts: int
    calibration_max: float
    own_calibration_prior: float
    #: a switch of the benchmarks, not a setting: project every series with this one candidate
    force_model: str | None = None

    def __post_init__(self) -> None:
        if self.exposure not in ("conservative", "last", "trend"):
            raise ValueError(f"exposure must be 'conservative', 'last' or 'trend', not {self.exposure!r}")
        if self.default_model not in CANDIDATES:
            raise ValueError(f"default_model must be one of {CANDIDATES}, not {self.default_model!r}")
        if self.force_model is not None and self.force_model not in CANDIDATES:
            raise ValueError(f"force_model must be one of {CANDIDATES}, not {self.force_model!r}")
        if self.min_fit_points < 2 or self.min_backtest_points <= self.min_fit_points:
            raise ValueError("need 2 <= min_fit_points < min_backtest_points")

    @classmethod
    def from_params(cls, path: str | Path = config.PARAMS_DIR / "projection.yaml",
                    **overrides: Any) -> ProjectionSettings:
        """The settings in ``params/projection.yaml`` (reviewed data), with ``overrides`` on top.

        Raises :class:`analysis.config.ParamsError` naming the file and the unknown key.
        """
        return config.settings_from_yaml(cls, path, **overrides)

    @property
    def decay(self) -> float:
        """The yearly recency-weight factor: weights halve every ``half_life`` years."""
        return 0.5 ** (1.0 / self.half_life)


def to_model_scale(v, scale, lo, hi):
    """Values in the indicator's unit → the model scale (identity, log, or logit of [lo, hi])."""
    v = np.asarray(v, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logit = np.log((v - lo) / (hi - v))
        return np.where(scale == 1, np.log(v), np.where(scale == 2, logit, v))


def from_model_scale(z, scale, lo, hi):
    """The model scale → the indicator's unit (the inverse of :func:`to_model_scale`)."""
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        inv_logit = lo + (hi - lo) * special.expit(z)
        return np.where(scale == 1, np.exp(z), np.where(scale == 2, inv_logit, z))


def _scale_derivative(v, scale, lo, hi):
    """dz/dv at ``v``: how a small error in the unit maps onto the model scale."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale == 1, 1.0 / v, np.where(scale == 2, (hi - lo) / ((v - lo) * (hi - v)), 1.0))


def reporting_step(values: np.ndarray) -> np.ndarray:
    """The reporting step of each value: 1 for 93, 0.1 for 93.5, 0.01 for 3.41 (down to 1e-4)."""
    values = np.asarray(values, dtype=float)
    res = np.full(values.shape, 1e-4)
    for d in range(4, -1, -1):
        scaled = values * 10.0**d
        exact = np.abs(scaled - np.round(scaled)) < 1e-6 * np.maximum(1.0, np.abs(scaled))
        res = np.where(exact, 10.0**-d, res)
    return res
