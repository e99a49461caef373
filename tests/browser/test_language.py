"""A Bengali-reading labeler's console: chosen once, kept on the account (it survives signing out and signing in
on a browser that asks for English), the workbench in Bengali with the questions and choices in Bengali, and the
lease time in the labeler's own time zone, named."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import text

from tests.browser import a11y
from tests.browser.conftest import save_screenshot
from tests.support.browser import BrowserWorld, labels_of, login
from tests.support.loadtest import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Page


def account_of(world: BrowserWorld, username: str) -> tuple[str | None, str | None]:
    engine = world.engine()
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT locale, timezone FROM users WHERE username = :u"), {"u": username}).one()
            return row[0], row[1]
    finally:
        engine.dispose()


def test_a_bengali_labeler_works_in_bengali_and_in_their_time_zone(
    page: Page, any_server: tuple[ServerProcess, BrowserWorld]
) -> None:
    _, world = any_server
    who = world.labelers["bengali"]
    login(page, who)
    assert page.locator("html").get_attribute("lang") == "en"  # the browser asks for English (en-GB)

    # Bengali from the language picker: the page turns Bengali, and the choice is kept on the account.
    page.get_by_role("button", name="বাংলা").click()
    page.wait_for_function("() => document.documentElement.lang === 'bn'")
    assert page.locator("h1").inner_text() == "হোম"
    assert account_of(world, who)[0] == "bn"

    # The time zone, from the settings page (typed, as a person would).
    page.get_by_role("link", name="সেটিংস").click()
    page.wait_for_selector("#timezone")
    assert a11y.check(page) == []
    page.locator("#timezone").fill("Asia/Dhaka")
    page.get_by_role("button", name="সেটিংস সংরক্ষণ করুন").click()
    page.wait_for_selector("text=আপনার সেটিংস সংরক্ষিত হয়েছে।")
    assert account_of(world, who) == ("bn", "Asia/Dhaka")

    # Sign out, forget this browser's cookies (as another browser would be), sign in again: still Bengali.
    page.get_by_role("button", name="সাইন আউট").click()
    page.wait_for_url("**/login")
    page.context.clear_cookies()
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "en"
    login(page, who)
    assert page.locator("html").get_attribute("lang") == "bn"

    # The workbench: the console's words, the questions and the choices in Bengali; the lease in Dhaka time.
    page.goto(f"/work/{world.projects['bengali']}")
    page.wait_for_selector("#workbench .item-text")
    assert page.locator("#item-heading").inner_text() == "লেবেল করার আইটেম"
    assert page.locator('[data-question="abuse"] legend').inner_text().startswith("ব্যবহারকারীর এই কথাটি কতটা অপমানজনক?")
    labels = page.locator('[data-question="abuse"] label').all_inner_texts()
    assert [label.split(" ", 1)[1] if label[:1].isdigit() else label for label in labels][:2] == [
        "অপমানজনক নয়",
        "অস্পষ্ট",
    ]
    assert page.locator('[data-question="target"] legend').inner_text().startswith("কাকে লক্ষ্য করা হয়েছে?")
    assert page.locator(".untranslated").count() == 0
    lease = page.locator("time[data-lease-expires]")
    ends = datetime.fromisoformat(str(lease.get_attribute("datetime"))).astimezone(ZoneInfo("Asia/Dhaka"))
    assert lease.inner_text() == f"{ends:%H:%M} Asia/Dhaka"
    assert a11y.check(page) == []
    save_screenshot(page, "workbench-bengali-labeler")

    # A label given in Bengali is stored like any other.
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#announcer:has-text('সংরক্ষিত')")
    engine = world.engine()
    try:
        assert [a["abuse"] for a in labels_of(engine, who).values()] == ["1"]
    finally:
        engine.dispose()
