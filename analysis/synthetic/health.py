"""The synthetic health indicators (卫健委): one block of seeded draws per indicator."""

from __future__ import annotations

import logging

from analysis.synthetic.world import (
    PLAN_START,
    WEAK_TOWN,
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
)

log = logging.getLogger(__name__)


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
