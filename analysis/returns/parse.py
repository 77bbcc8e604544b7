"""Reading what departments write in a cell: numbers, units, years, sexes, areas.

Returns arrive with full-width digits ("９３．５"), units in the cell ("93.5%", "3.2‰",
"12.3/10万"), thousands separators, and a dozen ways of writing "no value" or "female". Each
function here turns one written thing into one meaning, or says plainly why it cannot;
nothing is guessed. The vocabularies (missing markers, sex labels, area names and aliases)
are data in ``params/cleaning.yaml`` and ``params/areas.yaml``.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from analysis import config


class ParseError(ValueError):
    """A written value that cannot be read; the message says why in an analyst's words — in
    Chinese (``zh``, what the pages show) and in English (the exception's text)."""

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh or message


@dataclass(frozen=True)
class Number:
    """A number read from a cell, with the unit the cell itself names (None when it names none)."""

    value: float
    unit: str | None


@cache
def cleaning_rules() -> dict[str, Any]:
    """``params/cleaning.yaml``, read once per process."""
    return config.read_yaml(config.PARAMS_DIR / "cleaning.yaml")


@cache
def units() -> dict[str, dict[str, Any]]:
    """``params/units.yaml``: unit → its kind, ``per`` and aliases."""
    return config.read_yaml(config.UNITS_FILE)["units"]


@cache
def areas() -> dict[str, Any]:
    """``params/areas.yaml``: the district, its towns (with aliases), comparators."""
    return config.read_yaml(config.PARAMS_DIR / "areas.yaml")


def district_code() -> str:
    """The code observations use for the profile's whole area (``district`` in params/areas.yaml)."""
    return str(areas()["district"]["code"])


def comparator_areas() -> tuple[str, ...]:
    """The comparator areas of the profile (params/areas.yaml ``comparators``: national, the province,
    the city …): never the profile's own figures, never given a comparator themselves."""
    return tuple(str(code) for code in areas().get("comparators") or {})


def comparator_name(code: str, lang: str = "zh") -> str | None:
    """A comparator's name in the reports (``name``, or ``en`` for English); None for another area."""
    spec = (areas().get("comparators") or {}).get(code)
    if spec is None:
        return None
    return str(spec.get("en" if lang == "en" else "name") or spec["labels"][0])


class FileProblem(Exception):
    """A file (or sheet) that cannot be read, with the reason in plain words: in Chinese (``zh``,
    what the pages and the command show) and in English (the exception's text)."""

    def __init__(self, message: str, sheet: str = "", zh: str | None = None):
        super().__init__(message)
        self.sheet = sheet
        self.zh = zh or message


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Full-width characters folded to their ASCII forms (NFKC), white space removed.

    "９３．５％" → "93.5%", "１，２３４" → "1,234", "　女　" → "女". The ideographic full stop
    "。" is kept: it is not a decimal point.
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def is_missing(raw: Any) -> bool:
    """True when a cell holds nothing or a marker meaning "no value" ("—", "/", "未统计" …)."""
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    if isinstance(raw, str):
        return fold(raw) in _missing_markers()
    return False


@cache
def note_prefixes() -> tuple[str, ...]:
    """How a label or header of notes begins (``params/cleaning.yaml`` note_prefixes: 注, 备注,
    说明 …), folded: such a row or column holds notes, not values."""
    return tuple(fold(p) for p in cleaning_rules()["note_prefixes"])


@cache
def _missing_markers() -> frozenset[str]:
    """The missing markers of ``params/cleaning.yaml``, folded (read once per process)."""
    return frozenset(fold(m) for m in cleaning_rules()["missing_markers"])


@cache
def _unit_suffixes() -> list[tuple[str, str]]:
    """(written form, unit) pairs, longest first, so "/10万" is tried before "万"."""
    pairs = []
    for unit, spec in units().items():
        for form in [unit, *spec.get("aliases", [])]:
            pairs.append((fold(form), unit))
    return sorted(pairs, key=lambda p: -len(p[0]))


def unit_of(text: str) -> str | None:
    """The unit a written unit names ("（%）", "‰", "1/10万", "名/千名儿童"), or None."""
    t = fold(text).strip("()（）[]【】")
    for form, unit in _unit_suffixes():
        if t == form:
            return unit
    return None


def unit_in_header(text: str) -> str | None:
    """The unit a column header names in brackets ("近视率（%）", "死亡率(1/10万)"), or None."""
    for inner in re.findall(r"[(（\[【]([^()（）\[\]【】]*)[)）\]】]", fold(text)):
        unit = unit_of(inner)
        if unit is not None:
            return unit
    return None


NUMBER_TEXT = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)(.*)$")


