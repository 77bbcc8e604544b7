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


def _national(flags):
    import pandas as pd

    return pd.DataFrame({"year": [2015, 2016, 2017, 2022], "value": [99.0, 99.0, 99.0, 90.0], "flags": flags})


def test_a_bound_is_never_drawn_as_a_value_nor_projected():
    import pandas as pd

    projection = pd.DataFrame({"year": [2025, 2030], "mean": [60.0, 35.0]})
    fig, ax = plt.subplots()
    style.comparator_series(ax, _national(["lower_bound"] * 3 + [""]), projection)
    lines = {line.get_label(): line for line in ax.get_lines()}
    bound = lines["全国（公布为“以上”的下限）"]
    assert list(bound.get_xdata()) == [2015, 2016, 2017] and bound.get_linestyle() == "None"
    assert list(lines["全国"].get_xdata()) == [2022]
    assert "全国预测值" not in lines  # a projection through bounds is not shown
    plt.close(fig)


def test_published_values_are_a_line_with_their_projection():
    import pandas as pd

    projection = pd.DataFrame({"year": [2025, 2030], "mean": [98.0, 98.5]})
    fig, ax = plt.subplots()
    style.comparator_series(ax, _national([""] * 4), projection)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["全国", "全国预测值"]
    plt.close(fig)
