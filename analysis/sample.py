"""A synthetic Yanshi District: the departments' returns for 2015–2024, seeded and reproducible.

``generate(seed, out_dir)`` writes what the district's departments would send the 妇儿工委 —
ten years of figures in each department's own shape, with the mess real returns have — for a
**synthetic** district built on Yanshi's real structure. Every file is labelled 模拟数据
(synthetic): its name starts with ``模拟_``, it sits in ``data/raw/synthetic/``, and the folder's
``README.md`` (written here) says file by file what it holds. Same seed, same bytes.

Regenerate with ``plan-monitor sample --seed 20250101 --out data/raw/synthetic`` (or
``python -m analysis.sample --seed 20250101 --out data/raw/synthetic``).

The scenario
------------
* **Areas** — the 13 township-level units of ``params/areas.yaml`` (4 街道, counted urban; 9 镇,
  rural) and the former town 佃庄镇, which belongs to the district for 2015–2021 only
  (``former_towns``): district totals before 2022 include it, and no figure after 2021 names it.
* **People** — about 540,000 residents (562,000 with 佃庄镇 before 2022, 537,000 after), sex
  ratio 101; 街道 larger and growing 1.2 % a year, 镇 smaller and shrinking 0.9 % a year.
* **Births** — about 4,000 a year: the crude birth rate is 7.4 ‰ in 2022 (Luoyang's published
  rate) and follows China's shape (a 2016 peak, a fall to 2023, a small rise in 2024), about
  half as steep as the national fall so that every year stays between 3,500 and 5,000 births.
  The sex ratio at birth falls from 112 to 107 (Henan's was among the highest in China). Births
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

from __future__ import annotations

import argparse
import csv
import io
import logging
import math
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from analysis import atomic, clean, config, parse, template
from analysis.catalog import Catalog, load_catalog

log = logging.getLogger(__name__)

#: the default seed: ``plan-monitor sample`` without ``--seed`` writes the shipped sample
SEED = 20250101
YEARS = tuple(range(2015, 2025))
PLAN_START = 2021
DEFAULT_OUT = config.RAW_DIR / "synthetic"
#: redraws allowed for one indicator before the generator gives up (a scenario that cannot be met)
MAX_ATTEMPTS = 500
SYNTHETIC_MARK = "【模拟数据 · SYNTHETIC】"

# --- the district's structure --------------------------------------------------------------

#: resident population in 2020 (persons) of each township-level unit; 佃庄镇 left after 2021
POP_2020 = {
    "首阳山街道": 66_000, "商城街道": 72_000, "槐新街道": 59_000, "伊洛街道": 53_000,
    "翟镇镇": 36_000, "岳滩镇": 32_000, "顾县镇": 38_000, "缑氏镇": 40_000, "府店镇": 35_000,
    "高龙镇": 31_000, "山化镇": 23_000, "大口镇": 26_000, "邙岭镇": 24_000, "佃庄镇": 28_000,
}
#: yearly population growth: sub-districts gain, towns lose residents
GROWTH = {"urban": 0.012, "rural": -0.009}
#: residents per 100 women (the population's sex ratio)
SEX_RATIO = 101.0
#: crude birth rate (‰), the district as a whole; 2022 is Luoyang's published 7.4 ‰
CBR = {2015: 8.2, 2016: 8.5, 2017: 8.4, 2018: 7.9, 2019: 7.7, 2020: 7.4, 2021: 7.3, 2022: 7.4,
       2023: 6.9, 2024: 7.1}
#: relative fertility of sub-districts and towns
FERTILITY = {"urban": 0.94, "rural": 1.05}
#: administrative villages and residents' communities of each unit (committee counts)
VILLAGES = {"首阳山街道": 16, "商城街道": 5, "槐新街道": 4, "伊洛街道": 7, "翟镇镇": 19, "岳滩镇": 17,
            "顾县镇": 20, "缑氏镇": 22, "府店镇": 21, "高龙镇": 18, "山化镇": 15, "大口镇": 17,
            "邙岭镇": 16, "佃庄镇": 17}
COMMUNITIES = {"首阳山街道": 6, "商城街道": 12, "槐新街道": 10, "伊洛街道": 9, "翟镇镇": 2, "岳滩镇": 2,
               "顾县镇": 3, "缑氏镇": 3, "府店镇": 2, "高龙镇": 2, "山化镇": 2, "大口镇": 2, "邙岭镇": 2,
               "佃庄镇": 2}
#: hill towns: later piped water
HILL_TOWNS = ("府店镇", "山化镇", "大口镇", "邙岭镇")
#: the town that misses the vaccination threshold in some years
WEAK_TOWN = "邙岭镇"
#: the old name one return uses (areas.yaml maps it)
OLD_NAME, NEW_NAME = "首阳山镇", "首阳山街道"

# --- the files -------------------------------------------------------------------------------

HEALTH_FILE = "模拟_卫健委_监测填报表_{year}.xlsx"
INSURANCE_FILE = "模拟_医保局_参保情况统计表.xlsx"
EDUCATION_FILE = "模拟_教体局_教育统计汇总表.xlsx"
WATER_FILE = "模拟_水利局_农村供水统计表.xlsx"
CIVIL_FILE = "模拟_民政局_村居委会成员统计.csv"
HRSS_FILE = "模拟_人社局_就业和社会保障指标.csv"
ORGANISATION_FILE = "模拟_组织部_女干部女党员统计.csv"
WOMEN_FILE = "模拟_妇联_家庭教育指导服务站点.csv"
MAPPING_SUFFIX = ".mapping.yaml"

#: The problems planted in the sample, where they are, and what the cleaning step does with
#: them (``effect``: quarantine with ``reason``, keep with ``flag``, or count as ``missing``).
#: The tests and the folder's README read this list; the generator checks that every cell named
#: here is where it writes the planted value.
PLANTED: list[dict[str, str]] = [
    {"kind": "typo", "effect": "quarantine", "reason": "out_of_range",
     "file": EDUCATION_FILE, "sheet": "入学巩固", "cell": "L6",
     "description": "九年义务教育巩固率 (C3.4), 2018, 男: the decimal point was dropped, so the cell "
                    "holds ten times the percentage (e.g. 963 for 96.3 %), which is impossible; the "
                    "same figure is right in sheet 妇女规划指标 (W2.4)"},
    {"kind": "conflicting_duplicate", "effect": "quarantine", "reason": "conflicting_duplicate",
     "file": HRSS_FILE, "sheet": "", "cell": "E6",
     "description": "妇女基本医疗保险参保率 (W5.3), 2019, 女: 人社局 still reports the women's coverage "
                    "from its enrolment register in the year 医保局 took the insurance over"},
    {"kind": "conflicting_duplicate", "effect": "quarantine", "reason": "conflicting_duplicate",
     "file": INSURANCE_FILE, "sheet": "参保率", "cell": "B5",
     "description": "妇女基本医疗保险参保率 (W5.3), 2019, 女: 医保局's figure from its settlement data "
                    "differs from 人社局's for the same year; which is right is for the departments"},
    {"kind": "old_name", "effect": "flag", "flag": f"alias:{OLD_NAME}→{NEW_NAME}",
     "file": WATER_FILE, "sheet": "农村自来水普及率", "cell": "A5",
     "description": f"{NEW_NAME} is written by its old name {OLD_NAME} (the row label): its ten values "
                    "are kept and flagged"},
    *({"kind": "former_town", "effect": "flag", "flag": "former_boundary",
       "file": HEALTH_FILE.format(year=y), "sheet": template.DATA_SHEET, "cell": "C1.6, 地区 佃庄镇",
       "description": f"the former town 佃庄镇 in its vaccination row ({y}, when it still belonged to "
                      "the district): kept, flagged"} for y in range(2015, 2022)),
    {"kind": "former_town", "effect": "flag", "flag": "former_boundary",
     "file": CIVIL_FILE, "sheet": "", "cell": "C (地区) = 佃庄镇",
     "description": "the former town 佃庄镇 in the committee rows of 2015–2021: kept, flagged"},
    {"kind": "former_town", "effect": "flag", "flag": "former_boundary",
     "file": WATER_FILE, "sheet": "农村自来水普及率", "cell": "B18:H18",
     "description": "the former town 佃庄镇, 2015–2021 (its 2022–2024 cells are empty): kept, flagged"},
    {"kind": "missing", "effect": "missing", "file": EDUCATION_FILE, "sheet": "视力体质", "cell": "B7:D7",
     "description": "高中阶段学生近视率 (C1.9d), 2015: “—” (high schools were not screened)"},
    {"kind": "missing", "effect": "missing", "file": EDUCATION_FILE, "sheet": "视力体质", "cell": "Q8:S8",
     "description": "中小学生体质健康达标优良率 (C1.10), 2020: “—” (the fitness tests were suspended)"},
    {"kind": "missing", "effect": "missing", "file": WATER_FILE, "sheet": "农村自来水普及率", "cell": "C16",
     "description": "农村自来水普及率 (W7.6a), 大口镇, 2016: “—”"},
    {"kind": "missing", "effect": "missing", "file": HEALTH_FILE.format(year=2015), "sheet": template.DATA_SHEET,
     "cell": "C1.8a, C1.8b rows",
     "description": "5岁以下儿童贫血率 and 生长迟缓率 (C1.8a, C1.8b), 2015: left blank in the form"},
    {"kind": "missing", "effect": "absent", "file": HRSS_FILE, "sheet": "", "cell": "",
     "description": "高级专业技术人员中的女性比例 (W3.4), 2015 and 2016: no rows (not compiled then)"},
]

#: The outcome each series is designed to show against its target (for the scorecard to find),
#: and the national figure it is anchored on (docs/reference/national_monitoring_figures.csv).
DESIGN: dict[str, tuple[str, str]] = {
    "W1.2a": ("VOLATILE, at risk: 0–2 deaths a year, so the ratio jumps between 0 and ~50; the expected "
              "ratio falls from 23 to 14, above the 12 asked", "national 20.1 (2015) → 15.7 (2022); district a "
              "little worse"),
    "W1.3a": ("on track", "no national series; 35 % → 64 %"),
    "W1.3b": ("rising (direction met)", "—"),
    "W1.5": ("met (no transmission)", "—"),
    "W1.8": ("falling (direction met)", "—"),
    "W1.10": ("met (one standardised institution)", "—"),
    "W1.M4": ("met since 2017", "national 89.6 (2017) → 93.6 (2022); district slightly better"),
    "W1.M7a": ("met", "—"), "W1.M7b": ("met", "—"), "W1.M7c": ("met", "—"),
    "W1.M7d": ("met (100 % whenever there is a case)", "—"),
    "W2.4": ("at risk (girls above 97 first)", "national 93.0 (2015) → 95.5 (2022); district better"),
    "W2.5": ("off track (never 96)", "national 87.0 (2015); district similar"),
    "W3.2": ("met (within 45 ± 2)", "national 42.9 (2015) → 43.2 (2022); district higher"),
    "W3.3": ("at risk (below the 38–42 band, rising)", "national 37.2 (2010)"),
    "W3.4": ("on track", "national 39.3 (2017); district lower"),
    "W4.7c": ("at risk (steps up at the 2018 and 2021 elections, below 30)",
              "national 24.0 (2018) → 24.2 (2020); district a little higher"),
    "W4.8c": ("met (within 50 ± 2)", "national urban 49.2 (2015) → 50.4 (2018)"),
    "W5.3": ("met (kept above 95); 2019 conflicting duplicate", "—"),
    "W5.4": ("off track for women; sex gap WIDENING (men gain faster)", "—"),
    "W5.5a": ("rising (direction met)", "—"), "W5.5b": ("rising (direction met)", "—"),
    "W5.2": ("rising (direction met)", "—"),
    "W7.6a": ("met since 2022 in the district; hill towns below 93", "—"),
    "C6.7a": ("met since 2022", "—"),
    "W4.2a": ("comparator of W4.2b (rising)", "—"),
    "W4.2b": ("met (delegates' share above members' share; congress years only)", "—"),
    "W4.4a": ("rising (direction met)", "—"), "W4.5": ("rising (direction met)", "—"),
    "C1.3a": ("on track (noisy)", "national 5.4 (2015) → 3.1 (2022); district better"),
    "C1.3b": ("met", "national 8.1 (2015) → 4.9 (2022); district better"),
    "C1.3c": ("on track; urban–rural gap NARROWING", "national 10.7 (2015) → 6.8 (2022); district better"),
    "C1.6": (f"met in the district; {WEAK_TOWN} BELOW 90 in some years",
             "national coverage above 90 % (lower bound)"),
    "C1.8a": ("met", "national 4.78 (2016) → 5.44 (2018)"), "C1.8b": ("met", "national 1.09–1.11 (2017–18)"),
    "C1.8c": ("rising (direction missed)", "—"),
    "C1.9b": ("REVERSAL: rises to 2020, then falls below 38", "national 35.5 (2021)"),
    "C1.9c": ("off track: far above 60, falling slowly; sex gap NARROWING", "national 71.1 (2021); district worse"),
    "C1.9d": ("off track", "—"),
    "C1.9e": ("met since 2020", "national 91.8 (2020) → 93.6 (2022)"),
    "C1.10": ("on track", "national 53.8 (2021) → 55.1 (2022); district slightly worse"),
    "C1.M2b": ("on track", "national 0.64 (2020) → 0.78 (2021); district similar"),
    "C1.M2c": ("off track", "national 2.17 (2020) → 2.20 (2021); district lower"),
    "C1.M4": ("met", "national 95.5 (2020) → 96.7 (2022); district similar"),
    "C1.M6a": ("met since 2017", "national 91.1 (2016) → 93.3 (2022)"),
    "C1.M6b": ("met", "national 92.4 (2016) → 94.9 (2022)"),
    "C1.M7a": ("at risk (about 26, target 25)", "—"),
    "C1.M10": ("VOLATILE around the 50 % target (a survey of ~400 infants)",
               "national routine figure 75 % (2013–2018); district survey lower"),
    "C2.1": ("falling slowly under small-count noise (about 10 deaths a year)",
             "national 15.8 (2015) → 11.4 (2019); district lower"),
    "C3.3": ("on track", "national 85.2 (2020) → 89.7 (2022); district higher"),
    "C3.4": ("at risk (one 2018 value quarantined: typo)", "national 93.0 (2015) → 95.5 (2022); district better"),
    "C3.5": ("off track (never 96)", "national 87.0 (2015)"),
    "C3.6": ("rising (direction met)", "—"),
    "C3.M6a": ("met since 2021 (kept above 50)", "—"),
    "C3.M6b": ("met in 2024", "—"),
    "C4.8": ("rising (direction met)", "—"),
    "C5.6a": ("met", "—"), "C5.6b": ("met in 2024", "—"),
}

PER = {"%": 100, "‰": 1000, "/10万": 100_000}
SEXES = ("female", "male", "total")
SEX_ZH = {"female": "女", "male": "男", "total": "合计"}


# --- records: every figure the sample writes ---------------------------------------------------


@dataclass
class Rec:
    """One figure a return carries: indicator, year, area, sex, value and (optionally) counts.

    ``area`` is the code the cleaning step gives it (district, urban, rural or a town's current
    name); ``dest``/``sheet`` say which return writes it; ``status`` says how: ``ok`` as it is,
    ``typo`` with its planted typo, ``conflict`` as one of the conflicting pair, ``dash`` written
    "—", ``blank`` left empty, ``absent`` not in the file. Only ``ok`` figures end as observations.
    """

    indicator: str
    year: int
    area: str
    sex: str
    value: float
    numerator: int | None = None
    denominator: int | None = None
    decimals: int = 1
    dest: str = ""
    sheet: str = ""
    status: str = "ok"


def _rate(indicator: str, year: int, area: str, sex: str, num: int, den: int, unit: str, decimals: int,
          dest: str, sheet: str = "", counts: bool = True, status: str = "ok") -> Rec:
    """A rate computed from its counts and rounded as the return writes it."""
    value = round(num / den * PER[unit], decimals)
    return Rec(indicator, year, area, sex, value, int(num) if counts else None, int(den) if counts else None,
               decimals, dest, sheet, status)


def _by_sex(indicator: str, year: int, area: str, num: dict[str, int], den: dict[str, int], unit: str,
            decimals: int, dest: str, sheet: str = "", counts: bool = True, status: str = "ok") -> list[Rec]:
    """Female, male and total rates; the total from the summed counts (so it lies between them)."""
    num = {**num, "total": num["female"] + num["male"]}
    den = {**den, "total": den["female"] + den["male"]}
    return [_rate(indicator, year, area, s, num[s], den[s], unit, decimals, dest, sheet, counts, status)
            for s in SEXES]


def _path(points: dict[int, float]) -> dict[int, float]:
    """A trajectory over :data:`YEARS`, linear between the anchor years given."""
    xs = sorted(points)
    return {y: float(np.interp(y, xs, [points[x] for x in xs])) for y in YEARS}


def _draw(rng: np.random.Generator, n: int, percent: float, od: float = 0.0) -> int:
    """A binomial count of ``n`` with expected proportion ``percent`` %, with extra-binomial
    variation: the proportion (its complement above one half) times exp(N(0, od))."""
    p = percent / 100
    if od:
        factor = math.exp(rng.normal(0, od))
        p = 1 - (1 - p) * factor if p > 0.5 else p * factor
    return int(rng.binomial(int(n), min(max(p, 0.0), 1.0)))


def _wobble(rng: np.random.Generator) -> int:
    """A change of a committee by one person, or none: −1, 0 or +1."""
    return int(rng.choice((-1, 0, 1), p=(0.35, 0.3, 0.35)))


# --- the population ---------------------------------------------------------------------------


@dataclass
class World:
    """The synthetic district: towns, residents and births, and the figures later blocks reuse."""

    types: dict[str, str]
    last_year: dict[str, int]
    pop: dict[tuple[str, int], int]
    births: dict[tuple[str, int, str], float]
    extras: dict[str, Any] = field(default_factory=dict)

    def towns(self, year: int) -> list[str]:
        """The units belonging to the district in ``year`` (佃庄镇 up to 2021)."""
        return [t for t in self.types if self.last_year.get(t, 9999) >= year]

    def members(self, area: str, year: int) -> list[str]:
        """The towns making up an area (district, urban, rural or one town) in ``year``."""
        if area == "district":
            return self.towns(year)
        if area in ("urban", "rural"):
            return [t for t in self.towns(year) if self.types[t] == area]
        return [area]

    def pop_of(self, year: int, area: str = "district", sex: str = "total") -> int:
        """Residents of an area; women are 100/201 of them (sex ratio 101)."""
        total = sum(self.pop[(t, year)] for t in self.members(area, year))
        female = round(total * 100 / (100 + SEX_RATIO))
        return {"total": total, "female": female, "male": total - female}[sex]

    def births_of(self, year: int, area: str = "district", sex: str = "total") -> int:
        """Live births of an area in ``year`` (drawn for 2015 on)."""
        sexes = ("female", "male") if sex == "total" else (sex,)
        return round(sum(self.births[(t, year, s)] for t in self.members(area, year) for s in sexes))

    def children(self, year: int, ages: Iterable[int], sex: str = "total", area: str = "district") -> int:
        """Resident children of the given ages: their birth cohorts times the retention factor."""
        sexes = ("female", "male") if sex == "total" else (sex,)
        total = 0.0
        for a in ages:
            keep = 0.99 - 0.005 * a
            total += keep * sum(self.births[(t, year - a, s)] for t in self.members(area, year) for s in sexes)
        return round(total)


def _srb(year: int) -> float:
    """Sex ratio at birth (boys per 100 girls): 118 in 1997, 112 in 2015, 107 in 2024."""
    return float(np.interp(year, [1997, 2015, 2024], [118.0, 112.0, 107.0]))


def _cbr(year: int) -> float:
    """Crude birth rate (‰): :data:`CBR` from 2015, 10.8 → 8.4 ‰ over 1997–2014 before."""
    return CBR[year] if year in CBR else float(np.interp(year, [1997, 2014], [10.8, 8.4]))


def build_world(seed: int) -> World:
    """The district's towns and residents (fixed) and its births (drawn: Poisson by town,
    binomial by sex), redrawn until every year has between 3,500 and 5,000 births."""
    spec = parse.areas()
    types = {name: ("urban" if t["type"] == "街道" else "rural")
             for name, t in {**spec["towns"], **(spec.get("former_towns") or {})}.items()}
    if set(types) != set(POP_2020):
        raise ValueError(f"params/areas.yaml names the units {sorted(types)}; the synthetic district has "
                         f"{sorted(POP_2020)}: update POP_2020, VILLAGES and COMMUNITIES in analysis/sample.py")
    last_year = {name: t["last_year"] for name, t in (spec.get("former_towns") or {}).items()}
    pop = {(t, y): round(POP_2020[t] * (1 + GROWTH[types[t]]) ** (y - 2020)) for t in types
           for y in range(1990, YEARS[-1] + 1)}
    for attempt in range(MAX_ATTEMPTS):
        rng = _rng(seed, "births", attempt)
        births: dict[tuple[str, int, str], float] = {}
        for y in range(1990, YEARS[-1] + 1):
            towns = [t for t in types if last_year.get(t, 9999) >= y or y < YEARS[0]]
            mean_fertility = (sum(pop[(t, y)] * FERTILITY[types[t]] for t in towns)
                              / sum(pop[(t, y)] for t in towns))
            boys = _srb(y) / (100 + _srb(y))
            for t in towns:
                expected = pop[(t, y)] * _cbr(y) / 1000 * FERTILITY[types[t]] / mean_fertility
                if y < YEARS[0]:
                    births[(t, y, "male")], births[(t, y, "female")] = expected * boys, expected * (1 - boys)
                else:
                    n = int(rng.poisson(expected))
                    male = int(rng.binomial(n, boys))
                    births[(t, y, "male")], births[(t, y, "female")] = male, n - male
        world = World(types, last_year, pop, births)
        if all(3500 <= world.births_of(y) <= 5000 for y in YEARS):
            return world
    raise RuntimeError("no draw of births stays within 3,500–5,000 a year")


def _rng(seed: int, name: str, attempt: int) -> np.random.Generator:
    """The generator of one indicator's draws: independent of every other indicator's."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8")), attempt])


