"""Test support shared with the benchmarks: generators and published baselines (never product code)."""
