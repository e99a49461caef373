"""Language and market codes: read, checked and stored one way, and the rule of who reads which language.

Pure: plain functions over strings (no database, web or CLI code), used wherever a language or a market enters
SafetyOps — project and request files and API bodies, labelers and roster imports, item imports, and a person's
choice of interface language.

- A **language** is a BCP 47 tag (IETF; ISO 639 language, optional ISO 15924 script, ISO 3166 region and
  registered variants), checked with `langcodes` against the IANA subtag registry. It is stored *standardised*:
  case fixed (`zh-hans` -> `zh-Hans`), `_` read as `-`, ISO 639-2/3 codes and deprecated ones replaced by their
  two-letter or current form (`ben` -> `bn`, `eng` -> `en`, `iw` -> `he`), and a macrolanguage's most used member
  written as the macrolanguage (`cmn`, "Mandarin" -> `zh`). What the tag says is kept: `zh` stays `zh` and
  `zh-Hans` stays `zh-Hans` (so data stored before this module keeps its codes); a script or region is never
  added or dropped. Private-use and extension parts (`-x-…`, `-u-…`) and `und` (undetermined) are refused.
- A **market** is an ISO 3166-1 alpha-2 country code, stored in capitals (`BD`), checked with `pycountry`;
  an alpha-3 or numeric code (`BGD`, `050`) is read as its alpha-2 form.
- A common **name** ("Bengali", "বাংলা", "Simplified Chinese"; "Bangladesh", "United Kingdom") is read as its
  code, and the reading comes back as a note to show the person ("'Bengali' read as bn (Bangla)"). Anything else
  is refused with the nearest codes ("did you mean bn (Bangla)?").

Who reads what (`language_matches`): a person who reads `reader` can label an item in `item` when both name the
same language written in the same script once each is completed with its likely subtags (CLDR, BCP 47
"maximize"): `zh` is `zh-Hans-CN`, so a `zh` reader labels `zh`, `zh-Hans`, `zh-CN` and `zh-SG` items but not
`zh-Hant`, `zh-TW` or `zh-HK` ones (Traditional script); `en` reads `en-GB` and `en-IN`, `en-GB` reads `en-US`
(the region of a language is not a reading skill — the market is where a region matters, and it has its own
field); `sr-Latn` and `sr` (Cyrillic) are different. An item with no language is readable by everyone. The
queue, quizzes and gold draw with this rule; since stored codes keep their region, a SQL filter takes the list
`readable(reader_languages, codes_in_the_project)` rather than the reader's own codes.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar
from zoneinfo import available_timezones

import langcodes
import pycountry
from language_data import names as language_names
from pydantic import AfterValidator, BaseModel, PrivateAttr, ValidationInfo, model_validator

from safetyops.errors import InvalidInput, Problem

MAX_CODE = 16  # the width of the stored columns (items.language, items.market)
# The interface languages the web console and its catalogs speak (web/i18n.py). Content (questions, choices)
# may be translated into any language; these are the ones a person can choose for the console.
UI_LOCALES: tuple[str, ...] = ("en", "zh-Hans", "bn")
DEFAULT_UI_LOCALE = "en"

# Country names people write that ISO 3166 (and so pycountry) spells otherwise.
_MARKET_NAMES = {
    "turkey": "TR",
    "russia": "RU",
    "britain": "GB",
    "great britain": "GB",
    "syria": "SY",
    "laos": "LA",
    "ivory coast": "CI",
    "czech republic": "CZ",
    "macau": "MO",
    "vatican": "VA",
    "burma": "MM",
}
# ISO 3166-1 codes that are "exceptionally reserved" for a country that has another code, and that people
# write for it: read as the official code, with a note.
_RESERVED_MARKETS = {"UK": "GB", "EL": "GR"}


class CodeError(ValueError):
    """A value that is not a language or market code, with what it is closest to (the message says both)."""

    def __init__(self, message: str, suggestions: list[str]) -> None:
        super().__init__(message)
        self.suggestions = suggestions


@dataclass(frozen=True)
class Resolved:
    """A value read as a code; `note` says how when the value was not the code itself (a name, an alias)."""

    code: str
    note: str | None = None


# --- languages -------------------------------------------------------------------------------------------------


def language(value: str) -> Resolved:
    """The standardised BCP 47 tag for a language code or a common name; CodeError when it is neither."""
    return _answer(_language(value) if isinstance(value, str) else _not_text(value, "language"))


@functools.lru_cache(maxsize=2048)  # imports read the same few codes on every row
def _language(value: str) -> Resolved | CodeError:
    try:
        return _read_language(value)
    except CodeError as exc:
        return exc


def _read_language(value: str) -> Resolved:
    text = _clean(value, "language")
    if text.casefold() == "und":
        raise CodeError("'und' (undetermined) is not a language: leave the language empty when it is not known", [])
    tag = _language_tag(text)
    if tag is not None:
        # A change of case or of '_' to '-' is no news; another code (ben -> bn, iw -> he) is.
        note = None if tag.casefold() == text.replace("_", "-").casefold() else f"'{text}' read as {tag}"
        return Resolved(tag, note)
    named = _language_by_name(text)
    if named is not None:
        return Resolved(named, f"'{text}' read as {named} ({language_name(named)})")
    raise CodeError(
        f"'{text}' is not a language code (BCP 47, e.g. en, bn, zh-Hans) or a language's name"
        + _did_you_mean(suggest_languages(text)),
        suggest_languages(text),
    )


def language_code(value: str) -> str:
    """`language(value).code`: for validators that keep no note."""
    return language(value).code


def _language_tag(text: str) -> str | None:
    """The standardised tag when `text` is a valid BCP 47 tag SafetyOps stores, else None."""
    if not text.replace("-", "").replace("_", "").isalnum() or not text[:1].isalpha():
        return None
    try:
        tag = langcodes.standardize_tag(text.replace("_", "-"), macro=True)
        parsed = langcodes.Language.get(tag)
    except (langcodes.LanguageTagError, ValueError):
        return None
    if (
        not parsed.is_valid()
        or parsed.language in (None, "und")
        or parsed.extensions
        or parsed.private
        or parsed.extlangs
        or _private_use(parsed.language)
        or len(tag) > MAX_CODE
    ):
        return None
    return tag


def _private_use(subtag: str | None) -> bool:
    return bool(subtag) and len(subtag or "") == 3 and "qaa" <= (subtag or "") <= "qtz"


def _language_by_name(text: str) -> str | None:
    """A language's code from its full name in any language CLDR knows ("Bengali", "বাংলা", "Traditional
    Chinese"). Only whole names: `langcodes.find` also takes a known name with text after it ("Bengxyz" would be
    "Beng", a language of Mexico), which is right for "Hakka Chinese" but not for what a person mistyped."""
    key = language_names.normalize_name(text)
    if key not in _language_name_keys() and key not in _extra_language_names():
        return None
    if key in _extra_language_names():
        return _extra_language_names()[key]
    try:
        found = langcodes.find(text)
    except LookupError:
        return None
    return _language_tag(found.to_tag())


@functools.cache
def _language_name_keys() -> frozenset[str]:
    # language_data keeps one trie of every language's names in every language; `find` loads it on first use.
    langcodes.find("English")
    trie = language_names.TRIES["und/name_to_language"]
    return frozenset(trie.keys())


@functools.cache
def _extra_language_names() -> dict[str, str]:
    """ISO 639 names (pycountry) of the languages with a two-letter code, for names CLDR spells otherwise
    ("Bengali" in ISO 639, "Bangla" in CLDR), and the Chinese scripts as people write them."""
    names: dict[str, str] = {}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None)
        if code:
            for name in (lang.name, getattr(lang, "common_name", None)):
                if name:
                    names[language_names.normalize_name(name)] = code
    names.update(
        {
            "mandarin": "zh",
            "chinese simplified": "zh-Hans",
            "simplified chinese": "zh-Hans",
            "chinese traditional": "zh-Hant",
            "traditional chinese": "zh-Hant",
        }
    )
    return names


def language_name(code: str, in_locale: str = "en") -> str:
    """A language's name for people ("Bengali", "Chinese (Simplified)"; in another language with `in_locale`).
    In English the ISO 639 name is preferred when it is one plain word ("Bengali", where CLDR says "Bangla")."""
    try:
        parsed = langcodes.Language.get(code)
        full = str(parsed.display_name(in_locale))
    except (langcodes.LanguageTagError, ValueError):
        return code
    if in_locale == "en":
        iso = pycountry.languages.get(alpha_2=parsed.language) if len(parsed.language or "") == 2 else None
        if iso is not None and str(iso.name).isalpha():
            full = full.replace(str(parsed.language_name("en")), str(iso.name), 1)
    return full


@functools.cache
def _language_candidates() -> dict[str, str]:
    """Name or code -> code, for suggestions: the two-letter languages, by code and by English names."""
    candidates: dict[str, str] = {}
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None)
        if not code:
            continue
        candidates[code] = code
        candidates[getattr(lang, "alpha_3", code)] = code
        candidates[language_name(code).casefold()] = code
        candidates[lang.name.casefold()] = code
    for tag in ("zh-Hans", "zh-Hant", "pt-BR", "pt-PT", "es-419", "sr-Latn", "en-GB", "en-US"):
        candidates[tag.casefold()] = tag
        candidates[language_name(tag).casefold()] = tag
    for name, tag in _extra_language_names().items():
        candidates.setdefault(name, tag)
    return candidates


def suggest_languages(text: str, limit: int = 3) -> list[str]:
    """The codes nearest to `text`, as 'code (name)' ("bn (Bangla)"), best first."""
    return _suggest(text, _language_candidates(), language_name, limit)


def languages(values: Iterable[str]) -> list[Resolved]:
    """Each value read as a language, duplicates (after reading) dropped, order kept."""
    return _unique(language(v) for v in values)


# --- markets ---------------------------------------------------------------------------------------------------


def market(value: str) -> Resolved:
    """The ISO 3166-1 alpha-2 code for a market code or a country's name; CodeError when it is neither."""
    return _answer(_market(value) if isinstance(value, str) else _not_text(value, "market"))


