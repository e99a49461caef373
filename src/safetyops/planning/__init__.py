"""Workload and staffing maths, manpower plans."""
