"""``qualitative`` — a target in words only: listed, never scored, no data collected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.kinds.base import Kind


@dataclass(frozen=True)
class Qualitative(Kind):
    """Listed with the plan's sentence; a qualitative target cannot be monitorable."""

    def validate(self, entry: dict[str, Any], bad: Callable[[str, str], None], ids: set[str]) -> None:
        if entry.get("monitorable") is True:
            bad("monitorable", "a qualitative target cannot be monitorable")

    def text(self, entry: pd.Series) -> str:
        return "定性目标"

    def text_en(self, value: str) -> str:
        return "qualitative target"

    def assess(self, entry: pd.Series, ctx: Any) -> list[dict]:
        from analysis.scorecard.direction import qualitative_row

        return [qualitative_row(entry, ctx)]


KIND = Qualitative("qualitative", group="qualitative", measured=False)
