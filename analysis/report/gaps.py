"""The tables and sentences of the gaps page (Chinese and English), small numbers suppressed."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis import config
from analysis.catalog import Catalog, target_text
from analysis.gaps.measures import is_small
from analysis.gaps.pairs import GapResult
from analysis.gaps.settings import GROUPS, GapSettings
from analysis.gaps.towns import published_decimals, town_labels, town_units, town_values
from analysis.report.labels import (
    FUNNEL_VERDICT_LABELS,
    GAP_GROUPS_EN,
    GAP_STATUS_LABELS,
    GAP_STATUS_LABELS_EN,
    GAP_TARGET_LABELS,
    MEMBERSHIP_LABELS,
    PARITY_POSITION_LABELS,
    POSITION_LABELS,
    area_en,
    area_label,
    engine_reason_zh,
)
from analysis.report.sentences import probability_number
from analysis.scorecard.settings import load_settings

log = logging.getLogger(__name__)


def published_value(value: float, small: bool, settings: GapSettings, decimals: int = 1) -> str:
    """A value as a published table shows it: suppressed ("不足5例") or marked ("†") when it rests
    on fewer than ``min_events`` events, "—" when missing."""
    if value is None or not np.isfinite(value):
        return "—"
    if small and settings.small_numbers_action == "suppress":
        return f"不足{settings.min_events}例"
    text = f"{value:.{decimals}f}"
    return text + "†" if small else text


def small_numbers_note(settings: GapSettings, lang: str = "zh") -> str:
    """The footnote every published table with suppressed cells carries (Chinese; ``lang="en"``: English)."""
    if lang == "en":
        if settings.small_numbers_action == "suppress":
            return (f"Note: values resting on fewer than {settings.min_events} events (numerator) are not published "
                    f"(shown as \"<{settings.min_events}\"); the analysis and projections still use all counts.")
        return (f"Note: values marked \"†\" rest on fewer than {settings.min_events} events (numerator): they "
                "fluctuate a lot and should not be read on their own; the analysis and projections use all counts.")
    if settings.small_numbers_action == "suppress":
        return (f"注：基于少于 {settings.min_events} 例（分子）的数值不公布，表中记为“不足{settings.min_events}例”；"
                "分析和预测仍使用全部计数。")
    return (f"注：带“†”的数值基于少于 {settings.min_events} 例（分子），随机波动大，不宜单独解读；"
            "分析和预测使用全部计数。")


def town_table(observations: pd.DataFrame, cat: Catalog, indicator_id: str, settings: GapSettings,
               units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published town table: the district and every town by year, small numbers suppressed,
    years outside a town's membership written "已划出" / "未划入" (not left blank)."""
    units = town_units() if units is None else units
    vals = town_values(observations, indicator_id, units)
    if vals.empty:
        return pd.DataFrame({"说明": [f"没有 {indicator_id} 的分镇（街道）数据"]})
    decimals = published_decimals(cat, indicator_id)
    years = sorted(vals["year"].unique())
    district = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == "district")
                            & (observations["sex"] == "total")].set_index("year")
    prof = config.profile()
    rows = {f"{prof.name}（{prof.whole}）": {"类型": prof.whole, **{
        int(y): published_value(district["value"].get(y, np.nan),
                        bool(is_small(district["numerator"].get(y, np.nan), settings.min_events)), settings, decimals)
        for y in years}}}
    types = dict(zip(units["town"], units["type"], strict=True))
    names = town_labels(units)
    for town, g in vals.groupby("town", sort=False):
        cells: dict[Any, str] = {"类型": types.get(town, "")}
        for r in g.itertuples():
            if r.membership in MEMBERSHIP_LABELS:
                cells[int(r.year)] = MEMBERSHIP_LABELS[r.membership]
            else:
                small = bool(is_small(r.numerator, settings.min_events))
                cells[int(r.year)] = published_value(r.value, small, settings, decimals)
        rows[names[town]] = cells
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "地区"
    return table


