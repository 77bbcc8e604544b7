"""A numeric target's row: its level, P(met) from the simulated paths, pace, schedule and warnings."""

from __future__ import annotations

import functools
import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from analysis import kinds
from analysis.catalog import target_text
from analysis.report.labels import engine_reason_zh
from analysis.report.numbers import chance, difference_unit, fmt, fmt_difference
from analysis.returns import parse
from analysis.scorecard.context import Context, Series, series_z, window
from analysis.scorecard.pace import Pace, observed_pace, pace_band, pace_ratio, required_pace
from analysis.scorecard.probability import (
    first_year_met,
    level_status,
    meets,
    met_on_paths,
    probability,
    side,
    year_reached,
)
from analysis.scorecard.settings import COLUMNS, KEEP_KINDS, AssessmentSettings
from analysis.scorecard.warnings import (
    _add_warning,
    _quality_warning,
    past_breaks,
    required_change,
    reversal,
    small_counts,
    volatility,
)
from analysis.trends.records import Paths
from analysis.trends.scale import Scale

log = logging.getLogger(__name__)


def _base_row(entry: pd.Series, area: str, sex: str, breakdown: str, ctx: Context) -> dict[str, Any]:
    """A scorecard row with the target's own fields filled and everything else empty."""
    unit = entry["unit"] if isinstance(entry["unit"], str) else None
    value = float(entry["value"]) if pd.notna(entry["value"]) else math.nan
    year = int(entry["year"]) if pd.notna(entry["year"]) else None
    row: dict[str, Any] = {c: math.nan for c in COLUMNS}
    row.update({
        "indicator_id": entry["id"], "area": area, "sex": sex, "mode": ctx.mode, "year": ctx.year,
        "latest_year": None, "target_kind": entry["kind"], "target_value": value, "status": "", "warnings": "",
        "model": "", "plan": entry["plan"], "field": int(entry["field"]), "name_zh": entry["name_zh"], "unit": unit,
        "target_text": target_text(entry), "target_year": year, "breakdown": breakdown,
        "is_headline": breakdown == "total", "monitorable": bool(entry["monitorable"]), "status_zh": "",
        "reason": "", "reason_zh": "", "n_points": 0, "met_now": None, "basic_tolerance": 0.0, "pace_scale": "",
        "pace_zh": "", "year_reached": None, "year_reached_lo": None, "year_reached_hi": None,
        "year_reached_text": "", "towns_at_risk": "", "warning_codes": "", "severity": 0, "schedule": "",
        "schedule_zh": "", "fact_zh": "", "p_of_zh": "", "counts_zh": "",
    })
    return row


def _insufficient(row: dict, reason: str, reason_zh: str) -> dict:
    row.update(status="insufficient_data", reason=reason, reason_zh=reason_zh)
    return row


def _slack(entry: pd.Series, settings: AssessmentSettings) -> float:
    """The 基本实现 tolerance in the unit (0 when off)."""
    if not settings.basic_enabled or pd.isna(entry.get("value")):
        return 0.0
    return settings.basic_share * abs(float(entry["value"]))


def _check_series(row: dict, s: Series | None, ctx: Context, what: str = "") -> bool:
    """Fill the latest value and say whether there is enough to judge (else mark the row)."""
    st = ctx.settings
    if s is None:
        _insufficient(row, f"no data reported{what}", "未报送数据" + ("（" + what.strip(" ;") + "）" if what else ""))
        return False
    row.update(latest_year=s.latest_year, latest_value=s.latest_value, n_points=s.n)
    row["baseline_value"] = s.baseline(st.baseline_year, st.baseline_max_shift)[0]
    if s.n < st.min_points:
        _insufficient(row, f"too few points ({s.n}; at least {st.min_points} needed)",
                      f"观测值仅{s.n}个（至少需要{st.min_points}个），无法判断趋势")
        return False
    if ctx.mode != "final" and ctx.year - s.latest_year > st.max_data_age:  # final: its own lag rule
        _insufficient(row, f"latest value is from {s.latest_year}, more than {st.max_data_age} years before "
                           f"{ctx.year}", f"最近数值为{s.latest_year}年，距评估年份超过{st.max_data_age}年")
        return False
    return True


def _final_value(s: Series, ctx: Context) -> tuple[float, int | None]:
    """The value the final evaluation judges: the evaluation year's, else one at most
    ``final_max_lag`` years older."""
    for y in range(ctx.year, ctx.year - ctx.settings.final_max_lag - 1, -1):
        v = s.value_in(y)
        if np.isfinite(v):
            return v, y
    return math.nan, None


