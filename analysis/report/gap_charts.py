"""The charts of the gaps page: parity overview, gap trends, pair values, shares, town heat map, funnel."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis import config, kinds
from analysis.catalog import Catalog, plan_order, target_text
from analysis.gaps.funnel import dispersion_ratio, funnel_limits, funnel_points, funnel_possible, towns_below_threshold
from analysis.gaps.measures import is_small, window_level
from analysis.gaps.pairs import GapResult
from analysis.gaps.settings import GROUPS, GapSettings, Inputs
from analysis.gaps.towns import _per, town_labels, town_units, town_values
from analysis.report.gaps import (
    _diff_unit,
    _fmt,
    below_headline,
    below_threshold_table,
    funnel_table,
    small_numbers_note,
    town_table,
)
from analysis.report.labels import GAP_STATUS_COLORS, GAP_STATUS_LABELS, MEMBERSHIP_LABELS, area_label
from analysis.report.sentences import probability_number
from analysis.returns import parse
from analysis.scorecard.probability import meets

log = logging.getLogger(__name__)


def _label(r: Any) -> str:
    """An indicator's id and Chinese name, as chart rows show it."""
    return f"{r.indicator_id} {r.name_zh}"


def _no_data(ax: Any) -> None:
    """Turn an empty panel into a plain "no data" message."""
    ax.set_visible(True)
    ax.axis("off")
    ax.text(0.5, 0.5, "所选指标没有可比较的数据", ha="center", va="center", transform=ax.transAxes)


def _legend_below(ax: Any, handles: list, fig_height: float, ncol: int = 3) -> None:
    """A legend centred under the axes, clear of the x-axis label."""
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.9 / fig_height - 0.02), ncol=ncol,
              fontsize=8, frameon=False)


