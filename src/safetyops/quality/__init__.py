"""Accuracy, agreement, aggregation, QA review and calibration."""
