"""Exposure ledger, budgets, breaks and content filters."""
