"""Every role × every route, against a declared table of who may: a new route without an entry fails here.

Each role gets its own world (tests/auth/access_world.py), in which its person is tied to project P the way
the role is meant to be; every route is then called once with a valid request. A denied call must answer 403
or 404 (the hidden-resource answer); an allowed one must succeed (2xx/3xx, or a code the case names, such as
409 for a name already taken). Calls go through the app as served: the labeler's hot pair through the fast path,
the pages with their cookie and CSRF token. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from starlette.routing import Mount, Route

from safetyops.api import create_app
from safetyops.demo import DEMO_TAXONOMY
from safetyops.web import security
from tests.auth.access_world import PASSWORD, ROLES, AccessWorld, build, request_spec
from tests.auth.routes import effective_routes

ALL = frozenset(ROLES)
ADMIN = frozenset({"admin"})
STAFF = frozenset({"admin", "ops_manager"})
VENDOR_MANAGERS = STAFF | {"vendor_manager"}
LABELER = frozenset({"labeler"})
FILERS = STAFF | {"requester"}
ITEM_READERS = STAFF | {"qa_reviewer", "policy_expert"}
EXPORTERS = ITEM_READERS | {"requester"}
EDITORS = STAFF | {"policy_expert"}
EXAMPLE_WRITERS = EDITORS | {"qa_reviewer"}
QUALITY_READERS = ALL - {"requester"}  # labeler-level figures: scoped to their own vendor or self when bound
REVIEW = STAFF | {"policy_expert", "qa_reviewer"}
QA = STAFF | {"qa_reviewer"}
KEYERS = frozenset({"admin", "policy_expert"})
LABELER_READERS = ALL - {"requester"}  # the labeler of vendor A: staff, QA, policy, their vendor, themself

Body = dict[str, Any] | list[Any] | None


@dataclass(frozen=True)
class Case:
    """Who may call one route, and a valid call of it (path ids come from the world, see `_ids`)."""

    allowed: frozenset[str]
    json: Callable[[AccessWorld], Body] | Body = None
    files: Callable[[AccessWorld], dict[str, Any]] | None = None
    form: Callable[[AccessWorld], dict[str, Any]] | None = None
    params: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # path placeholder -> world id for this route only
    ok: frozenset[int] = frozenset()  # allowed answers besides 2xx/3xx
    public: bool = False  # no token at all
    page: bool = False  # a web page: cookie and CSRF token instead of the bearer header


def _today(days: int = 0) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _new(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# Placeholder -> world id, unless a case names its own.
IDS = {
    "project_id": "project",
    "vendor_id": "vendor_a",
    "labeler_id": "labeler_labeler",
    "token_id": "helper_token",
    "label_id": "label_own",
    "request_id": "request",
    "plan_id": "plan",
    "example_id": "proposal",
    "notice_id": "notice",
    "attempt_id": "quiz_attempt",
    "review_id": "review_item",
    "task_id": "qa_task",
    "verdict_id": "verdict_open",
    "dispute_id": "dispute",
    "session_id": "calibration",
    "model_run_id": "model_run",
}
LITERAL = {"version": "1.0", "from_version": "1.0", "to_version": "1.1", "module_key": "read"}

V = "/api/v1"
# Ordered: calls that change a resource come after the calls that read it in its first state.
TABLE: dict[tuple[str, str], Case] = {
    # --- public ---------------------------------------------------------------------------------------------
    ("GET", f"{V}/openapi.json"): Case(ALL, public=True),
    ("GET", f"{V}/docs"): Case(ALL, public=True),
    ("GET", "/docs/oauth2-redirect"): Case(ALL, public=True),  # FastAPI's, for the docs page
    ("GET", f"{V}/health"): Case(ALL, public=True),
    # --- auth -----------------------------------------------------------------------------------------------
    ("POST", f"{V}/auth/login"): Case(ALL, public=True, json=lambda w: {"username": "", "password": PASSWORD}),
    ("GET", f"{V}/me"): Case(ALL),
    ("PATCH", f"{V}/me"): Case(ALL, json={"timezone": "Asia/Dhaka"}),  # one's own settings
    ("GET", f"{V}/users"): Case(STAFF),
    ("POST", f"{V}/users"): Case(STAFF, json=lambda w: {"username": _new("user"), "role": "requester"}),
    ("POST", f"{V}/users/{{user_id}}/tokens"): Case(ADMIN, json={"name": "t"}, ids={"user_id": "user_qa_helper"}),
    ("DELETE", f"{V}/tokens/{{token_id}}"): Case(ADMIN),
    ("GET", f"{V}/audit"): Case(ADMIN),
    # --- workforce ------------------------------------------------------------------------------------------
    ("GET", f"{V}/vendors"): Case(ALL),
    ("POST", f"{V}/vendors"): Case(STAFF, json=lambda w: {"name": _new("vendor")}),
    ("POST", f"{V}/vendors/{{vendor_id}}/sites"): Case(VENDOR_MANAGERS, json=lambda w: {"name": _new("site")}),
    ("GET", f"{V}/labelers"): Case(ALL),
    ("GET", f"{V}/labelers/{{labeler_id}}"): Case(LABELER_READERS),
    ("POST", f"{V}/labelers"): Case(
        VENDOR_MANAGERS, json=lambda w: {"vendor_id": w.ids["vendor_a"], "username": _new("lab")}
    ),
    ("GET", f"{V}/vendors/{{vendor_id}}/roster"): Case(VENDOR_MANAGERS),
    ("POST", f"{V}/vendors/{{vendor_id}}/roster"): Case(
        VENDOR_MANAGERS,
        files=lambda w: {"file": ("roster.csv", f"username,languages\n{_new('r')},en\n".encode(), "text/csv")},
        params={"dry_run": "true"},
    ),
    # --- projects -------------------------------------------------------------------------------------------
    ("GET", f"{V}/projects"): Case(ALL),
    ("GET", f"{V}/projects/{{project_id}}"): Case(ALL),
    ("GET", f"{V}/projects/{{project_id}}/items"): Case(ITEM_READERS),
    ("GET", f"{V}/projects/{{project_id}}/labels"): Case(ALL),
    ("GET", f"{V}/projects/{{project_id}}/export"): Case(EXPORTERS, params={"format": "csv"}),
    ("POST", f"{V}/projects"): Case(STAFF, json=lambda w: {"name": _new("project"), "taxonomy": DEMO_TAXONOMY}),
    ("PATCH", f"{V}/projects/{{project_id}}"): Case(STAFF, json={"priority": 1}),
    ("POST", f"{V}/projects/{{project_id}}/members"): Case(STAFF, json=lambda w: {"id": w.user_ids["qa_helper"]}),
    ("POST", f"{V}/projects/{{project_id}}/vendors"): Case(STAFF, json=lambda w: {"id": w.ids["vendor_b"]}),
    ("POST", f"{V}/projects/{{project_id}}/batches"): Case(
        STAFF, files=lambda w: {"file": ("items.jsonl", b'{"external_id": "new-1", "text": "hello"}\n', "")}
    ),
    ("POST", f"{V}/projects/{{project_id}}/gold"): Case(
        ITEM_READERS,
        files=lambda w: {"file": ("gold.csv", b'external_id,answer\nr5,"{""abuse"": ""-2""}"\n', "text/csv")},
    ),
    # --- guidelines -----------------------------------------------------------------------------------------
    ("GET", f"{V}/taxonomies/default"): Case(ALL),
    ("GET", f"{V}/projects/{{project_id}}/guidelines"): Case(ALL),
    ("GET", f"{V}/projects/{{project_id}}/guidelines/{{version}}"): Case(ALL),
    ("GET", f"{V}/projects/{{project_id}}/guidelines/{{from_version}}/diff/{{to_version}}"): Case(ALL),
    ("GET", f"{V}/me/notices"): Case(ALL),
    ("POST", f"{V}/me/notices/{{notice_id}}/read"): Case(LABELER),
    ("POST", f"{V}/projects/{{project_id}}/guidelines"): Case(EDITORS, json={"version": "2.0", "text": "# v2"}),
    ("POST", f"{V}/projects/{{project_id}}/guidelines/{{version}}/examples"): Case(
        EXAMPLE_WRITERS,
        json={"kind": "allowed", "text": "hello there", "rationale": "a greeting"},
        ids={"version": "1.1"},
    ),
    ("POST", f"{V}/projects/{{project_id}}/guideline-examples/{{example_id}}/accept"): Case(EDITORS, json={}),
    ("POST", f"{V}/projects/{{project_id}}/guidelines/{{version}}/publish"): Case(EDITORS, ids={"version": "1.1"}),
    # --- training -------------------------------------------------------------------------------------------
    ("GET", f"{V}/projects/{{project_id}}/training-plan"): Case(ALL),
    ("GET", f"{V}/projects/{{project_id}}/training-plan/progress"): Case(ALL),
    ("PUT", f"{V}/projects/{{project_id}}/training-plan/progress/{{labeler_id}}/{{module_key}}"): Case(
        VENDOR_MANAGERS | LABELER, json={"status": "done"}
    ),
    ("PUT", f"{V}/projects/{{project_id}}/training-plan"): Case(
        STAFF, json=lambda w: {"project_start": _today(14), "quiz_size": 3, "require_for_queue": False}
    ),
    ("POST", f"{V}/projects/{{project_id}}/quiz"): Case(LABELER),
    ("POST", f"{V}/quiz-attempts/{{attempt_id}}/answers"): Case(LABELER, json={"answers": [{"abuse": "1"}] * 3}),
    # --- the labeler's queue --------------------------------------------------------------------------------
    ("POST", f"{V}/projects/{{project_id}}/next"): Case(LABELER),
    ("POST", f"{V}/assignments/{{assignment_id}}/submit"): Case(
        LABELER,
        json=lambda w: {"answer": {"abuse": "0"}, "idempotency_key": _new("k"), "time_spent_ms": 900},
        ids={"assignment_id": "lease_submit"},
    ),
    ("POST", f"{V}/assignments/{{assignment_id}}/skip"): Case(
        LABELER, json={"reason": "unclear"}, ids={"assignment_id": "lease_skip"}
    ),
    ("POST", f"{V}/assignments/{{assignment_id}}/release"): Case(LABELER, ids={"assignment_id": "lease_release"}),
    ("POST", f"{V}/labels/{{label_id}}/correct"): Case(
        LABELER, json=lambda w: {"answer": {"abuse": "-2"}, "idempotency_key": _new("c")}
    ),
    # --- quality: figures, aggregation, expert review --------------------------------------------------------
    ("GET", f"{V}/projects/{{project_id}}/quality"): Case(QUALITY_READERS),
    ("GET", f"{V}/projects/{{project_id}}/quality/accuracy"): Case(QUALITY_READERS),
    ("GET", f"{V}/projects/{{project_id}}/quality/agreement"): Case(QUALITY_READERS),
    ("GET", f"{V}/projects/{{project_id}}/qa/scores"): Case(QUALITY_READERS),
    ("GET", f"{V}/projects/{{project_id}}/final-labels"): Case(ALL),
    ("GET", f"{V}/projects/{{project_id}}/review-queue"): Case(REVIEW),
    ("POST", f"{V}/review-queue/{{review_id}}/decisions"): Case(REVIEW, json={"label": "0", "note": "seen"}),
    ("POST", f"{V}/projects/{{project_id}}/aggregations"): Case(EDITORS, json={"method": "mv"}),
    # --- quality: QA review ----------------------------------------------------------------------------------
    ("GET", f"{V}/me/feedback"): Case(LABELER),
    ("POST", f"{V}/qa/verdicts/{{verdict_id}}/dispute"): Case(LABELER, json={"reason": "I followed the rule"}),
    ("GET", f"{V}/projects/{{project_id}}/qa/disputes"): Case(REVIEW),
    ("POST", f"{V}/qa/disputes/{{dispute_id}}/decision"): Case(REVIEW, json={"outcome": "upheld"}),
    ("GET", f"{V}/projects/{{project_id}}/qa/next"): Case(QA),
    ("GET", f"{V}/qa/tasks/{{task_id}}"): Case(QA),
    ("POST", f"{V}/qa/tasks/{{task_id}}/answer"): Case(QA, json={"answer": {"abuse": "0"}}),
    ("POST", f"{V}/qa/tasks/{{task_id}}/verdict"): Case(QA, json={"verdict": "correct"}),
    ("POST", f"{V}/projects/{{project_id}}/qa/plans"): Case(QA, json=lambda w: {"day": _today()}),
    # --- quality: calibration and model evaluation ----------------------------------------------------------
    ("GET", f"{V}/calibrations/{{session_id}}/items"): Case(ALL),
    ("POST", f"{V}/calibrations/{{session_id}}/answers"): Case(
        ALL, json=lambda w: {"item_id": w.ids["item_r1"], "answer": "0"}
    ),
    ("POST", f"{V}/calibrations/{{session_id}}/keys"): Case(
        KEYERS, json=lambda w: {"item_id": w.ids["item_r1"], "answer": "0"}
    ),
    ("GET", f"{V}/calibrations/{{session_id}}/results"): Case(REVIEW),
    ("POST", f"{V}/calibrations/{{session_id}}/notes"): Case(EDITORS, json={"kind": "note", "text": "we agreed"}),
    ("POST", f"{V}/projects/{{project_id}}/calibrations"): Case(
        EDITORS, json=lambda w: {"item_ids": [w.ids["item_r2"]], "title": "again"}
    ),
    ("GET", f"{V}/models/{{model_run_id}}/evaluation"): Case(ALL),
    ("POST", f"{V}/projects/{{project_id}}/models"): Case(
        STAFF, files=lambda w: {"file": ("m.csv", b"external_id,policy,score\nr3,harassment.abuse,0.4\n", "text/csv")}
    ),
    # --- intake ---------------------------------------------------------------------------------------------
    ("GET", f"{V}/requests"): Case(FILERS),
    ("GET", f"{V}/requests/rules"): Case(FILERS),
    ("GET", f"{V}/requests/{{request_id}}"): Case(FILERS),  # staff, and the requester who filed it
    ("POST", f"{V}/requests"): Case(FILERS, json=lambda w: request_spec(_new("req")).model_dump(mode="json")),
    ("POST", f"{V}/requests/{{request_id}}/evaluate"): Case(STAFF),
    ("POST", f"{V}/requests/{{request_id}}/decisions"): Case(STAFF, json={"outcome": "reject", "note": "not now"}),
    # --- planning -------------------------------------------------------------------------------------------
    ("GET", f"{V}/plans/{{plan_id}}"): Case(STAFF),
    ("GET", f"{V}/plans/{{plan_id}}/xlsx"): Case(STAFF),
    ("POST", f"{V}/plans"): Case(STAFF, json=lambda w: {"from": _today(), "to": _today(30)}),
    # --- web pages ------------------------------------------------------------------------------------------
    ("GET", "/"): Case(ALL, page=True),
    ("GET", "/login"): Case(ALL, page=True),
    ("GET", "/work/{project_id}"): Case(LABELER, page=True),
    ("POST", "/work/{project_id}/submit"): Case(
        LABELER,
        page=True,
        form=lambda w: {
            "assignment_id": str(w.ids["lease_web_submit"]),
            "idempotency_key": _new("w"),
            "time_spent_ms": "1200",
            "q.abuse": "0",
        },
    ),
    ("POST", "/work/{project_id}/skip"): Case(
        LABELER, page=True, form=lambda w: {"assignment_id": str(w.ids["lease_web_skip"]), "reason": "unclear"}
    ),
    ("POST", "/login"): Case(ALL, page=True, form=lambda w: {"username": "", "password": PASSWORD}),
    ("POST", "/logout"): Case(ALL, page=True, form=lambda w: {}),
    ("POST", "/locale"): Case(ALL, page=True, form=lambda w: {"locale": "bn", "next": "/"}),
    ("GET", "/account"): Case(ALL, page=True),
    ("POST", "/account"): Case(ALL, page=True, form=lambda w: {"locale": "en", "timezone": "Asia/Dhaka"}),
}
NOT_ROUTES = {"/static"}  # the package's CSS and JS, served to anyone


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of every route the app answers, API, pages and docs alike."""
    app = create_app(create_engine("sqlite://"), fast_path=False)
    out: set[tuple[str, str]] = set()
    for route, path, methods in effective_routes(app):
        if isinstance(route, Mount):
            assert path in NOT_ROUTES, f"mounted {path}: declare it"
            continue
        assert isinstance(route, APIRoute | Route), route
        out |= {(m, path) for m in methods if m != "HEAD"}
    return out


