"""Server-rendered pages (Jinja2 + HTMX): sign-in, home, labeler workbench.

Handlers are thin: check the CSRF token and the signed-in person, call the services, render a template.
Service errors (SafetyOpsError) become readable pages here instead of the API's JSON.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.types import Scope

from safetyops.auth import service as auth_service
from safetyops.auth.deps import principal_of
from safetyops.auth.policies import STAFF
from safetyops.auth.principal import Principal
from safetyops.config import get_settings
from safetyops.errors import InvalidInput, Problem, SafetyOpsError, Unauthorized
from safetyops.guidelines import texts
from safetyops.guidelines.enums import QuestionType
from safetyops.locale_codes import language_name, time_zones
from safetyops.projects.schemas import DataCredit
from safetyops.web import forms, reads, security
from safetyops.web.i18n import COOKIE as LANG_COOKIE
from safetyops.web.i18n import LANGUAGES, N_, ROLE_NAMES, STATUS_NAMES, normalize, pick_locale, translator
from safetyops.work import service as work_service
from safetyops.work.service import ProjectRules

WEB_DIR = Path(__file__).parent
SKIP_REASONS = {
    "unclear": N_("The guideline does not tell me how to label it"),
    "language": N_("It is not in a language I read"),
    "broken": N_("The content does not load or is broken"),
    "distress": N_("I need a break from this kind of content"),
    "other": N_("Another reason"),
}
MAX_USERNAME = 200
MAX_PASSWORD = 1000
MAX_SKIP_NOTE = 300

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,  # item content is untrusted: everything is escaped, nothing is marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)


class _StaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def mount_static(app: FastAPI) -> None:
    """Serve the package's own CSS, JS and htmx under /static (nothing is fetched from the internet)."""
    app.mount("/static", _StaticFiles(directory=WEB_DIR / "static"), name="static")


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]


# --- rendering -------------------------------------------------------------------------------------------


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _preferences(request: Request, principal: Principal | None) -> auth_service.Preferences:
    """The signed-in person's language and time zone (one read per page; none for someone not signed in)."""
    if principal is None or principal.user_id is None:
        return auth_service.Preferences(None, None)
    with Session(_engine(request)) as session:
        return auth_service.preferences(session, principal)


def _locale(request: Request, prefs: auth_service.Preferences | None = None) -> str:
    return pick_locale(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        account=prefs.locale if prefs else None,
    )


