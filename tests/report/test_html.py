import os
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis import report
from analysis.report import html


def test_publish_swaps_the_staging_folder_in(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "index.html").write_text("old", encoding="utf-8")
    staging = report.start_staging(reports, "r1")
    assert (staging / "index.html").read_text(encoding="utf-8") == "old"  # carried over
    (staging / "index.html").write_text("new", encoding="utf-8")
    report.publish(staging, reports)
    assert (reports / "index.html").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_a_failed_swap_puts_the_previous_reports_back(tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "index.html").write_text("old", encoding="utf-8")
    staging = report.start_staging(reports, "r2")
    real_replace = os.replace

    def replace(src, dst):
        if str(src) == str(staging):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(html.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        report.publish(staging, reports)
    assert (reports / "index.html").read_text(encoding="utf-8") == "old"


def test_rendered_page_has_outputs_and_narrative_but_no_code(tmp_path):
    nb = new_notebook(cells=[
        new_markdown_cell("# 数据质量报告\n\n说明文字"),
        new_code_cell("secret_code_line = 1", outputs=[
            new_output("display_data", data={"text/plain": "显示的结果 42"})]),
    ])
    src = tmp_path / "20_quality.ipynb"
    nbformat.write(nb, src)
    html = tmp_path / "20_quality.html"
    title = report.render_notebook(src, html, {"title": "监测", "run_id": "r1", "run_time": "t",
                                               "commit": "abc", "params_file": "params/run.yaml"})
    text = html.read_text(encoding="utf-8")
    assert title == "数据质量报告"
    assert "说明文字" in text and "显示的结果 42" in text
    assert "secret_code_line" not in text
    assert 'lang="zh-CN"' in text and "返回报告目录" in text and "abc" in text


def test_a_title_a_code_cell_displays_names_the_page(tmp_path):
    """The report writes its title from a code cell, in the page's language: the index must call
    the page by it (not by its file name, 60_report), and a later Markdown heading must not win."""
    nb = new_notebook(cells=[
        new_code_cell("x = 1"),
        new_code_cell("display(Markdown(title))", outputs=[
            new_output("display_data", data={"text/markdown": "# 偃师区妇女儿童发展规划监测报告\n\n说明",
                                             "text/plain": "<IPython.core.display.Markdown object>"})]),
        new_markdown_cell("## 一、基本情况"),
    ])
    src = tmp_path / "60_report.ipynb"
    nbformat.write(nb, src)
    title = report.render_notebook(src, tmp_path / "60_report.html", {"title": "监测", "run_id": "r1",
                                   "run_time": "t", "commit": "abc", "params_file": "params/run.yaml"})
    assert title == "偃师区妇女儿童发展规划监测报告"


def test_an_english_page_has_an_english_banner_and_footer(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("# Evaluation report\n\n## One\n\n## Two\n\n## Three")])
    src = tmp_path / "60_report.ipynb"
    nbformat.write(nb, src)
    html = tmp_path / "60_report.html"
    report.render_notebook(src, html, {"title": "监测", "title_en": "Monitoring", "lang": "en", "run_id": "r1",
                                       "run_time": "2026-12-03 15:36:23（北京时间）", "data_as_of": "2024年",
                                       "commit": "abc", "params_file": "params/run.yaml"})
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    assert soup.html["lang"] == "en"
    banner = soup.find(class_="pm-banner").get_text(" ", strip=True)
    footer = " ".join(soup.find(class_="pm-footer").get_text(" ", strip=True).split())
    assert "Back to the index" in banner and "Monitoring" in banner and "data to 2024" in banner
    assert "(Beijing time)" in footer and "run r1" in footer
    assert soup.find(class_="pm-contents").strong.string == "Contents"
    assert not re.search(r"[\u4e00-\u9fff]", banner + footer)  # no Chinese in the frame of an English page


def test_manifest_and_index_list_every_page(tmp_path):
    manifest = {
        "pages": {"10_b": {"notebook": "10_b", "html": "10_b.html", "title": "乙", "run_id": "r",
                           "run_time": "t"},
                  "00_a": {"notebook": "00_a", "html": "00_a.html", "title": "甲", "run_id": "r",
                           "run_time": "t"}},
        "latest_run": {"run_id": "r", "run_time": "t", "commit": "c", "params_file": "p",
                       "params_sha256": "s", "inputs": [{"folder": "data/raw", "file": "x.csv",
                                                         "bytes": 3, "sha256": "h"}]},
    }
    index = report.write_index(tmp_path, manifest, "标题")
    text = index.read_text(encoding="utf-8")
    assert text.index('href="00_a.html"') < text.index('href="10_b.html"')
    assert "x.csv" in text and "标题" in text
    assert report.read_manifest(tmp_path) == manifest