@functools.lru_cache(maxsize=2048)
def _market(value: str) -> Resolved | CodeError:
    try:
        return _read_market(value)
    except CodeError as exc:
        return exc


def _read_market(value: str) -> Resolved:
    text = _clean(value, "market")
    upper = text.upper()
    if upper in _RESERVED_MARKETS:
        code = _RESERVED_MARKETS[upper]
        return Resolved(code, f"'{text}' read as {code} ({market_name(code)}), its ISO 3166-1 code")
    country = None
    if text.isalnum() and len(text) <= 3:
        country = (
            pycountry.countries.get(alpha_2=upper)
            or pycountry.countries.get(alpha_3=upper)
            or (pycountry.countries.get(numeric=text) if text.isdigit() else None)
        )
    if country is not None:
        code = str(country.alpha_2)
        return Resolved(code, None if code == text else f"'{text}' read as {code}")
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        alias = _MARKET_NAMES.get(text.casefold())
        country = pycountry.countries.get(alpha_2=alias) if alias else None
    if country is not None:
        code = str(country.alpha_2)
        return Resolved(code, f"'{text}' read as {code} ({market_name(code)})")
    raise CodeError(
        f"'{text}' is not a market code (ISO 3166-1 alpha-2, e.g. GB, BD, CN) or a country's name"
        + _did_you_mean(suggest_markets(text)),
        suggest_markets(text),
    )


