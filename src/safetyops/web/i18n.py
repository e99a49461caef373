"""The console's own strings in English, Simplified Chinese and Bengali, and the pick of a locale for a request.

Catalogs are gettext `.po` files (`locales/<locale>/LC_MESSAGES/messages.po`, the format translators' tools
read), with the English text as the message id; templates write `_("English text")` and Python code marks
strings it hands to templates with `N_("...")`, so that `pybabel extract` (babel.cfg) finds every one. The
`.po` files are read directly with Babel when first needed (no compiled `.mo` to build or ship); fuzzy and
empty entries count as untranslated and fall back to English. CONTRIBUTING.md ("Translations") says how to
add or change a string.

Project content (question prompts, choice labels, help texts) is not here: it carries its own translations
(guidelines/texts.py). Item content and service messages are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from safetyops.locale_codes import DEFAULT_UI_LOCALE, UI_LOCALES, ui_locale

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT = DEFAULT_UI_LOCALE
# Locale code -> its own name, shown in the language switcher.
LANGUAGES: dict[str, str] = {"en": "English", "zh-Hans": "简体中文", "bn": "বাংলা"}
assert tuple(LANGUAGES) == UI_LOCALES
COOKIE = "safetyops_lang"

Translator = Callable[..., str]


def N_(message: str) -> str:
    """Marks a string for extraction without translating it (it is translated where it is shown)."""
    return message


def po_path(locale: str) -> Path:
    """`locales/zh_Hans/LC_MESSAGES/messages.po`: gettext's folder names use '_' (`zh-Hans` -> `zh_Hans`)."""
    return LOCALES_DIR / locale.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as f:
        return read_po(f, locale=locale.replace("-", "_"), domain=DOMAIN)


@cache
def catalog(locale: str) -> dict[str, str]:
    """msgid -> translation, translated entries only (not fuzzy, not empty)."""
    return {
        str(m.id): str(m.string)
        for m in read_catalog(locale)
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def translator(locale: str) -> Translator:
    """`_(message, **values)`: the message in `locale` (else the English message itself), with `%(name)s`
    placeholders filled from `values` (Jinja's "newstyle" gettext)."""
    strings = catalog(locale) if locale != DEFAULT else {}

    def gettext(message: str, **values: object) -> str:
        text = strings.get(message) or message
        return text % values if values else text

    return gettext


def normalize(tag: str) -> str | None:
    """A supported locale for a BCP 47 tag ('zh-CN' -> 'zh-Hans', 'bn-BD' -> 'bn'), or None."""
    return ui_locale(tag)


def from_accept_language(header: str) -> str | None:
    """The best supported locale in an Accept-Language header (q-values honoured)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:40]):
        tag, _, params = part.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        code = normalize(tag)
        if code is not None and quality > 0:
            ranked.append((-quality, index, code))
    return min(ranked)[2] if ranked else None


def pick_locale(query: str | None, cookie: str | None, accept_language: str | None, account: str | None = None) -> str:
    """?lang= first, then the signed-in person's choice (kept on their account), then the remembered cookie,
    then the browser's languages, then English."""
    for candidate in (query, account, cookie):
        code = normalize(candidate) if candidate else None
        if code is not None:
            return code
    return from_accept_language(accept_language or "") or DEFAULT


# Words the pages show for values of the domain's vocabularies (marked here so that extraction finds them).
ROLE_NAMES = {
    "requester": N_("requester"),
    "ops_manager": N_("ops manager"),
    "vendor_manager": N_("vendor manager"),
    "qa_reviewer": N_("QA reviewer"),
    "policy_expert": N_("policy expert"),
    "labeler": N_("labeler"),
    "admin": N_("admin"),
    "system": N_("system"),
}
STATUS_NAMES = {
    "draft": N_("draft"),
    "active": N_("active"),
    "paused": N_("paused"),
    "closed": N_("closed"),
}
