"""The model scale of a series as the engine chose it (identity, log, or logit of the valid range),
as one object the assessment asks: values to the scale and back, counts to the scale.

:meth:`Scale.of_record` reads it from a series' saved record (the engine reads its own record);
:meth:`Scale.of_unit` is the engine's rule for an indicator without a record: the family its
unit's kind gives when there are no complete counts (:func:`family_of`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.returns import parse
from analysis.trends.base import (
    BINOMIAL,
    FAMILY_NAMES,
    LINEAR,
    LOG,
    LOGIT,
    POISSON,
    SCALE_NAMES,
    SCALE_OF_FAMILY,
    from_model_scale,
    reporting_step,
    to_model_scale,
)

SCALE_CODES = {name: code for code, name in SCALE_NAMES.items()}


def inside_range(values: Any, lo: Any, hi: Any, step: Any) -> np.ndarray:
    """Values at (or beyond) a bound of the logit scale's range moved a quarter of their reporting
    ``step`` inside it: 100 % published to one decimal is taken as 99.975 %, the value it cannot be
    told from, so that its logit is finite. The one rule for series, comparators and targets."""
    quarter = 0.25 * np.asarray(step, dtype=float)
    return np.clip(np.asarray(values, dtype=float), lo + quarter, hi - quarter)


def family_of(unit_kind: Any, counts_complete: Any, all_positive: Any) -> np.ndarray:
    """The family of each series (-1 where its unit's kind is unknown), from the kind of its unit
    (``params/units.yaml``), whether every year has counts, and whether every value is positive:
    a rate with counts → Poisson, a proportion with counts → binomial, either without → logit;
    a level, count or duration, all positive → log; anything else with a known kind → linear."""
    kind = np.asarray(unit_kind, dtype=object)
    known = ~pd.isna(kind)
    complete, positive = np.asarray(counts_complete, bool), np.asarray(all_positive, bool)
    share = np.isin(kind, ["proportion", "rate"])
    return np.select(
        [share & complete & (kind == "rate"), share & complete, share,
         np.isin(kind, ["level", "count", "duration"]) & positive, known],
        [POISSON, BINOMIAL, LOGIT, LOG, LINEAR], default=-1)


@dataclass(frozen=True)
class Scale:
    """The model scale of a series (as the projection engine chose it) and its range."""

    name: str
    lo: float
    hi: float
    per: float
    family: str

    @property
    def code(self) -> int:
        return SCALE_CODES[self.name]

    def to_z(self, values) -> np.ndarray:
        """Values in the unit → the model scale, values at a bound of the range moved inside by a
        quarter of their reporting step (as the engine does before the logit)."""
        v = np.asarray(values, dtype=float)
        if self.name == "linear":
            return v
        step = reporting_step(v)
        lo = self.lo if np.isfinite(self.lo) else -np.inf
        hi = self.hi if np.isfinite(self.hi) else np.inf
        v = inside_range(v, lo, hi, step) if self.name == "logit" else np.maximum(v, 0.25 * step)
        return to_model_scale(v, self.code, self.lo, self.hi)

    def counts_to_z(self, numerator, denominator) -> np.ndarray:
        """Counts → the empirical rate on the model scale with half an event added (the engine's
        rule for the count families): log rate for a Poisson rate, logit for a binomial share."""
        y, n = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
        if self.name == "log":
            return np.log((y + 0.5) / n * self.per)
        return np.log((y + 0.5) / (n - y + 0.5))

    def to_unit(self, z) -> np.ndarray:
        """The model scale → the unit."""
        return from_model_scale(np.asarray(z, dtype=float), self.code, self.lo, self.hi)

    def unit_per_z(self, value: float) -> float:
        """d(value)/dz at ``value``: a model-scale distance in the unit, for words a reader knows."""
        if self.name == "log":
            return value
        if self.name == "logit":
            return (value - self.lo) * (self.hi - value) / (self.hi - self.lo)
        return 1.0



    @classmethod
    def of_record(cls, params: str | dict[str, Any]) -> Scale:
        """The scale a series' record (``params`` of projection_models.parquet) was projected on."""
        p = json.loads(params) if isinstance(params, str) else params

        def num(v: Any) -> float:
            return math.nan if v is None else float(v)

        return cls(SCALE_NAMES[int(p["scale"])], num(p["lo"]), num(p["hi"]), num(p["per"]), p["family"])

    @classmethod
    def of_unit(cls, entry: pd.Series) -> Scale:
        """The scale the engine would use for an indicator without counts, from its unit (the
        values taken as positive: a level is on the log scale)."""
        from analysis.clean import valid_range

        unit = entry.get("unit")
        spec = parse.units().get(unit, {}) if isinstance(unit, str) else {}
        lo, hi = valid_range(entry, unit) if spec else (-math.inf, math.inf)
        family = int(family_of([spec.get("kind")], [False], [True])[0])
        name = SCALE_NAMES[int(SCALE_OF_FAMILY[family])] if family >= 0 else "linear"
        return cls(name, lo, hi, float(spec.get("per", math.nan)), str(FAMILY_NAMES[family]) if family >= 0
                   else "linear")