# --- the indicators: one block of draws each ----------------------------------------------------

Block = Callable[[np.random.Generator, World], tuple[list[Rec], dict[str, Any]]]
Check = Callable[[list[Rec], World], str | None]
BLOCKS: list[tuple[str, Block, Check | None]] = []


def _block(name: str, check: Check | None = None) -> Callable[[Block], Block]:
    """Register a block of draws under ``name`` (which also seeds it), with the scenario's
    condition on its figures, if any. Blocks run in the order they are registered."""
    def register(fn: Block) -> Block:
        """Add the block to :data:`BLOCKS`."""
        BLOCKS.append((name, fn, check))
        return fn
    return register


def _series(recs: list[Rec], indicator: str, area: str = "district", sex: str = "total") -> dict[int, float]:
    """Year → value of one series among a block's figures (the written ones), for the checks."""
    return {r.year: r.value for r in recs if r.indicator == indicator and r.area == area and r.sex == sex
            and r.status in ("ok", "conflict", "typo", "dash")}


def _check_maternal(recs: list[Rec], w: World) -> str | None:
    """The scenario asks for a maternal mortality ratio of 0 in some year and ≥ 20/10万 in another."""
    values = _series(recs, "W1.2a")
    if not (min(values.values()) == 0 and max(values.values()) >= 20):
        return "the maternal mortality ratio should be 0 in some year and at least 20/10万 in another"
    return None


