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
