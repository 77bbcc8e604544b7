"""The catalog's entries: loading and checking them against the plans' text, selecting, summarising
(the package docstring, :mod:`analysis.catalog`, says what the catalog is).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config, kinds
from analysis.catalog.wording import check_wording, vocabulary

log = logging.getLogger(__name__)

#: target kinds: the registry (analysis/kinds/, one file per kind) says what each requires
KINDS = kinds.KINDS
NUMERIC_KINDS = kinds.NUMERIC_KINDS
BREAKDOWNS = {"sex", "urban_rural", "town"}
# whom a target is about: the plan's words name women (妇女/女性/女职工) or girls (女童) — then the
# verdict is on the female series — or no sex at all (everyone the indicator covers)
POPULATIONS = {"all", "women", "girls"}
ID_PATTERN = re.compile(r"^(?P<plan>[WC])(?P<field>\d)\.(?P<m>M)?(?P<number>\d+)(?P<letter>[a-z])?$")
FIELDS = [
    "id", "plan", "field", "goal", "measure", "name_zh", "name_en", "unit", "kind", "value",
    "year", "tolerance", "direction", "gap_of", "gap", "relative_to", "comparison", "better",
    "marked", "breakdowns", "population", "same_as", "female_share", "valid_range", "department", "monitorable",
    "wording", "source", "national_key", "note",
]
TEXT_FIELDS = ["id", "plan", "name_zh", "name_en", "unit", "kind", "direction", "gap_of", "gap",
               "relative_to", "comparison", "better", "population", "same_as", "department", "wording", "source",
               "national_key", "note"]
REQUIRED = ["id", "plan", "field", "name_zh", "name_en", "kind", "breakdowns", "department",
            "monitorable", "source"]

PAGE_MARKER = re.compile(r"^—\s*\d+\s*—$")
FIELD_HEADING = re.compile(r"^（([一二三四五六七八])）([^。]+)$")
ITEM_START = re.compile(r"^(\d+)．(.*)$")
CHINESE_NUMERALS = {c: i for i, c in enumerate("一二三四五六七八", start=1)}
#: the plan period a title may carry after the name the text heads the plan with: （2021—2030年）
TITLE_PERIOD = re.compile(r"（\d{4}\s*[—–－-]+\s*\d{4}\s*年）$")
#: a number in a sentence, not the base of a unit such as "/10万"
NUMBER = re.compile(r"(?<![/\d.])\d+(?:\.\d+)?")


class CatalogError(ValueError):
    """A catalog that cannot be used; ``problems`` lists every problem found, not the first."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        head = f"{config.display_path(path)}: {len(problems)} problem(s) in the indicator catalog"
        super().__init__("\n  ".join([head, *problems]))


@dataclass(frozen=True)
class Catalog:
    """A loaded catalog: the plans, their fields, and the entries as a table in plan order."""

    path: Path
    plans: dict[str, dict[str, str]]
    fields: dict[str, dict[str, str]]
    indicators: pd.DataFrame

    def entry(self, indicator_id: str) -> pd.Series:
        """One entry by id (KeyError naming the id when it is not in the catalog)."""
        if indicator_id not in self.indicators.index:
            raise KeyError(f"indicator {indicator_id!r} is not in {config.display_path(self.path)}")
        return self.indicators.loc[indicator_id]


def normalize_text(text: str) -> str:
    """Text with every kind of white space removed: how quotes are compared with the plans.

    The plans' text comes from a PDF, with line breaks and stray spaces inside sentences
    ("12/10 万"); a quote matches when it is the same once both lose their white space.
    """
    return re.sub(r"\s+", "", text)


def plan_titles(plans: dict[str, Any] | None = None) -> dict[str, str]:
    """Each plan's title as its text heads it, with the catalog's plan code: the catalog's
    ``plans`` (the default catalog's when None), with and without the period (《…规划（2021—2030年）》).
    No title is written in code: another county's catalog names its own plans."""
    if plans is None:
        plans = (config.read_yaml(config.DEFAULT_CATALOG) or {}).get("plans") or {}
    titles: dict[str, str] = {}
    for code, names in plans.items():
        zh = normalize_text(str((names or {}).get("zh", "") if isinstance(names, dict) else names))
        if zh:
            titles[zh] = titles[TITLE_PERIOD.sub("", zh)] = str(code)
    return titles


