"""Shared fixtures of the report tests: the shipped district taken through every stage once."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import clean, config, gaps, scorecard, trends
from analysis import database as monitoring_db
from analysis.catalog import load_catalog


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    """A processed folder from the shipped raw data: cleaned, projected, assessed (annual), gaps."""
    cat = load_catalog()
    out = tmp_path_factory.mktemp("processed")
    clean.write(clean.clean(config.RAW_DIR, cat), out)
    trends.project(out, cat)
    scorecard.assess(out, cat)
    gaps.run(out, cat)
    monitoring_db.build(out, out / "monitor.duckdb", cat)  # no database yet: the as-of history only
    return out