def test_the_table_covers_every_route() -> None:
    """A route without an entry (so without a declared rule of who may call it) fails; so does a stale entry."""
    routes = app_routes()
    assert sorted(routes - set(TABLE)) == [], "routes missing from the access table"
    assert sorted(set(TABLE) - routes) == [], "entries for routes that do not exist"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:  # as served: the labeler's hot pair on the fast path
        yield c


def _path(template: str, world: AccessWorld, case: Case) -> str:
    names = {**IDS, **case.ids}
    values = {k: v for k, v in LITERAL.items()}
    for key, name in names.items():
        if name in world.ids:
            values[key] = str(world.ids[name])
        elif name.startswith("user_"):
            values[key] = str(world.user_ids[name.removeprefix("user_")])
        else:
            values[key] = name
    return template.format(**values)


def _call(client: TestClient, world: AccessWorld, role: str, method: str, template: str, case: Case) -> Any:
    path = _path(template, world, case)
    body = case.json(world) if callable(case.json) else case.json
    if isinstance(body, dict) and body.get("username") == "":
        body = {**body, "username": world.usernames[role]}
    files = case.files(world) if case.files else None
    form = case.form(world) if case.form else None
    if form is not None and form.get("username") == "":
        form = {**form, "username": world.usernames[role]}
    client.cookies.clear()
    headers: dict[str, str] = {}
    if case.page:
        token = world.token(role, "page") if template == "/logout" else world.tokens[role]
        client.cookies.set(security.TOKEN_COOKIE, token)
        csrf = "c" * 40
        client.cookies.set(security.CSRF_COOKIE, csrf)
        headers[security.CSRF_HEADER] = csrf
    elif not case.public:
        headers["Authorization"] = f"Bearer {world.tokens[role]}"
    return client.request(
        method,
        path,
        headers=headers,
        json=body,
        files=files,
        data=form,
        params=case.params,
        follow_redirects=False,
    )


def _verdict(resp: Any, case: Case) -> str:
    """'allowed', 'denied', or what is wrong with the answer."""
    code = resp.status_code
    if code in (403, 404):
        if case.page:
            return "denied"
        error = resp.json().get("error")
        return "denied" if error in ("Forbidden", "NotFound") else f"{code} {error}"
    if code == 422 and not case.page and resp.json().get("message") == "the request is invalid":
        return f"422 the test's request is invalid: {resp.json().get('problems')}"  # a broken case, not a rule
    if code < 400 or code in case.ok:
        return "allowed"
    return f"{code} {resp.text[:300]}"


@pytest.mark.parametrize("role", ROLES)
def test_role_may_call_exactly_its_routes(client: TestClient, engine: Engine, role: str) -> None:
    world = build(engine)
    wrong = []
    for (method, template), case in TABLE.items():
        resp = _call(client, world, role, method, template, case)
        got = _verdict(resp, case)
        expected = "allowed" if role in case.allowed else "denied"
        if got != expected:
            wrong.append(f"{role} {method} {template}: expected {expected}, got {got}")
    assert wrong == []
