"""Every series laid on one yearly grid (:class:`Batch`): values, counts, mask, family, comparators."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.returns import parse
from analysis.schemas import OBSERVATION_YEARS
from analysis.trends.base import (
    BINOMIAL,
    COMPARATOR_AREA,
    FLAG_WARNINGS,
    KEY,
    LINEAR,
    LOGIT,
    POISSON,
    SCALE_OF_FAMILY,
    X0,
    ProjectionSettings,
    _scale_derivative,
    has_flag,
    reporting_step,
    to_model_scale,
)
from analysis.trends.scale import family_of, inside_range

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """Every series laid on one yearly grid: arrays (series × years) with a mask where observed.

    ``z`` is the value on the model scale (for the count families the empirical log / logit rate
    with 0.5 added to the counts); ``y`` and ``e`` the counts (numerator, denominator).
    """

    keys: pd.DataFrame
    years: np.ndarray
    value: np.ndarray
    z: np.ndarray
    mask: np.ndarray
    y: np.ndarray
    e: np.ndarray
    family: np.ndarray
    scale: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    per: np.ndarray
    floor: np.ndarray
    #: the finest reporting step of each series' values (1 for 93, 0.1 for 93.5)
    resolution: np.ndarray
    projectable: np.ndarray
    reason: np.ndarray
    warnings: list[list[str]]
    comp: np.ndarray
    comp_label: np.ndarray
    comp_z: np.ndarray
    comp_mask: np.ndarray
    tau: np.ndarray
    vlo: np.ndarray | None = None
    vhi: np.ndarray | None = None
    bounded: np.ndarray | None = None  # series holding a value published as a bound or approximately

    @property
    def x(self) -> np.ndarray:
        """The grid's years as the design's time variable (year - 2000)."""
        return self.years - X0

    @property
    def n(self) -> np.ndarray:
        """Number of observed values of each series (cached)."""
        if getattr(self, "_n", None) is None:
            self._n = self.mask.sum(axis=1)
        return self._n

    def key(self, i: int) -> tuple[str, str, str]:
        """The (indicator_id, area, sex) of series ``i``."""
        if getattr(self, "_keys", None) is None:
            self._keys = [tuple(k) for k in self.keys[KEY].to_numpy(object)]
        return self._keys[i]


def _unit_table(indicators: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """Per indicator id: unit, unit kind, per, valid range (lo, hi) and whether it is in the catalog."""
    from analysis.clean import valid_range

    units = parse.units()
    rows = []
    for iid in ids:
        if iid not in indicators.index:
            rows.append({"id": iid, "in_catalog": False, "unit": None, "unit_kind": None, "per": np.nan,
                         "lo": np.nan, "hi": np.nan})
            continue
        entry = indicators.loc[iid]
        unit = entry.get("unit")
        unit = unit if isinstance(unit, str) and unit else None
        spec = units.get(unit, {}) if unit else {}
        lo, hi = valid_range(entry, unit) if unit in units else (np.nan, np.nan)
        rows.append({"id": iid, "in_catalog": True, "unit": unit, "unit_kind": spec.get("kind"),
                     "per": float(spec["per"]) if "per" in spec else np.nan, "lo": lo, "hi": hi})
    return pd.DataFrame(rows).set_index("id")


def _series_info(obs: pd.DataFrame, codes: np.ndarray, n_series: int, indicators: pd.DataFrame,
                 keys: pd.DataFrame) -> pd.DataFrame:
    """One row per series: counts complete?, all positive?, the unit's kind and range, flags."""
    den = obs["denominator"].to_numpy(float)
    num = obs["numerator"].to_numpy(float)
    has_counts = np.isfinite(num) & np.isfinite(den) & (den > 0)
    value = obs["value"].to_numpy(float)
    flags = obs["flags"].fillna("").astype(str)
    info = pd.DataFrame({
        "n": np.bincount(codes, minlength=n_series),
        "counts": np.bincount(codes, weights=has_counts, minlength=n_series),
        "positive": np.bincount(codes, weights=value > 0, minlength=n_series),
        "resolution": pd.Series(reporting_step(value)).groupby(codes).min().reindex(range(n_series)).to_numpy(),
    })
    for flag in FLAG_WARNINGS:
        hit = has_flag(flags, flag)
        info[f"flag_{flag}"] = np.bincount(codes, weights=hit, minlength=n_series).astype(int)
    units = _unit_table(indicators, pd.Index(keys["indicator_id"].unique()))
    joined = units.reindex(keys["indicator_id"]).reset_index(drop=True)
    return pd.concat([info, joined], axis=1)


