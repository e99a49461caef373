"""The web pages: sign-in, CSRF, home, the labeler workbench, i18n and headers, on both databases."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from safetyops.api import create_app
from safetyops.auth.enums import Role
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import create_token, create_user
from safetyops.demo import DATA_CREDIT, DEMO_PROJECT
from safetyops.web import i18n
from tests.world import QueueWorld, make_world

EVIL = "<script>alert(1)</script> {{ 7*7 }}"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def labels(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [(int(r[0]), str(r[1])) for r in conn.execute(text("SELECT assignment_id, answer FROM labels"))]


def signed_in_labeler(client: TestClient, engine: Engine, **kw: object) -> QueueWorld:
    world = make_world(engine, labelers=1, **kw)  # type: ignore[arg-type]
    client.cookies.set("safetyops_token", world.tokens[0])
    return world


def staff_cookie(client: TestClient, engine: Engine, role: Role = Role.OPS_MANAGER) -> None:
    with Session(engine) as session, session.begin():
        user = create_user(session, SYSTEM, f"u-{uuid.uuid4().hex[:8]}", role, password="long-enough-pw")
        client.cookies.set("safetyops_token", create_token(session, user, "test")[0])


def answer_form(html: str, **answers: object) -> dict[str, object]:
    form: dict[str, object] = {
        name: hidden(html, name) for name in ("csrf_token", "assignment_id", "idempotency_key", "rendered_at")
    }
    form["time_spent_ms"] = "1500"
    form.update({f"q.{k}": v for k, v in answers.items()})
    return form


# --- sign-in -----------------------------------------------------------------------------------------------


def test_sign_in_sets_the_cookie_and_a_wrong_password_does_not(client: TestClient, engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        create_user(session, SYSTEM, "maria", Role.OPS_MANAGER, password="correct horse")
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    csrf = hidden(page.text, "csrf_token")

    for username in ("maria", "nobody"):  # the same answer for a wrong password and an unknown user
        bad = client.post("/login", data={"username": username, "password": "wrong", "csrf_token": csrf})
        assert bad.status_code == 401
        assert "do not match" in bad.text
        assert "safetyops_token" not in bad.headers.get("set-cookie", "")
        assert "safetyops_token" not in client.cookies

    ok = client.post(
        "/login",
        data={"username": "maria", "password": "correct horse", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("safetyops_token="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in tests; https requests get Secure
    home = client.get("/")
    assert home.status_code == 200 and "maria" in home.text and "/api/v1/docs" in home.text


def test_cookies_are_secure_over_https(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        create_user(session, SYSTEM, "ana", Role.ADMIN, password="correct horse")
    with TestClient(create_app(engine), base_url="https://testserver") as client:
        page = client.get("/login")
        assert "Secure" in page.headers["set-cookie"]  # the CSRF cookie
        ok = client.post(
            "/login",
            data={"username": "ana", "password": "correct horse", "csrf_token": hidden(page.text, "csrf_token")},
            follow_redirects=False,
        )
        cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("safetyops_token="))
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_signed_out_home_redirects_to_login(client: TestClient) -> None:
    resp = client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    resp = client.get("/work/1", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"


def test_sign_out_revokes_the_token(client: TestClient, engine: Engine) -> None:
    staff_cookie(client, engine)
    page = client.get("/")
    assert page.status_code == 200
    out = client.post("/logout", data={"csrf_token": hidden(page.text, "csrf_token")}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL")).scalar() == 0


# --- CSRF --------------------------------------------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=2)
    page = client.get(f"/work/{world.project_id}")
    form = answer_form(page.text, abuse="0")
    del form["csrf_token"]
    no_token = client.post(f"/work/{world.project_id}/submit", data=form)
    assert no_token.status_code == 403 and "text/html" in no_token.headers["content-type"]
    wrong = client.post(f"/work/{world.project_id}/submit", data={**form, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    skip = client.post(
        f"/work/{world.project_id}/skip", data={"assignment_id": form["assignment_id"], "reason": "other"}
    )
    assert skip.status_code == 403
    assert client.post("/logout").status_code == 403
    assert client.post("/login", data={"username": "a", "password": "b"}).status_code == 403
    assert labels(engine) == []
    # HTMX sends the token in a header instead of the form.
    csrf = hidden(page.text, "csrf_token")
    assert f"""hx-headers='{{"X-CSRF-Token": "{csrf}"}}'""" in page.text
    ok = client.post(
        f"/work/{world.project_id}/submit", data=form, headers={"X-CSRF-Token": csrf, "HX-Request": "true"}
    )
    assert ok.status_code == 200 and len(labels(engine)) == 1


def test_the_bearer_api_needs_no_csrf_token(client: TestClient, engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=1)
    resp = client.post(
        f"/api/v1/projects/{world.project_id}/next", headers={"Authorization": f"Bearer {world.tokens[0]}"}
    )
    assert resp.status_code == 200 and resp.json()["assignment_id"]


# --- home --------------------------------------------------------------------------------------------------


def test_home_is_role_aware(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=4, name=DEMO_PROJECT, data_credit=DATA_CREDIT)
    page = client.get("/")
    assert f'href="/work/{world.project_id}"' in page.text and "Start labeling" in page.text
    assert "CC BY 4.0" in page.text and "creativecommons.org/licenses/by/4.0" in page.text
    assert "/api/v1/docs" not in page.text

    staff_cookie(client, engine)
    page = client.get("/")
    assert "All projects" in page.text and DEMO_PROJECT in page.text
    row = re.search(r"<th scope=\"row\">ConvAbuse demo</th>(.*?)</tr>", page.text, re.S)
    assert row is not None
    assert re.findall(r'<td class="num">([\d,]+)</td>', row.group(1)) == ["4", "4", "0"]
    assert "/api/v1/docs" in page.text

    staff_cookie(client, engine, Role.REQUESTER)  # not a member of anything
    page = client.get("/")
    assert page.status_code == 200 and DEMO_PROJECT not in page.text and "no projects" in page.text


# --- workbench ---------------------------------------------------------------------------------------------


def test_workbench_renders_every_question_and_escapes_content(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=1, name=DEMO_PROJECT, data_credit=DATA_CREDIT)
    world.set_items(
        world.item_ids(),
        content_text=EVIL,
        context=[{"speaker": "agent", "text": "<img src=x onerror=alert(2)> {{ 6*7 }}"}],
        media_url="https://media.example/cat.png",
        media_type="image",
    )
    page = client.get(f"/work/{world.project_id}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in html
    item = re.search(r'<div class="item-text"[^>]*>(.*?)</div>', html, re.S)
    assert item is not None and "49" not in item.group(1) and "{{ 7*7 }}" in item.group(1)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt; {{ 6*7 }}" in html
    assert "alert(2)&gt; 42" not in html  # the template expression in the content was not evaluated
    # every question of the taxonomy, as the right kind of control
    for key, kind in (("abuse", "radio"), ("type", "checkbox"), ("target", "radio")):
        assert re.search(rf'<input type="{kind}" id="q-{key}-1" name="q\.{key}"', html), key
    assert '<textarea id="q-rationale" name="q.rationale" rows="3" maxlength="1000"' in html
    assert "<legend>How abusive is the user&#39;s turn?" in html
    assert re.findall(r'<kbd aria-hidden="true">(\d)</kbd> ', html)[:5] == ["1", "2", "3", "4", "5"]
    assert "Guideline version 1.0" in html
    assert 'class="reveal-toggle"' in html and 'src="https://media.example/cat.png"' in html
    assert "CC BY 4.0" in html  # the demo project's content carries its credit
    # reloading shows the same leased task instead of leasing another
    again = client.get(f"/work/{world.project_id}")
    assert hidden(again.text, "assignment_id") == hidden(html, "assignment_id")


def test_unsafe_media_urls_are_not_rendered(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=1)
    world.set_items(world.item_ids(), media_url="javascript:alert(1)", media_type="image")
    html = client.get(f"/work/{world.project_id}").text
    assert "javascript:alert" not in html and "cannot be shown" in html


def test_submit_stores_the_label_once(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=2)
    page = client.get(f"/work/{world.project_id}")
    form = answer_form(page.text, abuse="-1", type=["racist", "sexist"], target="individual", rationale=" why ")
    first = client.post(f"/work/{world.project_id}/submit", data=form, headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert "Saved. Here is the next item." in first.text
    assert hidden(first.text, "assignment_id") != form["assignment_id"]  # the next task was swapped in
    stored = labels(engine)
    assert len(stored) == 1 and stored[0][0] == int(str(form["assignment_id"]))
    with engine.connect() as conn:
        row = conn.execute(text("SELECT answer, time_spent_ms FROM labels")).first()
    assert row is not None and row.time_spent_ms == 1500
    answer = row.answer if isinstance(row.answer, dict) else __import__("json").loads(row.answer)
    assert answer == {"abuse": "-1", "type": ["racist", "sexist"], "target": "individual", "rationale": "why"}
    # a double click or a retry of the same form stores nothing new
    repeat = client.post(f"/work/{world.project_id}/submit", data=form)
    assert repeat.status_code == 200  # followed the redirect back to the workbench
    assert len(labels(engine)) == 1


def test_time_spent_defaults_to_the_render_time(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=1)
    page = client.get(f"/work/{world.project_id}")
    form = answer_form(page.text, abuse="1")
    form["time_spent_ms"] = ""
    form["rendered_at"] = str(int(str(form["rendered_at"])) - 5000)
    done = client.post(f"/work/{world.project_id}/submit", data=form)
    assert "No work right now" in done.text and "Check again" in done.text
    with engine.connect() as conn:
        spent = conn.execute(text("SELECT time_spent_ms FROM labels")).scalar_one()
    assert 5000 <= spent < 60_000


def test_invalid_answer_shows_the_problem_next_to_its_question(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=2)
    page = client.get(f"/work/{world.project_id}")
    form = answer_form(page.text, target="bogus", type=["racist"])
    resp = client.post(f"/work/{world.project_id}/submit", data=form)
    assert resp.status_code == 422
    html = resp.text
    assert hidden(html, "assignment_id") == form["assignment_id"]  # the same task again
    assert hidden(html, "idempotency_key") == form["idempotency_key"]
    abuse = re.search(r'<fieldset class="question invalid" id="q-abuse".*?</fieldset>', html, re.S)
    assert abuse is not None and "This question needs an answer." in abuse.group(0)
    assert 'aria-describedby="q-abuse-err q-abuse-help"' in abuse.group(0)  # the error, then the question's help
    target = re.search(r'<fieldset class="question invalid" id="q-target".*?</fieldset>', html, re.S)
    assert target is not None and "&#39;bogus&#39; is not among the choices" in target.group(0)
    checked = re.search(r'value="racist" checked', html)
    assert checked is not None  # what the labeler picked is kept
    assert labels(engine) == []
    fixed = client.post(f"/work/{world.project_id}/submit", data={**form, "q.target": "system", "q.abuse": "0"})
    assert fixed.status_code == 200 and len(labels(engine)) == 1


def test_skip_needs_a_reason_and_gives_the_item_back(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=2)
    page = client.get(f"/work/{world.project_id}")
    form = {k: hidden(page.text, k) for k in ("csrf_token", "assignment_id", "idempotency_key", "rendered_at")}
    missing = client.post(f"/work/{world.project_id}/skip", data=form)
    assert missing.status_code == 422 and "Choose a reason to skip." in missing.text
    done = client.post(
        f"/work/{world.project_id}/skip",
        data={**form, "reason": "distress", "note": "rough one"},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200 and "short break" in done.text
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, skip_reason FROM assignments WHERE id = :a"), {"a": int(form["assignment_id"])}
        ).first()
    assert row is not None and tuple(row) == ("skipped", "distress: rough one")


def test_service_errors_are_pages_not_json(client: TestClient, engine: Engine) -> None:
    world = make_world(engine, labelers=1, items=1)
    staff_cookie(client, engine)
    resp = client.get(f"/work/{world.project_id}")
    assert resp.status_code == 403 and "text/html" in resp.headers["content-type"]
    assert "You may not do this" in resp.text and "only labelers take tasks" in resp.text
    missing = client.get("/work/999999")
    assert missing.status_code == 404 and "Not found" in missing.text


# --- i18n, headers, static ---------------------------------------------------------------------------------


def test_language_from_query_cookie_and_header(client: TestClient) -> None:
    bn = client.get("/login?lang=bn")
    assert '<html lang="bn">' in bn.text and "ব্যবহারকারীর নাম" in bn.text
    remembered = client.get("/login")  # the choice is kept in a cookie
    assert '<html lang="bn">' in remembered.text
    zh = client.get("/login?lang=zh-Hans")
    assert '<html lang="zh-Hans">' in zh.text and "用户名" in zh.text and "登录" in zh.text
    client.cookies.clear()
    assert '<html lang="zh-Hans">' in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert '<html lang="bn">' in client.get("/login", headers={"Accept-Language": "fr, bn;q=0.5"}).text
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "fr"}).text


def test_workbench_is_translated(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=1)
    html = client.get(f"/work/{world.project_id}?lang=bn").text
    assert "লেবেলিং ওয়ার্কবেঞ্চ" in html and "জমা দিন" in html
    html = client.get(f"/work/{world.project_id}?lang=zh-Hans").text
    assert "标注工作台" in html and "提交" in html


def test_catalogs_have_the_same_keys() -> None:
    english = set(i18n.catalog("en"))
    for code in i18n.LANGUAGES:
        assert set(i18n.catalog(code)) == english, code
        assert all(i18n.catalog(code).values())


def test_security_headers_on_pages(client: TestClient) -> None:
    resp = client.get("/login")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"
    assert resp.headers["x-frame-options"] == "DENY"
    assert "<script>" not in resp.text and " style=" not in resp.text  # nothing inline for the CSP to block


def test_static_files_are_served_from_the_package(client: TestClient) -> None:
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "javascript" in htmx.headers["content-type"]
    assert "htmx" in htmx.text[:200] and htmx.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/htmx.LICENSE.txt").status_code == 200
    assert client.get("/static/safetyops.css").status_code == 200
    assert client.get("/static/safetyops.js").status_code == 200