def _fmt(x: Any, decimals: int = 2, signed: bool = False) -> str:
    """A number for a table ("—" when missing), optionally with its sign."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)) or pd.isna(x):
        return "—"
    return f"{x:+.{decimals}f}" if signed else f"{x:.{decimals}f}"


def _diff_unit(unit: str) -> str:
    """The unit of a difference: percentage points for %, else the unit itself."""
    return "百分点" if unit == "%" else unit


def _who_en(kind: str, code: str) -> str:
    focus, reference = GAP_GROUPS_EN[kind]["who"]
    return {"focus": f"{focus} worse off", "reference": f"{reference} worse off", "parity": "parity"}.get(code, "—")


@functools.lru_cache(maxsize=4)
def _names_en(path: str) -> dict[str, str]:
    from analysis.catalog import load_catalog

    return {str(k): str(v) for k, v in load_catalog(path).indicators["name_en"].items()}


def _name_en(indicator_id: str, name_zh: str, cat: Catalog | None = None) -> str:
    """The catalog's English name of an indicator (the default catalog's when none is given)."""
    if cat is not None and indicator_id in cat.indicators.index:
        return str(cat.indicators.loc[indicator_id, "name_en"])
    return _names_en(str(config.DEFAULT_CATALOG)).get(indicator_id, name_zh)


def _publish_en(text: str, settings: GapSettings) -> str:
    return text.replace(f"不足{settings.min_events}例", f"<{settings.min_events}")


def _who(kind: str, code: str) -> str:
    """Who is worse off, in Chinese, from a ``disadvantaged`` code."""
    focus, reference = GROUPS[kind]["who"]
    return {"focus": f"{focus}处于不利", "reference": f"{reference}处于不利", "parity": "均等"}.get(code, "—")


def gap_table(result: GapResult, cat: Catalog, settings: GapSettings, scopes: Sequence[str] | None = None,
              lang: str = "zh") -> pd.DataFrame:
    """The published summary of sex or urban–rural gaps, one row per indicator and area, with
    values built on fewer than ``min_events`` events suppressed. Differences are in the
    indicator's unit (named with the indicator; percentage points for %). ``lang="en"``: English."""
    if lang == "en":
        return _gap_table_en(result, cat, settings, scopes)
    s = result.summary
    if s.empty:
        return pd.DataFrame({"说明": ["所选指标没有可比较的两组数值"]})
    if scopes is not None:
        s = s[s["scope"].isin(list(scopes))]
    kind = result.kind
    fl, rl = GROUPS[kind]["labels"]
    assessment = load_settings()  # the probability's rounding, read once for the table
    rows = []
    for r in s.itertuples():
        d = published_decimals(cat, r.indicator_id)
        small_any = r.focus_small or r.reference_small
        hidden = small_any and settings.small_numbers_action == "suppress"
        interval = (f"{_fmt(r.gap_2030, d, True)}（{_fmt(r.gap_lo80, d, True)}～{_fmt(r.gap_hi80, d, True)}）"
                    if np.isfinite(r.gap_2030) else "—")
        rows.append({
            "指标": f"{r.indicator_id} {r.name_zh}（{r.unit}）", "地区": area_label(r.scope),
            "最新年份": r.latest_year,
            fl: published_value(r.focus_latest, r.focus_small, settings, d),
            rl: published_value(r.reference_latest, r.reference_small, settings, d),
            f"差值（{fl}−{rl}）": published_value(r.difference_latest, small_any, settings, d),
            f"比值（{fl}/{rl}）": published_value(r.ratio_latest, small_any, settings, 3),
            "调整后均等指数": published_value(r.gpi_latest, small_any, settings, 3),
            "处于不利的一方": "—" if hidden else _who(kind, r.disadvantaged_latest),
            "基期差值（三年平均）": _with_years(published_value(r.baseline_gap, r.baseline_small, settings, d),
                                        r.baseline_years),
            "近期差值（三年平均）": _with_years(published_value(r.latest_gap, r.latest_small, settings, d),
                                        r.latest_years),
            "基期以来差距大小的变化": _change_text(r.change_abs, r.baseline_small or r.latest_small, settings, d),
            f"{settings.horizon}年预测差值（80%区间）": interval,
            "缩小的概率": probability_number(r.p_narrower, settings=assessment),
            "扩大的概率": probability_number(r.p_wider, settings=assessment),
            "判断": GAP_STATUS_LABELS[r.status] + (f"（{engine_reason_zh(r.note)}）" if r.note else ""),
        })
    return pd.DataFrame(rows)