def market_code(value: str) -> str:
    """`market(value).code`: for validators that keep no note."""
    return market(value).code


def market_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country is not None else code


@functools.cache
def _market_candidates() -> dict[str, str]:
    candidates: dict[str, str] = dict(_MARKET_NAMES)
    for country in pycountry.countries:
        code = str(country.alpha_2)
        candidates[code.casefold()] = code
        candidates[str(country.alpha_3).casefold()] = code
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                candidates[str(name).casefold()] = code
    return candidates


def suggest_markets(text: str, limit: int = 3) -> list[str]:
    """The market codes nearest to `text`, as 'code (name)' ("BD (Bangladesh)"), best first."""
    found = _suggest(text, _market_candidates(), market_name, limit)
    if len(found) < limit:
        try:  # pycountry's own search also finds a name inside a longer one ("Korea" -> KR, KP)
            for country in pycountry.countries.search_fuzzy(text):
                entry = f"{country.alpha_2} ({market_name(str(country.alpha_2))})"
                if entry not in found:
                    found.append(entry)
        except LookupError:
            pass
    return found[:limit]


def markets(values: Iterable[str]) -> list[Resolved]:
    """Each value read as a market, duplicates (after reading) dropped, order kept."""
    return _unique(market(v) for v in values)


def read_codes(values: Iterable[str], kind: str, field: str) -> tuple[list[str], list[Problem], list[str]]:
    """`values` read as languages or markets (`kind`): the codes (duplicates dropped), a Problem naming
    `field[i]` for each value that is neither, and the notes of the values read as another code."""
    codes: list[str] = []
    problems: list[Problem] = []
    notes: list[str] = []
    read = language if kind == "language" else market
    for i, value in enumerate(values):
        try:
            resolved = read(value)
        except CodeError as exc:
            problems.append(Problem(str(exc), field=f"{field}[{i}]"))
            continue
        if resolved.code not in codes:
            codes.append(resolved.code)
        if resolved.note:
            notes.append(f"{field}: {resolved.note}")
    return codes, problems, notes


