"""Will each target be met by 2030? Probability, status, pace and early warnings for every target.

:func:`assess` reads ``observations.parquet`` and ``projection_models.parquet`` (the projection
stage's output) and writes the scorecard, ``scorecard.parquet`` and a CSV copy: one row per
catalog target for the district (area ``district``, sex ``total`` — the target's headline row),
plus one per breakdown the catalog asks for (female/male, urban/rural, each town).
``docs/assessment.md`` explains every choice for a reader; every threshold and label is in
``params/assessment.yaml``.

* **Probability of meeting the target** (``p_meet``) — from the projection engine's seeded
  simulated paths (:func:`analysis.trend.simulate_paths`), never from the point forecast:
  ``below`` / ``at_most`` / ``above``: the share of paths on the right side in the target year;
  ``about`` (左右): within value ± tolerance; ``keep_above`` / ``keep_below`` (保持在): on the
  right side in *every* remaining year of the path; a town-level target (以镇（街道）为单位): every
  town in every year, combining the towns' paths as independent draws; ``relative`` (不低于
  another indicator): the difference of the two series' paths; ``direction``: the share of
  paths whose target-year value lies beyond the latest observed value in the asked direction (a
  narrowing gap: the absolute gap between the two groups' paths below the latest observed gap).
* **Status** — achieved (met in the latest year and likely to stay met), on track, at risk,
  off track by the probability thresholds of the params file (IPCC likelihood language); a
  direction target is improving / no clear change / worsening; insufficient data with the reason.
* **Pace** — the observed annual change (least-squares slope on the model's scale: logit for
  proportions, log for rates and levels) against the annual change still required to reach the
  target by its year, their ratio (the UN SDG progress-chart "ratio of actual to required
  progress"), and the year the paths first reach the target (median and interval).
* **Early warnings** — 预计完成困难, 已有年份未达标, 趋势逆转, 差距扩大, 波动较大 (judged with the
  series' own noise, and with the sampling noise of small counts), 数据质量 (cleaning flags).
* **Modes** — annual monitoring of a year Y, the mid-term evaluation (2025; also compared with
  the straight path from the 2020 baseline to the target) and the final evaluation (met or not).

References
----------
.. [1] United Nations Statistics Division (2022). *SDG Progress Chart 2022: Technical Note*
   (the ratio of actual to required growth rate; thresholds 0.95 and 0.5).
.. [2] Bidarbakht Nia, A. (2017). Tracking progress towards the SDGs: measuring the otherwise
   ambiguous progress. ESCAP Statistics Division Working Paper SD/WP/05 (anticipated progress:
   required vs. observed rate of change toward a 2030 target).
.. [3] Mastrandrea, M. D., et al. (2010). Guidance Note for Lead Authors of the IPCC Fifth
   Assessment Report on Consistent Treatment of Uncertainties. IPCC (likely ≥ 66 %, unlikely ≤ 33 %).
.. [4] Brier, G. W. (1950). Verification of forecasts expressed in terms of probability.
   Monthly Weather Review 78(1), 1–3 (the score of the calibration benchmark).
.. [5] Robert, C. P., & Casella, G. (2004). *Monte Carlo Statistical Methods*, 2nd ed. Springer
   (probabilities of events as averages over simulated paths).
"""


from analysis.scorecard.assess import (  # noqa: F401
    Assessment,
    assess,
    assess_entry,
    assess_frame,
    evaluation_year,
    load_assessment,
    verdict_sex,
)
from analysis.scorecard.context import (  # noqa: F401
    Context,
    Series,
    series_z,
    window,
)
from analysis.scorecard.direction import (  # noqa: F401
    direction_row,
    narrow_row,
    qualitative_row,
    relative_row,
)
from analysis.scorecard.headline import (  # noqa: F401
    headline,
    warned_ids,
    warned_indicators,
)
from analysis.scorecard.pace import (  # noqa: F401
    observed_pace,
    pace_ratio,
    required_pace,
)
from analysis.scorecard.probability import (  # noqa: F401
    direction_probabilities,
    direction_status,
    first_year_met,
    joint,
    level_status,
    meets,
    met_on_paths,
    p_beyond,
    probability,
    year_reached,
)
from analysis.scorecard.rows import (  # noqa: F401
    level_row,
)
from analysis.scorecard.settings import (  # noqa: F401
    CONTRACT_COLUMNS,
    DEFAULT_SETTINGS,
    KEEP_KINDS,
    load_settings,
)
from analysis.scorecard.warnings import (  # noqa: F401
    reversal,
    small_counts,
    volatility,
)
