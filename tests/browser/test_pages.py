"""The console's pages as people see them: at 1366×768 without sideways scrolling, and accessible (a11y.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser import a11y
from tests.browser.conftest import save_screenshot
from tests.support.browser import BrowserWorld, login

if TYPE_CHECKING:
    from playwright.sync_api import Page

LOCALES = ("en", "zh-Hans", "bn")


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scroll bar)."""
    result: int = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    return result


def suffix(locale: str) -> str:
    return "" if locale == "en" else f"-{locale.lower()}"


@pytest.mark.parametrize(
    ("who", "role"), [("viewer", "labeler"), ("ops", "ops-manager"), ("vendor.lead", "vendor-manager")]
)
def test_the_main_pages_fit_1366_by_768_in_every_language(page: Page, world: BrowserWorld, who: str, role: str) -> None:
    assert page.viewport_size == {"width": 1366, "height": 768}
    for locale in LOCALES:
        page.goto(f"/login?lang={locale}")
        assert horizontal_overflow(page) == 0, f"/login in {locale}"
        if role == "labeler":  # once is enough
            save_screenshot(page, f"login{suffix(locale)}")
    login(page, who)
    pages = {f"home-{role}": "/"}
    if role == "labeler":
        pages["workbench"] = f"/work/{world.projects['viewer']}"
    for name, path in pages.items():
        for locale in LOCALES:
            page.goto(f"{path}?lang={locale}")
            assert horizontal_overflow(page) == 0, f"{path} in {locale} as {who}"
            save_screenshot(page, f"{name}{suffix(locale)}")


def test_the_login_page_is_accessible(page: Page) -> None:
    page.goto("/login")
    assert a11y.check(page) == []
    page.locator("#username").fill("nobody")
    page.locator("#password").fill("wrong password")
    page.keyboard.press("Enter")
    page.wait_for_selector("#login-error")
    assert a11y.check(page) == []  # with the error shown


def test_the_workbench_is_accessible(page: Page, world: BrowserWorld) -> None:
    login(page, world.labelers["viewer"])
    assert a11y.check(page) == []  # the labeler's home
    page.goto(f"/work/{world.projects['viewer']}")
    assert a11y.check(page) == []
    page.keyboard.press("s")  # the skip panel open
    assert a11y.check(page) == []
    page.keyboard.press("Escape")
    page.keyboard.press("?")  # the shortcut help (a modal dialog: the page behind is inert)
    assert a11y.names(page) + a11y.contrast(page) == []
    page.keyboard.press("Escape")
    page.locator("#item-heading").focus()  # the focus checks left it on the last link of the page
    page.keyboard.press("Enter")  # submit with nothing chosen: the problems shown
    page.wait_for_selector("#problems")
    assert a11y.check(page) == []


def test_staff_home_is_accessible(page: Page) -> None:
    login(page, "ops")
    assert a11y.check(page) == []


def test_the_empty_workbench_and_an_error_page_are_accessible(page: Page, world: BrowserWorld) -> None:
    login(page, world.labelers["keys"])  # English only: the scripts project has no work for them
    page.goto(f"/work/{world.projects['scripts']}?lang=zh-Hans")
    assert page.locator("#empty-heading").is_visible()
    assert a11y.check(page) == []
    missing = page.goto("/work/999999")
    assert missing is not None and missing.status == 404
    assert a11y.check(page) == []


BAD_PAGE = """<!doctype html><html><head><style>
  .faint { color: #999; background: #fff; }
  #nofocus:focus { outline: none; }
  #faintring:focus { outline: 2px solid #eee; }
</style></head><body>
  <h2>no h1</h2><h4 aria-describedby="nothing">skips a level</h4><p id="twice"></p><p id="twice"></p>
  <a href="#a">first</a>
  <input id="unlabelled" type="text">
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <button id="empty"></button>
  <p class="faint">grey on white</p>
  <button id="nofocus">no ring</button>
  <button id="faintring">faint ring</button>
  <a href="#b" tabindex="3">jumps the queue</a>
  <button id="trap">back to the start</button>
  <script>document.getElementById("trap").onfocus = () => document.getElementById("unlabelled").focus();</script>
</body></html>"""


def test_the_checker_finds_what_it_looks_for(page: Page) -> None:
    """Each check on a page made to fail it: the checks can fail."""
    page.set_content(BAD_PAGE)
    document = a11y.document(page)
    assert document == [
        "the page has no lang attribute on <html>",
        "the page has no title",
        'id "twice" is used 2 times',
        'h4 ("skips a level") has aria-describedby="nothing", which is no element',
        'heading h4 ("skips a level") skips from h2 to h4',
        "the page has no h1",
        "the page has no <main> landmark",
    ]
    names = a11y.names(page)
    assert any("input#unlabelled" in p and "no label" in p for p in names)
    assert any(p.startswith("image") and "no alt" in p for p in names)
    assert any("button#empty" in p and "no name" in p for p in names)
    assert len(names) == 3
    contrast = a11y.contrast(page)
    assert len(contrast) == 1 and "grey on white" in contrast[0] and "2.85:1" in contrast[0]
    order = a11y.focus_order(page)
    assert any("positive tabindex" in p for p in order)
    assert any("button#nofocus" in p and "no focus indicator" in p for p in order)
    assert any("never reached" in p and "jumps the queue" in p for p in order)
    assert any("went back to input#unlabelled" in p for p in order)
    assert any("focus indicator of button#faintring" in p and "1.16:1" in p for p in order), order
    assert len(order) == 5, order