def _family_and_reason(info: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The family of each series (FAMILY codes, -1 when it cannot be projected) and the reason."""
    known = ~pd.isna(info["unit_kind"]).to_numpy()
    family = family_of(info["unit_kind"].to_numpy(object), (info["counts"] == info["n"]).to_numpy(),
                       (info["positive"] == info["n"]).to_numpy())
    reason = np.full(len(info), "", dtype=object)
    in_catalog = info["in_catalog"].to_numpy(bool)
    no_unit = info["unit"].isna().to_numpy()
    reason[in_catalog & no_unit] = "qualitative indicator: no unit in the catalog, nothing to project"
    reason[in_catalog & ~no_unit & ~known] = "unit not in params/units.yaml: its kind and range are unknown"
    reason[~in_catalog] = "indicator not in the catalog: unit and range unknown"
    n = info["n"].to_numpy()
    bounds = (info["flag_lower_bound"].to_numpy() == n) & (n > 0) & (reason == "")
    reason[bounds] = [f"all {k} values are bounds (以上), not values: nothing to project" for k in n[bounds]]
    few = (n < 2) & (reason == "")
    reason[few] = [f"only {k} point{'s' if k != 1 else ''}: a trend needs at least 2" for k in n[few]]
    family = np.where(reason != "", -1, family)
    return family, reason


def _flag_warnings(info: pd.DataFrame) -> list[list[str]]:
    """Warnings each series carries from its values' flags (``derived`` values are not treated apart)."""
    out: list[list[str]] = [[] for _ in range(len(info))]
    for flag, text in FLAG_WARNINGS.items():
        for i in np.flatnonzero(info[f"flag_{flag}"].to_numpy() > 0):
            out[i].append(f"{info[f'flag_{flag}'].iat[i]} {text}")
    return out


def build_batch(obs: pd.DataFrame, indicators: pd.DataFrame, settings: ProjectionSettings) -> Batch:
    """Lay every series of ``obs`` on one yearly grid and decide its family (see module doc)."""
    obs = obs.sort_values([*KEY, "year"]).reset_index(drop=True)
    grouped = obs.groupby(KEY, sort=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().reset_index()[KEY]
    S = len(keys)
    # one grid for every batch, from the contract's first year: a series' row is then the same
    # array whatever else is projected with it, and so is every sum over it, to the last digit
    # (numpy's pairwise sums group the terms by position: leading empty years move them)
    first_year = min(OBSERVATION_YEARS[0], int(obs["year"].min()) if len(obs) else OBSERVATION_YEARS[0])
    years = np.arange(first_year, max(settings.horizon, OBSERVATION_YEARS[1],
                                      int(obs["year"].max()) if len(obs) else 0) + 1)
    col = obs["year"].to_numpy(int) - first_year
    T = len(years)
    value, y, e = (np.full((S, T), np.nan) for _ in range(3))
    value[codes, col] = obs["value"].to_numpy(float)
    y[codes, col] = obs["numerator"].to_numpy(float)
    e[codes, col] = obs["denominator"].to_numpy(float)
    mask = np.isfinite(value)

    info = _series_info(obs, codes, S, indicators, keys)
    family, reason = _family_and_reason(info)
    warnings = _flag_warnings(info)
    fam = np.where(family >= 0, family, LINEAR)
    scale = SCALE_OF_FAMILY[fam]
    per = info["per"].to_numpy(float)
    lo = np.where(fam == BINOMIAL, 0.0, info["lo"].to_numpy(float))
    hi = np.where(fam == BINOMIAL, per, info["hi"].to_numpy(float))
    lo, hi = np.where(scale == 2, lo, np.nan), np.where(scale == 2, hi, np.nan)
    res = info["resolution"].to_numpy(float)
    delta = np.where(scale == 2, res / 4.0, 0.0)

    clipped = np.where(scale[:, None] == 2, inside_range(value, lo[:, None], hi[:, None], res[:, None]), value)
    n_clipped = (mask & (np.abs(clipped - value) > 0)).sum(axis=1)
    for i in np.flatnonzero(n_clipped & (family == LOGIT)):
        warnings[i].append(f"{n_clipped[i]} value(s) at the bound of the range moved {delta[i]:g} inside it "
                           "for the logit scale")
    z = to_model_scale(clipped, scale[:, None], lo[:, None], hi[:, None])
    count_z = np.where(fam[:, None] == POISSON, np.log(per[:, None] * (y + 0.5) / e),
                       np.log((y + 0.5) / (e - y + 0.5)))
    z = np.where(np.isin(fam, [POISSON, BINOMIAL])[:, None], count_z, z)
    z = np.where(mask, z, np.nan)

    last = np.where(mask, clipped, np.nan)
    last_value = last[np.arange(S), _last_col(mask).clip(0)]
    floor = res / math.sqrt(12.0) * np.abs(_scale_derivative(last_value, scale, lo, hi))
    floor = np.where(np.isfinite(floor), floor, 0.0)

    batch = Batch(keys=keys, years=years, value=value, z=z, mask=mask, y=y, e=e, family=fam, scale=scale, lo=lo,
                  hi=hi, per=per, floor=floor, resolution=res, projectable=family >= 0, reason=reason,
                  warnings=warnings,
                  comp=np.full(S, -1), comp_label=np.full(S, "", dtype=object), comp_z=np.full((S, T), np.nan),
                  comp_mask=np.zeros((S, T), bool), tau=np.zeros(S), vlo=info["lo"].to_numpy(float),
                  vhi=info["hi"].to_numpy(float),
                  bounded=(info["flag_lower_bound"] + info["flag_approximate"]).to_numpy() > 0)
    if settings.use_comparator:
        _attach_comparators(batch, settings)
    return batch


def _attach_comparators(batch: Batch, settings: ProjectionSettings) -> None:
    """Find each local series' comparator (national, same sex, else national total; never one
    holding bound or approximate values) and put the comparator's values on the series' own
    model scale."""
    keys = batch.keys
    national = keys.index[keys["area"] == COMPARATOR_AREA]
    # a comparator holding values published as bounds ("99%以上", then "90%以上") has no trend to
    # lend: the bounds' movement is the reports' wording, not the indicator's
    usable = np.ones(len(keys), bool) if batch.bounded is None else ~batch.bounded
    nat = {(keys.at[i, "indicator_id"], keys.at[i, "sex"]): i for i in national
           if batch.mask[i].sum() >= 2 and usable[i]}
    local = ~keys["area"].isin(parse.comparator_areas()).to_numpy() & batch.projectable
    ids, sexes = keys["indicator_id"].to_numpy(object), keys["sex"].to_numpy(object)
    for i in np.flatnonzero(local):
        j = nat.get((ids[i], sexes[i]), nat.get((ids[i], "total")))
        if j is not None:
            batch.comp[i] = j
            batch.comp_label[i] = f"{COMPARATOR_AREA}/{sexes[j]}"
    has = batch.comp >= 0
    if not has.any():
        return
    idx = np.flatnonzero(has)
    sc, lo, hi = batch.scale[idx, None], batch.lo[idx, None], batch.hi[idx, None]
    v = batch.value[batch.comp[idx]]
    v = np.where(sc == 2, inside_range(v, lo, hi, batch.resolution[batch.comp[idx], None]), v)
    cz = to_model_scale(v, sc, lo, hi)
    cm = batch.mask[batch.comp[idx]] & np.isfinite(cz)
    batch.comp_z[idx] = np.where(cm, cz, np.nan)
    batch.comp_mask[idx] = cm
    level = np.nanmean(np.abs(np.where(cm, v, np.nan)), axis=1)
    batch.tau[idx] = np.where(batch.scale[idx] == 0, settings.shrink_tau * level, settings.shrink_tau)


def _last_col(mask: np.ndarray) -> np.ndarray:
    """The last observed column of each row (-1 when none)."""
    T = mask.shape[1]
    any_ = mask.any(axis=1)
    return np.where(any_, T - 1 - np.argmax(mask[:, ::-1], axis=1), -1)


def _first_col(mask: np.ndarray) -> np.ndarray:
    """The first observed column of each row (-1 when none)."""
    return np.where(mask.any(axis=1), np.argmax(mask, axis=1), -1)


def _prev_col(mask: np.ndarray) -> np.ndarray:
    """For every column, the last observed column strictly before it (-1 when none)."""
    T = mask.shape[1]
    upto = np.maximum.accumulate(np.where(mask, np.arange(T), -1), axis=1)
    return np.concatenate([np.full((mask.shape[0], 1), -1), upto[:, :-1]], axis=1)
