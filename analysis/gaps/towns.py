"""Towns and sub-districts: the district's units by year (``params/areas.yaml``), membership, and each
town's values of an indicator.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from analysis.catalog import Catalog, plan_order
from analysis.returns import parse

log = logging.getLogger(__name__)


def town_units(spec: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The district's township-level units in ``params/areas.yaml`` order, current ones first,
    then former ones: ``town, type (街道/镇), urban_rural, first_year, last_year, former``."""
    spec = parse.areas() if spec is None else spec
    rows = []
    for former, block in ((False, spec.get("towns") or {}), (True, spec.get("former_towns") or {})):
        for name, town in block.items():
            rows.append({"town": name, "type": town.get("type", ""),
                         "urban_rural": parse.urban_rural_of(town.get("type", ""), spec),
                         "first_year": town.get("first_year"), "last_year": town.get("last_year"), "former": former})
    return pd.DataFrame(rows, columns=["town", "type", "urban_rural", "first_year", "last_year", "former"])


def membership(town: str, year: int, units: pd.DataFrame) -> str:
    """'member' when the town belonged to the district in ``year``, 'left' after its last year,
    'not_yet' before its first year; 'unknown' for a name that is not a town of the district."""
    hit = units[units["town"] == town]
    if hit.empty:
        return "unknown"
    first, last = hit.iloc[0]["first_year"], hit.iloc[0]["last_year"]
    if last is not None and pd.notna(last) and year > int(last):
        return "left"
    if first is not None and pd.notna(first) and year < int(first):
        return "not_yet"
    return "member"


def town_labels(units: pd.DataFrame) -> dict[str, str]:
    """Each town's name as tables and charts show it: a town that left (or joined) the district
    during the period says so ("佃庄镇（2022年起划出）")."""
    out = {}
    for r in units.itertuples():
        note = []
        if r.last_year is not None and pd.notna(r.last_year):
            note.append(f"{int(r.last_year) + 1}年起划出")
        if r.first_year is not None and pd.notna(r.first_year):
            note.append(f"{int(r.first_year)}年起划入")
        out[r.town] = r.town + (f"（{'，'.join(note)}）" if note else "")
    return out


def town_values(observations: pd.DataFrame, indicator_id: str, units: pd.DataFrame) -> pd.DataFrame:
    """Every town × every year of the indicator (totals), with its value and counts where
    reported and whether the town belonged to the district that year (a town that had left is
    'left', not a missing value)."""
    obs = observations[(observations["indicator_id"] == indicator_id) & (observations["sex"] == "total")]
    in_district = obs[obs["area"].isin(list(units["town"])) | (obs["area"] == "district")]
    if in_district.empty:
        return pd.DataFrame(columns=["town", "year", "value", "numerator", "denominator", "membership"])
    years = range(int(in_district["year"].min()), int(in_district["year"].max()) + 1)
    grid = pd.DataFrame([(t, y) for t in units["town"] for y in years], columns=["town", "year"])
    vals = obs.rename(columns={"area": "town"})[["town", "year", "value", "numerator", "denominator"]]
    out = grid.merge(vals, on=["town", "year"], how="left")
    out["membership"] = [membership(t, y, units) for t, y in zip(out["town"], out["year"], strict=True)]
    return out


def published_decimals(cat: Catalog, indicator_id: str) -> int:
    """Decimals a published value of the indicator shows (1 for %, 2 for ‰, 0 for persons)."""
    unit = cat.indicators.loc[indicator_id, "unit"] if indicator_id in cat.indicators.index else ""
    return {"%": 1, "‰": 2, "/10万": 1, "人": 0, "名": 0}.get(unit, 2)


def town_indicators(observations: pd.DataFrame, units: pd.DataFrame, ids: Iterable[str] | None = None) -> list[str]:
    """The indicators with values for at least one town, in plan order."""
    obs = observations[observations["area"].isin(list(units["town"]))]
    found = set(obs["indicator_id"])
    if ids is not None:
        found &= set(ids)
    return sorted(found, key=plan_order)


def _per(unit: str | None) -> float | None:
    """How many units make the whole (100 for %, 1000 for ‰); None for levels and counts."""
    spec = parse.units().get(unit or "", {})
    return float(spec["per"]) if "per" in spec else None
