"""Female shares (the share of women among cadres, delegates …) against their parity band or target band."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis import kinds
from analysis.catalog import Catalog, target_text
from analysis.gaps.measures import horizon_columns, is_small, narrowing_probability, window_level
from analysis.gaps.settings import GapSettings, Inputs
from analysis.trends.records import simulate_paths

log = logging.getLogger(__name__)


def parity_share_band(settings: GapSettings) -> tuple[float, float]:
    """The parity band for a share of women s (%): s/(100 − s) inside ``parity_band``, i.e.
    100·lo/(1 + lo) ≤ s ≤ 100·hi/(1 + hi) (49.24–50.74 % for 0.97–1.03)."""
    lo, hi = settings.parity_band
    whole = 2 * settings.share_parity
    return whole * lo / (1 + lo), whole * hi / (1 + hi)


def share_band(entry: Mapping[str, Any], settings: GapSettings, relative_value: float | None = None
               ) -> tuple[float, float, str]:
    """The band a share of women is measured against, and what it is.

    A "左右" target (kind ``about``) is value ± tolerance, judged from both sides (47 % is as far
    outside "45 % ± 2" as 43 %); a level to reach (``above``/``keep_above``) is [value, 100];
    a ceiling (``below``/``at_most``/``keep_below``) is [0, value]; a ``relative`` target
    (不低于 another share) is [``relative_value``, 100] or [0, ``relative_value``]; without a
    numeric target, the parity band (:func:`parity_share_band`). Returns (low, high, 'target' or
    'parity').
    """
    spec, value = kinds.REGISTRY.get(entry.get("kind")), entry.get("value")
    relative = spec is not None and "relative_to" in spec.fields  # set against another share
    if relative and relative_value is not None and np.isfinite(relative_value):
        if entry.get("comparison") == "at_most":
            return 0.0, float(relative_value), "target"
        return float(relative_value), 100.0, "target"
    if spec is not None and spec.side is not None and value is not None and np.isfinite(value):
        if spec.side == 0:
            return float(value) - float(entry["tolerance"]), float(value) + float(entry["tolerance"]), "target"
        return (float(value), 100.0, "target") if spec.side > 0 else (0.0, float(value), "target")
    lo, hi = parity_share_band(settings)
    return lo, hi, "parity"


def band_distance(values: Any, low: float, high: float) -> np.ndarray:
    """Signed distance from a band: negative below it (the shortfall), positive above it, 0 inside."""
    v = np.asarray(values, dtype=float)
    return np.where(v < low, v - low, np.where(v > high, v - high, 0.0))


def band_position(values: Any, low: float, high: float) -> np.ndarray:
    """'below', 'within' or 'above' the band ('unknown' for a missing value)."""
    v = np.asarray(values, dtype=float)
    out = np.where(v < low, "below", np.where(v > high, "above", "within"))
    return np.where(np.isnan(v), "unknown", out).astype(object)


def female_shares(inputs: Inputs, cat: Catalog, settings: GapSettings, ids: Iterable[str] | None = None,
                  area: str = "district") -> pd.DataFrame:
    """Indicators that are a share of women: their distance from the target band or from parity.

    One row per ``female_share`` indicator observed in ``area``: the latest value and year, the
    baseline and latest window levels, the band, the signed distance from it and from parity
    (50 %), the national value for comparison, and the 2030 projection with P(inside the band
    in 2030) and P(closer to parity than now) from the share's simulated paths.
    """
    obs = inputs.observations
    shares = cat.indicators[cat.indicators["female_share"].fillna(False).astype(bool)]
    if ids is not None:
        shares = shares[shares["id"].isin(list(ids))]
    rows = []
    for ind, entry in shares.iterrows():
        own = obs[(obs["indicator_id"] == ind) & (obs["area"] == area) & (obs["sex"] == "total")].sort_values("year")
        if own.empty:
            continue
        latest = own.iloc[-1]
        ly = int(latest["year"])
        lo, hi, basis = share_band(entry, settings, _relative_value(obs, entry, area, ly))
        w_now = own[own["year"] > ly - settings.window_years]
        w_base = own[(own["year"] <= settings.baseline_year)
                     & (own["year"] > settings.baseline_year - settings.window_years)]
        now = window_level(w_now["value"], w_now["denominator"])
        base = window_level(w_base["value"], w_base["denominator"]) if len(w_base) else np.nan
        nat = obs[(obs["indicator_id"] == ind) & (obs["area"] == "national") & (obs["sex"] == "total")]
        nat = nat.sort_values("year").iloc[-1] if len(nat) else None
        record: dict[str, Any] = {
            "indicator_id": ind, "name_zh": entry["name_zh"], "kind": entry["kind"], "target": target_text(entry),
            "area": area, "band_low": lo, "band_high": hi, "basis": basis, "latest_year": ly,
            "latest": float(latest["value"]), "latest_events": latest["numerator"],
            "small": bool(is_small(latest["numerator"], settings.min_events)),
            "baseline_level": base, "latest_level": now,
            "distance": float(band_distance(latest["value"], lo, hi)),
            "position": str(band_position(latest["value"], lo, hi)),
            "parity_distance": float(latest["value"]) - settings.share_parity,
            "national_year": int(nat["year"]) if nat is not None else None,
            "national": float(nat["value"]) if nat is not None else np.nan,
            "projection_2030": np.nan, "lo80": np.nan, "hi80": np.nan, "p_in_band": np.nan,
            "p_closer_to_parity": np.nan, "model": "", "note": "",
        }
        try:
            paths = simulate_paths(ind, area, "total", models=inputs.models, n_sims=settings.n_sims,
                                         seed=settings.seed)
            h, window = horizon_columns(paths.years, settings)
            v = paths.values
            q = np.quantile(v[:, h], (0.1, 0.5, 0.9))
            record |= {"projection_2030": float(q[1]), "lo80": float(q[0]), "hi80": float(q[2]),
                       "p_in_band": float(np.mean((v[:, h] >= lo) & (v[:, h] <= hi))),
                       "p_closer_to_parity": narrowing_probability(v[:, window].mean(axis=1) - settings.share_parity,
                                                                   now - settings.share_parity),
                       "model": paths.model}
        except (KeyError, ValueError) as exc:
            record["note"] = f"无法预测：{exc}"
        rows.append(record)
    return pd.DataFrame(rows)


def _relative_value(obs: pd.DataFrame, entry: Mapping[str, Any], area: str, year: int) -> float | None:
    """The value, in ``year`` (else the latest before it), of the indicator a relative target names."""
    other = entry.get("relative_to")
    if not other:
        return None
    o = obs[(obs["indicator_id"] == other) & (obs["area"] == area) & (obs["sex"] == "total") & (obs["year"] <= year)]
    return float(o.sort_values("year").iloc[-1]["value"]) if len(o) else None
