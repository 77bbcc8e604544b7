"""The rendered pages in a real browser (headless Chromium). Skipped where no Chromium is
installed; .ci/run installs it, so CI always runs these."""

import base64

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis import report
from analysis.report import browser

pytestmark = pytest.mark.skipif(browser.find_chromium() is None,
                                reason="Chromium is not installed (apt-get install chromium fonts-noto-cjk)")

# a 1×1 PNG, written out here
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a3a2e40000000049454e44ae426082")).decode()


def test_a_page_rendered_by_the_suite_passes_and_is_screenshot(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    nb = new_notebook(cells=[
        new_markdown_cell("# 数据质量报告\n\n[目录](index.html) · [本页顶部](#数据质量报告)"),
        new_code_cell("x", outputs=[new_output("display_data", data={"image/png": PIXEL, "text/plain": "图"})]),
    ])
    nbformat.write(nb, tmp_path / "20_clean.ipynb")
    report.render_notebook(tmp_path / "20_clean.ipynb", reports / "20_clean.html",
                           {"title": "监测", "run_id": "r", "run_time": "t", "commit": "c", "params_file": "p"})
    (reports / "index.html").write_text('<html><body><a href="20_clean.html">报告</a></body></html>',
                                        encoding="utf-8")
    results = {r.page: r for r in browser.check_pages(reports, tmp_path / "shots")}
    assert results["20_clean.html"].problems == [] and results["index.html"].problems == []
    assert (tmp_path / "shots" / "20_clean.png").stat().st_size > 1000


def test_broken_images_dead_links_and_script_errors_are_caught(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "bad.html").write_text(
        '<html><body><img src="missing.png"><a href="nowhere.html">x</a><a href="#nope">y</a>'
        "<script>undefinedFunction()</script></body></html>", encoding="utf-8")
    (result,) = browser.check_pages(reports, tmp_path / "shots")
    text = " | ".join(result.problems)
    assert "image that did not load" in text
    assert "link to 'nowhere.html', which does not exist" in text
    assert "link to '#nope', which is not an anchor of the page" in text
    assert "script error" in text and "undefinedFunction" in text


def test_check_pages_exits_1_naming_the_page_that_fails(tmp_path):
    from typer.testing import CliRunner

    from analysis.pipeline.cli import app

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "index.html").write_text('<html><body><a href="bad.html">x</a></body></html>', encoding="utf-8")
    (reports / "bad.html").write_text('<html><body><img src="missing.png"></body></html>', encoding="utf-8")
    result = CliRunner().invoke(app, ["check-pages", "--reports", str(reports), "--screenshots", str(tmp_path / "s")])
    assert result.exit_code == 1 and "bad.html" in result.output and "image that did not load" in result.output


def test_characters_no_font_can_draw_are_caught(tmp_path):
    # Chinese draws (fonts-noto-cjk); Old Hungarian (U+10C80 …) has no font here: drawn as empty boxes,
    # which a screenshot of the right size would never reveal
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "zh.html").write_text("<html><body><p>偃师区妇女儿童发展规划监测报告</p></body></html>",
                                     encoding="utf-8")
    (reports / "boxes.html").write_text("<html><body><p>监测 \U00010C80\U00010C81</p></body></html>",
                                        encoding="utf-8")
    results = {r.page: r for r in browser.check_pages(reports, tmp_path / "shots")}
    assert results["zh.html"].problems == []
    assert any("empty boxes" in p and "\U00010C80" in p for p in results["boxes.html"].problems)