def require_codes(values: Iterable[str] | None, kind: str, field: str) -> list[str]:
    """`read_codes` for a use case: the codes, or InvalidInput naming every value that is not one."""
    codes, problems, _ = read_codes(values or [], kind, field)
    if problems:
        raise InvalidInput(f"{field}: {len(problems)} not a {kind} code", problems)
    return codes


# --- who reads what --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _written(tag: str) -> tuple[str, str]:
    """(language, script) of a tag completed with its likely subtags: what a reader must know to read it."""
    try:
        full = langcodes.Language.get(tag).maximize()
    except (langcodes.LanguageTagError, ValueError):
        return (tag.casefold(), "")
    return (str(full.language), str(full.script or ""))


def language_matches(reader: str, item: str | None) -> bool:
    """Whether a person who reads `reader` can label an item in language `item` (see the module's docstring:
    same language and script once completed with likely subtags; region ignored; no item language: yes)."""
    if item is None or item == "":
        return True
    return reader == item or _written(reader) == _written(item)


def reads_any(readers: Iterable[str], item: str | None) -> bool:
    """Whether someone reading any of `readers` can label an item in `item` (nobody reads an item in a language
    when they read none; the caller decides what an empty list means)."""
    return any(language_matches(r, item) for r in readers)


def readable(readers: Iterable[str], codes: Iterable[str]) -> list[str]:
    """Those of `codes` (e.g. the languages of a project's items) that someone reading `readers` can label,
    in the order given: the list a SQL filter such as `items.language IN (...)` takes."""
    wanted = list(readers)
    return [c for c in codes if reads_any(wanted, c)]


# --- interface languages ---------------------------------------------------------------------------------------


def ui_locale(tag: str | None) -> str | None:
    """The interface language for a tag, or None when the console does not speak it: exact (any case, `_` or
    `-`), else the same language and script (`bn-BD` -> bn, `en-GB` -> en), else for Chinese the one script
    shipped (`zh-TW` -> zh-Hans: better than English for a reader of Traditional)."""
    text = (tag or "").strip().replace("_", "-")
    if not text or len(text) > 35:
        return None
    for code in UI_LOCALES:
        if text.casefold() == code.casefold():
            return code
    if _language_tag(text) is None:
        return None
    for code in UI_LOCALES:
        if language_matches(code, text):
            return code
    primary = text.split("-", 1)[0].casefold()
    return next((code for code in UI_LOCALES if code.split("-", 1)[0].casefold() == primary), None)


