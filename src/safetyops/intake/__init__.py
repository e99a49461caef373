"""Labeling requests, their evaluation rules and decisions."""