def _gap_table_en(result: GapResult, cat: Catalog, settings: GapSettings, scopes: Sequence[str] | None
                  ) -> pd.DataFrame:
    s = result.summary
    if s.empty:
        return pd.DataFrame({"Note": ["No indicator has values of both groups to compare"]})
    assessment = load_settings()  # the probabilities rounded as in the Chinese table
    if scopes is not None:
        s = s[s["scope"].isin(list(scopes))]
    kind = result.kind
    fl, rl = GAP_GROUPS_EN[kind]["labels"]
    units = {"/10万": "per 100,000", "岁": "years", "元": "yuan", "人": "persons", "名": "persons", "年": "years",
             "小时": "hours", "课时": "class hours", "分钟": "minutes", "名/千名儿童": "per 1,000 children",
             "张/千名儿童": "per 1,000 children", "次": "times", "所": "schools", "家": "", "个": ""}

    def pub(value: float, small: bool, decimals: int) -> str:
        return _publish_en(published_value(value, small, settings, decimals), settings)

    def change(r: Any, d: int) -> str:
        text = _change_text(r.change_abs, r.baseline_small or r.latest_small, settings, d)
        return text.replace("不变", "unchanged").replace("缩小", "narrower by").replace("扩大", "wider by")

    rows = []
    for r in s.itertuples():
        d = published_decimals(cat, r.indicator_id)
        small_any = r.focus_small or r.reference_small
        hidden = small_any and settings.small_numbers_action == "suppress"
        interval = (f"{_fmt(r.gap_2030, d, True)} ({_fmt(r.gap_lo80, d, True)} to {_fmt(r.gap_hi80, d, True)})"
                    if np.isfinite(r.gap_2030) else "—")
        unit = units.get(r.unit, r.unit)
        rows.append({
            "Indicator": f"{r.indicator_id} {_name_en(r.indicator_id, r.name_zh, cat)} ({unit.strip()})",
            "Area": area_en(r.scope), "Latest year": r.latest_year,
            fl: pub(r.focus_latest, r.focus_small, d), rl: pub(r.reference_latest, r.reference_small, d),
            f"Difference ({fl} − {rl})": pub(r.difference_latest, small_any, d),
            f"Ratio ({fl}/{rl})": pub(r.ratio_latest, small_any, 3),
            "Adjusted parity index": pub(r.gpi_latest, small_any, 3),
            "Worse off": "—" if hidden else _who_en(kind, r.disadvantaged_latest),
            "Baseline gap (3-year mean)": _with_years(pub(r.baseline_gap, r.baseline_small, d), r.baseline_years),
            "Recent gap (3-year mean)": _with_years(pub(r.latest_gap, r.latest_small, d), r.latest_years),
            "Change in the gap's size since baseline": change(r, d),
            f"Projected gap {settings.horizon} (80% interval)": interval,
            "P(narrower)": probability_number(r.p_narrower, "en", assessment),
            "P(wider)": probability_number(r.p_wider, "en", assessment),
            "Judgement": GAP_STATUS_LABELS_EN[r.status]
            + (f" ({r.note.replace('无法预测：', 'cannot project: ')})" if r.note else ""),
        })
    table = pd.DataFrame(rows)
    table["Baseline gap (3-year mean)"] = table["Baseline gap (3-year mean)"].str.replace("（", " (").str.replace(
        "）", ")")
    table["Recent gap (3-year mean)"] = table["Recent gap (3-year mean)"].str.replace("（", " (").str.replace("）", ")")
    return table


