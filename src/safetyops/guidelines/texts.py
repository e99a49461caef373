"""Project text in several languages: question prompts, choice labels, help texts, policy names and guideline
examples, each either one string or a map of language code -> string, and the pick of what a person sees.

Pure: no database, web or CLI code.

A text is written in a taxonomy (YAML or JSON) as

    prompt: How abusive is the user's turn?                  # one string: English, as before translations
    prompt: {en: How abusive…?, zh-Hans: 用户这句话的辱骂程度如何？, bn: ব্যবহারকারীর এই কথাটি কতটা অপমানজনক?}

Keys are language codes (safetyops.locale_codes: checked and standardised; "Bengali" is read as bn). A plain
string is the English text (`SOURCE`), so taxonomies written before translations keep their meaning.

`localize(text, locale)` picks, in order: the text in `locale` itself, in a language `locale`'s reader reads
(locale_codes.language_matches: `zh` for `zh-Hans`), in English, in any language given (the first). When the
language shown is not the one asked for, `Shown.fallback` is true and the page marks it ("EN", not yet
translated). Nothing here ever shows a raw key as a label: `label_for_key` turns a key into words
(`hate_speech` -> "Hate speech") for a choice or question that has no text at all, and marks it as fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator

from safetyops import locale_codes

SOURCE = "en"  # the language of a plain-string text
MAX_TEXT = 4000


@dataclass(frozen=True)
class Shown:
    """The text a person sees, the language it is in, and whether that is not the language they asked for."""

    text: str
    lang: str
    fallback: bool


def _check_text(value: Any) -> str | dict[str, str]:
    """A plain string, or a map of language code -> non-empty string (codes read and standardised)."""
    if value is None:
        return ""
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"text is {len(value)} characters; the limit is {MAX_TEXT}")
        return value
    if not isinstance(value, dict):
        raise ValueError("a text is a string or a map of language code -> string (e.g. {en: ..., bn: ...})")
    texts: dict[str, str] = {}
    for key, text in value.items():
        try:
            code = locale_codes.language(str(key)).code
        except locale_codes.CodeError as exc:
            raise ValueError(f"translation key: {exc}") from None
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"the {code} text is empty; leave the language out until it is translated")
        if len(text) > MAX_TEXT:
            raise ValueError(f"the {code} text is {len(text)} characters; the limit is {MAX_TEXT}")
        if code in texts:
            raise ValueError(f"two texts for {code}")
        texts[code] = text
    if not texts:
        raise ValueError("a map of translations needs at least one language")
    return texts


# A field type for taxonomy and guideline text: a plain string (English) or {language code: text}.
LocalText = Annotated[str | dict[str, str], BeforeValidator(_check_text)]


def translations(text: str | dict[str, str] | None) -> dict[str, str]:
    """Every language a text is given in (a plain string is English; an empty one, none)."""
    if not text:
        return {}
    return {SOURCE: text} if isinstance(text, str) else dict(text)


def localize(text: str | dict[str, str] | None, locale: str) -> Shown | None:
    """What a person who reads `locale` sees of `text` (None when the text is empty in every language)."""
    given = translations(text)
    if not given:
        return None
    if locale in given:
        return Shown(given[locale], locale, False)
    for lang, value in given.items():
        if locale_codes.language_matches(locale, lang):
            return Shown(value, lang, False)
    lang = SOURCE if SOURCE in given else next(iter(given))
    return Shown(given[lang], lang, True)


def label_for_key(key: str) -> str:
    """Words for a key that has no text ('hate_speech' -> 'Hate speech', 'hate.slur' -> 'Hate: slur')."""
    group, _, rest = key.partition(".")
    words = [w for w in group.replace("-", "_").split("_") if w]
    text = " ".join(words) or key
    if rest:
        text += ": " + label_for_key(rest).lower()
    return text[:1].upper() + text[1:]


def shown_or_key(text: str | dict[str, str] | None, locale: str, key: str) -> Shown:
    """`localize`, or the key in words (marked as fallback, in English) when there is no text."""
    return localize(text, locale) or Shown(label_for_key(key), SOURCE, locale != SOURCE)


def missing_translations(texts: dict[str, str | dict[str, str]], languages: list[str]) -> dict[str, list[str]]:
    """For each of `languages`, the names (keys of `texts`) that have no text in it: what translators still owe."""
    return {
        lang: [name for name, text in texts.items() if (shown := localize(text, lang)) is None or shown.fallback]
        for lang in languages
    }


def example_in(
    locale: str, text: str, rationale: str, translations: dict[str, dict[str, str]] | None
) -> tuple[Shown | None, Shown | None]:
    """A guideline example's text and rationale for a reader of `locale` (the example as written counts as
    English; `translations` is {language: {"text": ..., "rationale": ...}}, either part may be missing)."""
    extra = translations or {}
    texts = {SOURCE: text, **{lang: t["text"] for lang, t in extra.items() if t.get("text")}}
    rationales = {SOURCE: rationale, **{lang: t["rationale"] for lang, t in extra.items() if t.get("rationale")}}
    return localize(texts, locale), localize(rationales, locale)
