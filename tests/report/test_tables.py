"""Text from a return never becomes markup on a page (analysis/report/tables.py)."""

from __future__ import annotations

import shutil

import openpyxl
import pandas as pd

from analysis import clean, report
from analysis.catalog import load_catalog
from analysis.returns import template
from tests.returns import corpus

HOSTILE = "<img src=x onerror=alert(1)>95.9"


def test_a_table_shows_markup_from_a_return_as_text():
    html = report.table(pd.DataFrame({"原始值": [HOSTILE], "数值": [1.5]})).to_html()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;95.9" in html


def test_the_suites_own_links_stay_links_and_everything_else_is_escaped():
    frame = pd.DataFrame({"说明": ["<b>x</b>"], "详情": ['<a href="indicator_C1.6.html">指标页</a>']})
    html = report.table(frame).to_html()
    assert '<a href="indicator_C1.6.html">指标页</a>' in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_a_hostile_return_is_quarantined_and_shown_inert_on_the_data_quality_table(tmp_path):
    # the path a return takes: the raw folder → clean → the quarantine table of 20_clean and 60_report
    raw = tmp_path / "raw"
    raw.mkdir()
    wb = openpyxl.load_workbook(corpus.FORM)
    cell = next(c for c, v in corpus.form_values(wb)[0] if isinstance(v, int | float))
    wb[template.DATA_SHEET][cell] = HOSTILE
    wb.save(raw / "<svg onload=alert(2)>.xlsx")
    shutil.copy(corpus.NEIGHBOUR, raw)
    result = clean.clean(raw, load_catalog())
    assert (result.quarantine["raw_value"] == HOSTILE).any()
    for frame in (clean.quarantine_table(result), clean.files_report(result, load_catalog())):
        html = report.table(frame).to_html()
        assert "<img" not in html and "<svg" not in html
    notice = report.synthetic_notice(["synthetic/`<img src=x onerror=alert(3)>`.xlsx"])
    assert notice.count("`") % 2 == 0 and "`<img" not in notice
