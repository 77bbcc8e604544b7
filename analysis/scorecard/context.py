"""What a row is judged from: one series of observations (:class:`Series`) and the context of the
whole assessment (:class:`Context`: observations, models, mode, year, settings).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.catalog import Catalog
from analysis.scorecard.pace import round_to_step
from analysis.scorecard.settings import AssessmentSettings
from analysis.trends.base import reporting_step
from analysis.trends.records import Paths, simulate_paths
from analysis.trends.scale import Scale

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    """One observed series (indicator × area × sex) up to the evaluation year, in year order."""

    years: np.ndarray
    values: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    flags: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.years)

    @property
    def latest_year(self) -> int:
        return int(self.years[-1])

    @property
    def latest_value(self) -> float:
        return float(self.values[-1])

    @property
    def step(self) -> float:
        """The reporting step of the series (the finest of its values: 0.01 for 97.85)."""
        return float(reporting_step(self.values).min()) if len(self.values) else 1e-4

    @property
    def has_counts(self) -> bool:
        return bool(np.all(np.isfinite(self.numerator) & np.isfinite(self.denominator) & (self.denominator > 0)))

    def value_in(self, year: int) -> float:
        """The value observed in ``year`` (NaN when none)."""
        hit = np.flatnonzero(self.years == year)
        return float(self.values[hit[0]]) if len(hit) else math.nan

    def baseline(self, year: int, shift: int) -> tuple[float, int | None]:
        """The value in the base ``year``, else in the nearest year within ``shift`` (earlier first)."""
        for d in [0] + [s for k in range(1, shift + 1) for s in (-k, k)]:
            v = self.value_in(year + d)
            if np.isfinite(v):
                return v, year + d
        return math.nan, None


@dataclass
class Context:
    """Everything a row needs: the observations up to the evaluation year, the projection
    models, the catalog, the settings, the mode and year, and a cache of simulated paths."""

    observations: pd.DataFrame
    models: pd.DataFrame
    catalog: Catalog
    settings: AssessmentSettings
    mode: str
    year: int
    area: str = "district"
    #: per series, the years a keep-every-year target is checked in (default: every year of the
    #: paths); the calibration benchmark passes the years with a published value
    check_years: dict = field(default_factory=dict)
    _series: dict = field(default_factory=dict, repr=False)
    _paths: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        obs = self.observations.sort_values("year")
        for key, g in obs.groupby(["indicator_id", "area", "sex"], sort=False):
            self._series[key] = Series(
                years=g["year"].to_numpy(int), values=g["value"].to_numpy(float),
                numerator=g["numerator"].to_numpy(float), denominator=g["denominator"].to_numpy(float),
                flags=tuple(g["flags"].fillna("").astype(str)))
        self._models = {tuple(k): row for k, row in zip(
            self.models[["indicator_id", "area", "sex"]].itertuples(index=False, name=None),
            self.models.to_dict("records"), strict=True)}

    def series(self, indicator_id: str, area: str, sex: str) -> Series | None:
        """The observed series, or None when nothing was reported."""
        return self._series.get((indicator_id, area, sex))

    def areas_of(self, indicator_id: str) -> set[str]:
        """Every area with a value of the indicator."""
        return {a for (i, a, _s) in self._series if i == indicator_id}

    def model(self, indicator_id: str, area: str, sex: str) -> dict | None:
        """The projection record of a series, or None."""
        return self._models.get((indicator_id, area, sex))

    def paths(self, indicator_id: str, area: str, sex: str) -> tuple[Paths | None, str]:
        """The series' simulated paths (cached), or None and the reason it has none."""
        key = (indicator_id, area, sex)
        if key not in self._paths:
            rec = self.model(*key)
            if rec is None:
                self._paths[key] = (None, "no projection for this series (run the projection stage)")
            elif not rec["projectable"]:
                self._paths[key] = (None, f"not projected: {rec['reason']}")
            else:
                p = simulate_paths(*key, models=self.models, n_sims=self.settings.n_sims,
                                         seed=self.settings.seed)
                s = self.series(*key)
                if s is not None:  # judged on the figure that will be published: rounded as the series is
                    p = dataclasses.replace(p, values=round_to_step(p.values, s.step))
                self._paths[key] = (p, "")
        return self._paths[key]

    def use_paths(self, indicator_id: str, area: str, sex: str, years, values, model: str = "given") -> None:
        """Use these simulated paths (n_sims × years, in the unit) for a series instead of the
        engine's: for tests, and for a caller who simulated them elsewhere."""
        key = (indicator_id, area, sex)
        self._paths[key] = (Paths(key, np.asarray(years, dtype=int), np.atleast_2d(np.asarray(values, float)),
                                        model, 0), "")

    def scale(self, entry: pd.Series, area: str, sex: str) -> Scale:
        """The model scale of a series: the engine's, from its record; else from the unit."""
        rec = self.model(entry["id"], area, sex)
        if rec is not None and rec["projectable"]:
            return Scale.of_record(rec["params"])
        return Scale.of_unit(entry)


def series_z(s: Series, scale: Scale) -> np.ndarray:
    """A series on its model scale: from its counts (half an event added) when the engine
    modelled the counts, else from the values."""
    if scale.family in ("poisson", "binomial") and s.has_counts:
        return scale.counts_to_z(s.numerator, s.denominator)
    return scale.to_z(s.values)


def window(s: Series, year: int, years: int) -> Series:
    """The part of a series in the ``years`` years up to ``year``: the observed-pace window."""
    keep = (s.years > year - years) & (s.years <= year)
    return Series(s.years[keep], s.values[keep], s.numerator[keep], s.denominator[keep],
                  tuple(f for f, k in zip(s.flags, keep, strict=True) if k))