def parity_overview_chart(result: GapResult, scope: str = "district", *, title: str | None = None,
                          settings: GapSettings | None = None):
    """Dot-and-arrow chart of the oriented parity index of every indicator: the baseline level
    (hollow), the latest level (filled) and an arrow to the 2030 projection (diamond, with its
    80 % interval), coloured by status; the parity band shaded. Left of 1 the focus group
    (women and girls; rural) is worse off, right of 1 the reference group. Levels resting on
    fewer than ``min_events`` events are not drawn (the row says so); the projection still is."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    settings = settings or GapSettings.from_params()
    s = result.summary
    s = s[s["scope"] == scope].copy() if len(s) else s
    fig_h = 0.42 * max(len(s), 3) + 1.9
    fig, ax = plt.subplots(figsize=(11.5, fig_h))
    lo, hi = settings.parity_band
    ax.axvspan(lo, hi, color="#DDDDDD", alpha=0.6, lw=0)
    ax.axvline(1.0, color="#888888", lw=0.8)
    if s.empty:
        ax.text(0.5, 0.5, "没有可比较的数据", ha="center", va="center", transform=ax.transAxes)
        return fig
    order = {k: i for i, k in enumerate(("widening", "reversed", "stable", "narrowing", "parity", "insufficient_data"))}
    s["_o"] = s["status"].map(order)
    s = s.sort_values(["_o", "indicator_id"], key=lambda c: c.map(plan_order) if c.name == "indicator_id" else c)
    ys = np.arange(len(s))[::-1]
    labels = []
    for yv, r in zip(ys, s.itertuples(), strict=True):
        color = GAP_STATUS_COLORS[r.status]
        shown = not (r.latest_small and settings.small_numbers_action == "suppress")
        if shown and np.isfinite(r.baseline_oriented) and not r.baseline_small:
            ax.plot(r.baseline_oriented, yv, "o", mfc="white", mec="#555555", ms=7, zorder=3)
        if shown:
            ax.plot(r.latest_oriented, yv, "o", color="#333333", ms=7, zorder=4)
        if np.isfinite(r.oriented_2030):
            ax.plot([r.oriented_lo80, r.oriented_hi80], [yv, yv], color=color, lw=2.2, alpha=0.45, zorder=2)
            if shown:
                ax.annotate("", xy=(r.oriented_2030, yv), xytext=(r.latest_oriented, yv),
                            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.6, "shrinkA": 4, "shrinkB": 4},
                            zorder=3)
            ax.plot(r.oriented_2030, yv, "D", color=color, ms=7, zorder=5)
        labels.append(_label(r) + ("（人数）" if r.unit in ("人", "名") else "")
                      + ("" if shown else f"（近三年少于{settings.min_events}例，只画预测）"))
        d = 0 if r.unit in ("人", "名") else 2 if r.unit in ("‰",) else 1
        now = _fmt(r.latest_gap, d, True) if shown else "—"
        emphasis = r.status in ("widening", "reversed", "narrowing")
        ax.text(1.01, yv, f"{now} → {_fmt(r.gap_2030, d, True)} {_diff_unit(r.unit)}",
                transform=ax.get_yaxis_transform(), va="center", fontsize=8, color=color if emphasis else "#444444")
    ax.set_yticks(ys, labels, fontsize=9)
    vals = np.concatenate([s[c].to_numpy(float) for c in ("baseline_oriented", "latest_oriented", "oriented_lo80",
                                                          "oriented_hi80")])
    vals = vals[np.isfinite(vals)]
    if vals.size:
        ax.set_xlim(min(0.75, vals.min() - 0.05), max(1.25, vals.max() + 0.05))
    ax.set_ylim(-0.8, len(s) - 0.2)
    fw, rw = GROUPS[result.kind]["who"]
    ax.set_xlabel(f"{GROUPS[result.kind]['index']}（按“越高越好”方向调整）   ← {fw}处于不利   |   {rw}处于不利 →")
    base_label = f"基期（{settings.baseline_year - settings.window_years + 1}–{settings.baseline_year}年平均）"
    handles = [Line2D([], [], marker="o", ls="", mfc="white", mec="#555555", label=base_label),
               Line2D([], [], marker="o", ls="", color="#333333", label="近三年平均"),
               *[Line2D([], [], marker="D", ls="", color=GAP_STATUS_COLORS[k],
                        label=f"{settings.horizon}年预测：{GAP_STATUS_LABELS[k]}")
                 for k in ("narrowing", "stable", "widening", "reversed", "parity") if (s["status"] == k).any()]]
    _legend_below(ax, handles, fig_h)
    what = "性别" if result.kind == "sex" else "城乡"
    ax.set_title(title or f"{area_label(scope)}{what}差距：基期、近期与{settings.horizon}年预测"
                          f"（灰带为均等范围 {lo:g}–{hi:g}；线段为80%预测区间）", fontsize=11)
    fl, rl = GROUPS[result.kind]["labels"]
    ax.text(1.01, 1.0, f"差值（{fl}−{rl}）：\n近三年 → {settings.horizon}年", transform=ax.transAxes, va="bottom",
            fontsize=8, color="#444444")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def rolling_gap(rows: pd.DataFrame, window: int, min_events: int) -> pd.DataFrame:
    """The gap of one pair over a moving window of ``window`` years ending in each year (pooled
    by the denominators where counts exist), and whether it rests on fewer than ``min_events``
    events. For series of small counts the moving level is what can be published."""
    out = []
    rows = rows.sort_values("year")
    for y in rows["year"]:
        w = rows[(rows["year"] <= y) & (rows["year"] > y - window)]
        if w["year"].nunique() < min(window, 2):
            continue
        f, r = window_level(w["focus"], w["focus_den"]), window_level(w["reference"], w["reference_den"])
        events = [w[c].sum() if w[c].notna().all() else np.nan for c in ("focus_events", "reference_events")]
        out.append({"year": int(y), "gap": f - r, "small": bool(is_small(events, min_events).any())})
    return pd.DataFrame(out, columns=["year", "gap", "small"])


def gap_trend_chart(result: GapResult, cat: Catalog, scope: str = "district", *, settings: GapSettings | None = None,
                    ncols: int = 4):
    """Small multiples: each indicator's gap (focus − reference) by year — single years as dots,
    the three-year moving level as a line — with the projected gap to 2030 as a fan (80 % and
    95 %), the zero line, and the status with P(narrower) in the title. Years resting on fewer
    than ``min_events`` events are left out (or hollow when the action is 'mark'); the y-axis
    follows the data and the 80 % band (a 95 % band far wider is cut at the edge)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    settings = settings or GapSettings.from_params()
    series = result.series[result.series["scope"] == scope]
    summary = result.summary[result.summary["scope"] == scope] if len(result.summary) else result.summary
    ids = list(dict.fromkeys(series["indicator_id"]))
    n = max(len(ids), 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.7 * ncols, 3.0 * nrows + 0.6), squeeze=False)
    fl, rl = GROUPS[result.kind]["labels"]
    first = int(series["year"].min()) if len(series) else settings.baseline_year
    for ax, ind in zip(axes.ravel(), ids, strict=False):
        g = series[series["indicator_id"] == ind].sort_values("year")
        row = summary[summary["indicator_id"] == ind].iloc[0]
        color = GAP_STATUS_COLORS[row["status"]]
        proj = result.projection
        proj = proj[(proj["indicator_id"] == ind) & (proj["scope"] == scope)].sort_values("year") if len(proj) else proj
        if len(proj):
            ax.fill_between(proj["year"], proj["lo95"], proj["hi95"], color=color, alpha=0.15, lw=0)
            ax.fill_between(proj["year"], proj["lo80"], proj["hi80"], color=color, alpha=0.3, lw=0)
            ax.plot(proj["year"], proj["median"], color=color, lw=1.5)
        small = is_small(g["focus_events"], settings.min_events) | is_small(g["reference_events"], settings.min_events)
        shown = g[~small]
        ax.plot(shown["year"], shown["difference"], "o", color="#333333", ms=3.5, zorder=3)
        if small.any() and settings.small_numbers_action == "mark":
            ax.plot(g["year"][small], g["difference"][small], "o", mfc="white", mec="#333333", ms=3.5, zorder=3)
        moving = rolling_gap(g, settings.window_years, settings.min_events)
        moving.loc[moving["small"], "gap"] = np.nan  # a gap in the line, not a bridge over it
        moving = moving.set_index("year")["gap"]
        if len(moving):
            moving = moving.reindex(range(int(moving.index.min()), int(moving.index.max()) + 1))
        ax.plot(moving.index, moving.to_numpy(), color="#333333", lw=1.4)
        ax.axhline(0, color="#888888", lw=0.8)
        visible = np.concatenate([shown["difference"].to_numpy(float), moving.to_numpy(float),
                                  proj["lo80"].to_numpy(float) if len(proj) else [],
                                  proj["hi80"].to_numpy(float) if len(proj) else [], [0.0]])
        visible = visible[np.isfinite(visible)]
        pad = 0.12 * max(np.ptp(visible), 1e-9)
        ax.set_ylim(visible.min() - pad, visible.max() + pad)
        ax.set_xlim(first - 0.5, settings.horizon + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.set_title(f"{ind} {row['name_zh']}\n{GAP_STATUS_LABELS[row['status']]}  缩小的概率"
                     f"{probability_number(row['p_narrower'])}  扩大的概率{probability_number(row['p_wider'])}",
                     fontsize=9, color=color if row["status"] in ("widening", "reversed", "narrowing") else "#222222")
        ax.set_ylabel(f"{fl}−{rl}（{_diff_unit(row['unit'])}）", fontsize=8)
        ax.tick_params(labelsize=8)
        if shown.empty:
            ax.text(0.03, 0.04, f"各年均少于{settings.min_events}例，单年值不公布", transform=ax.transAxes, fontsize=7,
                    color="#555555")
    for ax in axes.ravel()[len(ids):]:
        ax.set_visible(False)
    if not ids:
        _no_data(axes[0][0])
    fig.suptitle(f"{area_label(scope)}{fl}{rl}差值（{fl}−{rl}）：点为单年值，黑线为三年移动平均，"
                 f"彩色带为{settings.horizon}年前的80%和95%预测区间（少于{settings.min_events}例的单年值不画）",
                 fontsize=10.5)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def pair_values_chart(observations: pd.DataFrame, cat: Catalog, ids: Sequence[str], *,
                      settings: GapSettings | None = None, ncols: int = 3):
    """Rural and urban values by year, one panel per indicator: the district's (solid) and the
    national comparator's (dashed) where reported. District values resting on fewer than
    ``min_events`` events are left out (hollow when the action is 'mark')."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    settings = settings or GapSettings.from_params()
    ids = list(ids)
    n = max(len(ids), 1)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 3.3 * nrows + 0.5), squeeze=False)
    styles = {"rural": ("#E76F51", "-", "o"), "urban": ("#264653", "-", "o"),
              "national_rural": ("#E76F51", "--", "s"), "national_urban": ("#264653", "--", "s")}
    for ax, ind in zip(axes.ravel(), ids, strict=False):
        hidden = 0
        for area, (color, ls, marker) in styles.items():
            g = observations[(observations["indicator_id"] == ind) & (observations["area"] == area)
                             & (observations["sex"] == "total")].sort_values("year")
            if g.empty:
                continue
            small = is_small(g["numerator"], settings.min_events)
            hidden += int(small.sum())
            # a suppressed year is a gap in the line, never bridged (a year not reported is)
            values = g["value"].where(~small) if settings.small_numbers_action == "suppress" else g["value"]
            if values.notna().any():
                ax.plot(g["year"], values, ls=ls, marker=marker, ms=3.5, color=color, lw=1.3,
                        label=area_label(area))
            if settings.small_numbers_action == "mark" and small.any():
                ax.plot(g["year"][small], g["value"][small], marker, mfc="white", mec=color, ms=4.5)
        entry = cat.indicators.loc[ind] if ind in cat.indicators.index else None
        unit = entry["unit"] if entry is not None else ""
        note = (f"\n（{hidden} 个区级数值少于{settings.min_events}例，未画出）"
                if hidden and settings.small_numbers_action == "suppress" else "")
        ax.set_title(f"{ind} {entry['name_zh'] if entry is not None else ''}（{unit}）{note}", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.tick_params(labelsize=8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    for ax in axes.ravel()[len(ids):]:
        ax.set_visible(False)
    if not ids:
        _no_data(axes[0][0])
    fig.suptitle(f"城镇与农村的数值（实线：{area_label(parse.district_code())}；虚线：{area_label('national')}）",
                 fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def share_chart(shares: pd.DataFrame, *, settings: GapSettings | None = None):
    """Shares of women: the target band (shaded; grey: parity for shares without a numeric
    target), the baseline level (hollow), the latest (filled) and the 2030 projection (diamond,
    80 % interval), one row per indicator. A target row's diamond is green when the share is
    more likely than not inside its band in 2030, red otherwise; a row without a numeric target
    is blue when it is likely (P ≥ ``narrowing_threshold``) to be closer to parity, grey if not."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    settings = settings or GapSettings.from_params()
    fig_h = 0.5 * max(len(shares), 3) + 2.1
    fig, ax = plt.subplots(figsize=(10, fig_h))
    if shares.empty:
        ax.text(0.5, 0.5, "没有数据", ha="center", va="center", transform=ax.transAxes)
        return fig
    ys = np.arange(len(shares))[::-1]
    ax.axvline(settings.share_parity, color="#888888", lw=1, ls="--")
    for yv, r in zip(ys, shares.itertuples(), strict=True):
        ax.add_patch(plt.Rectangle((r.band_low, yv - 0.3), min(r.band_high, 100) - r.band_low, 0.6,
                                   color="#A8DADC" if r.basis == "target" else "#DDDDDD", alpha=0.7, lw=0))
        if np.isfinite(r.baseline_level):
            ax.plot(r.baseline_level, yv, "o", mfc="white", mec="#555555", ms=7, zorder=3)
        ax.plot(r.latest_level, yv, "o", color="#333333", ms=7, zorder=4)
        if np.isfinite(r.projection_2030):
            if r.basis == "target":
                color = "#2A9D8F" if r.p_in_band >= 0.5 else "#D62828"
            else:
                color = "#457B9D" if r.p_closer_to_parity >= settings.narrowing_threshold else "#8D99AE"
            ax.plot([r.lo80, r.hi80], [yv, yv], color=color, lw=2.2, alpha=0.45)
            ax.annotate("", xy=(r.projection_2030, yv), xytext=(r.latest_level, yv),
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.5, "shrinkA": 4, "shrinkB": 4})
            ax.plot(r.projection_2030, yv, "D", color=color, ms=7, zorder=5)
    ax.set_yticks(ys, [f"{r.indicator_id} {r.name_zh}" for r in shares.itertuples()], fontsize=9)
    lows = np.concatenate([shares[c].to_numpy(float) for c in ("latest_level", "lo80", "band_low", "baseline_level")])
    ax.set_xlim(max(0, np.nanmin(lows) - 5), 60)
    ax.set_ylim(-0.8, len(shares) - 0.2)
    ax.set_xlabel("女性所占比例（%）；虚线：男女各半（50%）")
    handles = [plt.Rectangle((0, 0), 1, 1, color="#A8DADC", label="规划目标区间"),
               plt.Rectangle((0, 0), 1, 1, color="#DDDDDD", label="无数值目标：均等区间"),
               Line2D([], [], marker="o", ls="", mfc="white", mec="#555555", label="基期（三年平均）"),
               Line2D([], [], marker="o", ls="", color="#333333", label="近三年平均"),
               Line2D([], [], marker="D", ls="", color="#2A9D8F", label=f"{settings.horizon}年多半在目标区间内"),
               Line2D([], [], marker="D", ls="", color="#D62828", label=f"{settings.horizon}年多半不在目标区间内"),
               Line2D([], [], marker="D", ls="", color="#457B9D", label="无数值目标：很可能更接近均等"),
               Line2D([], [], marker="D", ls="", color="#8D99AE", label="无数值目标：变化不明")]
    _legend_below(ax, handles, fig_h, ncol=4)
    ax.set_title("女性比例类指标：与规划目标区间和男女均等的距离（线段为80%预测区间）", fontsize=11)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def town_heatmap(observations: pd.DataFrame, cat: Catalog, indicator_id: str, settings: GapSettings,
                 units: pd.DataFrame | None = None):
    """Heat map of towns × years, the district on top: colours diverge around the target (red =
    the worse side), the value in each cell, framed where a per-town target (keep above /
    below) was missed; years after a town left the district are grey and say "已划出"; missing values
    "—"; values on fewer than ``min_events`` events hidden."""
    import matplotlib.pyplot as plt
    from matplotlib import colors

    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    vals = town_values(observations, indicator_id, units)
    dist = observations[(observations["indicator_id"] == indicator_id) & (observations["area"] == "district")
                        & (observations["sex"] == "total")]
    years = sorted(vals["year"].unique())
    prof = config.profile()
    rows = [f"{prof.name}（{prof.whole}）", *units["town"]]
    grid = np.full((len(rows), len(years)), np.nan)
    text = np.full(grid.shape, "", dtype=object)
    special = np.full(grid.shape, "", dtype=object)
    d = 1 if entry["unit"] == "%" else 2
    for j, y in enumerate(years):
        hit = dist[dist["year"] == y]
        if len(hit):
            grid[0, j] = hit.iloc[0]["value"]
            text[0, j] = f"{grid[0, j]:.{d}f}"
    for r in vals.itertuples():
        i, j = rows.index(r.town), years.index(r.year)
        if r.membership in MEMBERSHIP_LABELS:
            special[i, j], text[i, j] = "left", MEMBERSHIP_LABELS[r.membership]
        elif pd.isna(r.value):
            special[i, j], text[i, j] = "missing", "—"
        elif is_small(r.numerator, settings.min_events) and settings.small_numbers_action == "suppress":
            special[i, j], text[i, j] = "small", f"不足{settings.min_events}例"
        else:
            grid[i, j], text[i, j] = r.value, f"{r.value:.{d}f}"
    finite = grid[np.isfinite(grid)]
    center = float(entry["value"]) if pd.notna(entry["value"]) else float(np.median(finite))
    span = max(center - float(finite.min()), float(finite.max()) - center, 1e-6)
    norm = colors.TwoSlopeNorm(vcenter=center, vmin=center - span, vmax=center + span)
    cmap = plt.get_cmap("RdYlBu" if entry["better"] != "lower" else "RdYlBu_r")
    rgba = cmap(norm(np.where(np.isfinite(grid), grid, center)))
    for code, color in (("left", "#CFCFCF"), ("small", "#E8E8E8"), ("missing", "#FFFFFF")):
        rgba[special == code] = colors.to_rgba(color)
    missed = np.zeros(grid.shape, dtype=bool)
    if kinds.get(entry["kind"]).keep:
        missed = np.isfinite(grid) & ~meets(grid, entry["kind"], center)
    fig, ax = plt.subplots(figsize=(1.6 + 0.72 * len(years), 0.36 * len(rows) + 1.7))
    ax.imshow(rgba, aspect="auto", interpolation="nearest")
    for i in range(len(rows)):
        for j in range(len(years)):
            lum = 0.299 * rgba[i, j, 0] + 0.587 * rgba[i, j, 1] + 0.114 * rgba[i, j, 2]
            ax.text(j, i, text[i, j], ha="center", va="center", fontsize=7.5,
                    color="#555555" if special[i, j] else ("white" if lum < 0.45 else "#111111"))
            if missed[i, j]:
                ax.add_patch(plt.Rectangle((j - 0.47, i - 0.45), 0.94, 0.9, fill=False, ec="black", lw=1.6))
    ax.axhline(0.5, color="#333333", lw=1.5)
    ax.set_xticks(range(len(years)), [str(y) for y in years], fontsize=8)
    names = town_labels(units)
    ax.set_yticks(range(len(rows)), [rows[0]] + [names[t] for t in rows[1:]], fontsize=8.5)
    urban = dict(zip(units["town"], units["urban_rural"], strict=True))
    for tick, t in zip(ax.get_yticklabels()[1:], rows[1:], strict=True):
        if urban.get(t) == "urban":
            tick.set_color("#264653")
    ax.set_xticks(np.arange(-0.5, len(years)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
    ax.grid(which="minor", color="white", lw=1)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.04, pad=0.02)
    bar.ax.axhline(center, color="black", lw=1.2)
    centre_name = "目标" if pd.notna(entry["value"]) else "中位数"
    bar.set_label(f"{entry['unit'] or ''}（黑线：{centre_name} {center:g}）", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"{indicator_id} {entry['name_zh']}：各镇（街道）逐年数值（目标：{target_text(entry)}）\n"
                 "红色偏向不利一侧，黑框为未达到逐年目标；灰色“已划出”表示该年已不属本区", fontsize=10)
    fig.tight_layout()
    return fig


def funnel_chart(observations: pd.DataFrame, cat: Catalog, indicator_id: str, years: Sequence[int],
                 settings: GapSettings, units: pd.DataFrame | None = None):
    """Funnel plots of the towns against the district rate, one panel per year: each town's rate
    against its denominator, the district line and the control limits (95 % and 99.8 % by
    default) for a town of that size; the target as a dotted line; the overdispersion ratio φ in
    the panel title. Only towns outside a limit — or, for a target judged every year, below it —
    are named, so that a small town inside its limits is not singled out."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    years = list(years)
    k = max(len(years), 1)
    fig, axes = plt.subplots(1, k, figsize=(max(5.2 * k, 8.5), 4.8), squeeze=False)
    per = _per(entry["unit"]) or 1.0
    palette = {"within": "#457B9D", "low_warning": "#F4A261", "low_alarm": "#D62828", "high_warning": "#F4A261",
               "high_alarm": "#D62828"}
    target = float(entry["value"]) if pd.notna(entry["value"]) else None
    yearly = kinds.get(entry["kind"]).keep
    coverages = sorted(settings.funnel_coverage)
    styles = ["--", "-", ":"]
    for ax, year in zip(axes[0], years, strict=True):
        pts = funnel_points(observations, cat, indicator_id, year, settings, units)
        if pts.empty:
            ax.text(0.5, 0.5, f"{year}年没有可画的计数", ha="center", va="center", transform=ax.transAxes)
            continue
        theta = float(pts["theta"].iloc[0]) / per
        grid = np.arange(max(1, int(pts["n"].min() * 0.8)), int(pts["n"].max() * 1.1) + 1)
        lows = []
        for c, ls in zip(coverages, styles, strict=False):
            lo, hi = funnel_limits(theta, grid, c, settings.funnel_method)
            ax.plot(grid, lo * per, color="#666666", ls=ls, lw=1)
            ax.plot(grid, hi * per, color="#666666", ls=ls, lw=1)
            lows.append(float(lo.min() * per))
        ax.axhline(theta * per, color="#264653", lw=1.2)
        if target is not None:
            ax.axhline(target, color="#C44E52", ls=":", lw=1.5)
        ax.scatter(pts["n"], pts["rate"], c=[palette[v] for v in pts["verdict"]], s=38, zorder=3, edgecolor="white")
        flagged = np.array(pts["verdict"] != "within", dtype=bool)
        if yearly and target is not None:
            flagged |= ~meets(pts["rate"].to_numpy(), entry["kind"], target)
        for r in pts[flagged].itertuples():
            ax.annotate(r.town, (r.n, r.rate), xytext=(5, -3), textcoords="offset points", fontsize=8.5)
        low = min([float(pts["rate"].min()), *lows] + ([target] if target is not None else []))
        top = float(max(pts["rate"].max(), np.max(funnel_limits(theta, grid, coverages[-1], settings.funnel_method)[1])
                        * per))
        pad = 0.04 * (top - low)
        ax.set_ylim(low - pad, (min(top, per) if per else top) + pad)
        ax.set_xlabel("分母（人数）：越往右镇越大，控制限越窄")
        ax.set_ylabel(entry["unit"] or "")
        phi = dispersion_ratio(pts["z"], settings.funnel_winsorize)
        ax.set_title(f"{year}年（全区 {theta * per:.1f}{entry['unit'] or ''}；离散度 φ={phi:.2f}）", fontsize=10)
    handles = [Line2D([], [], color="#666666", ls=ls, label=f"{c * 100:g}%控制限")
               for c, ls in zip(coverages, styles, strict=False)]
    handles += [Line2D([], [], color="#264653", label="全区"),
                *([Line2D([], [], color="#C44E52", ls=":", label=f"目标 {target:g}")] if target is not None else []),
                *[Line2D([], [], marker="o", ls="", color=c, label=lab) for c, lab in
                  (("#457B9D", "在控制限内"), ("#F4A261", "超出95%控制限"), ("#D62828", "超出99.8%控制限"))]]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle(f"{indicator_id} {entry['name_zh']}：各镇（街道）对照全区的漏斗图\n"
                 "控制限按各镇的人数计算：落在限内的差异可由随机波动解释", fontsize=10.5)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def funnel_years(observations: pd.DataFrame, indicator_id: str, below: pd.DataFrame, units: pd.DataFrame
                 ) -> list[int]:
    """The years a funnel plot is drawn for: every year a town missed a per-town target, and the
    latest year with town counts."""
    obs = observations[(observations["indicator_id"] == indicator_id) & observations["area"].isin(list(units["town"]))
                       & observations["denominator"].notna()]
    years = set(below["year"]) if len(below) else set()
    if len(obs):
        years.add(int(obs["year"].max()))
    return sorted(int(y) for y in years)


def town_panel(inputs: Inputs, cat: Catalog, indicator_id: str, settings: GapSettings,
               units: pd.DataFrame | None = None) -> list[Any]:
    """Everything the notebook shows for one indicator reported by town, in order: heading, the
    table, the heat map with its caption, the towns below a per-town target, and the funnel plot
    with its caption and table — or the plain reason why no funnel plot can be drawn. The
    caller displays each item (Markdown, tables, figures) and closes the figures."""
    from IPython.display import Markdown

    units = town_units() if units is None else units
    entry = cat.entry(indicator_id)
    obs = inputs.observations
    former = [f"{r.town}（{int(r.last_year) + 1}年起已划出本区）" for r in units.itertuples()
              if r.last_year is not None and pd.notna(r.last_year)]
    items: list[Any] = [Markdown(f"### {indicator_id} {entry['name_zh']}（{entry['unit'] or ''}）\n\n"
                                 f"规划目标：{target_text(entry)}。")]
    items.append(town_table(obs, cat, indicator_id, settings, units))
    items.append(Markdown(small_numbers_note(settings) + (f"“已划出”表示该年已不属本区：{'、'.join(former)}；"
                                                          "此后的全区合计也不含它。" if former else "")))
    items.append(town_heatmap(obs, cat, indicator_id, settings, units))
    items.append(Markdown(
        "**怎么读这张热图**：每一行是一个镇（街道），每一列是一年，格子里是当年数值；颜色以规划目标为中点，"
        "越红越偏向不利一侧，越蓝越好（“越低越好”的指标反过来）。最上一行是全区，供对照；街道名称为深色。"
        "灰色“已划出”的格子表示该镇那一年已不属于本区，不是缺报；“—”才是缺报。"))
    below = towns_below_threshold(obs, cat, indicator_id, settings, units)
    yearly = kinds.get(entry["kind"]).keep and "town" in (entry["breakdowns"] or [])
    if yearly:
        items.append(Markdown(below_headline(below, indicator_id, cat)))
        items.append(below_threshold_table(below, cat, indicator_id, settings))
    possible, reason = funnel_possible(obs, indicator_id, units)
    if not possible:
        items.append(Markdown(f"**漏斗图无法绘制**：{reason}。"))
        return items
    years = funnel_years(obs, indicator_id, below if yearly else pd.DataFrame(), units)
    items.append(funnel_chart(obs, cat, indicator_id, years, settings, units))
    hi_c = max(settings.funnel_coverage)
    items.append(Markdown(
        "**怎么读漏斗图**：横轴是各镇的分母（人数），纵轴是数值；横线是全区水平，两组曲线是“如果该镇与全区其实一样，"
        f"仅因人数有限而随机波动”时的{min(settings.funnel_coverage):.0%}和{hi_c:.1%}范围。人数越少，随机波动越大，"
        f"漏斗越宽。落在漏斗内的镇，与全区的差别可以用随机波动解释，不应单独点名；落在{hi_c:.1%}控制限以外的镇，"
        "差别很难用偶然解释，值得核实原因。离散度 φ 明显大于 1 时，各镇之间的差异本身就大于抽样波动，"
        "控制限偏窄，判断应更谨慎。只标出超出控制限或未达到逐年目标的镇。"))
    latest = years[-1]
    items.append(Markdown(f"{latest}年各镇（街道）对照全区："))
    items.append(funnel_table(funnel_points(obs, cat, indicator_id, latest, settings, units), settings,
                              entry["unit"] or ""))
    return items