def plan_structure(text: str, titles: dict[str, str] | None = None) -> pd.DataFrame:
    """Split the plans' text into its numbered main goals (主要目标) and measures (策略措施).

    ``titles`` maps the line heading each plan to its code (:func:`plan_titles` of the catalog's
    ``plans``; the default catalog's when None).

    Returns one row per item: ``plan`` (W/C), ``field`` (1…8), ``field_zh``, ``section``
    (``goal`` or ``measure``), ``number`` and ``text`` (white space removed). Only the part
    "二、发展领域、主要目标和策略措施" of each plan is read. Raises ValueError when an item's
    number does not follow the one before, which would mean the text was not understood.
    """
    titles = plan_titles() if titles is None else titles
    rows: list[dict[str, Any]] = []
    plan = field = field_zh = section = None
    in_fields = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or PAGE_MARKER.match(line):
            continue
        if normalize_text(line) in titles:
            plan, in_fields, field, section = titles[normalize_text(line)], False, None, None
            continue
        if line.startswith("二、发展领域"):
            in_fields = True
            continue
        if line.startswith("三、") or line.startswith("四、"):
            in_fields, section = False, None
            continue
        if not in_fields or plan is None:
            continue
        heading = FIELD_HEADING.match(line)
        if heading:
            field, field_zh, section = CHINESE_NUMERALS[heading.group(1)], heading.group(2), None
            continue
        if line.startswith("主要目标"):
            section = "goal"
            continue
        if line.startswith("策略措施"):
            section = "measure"
            continue
        if section is None:
            continue
        item = ITEM_START.match(line)
        if item:
            rows.append({"plan": plan, "field": field, "field_zh": field_zh, "section": section,
                         "number": int(item.group(1)), "text": item.group(2)})
        elif rows:
            rows[-1]["text"] += line
    table = pd.DataFrame(rows, columns=["plan", "field", "field_zh", "section", "number", "text"])
    table["text"] = table["text"].map(normalize_text)
    for (p, f, s), block in table.groupby(["plan", "field", "section"], sort=False):
        expected = list(range(1, len(block) + 1))
        if block["number"].tolist() != expected:
            raise ValueError(
                f"plan {p} field {f} {s}s are numbered {block['number'].tolist()}, not 1…n"
            )
    return table


