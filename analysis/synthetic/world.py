"""The synthetic district: its structure (towns, population, births), the files it writes, the planted
faults and the records every block draws.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis import config
from analysis.returns import parse, template

log = logging.getLogger(__name__)


#: the default seed: ``plan-monitor sample`` without ``--seed`` writes the shipped sample
SEED = 20250101


YEARS = tuple(range(2015, 2025))


PLAN_START = config.plan().first_year


DEFAULT_OUT = config.RAW_DIR / "synthetic"


#: redraws allowed for one indicator before the generator gives up (a scenario that cannot be met)
MAX_ATTEMPTS = 500


SYNTHETIC_MARK = "【模拟数据 · SYNTHETIC】"


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


#: crude birth rate (‰), the district as a whole; 2022 is the published 7.4 ‰ of the city above it
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
                         f"{sorted(POP_2020)}: update POP_2020, VILLAGES and COMMUNITIES in analysis/synthetic/")
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
