"""Daily metrics, anomalies, root causes, action items, platform issues."""