def _with_years(text: str, years: str) -> str:
    """A published level followed by the years it averages."""
    return f"{text}（{years}）" if years and text != "—" else text


def _change_text(change: float, small: bool, settings: GapSettings, decimals: int) -> str:
    """|gap now| − |gap at baseline| in words (descriptive: no probability attached)."""
    if not np.isfinite(change) or (small and settings.small_numbers_action == "suppress"):
        return "—"
    if abs(change) < 0.5 * 10 ** -decimals:
        return "不变"
    return f"{'缩小' if change < 0 else '扩大'} {abs(change):.{decimals}f}"


def gap_years_table(result: GapResult, cat: Catalog, settings: GapSettings, scope: str = "district") -> pd.DataFrame:
    """The gap (focus − reference) of every indicator by year, small numbers suppressed."""
    s = result.series[result.series["scope"] == scope]
    if s.empty:
        return pd.DataFrame({"说明": [f"{area_label(scope)}没有可比较的两组数值"]})
    cells: dict[str, dict[int, str]] = {}
    for r in s.itertuples():
        name = cat.indicators.loc[r.indicator_id, "name_zh"] if r.indicator_id in cat.indicators.index else ""
        small = bool(is_small(r.focus_events, settings.min_events) or is_small(r.reference_events, settings.min_events))
        cells.setdefault(f"{r.indicator_id} {name}", {})[int(r.year)] = published_value(
            r.difference, small, settings, published_decimals(cat, r.indicator_id))
    table = pd.DataFrame.from_dict(cells, orient="index")
    table = table[sorted(table.columns)].fillna("")
    table.index.name = "指标"
    return table


def share_table(shares: pd.DataFrame, settings: GapSettings) -> pd.DataFrame:
    """The published table of shares of women: value, band, distances, projection."""
    if shares.empty:
        return pd.DataFrame({"说明": ["所选指标中没有“女性比例”类指标的数据"]})
    rows = []
    for r in shares.itertuples():
        band = (f"{r.band_low:g}～{r.band_high:g}%" if r.basis == "target" and r.band_high < 100 else
                f"≥{r.band_low:g}%" if r.basis == "target" and r.band_low > 0 else
                f"≤{r.band_high:g}%" if r.basis == "target" else f"均等 {r.band_low:.2f}～{r.band_high:.2f}%")
        rows.append({
            "指标": f"{r.indicator_id} {r.name_zh}", "规划目标": r.target, "衡量区间": band,
            "最新年份": r.latest_year, "最新值(%)": published_value(r.latest, r.small, settings, 1),
            "位置": "—" if r.small and settings.small_numbers_action == "suppress" else
            (POSITION_LABELS if r.basis == "target" else PARITY_POSITION_LABELS)[r.position],
            "距目标区间(百分点)": _fmt(r.distance, 1, True) if r.basis == "target" else "—",
            "距均等50%(百分点)": _fmt(r.parity_distance, 1, True),
            "全国": f"{_fmt(r.national, 1)}（{int(r.national_year)}）" if pd.notna(r.national_year) else "—",
            f"{settings.horizon}年预测（80%区间）": (
                f"{_fmt(r.projection_2030, 1)}（{_fmt(r.lo80, 1)}～{_fmt(r.hi80, 1)}）"
                if np.isfinite(r.projection_2030) else "—"),
            f"P({settings.horizon}年在区间内)": _fmt(r.p_in_band, 2),
            "P(更接近均等)": _fmt(r.p_closer_to_parity, 2),
            "说明": engine_reason_zh(r.note) if isinstance(r.note, str) else r.note,
        })
    return pd.DataFrame(rows)


