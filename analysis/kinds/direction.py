"""``direction`` — 逐步提高, 逐步下降, 差距缩小: no number, a direction of change.

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

DIRECTIONS = {"increase": "逐步提高", "decrease": "逐步下降", "narrow": "差距缩小"}
DIRECTIONS_EN = {"increase": "gradually higher", "decrease": "gradually lower", "narrow": "gap narrowed"}
GAPS = ("sex", "urban_rural")


@dataclass(frozen=True)
class Direction(Kind):
    """Judged by the probability of moving the asked way (or of the gap narrowing)."""

    def validate(self, entry: dict[str, Any], bad: Callable[[str, str], None], ids: set[str]) -> None:
        if entry.get("direction") not in DIRECTIONS:
            bad("direction", f"{entry.get('direction')!r}; one of {sorted(DIRECTIONS)}")
        if entry.get("direction") == "narrow":
            if entry.get("gap_of") is not None and entry["gap_of"] not in ids:
                bad("gap_of", f"{entry.get('gap_of')!r} is not an id in the catalog")
            if entry.get("gap") not in GAPS:
                bad("gap", f"{entry.get('gap')!r}; one of {sorted(GAPS)}")

    def text(self, entry: pd.Series) -> str:
        return DIRECTIONS[entry["direction"]]

    def text_en(self, value: str) -> str:
        return ""

    def assess(self, entry: pd.Series, ctx: Any) -> list[dict]:
        from analysis.scorecard.assess import breakdown_rows
        from analysis.scorecard.direction import direction_row, narrow_row

        if entry["direction"] == "narrow":
            return [narrow_row(entry, ctx)]
        return breakdown_rows(entry, ctx, direction_row)


KIND = Direction("direction", group="direction", fields=("direction", "gap_of", "gap"),
                 probability_words=("向好的概率", "the probability of improving is"))
