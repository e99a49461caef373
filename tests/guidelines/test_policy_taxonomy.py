"""The default policy taxonomy loads, is two-level, and maps every category to a DSA category (pure)."""

from __future__ import annotations

import pytest
import yaml

from safetyops.errors import InvalidInput
from safetyops.guidelines.policy import (
    DSA_CATEGORIES,
    default_policy_taxonomy,
    default_taxonomy_text,
    parse_policy_taxonomy,
)
from safetyops.guidelines.taxonomy import validate_answer


def test_default_loads_and_every_category_maps_to_a_dsa_category() -> None:
    policy = default_policy_taxonomy()
    cats = policy.categories()
    assert len(cats) >= 25
    for c in cats:
        group, _, leaf = c.key.partition(".")
        assert group and leaf and policy.category(c.key) is c
        assert c.dsa_category in DSA_CATEGORIES
        assert 1 <= c.severity <= 10 and 0 <= c.exposure_tier <= 3
    keys = {c.key for c in cats}
    assert {"hate.attack", "hate.slur", "harassment.threat", "violence.graphic", "sexual.minors"} <= keys
    assert policy.dsa_mapping()["sexual.minors"] == "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    assert policy.dsa_mapping()["hate.slur"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    # every DSA category is used at least once by the default
    assert set(policy.dsa_mapping().values()) == set(DSA_CATEGORIES)


def test_as_project_taxonomy_validates_answers() -> None:
    tax = default_policy_taxonomy().to_taxonomy()
    assert validate_answer(tax, {"policy": ["hate.slur", "harassment.threat"]}) == []
    assert validate_answer(tax, {"policy": ["none"]}) == []
    assert [p.field for p in validate_answer(tax, {"policy": ["hate.nope"]})] == ["answer.policy"]
    choice = next(c for c in tax.questions[0].choices if c.value == "violence.graphic")
    assert choice.exposure_tier == 3 and choice.policy == "violence.graphic"


def test_a_bad_taxonomy_is_refused_with_the_field() -> None:
    raw = yaml.safe_load(default_taxonomy_text())
    raw["groups"][0]["categories"][0]["dsa_category"] = "STATEMENT_CATEGORY_MADE_UP"
    raw["groups"][1]["categories"][0]["key"] = "hate.insult"  # listed under harassment
    with pytest.raises(InvalidInput) as caught:
        parse_policy_taxonomy(raw, file="t.yaml")
    messages = " ".join(p.message for p in caught.value.problems)
    assert "not a DSA statement-of-reasons category" in messages and "listed under group" in messages
    assert all(p.file == "t.yaml" and p.field for p in caught.value.problems)