def parse_number(raw: Any) -> Number:
    """Read a number, and the unit written after it, from a cell.

    Accepts numbers as stored by Excel, and text with full-width digits, thousands
    separators ("1,234" or "1，234") and a unit suffix ("93.5%", "3.2‰", "12.3/10万").
    Raises :class:`ParseError` for anything else — including a suffix that is not a unit
    ("93.5左右", "约90"): such a value needs a person, not a guess.
    """
    if isinstance(raw, bool):
        raise ParseError(f"{raw!r} is not a number", f"“{raw}”不是数字")
    if isinstance(raw, datetime.date | datetime.time):
        shown = raw.strftime("%Y-%m-%d") if isinstance(raw, datetime.date) else raw.isoformat()
        raise ParseError(f"the cell holds a date or time ({shown}), not a number: Excel may have turned "
                         "the typed figure into a date; check the figure with the department",
                         f"单元格中是日期或时间（{shown}），不是数值：可能是 Excel 把填写的数字自动转成了日期，"
                         "请与报送部门核实原数")
    if isinstance(raw, int | float):
        if math.isnan(raw) or math.isinf(raw):
            raise ParseError(f"{raw!r} is not a number", f"“{raw}”不是有效数字")
        return Number(float(raw), None)
    spaced = unicodedata.normalize("NFKC", str(raw)).strip()
    if re.search(r"\d\s+\d", spaced) and not re.fullmatch(r"[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?\s*\S*", spaced):
        # "12 15": two figures, or 1215 with a space for a thousands separator — not to be guessed;
        # "4 012" groups by three as GB/T 15835 writes large numbers, and is read as 4012
        raise ParseError(f"'{raw}' has digits separated by a space: two figures in one cell, or a "
                         "thousands separator? Which is meant must come from the department",
                         f"“{raw}”中的数字被空格隔开：是一格里填了两个数，还是千位分隔？须由报送部门确认，不作猜测")
    text = fold(str(raw))
    m = NUMBER_TEXT.match(text)
    if not m:
        raise ParseError(f"'{raw}' is not a number", f"“{raw}”不是数字")
    number, rest = m.group(1), m.group(2)
    value = float(number.replace(",", ""))
    if not rest:
        return Number(value, None)
    unit = unit_of(rest)
    if unit is None:
        raise ParseError(f"'{raw}' is not a number: '{rest}' after {number} is not a unit",
                         f"“{raw}”不是一个确定的数值：{number}后面的“{rest}”不是计量单位（如“约”“左右”须由报送部门给出确数）")
    return Number(value, unit)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert between units of the same kind that are shares of a whole (%, ‰, /万, /10万).

    93.5 % → 935 ‰; 12 /10万 → 0.012 %. Raises :class:`ParseError` when the two are not
    convertible (a percentage and a count, say).
    """
    if from_unit == to_unit:
        return value
    a, b = units().get(from_unit, {}), units().get(to_unit, {})
    if "per" not in a or "per" not in b:
        raise ParseError(f"a value in '{from_unit}' cannot be converted to '{to_unit}'",
                         f"以“{from_unit}”为单位的数值不能换算为“{to_unit}”")
    return value * b["per"] / a["per"]


def parse_year(raw: Any) -> int:
    """A year from 2021, 2021.0, "2021", "2021年", "２０２１年度"; ParseError otherwise."""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        return int(raw)
    text = fold(str(raw)) if raw is not None else ""
    m = re.fullmatch(r"(\d{4})(?:\.0)?(?:年度?|年)?", text)
    if not m:
        raise ParseError(f"'{raw}' is not a year", f"“{raw}”不是年份（应写作 2021 或 2021年）")
    return int(m.group(1))


def year_in_header(text: str) -> int | None:
    """The year a column header names ("2021年", "2021", "2021年（%）"), or None."""
    found = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", fold(text))
    return int(found[0]) if len(set(found)) == 1 else None


def parse_sex(raw: Any) -> str:
    """'female', 'male' or 'total' from 女/女性/男/合计/小计/…; a blank means total."""
    if is_missing(raw):
        return "total"
    text = fold(str(raw)).casefold()
    for sex, labels in cleaning_rules()["sex_labels"].items():
        if text in {fold(label).casefold() for label in labels}:
            return sex
    raise ParseError(f"'{raw}' is not a sex label (女/男/合计 …)", f"“{raw}”不是性别（应为 女、男 或 合计）")


def sex_in_header(text: str) -> str | None:
    """The sex a column header names as its last part ("2021年 女", "女性"), or None."""
    t = fold(text).casefold()
    for sex, labels in cleaning_rules()["sex_labels"].items():
        for label in sorted(labels, key=len, reverse=True):
            lab = fold(label).casefold()
            # one-letter ASCII labels (f, m) are too easily part of other words in a header
            if (len(lab) > 1 or not lab.isascii()) and t.endswith(lab):
                return sex
    return None


@dataclass(frozen=True)
class Area:
    """An area as observations name it, and how it was recognised."""

    code: str
    alias_of: str | None = None  # the written name, when it was an old name or a variant
    former_last_year: int | None = None  # for a town that left the district


@cache
def _area_index() -> dict[str, Area]:
    spec = areas()
    index: dict[str, Area] = {}

    def add(label: str, area: Area) -> None:
        key = fold(label)
        if key in index and index[key].code != area.code:
            raise config.ParamsError(f"params/areas.yaml: '{label}' names both {index[key].code} "
                                     f"and {area.code}")
        index[key] = area

    for label in spec["district"]["labels"]:
        add(label, Area(spec["district"]["code"]))
    for name, town in spec["towns"].items():
        add(name, Area(name))
        for alias in town.get("aliases", []):
            add(alias, Area(name, alias_of=alias))
    for name, town in (spec.get("former_towns") or {}).items():
        add(name, Area(name, former_last_year=town["last_year"]))
        for alias in town.get("aliases", []):
            add(alias, Area(name, alias_of=alias, former_last_year=town["last_year"]))
    for code in ("urban", "rural"):
        for label in spec["urban_rural"][code]["labels"]:
            add(label, Area(code))
    for code, comp in spec["comparators"].items():
        add(code, Area(code))
        for label in comp["labels"]:
            add(label, Area(code))
    return index


def parse_area(raw: Any) -> Area:
    """The area a label names (the district's name → district, a town's old name → the town, 全国 →
    national), by the labels of params/areas.yaml."""
    if is_missing(raw):
        raise ParseError("the area is blank", "地区为空")
    area = _area_index().get(fold(str(raw)))
    if area is None:
        raise ParseError(f"'{raw}' is not an area of the district nor a comparator "
                         f"(params/areas.yaml lists them with their old names)",
                         f"“{raw}”不是本区的镇（街道）或对照地区（params/areas.yaml 列有各地区及其旧称）")
    if area.alias_of is not None and fold(area.alias_of) == fold(area.code):
        return Area(area.code, None, area.former_last_year)
    return area


def urban_rural_of(town_kind: str, spec: dict[str, Any] | None = None) -> str:
    """'urban' or 'rural' for a town of ``type`` ``town_kind``, by the ``types`` params/areas.yaml
    lists under ``urban_rural`` (街道 urban, 镇 rural for a district; 区 and 县 for a city).
    ParamsError for a type neither lists: a town is never counted on a guess."""
    spec = areas() if spec is None else spec
    for code in ("urban", "rural"):
        if town_kind in (spec["urban_rural"][code].get("types") or []):
            return code
    raise config.ParamsError(f"params/areas.yaml: town type {town_kind!r} is listed under neither "
                             "urban_rural.urban.types nor urban_rural.rural.types")


def town_type(name: str) -> str | None:
    """'urban' or 'rural' for a town (:func:`urban_rural_of` its type), None for anything that is
    not a town."""
    spec = areas()
    town = spec["towns"].get(name) or (spec.get("former_towns") or {}).get(name)
    if town is None:
        return None
    return urban_rural_of(town["type"], spec)
