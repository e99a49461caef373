"""Helpers for the tests and the benchmarks: fresh databases, small worlds, the load generator, generators and
published baselines (never product code)."""
