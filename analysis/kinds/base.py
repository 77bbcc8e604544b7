"""What every target kind declares: how the catalog checks an entry of it, the single definition of
"met", how the scorecard assesses it, and its words in Chinese and English.

A kind is an object (:class:`Kind`); the kinds with a target value share :class:`LevelKind`, which
derives "met" from the side of the line that meets the target. One file per kind holds the object;
:mod:`analysis.kinds` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: the catalog's kind-specific fields, and the kinds that may set each
OPTIONAL_FIELDS = ("tolerance", "direction", "marked", "gap_of", "gap", "relative_to", "comparison")


@dataclass(frozen=True)
class Kind:
    """A target kind of the catalog (``kind:``).

    ``group`` is the family official reports count by (有具体数值 / 方向性 / 相对 / 定性);
    ``has_value``: the target is a number (with a year and a unit); ``measured``: data are
    collected for it (a qualitative target has none); ``scored``: it counts in the headline's
    achievement rate; ``fields``: the kind-specific catalog fields it may set.
    """

    name: str
    group: str
    has_value: bool = False
    measured: bool = True
    scored: bool = False
    fields: tuple[str, ...] = ()

    #: +1 when a value at or above the target meets it, -1 at or below, 0 a band; None: no value
    side: int | None = None
    #: met every year of the plan period (保持在), not only in the target year
    keep: bool = False
    #: a keep target that first has to be reached (达到并保持): the years before it is first met
    #: are not misses; from that year on it must stay met
    reach_first: bool = False
    #: what the probability of a row of this kind is of, in the report's sentence (Chinese,
    #: English), when it is not "实现…目标的可能性"
    probability_words: tuple[str, str] | None = None

    def validate(self, entry: dict[str, Any], bad: Callable[[str, str], None], ids: set[str]) -> None:
        """Kind-specific checks of a catalog entry (``bad(field, problem)`` records a problem)."""

    def meets(self, values: Any, target: float, tolerance: float = 0.0, slack: float = 0.0) -> np.ndarray:
        """Whether each value meets the target (only a kind with a target value has a line)."""
        raise ValueError(f"kind {self.name!r} has no target value")

    def text(self, entry: pd.Series) -> str:
        """The target as the plan words it (the catalog's ``wording``, the plan's own characters),
        with the target year when the target is a number: "降至3.0‰以下（2030年）"."""
        year = f"（{int(entry['year'])}年）" if self.has_value and pd.notna(entry.get("year")) else ""
        return f"{entry['wording']}{year}"

    def text_en(self, value: str) -> str:
        """The target in English, ``value`` the number with its unit ('' when none)."""
        return ""

    def assess(self, entry: pd.Series, ctx: Any) -> list[dict]:
        """Every scorecard row of an entry of this kind (:mod:`analysis.scorecard`)."""
        raise NotImplementedError


@dataclass(frozen=True)
class LevelKind(Kind):
    """A kind with a target value: met on one side of the line (or inside a band).

    以上、以下、以内 include the number itself (民法典 第一千二百五十九条), so a 2030 neonatal
    mortality of exactly 3.0‰ meets "降至3.0‰以下". ``slack`` (the 基本实现 tolerance, in the
    unit, 0 when off) moves the line by that much in the indicator's favour. NaN never meets.
    """

    group: str = "numeric"
    has_value: bool = True
    scored: bool = True
    #: the English words, with {v} (value and unit)
    words_en: str = ""

    def meets(self, values: Any, target: float, tolerance: float = 0.0, slack: float = 0.0) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            if self.side < 0:
                return v <= target + slack
            if self.side > 0:
                return v >= target - slack
            return np.abs(v - target) <= tolerance + slack

    def text_en(self, value: str) -> str:
        return self.words_en.format(v=value)

    def assess(self, entry: pd.Series, ctx: Any) -> list[dict]:
        from analysis.scorecard.assess import breakdown_rows
        from analysis.scorecard.rows import level_row

        return breakdown_rows(entry, ctx, level_row)