def _quantiles(row: dict, values: np.ndarray) -> None:
    q = np.quantile(values, [0.5, 0.1, 0.9])
    row.update(projection_2030=float(q[0]), lo80=float(q[1]), hi80=float(q[2]))


def _year_reached_fields(row: dict, first: np.ndarray, interval: float, latest_year: int) -> None:
    med, lo, hi = year_reached(first, interval)

    def as_year(v: float) -> int | None:
        return int(v) if np.isfinite(v) else None

    row.update(year_reached=as_year(med), year_reached_lo=as_year(lo), year_reached_hi=as_year(hi))

    def words(v: float) -> str:
        if not np.isfinite(v):
            return "2030年后"
        return "已达到" if v <= latest_year else f"{int(v)}年"

    if np.isfinite(med) and med <= latest_year and np.isfinite(hi) and hi <= latest_year:
        row["year_reached_text"] = f"已达到（{latest_year}年）"
    else:
        row["year_reached_text"] = f"{words(med)}（{int(round(100 * interval))}%区间：{words(lo)}—{words(hi)}）"


def _pace_fields(row: dict, s: Series, scale: Scale, target: float, target_year: int, ctx: Context,
                 met_level=None) -> Pace:
    """Observed annual change (least squares over the pace window, model scale) with its interval,
    the change still required from the line's current level to ``target`` by ``target_year``, and
    their ratio with the interval the observed change's gives. ``met_level(z)`` says whether a
    level on the model scale already meets the target (then nothing is required: no ratio)."""
    st = ctx.settings
    w = window(s, ctx.year, st.pace_window)
    pace = observed_pace(w.years, series_z(w, scale), st.pace_interval)
    row.update(pace_scale=scale.name, observed_annual_change=pace.slope, observed_change_lo=pace.lo,
               observed_change_hi=pace.hi)
    if np.isfinite(target) and np.isfinite(pace.level):
        tz = float(scale.to_z(np.array([target]))[0])
        required = required_pace(pace.level, tz, s.latest_year, target_year)
        row["required_annual_change"] = required
        if met_level is not None and met_level(pace.level):
            row["pace_zh"] = "已达到目标水平"
        else:
            ratio = pace_ratio(pace.slope, required)
            lo, hi = sorted((pace_ratio(pace.lo, required), pace_ratio(pace.hi, required)))
            row.update(pace_ratio=ratio, pace_ratio_lo=lo, pace_ratio_hi=hi, pace_zh=pace_band(ratio, st))
    return pace


def _level_met(level_z: float, scale: Scale, kind: str, target: float, tolerance: float, slack: float) -> bool:
    """Whether the trend line's current level is on the right side of the target."""
    return bool(meets(scale.to_unit(np.array([level_z])), kind, target, tolerance, slack)[0])


def _schedule(row: dict, entry: pd.Series, s: Series, paths: Paths | None, ctx: Context,
              tolerance: float, slack: float) -> None:
    """Mid-term comparison with the straight path from the 2020 baseline to the target value in
    the target year ("时间过半、任务过半"): the value in the evaluation year (observed, else the
    paths' median) against the straight path's value then."""
    st = ctx.settings
    kind, target, target_year = entry["kind"], float(entry["value"]), int(entry["year"])
    base = row["baseline_value"]
    if not np.isfinite(base) or target_year <= st.baseline_year:
        return
    y = ctx.year
    value = s.value_in(y)
    projected = False
    if not np.isfinite(value) and paths is not None and y in paths.years:
        value, projected = float(np.median(paths.values[:, int(np.flatnonzero(paths.years == y)[0])])), True
    if not np.isfinite(value):
        value = s.latest_value
    share_time = (y - st.baseline_year) / (target_year - st.baseline_year)
    expected = base + (target - base) * share_time
    row.update(value_at_year=value)
    note = "（预测值）" if projected else ""
    if bool(meets(base, kind, target, tolerance, slack)):  # no straight path to follow: no 直线进度值
        ok = bool(meets(value, kind, target, tolerance, slack))
        row.update(schedule="met" if ok else "behind", schedule_zh="基期已达标" + ("" if ok else "，现已回落") + note)
    else:
        row["expected_value"] = expected
        sign = 1.0 if target > base else -1.0
        gap = sign * (value - expected)
        share = (value - base) / (target - base)
        unit = row["unit"] or ""
        progress = ("已越过目标值" if share > 1 else "较基期反向变化" if share < 0 else f"完成进度{100 * share:.0f}%")
        row.update(schedule_gap=gap, progress_share=share, schedule="ahead" if gap >= 0 else "behind",
                   schedule_zh=(f"{'超前' if gap >= 0 else '滞后'}{fmt(abs(gap), '')}{difference_unit(unit)}"
                                f"（{progress}，时间进度{100 * share_time:.0f}%）{note}"))
    _schedule_against_status(row, target_year, ctx)


