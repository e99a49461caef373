"""A person's language and time zone: kept on the account (API and web), used at the next sign-in; the workbench in
the labeler's language with translated questions (English marked where untranslated, never a raw key) and the lease
time in their zone. On both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text, update

from safetyops.api import create_app
from safetyops.auth.models import User
from safetyops.auth.service import clear_auth_cache
from safetyops.projects.models import Project
from safetyops.work.service import clear_caches
from tests.web.test_pages import hidden, signed_in_labeler

API = "/api/v1"
PASSWORD = "long-enough-pw"


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def account(engine: Engine, user_id: int) -> tuple[str | None, str | None]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT locale, timezone FROM users WHERE id = :u"), {"u": user_id}).one()
        return row[0], row[1]


def test_me_settings_through_the_api(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=1)
    headers = bearer(world.tokens[0])
    me = client.get(f"{API}/me", headers=headers).json()
    assert (me["locale"], me["timezone"], me["shown_timezone"]) == (None, None, "UTC")
    changed = client.patch(f"{API}/me", json={"locale": "bn-BD", "timezone": "Asia/Dhaka"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["locale"], changed.json()["timezone"], changed.json()["shown_timezone"]) == (
        "bn",
        "Asia/Dhaka",
        "Asia/Dhaka",
    )
    user_id = world.principals[0].user_id
    assert user_id is not None and account(engine, user_id) == ("bn", "Asia/Dhaka")
    refused = client.patch(f"{API}/me", json={"locale": "fr", "timezone": "Mars/Olympus"}, headers=headers)
    assert refused.status_code == 422
    fields = {p["field"]: p["message"] for p in refused.json()["problems"]}
    assert "en, zh-Hans, bn" in fields["locale"] and "IANA time zone" in fields["timezone"]
    assert account(engine, user_id) == ("bn", "Asia/Dhaka")  # nothing changed
    client.patch(f"{API}/me", json={"timezone": None}, headers=headers)  # cleared; the language stays
    assert account(engine, user_id) == ("bn", None)
    assert client.patch(f"{API}/me", json={"colour": "blue"}, headers=headers).status_code == 422


def test_the_workbench_speaks_the_account_language_with_translated_questions(
    client: TestClient, engine: Engine
) -> None:
    world = signed_in_labeler(client, engine, items=1)
    client.patch(f"{API}/me", json={"locale": "bn", "timezone": "Asia/Dhaka"}, headers=bearer(world.tokens[0]))
    html = client.get(f"/work/{world.project_id}", headers={"Accept-Language": "en"}).text
    assert '<html lang="bn">' in html and "লেবেলিং ওয়ার্কবেঞ্চ" in html
    assert "ব্যবহারকারীর এই কথাটি কতটা অপমানজনক?" in html and "অপমানজনক নয়" in html  # question and choice
    assert "কাকে লক্ষ্য করা হয়েছে?" in html and "How abusive" not in html
    assert 'class="untranslated"' not in html  # the demo taxonomy is translated throughout
    # The lease ends in the labeler's zone, the zone named.
    stamp = re.search(r'<time datetime="([^"]+)" data-lease-expires>([^<]+)</time>', html)
    assert stamp is not None
    expected = datetime.fromisoformat(stamp.group(1)).astimezone(ZoneInfo("Asia/Dhaka"))
    assert stamp.group(2) == f"{expected:%H:%M} Asia/Dhaka"
    html = client.get(f"/work/{world.project_id}?lang=zh-Hans").text  # ?lang= still shows a page in another
    assert "用户这句话的辱骂程度如何？" in html and "不具辱骂性" in html


def test_untranslated_text_is_english_marked_and_no_key_is_a_label(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=1)
    taxonomy = {
        "questions": [
            {
                "key": "kind",
                "type": "single_choice",
                "prompt": {"en": "What kind of content is it?", "bn": "এটি কী ধরনের কনটেন্ট?"},
                "help": "Pick the closest.",
                "choices": [{"value": "hate_speech"}, {"value": "ok", "label": {"en": "Fine", "bn": "ঠিক আছে"}}],
            }
        ]
    }
    with engine.begin() as conn:
        conn.execute(update(Project).where(Project.id == world.project_id).values(taxonomy=taxonomy))
    clear_caches()
    html = client.get(f"/work/{world.project_id}?lang=bn").text
    assert "এটি কী ধরনের কনটেন্ট?" in html and "ঠিক আছে" in html
    assert '<span lang="en">Pick the closest.</span> <span class="untranslated"' in html  # help: English, marked
    assert '<span lang="en">Hate speech</span> <span class="untranslated"' in html  # no label: words, marked
    assert ">hate_speech<" not in html and "hate_speech</" not in html
    assert "এখনও অনুবাদ হয়নি" in html  # the marker says so to screen readers, in Bengali


def test_the_picker_keeps_the_choice_for_the_next_sign_in(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=1)
    user_id = world.principals[0].user_id
    assert user_id is not None
    with engine.begin() as conn:  # a password, to sign in through the page later
        from safetyops.auth.service import hash_password

        conn.execute(update(User).where(User.id == user_id).values(password_hash=hash_password(PASSWORD)))
    page = client.get("/")
    picked = client.post(
        "/locale",
        data={"csrf_token": hidden(page.text, "csrf_token"), "locale": "bn", "next": "/"},
        follow_redirects=False,
    )
    assert picked.status_code == 303 and picked.headers["location"] == "/"
    assert account(engine, user_id)[0] == "bn"
    # Another browser (no cookies, English): signing in brings the account's language back.
    clear_auth_cache()
    client.cookies.clear()
    login = client.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in login.text
    username = world.principals[0].username
    signed = client.post(
        "/login",
        data={"csrf_token": hidden(login.text, "csrf_token"), "username": username, "password": PASSWORD},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.cookies.get("safetyops_lang") == "bn"
    assert '<html lang="bn">' in client.get("/", headers={"Accept-Language": "en"}).text
    # A picker that points elsewhere goes home instead; an unknown language changes nothing.
    page = client.get("/")
    away = client.post(
        "/locale",
        data={"csrf_token": hidden(page.text, "csrf_token"), "locale": "xx", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/" and account(engine, user_id)[0] == "bn"


def test_the_settings_page_saves_language_and_zone(client: TestClient, engine: Engine) -> None:
    world = signed_in_labeler(client, engine, items=1)
    user_id = world.principals[0].user_id
    assert user_id is not None
    page = client.get("/account")
    assert page.status_code == 200 and 'id="timezone"' in page.text and "Asia/Dhaka" in page.text
    bad = client.post(
        "/account", data={"csrf_token": hidden(page.text, "csrf_token"), "locale": "bn", "timezone": "Dhaka"}
    )
    assert bad.status_code == 422 and "not an IANA time zone" in bad.text and account(engine, user_id) == (None, None)
    saved = client.post(
        "/account",
        data={"csrf_token": hidden(page.text, "csrf_token"), "locale": "zh-Hans", "timezone": "Asia/Shanghai"},
    )
    assert saved.status_code == 200 and "设置已保存" in saved.text  # followed to the page, now in Chinese
    assert account(engine, user_id) == ("zh-Hans", "Asia/Shanghai")
    assert "Asia/Shanghai" in saved.text
