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


def fmt(v: float, unit: str = "", digits: int = 4) -> str:
    """A number as a report writes it (``digits`` significant digits, 4 by default, no trailing
    zeros) with its unit. A number of more integer digits than that is written whole, rounded to
    the unit (17,065 persons are "17065人", never "1.706e+04" nor "17065.00"); a tiny one, which
    would need an exponent, to two decimals."""
    if v is None or not np.isfinite(v):
        return "—"
    text = f"{v:.{digits}g}"
    if "e" in text:
        text = f"{v:.0f}" if abs(v) >= 1 else f"{v:.2f}"
    return f"{text}{unit}"


def fmt_difference(v: float, unit: str = "", digits: int = 2) -> str:
    """A difference or a spread of values in ``unit`` as a report writes it: in the difference's
    own unit (个百分点 for %, 个千分点 for ‰) and to ``digits`` significant digits — a year-to-year
    noise is known to two digits at best ("±0.61个百分点", not "±0.6125%")."""
    return fmt(v, difference_unit(unit), digits)


def pct(p: float) -> str:
    """A probability in per cent."""
    return "—" if p is None or not np.isfinite(p) else f"{100 * p:.0f}%"


def chance(p: float, settings, lang: str = "zh") -> str:
    """A probability as a number in a sentence or table: 低于5% / 高于95% beyond ``settings``'
    ``words_below`` / ``words_above`` (params/assessment.yaml), else to the nearest 5 % ("约85%";
    ``under 5%`` / ``about 85%`` with ``lang="en"``): a few thousand simulated paths and a handful
    of observed years cannot tell 1 % from 3 %."""
    if p is None or not np.isfinite(p):
        return "—"
    zh = lang == "zh"
    below, above = settings.words_below, settings.words_above
    if p < below:
        return f"低于{100 * below:g}%" if zh else f"under {100 * below:g}%"
    if p > above:
        return f"高于{100 * above:g}%" if zh else f"over {100 * above:g}%"
    return f"约{5 * round(20 * p)}%" if zh else f"about {5 * round(20 * p)}%"
