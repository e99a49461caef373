"""The one error the pure monitoring modules raise for bad input: what is wrong and where (field, line)."""

from __future__ import annotations

import math

from safetyops.errors import InvalidInput, Problem


class MonitoringInputError(InvalidInput, ValueError):
    """Bad input to a monitoring computation; `problems` name the field (and line) at fault. Also a ValueError."""


def invalid(field: str, message: str, line: int | None = None, file: str | None = None) -> MonitoringInputError:
    """The error for one bad value, its location leading the message."""
    problem = Problem(message, field=field, line=line, file=file)
    return MonitoringInputError(str(problem), [problem])


def require(ok: bool, field: str, message: str) -> None:
    """Raise `invalid(field, message)` unless `ok`."""
    if not ok:
        raise invalid(field, message)


def require_finite(value: float, field: str, low: float | None = None, high: float | None = None) -> None:
    """A finite number, optionally within [low, high]."""
    require(math.isfinite(value), field, f"must be a finite number, got {value!r}")
    if low is not None:
        require(value >= low, field, f"must be >= {low}, got {value}")
    if high is not None:
        require(value <= high, field, f"must be <= {high}, got {value}")
