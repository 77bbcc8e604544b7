"""Targets without a number: direction (逐步提高 / 逐步下降), gap narrowing (差距缩小), relative to a
comparator, and qualitative targets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.report.labels import GAP_LABELS, engine_reason_zh
from analysis.report.numbers import chance, difference_unit, fmt, fmt_difference
from analysis.scorecard.context import Context, Series, series_z, window
from analysis.scorecard.pace import observed_pace
from analysis.scorecard.probability import (
    direction_probabilities,
    direction_status,
    first_year_met,
    level_status,
    met_relative,
    p_beyond,
    probability,
)
from analysis.scorecard.rows import (
    _base_row,
    _check_series,
    _final_value,
    _finish,
    _insufficient,
    _pace_fields,
    _quantiles,
    _year_reached_fields,
)
from analysis.scorecard.warnings import _add_warning, _quality_warning, gap_widening, reversal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DirectionTest:
    """What a direction target's value in the target year is set against: it meets the plan's words
    when it lies beyond ``reference`` in direction ``sign`` (ties count half); ``what`` says the
    reference in words."""

    reference: float
    sign: int
    what: str


def direction_test(entry: pd.Series, s: Series, base: float, target_year: int, ctx: Context,
                   final: bool) -> DirectionTest | str:
    """The test of a direction target's wording (docs/assessment.md, "The target as the plan
    words it"), or the reason it cannot be made (Chinese).

    逐步提高 / 逐步下降 (``increase`` / ``decrease``): beyond the latest observed value (the
    baseline at the final evaluation); 明显 (``marked``): beyond the baseline by ``marked_change`` of
    it; 上升趋势得到有效控制 (``rise_curbed``): not above the baseline — no net rise over the plan
    period; 上升趋势减缓 (``rise_slowed``): below the pre-baseline trend carried on from the
    baseline — the annual change since the baseline lower than before it.
    """
    st = ctx.settings
    unit = entry["unit"] or ""
    direction = entry["direction"]
    by = st.baseline_year
    needs_base = direction in ("rise_curbed", "rise_slowed") or entry.get("marked") is True or final
    if needs_base and not np.isfinite(base):
        return f"缺少基期（{by}年）的数值"
    if direction == "rise_curbed":
        return DirectionTest(base, -1, f"基期（{by}年，{fmt(base, unit)}）")
    if direction == "rise_slowed":
        before = s.years <= by
        if before.sum() < st.min_points:
            return (f"需要基期（{by}年）及以前至少{st.min_points}年的数值，才能比较基期前后的上升速度"
                    f"（现有{int(before.sum())}年）")
        slope = float(np.polyfit(s.years[before].astype(float), s.values[before], 1)[0])
        ref = base + slope * (target_year - by)
        move = "上升" if slope >= 0 else "下降"
        return DirectionTest(ref, -1, f"按基期前（{int(s.years[before][0])}—{by}年）年均{move}"
                                      f"{fmt(abs(slope), '')}{difference_unit(unit)}的速度延续到{target_year}年的"
                                      f"{fmt(ref, unit)}")
    sign = 1 if direction == "increase" else -1
    if entry.get("marked") is True:
        ref = base * (1 + sign * st.marked_change)
        return DirectionTest(ref, sign, f"较基期（{by}年，{fmt(base, unit)}）{'提高' if sign > 0 else '下降'}"
                                        f"{100 * st.marked_change:g}%的{fmt(ref, unit)}")
    if final:
        return DirectionTest(base, sign, f"基期（{by}年，{fmt(base, unit)}）")
    return DirectionTest(s.latest_value, sign, f"{s.latest_year}年（{fmt(s.latest_value, unit)}）")


def direction_row(entry: pd.Series, area: str, sex: str, breakdown: str, ctx: Context) -> dict:
    """The row of a direction target (逐步提高, 逐步下降, 明显下降, 上升趋势减缓, 上升趋势得到有效控制):
    P(the target-year value lies beyond the reference of its test, :func:`direction_test`), ties
    half; final mode: the evaluation year's observed value against it."""
    st = ctx.settings
    row = _base_row(entry, area, sex, breakdown, ctx)
    target_year = int(entry["year"]) if pd.notna(entry["year"]) else st.final_year
    s = ctx.series(entry["id"], area, sex)
    if not _check_series(row, s, ctx):
        return _finish(row, ctx)
    scale = ctx.scale(entry, area, sex)
    w = window(s, ctx.year, st.pace_window)
    pace = observed_pace(w.years, series_z(w, scale), st.pace_interval)
    row.update(pace_scale=scale.name, observed_annual_change=pace.slope, observed_change_lo=pace.lo,
               observed_change_hi=pace.hi)
    unit = row["unit"] or ""
    base = row["baseline_value"]
    if ctx.mode == "final":
        value, vyear = _final_value(s, ctx)
        if vyear is None:
            return _finish(_insufficient(row, "no value for the evaluation year",
                                         f"缺少评估年份（{ctx.year}年）的数值"), ctx)
        test = direction_test(entry, s, base, vyear, ctx, final=True)
        if isinstance(test, str):
            return _finish(_insufficient(row, "no baseline to compare with", test), ctx)
        p = p_beyond(np.array([value]), test.reference, test.sign)
        row.update(p_meet=p, value_at_year=value, status={1.0: "improving", 0.0: "worsening"}.get(p, "no_clear_change"),
                   reason_zh=f"{vyear}年{fmt(value, unit)}，对照{test.what}")
        sign = test.sign
    else:
        test = direction_test(entry, s, base, target_year, ctx, final=False)
        if isinstance(test, str):
            return _finish(_insufficient(row, "the test of the wording cannot be made", test), ctx)
        paths, why = ctx.paths(entry["id"], area, sex)
        if paths is None:
            return _finish(_insufficient(row, why, "该序列没有预测（" + engine_reason_zh(why) + "）"), ctx)
        row["model"] = paths.model
        if target_year not in paths.years:
            return _finish(_insufficient(row, f"the paths do not reach {target_year}",
                                         f"预测未覆盖{target_year}年"), ctx)
        vT = paths.values[:, int(np.flatnonzero(paths.years == target_year)[0])]
        _quantiles(row, vT)
        sign = test.sign
        better, worse = direction_probabilities(vT, test.reference, sign)
        p = p_beyond(vT, test.reference, sign)
        row.update(p_meet=p, status=direction_status(better, worse, st.likely))
        row["p_of_zh"] = f"{target_year}年数值{'高' if sign > 0 else '低'}于{test.what}"
        row["reason_zh"] = (f"{row['p_of_zh']}的概率{chance(better, st)}，"
                            f"{'低' if sign > 0 else '高'}于它的概率{chance(worse, st)}")
        if reversal(s.years, series_z(s, scale), sign, pace.sigma, st.reversal_run, st.reversal_min_sd):
            back = fmt_difference(s.values[-1] - s.values[-2], row["unit"] or "")
            _add_warning(row, "reversal", f"此前连续{st.reversal_run}年向规划方向变化，{s.latest_year}年反向变化"
                                          f"{back}（超过年度波动）", st)
    _quality_warning(row, s, ctx)
    return _finish(row, ctx)


