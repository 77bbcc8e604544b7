"""Sex, urban–rural and town gaps: who is being left behind.

The plans ask for more than district averages: girls and boys, women and men, rural and urban
children, the district's 13 towns and sub-districts. This module measures those gaps, follows
them over the years, projects them to 2030 with an interval from the projection engine's
simulated paths, and says whether each is narrowing, showing no clear change, widening or
reversing, with a probability. For indicators reported by town it builds the table, the heat map, the list of
towns below a per-town threshold and a funnel plot against the district rate. Published tables
suppress values built on fewer than a few events; the analysis itself uses the counts.

Method and choices: ``docs/gaps.md``; thresholds: ``params/gaps.yaml``. The core measures take
arrays (:func:`difference`, :func:`adjusted_parity_index`, :func:`narrowing_probability`,
:func:`funnel_limits` …) so that they can be checked by hand without a projection run.

Orientation, in one line: the *focus* group is the one whose disadvantage the plans watch
(women and girls; rural areas), the *reference* group the other (men and boys; urban areas);
differences are focus − reference in the indicator's unit, ratios focus / reference, and the
oriented parity index is below 1 when the focus group is worse off, whatever way the indicator
runs (the catalog's ``better``).
"""


from analysis.gaps.funnel import (  # noqa: F401
    dispersion_ratio,
    funnel_limits,
    towns_below_threshold,
)
from analysis.gaps.measures import (  # noqa: F401
    adjusted_parity_index,
    change_status,
    difference,
    disadvantaged,
    is_small,
    narrowing_probability,
    oriented_parity_index,
    ratio,
    summarise_gap_paths,
    widening_probability,
    window_level,
)
from analysis.gaps.narrowing import (  # noqa: F401
    narrow_targets,
    narrowing_judgement,  # noqa: F401
)
from analysis.gaps.pairs import (  # noqa: F401
    analyse_gaps,
    pair_series,
)
from analysis.gaps.settings import (  # noqa: F401
    GapSettings,
    Inputs,
    load_inputs,
    select_ids,
)
from analysis.gaps.shares import (  # noqa: F401
    band_distance,
    band_position,
    female_shares,
    share_band,
)
from analysis.gaps.stage import GapStage, compute, load, run  # noqa: F401
from analysis.gaps.towns import (  # noqa: F401
    membership,
    town_indicators,
    town_units,
)
