"""SafetyOps: an operations platform for Trust & Safety data labeling."""

__version__ = "0.1.0"
