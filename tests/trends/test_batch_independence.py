"""A series' projection is a function of its own data (and its comparator's), never of the batch.

The promise of issue 14 (docs/projections.md, "Same inputs, same outputs"): a series projected
alone, with its county, or inside a province-sized batch of 10,000 series gets the same model,
the same back-test scores, the same intervals and the same simulated paths — and the same data
entered under another key gets the same choice. Broken by: one random stream shared by the
batch's back-test (the draws a series gets depend on the series before it), chunked draws, or
an interval calibration pooled over whatever series are in the run.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis import clean, config, trends
from analysis.catalog import load_catalog
from analysis.returns import parse

#: the series of the shipped (synthetic) district followed through the batches: counts with and
#: without a national comparator, shares, a level, sexes
FOLLOWED = [("C1.3a", "district", "total"), ("C1.3a", "rural", "female"), ("W1.2a", "district", "total"),
            ("C1.9c", "district", "total"), ("C1.9c", "district", "male"), ("W7.6a", "伊洛街道", "total"),
            ("W5.2", "district", "total")]


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.fixture(scope="module")
def county(cat) -> pd.DataFrame:
    """The shipped district's cleaned observations (what ``plan-monitor clean`` writes)."""
    return clean.clean(config.RAW_DIR, cat).observations


def _alone(county: pd.DataFrame, key) -> pd.DataFrame:
    """One series with the national series of its indicator (its comparator: part of its inputs)."""
    iid, area, sex = key
    own = (county["indicator_id"] == iid) & (county["area"] == area) & (county["sex"] == sex)
    national = (county["indicator_id"] == iid) & (county["area"] == "national")
    return county[own | national]


def _province(county: pd.DataFrame, size: int) -> pd.DataFrame:
    """The county's local series copied under ``size`` // (number of local series) other area
    codes, each copy's values moved by its own noise (so that no two copies are the same)."""
    local = county[~county["area"].isin(parse.comparator_areas())]
    n_series = local.groupby(["indicator_id", "area", "sex"]).ngroups
    rng = np.random.default_rng(14)
    copies = []
    for k in range(size // n_series + 1):
        copy = local.copy()
        copy["area"] = copy["area"] + f"-copy{k:04d}"
        noise = rng.normal(1.0, 0.02, len(copy))
        counted = copy["numerator"].notna()
        copy.loc[~counted, "value"] = (copy.loc[~counted, "value"] * noise[~counted.to_numpy()]).round(1)
        copies.append(copy)
    return pd.concat([county, *copies], ignore_index=True)


def _pick(result: trends.Projection, key) -> tuple[pd.DataFrame, pd.Series]:
    iid, area, sex = key
    p, m = result.projections, result.models
    rows = p[(p["indicator_id"] == iid) & (p["area"] == area) & (p["sex"] == sex)].reset_index(drop=True)
    rec = m[(m["indicator_id"] == iid) & (m["area"] == area) & (m["sex"] == sex)]
    assert len(rec) == 1, key
    return rows, rec.iloc[0]


def test_a_series_gets_the_same_projection_alone_in_its_county_and_in_a_batch_of_10000(county, cat):
    settings = trends.ProjectionSettings.from_params()
    whole = trends.project_observations(county, cat.indicators, settings)
    province = _province(county, 10_000)
    assert province.groupby(["indicator_id", "area", "sex"]).ngroups >= 10_000
    big = trends.project_observations(province, cat.indicators, settings)
    for key in FOLLOWED:
        alone = trends.project_observations(_alone(county, key), cat.indicators, settings)
        rows_a, rec_a = _pick(alone, key)
        assert rec_a["projectable"], key
        for other in (whole, big):
            rows_o, rec_o = _pick(other, key)
            pd.testing.assert_frame_equal(rows_a, rows_o, check_exact=True)
            for col in ("chosen", "why", "candidates", "params", "shrinkage_weight", "slope"):
                assert rec_a[col] == rec_o[col] or (pd.isna(rec_a[col]) and pd.isna(rec_o[col])), (key, col)
            paths_a = trends.simulate_paths(*key, models=alone.models, n_sims=200).values
            paths_o = trends.simulate_paths(*key, models=other.models, n_sims=200).values
            np.testing.assert_array_equal(paths_a, paths_o)


def test_the_same_data_under_another_key_gets_the_same_choice_and_scores(county, cat):
    """The back-test's draws are common random numbers: the choice between candidates is a
    function of the data, not of Monte Carlo noise drawn for one key and not for another."""
    key = ("C1.3a", "district", "total")
    one = _alone(county, key)
    own = one[(one["area"] == "district") & (one["sex"] == "total")]
    one = one[one["sex"] == "total"]
    renamed = [own.assign(area=f"copy{k}") for k in range(5)]
    result = trends.project_observations(pd.concat([one, *renamed]), cat.indicators)
    m = result.models[(result.models["indicator_id"] == "C1.3a") & (result.models["sex"] == "total")]
    m = m.set_index("area")
    areas = ["district"] + [f"copy{k}" for k in range(5)]
    assert m.loc[areas, "chosen"].nunique() == 1
    scores = {json.dumps(json.loads(c), sort_keys=True) for c in m.loc[areas, "candidates"]}
    assert len(scores) == 1
