"""``direction`` — 逐步提高, 逐步下降, 差距缩小, 上升趋势减缓, 上升趋势得到有效控制: no number, a direction of
change; ``marked: true`` when the plan asks for a marked one (明显下降, 明显缩小).

A 差距缩小 target names the indicator whose gap narrows (``gap_of``) and the gap (``gap``: sex or
urban–rural); without ``gap_of`` the entry's own series is the gap (男女收入差距). Its verdict is
the gaps stage's one judgement (:func:`analysis.gaps.narrowing_judgement`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.kinds.base import Kind

#: the directions and the test each names (docs/assessment.md, "The target as the plan words it")
DIRECTIONS = {
    "increase": "the target-year value above the latest observed one",
    "decrease": "the target-year value below the latest observed one",
    "narrow": "the gap narrower than now (analysis.gaps.narrowing_judgement)",
    "rise_slowed": "the annual change from the baseline to the target year below the annual change before the baseline",
    "rise_curbed": "the target-year value not above the baseline value",
}
#: the directions a marked change (明显) can be asked of
MARKABLE = ("increase", "decrease", "narrow")
GAPS = ("sex", "urban_rural")


@dataclass(frozen=True)
class Direction(Kind):
    """Judged by the probability of moving the asked way (or of the gap narrowing)."""

    def validate(self, entry: dict[str, Any], bad: Callable[[str, str], None], ids: set[str]) -> None:
        if entry.get("direction") not in DIRECTIONS:
            bad("direction", f"{entry.get('direction')!r}; one of {sorted(DIRECTIONS)}")
        if entry.get("marked") is not None and (entry["marked"] is not True or entry.get("direction") not in MARKABLE):
            bad("marked", f"only 'marked: true', and only with direction {' / '.join(MARKABLE)}")
        if entry.get("direction") == "narrow":
            if entry.get("gap_of") is not None and entry["gap_of"] not in ids:
                bad("gap_of", f"{entry.get('gap_of')!r} is not an id in the catalog")
            if entry.get("gap") not in GAPS:
                bad("gap", f"{entry.get('gap')!r}; one of {sorted(GAPS)}")

    def text_en(self, value: str) -> str:
        return ""

    def assess(self, entry: pd.Series, ctx: Any) -> list[dict]:
        from analysis.scorecard.assess import breakdown_rows
        from analysis.scorecard.direction import direction_row, narrow_row

        if entry["direction"] == "narrow":
            return [narrow_row(entry, ctx)]
        return breakdown_rows(entry, ctx, direction_row)


KIND = Direction("direction", group="direction", fields=("direction", "marked", "gap_of", "gap"),
                 probability_words=("向好的可能性", "the chance of improving is"))