def narrow_target_table(targets: pd.DataFrame, settings: GapSettings | None = None) -> pd.DataFrame:
    """The "差距缩小" targets with their judgement, in Chinese; a level resting on fewer than
    ``min_events`` events is suppressed like any published value."""
    settings = settings or GapSettings.from_params()
    if targets.empty:
        return pd.DataFrame({"说明": ["所选指标中没有“差距缩小”类目标"]})
    assessment = load_settings()
    return pd.DataFrame({
        "目标": targets["indicator_id"] + " " + targets["name_zh"],
        "差距类型": targets["gap"].map({"sex": "性别", "urban_rural": "城乡"}),
        "依据指标": targets["gap_of"].replace("", "（本指标）"),
        "基期差距(三年平均)": [published_value(v, bool(sm), settings, 2) for v, sm in
                           zip(targets["gap_baseline"], targets["baseline_small"], strict=True)],
        "当前差距(三年平均)": [published_value(v, bool(sm), settings, 2) for v, sm in
                           zip(targets["gap_now"], targets["now_small"], strict=True)],
        f"{settings.horizon}年预测差距": targets["gap_2030"].map(lambda v: _fmt(v, 2, True)),
        "缩小的概率": [probability_number(p, settings=assessment) for p in targets["p_narrower"]],
        "扩大的概率": [probability_number(p, settings=assessment) for p in targets["p_wider"]],
        "判断": targets["status"].map(GAP_TARGET_LABELS),
        "说明": targets["reason"],
    })


def below_threshold_table(below: pd.DataFrame, cat: Catalog, indicator_id: str, settings: GapSettings) -> pd.DataFrame:
    """The towns that missed a per-town threshold, in Chinese (counts shown: coverage counts
    are large; a numerator under ``min_events`` would still be suppressed)."""
    if below.empty:
        return pd.DataFrame({"说明": ["没有低于目标的镇（街道）"]})
    unit = cat.entry(indicator_id)["unit"]
    d = published_decimals(cat, indicator_id)
    return pd.DataFrame({
        "年份": below["year"], "镇（街道）": below["town"],
        f"数值({unit})": [published_value(v, bool(is_small(e, settings.min_events)), settings, d)
                        for v, e in zip(below["value"], below["numerator"], strict=True)],
        "分子/分母": [f"{int(a)}/{int(b)}" if pd.notna(a) and pd.notna(b) else "—"
                  for a, b in zip(below["numerator"], below["denominator"], strict=True)],
        "目标": below["threshold"].map(lambda v: f"{v:g}"),
        "漏斗图判断（对照全区）": below["verdict"].map(lambda v: FUNNEL_VERDICT_LABELS.get(v, "无计数，无法判断")),
        "若真实值恰为目标值，观测到这么低的概率": below["p_at_threshold"].map(
            lambda v: "—" if not np.isfinite(v) else "小于0.001" if v < 0.001 else f"{v:.3f}"),
    }).set_index(["年份", "镇（街道）"])


def funnel_table(points: pd.DataFrame, settings: GapSettings, unit: str) -> pd.DataFrame:
    """Every town of a funnel plot with its verdict, in Chinese."""
    if points.empty:
        return pd.DataFrame({"说明": ["没有可画入漏斗图的镇（街道）"]})
    hi_c = max(settings.funnel_coverage)
    return pd.DataFrame({
        "镇（街道）": points["town"], "分母": points["n"].astype(int),
        f"数值({unit})": [published_value(v, s, settings, 1)
                         for v, s in zip(points["rate"], points["small"], strict=True)],
        f"全区({unit})": points["theta"].round(1),
        f"{hi_c:.1%}控制限": [f"{lo:.1f}～{hi:.1f}" for lo, hi in
                            zip(points[f"lo_{hi_c:g}"], points[f"hi_{hi_c:g}"], strict=True)],
        "判断": points["verdict"].map(FUNNEL_VERDICT_LABELS),
    }).sort_values("分母").set_index("镇（街道）")


