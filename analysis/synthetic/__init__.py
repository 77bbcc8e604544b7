"""A synthetic district (the shipped profile's, params/profile.yaml): its departments' returns for 2015–2024,
seeded and reproducible.

``generate(seed, out_dir)`` writes what the district's departments would send the 妇儿工委 —
ten years of figures in each department's own shape, with the mess real returns have — for a
**synthetic** district built on the shipped profile's real structure (its towns, its size).
Every file is labelled 模拟数据 (synthetic): its name starts with ``模拟_``, it sits in
``data/raw/synthetic/``, and the folder's ``README.md`` (written here) says file by file what it
holds. Same seed, same bytes.

Regenerate with ``plan-monitor sample --seed 20250101 --out data/raw/synthetic`` (or
``python -m analysis.synthetic --seed 20250101 --out data/raw/synthetic``).

The scenario
------------
* **Areas** — the 13 township-level units of ``params/areas.yaml`` (4 街道, counted urban; 9 镇,
  rural) and the former town 佃庄镇, which belongs to the district for 2015–2021 only
  (``former_towns``): district totals before 2022 include it, and no figure after 2021 names it.
* **People** — about 540,000 residents (562,000 with 佃庄镇 before 2022, 537,000 after), sex
  ratio 101; 街道 larger and growing 1.2 % a year, 镇 smaller and shrinking 0.9 % a year.
* **Births** — about 4,000 a year: the crude birth rate is 7.4 ‰ in 2022 (the published rate
  of the city above it) and follows China's shape (a 2016 peak, a fall to 2023, a small rise in 2024), about
  half as steep as the national fall so that every year stays between 3,500 and 5,000 births.
  The sex ratio at birth falls from 112 to 107 (the province's was among the highest in China). Births
  before 2015 (for the school-age cohorts) are the expected numbers from a birth rate falling
  from 10.8 ‰ (1997) to 8.4 ‰ (2014). Children of each age are the births of their cohort times
  a retention factor (deaths and out-migration, 0.99 at birth falling to 0.905 at 17); school
  enrolment, screening and vaccination counts are drawn from these children, so they stay
  consistent with the population.
* **Indicators** — at least one for every field of both plans that has a numeric target
  (W1–W5, W7, C1, C3, C5, C6), 58 in all, in the catalog's units, by sex / town / urban–rural as
  the catalog's breakdowns ask. Each follows a trajectory anchored on the national monitoring
  figures (``docs/reference/national_monitoring_figures.csv``): some better than national, some
  worse. The outcomes are designed to give the scorecard something to say (:data:`DESIGN`):
  targets already met, on track, at risk and off track (the junior-school myopia rate C1.9c
  stays far above its 60 % target and falls slowly), a volatile series (exclusive breast-feeding
  from a small yearly survey; the maternal mortality ratio from a handful of deaths), a reversal
  (primary-school myopia rises to 2020, then falls), sex gaps that narrow (junior myopia) and one
  that widens (women's pension coverage), and a town (邙岭镇) that misses the 90 % vaccination
  threshold (C1.6) in some years.

The noise model
---------------
Rates are drawn as counts, never as smooth numbers: a value is numerator / denominator
computed from the drawn counts and rounded (two decimals in the health forms, one elsewhere),
so the cleaning step's check of values against counts always holds.

* Deaths (maternal; neonatal, infant and under-5; child injury) are **Poisson** or **binomial**
  counts from the live births (or the children) of the year — the standard model of small-area
  vital rates (Breslow & Day 1987; Chiang 1984, whose standard error sqrt(d)/n of a rate
  follows from it). With about 4,000 births a year the district has 0, 1 or 2 maternal deaths:
  its ratio is 0 in some years and 25–50 per 100,000 in others, exactly as real county figures
  jump. Neonatal deaths are drawn from births, post-neonatal infant deaths from the survivors,
  deaths at 1–4 from those, so neonatal ≤ infant ≤ under-5 always.
* Coverage and prevalence rates are **binomial** counts from their denominators (births,
  screened children, insured residents …), with a little extra-binomial year-to-year variation
  (the expected proportion — or its complement when above one half — is multiplied by
  exp(N(0, σ)), σ 0.01–0.05): programme years differ by more than sampling alone.
* Female and male counts are drawn separately; totals are their sums (so female + male = total
  exactly, and a total rate lies between the female and the male rate, rounding included). Town
  counts are drawn per town and summed to urban, rural and district.
* Committee memberships (women on village and residents' committees, among party members and
  cadres) move by whole persons around a trend that steps up at the 2018 and 2021 elections.

The cleaning step flags a year-on-year change far outside a series' usual movement (``jump``,
``params/cleaning.yaml``). A synthetic series is meant to pass it, so each indicator's draw is
checked with the cleaning step's own rules (:func:`analysis.clean.flag_jumps`,
:func:`analysis.clean.flag_sex_consistency`) and the scenario's conditions (e.g. a maternal
mortality ratio of 0 in one year and at least 20/10万 in another); a draw that fails is redrawn
from the next seed of that indicator (``[seed, crc32(name), attempt]``), which keeps every
indicator's draws independent of the others and the whole sample reproducible.

The mess real returns have
--------------------------
卫健委 in the standard template (one form a year); 教体局 as a legacy workbook (two-row merged
headers, "71.2%" in the cells of some years, full-width digits in a few, "—" for years not
collected, notes under the table, an unmapped reference sheet), 医保局 and 水利局 as legacy
workbooks of other layouts; 民政局 as one GBK-encoded CSV with Chinese headers; 人社局 as a
plain UTF-8 long CSV, 组织部 as UTF-8 with BOM naming indicators by their Chinese names, 妇联 as
UTF-8 with units in a column. And exactly the problems in :data:`PLANTED`: one misplaced decimal
point, one pair of conflicting duplicates, one town written by its old name, the former town in
the years it belonged to the district, and a few years missing.

References
----------
Breslow, N. E. & Day, N. E. (1987). *Statistical Methods in Cancer Research, Vol. II: The
Design and Analysis of Cohort Studies*. IARC Scientific Publications No. 82, Lyon (ch. 2: the
Poisson model for rates from small numbers of events).

Chiang, C. L. (1984). *The Life Table and Its Applications*. Krieger, Malabar FL (the standard
errors of vital rates).

National Bureau of Statistics of China, 《中国妇女发展纲要》《中国儿童发展纲要》统计监测报告,
2010–2022 (the national anchors; see ``docs/reference/``).
"""


from analysis.synthetic.draw import (  # noqa: F401
    draw,
)
from analysis.synthetic.generate import (  # noqa: F401
    generate,
)
from analysis.synthetic.world import (  # noqa: F401
    CIVIL_FILE,
    EDUCATION_FILE,
    HEALTH_FILE,
    NEW_NAME,
    PLANTED,
    SEED,
    SYNTHETIC_MARK,
    WEAK_TOWN,
    YEARS,
)