def _credits(*credits: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The distinct data credits of the projects whose items a page shows, for `_credit.html`. Checked again
    on the way out: the page links their addresses, which must stay http(s)."""
    shown: list[dict[str, Any]] = []
    for raw in credits:
        credit = DataCredit.model_validate(raw).model_dump() if raw is not None else None
        if credit is not None and credit not in shown:
            shown.append(credit)
    return shown


def _context(
    request: Request, principal: Principal | None, prefs: auth_service.Preferences | None = None, **extra: Any
) -> dict[str, Any]:
    prefs = prefs or _preferences(request, principal)
    locale = _locale(request, prefs)
    context: dict[str, Any] = {
        "_": translator(locale),
        "lang": locale,
        "role_names": ROLE_NAMES,
        "status_names": STATUS_NAMES,
        "languages": LANGUAGES,
        "csrf": security.csrf_token(request),
        "csrf_field": security.CSRF_FIELD,
        "user": principal,
        "here": request.url.path,
        "fragment": _is_htmx(request),
        "credits": [],
        "status_message": None,
        "zone": prefs.zone,
    }
    context.update(extra)
    return context


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, template, context, status_code=status)
    asked = request.query_params.get("lang")
    code = normalize(asked) if asked else None
    if code is not None:
        _remember_locale(request, response, code)
    return security.finish(request, response)


def _remember_locale(request: Request, response: Response, code: str) -> None:
    """Keep the language on this browser (a cookie), for pages before sign-in."""
    if code != request.cookies.get(LANG_COOKIE):
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="lax", secure=security.is_https(request)
        )


def _local_path(value: str | None) -> str:
    """Where to go back to after a settings form: a path on this site only (never another site's address)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 500:
        return "/"
    return value


def _redirect(request: Request, url: str) -> Response:
    if _is_htmx(request):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    return security.finish(request, response)


ERROR_TITLES = {
    401: N_("Please sign in"),
    403: N_("You may not do this"),
    404: N_("Not found"),
    409: N_("This cannot be done right now"),
    410: N_("This is no longer needed"),
    422: N_("Please check what you entered"),
}


def _error(
    request: Request, principal: Principal | None, exc: SafetyOpsError, retry_url: str | None = None
) -> Response:
    """A service error as a page (or, for HTMX, as the fragment it swaps in)."""
    title = ERROR_TITLES.get(exc.status_code, N_("Something went wrong"))
    retry = retry_url if exc.status_code in (409, 410) else None  # worth a retry only when things can change
    context = _context(
        request, principal, error=exc, title=title, csrf_failed=False, retry_url=retry, here=retry_url or "/"
    )
    return _page(request, "error.html", context, status=exc.status_code)


def _csrf_refused(request: Request, principal: Principal | None) -> Response:
    """403 for a cookie-authenticated POST without the matching CSRF token (a fresh token comes with it)."""
    context = _context(
        request, principal, error=None, title=N_("This form has expired"), csrf_failed=True, retry_url=None
    )
    return _page(request, "error.html", context, status=403)


def _signed_in(request: Request) -> Principal | None:
    try:
        return principal_of(request, allow_cookie=True)
    except Unauthorized:
        return None


def _to_login(request: Request) -> Response:
    response = _redirect(request, "/login")
    if request.cookies.get(security.TOKEN_COOKIE):
        security.clear_session_cookie(request, response)  # a revoked or unknown token
    return response


# --- sign-in ---------------------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request) -> Response:
    if _signed_in(request) is not None:
        return _redirect(request, "/")
    return _page(request, "login.html", _context(request, None, failed=False, username=""))


@router.post("/login")
def login_submit(request: Request, form: FormDep) -> Response:
    username = str(form.get("username") or "")[:MAX_USERNAME].strip()
    password = str(form.get("password") or "")
    if not security.csrf_ok(request, _str(form.get(security.CSRF_FIELD))):
        return _csrf_refused(request, None)
    if not username or not password or len(password) > MAX_PASSWORD:
        return _login_failed(request, username)
    try:
        with Session(_engine(request)) as session, session.begin():
            token = auth_service.login(session, username, password)
    except Unauthorized:
        return _login_failed(request, username)
    response = RedirectResponse("/", status_code=303)
    security.set_session_cookie(request, response, token)
    security.rotate_csrf(request)
    # The account's language from now on (also for the sign-in page after signing out on this browser).
    chosen = _preferences(request, auth_service.authenticate(_engine(request), token)).locale
    if chosen is not None:
        _remember_locale(request, response, chosen)
    return security.finish(request, response)


def _login_failed(request: Request, username: str) -> Response:
    # One message for an unknown user and a wrong password: the page does not tell which names exist.
    return _page(request, "login.html", _context(request, None, failed=True, username=username), status=401)


@router.post("/logout")
def logout(request: Request, form: FormDep) -> Response:
    if not security.csrf_ok(request, _str(form.get(security.CSRF_FIELD))):
        return _csrf_refused(request, _signed_in(request))
    raw = request.cookies.get(security.TOKEN_COOKIE, "")
    principal = _signed_in(request)
    if raw and principal is not None:
        with Session(_engine(request)) as session, session.begin():
            token_id = reads.token_id(session, raw)
            if token_id is not None:
                auth_service.revoke_token(session, principal, token_id)
    response = RedirectResponse("/login", status_code=303)
    security.clear_session_cookie(request, response)
    security.rotate_csrf(request)
    return security.finish(request, response)


# --- the person's own settings ---------------------------------------------------------------------------


@router.post("/locale")
def choose_locale(request: Request, form: FormDep) -> Response:
    """The language picker: the page's language from now on, kept on the account when signed in."""
    principal = _signed_in(request)
    if not security.csrf_ok(request, _str(form.get(security.CSRF_FIELD))):
        return _csrf_refused(request, principal)
    code = normalize(_str(form.get("locale")) or "")
    response = _redirect(request, _local_path(_str(form.get("next"))))
    if code is None:
        return response
    if principal is not None:
        try:
            with Session(_engine(request)) as session, session.begin():
                auth_service.set_preferences(session, principal, locale=code)
        except SafetyOpsError as exc:
            return _error(request, principal, exc)
    _remember_locale(request, response, code)
    return response


@router.get("/account")
def account_page(request: Request) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_login(request)
    return _account(request, principal)


@router.post("/account")
def account_submit(request: Request, form: FormDep) -> Response:
    """Save one's language and time zone (an empty time zone: the site's, else UTC)."""
    principal = _signed_in(request)
    if not security.csrf_ok(request, _str(form.get(security.CSRF_FIELD))):
        return _csrf_refused(request, principal)
    if principal is None:
        return _to_login(request)
    zone = (_str(form.get("timezone")) or "").strip()
    locale = _str(form.get("locale")) or ""
    try:
        with Session(_engine(request)) as session, session.begin():
            auth_service.set_preferences(session, principal, locale=locale or None, timezone=zone or None)
    except InvalidInput as exc:
        return _account(request, principal, problems=exc, zone_given=zone, status=422)
    response = _redirect(request, "/account?saved=1")
    code = normalize(locale) if locale else None
    if code is not None:
        _remember_locale(request, response, code)
    return response


def _account(
    request: Request,
    principal: Principal,
    *,
    problems: InvalidInput | None = None,
    zone_given: str = "",
    status: int = 200,
) -> Response:
    prefs = _preferences(request, principal)
    by_field = {p.field: p.message for p in (problems.problems if problems else [])}
    context = _context(
        request,
        principal,
        prefs,
        prefs_chosen=prefs,
        zones=sorted(time_zones()),
        zone_value=zone_given or prefs.timezone or "",
        zone_problem=by_field.get("timezone"),
        locale_problem=by_field.get("locale"),
        status_message=N_("Your settings are saved.") if request.query_params.get("saved") else None,
        now_local=local_time(datetime.now(UTC), prefs.zone),
    )
    return _page(request, "account.html", context, status=status)


# --- home ------------------------------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_login(request)
    with Session(_engine(request)) as session:
        projects = reads.home_projects(session, principal)
    context = _context(
        request,
        principal,
        projects=projects,
        sees_all=STAFF(principal),
        credits=_credits(*(p.data_credit for p in projects)),
    )
    return _page(request, "home.html", context)


# --- labeler workbench -----------------------------------------------------------------------------------


@router.get("/work/{project_id}")
def workbench(project_id: int, request: Request) -> Response:
    principal = _signed_in(request)
    if principal is None:
        return _to_login(request)
    engine = _engine(request)
    try:
        rules = work_service.rules_for_worker(engine, principal, project_id)
        task = _current_or_next(engine, principal, rules)
    except SafetyOpsError as exc:
        return _error(request, principal, exc, retry_url=f"/work/{project_id}")
    return _workbench(request, principal, rules, task)


@router.post("/work/{project_id}/submit")
def submit(project_id: int, request: Request, form: FormDep) -> Response:
    principal = _signed_in(request)
    if not security.csrf_ok(request, _str(form.get(security.CSRF_FIELD))):
        return _csrf_refused(request, principal)
    if principal is None:
        return _to_login(request)
    engine = _engine(request)
    here = f"/work/{project_id}"
    try:
        rules = work_service.rules_for_worker(engine, principal, project_id)
        assignment_id = _int_field(form, "assignment_id")
        key = _str(form.get("idempotency_key")) or ""
        if not 1 <= len(key) <= 100:
            raise InvalidInput("the form lost its submit key; reload the page", [Problem("invalid", "idempotency_key")])
        answer = forms.answer_from_form(rules.taxonomy, form.getlist)
        spent = forms.time_spent(
            _str(form.get("time_spent_ms")), _str(form.get("rendered_at")), int(time.time() * 1000)
        )
        try:
            work_service.submit(engine, principal, assignment_id, answer, key, spent)
        except InvalidInput as exc:
            shown = reads.assigned_task(engine, principal, assignment_id, rules)
            state: dict[str, Any] = {
                "answer": answer,
                "key": key,
                "rendered_at": _str(form.get("rendered_at")),
                "problems": exc,
            }
            return _workbench(request, principal, rules, shown, state=state, status=422)
        if not _is_htmx(request):
            return _redirect(request, here)
        task = _current_or_next(engine, principal, rules)
    except SafetyOpsError as exc:
        return _error(request, principal, exc, retry_url=here)
    return _workbench(request, principal, rules, task, message=N_("Saved. Here is the next item."))


@router.post("/work/{project_id}/skip")
def skip(project_id: int, request: Request, form: FormDep) -> Response:
    principal = _signed_in(request)
    if not security.csrf_ok(request, _str(form.get(security.CSRF_FIELD))):
        return _csrf_refused(request, principal)
    if principal is None:
        return _to_login(request)
    engine = _engine(request)
    here = f"/work/{project_id}"
    try:
        rules = work_service.rules_for_worker(engine, principal, project_id)
        assignment_id = _int_field(form, "assignment_id")
        reason = _str(form.get("reason")) or ""
        note = (_str(form.get("note")) or "").strip()[:MAX_SKIP_NOTE]
        if reason not in SKIP_REASONS:
            shown = reads.assigned_task(engine, principal, assignment_id, rules)
            state: dict[str, Any] = {
                "answer": {},
                "key": _str(form.get("idempotency_key")) or "",
                "rendered_at": _str(form.get("rendered_at")),
                "skip_missing": True,
            }
            return _workbench(request, principal, rules, shown, state=state, status=422)
        reads.assigned_task(engine, principal, assignment_id, rules)  # the lease must be of this project
        work_service.give_back(engine, principal, assignment_id, f"{reason}: {note}" if note else reason, skip=True)
        if not _is_htmx(request):
            return _redirect(request, here)
        task = _current_or_next(engine, principal, rules)
    except SafetyOpsError as exc:
        return _error(request, principal, exc, retry_url=here)
    if reason == "distress":
        message = N_("Skipped. Consider a short break away from the screen before you go on.")
    else:
        message = N_("Skipped. Here is the next item.")
    return _workbench(request, principal, rules, task, message=message)


def _current_or_next(engine: Engine, principal: Principal, rules: ProjectRules) -> dict[str, Any] | None:
    """The lease this labeler already holds here (page reloads, retries), else the queue's next task."""
    return reads.open_task(engine, principal, rules) or work_service.next_task(engine, principal, rules.id)


def _workbench(
    request: Request,
    principal: Principal,
    rules: ProjectRules,
    task: dict[str, Any] | None,
    *,
    state: dict[str, Any] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    state = state or {}
    prefs = _preferences(request, principal)
    locale = _locale(request, prefs)
    name, credit = reads.project_heading(_engine(request), rules.id)
    problems = state.get("problems")
    by_question, general = forms.problems_by_question(
        problems.problems if problems else [], (q.key for q in rules.taxonomy.questions)
    )
    context = _context(
        request,
        principal,
        prefs,
        here=f"/work/{rules.id}",
        project_id=rules.id,
        project_name=name,
        credits=_credits(credit),
        task=_task_model(task, rules, state.get("answer") or {}, by_question, locale, prefs.zone) if task else None,
        idempotency_key=state.get("key") or secrets.token_urlsafe(18),
        rendered_at=state.get("rendered_at") or str(int(time.time() * 1000)),
        general_problems=general,
        has_problems=bool(problems) or bool(state.get("skip_missing")),
        skip_missing=bool(state.get("skip_missing")),
        skip_reasons=SKIP_REASONS,
        status_message=message,
        known_problems=forms.KNOWN_PROBLEMS,
    )
    template = "work_fragment.html" if _is_htmx(request) else "work.html"
    return _page(request, template, context, status=status)


def _task_model(
    task: dict[str, Any],
    rules: ProjectRules,
    answer: dict[str, Any],
    problems: dict[str, list[str]],
    locale: str,
    zone: str,
) -> dict[str, Any]:
    """What the task template shows: the item, and the questions and choices in the person's language
    (guidelines/texts.py: translated, else English marked as not yet translated; never a raw key)."""
    item = task["item"]
    max_text = get_settings().max_answer_chars
    questions = []
    for q in rules.taxonomy.questions:
        given = answer.get(q.key)
        chosen = set(given) if isinstance(given, list) else ({given} if isinstance(given, str) else set())
        questions.append(
            {
                "key": q.key,
                "type": q.type.value,
                "prompt": texts.shown_or_key(q.prompt, locale, q.key),
                "help": texts.localize(q.help, locale),
                "required": q.required,
                "multi": q.type is QuestionType.MULTI_CHOICE,
                "free_text": q.type is QuestionType.FREE_TEXT,
                "ordinal": q.type is QuestionType.ORDINAL,
                "name": forms.field_name(q.key),
                "max_length": min(q.max_length, max_text),
                "text": given if isinstance(given, str) and q.type is QuestionType.FREE_TEXT else "",
                "choices": [
                    {
                        "value": c.value,
                        "label": texts.shown_or_key(c.label, locale, c.value),
                        "help": texts.localize(c.help, locale),
                        "number": i + 1 if i < 9 else None,
                        "checked": c.value in chosen,
                    }
                    for i, c in enumerate(q.choices)
                ],
                "problems": problems.get(q.key, []),
            }
        )
    media_url = item.get("media_url")
    return {
        "assignment_id": task["assignment_id"],
        "text": item.get("text"),
        "context": forms.context_turns(item.get("context")),
        "media_url": media_url if forms.safe_media_url(media_url) else None,
        "media_kind": forms.media_kind(item.get("media_type"), media_url),
        "language": item.get("language"),
        "language_name": language_name(item["language"], locale) if item.get("language") else None,
        "guideline_version": task["guideline_version"],
        "expires": task["lease_expires_at"],
        "expires_local": local_time(task["lease_expires_at"], zone),
        "questions": questions,
    }


def local_time(stamp: str | datetime, zone: str) -> str:
    """'16:35 Asia/Dhaka': a stored UTC time as a clock time in the person's zone, the zone named."""
    when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"{when.astimezone(ZoneInfo(zone)):%H:%M} {zone}"


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int_field(form: FormData, name: str) -> int:
    raw = _str(form.get(name)) or ""
    if not raw.isdigit():
        raise InvalidInput(f"the form has no valid '{name}'; reload the page", [Problem("invalid", name)])
    return int(raw)
