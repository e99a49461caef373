"""The console's gettext catalogs: every string the templates and the web code mark is in every catalog, translated
(not empty, not fuzzy), with the same placeholders; the .pot template is what extraction gives today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from safetyops.web import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def extracted() -> set[str]:
    """The message ids `pybabel extract -F babel.cfg` finds now (templates and the web package's Python)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {str(msg[2]) for msg in extract_from_dir(str(ROOT), method_map, options_map)}
    assert len(found) > 50  # the extraction ran over the templates
    return found


@pytest.fixture(scope="module")
def marked() -> set[str]:
    return extracted()


@pytest.mark.parametrize("locale", list(i18n.LANGUAGES))
def test_every_marked_string_is_translated(locale: str, marked: set[str]) -> None:
    entries = {str(m.id): m for m in i18n.read_catalog(locale) if m.id}
    missing = sorted(marked - set(entries))
    assert missing == [], f"{locale}: not in the catalog (run pybabel update, see CONTRIBUTING.md): {missing}"
    untranslated = sorted(i for i in marked if not entries[i].string or entries[i].fuzzy)
    assert untranslated == [], f"{locale}: empty or fuzzy: {untranslated}"
    obsolete = sorted(set(entries) - marked)
    assert obsolete == [], f"{locale}: no longer used anywhere: {obsolete}"
    for msgid in marked:
        assert set(PLACEHOLDER.findall(str(entries[msgid].string))) == set(PLACEHOLDER.findall(msgid)), msgid


def test_the_template_catalog_is_current(marked: set[str]) -> None:
    with (ROOT / "src/safetyops/web/locales/messages.pot").open("rb") as f:
        template = {str(m.id) for m in read_po(f) if m.id}
    assert template == marked


def test_a_fuzzy_or_empty_entry_falls_back_to_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    po = tmp_path / "bn" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Submit"\nmsgstr "জমা দিন"\n\n'
        '#, fuzzy\nmsgid "Sign out"\nmsgstr "সাইন আউট?"\n\n'
        'msgid "Settings"\nmsgstr ""\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.catalog.cache_clear()
    try:
        _ = i18n.translator("bn")
        assert _("Submit") == "জমা দিন"
        assert _("Sign out") == "Sign out" and _("Settings") == "Settings"
    finally:
        i18n.catalog.cache_clear()


def test_placeholders_are_filled() -> None:
    assert i18n.translator("zh-Hans")("Guideline version %(version)s", version="1.2").endswith("1.2")
    assert i18n.translator("en")("Up to %(n)s characters.", n=5) == "Up to 5 characters."