def _gap_pair(entry: pd.Series, ctx: Context) -> tuple[tuple, tuple | None, str, str]:
    """The two series whose gap should narrow (urban vs rural, or female vs male, of ``gap_of``),
    or the entry's own series (the gap itself) when ``gap_of`` is absent; and what they are, in
    English and Chinese."""
    if entry.get("gap_of"):
        src = entry["gap_of"]
        if entry["gap"] == "urban_rural":
            return ((src, "urban", "total"), (src, "rural", "total"), f"the urban and rural series of {src}",
                    f"{src}的城镇与农村")
        return ((src, ctx.area, "female"), (src, ctx.area, "male"), f"the female and male series of {src}",
                f"{src}的女性与男性")
    return (entry["id"], ctx.area, "total"), None, "the gap's own series", "本指标（差距本身）"


def _gap_series(a: Series, b: Series | None) -> Series:
    """The absolute gap between two series in the years both have (or |own series|)."""
    if b is None:
        return Series(a.years, np.abs(a.values), a.numerator * np.nan, a.denominator * np.nan, a.flags)
    common, ia, ib = np.intersect1d(a.years, b.years, return_indices=True)
    flags = tuple(";".join(filter(None, [a.flags[i], b.flags[j]])) for i, j in zip(ia, ib, strict=True))
    nan = np.full(len(common), np.nan)
    return Series(common, np.abs(a.values[ia] - b.values[ib]), nan, nan, flags)


