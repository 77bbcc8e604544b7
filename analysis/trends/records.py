"""A series' saved model record and the seeded simulated paths drawn from it (:func:`simulate_paths`)."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import config
from analysis.trends.base import FAMILY_NAMES, X0, ProjectionSettings
from analysis.trends.batch import Batch, _last_col
from analysis.trends.candidate import Fitted
from analysis.trends.candidates import MODELS
from analysis.trends.simulation import series_seed

log = logging.getLogger(__name__)


def _json_float(v: Any) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def _params_record(name: str, fitted: Fitted, i: int, pos: int, batch: Batch, widen: float,
                   settings: ProjectionSettings) -> dict[str, Any]:
    """Everything :func:`paths_from_params` needs to simulate the chosen model of one series."""
    last = int(_last_col(batch.mask[i:i + 1])[0])
    rec: dict[str, Any] = {
        "candidate": name, "family": str(FAMILY_NAMES[batch.family[i]]), "scale": int(batch.scale[i]),
        "lo": _json_float(batch.lo[i]), "hi": _json_float(batch.hi[i]), "per": _json_float(batch.per[i]),
        "widen": widen, "year_last": int(batch.years[last]), "horizon": settings.horizon,
        "valid_range": [_json_float(batch.vlo[i]), _json_float(batch.vhi[i])],
    }
    return rec | fitted.to_record(pos, settings)


def paths_from_params(rec: dict[str, Any], n_sims: int, rng: np.random.Generator,
                      years: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Simulated paths (n_sims × years) of one series from its model record's ``params``.

    Every path draws the model's parameters once (the t scale mixture for the residual
    variance; the GLM coefficients from their covariance) and then the year-to-year noise: the
    trend's independent errors, the damped trend's state-space innovations, the random walk's
    steps, or the counts' sampling noise at the projected exposure. Each year's marginal
    distribution is the one the projections table summarises. ``years`` default to every year
    after the last observed one up to the horizon.
    """
    if years is None:
        years = np.arange(rec["year_last"] + 1, rec["horizon"] + 1)
    years = np.asarray(years, dtype=int)
    steps = np.arange(rec["year_last"] + 1, int(years.max(initial=rec["year_last"])) + 1)
    pick = np.searchsorted(steps, years)
    x = steps - X0
    values = MODELS[rec["candidate"]].simulate(rec, n_sims, rng, x)
    return years, _clip_record(rec, values[:, pick])


def _clip_record(rec: dict[str, Any], values: np.ndarray) -> np.ndarray:
    lo, hi = rec.get("valid_range", [None, None])
    return np.clip(values, -np.inf if lo is None else lo, np.inf if hi is None else hi)


@dataclass(frozen=True)
class Paths:
    """Simulated future values of one series: ``values[i, j]`` is path i in ``years[j]``, in the
    indicator's unit."""

    key: tuple[str, str, str]
    years: np.ndarray
    values: np.ndarray
    model: str
    seed: int


def _model_row(models: pd.DataFrame, indicator_id: str, area: str, sex: str) -> pd.Series:
    hit = models[(models["indicator_id"] == indicator_id) & (models["area"] == area) & (models["sex"] == sex)]
    if hit.empty:
        raise KeyError(f"no series {indicator_id}/{area}/{sex} in the projection models")
    row = hit.iloc[0]
    if not row["projectable"]:
        raise ValueError(f"series {indicator_id}/{area}/{sex} was not projected: {row['reason']}")
    return row


def simulate_paths(indicator_id: str, area: str = "district", sex: str = "total", *,
                   processed_dir: str | Path = config.PROCESSED_DIR, models: pd.DataFrame | None = None,
                   n_sims: int | None = None, seed: int | None = None) -> Paths:
    """Seeded simulated paths of one series from its last observed year + 1 to the horizon.

    Reads ``projection_models.parquet`` in ``processed_dir`` (or uses ``models``, the table
    :func:`project` returned). ``n_sims`` defaults to the engine's (1000); ``seed`` to the one
    the projections were made with (recorded per series). The same key, seed and ``n_sims``
    always give the same array; for a count series with its GLM trend, the default call
    reproduces exactly the draws behind the projections table's intervals.

    Raises KeyError for an unknown series and ValueError (with the reason) for one that was not
    projected.
    """
    if models is None:
        models = pd.read_parquet(config.resolve(processed_dir) / "projection_models.parquet")
    row = _model_row(models, indicator_id, area, sex)
    rec = json.loads(row["params"])
    seed = int(row["seed"]) if seed is None else int(seed)
    n_sims = config.plan().n_sims_projection if n_sims is None else int(n_sims)
    key = (indicator_id, area, sex)
    years, values = paths_from_params(rec, n_sims, np.random.default_rng(series_seed(seed, key)))
    return Paths(key=key, years=years, values=values, model=row["model"], seed=seed)
