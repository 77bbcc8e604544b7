"""Test-session set-up. The notebooks' kernel is made sure of once, before nbval or papermill
start one (a fresh environment gets it installed into its own prefix)."""

from __future__ import annotations

import pytest

from analysis.pipeline import suite


def pytest_configure(config: pytest.Config) -> None:
    suite.ensure_kernel()
