"""``about`` — …左右 (inside a band of ± ``tolerance`` around the value in the target year)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analysis.kinds.base import LevelKind


@dataclass(frozen=True)
class About(LevelKind):
    """A band: the catalog must give its half-width (``tolerance``), read from the plan's 左右."""

    def validate(self, entry: dict[str, Any], bad: Callable[[str, str], None], ids: set[str]) -> None:
        tolerance = entry.get("tolerance")
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance <= 0:
            bad("tolerance", "an 'about' (左右) target needs a positive tolerance")


KIND = About("about", side=0, fields=("tolerance",), words="{value}{unit}左右（±{tolerance}）{year}",
             words_en="about {v}")
