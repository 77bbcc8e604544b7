"""plan-monitor: the monitoring suite of the Yanshi District Women's and Children's Development Plans."""

from analysis.logs import join_run_log

join_run_log()  # inside a notebook the suite runs: log to the run's log file (no-op elsewhere)
