"""The synthetic education, social security, civil affairs and water indicators: a block of draws each."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from analysis.synthetic.world import (
    COMMUNITIES,
    HILL_TOWNS,
    PLAN_START,
    SEXES,
    VILLAGES,
    YEARS,
    Block,
    Rec,
    World,
    _block,
    _by_sex,
    _draw,
    _path,
    _rate,
    _series,
    _wobble,
)

log = logging.getLogger(__name__)


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
