"""Taxonomy, guideline versions and examples."""