@_block("W1.2a", _check_maternal)
def _maternal(rng, w):
    """Maternal deaths: Poisson from the live births, rural risk 1.6 times urban; the ratio per
    100,000 live births falls from 23 to 14 (national 20.1 → 15.7 in 2015–2022). Urban and rural
    are reported from 2021 (the plan's start) only."""
    ratio = _path({2015: 23.0, 2020: 18.0, 2024: 14.0})
    recs = []
    for y in YEARS:
        bu, br = w.births_of(y, "urban"), w.births_of(y, "rural")
        base = ratio[y] / 1e5 * (bu + br) / (bu + 1.6 * br)
        du, dr = int(rng.poisson(base * bu)), int(rng.poisson(base * 1.6 * br))
        for area, d, b in (("district", du + dr, bu + br), ("urban", du, bu), ("rural", dr, br)):
            status = "ok" if area == "district" or y >= PLAN_START else "blank"
            recs.append(_rate("W1.2a", y, area, "total", d, b, "/10万", 2, "卫健委", status=status))
    return recs, {}


@_block("C1.3")
def _child_deaths(rng, w):
    """Neonatal, infant and under-5 deaths by sex and urban/rural: binomial from the births of
    the year (neonatal from births, post-neonatal from the survivors, 1–4 from those); boys'
    risk 1.15 times girls', rural 1.40 times urban in 2015 narrowing to 1.15 by 2024."""
    nmr, imr, u5 = (_path(p) for p in ({2015: 4.6, 2020: 3.3, 2024: 2.5}, {2015: 7.0, 2020: 5.0, 2024: 3.9},
                                       {2015: 9.4, 2020: 6.9, 2024: 5.4}))
    rural_rr = _path({2015: 1.40, 2024: 1.15})
    recs = []
    for y in YEARS:
        cells = [(a, s) for a in ("urban", "rural") for s in ("female", "male")]
        births = {c: w.births_of(y, *c) for c in cells}
        risk = {c: (rural_rr[y] if c[0] == "rural" else 1.0) * (1.15 if c[1] == "male" else 1.0) for c in cells}
        norm = sum(births[c] * risk[c] for c in cells) / sum(births.values())
        deaths: dict[tuple[str, str], tuple[int, int, int]] = {}
        for c in cells:
            f = risk[c] / norm
            nn = int(rng.binomial(births[c], nmr[y] / 1000 * f))
            pn = int(rng.binomial(births[c] - nn, (imr[y] - nmr[y]) / 1000 * f))
            ch = int(rng.binomial(births[c] - nn - pn, (u5[y] - imr[y]) / 1000 * f))
            deaths[c] = (nn, nn + pn, nn + pn + ch)
        for k, ind in enumerate(("C1.3a", "C1.3b", "C1.3c")):
            for area in ("district", "urban", "rural"):
                areas = ("urban", "rural") if area == "district" else (area,)
                num = {s: sum(deaths[(a, s)][k] for a in areas) for s in ("female", "male")}
                den = {s: sum(births[(a, s)] for a in areas) for s in ("female", "male")}
                recs += _by_sex(ind, y, area, num, den, "‰", 2, "卫健委")
    return recs, {}


def _check_vaccination(recs: list[Rec], w: World) -> str | None:
    """The weak town must miss 90 % in some year; every other town must not (one town below)."""
    weak = _series(recs, "C1.6", WEAK_TOWN)
    if min(weak.values()) >= 90:
        return f"{WEAK_TOWN} should miss the 90 % threshold in some year"
    low = [r for r in recs if r.indicator == "C1.6" and r.area != WEAK_TOWN and r.value < 90]
    return f"{low[0].area} {low[0].year} is below 90" if low else None


@_block("C1.6", _check_vaccination)
def _vaccination(rng, w):
    """Immunisation coverage by town: binomial from the children due (the previous year's
    births), 97–99 % in most towns; the hill town 邙岭镇 runs about 92 % and dips below 90 % in
    2020 and 2022 (outreach sessions cancelled)."""
    common = {"urban": _path({2015: 97.6, 2024: 99.0}), "rural": _path({2015: 96.8, 2024: 98.4})}
    weak = _path({2015: 93.6, 2018: 92.6, 2019: 92.0, 2020: 88.6, 2021: 91.4, 2022: 88.9, 2023: 91.8,
                  2024: 92.6})
    recs = []
    for y in YEARS:
        num = den = 0
        for t in w.towns(y):
            n = round(w.births[(t, y - 1, "female")] + w.births[(t, y - 1, "male")])
            v = _draw(rng, n, weak[y] if t == WEAK_TOWN else common[w.types[t]][y], od=0.02)
            recs.append(_rate("C1.6", y, t, "total", v, n, "%", 2, "卫健委"))
            num, den = num + v, den + n
        recs.append(_rate("C1.6", y, "district", "total", num, den, "%", 2, "卫健委"))
    return recs, {}


def _denominator(w: World, key: str, year: int, sex: str) -> int:
    """The population a health rate is counted over."""
    if key == "births":
        return w.births_of(year, sex=sex)
    if key == "women35_64":
        return round(w.pop_of(year, sex="female") * 0.43)
    if key == "under5_screened":
        return round(w.children(year, range(5), sex) * 0.88)
    if key == "children0_2":
        return w.children(year, range(3), sex)
    if key == "children0_6":
        return w.children(year, range(7), sex)
    if key == "age12_examined":
        return round(w.children(year, (12,), sex) * 0.95)
    raise KeyError(key)


#: health rates drawn the same way: id, denominator, female (or total) path, male path, σ, blank years
HEALTH_RATES: list[tuple[str, str, dict[int, float], dict[int, float] | None, float, tuple[int, ...]]] = [
    ("W1.3a", "women35_64", {2015: 35.0, 2019: 47.5, 2024: 63.5}, None, 0.02, ()),
    ("W1.3b", "women35_64", {2015: 30.0, 2024: 57.0}, None, 0.02, ()),
    ("W1.8", "births", {2015: 17.5, 2024: 13.0}, None, 0.03, ()),
    ("W1.M4", "births", {2015: 88.6, 2017: 90.9, 2024: 94.6}, None, 0.03, ()),
    ("W1.M7a", "births", {2015: 98.9, 2024: 99.8}, None, 0.05, ()),
    ("W1.M7b", "births", {2015: 98.8, 2024: 99.8}, None, 0.05, ()),
    ("W1.M7c", "births", {2015: 98.5, 2024: 99.7}, None, 0.05, ()),
    ("C1.8a", "under5_screened", {2015: 5.9, 2024: 4.3}, {2015: 6.5, 2024: 4.9}, 0.03, (2015,)),
    ("C1.8b", "under5_screened", {2015: 1.30, 2024: 0.80}, {2015: 1.60, 2024: 1.00}, 0.04, (2015,)),
    ("C1.8c", "under5_screened", {2015: 6.4, 2024: 8.1}, {2015: 8.6, 2024: 11.0}, 0.03, ()),
    ("C1.9e", "children0_6", {2015: 86.0, 2020: 91.2, 2024: 94.8}, None, 0.01, ()),
    ("C1.M4", "births", {2015: 93.2, 2024: 97.4}, None, 0.03, ()),
    ("C1.M6a", "children0_2", {2015: 89.3, 2017: 90.4, 2024: 94.5}, None, 0.01, ()),
    ("C1.M6b", "children0_6", {2015: 90.8, 2024: 95.6}, None, 0.01, ()),
    ("C1.M7a", "age12_examined", {2015: 31.4, 2024: 27.6}, {2015: 28.3, 2024: 25.6}, 0.02, ()),
]


def _health_rate_block(spec) -> Block:
    """The block of draws of one :data:`HEALTH_RATES` entry."""
    indicator, key, first, second, od, blank = spec

    def block(rng, w):
        """A coverage or prevalence rate of the health forms: binomial counts, by sex when the
        catalog breaks it down so, with a little extra-binomial variation."""
        paths = {"female": _path(first), "male": _path(second)} if second else {"total": _path(first)}
        recs = []
        for y in YEARS:
            status = "blank" if y in blank else "ok"
            if second:
                den = {s: _denominator(w, key, y, s) for s in ("female", "male")}
                num = {s: _draw(rng, den[s], paths[s][y], od) for s in ("female", "male")}
                recs += _by_sex(indicator, y, "district", num, den, "%", 2, "卫健委", status=status)
            else:
                den = _denominator(w, key, y, "total")
                recs.append(_rate(indicator, y, "district", "total", _draw(rng, den, paths["total"][y], od), den,
                                  "%", 2, "卫健委", status=status))
        return recs, {}
    block.__doc__ = f"{indicator}: " + (block.__doc__ or "")
    return block


for _spec in HEALTH_RATES:
    _block(_spec[0])(_health_rate_block(_spec))


def _check_volatile(recs: list[Rec], w: World) -> str | None:
    """The volatile series must swing across its target (below 50 in one year, above in another)."""
    values = list(_series(recs, "C1.M10").values())
    if not (min(values) < 50 < max(values) and max(values) - min(values) >= 8):
        return "exclusive breast-feeding should swing across the 50 % target"
    return None


@_block("C1.M10", _check_volatile)
def _breastfeeding(rng, w):
    """Exclusive breast-feeding under 6 months, from a yearly survey of 360–440 mothers: a
    binomial draw around a year's proportion that itself varies (N(0, 3.5 points)) about a trend
    rising from 47.5 % to 53 % — the volatile series, swinging across the 50 % target."""
    trend = _path({2015: 47.5, 2024: 53.0})
    recs = []
    for y in YEARS:
        n = int(rng.integers(360, 441))
        p = trend[y] + rng.normal(0, 3.5)
        recs.append(_rate("C1.M10", y, "district", "total", _draw(rng, n, p), n, "%", 2, "卫健委"))
    return recs, {}


@_block("W1.5+W1.M7d")
def _hiv(rng, w):
    """HIV-positive women giving birth: Poisson, 0.9 a year; all treated (W1.M7d 100 %), no
    transmission (W1.5 0 %); a year without a case leaves both rows blank (undefined)."""
    recs = []
    for y in YEARS:
        k = int(rng.poisson(0.9))
        status = "ok" if k else "blank"
        k_den = max(k, 1)
        recs.append(_rate("W1.M7d", y, "district", "total", k, k_den, "%", 2, "卫健委", status=status))
        recs.append(_rate("W1.5", y, "district", "total", 0, k_den, "%", 2, "卫健委", status=status))
    return recs, {}


@_block("W1.10")
def _institution(rng, w):
    """The district's maternal and child health hospital, standardised before 2015: 1 every year."""
    return [Rec("W1.10", y, "district", "total", 1.0, decimals=0, dest="卫健委") for y in YEARS], {}


