"""The qualitative targets in the headline: counted by the member units' self-evaluated conclusion, apart
from the scorecard's statuses and never in the achievement rate (hand-made scorecard, counts by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import scorecard
from analysis.scorecard import headline


@pytest.fixture(scope="module")
def settings():
    return scorecard.load_settings()


BASE = {"is_headline": True, "mode": "annual", "year": 2024, "monitorable": True}


def frame() -> pd.DataFrame:
    """Two targets with a value, five qualitative ones, and a breakdown row (not counted)."""
    qualitative = {**BASE, "target_kind": "qualitative", "status": "qualitative", "monitorable": False}
    return pd.DataFrame([
        {**BASE, "indicator_id": "W1.2a", "target_kind": "below", "status": "achieved"},
        {**BASE, "indicator_id": "W1.3a", "target_kind": "above", "status": "off_track"},
        *({**qualitative, "indicator_id": i} for i in ("W1.4", "W2.1", "W2.2", "W2.3", "W2.6")),
        {**BASE, "indicator_id": "W1.2a", "target_kind": "below", "status": "achieved", "is_headline": False},
    ])


def evaluations() -> pd.DataFrame:
    rows = [
        ("W1.4", 2023, "achieved"), ("W1.4", 2024, "not_achieved"),   # the 2024 form wins: not achieved
        ("W2.1", 2024, "basically_achieved"),
        ("W2.2", 2025, "achieved"),                                    # after the evaluation year: not counted
        ("W2.3", 2022, "cannot_assess"),                               # an older form still stands
        ("W1.2a", 2024, "achieved"),                                   # not a qualitative target: ignored
    ]
    return pd.DataFrame([{"indicator_id": i, "year": y, "conclusion": c} for i, y, c in rows])


def test_the_qualitative_targets_are_counted_by_their_latest_self_evaluation(settings):
    h = headline(frame(), settings, evaluations())
    # by hand: W1.4 not achieved (2024 over 2023), W2.1 basically achieved, W2.3 cannot be assessed (2022);
    # W2.2 (only a 2025 form) and W2.6 (none) not reported
    assert h["qualitative"]["by_conclusion"] == {"achieved": 0, "basically_achieved": 1, "not_achieved": 1,
                                                 "cannot_assess": 1}
    assert h["qualitative"]["not_reported"] == 2
    assert h["qualitative"]["years"] == [2022, 2024]
    assert h["n_qualitative"] == 5 == sum(h["qualitative"]["by_conclusion"].values()) + 2


def test_self_evaluations_never_enter_the_achievement_rate(settings):
    with_them, without = headline(frame(), settings, evaluations()), headline(frame(), settings)
    # 1 achieved of the 2 targets with a value, whatever the units say of the qualitative ones
    assert with_them["rate"] == without["rate"] == 0.5
    assert with_them["counts"] == without["counts"] and with_them["n"] == without["n"] == 2
    assert without["qualitative"]["not_reported"] == 5


def test_the_headline_says_it_is_the_units_own_assessment(settings):
    from analysis.report import scorecard as page

    result = scorecard.Assessment(frame().assign(plan="W", field=1, name_zh="x", status_zh="", reason_zh=""), "annual",
                                  2024, settings, pd.DataFrame(), self_evaluations=evaluations())
    text = page.headline_text(result)
    assert "定性目标5项：据成员单位自评，已实现0项、基本实现1项、未实现1项、无法评估1项，未报送2项" in text
    assert "不计入达标率" in text
    en = page.headline_text(result, "en")
    assert ("Qualitative targets (5), by the member units' self-assessment: achieved 0, basically achieved 1, "
            "not achieved 1, cannot be assessed 1; not reported 2") in en
    table = page.headline_table(result)
    rows = table[table["类别"].str.startswith("定性目标")]
    assert rows["状态"].tolist() == ["自评：已实现", "自评：基本实现", "自评：未实现", "自评：无法评估", "未报送自评"]
    assert rows["项数"].tolist() == [0, 1, 1, 1, 2]
