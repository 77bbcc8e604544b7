"""Drawing the synthetic sample: every block of draws, redrawn until its check holds, reviewed against
the catalog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import clean
from analysis.catalog import Catalog, load_catalog

# the two modules of indicator blocks register themselves in BLOCKS when imported, in this order
from analysis.synthetic import health, society  # noqa: F401
from analysis.synthetic.world import BLOCKS, MAX_ATTEMPTS, PER, SEED, Rec, World, _rng, build_world

log = logging.getLogger(__name__)


@dataclass
class Sample:
    """The drawn sample: the district and every figure, before any file is written."""

    seed: int
    world: World
    records: list[Rec]
    attempts: dict[str, int]


def review(records: list[Rec], cat: Catalog) -> str | None:
    """What the cleaning step would flag or refuse among the figures that end as observations
    (a jump, a sex-sum mismatch, a total outside the sexes, a value off its counts or outside
    its range), in words; None when nothing."""
    kept = [r for r in records if r.status == "ok"]
    if not kept:
        return None
    obs = pd.DataFrame({
        "indicator_id": [r.indicator for r in kept], "year": [r.year for r in kept],
        "area": [r.area for r in kept], "sex": [r.sex for r in kept],
        "value": [float(r.value) for r in kept],
        "unit": [cat.indicators.at[r.indicator, "unit"] for r in kept],
        "numerator": [np.nan if r.numerator is None else float(r.numerator) for r in kept],
        "denominator": [np.nan if r.denominator is None else float(r.denominator) for r in kept],
        "flags": ["" for _ in kept],
    })
    for r in kept:
        unit = cat.indicators.at[r.indicator, "unit"]
        if unit in PER and not 0 <= r.value <= PER[unit]:
            return f"{r.indicator} {r.area} {r.sex} {r.year}: {r.value} is outside 0–{PER[unit]}"
        if r.numerator is not None and r.denominator is not None and r.numerator > r.denominator:
            return f"{r.indicator} {r.area} {r.sex} {r.year}: numerator above denominator"
    clean.flag_sex_consistency(obs)
    clean.flag_jumps(obs)
    flagged = obs[obs["flags"] != ""]
    if flagged.empty:
        return None
    return "; ".join(f"{o.indicator_id} {o.area} {o.sex} {o.year}: {o.flags}" for o in flagged.itertuples())


def draw(seed: int = SEED, cat: Catalog | None = None) -> Sample:
    """Draw the whole sample: the district's births, then each indicator in turn, each redrawn
    (from the next seed of its own) until the cleaning step would keep it unflagged and the
    scenario's conditions hold."""
    cat = cat or load_catalog()
    world = build_world(seed)
    records: list[Rec] = []
    attempts: dict[str, int] = {}
    for name, block, check in BLOCKS:
        for attempt in range(MAX_ATTEMPTS):
            recs, extras = block(_rng(seed, name, attempt), world)
            problem = review(recs, cat) or (check(recs, world) if check else None)
            if problem is None:
                break
            log.debug("%s, draw %d redrawn: %s", name, attempt, problem)
        else:
            raise RuntimeError(f"{name}: no draw in {MAX_ATTEMPTS} passes the cleaning step's checks ({problem})")
        world.extras[name] = extras
        attempts[name] = attempt + 1
        records += recs
    missing = {r.indicator for r in records} - set(cat.indicators.index)
    if missing:
        raise ValueError(f"the sample writes indicators the catalog does not have: {sorted(missing)}")
    log.info("drew %d figures for %d indicators (%d redraws)", len(records), len({r.indicator for r in records}),
             sum(attempts.values()) - len(attempts))
    return Sample(seed, world, records, attempts)
