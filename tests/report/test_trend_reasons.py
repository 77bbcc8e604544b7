"""The trends pages say in Chinese why each model was chosen and what its fit warns of.

The reasons are built from the record's fields (candidates' back-test scores, points, widening),
so they follow the engine's rule (docs/projections.md, "Choice by back-testing") and never show
the engine's English ``why``; the warnings are translated pattern by pattern. Checked on every
series of the shipped district, through the functions the notebooks call.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from analysis import clean, config, report, trends
from analysis.catalog import load_catalog
from analysis.report.trends import choice_reason_zh

#: Latin words a Chinese statistical page may carry (a scale's name, a p value, an estimator's author)
ALLOWED_LATIN = {"logit", "p", "Jeffreys"}


@pytest.fixture(scope="module")
def models() -> pd.DataFrame:
    cat = load_catalog()
    return trends.project_observations(clean.clean(config.RAW_DIR, cat).observations, cat.indicators).models


def _latin(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]+", text)) - ALLOWED_LATIN


def test_every_series_reason_and_warning_is_chinese(models):
    done = models[models["projectable"]]
    assert len(done) > 100
    for _, row in done.iterrows():
        card = report.model_card(models, row["indicator_id"], row["area"], row["sex"])
        text = card.split("\n", 1)[1]                       # the first line names the series by its code
        assert not _latin(text), (row["indicator_id"], row["area"], row["sex"], text)
    for reason in models.loc[~models["projectable"], "reason"]:
        assert not _latin(report.labels.engine_reason_zh(reason)), reason


def test_the_reason_follows_the_rule_kept_switched_default(models):
    settings = trends.ProjectionSettings.from_params()
    done = models[models["projectable"]]
    seen = set()
    for _, row in done.iterrows():
        text = choice_reason_zh(row, settings)
        cands = json.loads(row["candidates"])
        if not cands:
            assert text.startswith(f"观测值{row['n_points']}个，少于回测所需的{settings.min_backtest_points}个"), text
            seen.add("default")
            continue
        trend = next(c for c in cands if c["name"] == "trend")
        assert f"平均标准化误差为{trend['bias']:+.2f}" in text
        if abs(trend["bias"]) > settings.bias_threshold:
            assert row["chosen"] == min(cands, key=lambda c: c["wis"])["name"]
            assert "超过±" in text and "改用加权区间得分最低的" in text
            seen.add("switched")
        else:
            assert row["chosen"] == "trend" and "未超过±" in text and "沿用趋势模型" in text
            seen.add("kept")
    assert seen == {"default", "kept", "switched"}, seen
