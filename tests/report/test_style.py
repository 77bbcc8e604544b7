import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from analysis.report import style  # noqa: E402

TITLE = "初中生近视率（%）与2030年目标"


def draw_and_save(tmp_path):
    fig, ax = plt.subplots()
    ax.set_title(TITLE)
    ax.set_xlabel("年份")
    ax.plot([2020, 2021], [-1.5, 2.0])
    fig.savefig(tmp_path / "chart.png")
    plt.close(fig)


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    style.setup()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" is a UserWarning
        draw_and_save(tmp_path)
    found = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"]))
    assert "NotoSansCJK" in found


def test_without_the_cjk_font_the_same_figure_warns(tmp_path):
    """The check above can fail: matplotlib's default font has no Chinese glyphs."""
    default_font = {"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}
    with matplotlib.rc_context(default_font), pytest.warns(UserWarning, match="missing from font"):
        draw_and_save(tmp_path)
