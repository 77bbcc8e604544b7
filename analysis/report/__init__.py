"""Turning the stage tables into words, tables, charts and pages (Chinese and English).

Engines compute tables; this package turns them into what a reader sees: :mod:`labels` (every
fixed word), :mod:`numbers` (number formats, 百分点), :mod:`sentences`, :mod:`fields`,
:mod:`annexes` and :mod:`evaluation` (the evaluation report; the last its 成效, 问题, 建议, 附表),
:mod:`explorer` (the analyst's explorer of any indicator, area and sex; :mod:`lab` drives it in JupyterLab),
:mod:`history` (与上期相比 and the status history, from the monitoring database),
:mod:`selfeval` (the member units' self-evaluations of the qualitative targets),
:mod:`scorecard`, :mod:`trends`, :mod:`gaps` and :mod:`gap_charts` (the stage pages),
:mod:`tables` (every table a page shows, its text escaped), :mod:`style` (chart style and the CJK font), :mod:`html`
(HTML without code, the index page), :mod:`word` and :mod:`pdf` (the report as Word and PDF) and :mod:`browser`
(the check of the rendered pages).

The names below are loaded on first use, so that an engine importing :mod:`labels` for its
words does not pull in matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

#: every public name of the package and the module it lives in
_HOME = {
    "Explorer": "explorer",
    "SelectionError": "explorer",
    "resolve_selection": "explorer",
    "changes_table": "history",
    "comparison_text": "history",
    "revisions_table": "history",
    "revisions_text": "history",
    "status_history": "history",
    "MANIFEST": "html",
    "REMOVE_CELL_TAG": "html",
    "TEMPLATES": "html",
    "achievements": "evaluation",
    "attainment_table": "evaluation",
    "backtest_table": "trends",
    "chart_rows": "fields",
    "data_quality": "annexes",
    "discard": "html",
    "district_context": "sentences",
    "fan_chart": "trends",
    "field_table": "fields",
    "field_title": "fields",
    "fields_of": "fields",
    "funnel_chart": "gap_charts",
    "gap_headline": "gaps",
    "gap_table": "gaps",
    "gap_trend_chart": "gap_charts",
    "gap_years_table": "gaps",
    "heading": "sentences",
    "headline_table": "scorecard",
    "headline_text": "scorecard",
    "index_summary": "html",
    "indicator_page": "fields",
    "indicator_rows": "annexes",
    "indicator_sentence": "sentences",
    "insufficient_table": "scorecard",
    "methods_text": "annexes",
    "model_card": "trends",
    "models_overview": "trends",
    "narrow_target_table": "gaps",
    "not_projected": "trends",
    "notebook_title": "html",
    "pace_table": "scorecard",
    "problems": "evaluation",
    "progress_table": "evaluation",
    "recommendations": "evaluation",
    "pair_values_chart": "gap_charts",
    "parity_overview_chart": "gap_charts",
    "probability_words": "sentences",
    "projection_table": "trends",
    "publish": "html",
    "published_value": "gaps",
    "status_colours": "scorecard",
    "qualitative_table": "selfeval",
    "self_evaluation_note": "selfeval",
    "read_manifest": "html",
    "render_notebook": "html",
    "report_title": "annexes",
    "run_summary": "trends",
    "schedule_table": "scorecard",
    "scorecard_table": "scorecard",
    "series_chart": "trends",
    "series_keys": "annexes",
    "series_overview": "trends",
    "severity_scale": "scorecard",
    "share_chart": "gap_charts",
    "share_headline": "gaps",
    "share_table": "gaps",
    "small_multiples": "fields",
    "small_numbers_note": "gaps",
    "start_staging": "html",
    "status_chart": "scorecard",
    "styled": "scorecard",
    "synthetic_notice": "sentences",
    "table": "tables",
    "escape": "tables",
    "town_panel": "gap_charts",
    "town_table": "gaps",
    "warning_list": "annexes",
    "warning_table": "scorecard",
    "with_contents": "html",
    "write_index": "html",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """Load ``name`` from its module on first use (PEP 562)."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
