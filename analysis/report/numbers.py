"""Number formats of the pages: decimals as published, probabilities, 个百分点 for differences of rates."""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)


DIFFERENCE_UNITS_ZH = {"%": "个百分点", "‰": "个千分点"}


def difference_unit(unit: str) -> str:
    """The unit of a difference of two values in ``unit``: a difference of rates in % is in
    个百分点 (percentage points), in ‰ in 个千分点; other units are their own."""
    return DIFFERENCE_UNITS_ZH.get(unit, unit)


def fmt(v: float, unit: str = "") -> str:
    """A number as a report writes it (4 significant digits, no trailing zeros) with its unit."""
    if v is None or not np.isfinite(v):
        return "—"
    text = f"{v:.4g}"
    if "e" in text:
        text = f"{v:.2f}"
    return f"{text}{unit}"


def pct(p: float) -> str:
    """A probability in per cent."""
    return "—" if p is None or not np.isfinite(p) else f"{100 * p:.0f}%"