def narrow_row(entry: pd.Series, ctx: Context) -> dict:
    """The row of a gap that should narrow: P(|A − B| in the target year < the latest observed
    gap), A and B the two groups' paths paired as independent draws (ties half); the row's values
    are the gap (in the unit). Final mode: the gap in the evaluation year against the baseline's."""
    st = ctx.settings
    row = _base_row(entry, ctx.area, "total", "total", ctx)
    key_a, key_b, what, what_zh = _gap_pair(entry, ctx)
    a = ctx.series(*key_a)
    b = ctx.series(*key_b) if key_b is not None else None
    if a is None or (key_b is not None and b is None):
        _insufficient(row, f"no data reported for {what}", f"未报送{what_zh}数据")
        return _finish(row, ctx)
    g = _gap_series(a, b)
    if not _check_series(row, g, ctx):
        return _finish(row, ctx)
    unit = row["unit"] or ""
    label = GAP_LABELS.get(entry.get("gap") or "", "差距")
    w = window(g, ctx.year, st.pace_window)
    pace = observed_pace(w.years, w.values, st.pace_interval)
    row.update(pace_scale="linear (gap)", observed_annual_change=pace.slope, observed_change_lo=pace.lo,
               observed_change_hi=pace.hi)
    target_year = int(entry["year"]) if pd.notna(entry["year"]) else st.final_year
    if ctx.mode == "final":
        value, vyear = _final_value(g, ctx)
        base = row["baseline_value"]
        if vyear is None or not np.isfinite(base):
            return _finish(_insufficient(row, "no gap for the evaluation year or the baseline",
                                         f"缺少评估年份或基期（{ctx.settings.baseline_year}年）的差距"), ctx)
        p = p_beyond(np.array([value]), base, -1)
        row.update(p_meet=p, value_at_year=value, status={1.0: "improving", 0.0: "worsening"}.get(p, "no_clear_change"),
                   reason_zh=f"{label}{vyear}年为{fmt(value, unit)}，基期为{fmt(base, unit)}")
    else:
        _judged_narrowing(row, entry, ctx, label, unit, target_year)
    widening = gap_widening(w.years, w.values, st.gap_widening_z)
    if widening or row["status"] == "worsening":
        first_year = int(w.years[0])
        _add_warning(row, "gap_widening", f"{label}由{first_year}年的{fmt(float(w.values[0]), unit)}变为"
                                          f"{g.latest_year}年的{fmt(g.latest_value, unit)}"
                                          + ("，呈扩大趋势" if widening else "，预计难以缩小"), st)
    _quality_warning(row, g, ctx)
    return _finish(row, ctx)


def _judged_narrowing(row: dict, entry: pd.Series, ctx: Context, label: str, unit: str, target_year: int) -> None:
    """Fill a narrowing row from the one judgement the gaps page shows too
    (:func:`analysis.gaps.narrowing.narrowing_judgement`, thresholds of ``params/gaps.yaml``)."""
    from analysis.gaps.narrowing import narrowing_judgement
    from analysis.gaps.settings import GapSettings, Inputs
    from analysis.gaps.towns import published_decimals

    gs = GapSettings.from_params()
    j = narrowing_judgement(entry, Inputs(ctx.observations, ctx.models), ctx.catalog, gs)
    keys = [(entry["gap_of"], "urban", "total"), (entry["gap_of"], "rural", "total")] if entry.get("gap") == \
        "urban_rural" else [(entry["gap_of"], ctx.area, "female"), (entry["gap_of"], ctx.area, "male")]
    models = [m["model"] for k in (keys if entry.get("gap_of") else [(entry["id"], ctx.area, "total")])
              if (m := ctx.model(*k)) is not None]
    row["model"] = " | ".join(models)
    if j["status"] == "insufficient_data":
        _insufficient(row, j["reason"], j["reason"])
        return
    row.update(p_meet=float(j["p_narrower"]), status=j["status"], projection_2030=float(abs(j["gap_2030"])))
    first = gs.horizon - gs.window_years + 1
    places = published_decimals(ctx.catalog, entry["gap_of"] or entry["id"])
    now = ("计数过少，不公布数值" if j["now_small"]
           else f"近{gs.window_years}年平均为{abs(j['gap_now']):.{places}f}{difference_unit(unit)}")
    if j["now_small"]:
        row["counts_zh"] = "各年计数过少，单一年份的差距不公布"
    row["p_of_zh"] = f"{first}—{gs.horizon}年平均{label}小于近{gs.window_years}年平均"
    row["reason_zh"] = (f"{label}：{now}；{first}—{gs.horizon}年平均差距小于此的概率"
                        f"{chance(j['p_narrower'], ctx.settings)}，"
                        f"同向扩大的概率{chance(j['p_wider'], ctx.settings)}")