def _per_thousand_block(indicator: str, path: dict[int, float], sd: float) -> Block:
    """The block of a level per 1,000 children (doctors or beds) along ``path``."""
    def block(rng, w):
        """Paediatric doctors or beds per 1,000 children (0–17): a whole number of doctors or
        beds around the trend, divided by the children of the year."""
        trend = _path(path)
        recs = []
        for y in YEARS:
            kids = w.children(y, range(18))
            n = round(kids / 1000 * trend[y] + rng.normal(0, sd))
            recs.append(Rec(indicator, y, "district", "total", round(n / kids * 1000, 2), decimals=2, dest="卫健委"))
        return recs, {}
    block.__doc__ = f"{indicator}: " + (block.__doc__ or "")
    return block


_block("C1.M2b")(_per_thousand_block("C1.M2b", {2015: 0.55, 2024: 0.93}, 1.0))
_block("C1.M2c")(_per_thousand_block("C1.M2c", {2015: 1.90, 2024: 2.46}, 2.0))


@_block("C2.1")
def _injury(rng, w):
    """Injury deaths of children 0–17 by sex: Poisson from the children of each sex; boys 17.5
    → 11.5 and girls 11 → 7.5 per 100,000 (national 15.8 → 11.4 in 2015–2019)."""
    rate = {"female": _path({2015: 11.0, 2024: 7.5}), "male": _path({2015: 17.5, 2024: 11.5})}
    recs = []
    for y in YEARS:
        den = {s: w.children(y, range(18), s) for s in ("female", "male")}
        num = {s: int(rng.poisson(den[s] * rate[s][y] / 1e5)) for s in ("female", "male")}
        recs += _by_sex("C2.1", y, "district", num, den, "/10万", 2, "卫健委")
    return recs, {}


# --- 教体局 ---------------------------------------------------------------------------------------


def _enrolment_by_sex(rng, w, indicator, ages, female, male, sheet, mirror=None, mirror_sheet=""):
    """Enrolment rates by sex: binomial enrolled out of the children of the ages; returns the
    records (and their copies under the women's plan id) and the enrolled counts."""
    paths = {"female": _path(female), "male": _path(male)}
    recs, enrolled = [], {}
    for y in YEARS:
        den = {s: w.children(y, ages, s) for s in ("female", "male")}
        num = {s: _draw(rng, den[s], paths[s][y], 0.004) for s in ("female", "male")}
        enrolled.update({(y, s): num[s] for s in ("female", "male")})
        recs += _by_sex(indicator, y, "district", num, den, "%", 1, "教体局", sheet, counts=False)
        if mirror:
            recs += _by_sex(mirror, y, "district", num, den, "%", 1, "教体局", mirror_sheet, counts=False)
    return recs, enrolled


def _check_public_kindergartens(recs: list[Rec], w: World) -> str | None:
    """C3.M6a is designed to be kept above 50 % from the plan's start: a draw below is redrawn."""
    low = {y: v for y, v in _series(recs, "C3.M6a").items() if y >= PLAN_START and v < 50}
    return f"C3.M6a below 50 in {sorted(low)}" if low else None


@_block("C3.3", _check_public_kindergartens)
def _preschool(rng, w):
    """Pre-school: gross enrolment of children 3–5 by sex (84.6 → 93.4 %, national 85.2 % in
    2020), the share in public kindergartens (36.5 → 56 %, above 50 % from 2021) and teachers
    with professional training (71 → 86.5 %)."""
    recs, enrolled = _enrolment_by_sex(rng, w, "C3.3", range(3, 6), {2015: 84.8, 2024: 93.6},
                                       {2015: 84.4, 2024: 93.2}, "入学巩固")
    public = _path({2015: 36.5, 2019: 43.0, 2021: 51.2, 2024: 56.0})
    trained = _path({2015: 71.0, 2024: 86.5})
    for y in YEARS:
        n = enrolled[(y, "female")] + enrolled[(y, "male")]
        recs.append(_rate("C3.M6a", y, "district", "total", _draw(rng, n, public[y], 0.004), n, "%", 1,
                          "教体局", "入学巩固", counts=False))
        teachers = round(n / 11.5)
        recs.append(_rate("C3.M6b", y, "district", "total", _draw(rng, teachers, trained[y], 0.01), teachers,
                          "%", 1, "教体局", "入学巩固", counts=False))
    return recs, {"kindergarten": enrolled}


@_block("C3.4")
def _consolidation(rng, w):
    """Nine-year consolidation: those finishing junior school out of the cohort that entered
    primary school eight years before, by sex (girls 94.6 → 97.0 %, boys 93.6 → 96.4 %; national
    93.0 → 95.5 %). Reported under both plans (C3.4 and W2.4); the 2018 boys' C3.4 cell carries
    the planted typo."""
    paths = {"female": _path({2015: 94.6, 2024: 97.0}), "male": _path({2015: 93.6, 2024: 96.4})}
    recs = []
    for y in YEARS:
        den = {s: w.children(y - 8, (6,), s) for s in ("female", "male")}
        num = {s: _draw(rng, den[s], paths[s][y], 0.003) for s in ("female", "male")}
        for r in _by_sex("C3.4", y, "district", num, den, "%", 1, "教体局", "入学巩固", counts=False):
            r.status = "typo" if (y, r.sex) == (2018, "male") else "ok"
            recs.append(r)
        recs += _by_sex("W2.4", y, "district", num, den, "%", 1, "教体局", "妇女规划指标", counts=False)
    return recs, {}


@_block("C3.5")
def _high_school(rng, w):
    """High-school gross enrolment of the 15–17-year-olds by sex (girls 89.6 → 95.2 %, boys
    85.8 → 92.6 %; national 87 % in 2015): never at the 96 % the plans ask. Reported under both
    plans (C3.5 and W2.5)."""
    recs, enrolled = _enrolment_by_sex(rng, w, "C3.5", range(15, 18), {2015: 89.6, 2024: 95.2},
                                       {2015: 85.8, 2024: 92.6}, "入学巩固", "W2.5", "妇女规划指标")
    return recs, {"senior": enrolled}


@_block("C3.6")
def _disabled_consolidation(rng, w):
    """Consolidation of disabled children in compulsory education (about 0.7 % of children
    6–14): binomial, 89.5 → 96 %."""
    path = _path({2015: 89.5, 2024: 96.0})
    recs = []
    for y in YEARS:
        n = round(w.children(y, range(6, 15)) * 0.0072)
        recs.append(_rate("C3.6", y, "district", "total", _draw(rng, n, path[y]), n, "%", 1, "教体局", "入学巩固",
                          counts=False))
    return recs, {}


def _students(w: World, year: int, level: str, sex: str) -> int:
    """Pupils in the district's schools: primary and junior from the children of the ages,
    senior high and kindergarten from the enrolment drawn for C3.5 and C3.3."""
    if level == "primary":
        return round(w.children(year, range(6, 12), sex) * 0.995)
    if level == "junior":
        return round(w.children(year, range(12, 15), sex) * 0.985)
    key = {"senior": "senior", "kindergarten": "kindergarten"}[level]
    counts = w.extras["C3.5" if key == "senior" else "C3.3"][key]
    return counts[(year, sex)]


def _check_myopia(recs: list[Rec], w: World) -> str | None:
    """The designed myopia outcomes: junior above 60 and falling with a narrowing sex gap;
    primary peaking in 2020–2021 and falling after (the reversal)."""
    junior = _series(recs, "C1.9c")
    if min(junior.values()) <= 60 or junior[YEARS[-1]] >= junior[YEARS[0]]:
        return "junior myopia should stay above 60 and fall"
    gap = {y: _series(recs, "C1.9c", sex="female")[y] - _series(recs, "C1.9c", sex="male")[y] for y in YEARS}
    if gap[YEARS[-1]] > gap[YEARS[0]] - 2:
        return "the sex gap of junior myopia should narrow"
    primary = _series(recs, "C1.9b")
    peak = max(primary, key=primary.get)
    if peak not in (2020, 2021) or primary[YEARS[-1]] > primary[peak] - 2 or primary[YEARS[0]] > primary[peak] - 4:
        return "primary myopia should rise to 2020 and fall after"
    return None


@_block("C1.9", _check_myopia)
def _myopia(rng, w):
    """Myopia among screened pupils by sex (binomial, girls above boys): primary school rising
    from 32.5 % to a 2020 peak of 39 % (home schooling) and falling after (the reversal; national
    35.5 % in 2021); junior school falling slowly from 74 % to 70.5 % with the girls' excess
    narrowing (national 71.1 % in 2021; target below 60 %); high school about 81 → 80 %, not
    screened in 2015."""
    primary = _path({2015: 32.5, 2016: 33.3, 2017: 34.2, 2018: 35.1, 2019: 36.2, 2020: 39.4, 2021: 38.4,
                     2022: 37.6, 2023: 36.8, 2024: 36.1})
    junior = {"female": _path({2015: 77.6, 2024: 72.2}), "male": _path({2015: 70.9, 2024: 68.9})}
    senior = _path({2015: 81.5, 2024: 80.0})
    recs = []
    for y in YEARS:
        for ind, level, paths in (("C1.9b", "primary", {"female": primary[y] + 1.5, "male": primary[y] - 1.5}),
                                  ("C1.9c", "junior", {s: junior[s][y] for s in junior}),
                                  ("C1.9d", "senior", {"female": senior[y] + 2.2, "male": senior[y] - 2.2})):
            den = {s: round(_students(w, y, level, s) * (0.95 if level == "senior" else 0.97))
                   for s in ("female", "male")}
            num = {s: _draw(rng, den[s], paths[s], 0.004) for s in ("female", "male")}
            status = "dash" if (ind, y) == ("C1.9d", 2015) else "ok"
            recs += _by_sex(ind, y, "district", num, den, "%", 1, "教体局", "视力体质", counts=False, status=status)
    return recs, {}


@_block("C1.10")
def _fitness(rng, w):
    """Pupils rated good or excellent in the national fitness standard, by sex (girls 43 → 59.5 %,
    boys 39.2 → 56 %; national 53.8 % in 2021): on track for 60 %; no tests in 2020."""
    paths = {"female": _path({2015: 43.0, 2024: 59.5}), "male": _path({2015: 39.2, 2024: 56.0})}
    recs = []
    for y in YEARS:
        den = {s: round(sum(_students(w, y, lv, s) for lv in ("primary", "junior", "senior")) * 0.93)
               for s in ("female", "male")}
        num = {s: _draw(rng, den[s], paths[s][y], 0.01) for s in ("female", "male")}
        status = "dash" if y == 2020 else "ok"
        recs += _by_sex("C1.10", y, "district", num, den, "%", 1, "教体局", "视力体质", counts=False, status=status)
    return recs, {}


# --- 人社局 and 医保局 --------------------------------------------------------------------------


