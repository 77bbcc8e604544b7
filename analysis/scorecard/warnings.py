"""Early warnings: past breaches, reversals, widening gaps, volatility against the change needed, small
counts, data quality; and how a row carries them.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from analysis import kinds
from analysis.scorecard.context import Context, Series
from analysis.scorecard.pace import observed_pace
from analysis.scorecard.probability import meets, side
from analysis.scorecard.settings import AssessmentSettings

log = logging.getLogger(__name__)


def past_breaks(s: Series, kind: str, target: float, since: int, tolerance: float = 0.0,
                slack: float = 0.0) -> list[tuple[int, float]]:
    """(year, value) of every year from ``since`` on in which a keep-every-year target was missed.

    达到并保持 (a kind that is ``reach_first``): the years before the target is first met are the
    way to it, not misses; only a year that falls back after it was reached counts."""
    sel = s.years >= since
    if kinds.get(kind).reach_first:
        reached = sel & meets(s.values, kind, target, tolerance, slack)
        if not reached.any():
            return []
        sel = s.years >= s.years[reached][0]
    bad = sel & ~meets(s.values, kind, target, tolerance, slack)
    return [(int(y), float(v)) for y, v in zip(s.years[bad], s.values[bad], strict=True)]


def reversal(years, z, sign: int, sigma: float, run: int, min_sd: float) -> bool:
    """趋势逆转: the ``run`` consecutive year-on-year changes before the latest one all went the
    right way (``sign``), and the latest change goes against it by more than ``min_sd`` times the
    series' noise ``sigma`` (a smaller move back is ordinary noise)."""
    years, z = np.asarray(years), np.asarray(z, dtype=float)
    if len(years) < run + 2 or not np.isfinite(sigma):
        return False
    yrs, zz = years[-(run + 2):], z[-(run + 2):]
    if not np.all(np.diff(yrs) == 1):
        return False
    d = np.diff(zz)
    return bool(np.all(sign * d[:-1] > 0) and sign * d[-1] < 0 and abs(d[-1]) > min_sd * sigma)


def gap_widening(years, gap, z: float) -> bool:
    """差距扩大: the observed gap's least-squares slope is above 0 by ``z`` standard errors."""
    pace = observed_pace(years, gap)
    return bool(np.isfinite(pace.se) and pace.slope - z * pace.se > 0)


def volatility(sigma: float, required: float, inside: float, settings: AssessmentSettings) -> tuple[str, float] | None:
    """波动较大, judged with the series' own noise ``sigma`` (the residual sd of its line, model scale).

    ``"near"``: the current level lies within ``reach_z`` noise sds of the target line (``inside``
    is its signed distance, positive on the right side), so ordinary years fall on either side of
    it; ``"pace"``: not met, and a year's noise exceeds ``noise_to_pace`` × the annual change the
    target still requires, so one year's movement says little about the pace. Returns the case and
    its ratio (distance in sds, or noise over required change), or None.
    """
    if not np.isfinite(sigma) or sigma <= 0 or not np.isfinite(inside):
        return None
    if abs(inside) < settings.reach_z * sigma:
        return "near", abs(inside) / sigma
    if inside < 0 and np.isfinite(required) and abs(required) > 0 and sigma > settings.noise_to_pace * abs(required):
        return "pace", sigma / abs(required)
    return None


def required_change(baseline: float, kind: str, target: float, tolerance: float = 0.0) -> float:
    """The change the plan asks for, in the unit: from the baseline value to the target line (to
    the near edge of an "about" band); NaN when the baseline already met the target."""
    if not np.isfinite(baseline):
        return math.nan
    sd = side(kind)
    need = abs(baseline - target) - tolerance if sd == 0 else sd * (target - baseline)
    return need if need > 0 else math.nan


def small_counts(s: Series, level: float, target: float, kind: str, per: float, change: float) -> dict | None:
    """波动较大（计数过小）: a rate built on so few events that the change the plan asks for cannot be
    detected in a year's figure at all — the sampling sd of one year's value (binomial, at the
    current ``level`` and the latest denominator) exceeds the whole required ``change`` (baseline
    to target, :func:`required_change`), or, for a "below" target, one event alone is more than the
    target (maternal mortality 12/10万 with ~4,000 births: one death = 25/10万, the target means
    no death at all). Returns the figures for the message, or None."""
    if not s.has_counts or not np.isfinite(per) or not np.isfinite(level):
        return None
    n = float(s.denominator[-1])
    one = per / n
    p = min(max(level / per, 0.5 / n), 1.0)
    sd = math.sqrt(p * (1 - p) / n) * per
    below_one = side(kind) < 0 and target < one
    if below_one or (np.isfinite(change) and sd > change):
        return {"n": n, "one": one, "sd": sd, "below_one": below_one, "change": change}
    return None


def flag_list(s: Series, wanted: dict[str, str]) -> list[tuple[int, str]]:
    """(year, flag) of the cleaning flags that ask for review, on this series' own values."""
    out = []
    for y, flags in zip(s.years, s.flags, strict=True):
        for f in filter(None, str(flags).split(";")):
            name = f.split(":")[0]
            if name in wanted:
                out.append((int(y), name))
    return out


def _add_warning(row: dict, code: str, text: str, settings: AssessmentSettings, extra_severity: int = 0) -> None:
    """Add an early warning (its code, its message in Chinese, severity from the params file, plus
    ``extra_severity``) and re-render the row's ``warnings``, ``warning_codes`` and ``severity``."""
    row.setdefault("_warn", []).append((code, text.replace("；", "，"), int(settings.warnings[code]["severity"])
                                        + extra_severity))
    _render_warnings(row, settings)


def _drop_warning(row: dict, code: str, settings: AssessmentSettings) -> None:
    row["_warn"] = [w for w in row.get("_warn", []) if w[0] != code]
    _render_warnings(row, settings)


def _render_warnings(row: dict, settings: AssessmentSettings) -> None:
    warns = row.get("_warn", [])
    row["warning_codes"] = ";".join(c for c, _, _ in warns)
    row["warnings"] = "；".join(f"{settings.warnings[c]['label']}：{t}" for c, t, _ in warns)
    row["severity"] = max((sev for _, _, sev in warns), default=0)


def _quality_warning(row: dict, s: Series, ctx: Context) -> None:
    flags = flag_list(s, ctx.settings.data_quality_flags)
    if flags:
        words = "；".join(f"{y}年：{ctx.settings.data_quality_flags[f]}" for y, f in flags)
        _add_warning(row, "data_quality", words + "（清洗步骤标记，请核实）", ctx.settings)