def _schedule_against_status(row: dict, target_year: int, ctx: Context) -> None:
    """When the schedule and the status point different ways, say why. The schedule compares one
    year's value with the straight path; the status is the chance of meeting the target in the
    target year (or every year): C1.9b is ahead of the straight path in 2024 yet 存在风险, because
    its trend turns back above the line before 2030. A reader told only "超前" would not see it."""
    status = row["status"]
    ahead = row["schedule"] in ("ahead", "met")
    if not ((ahead and status in ("at_risk", "off_track")) or (not ahead and status in ("achieved", "on_track"))):
        return
    word = row["status_zh"] or ctx.settings.label(status, ctx.mode)
    why = row["fact_zh"] or (f"按当前趋势{target_year}年达标的概率{chance(row['p_meet'], ctx.settings)}"
                             if pd.notna(row["p_meet"]) else "")
    row["schedule_zh"] += f"；{'但' if ahead else '虽滞后，但'}{why}，评为“{word}”" if why else f"；评为“{word}”"


def level_row(entry: pd.Series, area: str, sex: str, breakdown: str, ctx: Context
              ) -> tuple[dict, np.ndarray | None]:
    """The row of a target with a value (below, at_most, above, about, keep_above, keep_below)
    for one series, and the per-path "met" vector (for the joint over towns).

    Annual and midterm modes: P(meet) from the series' paths; achieved looks at the latest
    observed year. Final mode: the value of the evaluation year (or one at most
    ``final_max_lag`` older), met or not; a keep target also needs every year since the plan's start.
    """
    st = ctx.settings
    row = _base_row(entry, area, sex, breakdown, ctx)
    kind, target, target_year = entry["kind"], float(entry["value"]), int(entry["year"])
    tolerance = float(entry["tolerance"]) if pd.notna(entry.get("tolerance")) else 0.0
    slack = _slack(entry, st)
    row["basic_tolerance"] = slack
    unit = row["unit"] or ""
    s = ctx.series(entry["id"], area, sex)
    if not _check_series(row, s, ctx):
        return _finish(row, ctx), None
    met_now = bool(meets(s.latest_value, kind, target, tolerance, slack))
    met_strict = bool(meets(s.latest_value, kind, target, tolerance))
    row["met_now"] = met_now
    scale = ctx.scale(entry, area, sex)
    level_ok = functools.partial(_level_met, scale=scale, kind=kind, target=target, tolerance=tolerance, slack=slack)
    pace = _pace_fields(row, s, scale, target, target_year, ctx, level_ok)
    met_level = level_ok(pace.level) if np.isfinite(pace.level) else met_now
    breaks = past_breaks(s, kind, target, st.plan_start, tolerance, slack) if kind in KEEP_KINDS else []
    met = None
    paths = None
    if ctx.mode != "final" and _whole_count(s, unit, target, st):
        # one institution, one check-up a year: met or not, a fact; a trend through 0, 1, 2 says nothing
        row.update(status="achieved" if met_now else "at_risk", p_meet=math.nan,
                   fact_zh=(("已达到目标" if met_now else "尚未达到目标")
                            + f"（{unit}数为整数，能否达标取决于设立和保持，不作趋势预测）"))
        row["reason_zh"] = row["fact_zh"]
        _quality_warning(row, s, ctx)
        return _finish(row, ctx), None
    if ctx.mode == "final":
        value, vyear = _final_value(s, ctx)
        if vyear is None:
            return _finish(_insufficient(row, f"no value for {ctx.year} (latest {s.latest_year})",
                                         f"没有{ctx.year}年的数值（最近为{s.latest_year}年）"), ctx), None
        ok = bool(meets(value, kind, target, tolerance, slack)) and not breaks
        strict = bool(meets(value, kind, target, tolerance)) and not (
            kind in KEEP_KINDS and past_breaks(s, kind, target, st.plan_start, tolerance))
        row.update(p_meet=1.0 if ok else 0.0, status="achieved" if ok else "off_track",
                   value_at_year=value, met_now=ok)
        row["reason_zh"] = f"以{vyear}年数值{fmt(value, unit)}判断" + (
            "；" + "、".join(f"{y}年{fmt(v, unit)}" for y, v in breaks) + "未达到目标" if breaks else "")
        if ok and not strict:
            row["status_zh"] = st.basic_label
    else:
        paths, why = ctx.paths(entry["id"], area, sex)
        if paths is None:
            return _finish(_insufficient(row, why, "该序列没有预测（" + engine_reason_zh(why) + "）"), ctx), None
        row["model"] = paths.model
        years, values = paths.years, paths.values
        if target_year <= s.latest_year:
            observed = s.value_in(target_year)
            met = np.full(len(values), bool(meets(observed, kind, target, tolerance, slack)))
        else:
            met = met_on_paths(values, years, kind, target, target_year, tolerance, slack,
                               ctx.check_years.get((entry["id"], area, sex)), met_now)
            _quantiles(row, values[:, int(np.flatnonzero(years == target_year)[0])])
        p = probability(met)
        cols = years <= target_year
        ok = meets(values[:, cols], kind, target, tolerance, slack)
        _year_reached_fields(row, first_year_met(ok, years[cols], met_now, s.latest_year, kind in KEEP_KINDS),
                             st.pace_interval, s.latest_year)
        if kind in KEEP_KINDS:
            reach = kinds.get(kind).reach_first and not met_now and not breaks
            row["p_of_zh"] = (f"{target_year}年前达到目标并此后每年保持" if reach
                              else f"{s.latest_year + 1}—{target_year}年每年均达到目标")
        if breaks:
            # a year of the plan period already missed is a fact, not a chance: "met every year"
            # can no longer happen; what remains open is every year from now on
            row.update(p_meet=0.0, p_ahead=p, status="off_track", status_zh=st.broken_label,
                       fact_zh="、".join(f"{y}年{fmt(v, unit)}" for y, v in breaks)
                       + "未达到目标，规划期内每年达标已不能实现")
            row["reason_zh"] = f"{row['fact_zh']}；{row['p_of_zh']}的概率{chance(p, st)}"
        else:
            row.update(p_meet=p, status=level_status(p, met_now, st.likely, st.unlikely))
            if row["status"] == "achieved" and not met_strict:
                row["status_zh"] = st.basic_label
            if row["status"] in ("at_risk", "off_track"):
                words = "每年均达标" if kind in KEEP_KINDS else "达标"
                _add_warning(row, "difficult",
                             f"到{target_year}年{words}的概率{chance(p, st)}（{st.label(row['status'])}）",
                             st, 1 if row["status"] == "off_track" else 0)
            if met_now and row["status"] in ("at_risk", "off_track"):
                row["reason_zh"] = f"{s.latest_year}年已达标，但预计难以保持"
    if breaks:
        since = "达到目标后又" if kinds.get(kind).reach_first else f"{st.plan_start}年以来"
        _add_warning(row, "past_break", f"{since}有年份未达到目标：" + "、".join(
            f"{y}年{fmt(v, unit)}" for y, v in breaks), st)
    counts = _series_warnings(row, entry, s, scale, pace, kind, target, tolerance, slack, met_level, ctx)
    if counts is not None and counts["below_one"] and ctx.mode != "final":
        # the published value can be 0 or at least one event's worth: say it in events
        k = s.numerator[-1]
        row["counts_zh"] = (f"{s.latest_year}年{'发生' + format(k, 'g') + '例' if np.isfinite(k) else ''}"
                            f"（分母约{counts['n']:,.0f}，1例即相当于{fmt(counts['one'], unit, 3)}）；"
                            f"目标{fmt(target, unit)}低于1例对应的数值，即当年不能发生1例")
        row["p_of_zh"] = f"{target_year}年不发生1例"
    _schedule(row, entry, s, paths, ctx, tolerance, slack)
    return _finish(row, ctx), met