def relative_row(entry: pd.Series, ctx: Context) -> dict:
    """The row of a target set against another indicator (党代表中女党员比例 不低于 女党员比例):
    P(own − other ≥ 0) in the target year, on the two series' paths paired as independent
    draws. ``target_value`` is the other indicator's value in the latest year both have."""
    st = ctx.settings
    row = _base_row(entry, ctx.area, "total", "total", ctx)
    other_id, comparison = entry["relative_to"], entry["comparison"]
    other_name = f"{ctx.catalog.entry(other_id)['name_zh']}（{other_id}）"
    s = ctx.series(entry["id"], ctx.area, "total")
    o = ctx.series(other_id, ctx.area, "total")
    if not _check_series(row, s, ctx):
        if s is not None and o is not None and len(common := np.intersect1d(s.years, o.years)):
            # a share set at each congress (2016, 2021): too few values for a trend, but the last
            # congress against the comparator that year is a fact worth stating
            y0 = int(common[-1])
            own0, other0 = s.value_in(y0), o.value_in(y0)
            ok = bool(met_relative(np.array([own0]), np.array([other0]), comparison)[0])
            word = "不低于" if comparison == "at_least" else "不高于"
            row["reason_zh"] += (f"；{y0}年为{fmt(own0, row['unit'] or '')}，同年{other_name}为"
                                 f"{fmt(other0, row['unit'] or '')}，{'' if ok else '未'}{word}后者")
        return _finish(row, ctx)
    if o is None:
        return _finish(_insufficient(row, f"no data reported for {other_id}", f"未报送对比指标{other_name}的数据"), ctx)
    common = np.intersect1d(s.years, o.years)
    unit = row["unit"] or ""
    slack = st.basic_share * abs(o.latest_value) if st.basic_enabled else 0.0
    row["basic_tolerance"] = slack
    if len(common):
        y0 = int(common[-1])
        own0, other0 = s.value_in(y0), o.value_in(y0)
        row["target_value"] = other0
        met_now = bool(met_relative(np.array([own0]), np.array([other0]), comparison, slack)[0])
        row["met_now"] = met_now
    else:
        met_now = False
    target_year = int(entry["year"]) if pd.notna(entry["year"]) else st.final_year
    scale = ctx.scale(entry, ctx.area, "total")
    word = "不低于" if comparison == "at_least" else "不高于"
    if ctx.mode == "final":
        v, vy = _final_value(s, ctx)
        ov, oy = _final_value(o, ctx)
        if vy is None or oy is None:
            return _finish(_insufficient(row, f"no value for {ctx.year}", f"没有{ctx.year}年的数值"), ctx)
        ok = bool(met_relative(np.array([v]), np.array([ov]), comparison, slack)[0])
        row.update(p_meet=1.0 if ok else 0.0, status="achieved" if ok else "off_track", value_at_year=v,
                   target_value=ov, reason_zh=f"{vy}年{fmt(v, unit)}，{other_name}{oy}年{fmt(ov, unit)}")
        return _finish(row, ctx)
    ps, why = ctx.paths(entry["id"], ctx.area, "total")
    po, why_o = ctx.paths(other_id, ctx.area, "total")
    if ps is None or po is None:
        why_zh = engine_reason_zh(why or why_o)
        return _finish(_insufficient(row, why or why_o, f"该序列或对比序列没有预测（{why_zh}）"), ctx)
    row["model"] = f"{ps.model} | {other_id}: {po.model}"
    own_T = ps.values[:, int(np.flatnonzero(ps.years == target_year)[0])]
    other_T = po.values[:, int(np.flatnonzero(po.years == target_year)[0])]
    _quantiles(row, own_T)
    met = met_relative(own_T, other_T, comparison, slack)
    p = probability(met)
    row.update(p_meet=p, status=level_status(p, met_now, st.likely, st.unlikely))
    d = np.quantile(own_T - other_T, [0.5, 0.1, 0.9])
    row["reason_zh"] = (f"{target_year}年与{other_name}之差的中位数{fmt(d[0], unit)}（80%区间{fmt(d[1], unit)}至"
                        f"{fmt(d[2], unit)}），两序列的模拟路径视为相互独立")
    target_now = float(np.median(other_T))
    _pace_fields(row, s, scale, target_now, target_year, ctx, lambda z: bool(met_relative(
        scale.to_unit(np.array([z])), np.array([target_now]), comparison)[0]))
    common_years = np.intersect1d(ps.years, po.years)
    common_years = common_years[common_years <= target_year]
    if len(common_years):
        ia = np.searchsorted(ps.years, common_years)
        ib = np.searchsorted(po.years, common_years)
        ok = met_relative(ps.values[:, ia], po.values[:, ib], comparison, slack)
        _year_reached_fields(row, first_year_met(ok, common_years, met_now, s.latest_year, False),
                             st.pace_interval, s.latest_year)
    if row["status"] in ("at_risk", "off_track"):
        _add_warning(row, "difficult", f"到{target_year}年{word}{other_name}的概率{chance(p, st)}"
                                       f"（{st.label(row['status'])}）", st, 1 if row["status"] == "off_track" else 0)
    _quality_warning(row, s, ctx)
    return _finish(row, ctx)


def qualitative_row(entry: pd.Series, ctx: Context) -> dict:
    """A qualitative target: listed, not scored."""
    row = _base_row(entry, ctx.area, "total", "total", ctx)
    row.update(status="qualitative", reason="qualitative target: listed, not scored",
               reason_zh="定性目标：列出，不评分")
    return _finish(row, ctx)
