"""UI strings in English, Simplified Chinese and Bengali: catalogs, and picking a locale for a request.

Only interface text is translated; item content, taxonomy prompts and service messages are shown as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT = "en"
# Locale code -> its own name, shown in the language switcher.
LANGUAGES: dict[str, str] = {"en": "English", "zh-Hans": "简体中文", "bn": "বাংলা"}
COOKIE = "safetyops_lang"

Translator = Callable[..., str]


@cache
def catalog(locale: str) -> dict[str, str]:
    data = json.loads((LOCALES_DIR / f"{locale}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{locale}.json must hold one object of strings")
    return {str(k): str(v) for k, v in data.items()}


def translator(locale: str) -> Translator:
    """`t(key, **values)`: the string in `locale`, else in English, else the key itself."""
    strings = catalog(locale)
    fallback = catalog(DEFAULT)

    def t(key: str, **values: object) -> str:
        text = strings.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t


def normalize(tag: str) -> str | None:
    """A supported locale for a BCP 47 tag ('zh-CN' -> 'zh-Hans', 'bn-BD' -> 'bn'), or None."""
    tag = tag.strip().replace("_", "-").lower()
    if not tag:
        return None
    for code in LANGUAGES:
        if tag == code.lower():
            return code
    primary = tag.split("-", 1)[0]
    if primary == "zh":
        return "zh-Hans"  # the only Chinese script we ship; better than falling back to English
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str) -> str | None:
    """The best supported locale in an Accept-Language header (q-values honoured)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
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


def pick_locale(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """?lang= first, then the remembered cookie, then the browser's languages, then English."""
    for candidate in (query, cookie):
        code = normalize(candidate) if candidate else None
        if code is not None:
            return code
    return from_accept_language(accept_language or "") or DEFAULT
