"""From the departments' returns to one validated table, with every value accounted for.

:func:`clean` reads every file under the raw folder (:mod:`analysis.returns`), interprets
each raw value against the catalog — indicator, year, area, sex, unit — and checks it.
Hard problems send the value to quarantine with its file, sheet, cell, the value as written
and a reason in plain words; soft ones keep it with a flag for review. Every raw value ends in
exactly one of ``observations`` and ``quarantine`` (checked on every run).

Hard (quarantine): not a number; unknown indicator, area or sex label; not a year, or a year
outside the monitored years; a unit that is not understood or not convertible; outside the
possible range; numerator larger than denominator; a town reported for a year after it left
the district; a value reported twice (with the same number: one kept, the repeat quarantined;
with different numbers: both quarantined as a conflict, never one picked).

The member units' self-evaluation forms of the qualitative targets are read too
(:mod:`analysis.clean.selfeval`): each filled row is kept in ``self_evaluations`` or quarantined with
its cell and reason (beside the refused values), and a row lost on the way fails the step.

Soft (kept, flagged): ``jump`` (a change from the previous year far outside the series' usual
movement), ``sex_sum_mismatch`` (female + male counts ≠ the total), ``total_outside_sex_range``,
``value_disagrees_with_counts``, and the marks of what was done: ``unit_converted:‰→%``,
``derived_from_counts``, ``alias:首阳山→首阳山街道``, ``former_boundary``, and any flag the
return itself carries (``derived``, ``lower_bound``).
"""


from analysis.clean.quality import (  # noqa: F401
    READ_AS_ZH,
    coverage,
    files_report,
    flagged_for_review,
    headline,
    monitored,
    not_reported,
    quarantine_table,
    read_as_zh,
    self_evaluations_report,
)
from analysis.clean.stage import (  # noqa: F401
    OBSERVATION_COLUMNS,
    QUARANTINE_COLUMNS,
    REASONS,
    REVIEW_FLAGS,
    TABLE_FILES,
    CleanResult,
    Rejected,
    clean,
    flag_jumps,
    flag_sex_consistency,
    interpret,
    load,
    resolve_duplicates,
    sampling_sd,
    stage_key,
    summarise,
    valid_range,
    write,
)
