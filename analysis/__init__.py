"""plan-monitor."""
