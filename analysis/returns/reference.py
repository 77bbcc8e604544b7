"""The real national monitoring figures, carried into the long CSV the cleaning step reads.

``docs/reference/national_monitoring_figures.csv`` holds national values quoted from the
National Bureau of Statistics' monitoring reports on the China Women's and Children's
Development Outlines, keyed by the reports' own series (``indicator_key``) and scoped in the
reports' words (national, urban, female, "stated as 99%以上 (lower bound)" …). The district's
targets mirror the national outlines', so these figures are the district's natural comparator.

This module turns them into ``data/raw/reference/national.csv``: one row per catalog indicator,
year, area and sex, in the catalog's unit, with the report, URL and quote kept for the record.
Every decision is explicit and recorded: which source rows map to which catalog entries (the
catalog's ``national_key``), what each scope means (:data:`SCOPES`), which units convert, which
of two reports wins, and why a row is not carried. Every source row ends carried, superseded
(another row gives the same indicator, year, area and sex and wins) or not carried, and the
three are checked to add up to the source.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config
from analysis.atomic import atomic_output
from analysis.catalog import Catalog, load_catalog, plan_order

log = logging.getLogger(__name__)

#: the shipped source: the reference file as copied from the team's shared folder
SOURCE = config.PROJECT_ROOT / "docs" / "reference" / "national_monitoring_figures.csv"
#: where the carried figures go: a folder of raw inputs the cleaning step reads
OUT_DIR = config.RAW_DIR / "reference"

SOURCE_COLUMNS = ["outline", "indicator_key", "indicator_zh", "year", "value", "unit", "scope",
                  "source_report", "source_url", "quote"]
CARRIED_COLUMNS = ["indicator_id", "year", "area", "sex", "value", "unit", "flags", "source_report",
                   "source_url", "quote", "superseded_value", "superseded_report"]
NOT_CARRIED_COLUMNS = ["source_row", "indicator_key", "year", "scope", "value", "unit", "outcome", "reason",
                       "indicator_id", "superseded_by"]

CARRIED, SUPERSEDED, NOT_CARRIED = "carried", "superseded", "not carried"
#: the order flags are written in, and areas and sexes sorted in
FLAG_ORDER = ("derived", "lower_bound", "approximate")
AREA_ORDER = ("national", "national_urban", "national_rural")
SEX_ORDER = ("total", "female", "male")
DERIVED_PREFIX = "derived:"


@dataclass(frozen=True)
class Scope:
    """What a source ``scope`` means: the area and sex of the value and its flags, or a refusal.

    ``sex_gap`` marks a value that is itself a male-female gap: it belongs only to a catalog
    entry whose own series is a sex gap. ``refused`` is the reason a row with this scope is
    not carried (its value is not a figure for the row's year).
    """

    area: str = "national"
    sex: str = "total"
    flags: tuple[str, ...] = ()
    sex_gap: bool = False
    refused: str | None = None


#: Every scope string of the source, each decided on its own text. A scope not listed here is
#: not guessed at: its rows are not carried, with the reason saying so (add the string here).
SCOPES: dict[str, Scope] = {
    "national": Scope(),
    "urban": Scope(area="national_urban"),
    "rural": Scope(area="national_rural"),
    "female": Scope(sex="female"),
    "male": Scope(sex="male"),
    # the gap itself (e.g. 科学素质水平性别差, in percentage points): a national, both-sexes figure
    "male-female gap": Scope(sex_gap=True),
    # "99%以上", "保持在…以上", "始终保持在…以上", "均保持在…以上": the value is a floor
    "national; stated as 99%以上 (lower bound)": Scope(flags=("lower_bound",)),
    "national; stated as 保持在99%以上 (lower bound)": Scope(flags=("lower_bound",)),
    "national; stated as 均保持在90%以上 (lower bound)": Scope(flags=("lower_bound",)),
    "national; stated as 始终保持在100%以上 (lower bound)": Scope(flags=("lower_bound",)),
    "national; stated as more than 2.23 million": Scope(flags=("lower_bound",)),
    # "kept above X since 2010" holds in every year 2010-2020, so also in the row's year (2020)
    "national; stated as 2010年以来保持在99.7%以上 (lower bound, 2010-2020)": Scope(flags=("lower_bound",)),
    "national; stated as 2010年以来保持在98%以上 (lower bound, 2010-2020)": Scope(flags=("lower_bound",)),
    # "70%多": seventy-something per cent, so at least 70 and not exact
    "national; stated as 70%多 (slightly above 70, approximate)": Scope(flags=("lower_bound", "approximate")),
    # the qualifier only says what the share is made of (31/33 = 93.9 %): a plain national value
    "national; 31 of 33 monitored indicators": Scope(),
    "female (lower bound: 超过5.4亿)": Scope(sex="female", flags=("lower_bound",)),
    "female (approx: 近3.9亿)": Scope(sex="female", flags=("approximate",)),
    "national; cumulative since 2016": Scope(
        refused="scope names another period: a total accumulated since 2016, not a figure for the year"),
    "national; 2000—2015 period (cited from 《中国妇幼健康事业发展报告(2019)》)": Scope(
        refused="scope names another period: a change over 2000–2015, not a figure for the year"),
    "national (source text garbled: 3.4数万人; 比2010年降低50.5%)": Scope(
        refused="source text garbled: the value cannot be read with confidence"),
}

LEADING_YEAR = re.compile(r"^\s*(\d{4})年")
TRAILING_DATE = re.compile(r"[（(](\d{4})(?:\.(\d{1,2})|年)[)）]\s*$")


@dataclass(frozen=True)
class Candidate:
    """One source row read as a figure of one catalog indicator, before revisions are settled."""

    line: int
    indicator_id: str
    year: int
    area: str
    sex: str
    value: Decimal
    unit: str
    flags: tuple[str, ...]
    derived: bool
    order: tuple[int, int, int, int]
    source_report: str
    source_url: str
    quote: str


@dataclass(frozen=True)
class Decision:
    """What became of one source row for one catalog indicator (or for none, when unmapped)."""

    line: int
    indicator_id: str
    outcome: str
    reason: str = ""
    superseded_by: int | None = None


# --- reading the source ---------------------------------------------------------------------


def read_source(source: Path) -> pd.DataFrame:
    """The source rows as text, with ``source_row``: the row's number counting the header as 1.

    Everything is read as text (no value is changed by reading); a file without the
    documented columns is refused, naming the missing ones.
    """
    table = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in SOURCE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{config.display_path(source)}: missing column(s) {missing}")
    table.insert(0, "source_row", range(2, len(table) + 2))
    return table


def report_order(source_report: str) -> tuple[int, int, int] | None:
    """The place of a report in publication order: (report year, publication year, month).

    The report year is the leading year ("2013年《…》统计监测报告" → 2013), or for the mid-term
    and final reports, which have none, the year in the closing brackets ("…中期统计监测报告
    （2015年）" → 2015, "…终期统计监测报告(2021.12)" → 2021). Where the closing brackets give a
    publication date ("(2017.10)") it breaks ties between reports of the same year (the women's
    mid-term report of 2016.10 before the 2016 report of 2017.10); otherwise it is (0, 0).
    ``None`` when no year can be read.
    """
    lead = LEADING_YEAR.match(source_report)
    trail = TRAILING_DATE.search(source_report)
    if lead:
        year = int(lead[1])
    elif trail:
        year = int(trail[1])
    else:
        return None
    published = (int(trail[1]), int(trail[2])) if trail and trail[2] else (0, 0)
    return (year, *published)


def _number(text: str) -> Decimal | None:
    """The value as an exact decimal (so that 13.1 ‰ → 1.31 % has no binary rounding), or None."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def format_value(value: Decimal | float) -> str:
    """A value as written in the CSV: the shortest text that reads back as the same float (12.3)."""
    return repr(float(value))


# --- units ----------------------------------------------------------------------------------


def _squeeze(text: Any) -> str:
    return "".join(str(text).split())


def unit_name(raw: str, units: dict[str, Any]) -> str | None:
    """The ``params/units.yaml`` name of a unit as written ("％" → "%"), or None if unknown."""
    text = _squeeze(raw)
    for name, spec in units.items():
        if text == _squeeze(name) or text in {_squeeze(a) for a in spec.get("aliases") or []}:
            return name
    return None


def convert(value: Decimal, unit_from: str | None, unit_to: str, units: dict[str, Any]) -> Decimal | None:
    """``value`` in ``unit_to``, or None when the units are not comparable.

    Equal units need no conversion; proportions and rates (%, ‰, /万, /10万: the units with a
    ``per`` in ``params/units.yaml``) convert by ``value * per_to / per_from``. Anything else
    (persons against a percentage, a count against a count per 1,000 children) is refused.
    """
    if unit_from is None:
        return None
    if unit_from == unit_to:
        return value
    per_from = units.get(unit_from, {}).get("per")
    per_to = units.get(unit_to, {}).get("per")
    if per_from is None or per_to is None:
        return None
    return value * Decimal(per_to) / Decimal(per_from)


# --- one source row -------------------------------------------------------------------------


def ids_by_key(cat: Catalog) -> dict[str, list[str]]:
    """Catalog ids by ``national_key``, in plan order; a key may serve several targets."""
    keyed = cat.indicators[cat.indicators["national_key"].notna()]
    out: dict[str, list[str]] = {}
    for indicator_id, key in zip(keyed["id"], keyed["national_key"], strict=True):
        out.setdefault(key, []).append(indicator_id)
    return out


def _row_problem(row: dict[str, Any]) -> str | None:
    """Why a mapped source row cannot be carried for any indicator, or None."""
    scope = SCOPES.get(row["scope"])
    if scope is None:
        log.warning("source row %d: scope %r is not in SCOPES; not carried", row["source_row"], row["scope"])
        return "scope not in the table of known scopes (analysis/returns/reference.py SCOPES)"
    if scope.refused:
        return scope.refused
    if _number(row["value"]) is None:
        return "value is not a number"
    if not re.fullmatch(r"\d{4}", row["year"].strip()):
        return "year is not a year"
    if report_order(row["source_report"]) is None:
        return "no year can be read from source_report"
    return None


def _entry_problem(scope: Scope, row: dict[str, Any], entry: pd.Series, units: dict[str, Any]) -> str | None:
    """Why a source row does not fit one catalog entry (gap or unit), or None."""
    own_sex_gap = entry["gap"] == "sex" and entry["gap_of"] is None
    if scope.sex_gap and not own_sex_gap:
        return f"a male-female gap, but {entry['id']} is not itself a sex gap"
    if own_sex_gap and not scope.sex_gap:
        return f"{entry['id']} is a male-female gap; this row is not one"
    if entry["unit"] is None:
        return f"{entry['id']} has no unit in the catalog"
    if convert(Decimal(0), unit_name(row["unit"], units), entry["unit"], units) is None:
        return f"unit {row['unit']} not comparable with the catalog's {entry['unit']}"
    return None


def own_scope(scope: Scope, entry: pd.Series) -> tuple[str, str]:
    """The area and sex of a national figure for one catalog entry.

    A scope can describe the indicator itself rather than a breakdown of it: the reports tag
    "share of women among the employed" as female and "share of women on village committees"
    as rural. Where the catalog does not break the indicator down that way (a share of women
    is one figure; a village-committee share has no urban/rural split), the figure is the
    national value of the indicator itself: sex total, area national.
    """
    breakdowns = entry["breakdowns"] or []
    sex = scope.sex if "sex" in breakdowns else "total"
    area = scope.area if "urban_rural" in breakdowns else "national"
    return area, sex


def assess_row(
    row: dict[str, Any], keyed: dict[str, list[str]], cat: Catalog, units: dict[str, Any]
) -> tuple[list[Candidate], list[Decision]]:
    """One source row as candidate figures (one per catalog id it fits) and refusals.

    A row whose key no catalog entry names, or whose scope, value, year or report cannot be
    used, is refused for every id; a row that fits some ids and not others (a gap or unit
    mismatch) is refused for those ids only.
    """
    line = row["source_row"]
    ids = keyed.get(row["indicator_key"], [])
    if not ids:
        return [], [Decision(line, "", NOT_CARRIED, "no catalog entry has this indicator_key as its national_key")]
    problem = _row_problem(row)
    if problem:
        return [], [Decision(line, ";".join(ids), NOT_CARRIED, problem)]
    scope = SCOPES[row["scope"]]
    derived = row["quote"].strip().startswith(DERIVED_PREFIX)
    flags = tuple(f for f in FLAG_ORDER if f in scope.flags or (f == "derived" and derived))
    candidates, refusals = [], []
    for indicator_id in ids:
        entry = cat.indicators.loc[indicator_id]
        problem = _entry_problem(scope, row, entry, units)
        if problem:
            refusals.append(Decision(line, indicator_id, NOT_CARRIED, problem))
            continue
        area, sex = own_scope(scope, entry)
        value = convert(_number(row["value"]), unit_name(row["unit"], units), entry["unit"], units)
        candidates.append(Candidate(
            line=line, indicator_id=indicator_id, year=int(row["year"]), area=area, sex=sex,
            value=value, unit=entry["unit"], flags=flags, derived=derived,
            order=(*report_order(row["source_report"]), line), source_report=row["source_report"],
            source_url=row["source_url"], quote=row["quote"],
        ))
    return candidates, refusals


# --- settling revisions ---------------------------------------------------------------------


def winner(group: list[Candidate]) -> Candidate:
    """The figure carried among several for one indicator, year, area and sex.

    A stated figure beats a derived one whatever the reports; among stated figures (or among
    derived ones when none is stated) the report later in publication order wins
    (:func:`report_order`), and between rows of equal order the later row of the file.
    """
    stated = [c for c in group if not c.derived]
    return max(stated or group, key=lambda c: c.order)


def _superseded_reason(loser: Candidate, won: Candidate) -> str:
    if loser.derived and not won.derived:
        return "derived; a stated value exists for the same indicator, year, area and sex"
    same = "same value" if loser.value == won.value else "revised value"
    later = "a later row of the same report" if loser.source_report == won.source_report else "a later report"
    return f"{same} in {later}"


def settle(candidates: Iterable[Candidate]) -> tuple[list[tuple[Candidate, list[Candidate]]], list[Decision]]:
    """Group candidates by (indicator, year, area, sex); keep one per group, record the others.

    Returns the carried figures, each with the figures it superseded (in publication order),
    and a decision for every candidate.
    """
    groups: dict[tuple, list[Candidate]] = {}
    for c in candidates:
        groups.setdefault((c.indicator_id, c.year, c.area, c.sex), []).append(c)
    kept, decisions = [], []
    for group in groups.values():
        won = winner(group)
        losers = sorted((c for c in group if c is not won), key=lambda c: c.order)
        kept.append((won, losers))
        decisions.append(Decision(won.line, won.indicator_id, CARRIED))
        decisions += [Decision(c.line, c.indicator_id, SUPERSEDED, _superseded_reason(c, won), won.line)
                      for c in losers]
    return kept, decisions


# --- the two tables -------------------------------------------------------------------------


def _carried_table(kept: list[tuple[Candidate, list[Candidate]]]) -> pd.DataFrame:
    """The carried figures in plan order, indexed by their source row (not a column of the CSV)."""
    rows = []
    for won, losers in sorted(kept, key=lambda k: (plan_order(k[0].indicator_id), k[0].year,
                                                  AREA_ORDER.index(k[0].area), SEX_ORDER.index(k[0].sex))):
        rows.append({
            "source_row": won.line, "indicator_id": won.indicator_id, "year": won.year, "area": won.area,
            "sex": won.sex, "value": float(won.value), "unit": won.unit, "flags": ";".join(won.flags),
            "source_report": won.source_report, "source_url": won.source_url, "quote": won.quote,
            "superseded_value": " | ".join(format_value(c.value) for c in losers),
            "superseded_report": " | ".join(c.source_report + (" (derived)" if c.derived else "")
                                            for c in losers),
        })
    table = pd.DataFrame(rows, columns=["source_row", *CARRIED_COLUMNS])
    return table.set_index("source_row")


def _not_carried_table(source: pd.DataFrame, decisions: list[Decision]) -> pd.DataFrame:
    """One row per source row carried for no indicator: superseded, or not carried and why.

    A row carried for one indicator but refused for another counts as carried; the refusal is
    logged as a warning (it cannot happen while a key's entries share a unit and a gap kind).
    """
    by_line: dict[int, list[Decision]] = {}
    for d in decisions:
        by_line.setdefault(d.line, []).append(d)
    rows = []
    for src in source.to_dict("records"):
        mine = by_line[src["source_row"]]
        outcomes = {d.outcome for d in mine}
        if CARRIED in outcomes:
            for d in mine:
                if d.outcome == NOT_CARRIED:
                    log.warning("source row %d: carried, but not for %s: %s", d.line, d.indicator_id, d.reason)
            continue
        outcome = SUPERSEDED if SUPERSEDED in outcomes else NOT_CARRIED
        chosen = [d for d in mine if d.outcome == outcome]
        rows.append({
            "source_row": src["source_row"], "indicator_key": src["indicator_key"], "year": src["year"],
            "scope": src["scope"], "value": src["value"], "unit": src["unit"], "outcome": outcome,
            "reason": " | ".join(dict.fromkeys(d.reason for d in chosen)),
            "indicator_id": ";".join(dict.fromkeys(d.indicator_id for d in chosen if d.indicator_id)),
            "superseded_by": ";".join(dict.fromkeys(str(d.superseded_by) for d in chosen
                                                    if d.superseded_by is not None)),
        })
    return pd.DataFrame(rows, columns=NOT_CARRIED_COLUMNS)


def check_accounting(n_source: int, carried: pd.DataFrame, not_carried: pd.DataFrame) -> None:
    """Every source row is carried, superseded or not carried: exactly one of the three."""
    lines_carried = set(carried.index)
    lines_other = list(not_carried["source_row"])
    assert len(lines_other) == len(set(lines_other)), "a source row is listed twice as not carried"
    assert not lines_carried & set(lines_other), "a source row is both carried and not carried"
    assert len(lines_carried) + len(lines_other) == n_source, (
        f"{n_source} source rows but {len(lines_carried)} carried + {len(lines_other)} superseded or "
        f"not carried")


def national_returns(source: Path, cat: Catalog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The national figures the catalog asks for, as a long-CSV table, and every row left out.

    Parameters
    ----------
    source
        The reference file (``docs/reference/national_monitoring_figures.csv`` or one of its form).
    cat
        The catalog: its ``national_key`` fields say which source series feed which indicators.

    Returns
    -------
    carried
        One row per (indicator_id, year, area, sex) in :data:`CARRIED_COLUMNS`, in plan order,
        value and unit in the catalog's unit, indexed by the source row it comes from.
    not_carried
        One row per source row carried for no indicator (:data:`NOT_CARRIED_COLUMNS`):
        ``outcome`` is ``superseded`` (another row won; ``superseded_by`` names it) or
        ``not carried``, with the reason.
    """
    table = read_source(source)
    units = config.read_yaml(config.UNITS_FILE)["units"]
    keyed = ids_by_key(cat)
    candidates: list[Candidate] = []
    decisions: list[Decision] = []
    for row in table.to_dict("records"):
        found, refused = assess_row(row, keyed, cat, units)
        candidates += found
        decisions += refused
    kept, settled = settle(candidates)
    carried = _carried_table(kept)
    not_carried = _not_carried_table(table, decisions + settled)
    check_accounting(len(table), carried, not_carried)
    counts = Counter(not_carried["outcome"])
    log.info("%s: %d source rows: %d carried (%d rows for %d indicators), %d superseded, %d not carried",
             config.display_path(source), len(table), carried.index.nunique(), len(carried),
             carried["indicator_id"].nunique(), counts[SUPERSEDED], counts[NOT_CARRIED])
    return carried, not_carried


# --- writing --------------------------------------------------------------------------------


def carried_csv(carried: pd.DataFrame) -> str:
    """The carried table as CSV text: UTF-8, "\\n" line ends, values as their shortest text."""
    out = carried[CARRIED_COLUMNS].copy()
    out["value"] = out["value"].map(format_value)
    return out.to_csv(index=False, lineterminator="\n")


def write_national_returns(source: Path, out_dir: Path, cat: Catalog | None = None) -> Path:
    """Write ``out_dir/national.csv`` and regenerate ``out_dir/README.md`` and
    ``out_dir/not_carried.md``; return the CSV's path.

    Both files are written atomically and are byte-for-byte the same for the same inputs
    (plain UTF-8, "\\n" line ends, no time stamp). ``cat`` defaults to the project's catalog.
    """
    cat = cat if cat is not None else load_catalog()
    carried, not_carried = national_returns(source, cat)
    out_dir = Path(out_dir)
    csv_path = out_dir / "national.csv"
    with atomic_output(csv_path) as tmp:
        tmp.write_bytes(carried_csv(carried).encode("utf-8"))
    from analysis.returns.reference_text import not_carried_text, readme_text  # it reads SCOPES from here

    with atomic_output(out_dir / "README.md") as tmp:
        tmp.write_bytes(readme_text(source, cat, carried, not_carried).encode("utf-8"))
    with atomic_output(out_dir / "not_carried.md") as tmp:
        tmp.write_bytes(not_carried_text(not_carried).encode("utf-8"))
    log.info("wrote %s, its README and the list of rows not carried", config.display_path(csv_path))
    return csv_path


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    write_national_returns(SOURCE, OUT_DIR)
