"""``about`` — 达到…左右 (inside a band of ± ``tolerance`` around the value in the target year); ``keep_about``
— 保持在…左右 (inside the band every year of the plan period)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.kinds.base import LevelKind


@dataclass(frozen=True)
class About(LevelKind):
    """A band: the catalog must give its half-width (``tolerance``), read from the plan's 左右."""

    def validate(self, entry: dict[str, Any], bad: Callable[[str, str], None], ids: set[str]) -> None:
        tolerance = entry.get("tolerance")
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance <= 0:
            bad("tolerance", f"an '{self.name}' (左右) target needs a positive tolerance")

    def text(self, entry: pd.Series) -> str:
        """The plan's words, the catalog's reading of 左右 (± tolerance, in the unit) and the year."""
        from analysis.report.numbers import difference_unit

        band = f"（按±{entry['tolerance']:g}{difference_unit(entry['unit'] or '')}判断）"
        return f"{entry['wording']}{band}（{int(entry['year'])}年）"


KIND = About("about", side=0, fields=("tolerance",), words_en="about {v}")
