"""Projections to 2030: every series, a few honest models, chosen by back-testing, vectorised.

:func:`project` reads ``observations.parquet``, projects every series (one indicator, area and
sex) from its last observed year to 2030, and writes ``projections.parquet`` (a predictive
distribution per year: mean, 80 % and 95 % intervals; observed years carry the fitted values)
and ``projection_models.parquet`` (per series: the family, each candidate's back-test scores,
the chosen model and why, the shrinkage toward the national trend, warnings, the fitted
parameters). :func:`simulate_paths` turns a series' record into seeded simulated paths to 2030
for the assessment stage. ``docs/projections.md`` explains the choices for a reader.

Families, by what the series is (catalog unit, ``params/units.yaml`` kind, counts present):

* ``poisson`` — a rate per 1,000 / 10,000 / 100,000 (unit kind ``rate``) with numerator and
  denominator in every year: a Poisson GLM with log link, ``log(denominator)`` as offset and a
  linear time trend; ``binomial`` — a percentage (kind ``proportion``) with counts in every
  year: a binomial GLM with logit link. Overdispersion is checked by Pearson χ²/df and, when it
  exceeds 1, the covariance is scaled by it (quasi-likelihood) and the sampling noise widened
  to match (gamma-Poisson, beta-binomial).
* ``logit`` — a proportion or rate without complete counts: modelled on the logit scale of its
  valid range (0–100 %, or the catalog's ``valid_range``), so projections stay inside it.
* ``log`` — a level, count or duration whose values are all positive: the log scale;
  ``linear`` — otherwise (a difference in percentage points, a level with zeros).

Candidates, on the family's scale (for the two count families ``trend`` and
``weighted_trend`` are the GLMs and ``damped`` and ``naive`` work on the empirical log/logit
rates with 0.5 added to the counts):

* ``trend`` — a straight line (least squares; t predictive intervals with n − 2 df that
  include the uncertainty of intercept and slope);
* ``weighted_trend`` — the same with recency weights ``0.5 ** (age / half_life)`` (discounted
  least squares; equal noise every year, sandwich covariance, exact effective residual df);
* ``damped`` — additive damped trend exponential smoothing (Gardner & McKenzie 1985), smoothing
  parameters chosen per series by least squares over a grid, ETS(A,Ad,N) forecast variance with
  n − 5 df (initial level and trend, α, β, φ estimated);
* ``naive`` — the last value carried forward, with the series' own volatility (a random walk:
  variance grows with the horizon).

Count GLMs: the covariance is scaled by Pearson χ²/df when above 1; a series without any event
gets a constant rate with half an event added; one whose events all fall in its first or last
year (no finite maximum) gets a normal prior on its slope. The future exposure is the smaller
of the last one and its own log-linear trend. Every predictive distribution is kept inside the
indicator's valid range.

Choice: rolling-origin back-test on the series itself (Tashman 2000): fit on the first k points
for every k ≥ ``min_fit_points``, forecast the rest; the candidate with the lowest mean
weighted interval score (Bracher et al. 2021: the absolute error of the median plus the
interval scores of the 80 % and 95 % intervals, a proper score rewarding both accuracy and
calibration) is chosen. A series with fewer than ``min_backtest_points`` points gets the
``trend`` with its intervals widened (``default_widen``), and its record says so. Intervals
of the analytic candidates are then calibrated across series: when a (family, candidate)'s
pooled out-of-sample errors (origins of 5+ points, all series of the run) exceed its 80 %
half-widths more than 20 % of the time, its intervals are widened by the factor that would have
covered 80 % (split-conformal calibration, Lei et al. 2018; never narrowed).

Borrowing strength: a district, town or urban/rural series whose comparator (area
``national``, same indicator and sex — else the national total) has two or more points has its
trend slope shrunk toward the comparator's by precision weighting (the normal–normal
partial-pooling posterior, Gelman et al. 2013, ch. 5): weight on the comparator
``w = se_own² / (se_own² + tau² + se_comp²)``. Applied to the trend candidates, in the
back-test too (with the comparator cut at the same year); the weight is recorded.

Vectorised: all series are laid on one yearly grid (series × years, a mask where observed);
least squares are closed-form weighted sums, the GLMs are fitted by batched IRLS (2 × 2 normal
equations in closed form), the damped-trend recursion runs across series and a parameter grid
at once, and the back-test stacks every (series, origin) pair as one more row. statsmodels is
the reference the tests compare against.

References
----------
.. [1] Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and
   review. International Journal of Forecasting 16(4), 437–450.
.. [2] Gardner, E. S., & McKenzie, E. (1985). Forecasting trends in time series. Management
   Science 31(10), 1237–1246.
.. [3] Hyndman, R. J., Koehler, A. B., Ord, J. K., & Snyder, R. D. (2008). Forecasting with
   Exponential Smoothing: The State Space Approach. Springer (Table 6.1: ETS forecast variances).
.. [4] Hyndman, R. J., & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd
   ed. (FPP3), OTexts, ch. 5 (benchmark methods, prediction intervals), 8 (damped trend).
.. [5] Agresti, A. (2013). Categorical Data Analysis, 3rd ed. Wiley (binomial GLM, logit).
.. [6] Cameron, A. C., & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed.
   Cambridge University Press (overdispersion, Pearson χ²/df, quasi-Poisson).
.. [7] McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed. Chapman & Hall
   (IRLS; quasi-likelihood dispersion).
.. [8] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A., & Rubin, D. B.
   (2013). Bayesian Data Analysis, 3rd ed. CRC Press, ch. 5 (partial pooling).
.. [9] Bracher, J., Ray, E. L., Gneiting, T., & Reich, N. G. (2021). Evaluating epidemic
   forecasts in an interval format. PLoS Computational Biology 17(2), e1008618.
.. [10] Gneiting, T., & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
   estimation. JASA 102(477), 359–378 (the interval score).
.. [11] Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J., & Wasserman, L. (2018).
   Distribution-free predictive inference for regression. JASA 113(523), 1094–1111.
"""


from analysis.trends.base import (  # noqa: F401
    BINOMIAL,
    CANDIDATES,
    MODEL_COLUMNS,
    POISSON,
    ProjectionSettings,
)
from analysis.trends.candidate import Candidate, Fitted  # noqa: F401
from analysis.trends.candidates import GLM_CANDIDATES, MODELS  # noqa: F401
from analysis.trends.damped import (  # noqa: F401
    Damped,
    damped_forecast,
    damped_variance_factor,
    fit_damped,
)
from analysis.trends.glm import (  # noqa: F401
    fit_glm,
    projected_exposure,
)
from analysis.trends.linear import (  # noqa: F401
    fit_line,
    recency_weights,
)
from analysis.trends.project import (  # noqa: F401
    Projection,
    load_observations,
    load_projection,
    project,
    project_observations,
    validate,
)
from analysis.trends.records import (  # noqa: F401
    simulate_paths,
)
from analysis.trends.scale import Scale, family_of, inside_range  # noqa: F401
from analysis.trends.selection import (  # noqa: F401
    wis,
)
