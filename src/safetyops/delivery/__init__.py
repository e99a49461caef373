"""Releases, exports and model evaluation."""
