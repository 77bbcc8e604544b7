"""Suite-wide test settings.

Under CI (``.ci/run`` sets ``PLAN_MONITOR_NO_SKIPS=1``) a skipped test is a failed test: a check
that did not run — the browser check without Chromium, say — must turn the build red, not pass
it by silence.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("PLAN_MONITOR_NO_SKIPS") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which must run every check: {report.longrepr}"
