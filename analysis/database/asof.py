"""As-of assessment: the verdicts a report for an earlier year would have given.

``plan-monitor assess --as-of 2022`` assesses with only the values known then: **by vintage**
when the database holds a report published for 2022 (the values that report kept, before any
later revision), else **by year** (this run's values up to 2022: the vintages are missing). The
series are re-projected without the later years. The verdicts are recorded in the database as an
``as_of`` run, beside the reports, so the status history and the project's own past P(met) can be
scored against what happened.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from analysis import config
from analysis.catalog import Catalog, load_catalog
from analysis.database import ingest, store

log = logging.getLogger(__name__)


@dataclass
class AsOfResult:
    """An as-of assessment: its scorecard rows, its run row (as recorded), and the basis."""

    scorecard: pd.DataFrame
    run: dict
    basis: str


def observations_as_of(database: str | os.PathLike[str], observations: pd.DataFrame, year: int
                       ) -> tuple[pd.DataFrame, str]:
    """The observations known for ``year``'s report and the basis: ``'vintage'`` (the values the
    latest report published for ``year`` kept, from the database) or ``'year'`` (``observations`` up
    to ``year``, when no such report is recorded)."""
    runs = store.reports(database)
    published = runs[(runs["kind"] == "report") & (runs["evaluation_year"] == year)]
    if len(published):
        kept = store.kept_values_of(database, published.iloc[-1]["run_id"])
        cols = [c for c in observations.columns if c in kept.columns]
        frame = kept[cols].copy()
        frame["flags"] = frame["flags"].fillna("") if "flags" in frame else ""
        frame["year"] = frame["year"].astype("int64")
        return frame.reset_index(drop=True), "vintage"
    return observations[observations["year"] <= year].reset_index(drop=True), "year"


def assess_as_of(processed_dir: str | os.PathLike[str], database: str | os.PathLike[str], year: int,
                 catalog: str | os.PathLike[str] | Catalog = config.DEFAULT_CATALOG, settings=None,
                 profile: str = "", commit: str = "", record: bool = True) -> AsOfResult:
    """Assess every target as of ``year`` (module docstring) and, with ``record``, add the verdicts to
    the database as an ``as_of`` run (one transaction). The stage tables in ``processed_dir`` are read,
    never written."""
    import sys

    import analysis.scorecard.assess  # noqa: F401 — the module (the package exports a function of that name)
    from analysis import scorecard, trends

    assess = sys.modules["analysis.scorecard.assess"]
    out = config.resolve(processed_dir)
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    settings = settings if settings is not None else scorecard.load_settings()
    observations, basis = observations_as_of(database, trends.load_observations(processed_dir), year)
    models = pd.read_parquet(out / "projection_models.parquet")
    frame = assess.assess_frame(observations, models, cat, "annual", year, settings)
    when = datetime.now(UTC)
    run = ingest.run_row(f"as-of-{year}-{when.astimezone(ingest.BEIJING):%Y%m%d-%H%M%S}", "as_of", basis, when,
                         "annual", year, ingest.data_year(observations), profile,
                         ingest.inventory.fingerprint(cat.path) if getattr(cat, "path", None) else None,
                         ingest.inventory.fingerprint(settings.path), commit, len(observations), 0)
    if record:
        store.record(database, store.RunRecord(run=run, files=pd.DataFrame(columns=["sha256", "source_file",
                                                                                     "bytes", "modified_at"]),
                                               values=pd.DataFrame(), verdicts=frame,
                                               self_evaluations=pd.DataFrame()))
    log.info("as-of assessment of %d (basis %s, %d values): %s", year, basis, len(observations),
             frame["status"].value_counts().to_dict())
    return AsOfResult(frame, run, basis)
