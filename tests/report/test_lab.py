"""80_explore in a real JupyterLab, driven by headless Chromium: the drop-downs appear, and choosing
another indicator and then a sex shows the new series (kernel, widgets and rendering included)."""

from __future__ import annotations

import pytest

from analysis.report import browser, lab


@pytest.mark.slow
@pytest.mark.skipif(browser.find_chromium() is None, reason="no Chromium (apt-get install chromium)")
def test_the_explorer_answers_in_a_real_jupyterlab(processed, tmp_path):
    seen = lab.check_explorer(processed, tmp_path, timeout=90)   # waits for each new series, raises when it never comes
    assert list(seen.seconds) == ["indicator C1.9c → C1.9b", "sex 合计 → 女"]
    assert seen.problems == []
    assert all(p.stat().st_size > 50_000 for p in seen.screenshots)   # a page with a chart, not a blank