@_block("W5.3")
def _medical_insurance(rng, w):
    """Basic medical insurance coverage of residents by sex (women 95.6 → 97.4 %, kept above
    95 %). 人社局 reported the women's figure to 2019; 医保局, set up in 2019, reports all three
    from 2019. For 2019 both report the women's figure, 人社局's from its register (0.3–0.8
    points lower): the planted conflicting duplicate."""
    paths = {"female": _path({2015: 95.6, 2019: 96.5, 2024: 97.4}), "male": _path({2015: 95.3, 2024: 97.0})}
    recs = []
    for y in YEARS:
        den = {s: w.pop_of(y, sex=s) for s in ("female", "male")}
        num = {s: _draw(rng, den[s], paths[s][y], 0.02) for s in ("female", "male")}
        if y <= 2019:
            hr = num["female"]
            if y == 2019:
                hr -= round(den["female"] * rng.uniform(0.003, 0.008))
            recs.append(_rate("W5.3", y, "district", "female", hr, den["female"], "%", 1, "人社局",
                              status="conflict" if y == 2019 else "ok"))
        if y >= 2019:
            for r in _by_sex("W5.3", y, "district", num, den, "%", 1, "医保局", "参保率", counts=False):
                r.status = "conflict" if (y, r.sex) == (2019, "female") else "ok"
                recs.append(r)
    return recs, {}


@_block("W5.2")
def _maternity_insurance(rng, w):
    """Maternity insurance among employees with basic medical insurance (about 10.5 % of
    residents): 78 → 86.5 %, reported by 医保局 from 2019."""
    path = _path({2019: 78.0, 2024: 86.5})
    recs = []
    for y in YEARS:
        if y < 2019:
            continue
        n = round(w.pop_of(y) * 0.105)
        recs.append(_rate("W5.2", y, "district", "total", _draw(rng, n, path[y], 0.01), n, "%", 1, "医保局", "参保率",
                          counts=False))
    return recs, {}


def _share_block(indicator: str, dest: str, base: Callable[[World, int], int], path: dict[int, float],
                 od: float, years: Iterable[int] = YEARS) -> Block:
    """The block of a share of women among ``base`` persons along ``path``."""
    def block(rng, w):
        """A share of women among a whole (employed persons, staff …): binomial women out of the
        whole, reported as the total's figure with both counts."""
        trend = _path(path)
        recs = []
        for y in years:
            n = base(w, y)
            recs.append(_rate(indicator, y, "district", "total", _draw(rng, n, trend[y], od), n, "%", 1, dest))
        return recs, {}
    block.__doc__ = f"{indicator}: " + (block.__doc__ or "")
    return block


_block("W3.2")(_share_block("W3.2", "人社局", lambda w, y: round(w.pop_of(y) * 0.56), {2015: 43.8, 2024: 44.9}, 0.004))
_block("W3.3")(_share_block("W3.3", "人社局", lambda w, y: round(w.pop_of(y) * 0.085), {2015: 36.0, 2024: 37.8},
                            0.006))
_block("W3.4")(_share_block("W3.4", "人社局", lambda w, y: 1550 + 35 * (y - 2015), {2017: 35.2, 2024: 39.0}, 0.0,
                            years=range(2017, 2025)))


def _check_pension_gap(recs: list[Rec], w: World) -> str | None:
    """The designed widening gap: men's pension coverage gains at least 2 points on women's."""
    gap = {y: _series(recs, "W5.4", sex="male")[y] - _series(recs, "W5.4", sex="female")[y] for y in YEARS}
    return None if gap[YEARS[-1]] >= gap[YEARS[0]] + 2 else "the pension coverage gap should widen"


@_block("W5.4", _check_pension_gap)
def _pension(rng, w):
    """Basic pension insurance coverage of residents 16 and over by sex: men 87.5 → 95.3 %,
    women 86 → 90.6 % — the sex gap that widens."""
    paths = {"female": _path({2015: 86.0, 2024: 90.6}), "male": _path({2015: 87.5, 2024: 95.3})}
    recs = []
    for y in YEARS:
        den = {s: round(w.pop_of(y, sex=s) * 0.80) for s in ("female", "male")}
        num = {s: _draw(rng, den[s], paths[s][y], 0.005) for s in ("female", "male")}
        recs += _by_sex("W5.4", y, "district", num, den, "%", 1, "人社局")
    return recs, {}


def _insured_block(indicator: str, female: dict[int, float], male: dict[int, float]) -> Block:
    """The block of a count of insured persons by sex along the two paths."""
    def block(rng, w):
        """Insured persons by sex (a count): the trend plus N(0, 120) persons; total = sum."""
        paths = {"female": _path(female), "male": _path(male)}
        recs = []
        for y in YEARS:
            n = {s: round(paths[s][y] + rng.normal(0, 120)) for s in ("female", "male")}
            n["total"] = n["female"] + n["male"]
            recs += [Rec(indicator, y, "district", s, float(n[s]), decimals=0, dest="人社局") for s in SEXES]
        return recs, {}
    block.__doc__ = f"{indicator}: " + (block.__doc__ or "")
    return block


_block("W5.5a")(_insured_block("W5.5a", {2015: 12_400, 2024: 16_900}, {2015: 17_800, 2024: 21_300}))
_block("W5.5b")(_insured_block("W5.5b", {2015: 15_200, 2024: 21_800}, {2015: 24_500, 2024: 30_100}))


# --- 民政局, 组织部, 妇联, 水利局 -----------------------------------------------------------------


def _committee_block(indicator: str, units: dict[str, int], per_unit: int, path: dict[int, float],
                     town_sd: float) -> Block:
    """The block of women's share of committee members by town (``units`` committees a town,
    ``per_unit`` members each), with a town-level deviation N(0, ``town_sd``) from ``path``."""
    def block(rng, w):
        """Women among committee members, by town: members ≈ units × per unit (± a seat), women
        round(members × the town's share) moved by a person or none each year; the district's
        share steps up at the elections. District = sum of towns (佃庄镇 to 2021)."""
        trend = _path(path)
        effect = {t: rng.normal(0, town_sd) for t in units}
        recs = []
        for y in YEARS:
            num = den = 0
            for t in w.towns(y):
                n = units[t] * per_unit + int(rng.integers(-1, 2))
                women = min(max(round(n * (trend[y] + effect[t]) / 100) + _wobble(rng), 0), n)
                recs.append(_rate(indicator, y, t, "total", women, n, "%", 1, "民政局"))
                num, den = num + women, den + n
            recs.append(_rate(indicator, y, "district", "total", num, den, "%", 1, "民政局"))
        return recs, {}
    block.__doc__ = f"{indicator}: " + (block.__doc__ or "")
    return block


_block("W4.7c")(_committee_block("W4.7c", VILLAGES, 5, {2015: 22.4, 2017: 23.0, 2018: 25.0, 2020: 25.4,
                                                       2021: 27.6, 2024: 28.3}, 2.5))
_block("W4.8c")(_committee_block("W4.8c", COMMUNITIES, 7, {2015: 49.0, 2024: 51.0}, 3.0))


@_block("C4.8")
def _children_homes(rng, w):
    """Villages and communities with a children's home (儿童之家): urban 62 → 98 %, rural 35 →
    88 %, whole units around the trend; district = urban + rural."""
    paths = {"urban": _path({2015: 62.0, 2024: 98.0}), "rural": _path({2015: 35.0, 2024: 88.0})}
    recs = []
    for y in YEARS:
        counts = {}
        for area in ("urban", "rural"):
            n = sum(VILLAGES[t] + COMMUNITIES[t] for t in w.members(area, y))
            counts[area] = (min(max(round(n * paths[area][y] / 100) + _wobble(rng), 0), n), n)
        counts["district"] = (counts["urban"][0] + counts["rural"][0], counts["urban"][1] + counts["rural"][1])
        recs += [_rate("C4.8", y, a, "total", *counts[a], "%", 1, "民政局") for a in ("district", "urban", "rural")]
    return recs, {}


def _check_delegates(recs: list[Rec], w: World) -> str | None:
    """W4.2b is designed to meet its relative target: delegates' share at least members' share."""
    members = _series(recs, "W4.2a")
    low = [y for y, v in _series(recs, "W4.2b").items() if v < members[y]]
    return f"delegates' share below members' in {low}" if low else None


@_block("W4.2", _check_delegates)
def _party(rng, w):
    """Women among party members (about 4.3 % of residents; 26.4 → 29.6 %) and among the
    delegates of the party congresses of 2016 and 2021 (about two points more)."""
    trend = _path({2015: 26.4, 2024: 29.6})
    recs = []
    for y in YEARS:
        n = round(w.pop_of(y) * 0.043 * (1 + 0.004 * (y - 2015)))
        women = round(n * trend[y] / 100) + int(rng.integers(-15, 16))
        recs.append(_rate("W4.2a", y, "district", "total", women, n, "%", 1, "组织部"))
        if y in (2016, 2021):
            d = 260 if y == 2016 else 250
            recs.append(_rate("W4.2b", y, "district", "total", round(d * (trend[y] + 2.2 + rng.normal(0, 0.5)) / 100),
                              d, "%", 1, "组织部"))
    return recs, {}


def _cadre_block(indicator: str, size: int, path: dict[int, float]) -> Block:
    """The block of women's share of about ``size`` leadership posts along ``path``."""
    def block(rng, w):
        """Women in leadership teams: a whole number of women among about ``size`` posts."""
        trend = _path(path)
        recs = []
        for y in YEARS:
            n = size + int(rng.integers(-4, 5))
            women = round(n * trend[y] / 100) + _wobble(rng)
            recs.append(_rate(indicator, y, "district", "total", women, n, "%", 1, "组织部"))
        return recs, {}
    block.__doc__ = f"{indicator}: " + (block.__doc__ or "")
    return block


_block("W4.4a")(_cadre_block("W4.4a", 230, {2015: 18.5, 2024: 24.0}))
_block("W4.5")(_cadre_block("W4.5", 410, {2015: 20.8, 2024: 26.2}))


@_block("C5.6")
def _parent_schools(rng, w):
    """Schools with a parent school or family-education station, 2021–2024 (collected since the
    plan): 46 urban schools (91 → 98 %), 131 rural schools closing three a year (77 → 87 %)."""
    paths = {"C5.6a": _path({2021: 91.3, 2024: 97.8}), "C5.6b": _path({2021: 76.6, 2024: 86.7})}
    recs = []
    for y in range(PLAN_START, YEARS[-1] + 1):
        for ind, n in (("C5.6a", 46), ("C5.6b", 131 - 3 * (y - PLAN_START))):
            k = min(max(round(n * paths[ind][y] / 100) + _wobble(rng), 0), n)
            recs.append(_rate(ind, y, "district", "total", k, n, "%", 1, "妇联"))
    return recs, {}


@_block("W7.6a")
def _tap_water(rng, w):
    """Rural tap-water coverage by town (rural residents: a quarter of a 街道's, 88 % of a 镇's):
    街道 97 → 99.6 %, plain towns 88 → 96.5 %, hill towns 74.5 → 91 %, each town ± its own
    N(0, 1) level and N(0, 0.35) a year. The district (W7.6a, and C6.7a in the summary sheet)
    from the summed counts; 大口镇's 2016 cell is written "—"."""
    paths = {"urban": _path({2015: 97.0, 2024: 99.6}), "plain": _path({2015: 88.0, 2024: 96.5}),
             "hill": _path({2015: 74.5, 2024: 91.0})}
    effect = {t: rng.normal(0, 1.0) for t in w.types}
    recs = []
    for y in YEARS:
        num = den = 0
        for t in w.towns(y):
            kind = "urban" if w.types[t] == "urban" else "hill" if t in HILL_TOWNS else "plain"
            n = round(w.pop[(t, y)] * (0.25 if kind == "urban" else 0.88))
            p = min(paths[kind][y] + effect[t] + rng.normal(0, 0.35), 99.9)
            served = round(n * p / 100)
            status = "dash" if (t, y) == ("大口镇", 2016) else "ok"
            recs.append(_rate("W7.6a", y, t, "total", served, n, "%", 1, "水利局", "农村自来水普及率", counts=False,
                              status=status))
            num, den = num + served, den + n
        recs.append(_rate("W7.6a", y, "district", "total", num, den, "%", 1, "水利局", "农村自来水普及率",
                          counts=False))
        recs.append(_rate("C6.7a", y, "district", "total", num, den, "%", 1, "水利局", "汇总", counts=False))
    return recs, {}


