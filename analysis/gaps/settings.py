"""The gap analysis' settings (``params/gaps.yaml``), its inputs from the processed folder and the
selection of indicators a page covers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config
from analysis.catalog import Catalog, select
from analysis.trends.project import load_observations

log = logging.getLogger(__name__)


PARAMS_FILE = config.PARAMS_DIR / "gaps.yaml"


#: the groups compared, focus first: differences are focus − reference
GROUPS = {
    "sex": {"focus": "female", "reference": "male", "labels": ("女", "男"), "who": ("女性", "男性"),
            "index": "性别均等指数（GPI）"},
    "urban_rural": {"focus": "rural", "reference": "urban", "labels": ("农村", "城镇"), "who": ("农村", "城镇"),
                    "index": "城乡均等指数"},
}


#: urban–rural pairs of areas: the district's own and the national comparator's
UR_SCOPES = {"district": ("rural", "urban"), "national": ("national_rural", "national_urban")}


STATUSES = ("narrowing", "stable", "widening", "reversed", "parity", "insufficient_data")


#: a direction target "差距缩小" judged from the gap's status (the scorecard's codes)
TARGET_CODES = {"narrowing": "improving", "stable": "no_clear_change", "widening": "worsening",
                "reversed": "worsening", "parity": "no_clear_change", "insufficient_data": "insufficient_data"}


SUMMARY_QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)


@dataclass(frozen=True)
class GapSettings:
    """The thresholds of the gap analysis (``params/gaps.yaml``; see ``docs/gaps.md``); the base
    year, horizon and simulation count from ``params/plan.yaml``. No defaults in code."""

    parity_band: tuple[float, float]
    share_parity: float
    window_years: int
    narrowing_threshold: float
    widening_threshold: float
    min_events: int
    small_numbers_action: str
    funnel_coverage: tuple[float, ...]
    funnel_method: str
    funnel_winsorize: float
    baseline_year: int = field(metadata={"plan": "baseline_year"})
    horizon: int = field(metadata={"plan": "final_year"})
    n_sims: int = field(metadata={"plan": "n_sims_projection"})
    #: an override of the benchmarks, not a setting: None draws each series with the seed its
    #: projection recorded
    seed: int | None = None

    def __post_init__(self) -> None:
        lo, hi = self.parity_band
        if not 0 < lo < 1 < hi:
            raise ValueError(f"parity_band must straddle 1, not {self.parity_band}")
        if self.window_years < 1:
            raise ValueError("window_years must be at least 1")
        for name in ("narrowing_threshold", "widening_threshold"):
            if not 0.5 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0.5, 1]")
        if self.small_numbers_action not in ("suppress", "mark"):
            raise ValueError(f"small_numbers_action must be 'suppress' or 'mark', not {self.small_numbers_action!r}")
        if self.funnel_method not in ("exact", "normal"):
            raise ValueError(f"funnel_method must be 'exact' or 'normal', not {self.funnel_method!r}")
        if not all(0 < c < 1 for c in self.funnel_coverage):
            raise ValueError("funnel_coverage values must lie between 0 and 1")

    @classmethod
    def from_params(cls, path: str | Path = PARAMS_FILE, **overrides: Any) -> GapSettings:
        """The settings in ``params/gaps.yaml`` with ``overrides`` on top.

        Raises :class:`analysis.config.ParamsError` naming the file and any unknown key (a
        misspelt threshold must not silently keep its default).
        """
        return config.settings_from_yaml(cls, path, **overrides)


@dataclass(frozen=True)
class Inputs:
    """What the gap analysis reads from the processed folder."""

    observations: pd.DataFrame
    models: pd.DataFrame
    projections: pd.DataFrame | None = None
    processed_dir: Path | None = None


def load_inputs(processed_dir: str | Path = config.PROCESSED_DIR) -> Inputs:
    """Observations, projections and projection models from ``processed_dir``.

    The projection stage must have run: without ``projection_models.parquet`` there are no
    simulated paths, and the error says which command makes it.
    """
    folder = config.resolve(processed_dir)
    observations = load_observations(folder)
    for name in ("projection_models.parquet", "projections.parquet"):
        if not (folder / name).is_file():
            raise FileNotFoundError(
                f"{config.display_path(folder / name)} does not exist: run the projection first "
                f"(plan-monitor project --processed {config.display_path(folder)}, or the 30_trends notebook)")
    projections = pd.read_parquet(folder / "projections.parquet")
    models = pd.read_parquet(folder / "projection_models.parquet")
    log.info("gap inputs from %s: %d observations, %d projected series", config.display_path(folder),
             len(observations), int(models["projectable"].sum()))
    return Inputs(observations=observations, projections=projections, models=models, processed_dir=folder)


def select_ids(cat: Catalog, plan: str = "", field: int = 0, indicator_id: str = "") -> list[str]:
    """The catalog ids a page covers: one indicator, or a plan and field ("" / 0 meaning all)."""
    if indicator_id:
        cat.entry(indicator_id)  # KeyError naming the id and the catalog
        return [indicator_id]
    table = select(cat, plan=plan or None, field=int(field) or None)
    return list(table["id"])
