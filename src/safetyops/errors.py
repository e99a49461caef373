"""Errors a person can act on: what is wrong and where (file, line, field)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    message: str
    field: str | None = None
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.file,
                f"line {self.line}" if self.line is not None else None,
                f"field '{self.field}'" if self.field else None,
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


# The body of a 500: what went wrong is in the server's log, never in the answer.
SERVER_ERROR = {"error": "InternalServerError", "message": "the server failed; the error is logged"}


class SafetyOpsError(Exception):
    """Base of every error that maps to a clear 4xx answer or CLI message."""

    status_code = 400

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = problems or []

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers that go with this error's answer."""
        return {"WWW-Authenticate": "Bearer"} if self.status_code == 401 else {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": type(self).__name__, "message": self.message}
        if self.problems:
            body["problems"] = [p.as_dict() for p in self.problems]
        return body


class InvalidInput(SafetyOpsError):
    status_code = 422


def invalid_request(errors: Iterable[Mapping[str, Any]]) -> InvalidInput:
    """A request that failed validation (pydantic's error list), each problem naming its field."""
    problems = [Problem(str(err["msg"]), field=".".join(str(p) for p in err["loc"] if p != "body")) for err in errors]
    return InvalidInput("the request is invalid", problems)


class NotFound(SafetyOpsError):
    status_code = 404


class Forbidden(SafetyOpsError):
    status_code = 403


class Unauthorized(SafetyOpsError):
    status_code = 401


class Conflict(SafetyOpsError):
    status_code = 409


class Gone(SafetyOpsError):
    status_code = 410


class TooLarge(SafetyOpsError):
    status_code = 413


@dataclass
class ProblemList:
    """Collects problems up to a limit, so one bad file does not produce a million lines."""

    limit: int = 50
    items: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(problem)

    def __bool__(self) -> bool:
        return self.total > 0