# --- drawing the sample ----------------------------------------------------------------------------


@dataclass
class Sample:
    """The drawn sample: the district and every figure, before any file is written."""

    seed: int
    world: World
    records: list[Rec]
    attempts: dict[str, int]


def review(records: list[Rec], cat: Catalog) -> str | None:
    """What the cleaning step would flag or refuse among the figures that end as observations
    (a jump, a sex-sum mismatch, a total outside the sexes, a value off its counts or outside
    its range), in words; None when nothing."""
    kept = [r for r in records if r.status == "ok"]
    if not kept:
        return None
    obs = pd.DataFrame({
        "indicator_id": [r.indicator for r in kept], "year": [r.year for r in kept],
        "area": [r.area for r in kept], "sex": [r.sex for r in kept],
        "value": [float(r.value) for r in kept],
        "unit": [cat.indicators.at[r.indicator, "unit"] for r in kept],
        "numerator": [np.nan if r.numerator is None else float(r.numerator) for r in kept],
        "denominator": [np.nan if r.denominator is None else float(r.denominator) for r in kept],
        "flags": ["" for _ in kept],
    })
    for r in kept:
        unit = cat.indicators.at[r.indicator, "unit"]
        if unit in PER and not 0 <= r.value <= PER[unit]:
            return f"{r.indicator} {r.area} {r.sex} {r.year}: {r.value} is outside 0–{PER[unit]}"
        if r.numerator is not None and r.denominator is not None and r.numerator > r.denominator:
            return f"{r.indicator} {r.area} {r.sex} {r.year}: numerator above denominator"
    clean.flag_sex_consistency(obs)
    clean.flag_jumps(obs)
    flagged = obs[obs["flags"] != ""]
    if flagged.empty:
        return None
    return "; ".join(f"{o.indicator_id} {o.area} {o.sex} {o.year}: {o.flags}" for o in flagged.itertuples())


def draw(seed: int = SEED, cat: Catalog | None = None) -> Sample:
    """Draw the whole sample: the district's births, then each indicator in turn, each redrawn
    (from the next seed of its own) until the cleaning step would keep it unflagged and the
    scenario's conditions hold."""
    cat = cat or load_catalog()
    world = build_world(seed)
    records: list[Rec] = []
    attempts: dict[str, int] = {}
    for name, block, check in BLOCKS:
        for attempt in range(MAX_ATTEMPTS):
            recs, extras = block(_rng(seed, name, attempt), world)
            problem = review(recs, cat) or (check(recs, world) if check else None)
            if problem is None:
                break
            log.debug("%s, draw %d redrawn: %s", name, attempt, problem)
        else:
            raise RuntimeError(f"{name}: no draw in {MAX_ATTEMPTS} passes the cleaning step's checks ({problem})")
        world.extras[name] = extras
        attempts[name] = attempt + 1
        records += recs
    missing = {r.indicator for r in records} - set(cat.indicators.index)
    if missing:
        raise ValueError(f"the sample writes indicators the catalog does not have: {sorted(missing)}")
    log.info("drew %d figures for %d indicators (%d redraws)", len(records), len({r.indicator for r in records}),
             sum(attempts.values()) - len(attempts))
    return Sample(seed, world, records, attempts)


# --- writing the returns --------------------------------------------------------------------------


def _fmt(value: float, decimals: int) -> str:
    """A value as the returns write it: fixed decimals, so the bytes never depend on float repr."""
    return f"{value:.{decimals}f}"


def _fullwidth(text: str) -> str:
    """Digits and the decimal point in their full-width forms, as some spreadsheets type them."""
    return text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))


def _area_label(area: str) -> str:
    """How a return names an area: 偃师区, 城镇, 农村 or the town."""
    district = parse.areas()["district"]["labels"][0]
    return {"district": district, "urban": "城镇", "rural": "农村"}.get(area, area)