def _toward(kind: str, target: float, level: float, scale: Scale) -> int:
    """The direction of movement toward the target (+1 up, −1 down; for a band, toward its centre)."""
    sd = side(kind)
    if sd != 0:
        return sd
    return 1 if target > float(scale.to_unit(np.array([level]))[0]) else -1


def _whole_count(s: Series, unit: str, target: float, settings: AssessmentSettings) -> bool:
    """A count of things (unit kind ``count``: 所, 次) with a target of a few (at most
    ``whole_count_max``) and only whole numbers observed: the value moves only when an institution
    opens or closes, so it is judged on what it is, not on a trend."""
    spec = parse.units().get(unit) or {}
    return (spec.get("kind") == "count" and target <= settings.whole_count_max
            and bool(np.all(np.isclose(s.values, np.round(s.values)))))


def _series_warnings(row: dict, entry: pd.Series, s: Series, scale: Scale, pace: Pace, kind: str, target: float,
                     tolerance: float, slack: float, met_level: bool, ctx: Context) -> dict | None:
    """趋势逆转, 波动较大 (own noise; small counts) and 数据质量 for a target with a value; returns the
    small-count figures (:func:`small_counts`) when the rate rests on so few events."""
    st = ctx.settings
    unit = row["unit"] or ""
    z = series_z(s, scale)
    level_unit = float(scale.to_unit(np.array([pace.level]))[0]) if np.isfinite(pace.level) else s.latest_value
    if not (side(kind) == 0 and met_level):  # inside a band: no direction to reverse
        sign = _toward(kind, target, pace.level, scale)
        if reversal(s.years, z, sign, pace.sigma, st.reversal_run, st.reversal_min_sd):
            change = s.values[-1] - s.values[-2]
            _add_warning(row, "reversal", f"此前连续{st.reversal_run}年向目标方向变化，{s.latest_year}年反向变化"
                                          f"{fmt_difference(change, unit)}（超过年度波动）", st)
    change = required_change(row["baseline_value"], kind, target, tolerance)
    counts = small_counts(s, level_unit, target, kind, scale.per, change) \
        if scale.family in ("poisson", "binomial") else None
    if counts is not None:
        text = (f"按最近一年分母约{counts['n']:,.0f}计，1例即相当于{fmt(counts['one'], unit, 3)}，"
                f"一年数值的抽样波动约±{fmt_difference(counts['sd'], unit)}")
        if counts["below_one"]:
            text += f"；目标{fmt(target, unit)}低于1例对应的数值，意味着全年不能发生1例"
        else:
            text += (f"，大于规划要求的全部变化（由基期的{fmt(row['baseline_value'], unit)}到目标"
                     f"{fmt(target, unit)}，{fmt_difference(counts['change'], unit)}）")
        text += "；单一年份的数值无法反映所需的变化，宜用多年合计数值评估"
        _add_warning(row, "small_counts", text, st)
    else:
        inside = _distance(pace.level, scale, kind, target, tolerance, slack)
        hit = volatility(pace.sigma, row["required_annual_change"], inside, st)
        if hit is not None:
            noise_unit = pace.sigma * scale.unit_per_z(level_unit)
            if hit[0] == "near":
                text = (f"当前水平约{fmt(level_unit, unit)}，距目标线仅约{hit[1]:.1f}个年度波动标准差"
                        f"（年度波动约±{fmt_difference(noise_unit, unit)}），个别年份可能落在目标线的另一侧")
            else:
                need = row["required_annual_change"] * scale.unit_per_z(level_unit)
                text = (f"年度波动约±{fmt_difference(noise_unit, unit)}，是每年所需变化（{fmt_difference(need, unit)}）"
                        f"的{hit[1]:.1f}倍，"
                        "单一年份的变化难以说明进度")
            _add_warning(row, "volatile", text, st)
    _quality_warning(row, s, ctx)
    return counts


def _distance(level: float, scale: Scale, kind: str, target: float, tolerance: float, slack: float) -> float:
    """How far (model scale) the current level lies inside the target: from the target line, or
    from the nearer edge of a band (``about``; negative when outside)."""
    if side(kind) == 0:
        lo_z, hi_z = scale.to_z(np.array([target - tolerance - slack, target + tolerance + slack]))
        return float(min(level - lo_z, hi_z - level))
    line = target - side(kind) * slack
    return float(side(kind) * (level - scale.to_z(np.array([line]))[0]))


def _finish(row: dict, ctx: Context) -> dict:
    """Fill the status label (the 基本实现 word and the final mode's words included)."""
    if not row["status_zh"]:
        row["status_zh"] = ctx.settings.label(row["status"], ctx.mode)
    if row["status"] == "insufficient_data" and not row["reason_zh"]:
        row["reason_zh"] = row["reason"]
    return row
