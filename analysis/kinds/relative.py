"""``relative`` — set against another indicator (党代表中女党员比例 不低于 女党员比例)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.kinds.base import Kind

COMPARISONS = {"at_least": "不低于", "at_most": "不高于"}


@dataclass(frozen=True)
class Relative(Kind):
    """Met when the own series is on the asked side of the other (``relative_to``, ``comparison``)."""

    def validate(self, entry: dict[str, Any], bad: Callable[[str, str], None], ids: set[str]) -> None:
        if entry.get("relative_to") not in ids:
            bad("relative_to", f"{entry.get('relative_to')!r} is not an id in the catalog")
        if entry.get("comparison") not in COMPARISONS:
            bad("comparison", f"{entry.get('comparison')!r}; one of {sorted(COMPARISONS)}")

    def assess(self, entry: pd.Series, ctx: Any) -> list[dict]:
        from analysis.scorecard.direction import relative_row

        return [relative_row(entry, ctx)]


KIND = Relative("relative", group="relative", scored=True, fields=("relative_to", "comparison"))
