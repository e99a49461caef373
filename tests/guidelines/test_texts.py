"""Project text in several languages: what a reader of each language sees, the fallback to English with its
marker, never a raw key; the demo and default taxonomies are complete in English, Chinese and Bengali (pure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from safetyops.demo import DEMO_TAXONOMY
from safetyops.guidelines.policy import default_policy_taxonomy
from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.guidelines.texts import (
    Shown,
    example_in,
    label_for_key,
    localize,
    missing_translations,
    shown_or_key,
    translations,
)

LANGS = ["en", "zh-Hans", "bn"]
TEXT = {"en": "Type of abuse", "zh-Hans": "辱骂类型", "bn": "অপমানের ধরন"}


def test_each_reader_gets_their_language() -> None:
    assert localize(TEXT, "bn") == Shown("অপমানের ধরন", "bn", False)
    assert localize(TEXT, "zh-Hans") == Shown("辱骂类型", "zh-Hans", False)
    assert localize(TEXT, "zh") == Shown("辱骂类型", "zh-Hans", False)  # a reader of zh reads zh-Hans
    assert localize(TEXT, "en-GB") == Shown("Type of abuse", "en", False)


def test_untranslated_falls_back_to_english_marked() -> None:
    assert localize({"en": "Who is targeted?"}, "bn") == Shown("Who is targeted?", "en", True)
    assert localize("Who is targeted?", "bn") == Shown("Who is targeted?", "en", True)  # a plain string is English
    assert localize("Who is targeted?", "en") == Shown("Who is targeted?", "en", False)
    assert localize({"zh-Hant": "誰是目標？"}, "bn") == Shown("誰是目標？", "zh-Hant", True)  # no English: any
    assert localize({"en": "x", "zh-Hant": "y"}, "zh-Hans") == Shown("x", "en", True)  # Traditional is not Simplified
    assert localize("", "bn") is None and localize(None, "bn") is None


def test_no_raw_key_is_ever_a_label() -> None:
    assert label_for_key("hate_speech") == "Hate speech"
    assert label_for_key("hate.slur") == "Hate: slur"
    shown = shown_or_key("", "bn", "hate_speech")
    assert shown == Shown("Hate speech", "en", True)
    assert shown_or_key("", "en", "sex_harassment") == Shown("Sex harassment", "en", False)


def test_taxonomy_texts_are_checked() -> None:
    question = {"key": "q", "type": "single_choice", "choices": [{"value": "a"}, {"value": "b"}]}
    taxonomy = Taxonomy.model_validate(
        {"questions": [{**question, "prompt": {"Bengali": "প্রশ্ন", "EN": "Question"}, "help": "Read it all"}]}
    )
    assert taxonomy.questions[0].prompt == {"bn": "প্রশ্ন", "en": "Question"}  # codes read and standardised
    for bad, why in (
        ({"Klingonish": "x"}, "not a language code"),
        ({"bn": ""}, "empty"),
        ({}, "at least one language"),
        (["a list"], "a string or a map"),
        ({"bn": "x", "Bengali": "y"}, "two texts for bn"),
    ):
        with pytest.raises(ValidationError, match=why):
            Taxonomy.model_validate({"questions": [{**question, "prompt": bad}]})


@pytest.mark.parametrize(
    "taxonomy",
    [Taxonomy.model_validate(DEMO_TAXONOMY), default_policy_taxonomy().to_taxonomy()],
    ids=["demo", "default"],
)
def test_shipped_taxonomies_are_complete_in_three_languages(taxonomy: Taxonomy) -> None:
    texts = taxonomy.texts()
    assert missing_translations(texts, LANGS) == {lang: [] for lang in LANGS}
    for where, text in texts.items():
        given = translations(text)
        assert set(given) == set(LANGS), where
        assert len({given["en"], given["zh-Hans"], given["bn"]}) == 3, where  # really translated


def test_default_policy_names_are_translated() -> None:
    policy = default_policy_taxonomy()
    for item in [*policy.groups, *policy.categories()]:
        for field in (item.name, item.description):
            assert set(translations(field)) == set(LANGS), item.key


def test_examples_in_a_language() -> None:
    text, why = example_in("bn", "you are useless", "An insult at the agent.", {"bn": {"rationale": "এজেন্টকে অপমান।"}})
    assert text == Shown("you are useless", "en", True) and why == Shown("এজেন্টকে অপমান।", "bn", False)
    text, why = example_in("zh-Hans", "x", "y", None)
    assert text is not None and text.fallback and why is not None and why.text == "y"
