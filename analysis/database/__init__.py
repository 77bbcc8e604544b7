"""The monitoring database (妇女儿童统计监测数据库): every value received, every verdict published, kept.

A DuckDB file (``data/monitor.duckdb`` by default: ``database`` in params/run.yaml) to which each
full run adds, in one transaction, the values it read with their vintage, its quarantine, its
verdicts and the self-evaluations (:mod:`analysis.database.store`, schema in
:mod:`analysis.database.schema`); the history stage (:mod:`analysis.database.history`) compares a
report with the previous one and fills the status history with as-of assessments. See
docs/database.md.
"""

from analysis.database.history import History, build, load  # noqa: F401
from analysis.database.store import (  # noqa: F401
    DatabaseError,
    connect,
    default_path,
    query,
    record,
    reports,
)
