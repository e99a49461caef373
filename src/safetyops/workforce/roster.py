"""Reading a roster CSV: each row checked field by field, every problem naming the file, line and field.

Pure: no database. `parse_roster` returns the rows it could read and adds a Problem for each thing wrong;
the service resolves sites and usernames against the database and stores nothing when any problem exists.

Columns (header row, any order; only `username` is required):
    username, name, status, languages, markets, skills, certifications, start_date, site
List columns hold values separated by ';', '|' or ',' (quote the cell when it holds commas).
An empty cell leaves an existing labeler's value unchanged (and takes the default for a new one).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from safetyops.errors import Problem, ProblemList
from safetyops.workforce.enums import LabelerStatus

COLUMNS = (
    "username",
    "name",
    "status",
    "languages",
    "markets",
    "skills",
    "certifications",
    "start_date",
    "site",
)
LIST_COLUMNS = ("languages", "markets", "skills", "certifications")
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,120}$")
TAG = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
# Project certifications are earned by passing the project's quiz, never set by a roster.
RESERVED_CERT_PREFIX = "project:"
_SPLIT = re.compile(r"[;|,]")


@dataclass(frozen=True)
class RosterRow:
    """One readable row; a field is None when its cell was empty or its column absent."""

    line: int
    username: str
    name: str | None = None
    status: LabelerStatus | None = None
    languages: list[str] | None = None
    markets: list[str] | None = None
    skills: list[str] | None = None
    certifications: list[str] | None = None
    start_date: date | None = None
    site: str | None = None


def split_list(cell: str) -> list[str]:
    return [v.strip() for v in _SPLIT.split(cell) if v.strip()]


class _Checker:
    def __init__(self, file: str, problems: ProblemList, notes: list[str] | None = None) -> None:
        self.file = file
        self.problems = problems
        self.notes = notes if notes is not None else []

    def problem(self, line: int | None, field: str | None, message: str) -> None:
        self.problems.add(Problem(message, field=field, line=line, file=self.file))

    def codes(self, line: int, field: str, cell: str, pattern: re.Pattern[str], hint: str) -> list[str] | None:
        values = split_list(cell)
        bad = [v for v in values if not pattern.match(v)]
        if bad:
            self.problem(line, field, f"not valid: {', '.join(repr(b) for b in bad[:5])}; use {hint}")
            return None
        return list(dict.fromkeys(values))

    def read_codes(self, line: int, field: str, cell: str, kind: str) -> list[str] | None:
        """Language or market codes (BCP 47, ISO 3166-1; a common name is read as its code, with a note)."""
        # imported here: `labelers import --help` reads COLUMNS, and the code tables pull in pydantic and langcodes
        from safetyops import locale_codes

        codes, problems, notes = locale_codes.read_codes(split_list(cell), kind, field)
        if problems:
            self.problem(line, field, "; ".join(p.message for p in problems[:5]))
            return None
        for note in notes:
            if note not in self.notes:
                self.notes.append(note)
        return codes

    def row(self, line: int, cells: dict[str, str]) -> RosterRow | None:
        ok = True
        username = cells.get("username", "").strip()
        if not username:
            self.problem(line, "username", "required: the labeler's sign-in name")
            ok = False
        elif not USERNAME.match(username):
            self.problem(line, "username", "use 1-120 letters, digits and _ . @ - only")
            ok = False
        values: dict[str, Any] = {}
        if cell := cells.get("name", "").strip():
            if len(cell) > 200:
                self.problem(line, "name", f"is {len(cell)} characters; the limit is 200")
                ok = False
            values["name"] = cell
        if cell := cells.get("status", "").strip():
            try:
                values["status"] = LabelerStatus(cell.lower())
            except ValueError:
                allowed = ", ".join(s.value for s in LabelerStatus)
                self.problem(line, "status", f"'{cell[:40]}' is not a status; use one of {allowed}")
                ok = False
        for field, kind in (("languages", "language"), ("markets", "market")):
            if cell := cells.get(field, "").strip():
                codes = self.read_codes(line, field, cell, kind)
                if codes is None:
                    ok = False
                else:
                    values[field] = codes
        checks = (
            ("skills", TAG, "skill tags (letters, digits, _ . : -)"),
            ("certifications", TAG, "certification names (letters, digits, _ . : -)"),
        )
        for field, pattern, hint in checks:
            if cell := cells.get(field, "").strip():
                parsed = self.codes(line, field, cell, pattern, hint)
                if parsed is None:
                    ok = False
                    continue
                if field == "certifications":
                    reserved = [c for c in parsed if c.startswith(RESERVED_CERT_PREFIX)]
                    if reserved:
                        self.problem(
                            line, field, f"{', '.join(reserved)}: project certifications are earned by the quiz"
                        )
                        ok = False
                        continue
                values[field] = parsed
        if cell := cells.get("start_date", "").strip():
            try:
                values["start_date"] = date.fromisoformat(cell)
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
                    raise ValueError(cell)
            except ValueError:
                self.problem(line, "start_date", f"'{cell[:40]}' is not a date; write YYYY-MM-DD")
                ok = False
        if cell := cells.get("site", "").strip():
            values["site"] = cell
        return RosterRow(line=line, username=username, **values) if ok else None


def parse_roster(data: bytes, file: str, problems: ProblemList, notes: list[str] | None = None) -> list[RosterRow]:
    """The readable rows of a roster file; every problem (unreadable file, bad field, duplicate) is added, and
    to `notes` how a value was read when it was not a code (a language name read as its code)."""
    check = _Checker(file, problems, notes)
    if len(data) > MAX_BYTES:
        check.problem(None, None, f"the file is {len(data)} bytes; the limit is {MAX_BYTES}")
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        check.problem(line, None, "not UTF-8 text (save the file as UTF-8)")
        return []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[RosterRow] = []
    first_line: dict[str, int] = {}
    last = 0
    while True:
        start = last + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            check.problem(start, None, f"malformed CSV: {exc}")
            last = reader.line_num
            continue
        last = reader.line_num
        if not record or all(not c.strip() for c in record):
            continue
        if header is None:
            header = [h.strip().lower() for h in record]
            if not _good_header(check, header, start):
                return []
            continue
        if len(rows) >= MAX_ROWS:
            check.problem(start, None, f"a roster holds at most {MAX_ROWS} rows")
            break
        if len(record) != len(header):
            check.problem(start, None, f"the row has {len(record)} fields; the header has {len(header)}")
            continue
        row = check.row(start, dict(zip(header, record, strict=True)))
        if row is None:
            continue
        key = row.username.lower()
        if key in first_line:
            check.problem(start, "username", f"'{row.username}' appears again (first on line {first_line[key]})")
            continue
        first_line[key] = start
        rows.append(row)
    if header is None:
        check.problem(1, None, "the file is empty: a roster starts with a header row")
    return rows


def _good_header(check: _Checker, header: list[str], line: int) -> bool:
    ok = True
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        check.problem(line, None, f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}")
        ok = False
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        check.problem(line, None, f"the header row repeats {', '.join(dupes)}")
        ok = False
    if "username" not in header:
        check.problem(line, "username", "the header row has no username column")
        ok = False
    return ok