def _write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str) -> Path:
    """A CSV with "\\n" line endings, in the encoding given, written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with atomic.atomic_output(path) as tmp:
        tmp.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _write_text(path: Path, text: str) -> Path:
    """UTF-8 text (with the caller's "\\n" line endings), written atomically."""
    with atomic.atomic_output(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


def write_health_forms(sample: Sample, cat: Catalog, out: Path) -> list[Path]:
    """卫健委: the standard return, one form a year, written by :func:`template.write_template`
    and filled by :func:`template.fill_template` like a department would; the title says 模拟数据."""
    paths = []
    for y in YEARS:
        path = out / HEALTH_FILE.format(year=y)
        template.write_template(cat, "卫健委", y, path)
        values = [{"indicator_id": r.indicator, "area": _area_label(r.area), "sex": r.sex, "value": r.value,
                   "numerator": r.numerator, "denominator": r.denominator}
                  for r in sample.records if r.dest == "卫健委" and r.year == y and r.status == "ok"]
        template.fill_template(path, values)
        wb = openpyxl.load_workbook(path)
        ws = wb[template.DATA_SHEET]
        ws["A1"] = SYNTHETIC_MARK + str(ws["A1"].value)
        atomic.save_workbook(wb, path)
        paths.append(path)
    return paths


def _style_header(ws, rows: Iterable[int], last_col: int) -> None:
    """Bold, centred header rows (as departments format them; not read)."""
    for r in rows:
        for c in range(1, last_col + 1):
            cell = ws.cell(r, c)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center")


def _year_sex_sheet(ws, title: str, subtitle: str, rows: list[tuple[str, dict[tuple[int, str], Any]]],
                    years: list[int], notes: list[str], merged: bool = True,
                    sex_heads: tuple[str, str, str] = ("女", "男", "合计")) -> dict[tuple[str, int, str], str]:
    """A department's year × sex table: title, unit line, a year header over 女/男/合计 (merged
    across its three columns, or repeated), a row per indicator, notes under the table. Returns
    the coordinate of every (label, year, sex) cell."""
    last = 1 + 3 * len(years)
    end = get_column_letter(last)
    ws["A1"], ws["A2"] = title, subtitle
    ws.merge_cells(f"A1:{end}1")
    ws.merge_cells(f"A2:{end}2")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A3"] = "指标"
    ws.merge_cells("A3:A4")
    for i, y in enumerate(years):
        c = 2 + 3 * i
        if merged:
            ws.cell(3, c, f"{y}年")
            ws.merge_cells(start_row=3, start_column=c, end_row=3, end_column=c + 2)
        else:
            for j in range(3):
                ws.cell(3, c + j, f"{y}年")
        for j, head in enumerate(sex_heads):
            ws.cell(4, c + j, head)
    _style_header(ws, (3, 4), last)
    where = {}
    for k, (label, cells) in enumerate(rows):
        r = 5 + k
        ws.cell(r, 1, label)
        for (y, sex), value in cells.items():
            c = 2 + 3 * years.index(y) + SEXES.index(sex)
            ws.cell(r, c, value)
            where[(label, y, sex)] = f"{get_column_letter(c)}{r}"
    r = 5 + len(rows) + 1
    for note in notes:
        ws.cell(r, 1, note)
        ws.merge_cells(f"A{r}:{end}{r}")
        r += 1
    ws.column_dimensions["A"].width = 30
    for c in range(2, last + 1):
        ws.column_dimensions[get_column_letter(c)].width = 8
    return where


def _planted(kind: str, file: str, sheet: str | None = None) -> list[dict[str, str]]:
    """The :data:`PLANTED` entries of a kind in a file (and sheet)."""
    return [p for p in PLANTED if p["kind"] == kind and p["file"] == file and (sheet is None or p["sheet"] == sheet)]


def _expect_cell(kind: str, file: str, sheet: str, cell: str) -> None:
    """Stop if a planted problem is not in the cell :data:`PLANTED` says (the list and the
    layout must agree: the tests and the README read the list)."""
    cells = {p["cell"] for p in _planted(kind, file, sheet)}
    if cell not in cells:
        raise AssertionError(f"PLANTED says {kind} in {file} {sheet} {sorted(cells)}, the generator wrote {cell}")


def _expand(cells: str) -> list[str]:
    """The cells of a range ("B7:D7") or the one cell named."""
    if ":" not in cells:
        return [cells]
    from openpyxl.utils.cell import range_boundaries

    c1, r1, c2, r2 = range_boundaries(cells)
    return [f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _edu_cell(r: Rec) -> Any:
    """How 教体局 wrote a figure: a number; "71.2%" text in 2016–2017; full-width digits in a few
    cells; "—" for a year not collected; the planted typo without its decimal point."""
    if r.status == "dash":
        return "—"
    if r.status == "typo":
        return int(round(r.value * 10))
    text = _fmt(r.value, r.decimals)
    if (r.indicator, r.year, r.sex) in {("C1.10", 2019, "female"), ("C1.10", 2019, "male"),
                                        ("C3.3", 2021, "total")}:
        return _fullwidth(text)
    if r.year in (2016, 2017) and r.sheet in ("视力体质", "入学巩固"):
        return text + "%"
    return float(text)


EDUCATION_SHEETS: dict[str, list[tuple[str, str]]] = {
    "视力体质": [("小学生近视率", "C1.9b"), ("初中生近视率", "C1.9c"), ("高中阶段学生近视率", "C1.9d"),
             ("中小学生体质健康达标优良率", "C1.10")],
    "入学巩固": [("学前教育毛入园率", "C3.3"), ("九年义务教育巩固率", "C3.4"), ("高中阶段教育毛入学率", "C3.5"),
             ("公办幼儿园在园幼儿占比", "C3.M6a"), ("学前教育教师接受专业教育比例", "C3.M6b"),
             ("残疾儿童义务教育巩固率", "C3.6")],
    "妇女规划指标": [("九年义务教育巩固率", "W2.4"), ("高中阶段教育毛入学率", "W2.5")],
}
EDUCATION_NOTES = {
    "视力体质": ["注：1. 近视率为当年秋季学期视力筛查结果，筛查人数见“在校学生数”表；2. 2015年高中阶段未开展视力筛查；"
             "3. 2020年受疫情影响未组织体质健康测试。", "数据来源：偃师区教育体育局学校卫生统计（模拟数据）"],
    "入学巩固": ["注：毛入园（学）率 = 在园（校）人数 / 相应年龄人口；"
             "九年义务教育巩固率 = 初三毕业人数 / 九年前入学人数。", "数据来源：偃师区教育事业统计年报（模拟数据）"],
    "妇女规划指标": ["注：本表为《妇女发展规划》监测指标，数值同“入学巩固”表。",
               "数据来源：偃师区教育事业统计年报（模拟数据）"],
}


def write_education(sample: Sample, out: Path) -> list[Path]:
    """教体局: one legacy workbook in the bureau's own layout (merged year headers over
    女/男/合计, units in some cells, full-width digits, "—", notes under the tables, a reference
    sheet of pupils the mapping does not read) and its mapping file."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    years = list(YEARS)
    for sheet, rows in EDUCATION_SHEETS.items():
        ws = wb.create_sheet(sheet)
        table = []
        for label, ind in rows:
            cells = {(r.year, r.sex): _edu_cell(r) for r in sample.records
                     if r.indicator == ind and r.sheet == sheet and r.status != "absent"}
            table.append((label, cells))
        where = _year_sex_sheet(ws, f"{SYNTHETIC_MARK}偃师区教育体育局 {sheet}监测汇总表（2015—2024年）",
                                "填报单位：偃师区教育体育局（模拟）　　单位：%", table, years, EDUCATION_NOTES[sheet])
        label_of = {ind: label for label, ind in rows}
        for r in sample.records:
            if r.sheet == sheet and r.status in ("typo", "dash"):
                kind = "typo" if r.status == "typo" else "missing"
                cell = where[(label_of[r.indicator], r.year, r.sex)]
                cells = [c for p in _planted(kind, EDUCATION_FILE, sheet) for c in _expand(p["cell"])]
                if cell not in cells:
                    raise AssertionError(f"PLANTED does not name {EDUCATION_FILE} {sheet} {cell} ({kind})")
    _enrolment_sheet(wb.create_sheet("在校学生数（参考）"), sample.world)
    path = atomic.save_workbook(wb, out / EDUCATION_FILE)
    mapping = _mapping_text("教体局", "教体局教育统计汇总表（模拟数据，按该局原有格式）", [
        {"sheet": sheet, "header_rows": [3, 4], "first_data_row": 5, "rows": "indicator",
         "labels": dict(rows), "area": "偃师区", "sex": "total", "unit": "%"}
        for sheet, rows in EDUCATION_SHEETS.items()],
        "the sheet 在校学生数（参考） is background (pupils by level and sex) and is not read")
    return [path, _write_text(out / (EDUCATION_FILE + MAPPING_SUFFIX), mapping)]


def _enrolment_sheet(ws, w: World) -> None:
    """Pupils by level and sex (background for the rates; no catalog indicator, so unmapped)."""
    years = list(YEARS)
    rows = []
    for label, level in (("在园幼儿数", "kindergarten"), ("小学在校生数", "primary"), ("初中在校生数", "junior"),
                         ("高中阶段在校生数", "senior")):
        cells = {}
        for y in years:
            f, m = _students(w, y, level, "female"), _students(w, y, level, "male")
            cells.update({(y, "female"): f, (y, "male"): m, (y, "total"): f + m})
        rows.append((label, cells))
    _year_sex_sheet(ws, f"{SYNTHETIC_MARK}偃师区在校学生数（参考，不属于监测指标）", "单位：人", rows, years,
                    ["说明：本表供核对比率的分母，不在映射文件中，清洗步骤不读取。"])


def write_insurance(sample: Sample, out: Path) -> list[Path]:
    """医保局 (set up in 2019): a legacy workbook with repeated (not merged) year headers over
    女性/男性/合计, 2019–2024, and its mapping file."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "参保率"
    years = list(range(2019, YEARS[-1] + 1))
    rows = [("基本医疗保险参保率", "W5.3"), ("生育保险参保率", "W5.2")]
    table = [(label, {(r.year, r.sex): float(_fmt(r.value, r.decimals)) for r in sample.records
                      if r.indicator == ind and r.dest == "医保局"}) for label, ind in rows]
    where = _year_sex_sheet(ws, f"{SYNTHETIC_MARK}偃师区医疗保障局 参保情况统计表（2019—2024年）",
                            "单位：%　　基本医疗保险参保率分性别为各性别户籍人口参保率", table, years,
                            ["注：医保局2019年组建，此前数据由人社局报送。", "数据来源：偃师区医疗保障局（模拟数据）"],
                            merged=False, sex_heads=("女性", "男性", "合计"))
    _expect_cell("conflicting_duplicate", INSURANCE_FILE, "参保率", where[("基本医疗保险参保率", 2019, "female")])
    path = atomic.save_workbook(wb, out / INSURANCE_FILE)
    mapping = _mapping_text("医保局", "医保局参保情况统计表（模拟数据）", [
        {"sheet": "参保率", "header_rows": [3, 4], "first_data_row": 5, "rows": "indicator",
         "labels": dict(rows), "area": "偃师区", "sex": "total", "unit": "%"}])
    return [path, _write_text(out / (INSURANCE_FILE + MAPPING_SUFFIX), mapping)]


def write_water(sample: Sample, out: Path) -> list[Path]:
    """水利局: a legacy workbook with a row per town (首阳山街道 under its old name 首阳山镇,
    佃庄镇 to 2021) and a summary sheet for the children's plan, and its mapping file."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "农村自来水普及率"
    years = list(YEARS)
    last = get_column_letter(1 + len(years))
    ws["A1"] = f"{SYNTHETIC_MARK}偃师区农村自来水普及率统计表（2015—2024年）"
    ws["A2"] = "填报单位：偃师区水利局（模拟）　　单位：%"
    ws.merge_cells(f"A1:{last}1")
    ws.merge_cells(f"A2:{last}2")
    ws["A3"] = "乡镇（街道）"
    for i, y in enumerate(years):
        ws.cell(3, 2 + i, f"{y}年")
    _style_header(ws, (3,), 1 + len(years))
    areas = ["district", *POP_2020]
    for k, area in enumerate(areas):
        r = 4 + k
        label = {"district": "合计", NEW_NAME: OLD_NAME}.get(area, area)
        ws.cell(r, 1, label)
        if area == NEW_NAME:
            _expect_cell("old_name", WATER_FILE, ws.title, f"A{r}")
        for rec in sample.records:
            if rec.indicator == "W7.6a" and rec.area == area:
                cell = ws.cell(r, 2 + years.index(rec.year))
                cell.value = "—" if rec.status == "dash" else float(_fmt(rec.value, rec.decimals))
                if rec.status == "dash":
                    _expect_cell("missing", WATER_FILE, ws.title, cell.coordinate)
    r = 4 + len(areas) + 1
    for note in ("注：1. 普及率 = 农村集中供水受益人口 / 农村常住人口；2. 佃庄镇2022年起不再属本区，不再统计。",
                 "数据来源：偃师区水利局农村供水工程统计（模拟数据）"):
        ws.cell(r, 1, note)
        ws.merge_cells(f"A{r}:{last}{r}")
        r += 1
    ws.column_dimensions["A"].width = 16
    summary = wb.create_sheet("汇总")
    summary["A1"] = f"{SYNTHETIC_MARK}偃师区《儿童发展规划》供水指标汇总"
    summary["A2"] = "单位：%"
    summary["A3"] = "指标"
    for i, y in enumerate(years):
        summary.cell(3, 2 + i, f"{y}年")
    summary["A4"] = "农村自来水普及率"
    for rec in sample.records:
        if rec.indicator == "C6.7a":
            summary.cell(4, 2 + years.index(rec.year), float(_fmt(rec.value, rec.decimals)))
    summary.column_dimensions["A"].width = 18
    path = atomic.save_workbook(wb, out / WATER_FILE)
    mapping = _mapping_text("水利局", "水利局农村供水统计表（模拟数据，按该局原有格式）", [
        {"sheet": "农村自来水普及率", "header_rows": [3], "first_data_row": 4, "rows": "area",
         "indicator": "W7.6a", "sex": "total", "unit": "%"},
        {"sheet": "汇总", "header_rows": [3], "first_data_row": 4, "rows": "indicator",
         "labels": {"农村自来水普及率": "C6.7a"}, "area": "偃师区", "sex": "total", "unit": "%"}])
    return [path, _write_text(out / (WATER_FILE + MAPPING_SUFFIX), mapping)]


def _mapping_text(department: str, source: str, sheets: list[dict[str, Any]], note: str = "") -> str:
    """A mapping file (docs/returns.md §3), written by hand so that it reads like one."""
    lines = [f"# {SYNTHETIC_MARK} mapping of a synthetic legacy workbook (analysis/sample.py)"]
    if note:
        lines.append(f"# {note}")
    lines += [f"department: {department}", f'source: "{source}"', "sheets:"]
    for s in sheets:
        lines.append(f"  - sheet: {s['sheet']}")
        lines.append(f"    header_rows: [{', '.join(str(r) for r in s['header_rows'])}]")
        for key in ("first_data_row", "rows", "indicator", "area", "sex"):
            if key in s:
                lines.append(f"    {key}: {s[key]}")
        lines.append(f'    unit: "{s["unit"]}"')
        if "labels" in s:
            lines.append("    labels:")
            lines += [f"      {label}: {ind}" for label, ind in s["labels"].items()]
    return "\n".join(lines) + "\n"


def _area_order(w: World) -> dict[str, int]:
    """The order returns list areas in: district, urban, rural, then the towns."""
    return {a: i for i, a in enumerate(["district", "urban", "rural", *POP_2020])}


def write_civil_affairs(sample: Sample, out: Path) -> list[Path]:
    """民政局: one CSV in GBK with Chinese headers (指标编号, 年份 as "2021年", 地区, 性别, 数值,
    分子, 分母, 备注), a row per indicator, year and area."""
    order = _area_order(sample.world)
    recs = sorted((r for r in sample.records if r.dest == "民政局"),
                  key=lambda r: (["W4.7c", "W4.8c", "C4.8"].index(r.indicator), r.year, order[r.area]))
    rows = [[r.indicator, f"{r.year}年", _area_label(r.area), SEX_ZH[r.sex], _fmt(r.value, r.decimals),
             r.numerator, r.denominator, "模拟数据" + ("；村（社区）两委换届" if r.year in (2018, 2021) else "")]
            for r in recs]
    return [_write_csv(out / CIVIL_FILE, ["指标编号", "年份", "地区", "性别", "数值", "分子", "分母", "备注"], rows,
                       "gbk")]


def write_hrss(sample: Sample, out: Path) -> list[Path]:
    """人社局: a plain UTF-8 long CSV with English headers; women's medical insurance first
    (its 2019 row is one of the planted conflicting pair), then employment and insurance."""
    order = ["W5.3", "W3.2", "W3.3", "W3.4", "W5.4", "W5.5a", "W5.5b"]
    recs = sorted((r for r in sample.records if r.dest == "人社局" and r.status != "absent"),
                  key=lambda r: (order.index(r.indicator), r.year, SEXES.index(r.sex)))
    rows = []
    for r in recs:
        unit = "人" if r.indicator in ("W5.5a", "W5.5b") else "%"
        note = "synthetic 模拟数据" + ("; from the 人社局 enrolment register" if r.status == "conflict" else "")
        rows.append([r.indicator, r.year, "偃师区", SEX_ZH[r.sex], _fmt(r.value, r.decimals), unit,
                     "" if r.numerator is None else r.numerator, "" if r.denominator is None else r.denominator, note])
        if r.status == "conflict":
            _expect_cell("conflicting_duplicate", HRSS_FILE, "", f"E{len(rows) + 1}")
    header = ["indicator_id", "year", "area", "sex", "value", "unit", "numerator", "denominator", "note"]
    return [_write_csv(out / HRSS_FILE, header, rows, "utf-8")]


def write_organisation(sample: Sample, cat: Catalog, out: Path) -> list[Path]:
    """组织部: UTF-8 with a BOM (as Excel saves it), indicators named by their Chinese names."""
    order = ["W4.2a", "W4.2b", "W4.4a", "W4.5"]
    recs = sorted((r for r in sample.records if r.dest == "组织部"), key=lambda r: (order.index(r.indicator), r.year))
    rows = [[cat.indicators.at[r.indicator, "name_zh"], r.year, "偃师区", "合计", _fmt(r.value, r.decimals),
             r.numerator, r.denominator, "模拟数据" + ("；党代会换届" if r.indicator == "W4.2b" else "")] for r in recs]
    header = ["指标名称", "年份", "地区", "性别", "数值", "分子", "分母", "备注"]
    return [_write_csv(out / ORGANISATION_FILE, header, rows, "utf-8-sig")]


def write_womens_federation(sample: Sample, out: Path) -> list[Path]:
    """妇联: UTF-8 with Chinese headers and the unit in its own column, 2021–2024."""
    recs = sorted((r for r in sample.records if r.dest == "妇联"), key=lambda r: (r.indicator, r.year))
    rows = [[r.indicator, r.year, "偃师区", _fmt(r.value, r.decimals), "%", r.numerator, r.denominator,
             "模拟数据：" + ("城市学校" if r.indicator == "C5.6a" else "农村学校")
             + "中建立家长学校或指导站点的学校数 / 学校数"]
            for r in recs]
    return [_write_csv(out / WOMEN_FILE, ["指标编号", "年份", "地区", "数值", "单位", "分子", "分母", "说明"], rows,
                       "utf-8")]


# --- the README ---------------------------------------------------------------------------------------


FILE_NOTES: list[tuple[str, str, str, str]] = [
    (HEALTH_FILE.format(year="2015") + " … " + HEALTH_FILE.format(year="2024"), "卫健委",
     "standard return (plan-monitor template), one a year",
     "maternal mortality (W1.2a; urban/rural from 2021), screening, testing and management rates, "
     "neonatal/infant/under-5 mortality by sex and urban/rural with deaths and live births, vaccination "
     "coverage by town (佃庄镇 to 2021), child anaemia/stunting/overweight, eye care, caries, "
     "breast-feeding, paediatric doctors and beds, child injury mortality; rates with numerator and denominator"),
    (EDUCATION_FILE, "教体局", "legacy workbook + mapping",
     "sheets 视力体质 (myopia C1.9b–d, fitness C1.10), 入学巩固 (C3.3, C3.4, C3.5, C3.M6a, C3.M6b, C3.6), "
     "妇女规划指标 (W2.4, W2.5) by 女/男/合计 under merged year headers; 在校学生数（参考） (pupils, not read)"),
    (INSURANCE_FILE, "医保局", "legacy workbook + mapping",
     "sheet 参保率: W5.3 by sex and W5.2, 2019–2024, repeated year headers over 女性/男性/合计"),
    (WATER_FILE, "水利局", "legacy workbook + mapping",
     "sheet 农村自来水普及率: W7.6a by town (rows: areas), 合计 = district; sheet 汇总: C6.7a"),
    (CIVIL_FILE, "民政局", "long CSV, GBK, Chinese headers",
     "W4.7c and W4.8c by town and district, C4.8 by urban/rural, with 分子/分母"),
    (HRSS_FILE, "人社局", "long CSV, UTF-8, English headers",
     "W5.3 (women, 2015–2019), W3.2, W3.3, W3.4 (from 2017), W5.4 by sex, W5.5a/W5.5b (persons) by sex"),
    (ORGANISATION_FILE, "组织部", "long CSV, UTF-8 with BOM, indicators by Chinese name",
     "W4.2a, W4.2b (congress years 2016 and 2021), W4.4a, W4.5 with counts"),
    (WOMEN_FILE, "妇联", "long CSV, UTF-8, Chinese headers, unit column", "C5.6a, C5.6b, 2021–2024, with counts"),
]


def _readme(sample: Sample, cat: Catalog, files: list[Path]) -> str:
    """The folder's README: what is synthetic, file by file, the planted problems and where, the
    designed outcomes, and how to regenerate — deterministic text (no dates, no paths)."""
    w, recs = sample.world, sample.records
    lines = [
        "# 模拟数据 · SYNTHETIC returns for a synthetic Yanshi District, 2015–2024",
        "",
        "**Everything in this folder is synthetic (模拟数据): invented figures, not the district's statistics.** "
        "They are drawn by `analysis/sample.py` from a model of the district built on its real structure "
        "(its 13 township-level units and the former town 佃庄镇, population, births) and anchored on the real "
        "national monitoring figures, so that every stage of the suite has realistic returns to work on. "
        "Every file name starts with `模拟_`; workbook titles carry 【模拟数据 · SYNTHETIC】; CSV rows say "
        "模拟数据 / synthetic in their note column.",
        "",
        f"Seed: **{sample.seed}**. Regenerate (byte for byte the same files):",
        "",
        "```",
        f"plan-monitor sample --seed {sample.seed} --out data/raw/synthetic",
        f"# or: .venv/bin/python -m analysis.sample --seed {sample.seed} --out data/raw/synthetic",
        "```",
        "",
        "## The synthetic district",
        "",
        "Units: 4 街道 (urban) and 9 镇 (rural) as in `params/areas.yaml`; 佃庄镇 belongs to the district for "
        "2015–2021 only, so district totals before 2022 include it and no return names it after 2021. "
        "Births are drawn (Poisson by town, binomial by sex); the crude birth rate is 7.4 ‰ in 2022.",
        "",
        "| year | residents | births | girls | boys | births per 1,000 |",
        "|---|---|---|---|---|---|",
    ]
    for y in YEARS:
        b = w.births_of(y)
        lines.append(f"| {y} | {w.pop_of(y):,} | {b:,} | {w.births_of(y, sex='female'):,} | "
                     f"{w.births_of(y, sex='male'):,} | {b / w.pop_of(y) * 1000:.1f} |")
    lines += ["", "## Files", "", "| file | department | shape | contents |", "|---|---|---|---|"]
    lines += [f"| `{f}` | {d} | {s} | {c} |" for f, d, s, c in FILE_NOTES]
    lines += ["", "Mapping files (`*.mapping.yaml`) sit beside the legacy workbooks (docs/returns.md §3). "
              "All figures are for 偃师区 (district), 城镇/农村 or a town, as the catalog's breakdowns ask; "
              "rates shown beside numerator and denominator are computed from them and rounded.", ""]
    lines += ["## Planted problems", "",
              "Exactly these; the cleaning step (`plan-monitor clean`) must find them and nothing else "
              "(no jump, sex-sum, sex-range or counts flags).", "",
              "| kind | effect | file | sheet | cell | description |", "|---|---|---|---|---|---|"]
    for p in PLANTED:
        effect = p["effect"] + (f" ({p['reason']})" if "reason" in p else f" (`{p['flag']}`)" if "flag" in p else "")
        lines.append(f"| {p['kind']} | {effect} | `{p['file']}` | {p['sheet'] or '—'} | {p['cell'] or '—'} | "
                     f"{p['description']} |")
    typo = next(r for r in recs if r.status == "typo")
    conflict = sorted((r for r in recs if r.status == "conflict"), key=lambda r: r.dest)
    lines += ["", f"The typo cell holds {int(round(typo.value * 10))} (true value {_fmt(typo.value, 1)}). "
              "The conflicting pair: " + "; ".join(f"{r.dest} {_fmt(r.value, r.decimals)} %" for r in conflict) + ".",
              "", "Not problems, but the mess the cleaning step reads without complaint: percentages written with "
              "their unit in the 教体局 cells of 2016–2017 (\"71.2%\"); full-width digits in three 教体局 cells "
              "(C1.10 2019 女/男, C3.3 2021 合计); merged two-row headers; notes rows under the tables; the GBK "
              "encoding of the 民政局 file; years written \"2021年\"; indicators named by their Chinese names "
              "(组织部).", "",
              "Gaps by design (not collected, so counted as missing or simply absent): maternal mortality by "
              "urban/rural before 2021; W1.5 and W1.M7d in years without an HIV-positive mother; 医保局 before "
              "2019 (人社局 reported the women's coverage); W4.2b outside congress years; 妇联 before 2021; "
              "the 卫健委 rows W1.M5d, W1.M7e, C2.2, C4.5a, C4.5b are left blank.", ""]
    lines += ["## Designed outcomes", "",
              "What each series is built to show against its target (for the scorecard), with the national "
              "anchor (docs/reference/national_monitoring_figures.csv). Values are the district's: the women's figure "
              "for the 妇女… indicators, else the total.", "",
              "| id | indicator | target | 2015 | 2021 | 2024 | design | national anchor |",
              "|---|---|---|---|---|---|---|---|"]
    from analysis.catalog import target_text

    shown = sorted({r.indicator for r in recs}, key=lambda i: list(cat.indicators.index).index(i))
    for ind in shown:
        e = cat.indicators.loc[ind]
        sexes = {r.sex for r in recs if r.indicator == ind}
        sex = "female" if "female" in sexes and (e["name_zh"].startswith("妇女") or "total" not in sexes) else "total"
        values = {r.year: r for r in recs if r.indicator == ind and r.area == "district" and r.sex == sex
                  and r.status not in ("blank", "absent")}
        cells = [_fmt(values[y].value, values[y].decimals) if y in values else "—" for y in (2015, 2021, 2024)]
        design, anchor = DESIGN.get(ind, ("", ""))
        lines.append(f"| {ind} | {e['name_zh']} | {target_text(e)} | {' | '.join(cells)} | {design} | {anchor} |")
    lines += ["", "## How the figures are drawn", "",
              "Deaths are Poisson or binomial counts from the live births (or the children) of the year — the "
              "standard model of small-area rates (Breslow & Day 1987; Chiang 1984) — so the district's maternal "
              "mortality ratio is 0 in some years and 25–50/10万 in others. Coverage and prevalence rates are "
              "binomial counts from their denominators with a little extra-binomial variation; female and male "
              "counts are drawn separately and totals are their sums. Each indicator is redrawn (from the next "
              "seed of its own) until the cleaning step's own checks would keep it unflagged; the module "
              "docstring of `analysis/sample.py` has the details.", "",
              f"{len(files)} data files, {len(recs)} figures written.", ""]
    return "\n".join(lines)


# --- the entry point ----------------------------------------------------------------------------------


def generate(seed: int = SEED, out_dir: str | Path = DEFAULT_OUT, catalog: Catalog | None = None) -> list[Path]:
    """Draw the synthetic sample with ``seed`` and write every department's returns and the
    README into ``out_dir`` (each file atomically, byte-for-byte reproducibly); returns the paths
    written, README last. Earlier ``模拟_`` files in ``out_dir`` that this run does not write
    are removed, so the folder holds exactly one sample."""
    out = config.resolve(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cat = catalog or load_catalog()
    sample = draw(seed, cat)
    files: list[Path] = []
    files += write_health_forms(sample, cat, out)
    files += write_education(sample, out)
    files += write_insurance(sample, out)
    files += write_water(sample, out)
    files += write_civil_affairs(sample, out)
    files += write_hrss(sample, out)
    files += write_organisation(sample, cat, out)
    files += write_womens_federation(sample, out)
    readme = _write_text(out / "README.md", _readme(sample, cat, files))
    written = {p.resolve() for p in [*files, readme]}
    for stale in sorted(out.glob("模拟_*")):
        if stale.resolve() not in written and stale.is_file():
            log.info("removing %s (not part of this sample)", stale.name)
            stale.unlink()
    for p in files:
        log.info("wrote %s (%d bytes)", p.name, p.stat().st_size)
    log.info("synthetic sample (seed %d): %d files in %s", seed, len(files) + 1, config.display_path(out))
    return [*files, readme]


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.sample [--seed N] [--out DIR]``."""
    parser = argparse.ArgumentParser(description="Write the synthetic departments' returns (模拟数据).")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default data/raw/synthetic)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    generate(args.seed, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