# --- time zones ------------------------------------------------------------------------------------------------


@functools.cache
def time_zones() -> frozenset[str]:
    """The IANA time zones zoneinfo can load (the system's database, else the tzdata package's); read once."""
    return frozenset(available_timezones()) | {"UTC"}


def known_zone(name: object) -> bool:
    """Whether `name` is an IANA time zone such as Asia/Dhaka (checked against zoneinfo's list)."""
    return isinstance(name, str) and name in time_zones()


# --- pydantic ----------------------------------------------------------------------------------------------------


def _checked(reader: Any) -> Any:
    def check(value: str, info: ValidationInfo) -> str:
        try:
            return str(reader(value).code)
        except CodeError as exc:
            if (info.context or {}).get("stored"):
                return value  # read back as stored before codes were checked: kept, never refused
            raise ValueError(str(exc)) from None

    return check


# Field types for API bodies and files: a name is read as its code (models with CodeNotes keep the note).
LanguageCode = Annotated[str, AfterValidator(_checked(language))]
MarketCode = Annotated[str, AfterValidator(_checked(market))]


def _unique_codes(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


LanguageList = Annotated[list[LanguageCode], AfterValidator(_unique_codes)]
MarketList = Annotated[list[MarketCode], AfterValidator(_unique_codes)]


class CodeNotes(BaseModel):
    """A model with language / market fields (named in `code_fields`: field -> "language" or "market") keeps a
    note for each value it read as another code (`code_notes`), for the answer to show the person."""

    code_fields: ClassVar[dict[str, str]] = {"languages": "language", "markets": "market"}
    _code_notes: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _note_codes(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        if isinstance(data, dict):
            model._code_notes = notes_for(data, cls.code_fields)
        return model

    @property
    def code_notes(self) -> list[str]:
        return list(self._code_notes)


def notes_for(data: dict[str, Any], fields: dict[str, str]) -> list[str]:
    """The notes of reading `data`'s language and market fields (values that do not read are skipped: the
    validation of the fields reports them)."""
    notes: list[str] = []
    for field, kind in fields.items():
        raw = data.get(field)
        for value in raw if isinstance(raw, list) else [raw]:
            if not isinstance(value, str):
                continue
            try:
                resolved = language(value) if kind == "language" else market(value)
            except CodeError:
                continue
            if resolved.note:
                notes.append(f"{field}: {resolved.note}")
    return notes


# --- helpers -----------------------------------------------------------------------------------------------------


def _answer(found: Resolved | CodeError) -> Resolved:
    if isinstance(found, CodeError):
        raise CodeError(str(found), found.suggestions)
    return found


def _not_text(value: object, kind: str) -> CodeError:
    return CodeError(f"a {kind} is text, not {type(value).__name__}", [])


def _clean(value: str, kind: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise CodeError(f"a {kind} code is empty", [])
    if len(text) > 100:
        raise CodeError(f"'{text[:40]}…' is not a {kind} code", [])
    return text


def _suggest(text: str, candidates: dict[str, str], name: Any, limit: int) -> list[str]:
    key = text.casefold()
    found: list[str] = []
    for match in difflib.get_close_matches(key, list(candidates), n=limit * 4, cutoff=0.6):
        entry = f"{candidates[match]} ({name(candidates[match])})"
        if entry not in found:
            found.append(entry)
    return found[:limit]


def _did_you_mean(suggestions: list[str]) -> str:
    return f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""


def _unique(resolved: Iterable[Resolved]) -> list[Resolved]:
    seen: dict[str, Resolved] = {}
    for r in resolved:
        seen.setdefault(r.code, r)
    return list(seen.values())
