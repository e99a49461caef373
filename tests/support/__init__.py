"""Helpers for the tests and the benchmarks: fresh databases, small worlds, the load generator."""
