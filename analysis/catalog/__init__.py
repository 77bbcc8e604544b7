"""The indicator catalog: every target of both plans, as reviewed data.

``params/indicators.yaml`` holds one entry per monitored target, transcribed from the plans
(see ``docs/catalog.md`` for the fields). This module reads it, checks it — against the
units and departments files and against the plans' own text — and returns it as a table in
plan order. Any catalog path can be passed, so another county can bring its own file.
"""


from analysis.catalog.entries import (  # noqa: F401
    BREAKDOWN_LABELS,
    BREAKDOWNS,
    CHINESE_NUMERALS,
    FIELD_HEADING,
    FIELDS,
    ID_PATTERN,
    ITEM_START,
    KINDS,
    LINKED_FIELDS,
    NUMBER,
    NUMERIC_KINDS,
    PAGE_MARKER,
    POPULATIONS,
    REQUIRED,
    SUMMARY_LABELS,
    TEXT_FIELDS,
    TITLE_PERIOD,
    Catalog,
    CatalogError,
    headline,
    load_catalog,
    normalize_text,
    plan_order,
    plan_structure,
    plan_titles,
    read_plan_text,
    select,
    summary_by_field,
    target_list,
    target_text,
    to_flat,
)
