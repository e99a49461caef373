"""Language and market codes: what is read as which code, what is refused (with the nearest codes), and the rule
of who reads which language."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from safetyops import locale_codes as codes
from safetyops.errors import InvalidInput


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("bn", "bn"),
        ("en", "en"),
        ("zh", "zh"),  # kept as written: stored data with 'zh' keeps its code
        ("zh-Hans", "zh-Hans"),
        ("zh-Hant", "zh-Hant"),
        ("zh-hans", "zh-Hans"),
        ("ZH_HANT_tw", "zh-Hant-TW"),
        ("EN-gb", "en-GB"),
        ("pt-BR", "pt-BR"),
        ("sr-Latn", "sr-Latn"),
        ("fil", "fil"),
    ],
)
def test_codes_are_stored_standardised(given: str, code: str) -> None:
    resolved = codes.language(given)
    assert resolved.code == code
    assert resolved.note is None  # a change of case or separator is no news


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("Bengali", "bn"),
        ("bengali", "bn"),
        ("Bangla", "bn"),
        ("বাংলা", "bn"),
        ("English", "en"),
        ("Mandarin", "zh"),
        ("Chinese", "zh"),
        ("中文", "zh"),
        ("Simplified Chinese", "zh-Hans"),
        ("Traditional Chinese", "zh-Hant"),
        ("ben", "bn"),  # ISO 639-2/3 -> the two-letter code
        ("eng", "en"),
        ("cmn", "zh"),  # Mandarin, the macrolanguage's main member
        ("iw", "he"),  # deprecated -> current
    ],
)
def test_names_and_other_codes_are_read_with_a_note(given: str, code: str) -> None:
    resolved = codes.language(given)
    assert resolved.code == code
    assert resolved.note is not None and f"'{given}' read as {code}" in resolved.note


def test_bengali_is_bn_with_its_name_in_the_note() -> None:
    assert codes.language("Bengali") == codes.Resolved("bn", "'Bengali' read as bn (Bengali)")
    assert codes.market("Bangladesh") == codes.Resolved("BD", "'Bangladesh' read as BD (Bangladesh)")


@pytest.mark.parametrize(
    ("given", "nearest"),
    [
        ("Bengalli", "bn (Bengali)"),
        ("Englsh", "en (English)"),
        ("Mandrin", "zh (Chinese)"),
        ("zh-Hanz", "zh-Hans (Chinese (Simplified))"),
        ("Bengxyz", "bn (Bengali)"),  # not "Beng", the language whose name is a prefix of it
    ],
)
def test_near_misses_are_refused_with_the_nearest_codes(given: str, nearest: str) -> None:
    with pytest.raises(codes.CodeError) as caught:
        codes.language(given)
    assert nearest in caught.value.suggestions
    assert f"'{given}' is not a language code" in str(caught.value) and "did you mean" in str(caught.value)
    assert nearest in str(caught.value)


@pytest.mark.parametrize("given", ["xx", "und", "qaa", "en-x-private", "en-u-ca-buddhist", "123", "", "  ", "a" * 200])
def test_what_is_no_language_is_refused(given: str) -> None:
    with pytest.raises(codes.CodeError):
        codes.language(given)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("BD", "BD"),
        ("bd", "BD"),
        ("BGD", "BD"),
        ("050", "BD"),
        ("Bangladesh", "BD"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),  # exceptionally reserved in ISO 3166-1 for the United Kingdom
        ("China", "CN"),
        ("Turkey", "TR"),
    ],
)
def test_markets(given: str, code: str) -> None:
    assert codes.market(given).code == code


def test_market_refusals_name_the_nearest() -> None:
    with pytest.raises(codes.CodeError) as caught:
        codes.market("Banglades")
    assert caught.value.suggestions[0] == "BD (Bangladesh)" and "did you mean BD (Bangladesh)" in str(caught.value)
    with pytest.raises(codes.CodeError) as caught:
        codes.market("Korea")
    assert {"KR (South Korea)", "KP (North Korea)"} <= set(caught.value.suggestions)
    for bad in ("XX", "EU", "ZZZ", "not a place"):
        with pytest.raises(codes.CodeError):
            codes.market(bad)


def test_read_codes_for_services() -> None:
    found, problems, notes = codes.read_codes(["Bengali", "bn", "en", "Klingonish"], "language", "languages")
    assert found == ["bn", "en"]  # "Bengali" and "bn" are one language
    assert [p.field for p in problems] == ["languages[3]"]
    assert notes == ["languages: 'Bengali' read as bn (Bengali)"]
    with pytest.raises(InvalidInput) as caught:
        codes.require_codes(["GB", "Narnia"], "market", "markets")
    assert caught.value.problems[0].field == "markets[1]"
    assert codes.require_codes(None, "market", "markets") == []


class _Spec(codes.CodeNotes):
    languages: codes.LanguageList = Field(default_factory=list)
    markets: codes.MarketList = Field(default_factory=list)


def test_pydantic_fields_read_names_and_keep_notes() -> None:
    spec = _Spec.model_validate({"languages": ["Bengali", "bn", "zh-hans"], "markets": ["Bangladesh"]})
    assert spec.languages == ["bn", "zh-Hans"] and spec.markets == ["BD"]
    assert spec.code_notes == [
        "languages: 'Bengali' read as bn (Bengali)",
        "markets: 'Bangladesh' read as BD (Bangladesh)",
    ]
    with pytest.raises(ValidationError) as caught:
        _Spec.model_validate({"languages": ["en", "Bengalli"]})
    error = caught.value.errors()[0]
    assert error["loc"] == ("languages", 1) and "did you mean bn (Bengali)" in error["msg"]

    class Plain(BaseModel):  # the field types work without the notes too
        language: codes.LanguageCode

    assert Plain(language="Mandarin").language == "zh"


@pytest.mark.parametrize(
    ("reader", "item", "reads"),
    [
        ("zh", "zh", True),
        ("zh", "zh-Hans", True),
        ("zh", "zh-CN", True),
        ("zh", "zh-SG", True),
        ("zh-Hans", "zh", True),
        ("zh", "zh-Hant", False),  # Traditional script
        ("zh", "zh-TW", False),
        ("zh", "zh-HK", False),
        ("zh-Hant", "zh-TW", True),
        ("zh-Hant", "zh-HK", True),
        ("en", "en-GB", True),
        ("en-GB", "en-US", True),  # region is not a reading skill
        ("bn", "bn-IN", True),
        ("bn", "en", False),
        ("sr", "sr-Latn", False),  # Serbian is written in Cyrillic and in Latin
        ("en", None, True),  # an item with no language
    ],
)
def test_language_matches(reader: str, item: str | None, reads: bool) -> None:
    assert codes.language_matches(reader, item) is reads


def test_readable_gives_the_codes_for_a_sql_filter() -> None:
    in_project = ["zh-Hans", "zh-Hant", "bn", "en-GB", "zh-CN"]
    assert codes.readable(["zh", "bn"], in_project) == ["zh-Hans", "bn", "zh-CN"]
    assert codes.readable(["en"], in_project) == ["en-GB"]
    assert codes.readable([], in_project) == []
    assert codes.reads_any(["bn", "zh-Hant"], "zh-TW") and not codes.reads_any([], "bn")


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("bn", "bn"),
        ("bn-BD", "bn"),
        ("ZH-hans", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh-TW", "zh-Hans"),  # the one Chinese script shipped: better than English
        ("en-GB", "en"),
        ("fr", None),
        ("xx", None),
        ("", None),
        (None, None),
    ],
)
def test_ui_locale(tag: str | None, locale: str | None) -> None:
    assert codes.ui_locale(tag) == locale


def test_names_of_codes() -> None:
    assert codes.language_name("bn") == "Bengali"
    assert codes.language_name("zh-Hans") == "Chinese (Simplified)"
    assert codes.language_name("bn", "zh-Hans") == "孟加拉语"
    assert codes.market_name("BD") == "Bangladesh"
