"""The README and the list of rows not carried that sit beside ``data/raw/reference/national.csv``:
what the national figures are, the rules that mapped them, and every source row left out
(:func:`analysis.returns.reference.write_national_returns` writes them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import config
from analysis.catalog import Catalog
from analysis.returns.reference import NOT_CARRIED, SCOPES, SUPERSEDED


def _cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _scope_rows() -> list[list[str]]:
    rows = []
    for text, scope in SCOPES.items():
        if scope.refused:
            rows.append([f"`{text}`", "—", "—", "—", f"not carried: {scope.refused}"])
        else:
            note = "only for an indicator that is itself a sex gap" if scope.sex_gap else ""
            rows.append([f"`{text}`", scope.area, scope.sex, ";".join(scope.flags), note])
    return rows


def readme_text(source: Path, cat: Catalog, carried: pd.DataFrame, not_carried: pd.DataFrame) -> str:
    """The README of the output folder: what the figures are, the rules, and every row left out."""
    counts = Counter(not_carried["outcome"])
    n_source = carried.index.nunique() + len(not_carried)
    src = config.display_path(source)
    lines = [
        "# Reference: national monitoring figures (real data)",
        "",
        "`national.csv` holds **real** national figures published in the National Bureau of Statistics' "
        "statistical monitoring reports on the China Women's and Children's Development Outlines "
        "(《中国妇女发展纲要》, 《中国儿童发展纲要》, 2011–2020 and 2021–2030), in the long-CSV form the cleaning "
        "step reads (`docs/returns.md`, section 1). They are the district's comparator: areas `national`, "
        "`national_urban`, `national_rural`.",
        "",
        f"It is generated from `{src}` (the reference file, copied unchanged from the team's shared reference "
        "folder; see the README beside it) by `analysis/returns/reference.py`: do not edit it, regenerate it with "
        "`.venv/bin/python -m analysis.returns.reference`. Each row keeps the report, URL and quote it comes from.",
        "",
        "## Summary",
        "",
        *_table(["source rows", "count"], [
            ["carried", f"{carried.index.nunique()} (→ {len(carried)} rows of national.csv, "
                        f"{carried['indicator_id'].nunique()} catalog indicators)"],
            ["superseded by another row", counts[SUPERSEDED]],
            ["not carried", counts[NOT_CARRIED]],
            ["total", n_source],
        ]),
        "",
        "## How rows are carried",
        "",
        f"- **Mapping.** A source row belongs to the catalog entries (`{config.display_path(cat.path)}`) whose "
        "`national_key` is its `indicator_key`; it is written once for each (one national series may serve a "
        "women's and a children's target).",
        "- **Units.** The value is written in the catalog entry's unit. A source unit equal to it is kept; "
        "percentages and rates (%, ‰, /万, /10万) convert by `value × per_to / per_from` (`params/units.yaml`); "
        "any other unit is not comparable and the row is not carried.",
        "- **Flags.** `derived`: the report states a change, not the value, and the value was obtained by one "
        "addition or subtraction (the quote starts with `derived:`). `lower_bound`: the report gives a floor "
        "(以上, more than). `approximate`: the report gives an approximate figure (近, 多).",
        "- **Revisions.** Where several rows give the same indicator, year, area and sex, one is carried: a "
        "stated value beats a derived one; among stated (or, with none stated, among derived) values the report "
        "later in publication order wins — its year (the leading year, `2013年《…》` → 2013, or for the "
        "mid-term and final reports the year in the closing brackets), then the publication date in the closing "
        "brackets where given (`(2017.10)`), then the later row of the file. The values not carried, and their "
        "reports, are kept on the carried row in `superseded_value` and `superseded_report` (several joined "
        "with ` | `; a derived one marked `(derived)`), even when they equal the carried value.",
        "- **Scopes.** Every scope of the source is decided on its own text:",
        "",
        *_table(["scope", "area", "sex", "flags", "note"], _scope_rows()),
        "",
        "## Source rows not carried",
        "",
        "`row` is the row's number in the source file, counting the header as row 1.",
        "",
        *_table(["outcome", "reason", "rows"],
                [[o, r, n] for (o, r), n in sorted(Counter(zip(not_carried["outcome"], not_carried["reason"],
                                                                 strict=True)).items())]),
        "",
        "Every such row, with its reason, is listed in `not_carried.md` beside this file.",
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def not_carried_text(not_carried: pd.DataFrame) -> str:
    """The full list of source rows not carried (superseded, or refused), with reasons."""
    lines = [
        "# National figures: source rows not in national.csv",
        "",
        "Generated with `national.csv` by `analysis/returns/reference.py` (see `README.md`). `row` is the row's "
        "number in the source file, counting the header as row 1.",
        "",
        *_listing(not_carried[not_carried["outcome"] == SUPERSEDED], "Superseded (the value is kept on the "
                  "carried row)"),
        *_listing(not_carried[not_carried["outcome"] == NOT_CARRIED], "Not carried"),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _listing(rows: pd.DataFrame, title: str) -> list[str]:
    if rows.empty:
        return []
    header = ["row", "indicator_key", "year", "scope", "value", "unit", "indicator", "reason"]
    body = [[r.source_row, r.indicator_key, r.year, r.scope, r.value, r.unit, r.indicator_id,
             r.reason + (f" (carried: row {r.superseded_by})" if r.superseded_by else "")]
            for r in rows.itertuples()]
    return [f"### {title}", "", *_table(header, body), ""]
