"""Charts for the reports, and the set-up that makes Chinese labels render.

Matplotlib's default font (DejaVu Sans) has no CJK glyphs: a Chinese title would come out
as empty boxes. The suite ships Noto Sans CJK through the ``noto-cjk-sans-otc`` package
(a dependency, so every fresh environment has it) and registers it here.
"""

from __future__ import annotations

import logging
from functools import cache

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager

log = logging.getLogger(__name__)

#: The face of the Noto Sans CJK collection drawn for simplified Chinese.
CJK_FAMILY = "Noto Sans CJK SC"


@cache
def register_cjk_font() -> str:
    """Add the packaged Noto Sans CJK collection to matplotlib and return the SC family name."""
    import noto_cjk_sans_otc

    path = str(noto_cjk_sans_otc.FONT_PATH)
    font_manager.fontManager.addfont(path)
    names = {f.name for f in font_manager.fontManager.ttflist if f.fname == path}
    if CJK_FAMILY not in names:
        raise RuntimeError(f"{path} does not provide the font family {CJK_FAMILY!r}: {names}")
    log.info("registered CJK font %s from %s", CJK_FAMILY, path)
    return CJK_FAMILY


def setup() -> None:
    """Style every chart and table of the suite: seaborn's clean theme with a
    Chinese-capable font, and tables shown whole (a checksum or a plan's sentence is never
    cut to "…" in a report).

    Call once at the top of a notebook (``plots.setup()``) before drawing.
    """
    import pandas as pd
    import seaborn as sns

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", 500)

    family = register_cjk_font()
    sns.set_theme(style="whitegrid", context="notebook")
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    # the CJK font has no U+2212 MINUS SIGN in every face: draw '-' instead
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 150


def bar_chart(labels, values, *, title: str, xlabel: str = "", ylabel: str = ""):
    """A horizontal bar chart of ``values`` by ``labels`` (kept in the order given)."""
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(labels), 2) + 1.2))
    ax.barh(list(labels)[::-1], list(values)[::-1], color="#4C72B0")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def stacked_barh(frame, label_col: str, value_cols: dict[str, str], *, title: str, xlabel: str = ""):
    """Horizontal stacked bars: one bar per row of ``frame``, one segment per value column.

    ``value_cols`` maps column names to the legend labels shown (in that order).
    """
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(frame), 2) + 1.5))
    left = None
    labels = list(frame[label_col])[::-1]
    for col, legend in value_cols.items():
        values = list(frame[col])[::-1]
        ax.barh(labels, values, left=left, label=legend)
        left = values if left is None else [a + b for a, b in zip(left, values, strict=True)]
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08 - 1.0 / (len(frame) + 4)),
              ncol=len(value_cols), frameon=False)
    fig.tight_layout()
    return fig


def coverage_heatmap(table, *, title: str):
    """A heat map of counts (rows × years), zero cells blank-looking, the count in each cell."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * max(len(table.columns), 4), 0.3 * len(table) + 1.5))
    sns.heatmap(table, annot=True, fmt="d", cmap="Blues", cbar=False, linewidths=0.5, linecolor="#eeeeee",
                ax=ax, annot_kws={"fontsize": 8})
    ax.set_title(title)
    ax.set_xlabel("年份")
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig


def comparator_series(ax, comp, projection=None, *, lang: str = "zh", small: bool = False) -> None:
    """The national comparator on a chart: published values as a line, values published as a
    lower bound ("90%以上") as unconnected upward triangles (a bound is not a value: no line
    through it), and the national projection only when no value of the series is a bound and it
    has at least ``min_fit_points`` values (a line through two points is not drawn to 2030).

    The one drawing of the comparator, for the field small multiples and the fan charts alike.
    """
    colour = "#DD8452"
    from analysis.trends.base import has_flag

    # a value published as "90%以上" is a bound, never drawn as a value
    bound = has_flag(comp["flags"], "lower_bound") if "flags" in comp else np.zeros(len(comp), bool)
    values, bounds = comp[~bound], comp[bound]
    zh = lang == "zh"
    if len(values):
        ax.plot(values["year"], values["value"], "-" if small else "s-", color=colour, ms=4, lw=1,
                label=None if small else ("全国" if zh else "national"))
    if len(bounds):
        words = "全国（公布为“以上”的下限）" if zh else "national (published as a lower bound)"
        ax.plot(bounds["year"], bounds["value"], "^", color=colour, ms=3 if small else 5, ls="none",
                label=None if small else words)
    # a line through two national values says nothing of 2030 without its band: the projection is
    # drawn from as many values as the engine needs to fit one (min_fit_points), not from two
    enough = len(values) >= _min_fit_points()
    if projection is not None and len(projection) and not bound.any() and enough:
        ax.plot(projection["year"], projection["mean"], ls="--", color=colour, lw=1,
                label=None if small else ("全国预测值" if zh else "national projection"))


@cache
def _min_fit_points() -> int:
    """The fewest values the engine fits a trend to (params/projection.yaml), read once, not per chart."""
    from analysis.trends.base import ProjectionSettings

    return ProjectionSettings.from_params().min_fit_points


def target_line(ax, entry, *, label: str | None = None) -> None:
    """The target of a catalog entry as a dotted red line; for a 左右 target (a ``tolerance`` in
    the catalog: 保持在45%左右 judged as 45 ± 2) the band that meets it shaded behind the line, so
    the chart shows what the verdict tests. Nothing for an entry without a target value."""
    if entry is None or pd.isna(entry.get("value")):
        return
    value = float(entry["value"])
    tolerance = entry.get("tolerance")
    if tolerance is not None and pd.notna(tolerance) and float(tolerance) > 0:
        ax.axhspan(value - float(tolerance), value + float(tolerance), color="#C44E52", alpha=0.10, lw=0, zorder=0.5)
    ax.axhline(value, color="#C44E52", ls=":", lw=1.2 if label is None else 1.5, label=label)


def plan_markers(ax, *, lang: str = "zh", small: bool = False) -> None:
    """The plan's baseline year (2020) and mid-term year (2025) as light vertical lines, read from
    ``params/plan.yaml``: a reader sees where the plan started and where the mid-term review sits."""
    from analysis import config

    plan = config.plan()
    zh = lang == "zh"
    for year, words in ((plan.baseline_year, "基期" if zh else "baseline"),
                        (plan.midterm_year, "中期" if zh else "mid-term")):
        ax.axvline(year, color="#777777", ls=(0, (2, 2)), lw=1.0, zorder=1.5,
                   label=None if small else (f"{year}年{words}" if zh else f"{words} {year}"))

