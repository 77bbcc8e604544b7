"""plan-monitor: the monitoring suite of a county's Women's and Children's Development Plans (the
plan profile, ``params/profile.yaml``, names the county; the shipped one is the district the suite was built for)."""

from analysis.logs import join_run_log

join_run_log()  # inside a notebook the suite runs: log to the run's log file (no-op elsewhere)
