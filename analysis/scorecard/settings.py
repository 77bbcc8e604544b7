"""The assessment's settings (``params/assessment.yaml``): thresholds, labels, colours, modes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import config, kinds

log = logging.getLogger(__name__)


DEFAULT_SETTINGS = config.PARAMS_DIR / "assessment.yaml"


MODES = ("annual", "midterm", "final")


LEVEL_STATUSES = ("achieved", "on_track", "at_risk", "off_track", "insufficient_data")


DIRECTION_STATUSES = ("improving", "no_clear_change", "worsening")


STATUSES = LEVEL_STATUSES + DIRECTION_STATUSES + ("qualitative",)


#: the kinds' flags, from the registry (analysis/kinds/): met every year; counted in the headline's N
KEEP_KINDS = kinds.KEEP_KINDS
SCORED_KINDS = kinds.SCORED_KINDS


CONTRACT_COLUMNS = [
    "indicator_id", "area", "sex", "mode", "year", "latest_year", "latest_value", "baseline_value", "target_kind",
    "target_value", "projection_2030", "lo80", "hi80", "p_meet", "observed_annual_change", "required_annual_change",
    "status", "warnings", "model",
]


EXTRA_COLUMNS = [
    "plan", "field", "name_zh", "unit", "target_text", "target_year", "breakdown", "is_headline", "monitorable",
    "status_zh", "reason", "reason_zh", "n_points", "met_now", "basic_tolerance", "pace_scale",
    "observed_change_lo", "observed_change_hi", "pace_ratio", "pace_ratio_lo", "pace_ratio_hi", "pace_zh",
    "year_reached", "year_reached_lo", "year_reached_hi", "year_reached_text", "p_all_towns", "towns_at_risk",
    "warning_codes", "severity", "value_at_year", "expected_value", "schedule_gap", "progress_share", "schedule",
    "schedule_zh", "fact_zh", "p_of_zh", "p_ahead", "counts_zh",
]


COLUMNS = CONTRACT_COLUMNS + EXTRA_COLUMNS


@dataclass(frozen=True)
class AssessmentSettings:
    """The assessment's parameters, read from ``params/assessment.yaml`` (no defaults in code:
    the file is the one place a threshold or a label is set; the plan period and the number of
    simulated paths come from ``params/plan.yaml``). See those files for each."""

    path: Path = field(metadata={"path": True})
    baseline_year: int = field(metadata={"plan": "baseline_year"})
    plan_start: int = field(metadata={"plan": "first_year"})
    midterm_year: int = field(metadata={"plan": "midterm_year"})
    final_year: int = field(metadata={"plan": "final_year"})
    n_sims: int = field(metadata={"plan": "n_sims_assessment"})
    baseline_max_shift: int
    min_points: int
    max_data_age: int
    final_max_lag: int
    likely: float = field(metadata={"key": "probability.likely"})
    unlikely: float = field(metadata={"key": "probability.unlikely"})
    words_below: float = field(metadata={"key": "probability.words_below"})
    words_above: float = field(metadata={"key": "probability.words_above"})
    #: the verbal bands of a probability, highest first: ({from, zh, en}, …)
    bands: tuple[dict[str, Any], ...] = field(metadata={"key": "probability.bands"})
    basic_enabled: bool = field(metadata={"key": "basic_achievement.enabled"})
    basic_share: float = field(metadata={"key": "basic_achievement.share"})
    pace_window: int = field(metadata={"key": "pace.window"})
    pace_interval: float = field(metadata={"key": "pace.interval"})
    on_pace: float = field(metadata={"key": "pace.on_pace"})
    acceleration_needed: float = field(metadata={"key": "pace.acceleration_needed"})
    noise_to_pace: float = field(metadata={"key": "volatility.noise_to_pace"})
    reach_z: float = field(metadata={"key": "volatility.reach_z"})
    reversal_run: int = field(metadata={"key": "reversal.run"})
    reversal_min_sd: float = field(metadata={"key": "reversal.min_sd"})
    gap_widening_z: float = field(metadata={"key": "gap.widening_z"})
    marked_change: float
    whole_count_max: float
    data_quality_flags: dict[str, str]
    joint_town_phrases: tuple[str, ...]
    headline_count: str = field(metadata={"key": "headline.count"})
    headline_denominator: str = field(metadata={"key": "headline.denominator"})
    labels: dict[str, str]
    final_labels: dict[str, str]
    basic_label: str
    broken_label: str
    colours: dict[str, str]
    warnings: dict[str, dict[str, Any]]
    #: 与上期相比: the order of the statuses (higher: better) by which a change is named
    status_rank: dict[str, int]
    #: an override of the benchmarks, not a setting: None draws each series with the seed its
    #: projection recorded
    seed: int | None = None

    def label(self, status: str, mode: str = "annual") -> str:
        """The Chinese word for a status code (the final evaluation's plainer words in mode final)."""
        if mode == "final" and status in self.final_labels:
            return self.final_labels[status]
        return self.labels[status]


def load_settings(path: str | Path = DEFAULT_SETTINGS, **overrides: Any) -> AssessmentSettings:
    """Read ``params/assessment.yaml`` (or another file of the same form), with ``overrides``
    (field names of :class:`AssessmentSettings`) on top.

    Raises :class:`analysis.config.ParamsError` naming the file and the unknown or missing key,
    or a threshold out of order (``unlikely < likely``).
    """
    settings = config.settings_from_yaml(AssessmentSettings, path, **overrides)
    where = config.display_path(settings.path)
    problems = []
    if not 0 < settings.unlikely < settings.likely < 1:
        problems.append("need 0 < probability.unlikely < probability.likely < 1")
    if not 0 < settings.words_below < settings.words_above < 1:
        problems.append("need 0 < probability.words_below < probability.words_above < 1")
    starts = [b.get("from") if isinstance(b, dict) else None for b in settings.bands]
    named = all(isinstance(b, dict) and b.get("zh") and b.get("en") for b in settings.bands)
    if (not starts or any(not isinstance(x, int | float) for x in starts) or starts != sorted(starts, reverse=True)
            or starts[-1] != 0 or not named):
        problems.append("probability.bands must be a list of {from, zh, en}, 'from' falling to 0")
    elif not {settings.likely, settings.unlikely} <= set(starts):
        problems.append("probability.bands must have bands starting at probability.likely and probability.unlikely")
    if set(STATUSES) - set(settings.labels):
        problems.append(f"labels missing for {sorted(set(STATUSES) - set(settings.labels))}")
    ranked = set(STATUSES) - {"qualitative", "insufficient_data"}
    if set(settings.status_rank) != ranked or not all(isinstance(v, int) for v in settings.status_rank.values()):
        problems.append(f"status_rank must give a whole number to each of {sorted(ranked)}")
    if settings.headline_count not in ("monitorable", "all"):
        problems.append("headline.count must be 'monitorable' or 'all'")
    if settings.headline_denominator not in ("assessable", "all"):
        problems.append("headline.denominator must be 'assessable' or 'all'")
    if not 0 < settings.marked_change < 1:
        problems.append("marked_change must be a share between 0 and 1")
    if settings.min_points < 2:
        problems.append("min_points must be at least 2")
    if problems:
        raise config.ParamsError(f"{where}: " + "; ".join(problems))
    return settings