def read_plan_text(path: Path | None = None) -> str:
    """The plans' full text: ``path``, or the file the default catalog names (``plan_text``)."""
    if path is None:
        named = (config.read_yaml(config.DEFAULT_CATALOG) or {}).get("plan_text")
        if not named:
            raise config.ParamsError(f"{config.display_path(config.DEFAULT_CATALOG)}: no plan_text names the "
                                     "plans' full text")
        path = Path(named)
    p = config.resolve(path)
    if not p.is_file():
        raise config.ParamsError(f"{config.display_path(p)}: the plans' text is not there (plan_text of the catalog)")
    return p.read_text(encoding="utf-8")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_entry(
    e: dict[str, Any],
    ids: set[str],
    items: dict[tuple, str],
    units: dict[str, Any],
    departments: dict[str, Any],
    national_keys: set[str] | None,
    words: dict[str, Any],
) -> list[str]:
    """Every problem with one entry, each as "entry <id>, field <name>: <problem>"."""
    eid = e.get("id", "?")
    problems: list[str] = []

    def bad(fieldname: str, message: str) -> None:
        problems.append(f"entry {eid}, field '{fieldname}': {message}")

    unknown = sorted(set(e) - set(FIELDS))
    if unknown:
        bad(unknown[0], f"unknown field(s) {unknown}; allowed: {FIELDS}")
    for name in REQUIRED:
        if e.get(name) in (None, ""):
            bad(name, "missing")
    m = ID_PATTERN.match(str(eid))
    if not m:
        bad("id", "not of the form W1.2, W1.2a, C1.M2 or C1.M2a")
        return problems
    if e.get("plan") != m["plan"]:
        bad("plan", f"is {e.get('plan')!r} but the id says {m['plan']}")
    if e.get("field") != int(m["field"]):
        bad("field", f"is {e.get('field')!r} but the id says {m['field']}")
    section, number_key = ("measure", "measure") if m["m"] else ("goal", "goal")
    if e.get(number_key) != int(m["number"]):
        bad(number_key, f"is {e.get(number_key)!r} but the id says {m['number']}")
    other = "goal" if number_key == "measure" else "measure"
    if e.get(other) is not None:
        bad(other, f"a {section} entry has no '{other}'")

    kind = e.get("kind")
    spec = kinds.REGISTRY.get(kind)
    if spec is None:
        bad("kind", f"unknown kind {kind!r}; one of {sorted(KINDS)}")
    unit = e.get("unit")
    if unit is not None and unit not in units:
        bad("unit", f"unit {unit!r} not understood; add it to params/units.yaml or use one of "
                    f"{sorted(units)}")
    if spec is not None and spec.has_value:
        for name in ("value", "year", "unit"):
            if e.get(name) is None:
                bad(name, f"a '{kind}' target needs a {name}")
        if e.get("value") is not None and not _is_number(e["value"]):
            bad("value", f"{e['value']!r} is not a number")
    elif spec is not None and e.get("value") is not None:
        bad("value", f"a '{kind}' target has no target value")
    period = config.plan()
    if e.get("year") is not None and not (isinstance(e["year"], int)
                                          and period.first_year <= e["year"] <= period.final_year):
        bad("year", f"{e['year']!r} is not a year of the plan period {period.first_year}–{period.final_year}")
    if spec is not None:
        spec.validate(e, bad, ids)
        for name in kinds.OPTIONAL_FIELDS:
            if name not in spec.fields and e.get(name) is not None:
                owners = sorted(k for k, v in kinds.REGISTRY.items() if name in v.fields)
                bad(name, f"only {' and '.join(repr(o) for o in owners)} targets have a {name}")
        if spec.measured and e.get("better") not in ("lower", "higher"):
            bad("better", f"{e.get('better')!r}; 'lower' or 'higher'")
    if not isinstance(e.get("monitorable"), bool):
        bad("monitorable", "must be true or false")
    breakdowns = e.get("breakdowns")
    if not isinstance(breakdowns, list) or not set(breakdowns) <= BREAKDOWNS:
        bad("breakdowns", f"{breakdowns!r}; a list of {sorted(BREAKDOWNS)}")
    population = e.get("population")
    if population is not None and population not in POPULATIONS:
        bad("population", f"{population!r}; one of {sorted(POPULATIONS)}")
    if population in ("women", "girls") and isinstance(breakdowns, list) and "sex" not in breakdowns \
            and not e.get("female_share"):
        bad("population", "a target about women or girls without the 'sex' breakdown: its series is already "
                          "theirs — drop 'population' or add 'sex'")
    if e.get("female_share") is not None and not isinstance(e["female_share"], bool):
        bad("female_share", "must be true or false")
    if e.get("female_share") and isinstance(breakdowns, list) and "sex" in breakdowns:
        bad("breakdowns", "a share of women is one figure, not split by sex: drop 'sex'")
    vr = e.get("valid_range")
    if vr is not None and not (isinstance(vr, list) and len(vr) == 2 and all(map(_is_number, vr)) and vr[0] < vr[1]):
        bad("valid_range", f"{vr!r}; a list [lowest, highest] of the possible values")
    if e.get("department") not in departments:
        bad("department", f"{e.get('department')!r} is not in params/departments.yaml")
    key = e.get("national_key")
    if key is not None and national_keys is not None and key not in national_keys:
        bad("national_key", f"{key!r} is not an indicator_key of the national reference file")

    source = normalize_text(str(e.get("source") or ""))
    item = items.get((m["plan"], int(m["field"]), section, int(m["number"])))
    if item is None:
        bad("id", f"the plan has no {section} {m['number']} in field {m['field']}")
    elif source and source not in item:
        bad("source", f"the sentence does not occur in {section} {m['number']} of field "
                      f"{m['field']} of the plan")
    numbers = [float(n) for n in NUMBER.findall(source)]
    if kind in NUMERIC_KINDS and _is_number(e.get("value")) and float(e["value"]) not in numbers:
        bad("value", f"{e['value']} does not appear in the source sentence")
    wording = normalize_text(str(e.get("wording") or ""))
    check_wording(e, source, bad, words, [float(n) for n in NUMBER.findall(wording)])
    return problems


LINKED_FIELDS = ("kind", "value", "unit", "year", "direction")


