"""The labeler workbench in a real browser: keyboard-only labeling, and item content that stays text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import save_screenshot
from tests.support.browser import EVIL_TEXTS, BrowserWorld, labels_of, login
from tests.support.loadtest import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Page

ABUSE = ["1", "0", "-1", "-2", "-3"]  # the demo taxonomy's abuse levels, in the order keys 1-5 pick them
TYPES = ["ableism", "homophobic", "intellectual", "racist", "sexist", "sex_harassment", "transphobic"]
TARGETS = ["generalised", "individual", "system"]


def item_text(page: Page) -> str:
    return page.locator("#workbench .item-text").inner_text()


def wait_for_next_item(page: Page, old_text: str) -> None:
    """Wait until the workbench shows an item whose text is not `old_text` (the test items' texts differ)."""
    page.wait_for_function(
        "(old) => { const el = document.querySelector('#workbench .item-text'); return el && el.innerText !== old; }",
        arg=old_text,
    )


def tab_until(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_labeler_labels_twenty_items_with_the_keyboard_only(
    page: Page, any_server: tuple[ServerProcess, BrowserWorld]
) -> None:
    _, world = any_server
    login(page, world.labelers["keys"])
    project = world.projects["keyboard"]
    tab_until(page, f'a[href="/work/{project}"]')  # from the home page to the project's "Start" link
    page.keyboard.press("Enter")
    page.wait_for_selector("#workbench .item-text")

    page.keyboard.press("?")  # the shortcut help opens and closes from the keyboard
    assert page.locator("#shortcuts").evaluate("d => d.open")
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts").evaluate("d => d.open")

    expected: dict[str, dict[str, object]] = {}
    loads: list[str] = []  # every submit must swap the next item in, not load a whole page
    page.on("framenavigated", lambda frame: loads.append(frame.url))
    for i in range(20):
        text = item_text(page)
        external_id = "k" + text.split("number ")[1].split(":")[0].zfill(3)
        level = i % 5
        page.keyboard.press(str(level + 1))  # the abuse level; the focus moves on to "Type of abuse"
        answer: dict[str, object] = {"abuse": ABUSE[level]}
        if i % 3 == 0:
            page.keyboard.press("2")  # ticks the second type, in the question that has the focus
            answer["type"] = [TYPES[1]]
        if i % 4 == 1:
            tab_until(page, "fieldset[data-question=target] input")  # Tab leaves the types for the targets
            page.keyboard.press("3")
            answer["target"] = TARGETS[2]
        if i == 0:
            save_screenshot(page, "workbench-answered")
        page.keyboard.press("Enter")
        wait_for_next_item(page, text)  # the project has more than 20 items
        # The focus is on the new item as soon as it shows, so the next number key answers its first question.
        assert page.evaluate("document.activeElement.id") == "item-heading"
        assert page.locator("#announcer").inner_text().strip() != ""  # "saved" is announced
        expected[external_id] = answer

    assert loads == []
    stored = labels_of(world.engine(), world.labelers["keys"])
    assert len(expected) == 20
    assert stored == expected


def test_item_content_is_text_and_never_runs(page: Page, world: BrowserWorld) -> None:
    login(page, world.labelers["escape"])
    page.goto(f"/work/{world.projects['escaping']}")
    shown = []
    for i in range(len(EVIL_TEXTS)):  # the first arrives with the page, the others through HTMX swaps
        text = item_text(page)
        shown.append(text)
        assert page.locator("#workbench .item-text").evaluate("el => el.children.length") == 0
        assert page.locator("#workbench .turn-text").inner_text() in EVIL_TEXTS
        assert page.locator("#workbench .speaker").text_content() == "<b>agent</b>"
        assert page.locator("#workbench img, #workbench svg, #workbench script").count() == 0
        page.wait_for_timeout(100)  # an onerror of a broken <img> fires soon after it is parsed
        assert page.evaluate("window.__xss") is None
        if i < len(EVIL_TEXTS) - 1:
            page.keyboard.press("1")
            page.keyboard.press("Enter")
            wait_for_next_item(page, text)
    assert shown == list(EVIL_TEXTS)  # shown verbatim, in priority order