def gap_headline(result: GapResult, scope: str = "district", lang: str = "zh") -> str:
    """Which gaps narrow and which widen, in a few sentences for the expert group (``lang="en"``:
    in English, the names from the default catalog)."""
    if lang == "en":
        return _gap_headline_en(result, scope)
    s = result.summary
    s = s[s["scope"] == scope] if len(s) else s
    kind = result.kind
    what = "性别" if kind == "sex" else "城乡"
    if s.empty:
        return f"{area_label(scope)}没有可比较的{what}数据。"
    horizon = int(s["horizon"].iloc[0])
    parts = [f"{area_label(scope)}有{what}对比数据的指标 {len(s)} 项。按模拟路径判断到{horizon}年："]
    assessment = load_settings()
    for status in ("widening", "reversed", "narrowing", "stable", "parity", "insufficient_data"):
        sub = s[s["status"] == status]
        if sub.empty:
            continue
        names = "、".join(
            f"{r.indicator_id} {r.name_zh}（{_who(kind, r.disadvantaged_latest)}，缩小的概率"
            f"{probability_number(r.p_narrower, settings=assessment)}，"
            f"扩大的概率{probability_number(r.p_wider, settings=assessment)}）"
            if status in ("widening", "reversed", "narrowing") else f"{r.indicator_id} {r.name_zh}"
            for r in sub.itertuples())
        parts.append(f"- **{GAP_STATUS_LABELS[status]}**（{len(sub)} 项）：{names}")
    return "\n".join(parts)


def _gap_headline_en(result: GapResult, scope: str) -> str:
    s = result.summary
    s = s[s["scope"] == scope] if len(s) else s
    kind = result.kind
    what = GAP_GROUPS_EN[kind]["what"]
    area = area_en(scope)
    if s.empty:
        return f"{area}: no {what} data to compare."
    horizon = int(s["horizon"].iloc[0])
    assessment = load_settings()  # the probability said as the tables say it (nearest 5 %, under 5 % …)
    parts = [f"{area}: {len(s)} indicators with {what} data to compare. Judged from the simulated paths to "
             f"{horizon}:"]
    for status in ("widening", "reversed", "narrowing", "stable", "parity", "insufficient_data"):
        sub = s[s["status"] == status]
        if sub.empty:
            continue
        names = "; ".join(
            f"{r.indicator_id} {_name_en(r.indicator_id, r.name_zh)} ({_who_en(kind, r.disadvantaged_latest)}, "
            f"chance of narrowing {probability_number(r.p_narrower, 'en', assessment)}, of widening "
            f"{probability_number(r.p_wider, 'en', assessment)})"
            if status in ("widening", "reversed", "narrowing")
            else f"{r.indicator_id} {_name_en(r.indicator_id, r.name_zh)}"
            for r in sub.itertuples())
        parts.append(f"- **{GAP_STATUS_LABELS_EN[status]}** ({len(sub)}): {names}")
    return "\n".join(parts)


def share_headline(shares: pd.DataFrame) -> str:
    """The shares of women in one paragraph: which are below, inside or above their band."""
    if shares.empty:
        return "所选指标中没有“女性比例”类指标的数据。"
    parts = []
    for basis, labels in (("target", POSITION_LABELS), ("parity", PARITY_POSITION_LABELS)):
        for pos in ("below", "within", "above"):
            sub = shares[(shares["basis"] == basis) & (shares["position"] == pos)]
            if len(sub):
                what = "" if basis == "target" else "（无数值目标，以男女均等为参照）"
                parts.append(f"{labels[pos]}{what}的 {len(sub)} 项：" + "、".join(
                    f"{r.indicator_id} {r.name_zh}（{r.latest:.1f}%）" for r in sub.itertuples()))
    return "；".join(parts) + "。"


def below_headline(below: pd.DataFrame, indicator_id: str, cat: Catalog) -> str:
    """The towns below a per-town threshold in one sentence."""
    entry = cat.entry(indicator_id)
    if below.empty:
        return f"{indicator_id} {entry['name_zh']}：各年各镇（街道）均达到“{target_text(entry)}”。"
    items = "；".join(f"{int(y)}年 {'、'.join(g['town'])}" for y, g in below.groupby("year"))
    return f"{indicator_id} {entry['name_zh']}未达到“{target_text(entry)}”的镇（街道）：{items}。"
