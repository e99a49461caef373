"""Chinese and Bengali render with real glyphs, not empty boxes: the console's strings and item content.

Chromium reports through the DevTools protocol which platform fonts drew a node's text and how many glyphs each
drew (`CSS.getPlatformFontsForNode`). Text drawn as "tofu" is drawn by a font without the script (a missing glyph
is its .notdef box), so the check is: the fonts that drew the text cover its language, as fontconfig knows it
(`fc-list :lang=…`), except for the few glyphs of spaces, digits and ASCII punctuation, which any font may draw.
`test_the_glyph_check_sees_empty_boxes` shows the check failing on a browser that has no such font.
"""

from __future__ import annotations

import os
import subprocess
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import save_screenshot, skip_or_fail
from tests.support.browser import BENGALI_TEXT, CHINESE_TEXT, CHROMIUM, CHROMIUM_ARGS, BrowserWorld, login

if TYPE_CHECKING:
    from playwright.sync_api import Page, Playwright

FONTCONFIG_LANG = {"zh": "zh-cn", "bn": "bn"}


@pytest.fixture(autouse=True)
def _fonts() -> None:
    """Without Chinese and Bengali fonts these tests skip (or fail under CI), as without Chromium."""
    missing = [lang for lang in FONTCONFIG_LANG if not families_for(lang)]
    skip_or_fail(f"no font covers {', '.join(missing)}: run scripts/browser-deps" if missing else None)


@cache
def families_for(lang: str) -> frozenset[str]:
    """The font families fontconfig says cover `lang` (every name of each family)."""
    try:
        out = subprocess.run(
            ["fc-list", f":lang={FONTCONFIG_LANG[lang]}", "family"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return frozenset()  # no fontconfig tools: no font known to cover anything
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def glyph_problems(page: Page, selector: str, lang: str) -> list[str]:
    """Why the text of the first element matching `selector` is not drawn with fonts covering `lang` (empty: it
    is). Glyphs drawn by other fonts are allowed up to the number of ASCII characters in the text."""
    text: str = page.locator(selector).first.text_content() or ""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    covering = families_for(lang)
    others = [f for f in fonts if f["familyName"] not in covering]
    ascii_chars = sum(1 for ch in text if ch.isascii())
    drawn_by_others = sum(int(f["glyphCount"]) for f in others)
    if not any(f["familyName"] in covering for f in fonts) or drawn_by_others > ascii_chars:
        used = ", ".join(f"{f['familyName']} ({f['glyphCount']} glyphs)" for f in fonts)
        return [
            f"{selector} ({text[:20]!r}…) is drawn by {used}; none of these but {sorted(covering)[:3]} cover '{lang}'"
        ]
    return []


@pytest.mark.parametrize(
    ("locale", "lang", "title"), [("zh-Hans", "zh", "登录"), ("bn", "bn", "সাইন ইন")], ids=["zh-Hans", "bn"]
)
def test_the_login_page_in_chinese_and_bengali_has_real_glyphs(page: Page, locale: str, lang: str, title: str) -> None:
    page.goto(f"/login?lang={locale}")
    assert page.locator("html").get_attribute("lang") == locale
    assert title in (page.locator("h1").text_content() or "")
    assert glyph_problems(page, "h1", lang) == []
    assert glyph_problems(page, "label[for=username]", lang) == []


def test_the_workbench_shows_chinese_and_bengali_items_with_real_glyphs(page: Page, world: BrowserWorld) -> None:
    login(page, world.labelers["scripts"])
    page.goto(f"/work/{world.projects['scripts']}?lang=bn")
    assert page.locator("#workbench .item-text").text_content() == CHINESE_TEXT
    assert page.locator("#workbench .item-text").get_attribute("lang") == "zh"
    assert glyph_problems(page, "#workbench .item-text", "zh") == []
    assert page.locator("#workbench .turn-text").text_content() == BENGALI_TEXT
    assert glyph_problems(page, "#workbench .turn-text", "bn") == []
    assert glyph_problems(page, "#item-heading", "bn") == []  # the console's own strings, in Bengali
    save_screenshot(page, "workbench-chinese-item-bn")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(t) => document.querySelector('#workbench .item-text')?.textContent === t", arg=BENGALI_TEXT
    )
    assert glyph_problems(page, "#workbench .item-text", "bn") == []


def test_the_glyph_check_sees_empty_boxes(playwright: Playwright, tmp_path: Path) -> None:
    """The same check on a Chromium whose fontconfig knows only DejaVu (no CJK, no Bengali) must complain."""
    dejavu = next((p for p in ("/usr/share/fonts/truetype/dejavu",) if Path(p).is_dir()), None)
    if dejavu is None:
        pytest.skip("DejaVu fonts are not installed here, so there is no font-poor browser to compare with")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{dejavu}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    poor = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "FONTCONFIG_FILE": str(conf)}
    )
    try:
        page = poor.new_page()
        page.set_content(f'<p id="zh" lang="zh">{CHINESE_TEXT}</p><p id="bn" lang="bn">{BENGALI_TEXT}</p>')
        assert glyph_problems(page, "#zh", "zh") != []
        assert glyph_problems(page, "#bn", "bn") != []
    finally:
        poor.close()
