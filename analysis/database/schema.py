"""The monitoring database's schema (妇女儿童统计监测数据库), version :data:`VERSION`.

One DuckDB file keeps what each run of the suite saw and said, so that nothing received is ever
forgotten and every published verdict can be found again:

``runs``
    one row per report the suite published (``kind = 'report'``) and per as-of assessment
    (``kind = 'as_of'``: the verdicts a report for an earlier year would have given, made by
    ``plan-monitor assess --as-of`` or by a run filling the status history); when, for which
    mode and year, with which data year, plan, catalog, settings and code.
``files``
    every version of every raw file ever read, by its SHA-256: name, size, modification time,
    and the run that first saw it — the value's *vintage*.
``received_values``
    every value ever received, kept or quarantined, once per file version and cell: the row key
    (indicator, year, area, sex), the number and its counts, the raw text of a refused value,
    the department that leads the indicator, and the run that first saw it.
``run_values``
    which received values each run held, and how it judged them (kept with its review flags, or
    quarantined with the reason and the message the analyst read).
``verdicts``
    every verdict of every run: latest value, projection, P(met), status and warnings of each
    scorecard row.
``self_evaluations``
    the member units' self-evaluations of qualitative targets each run read.

Views for analysts: ``kept_values`` (the kept values of each published report), ``revisions``
(every change of a kept value from one report to the next, both values with their files) and
``quarantine_resolved`` (a value quarantined in one report and kept with another value later).

A database made by a later version of the suite is refused, never rewritten; an older version is
migrated in the same transaction as the run's writes.
"""

from __future__ import annotations

#: the schema version this code writes and reads (``meta.schema_version``)
VERSION = 1

TABLES = {
    "meta": """
        CREATE TABLE IF NOT EXISTS meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL)""",
    "runs": """
        CREATE TABLE IF NOT EXISTS runs (
            run_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL CHECK (kind IN ('report', 'as_of')),
            parent_run VARCHAR,              -- an as-of assessment: the run (or command) that made it
            basis VARCHAR NOT NULL,          -- report: 'data'; as_of: 'vintage' or 'year'
            recorded_at TIMESTAMPTZ NOT NULL,
            recorded_at_beijing VARCHAR NOT NULL,
            mode VARCHAR NOT NULL,
            evaluation_year INTEGER NOT NULL,
            data_year INTEGER,               -- the latest year of the district's data
            profile VARCHAR NOT NULL,        -- the plan's title (params/run.yaml)
            catalog_sha256 VARCHAR,
            settings_sha256 VARCHAR,
            code_commit VARCHAR,
            values_kept INTEGER NOT NULL,
            values_quarantined INTEGER NOT NULL)""",
    "files": """
        CREATE TABLE IF NOT EXISTS files (
            sha256 VARCHAR PRIMARY KEY,
            source_file VARCHAR NOT NULL,    -- relative to the raw folder
            bytes BIGINT,
            modified_at TIMESTAMPTZ,         -- the file's modification time when first seen
            first_run VARCHAR NOT NULL,
            first_seen TIMESTAMPTZ NOT NULL)""",
    "received_values": """
        CREATE TABLE IF NOT EXISTS received_values (
            value_id VARCHAR PRIMARY KEY,    -- SHA-256 of file version, sheet, cell and row key
            file_sha256 VARCHAR,             -- NULL: the file was not in the raw folder's inventory
            source_file VARCHAR NOT NULL,
            source_sheet VARCHAR,
            source_cell VARCHAR,
            indicator_id VARCHAR,
            year INTEGER,
            area VARCHAR,
            sex VARCHAR,
            value DOUBLE,
            unit VARCHAR,
            numerator DOUBLE,
            denominator DOUBLE,
            raw_value VARCHAR,               -- the cell as written, for a refused value
            department VARCHAR,              -- the unit leading the indicator (catalog)
            first_run VARCHAR NOT NULL,
            first_seen TIMESTAMPTZ NOT NULL)""",
    "run_values": """
        CREATE TABLE IF NOT EXISTS run_values (
            run_id VARCHAR NOT NULL,
            value_id VARCHAR NOT NULL,
            status VARCHAR NOT NULL CHECK (status IN ('kept', 'quarantined')),
            reason VARCHAR,
            message VARCHAR,
            flags VARCHAR,
            PRIMARY KEY (run_id, value_id))""",
    "verdicts": """
        CREATE TABLE IF NOT EXISTS verdicts (
            run_id VARCHAR NOT NULL,
            indicator_id VARCHAR NOT NULL,
            area VARCHAR NOT NULL,
            sex VARCHAR NOT NULL,
            plan VARCHAR NOT NULL,
            is_headline BOOLEAN NOT NULL,
            mode VARCHAR NOT NULL,
            year INTEGER NOT NULL,
            latest_year INTEGER,
            latest_value DOUBLE,
            target_value DOUBLE,
            unit VARCHAR,
            projection_2030 DOUBLE,
            lo80 DOUBLE,
            hi80 DOUBLE,
            p_meet DOUBLE,
            status VARCHAR NOT NULL,
            status_zh VARCHAR NOT NULL,
            warning_codes VARCHAR NOT NULL,
            warnings VARCHAR NOT NULL,
            model VARCHAR,
            PRIMARY KEY (run_id, indicator_id, area, sex))""",
    "self_evaluations": """
        CREATE TABLE IF NOT EXISTS self_evaluations (
            run_id VARCHAR NOT NULL,
            indicator_id VARCHAR NOT NULL,
            department VARCHAR NOT NULL,
            year INTEGER,
            conclusion VARCHAR NOT NULL,
            progress VARCHAR,
            evidence VARCHAR,
            note VARCHAR,
            source_file VARCHAR NOT NULL,
            source_sheet VARCHAR,
            source_cell VARCHAR,
            file_sha256 VARCHAR)""",
}