def _check_links(entries: list[dict[str, Any]]) -> list[str]:
    """Problems with ``same_as``: an entry that is the same indicator with the same target as
    another entry (the two plans both set 高中阶段教育毛入学率 96 %; one institution counted in
    both) names that entry, which must exist, not be linked itself, and state the same target."""
    by_id = {str(e.get("id")): e for e in entries}
    problems = []
    for e in entries:
        other = e.get("same_as")
        if other is None:
            continue
        eid = e.get("id")
        if other not in by_id or other == eid:
            problems.append(f"entry {eid}, field 'same_as': {other!r} is not another id in the catalog")
            continue
        if by_id[other].get("same_as") is not None:
            problems.append(f"entry {eid}, field 'same_as': {other} is itself linked to "
                            f"{by_id[other]['same_as']}; name the entry that carries the series")
        for name in LINKED_FIELDS:
            if e.get(name) != by_id[other].get(name):
                problems.append(f"entry {eid}, field 'same_as': {name} is {e.get(name)!r} here but "
                                f"{by_id[other].get(name)!r} in {other}: not the same target")
    return problems


def load_catalog(
    path: str | Path = config.DEFAULT_CATALOG,
    plan_text: str | Path | None = None,
) -> Catalog:
    """Read and check a catalog; raise :class:`CatalogError` listing every problem.

    Checks: known fields only; required fields; ids well formed, unique and consistent with
    plan/field/goal/measure; kind known and its own fields present (value, year and unit for
    numeric targets, tolerance for 左右, direction, gap, relative indicator); unit in
    ``params/units.yaml``; department in ``params/departments.yaml``; national key in the
    reference file when one is named; the source sentence occurs in the very goal or measure
    the id names, and the target value occurs in it; every main goal of the plans has an entry.
    """
    path = config.resolve(path)
    data = config.read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise CatalogError(path, ["top level: expected 'plans', 'fields' and a list 'indicators'"])
    units = config.read_yaml(config.UNITS_FILE)["units"]
    departments = config.read_yaml(config.DEPARTMENTS_FILE)["departments"]
    words = vocabulary()
    text_path = plan_text or data.get("plan_text")
    if not text_path:
        raise CatalogError(path, ["top level: 'plan_text' must name the plans' full text, which every entry quotes"])
    structure = plan_structure(read_plan_text(Path(text_path)), plan_titles(data.get("plans") or {}))
    items = {(r.plan, r.field, r.section, r.number): r.text for r in structure.itertuples()}
    national_keys = None
    if data.get("national_reference"):
        ref = pd.read_csv(config.resolve(data["national_reference"]), usecols=["indicator_key"])
        national_keys = set(ref["indicator_key"])

    problems: list[str] = []
    entries = data["indicators"]
    seen: dict[str, int] = {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            problems.append(f"entry #{i + 1}: not a mapping of field: value")
            continue
        eid = str(e.get("id"))
        if eid in seen:
            problems.append(f"entry {eid}, field 'id': duplicate id (entries #{seen[eid]} and "
                            f"#{i + 1})")
        seen.setdefault(eid, i + 1)
    entries = [e for e in entries if isinstance(e, dict)]
    ids = set(seen)
    for e in entries:
        problems += _check_entry(e, ids, items, units, departments, national_keys, words)
    problems += _check_links(entries)
    goals = structure[structure["section"] == "goal"]
    covered = {(e.get("plan"), e.get("field"), e.get("goal")) for e in entries}
    for r in goals.itertuples():
        if (r.plan, r.field, r.number) not in covered:
            problems.append(f"plan {r.plan} field {r.field}: main goal {r.number} has no entry "
                            f"({r.text[:30]}…)")
    if problems:
        raise CatalogError(path, problems)

    table = pd.DataFrame([{f: e.get(f) for f in FIELDS} for e in entries], columns=FIELDS)
    for name in TEXT_FIELDS:  # a missing text field is None, not NaN (pandas' default)
        table[name] = table[name].astype(object).where(table[name].notna(), None)
    table = table.sort_values("id", key=lambda s: s.map(plan_order)).set_index("id", drop=False)
    table.index.name = None
    plans = data.get("plans") or {}
    fields = data.get("fields") or {}
    log.info("catalog %s: %d entries", config.display_path(path), len(table))
    return Catalog(path=path, plans=plans, fields=fields, indicators=table)


def plan_order(indicator_id: str) -> tuple:
    """Sort key putting ids in plan order: W before C, field, goals before measures, number."""
    m = ID_PATTERN.match(indicator_id)
    if not m:
        return (9, 0, 0, 0, indicator_id)
    return ("WC".index(m["plan"]), int(m["field"]), 1 if m["m"] else 0, int(m["number"]),
            m["letter"] or "")


def select(
    cat: Catalog,
    plan: str | None = None,
    field: int | None = None,
    monitorable: bool | None = None,
) -> pd.DataFrame:
    """The catalog's entries in plan order, filtered by plan, field and monitorability."""
    table = cat.indicators
    if plan is not None:
        table = table[table["plan"] == plan]
    if field is not None:
        table = table[table["field"] == field]
    if monitorable is not None:
        table = table[table["monitorable"] == monitorable]
    return table


def to_flat(table: pd.DataFrame, fields: dict[str, dict[str, str]] | None = None) -> pd.DataFrame:
    """Entries as a flat table for CSV and display: every field, with the field's Chinese and
    English names after its number (from the catalog's ``fields``), lists joined with ';'."""
    flat = table.reset_index(drop=True).copy()
    keys = flat["plan"] + flat["field"].astype(str)
    flat.insert(3, "field_zh", keys.map(lambda k: (fields or {}).get(k, {}).get("zh")))
    flat.insert(4, "field_en", keys.map(lambda k: (fields or {}).get(k, {}).get("en")))
    flat["breakdowns"] = flat["breakdowns"].map(lambda b: ";".join(b))
    flat["valid_range"] = flat["valid_range"].map(
        lambda r: ";".join(f"{x:g}" for x in r) if isinstance(r, list) else None)
    for name in ("field", "goal", "measure", "year"):
        flat[name] = flat[name].astype("Int64")
    return flat


def target_text(entry: pd.Series) -> str:
    """The target in words a reader of the plan recognises ("12/10万以下（2030年）", "逐步提高")."""
    return kinds.get(entry["kind"]).text(entry)


def summary_by_field(cat: Catalog) -> pd.DataFrame:
    """Per plan and field: targets, of which with a numeric target, direction-only,
    relative, qualitative, and how many are monitorable with routine statistics."""
    t = cat.indicators
    kind_group = t["kind"].map(lambda k: kinds.get(k).group)
    frame = pd.DataFrame({"plan": t["plan"], "field": t["field"], **{g: kind_group == g for g in kinds.GROUPS},
                          "monitorable": t["monitorable"].astype(bool)})
    out = frame.groupby(["plan", "field"], sort=False).agg(
        targets=("monitorable", "size"), **{g: (g, "sum") for g in kinds.GROUPS},
        monitorable=("monitorable", "sum"),
    ).reset_index()
    out.insert(2, "field_zh", [cat.fields.get(f"{p}{f}", {}).get("zh", "") for p, f in
                               zip(out["plan"], out["field"], strict=True)])
    return out


#: Chinese column labels for the summary table shown to the expert group
SUMMARY_LABELS = {
    "plan": "规划", "field": "领域", "field_zh": "领域名称", "targets": "目标数",
    "numeric": "量化目标", "direction": "方向性目标", "relative": "相对目标",
    "qualitative": "定性目标", "monitorable": "可监测",
}
BREAKDOWN_LABELS = {"sex": "分性别", "urban_rural": "分城乡", "town": "分镇（街道）"}


def headline(cat: Catalog) -> str:
    """One sentence counting the targets as official reports do (可监测 N 项 …)."""
    t = cat.indicators
    parts = []
    for plan in ("W", "C"):
        sub = t[t["plan"] == plan]
        if sub.empty:
            continue
        group = sub["kind"].map(lambda k: kinds.get(k).group)
        numeric, direction, relative, qualitative = ((group == g).sum() for g in kinds.GROUPS)
        name = cat.plans.get(plan, {}).get("zh", plan)
        parts.append(
            f"《{name}》共列入目标 {len(sub)} 项，其中有具体数值的 {numeric} 项、方向性 {direction} 项、"
            f"相对目标 {relative} 项、定性 {qualitative} 项；可用常规统计监测的 {int(sub['monitorable'].sum())} 项。"
        )
    return "\n\n".join(parts)


def target_list(table: pd.DataFrame) -> pd.DataFrame:
    """The entries as the expert group reads them: id, name, target in words, breakdowns,
    department, monitorability and the plan's sentence, with Chinese column labels."""
    return pd.DataFrame(
        {
            "编号": table["id"],
            "指标": table["name_zh"],
            "目标": [target_text(r) for _, r in table.iterrows()],
            "监测分组": table["breakdowns"].map(
                lambda b: "、".join(BREAKDOWN_LABELS[x] for x in b) or "—"
            ),
            "报送部门": table["department"],
            "可监测": table["monitorable"].map({True: "是", False: "否"}),
            "规划原文": table["source"],
        }
    ).reset_index(drop=True)
