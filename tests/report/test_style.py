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


def test_a_target_about_a_value_is_drawn_with_the_band_that_meets_it():
    """保持在45%左右, judged as 45 ± 2 (the catalog's tolerance): the small chart of the report and
    the trends page's chart both shade 43–47 behind the dotted line; a one-sided target has the
    line alone."""
    import pandas as pd

    from analysis.catalog import load_catalog
    from analysis.report import fields

    cat = load_catalog()
    entry = cat.indicators.loc["W3.2"]
    assert (entry["value"], entry["tolerance"]) == (45.0, 2.0)
    obs = pd.DataFrame({"indicator_id": ["W3.2"] * 3, "area": ["district"] * 3, "sex": ["total"] * 3,
                        "year": [2021, 2022, 2023], "value": [44.0, 45.5, 46.0], "flags": [""] * 3})
    proj = pd.DataFrame(columns=["indicator_id", "area", "sex", "year", "mean", "lo80", "hi80", "lo95", "hi95",
                                 "is_projection"])
    for iid, band in (("W3.2", (43.0, 47.0)), ("C1.3a", None)):
        ax = fields.small_trend_chart(iid, "district", "total", obs.assign(indicator_id=iid), proj, cat)
        spans = [p for p in ax.patches if p.get_facecolor()[:3] == matplotlib.colors.to_rgb("#C44E52")]
        if band is None:
            assert spans == []
        else:
            (span,) = spans
            box = span.get_bbox()    # y in data units (x spans the axes)
            assert (round(box.y0, 6), round(box.y1, 6)) == band
        lines = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
        assert [line.get_ydata()[0] for line in lines] == [float(cat.indicators.loc[iid, "value"])]
        plt.close(ax.figure)


def test_a_national_projection_from_two_values_is_not_drawn():
    """W3.3's national series has two values (2010, 2013): its line to 2030 would fall off the
    chart without a band; the values are drawn, the projection only from three values on."""
    import pandas as pd

    projection = pd.DataFrame({"year": [2025, 2030], "mean": [28.0, 24.0]})
    for years, drawn in (([2010, 2013], False), ([2010, 2013, 2016], True)):
        comp = pd.DataFrame({"year": years, "value": [37.2, 35.0, 34.0][:len(years)], "flags": [""] * len(years)})
        fig, ax = plt.subplots()
        style.comparator_series(ax, comp, projection)
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels == (["全国", "全国预测值"] if drawn else ["全国"])
        plt.close(fig)
