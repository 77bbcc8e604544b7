"""The suite (papermill, in order, one fresh kernel per notebook) and the ``plan-monitor`` command."""