VIEWS = {
    "kept_values": """
        CREATE OR REPLACE VIEW kept_values AS
        SELECT r.run_id, r.recorded_at, r.evaluation_year, v.indicator_id, v.year, v.area, v.sex, v.value, v.unit,
               v.numerator, v.denominator, v.source_file, v.source_sheet, v.source_cell, v.department,
               v.file_sha256, v.value_id, rv.flags
        FROM run_values rv JOIN runs r USING (run_id) JOIN received_values v USING (value_id)
        WHERE rv.status = 'kept' AND r.kind = 'report'""",
    "revisions": """
        CREATE OR REPLACE VIEW revisions AS
        WITH ordered AS (
            SELECT *, LAG(value) OVER w AS previous_value, LAG(source_file) OVER w AS previous_file,
                   LAG(run_id) OVER w AS previous_run, LAG(value_id) OVER w AS previous_value_id
            FROM kept_values
            WINDOW w AS (PARTITION BY indicator_id, year, area, sex ORDER BY recorded_at, run_id))
        SELECT indicator_id, year, area, sex, previous_value, value, unit, previous_file, source_file,
               source_sheet, source_cell, department, previous_run, run_id, recorded_at
        FROM ordered
        WHERE previous_value_id IS NOT NULL AND previous_value IS DISTINCT FROM value""",
    "quarantine_resolved": """
        CREATE OR REPLACE VIEW quarantine_resolved AS
        SELECT q.run_id AS quarantined_in, v.indicator_id, v.year, v.area, v.sex, v.raw_value, q.reason,
               v.source_file AS quarantined_file, v.source_cell AS quarantined_cell,
               MIN_BY(k.value, k.recorded_at) AS corrected_value, MIN_BY(k.run_id, k.recorded_at) AS corrected_in,
               MIN_BY(k.source_file, k.recorded_at) AS corrected_file
        FROM run_values q JOIN received_values v USING (value_id) JOIN runs rq ON rq.run_id = q.run_id
        JOIN kept_values k ON k.indicator_id = v.indicator_id AND k.year = v.year AND k.area = v.area
             AND k.sex = v.sex AND k.recorded_at > rq.recorded_at
        WHERE q.status = 'quarantined'
        GROUP BY ALL""",
}
