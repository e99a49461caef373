"""Answers are validated against the project's taxonomy, with the field named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from safetyops.guidelines.taxonomy import Taxonomy, validate_answer

TAXONOMY = Taxonomy.model_validate(
    {
        "questions": [
            {"key": "violation", "type": "single_choice", "choices": [{"value": "yes"}, {"value": "no"}]},
            {
                "key": "policies",
                "type": "multi_choice",
                "required": False,
                "max_choices": 2,
                "choices": [
                    {"value": "hate", "policy": "hate.slur"},
                    {"value": "spam"},
                    {"value": "violence"},
                ],
            },
            {
                "key": "severity",
                "type": "ordinal",
                "choices": [{"value": "low"}, {"value": "mid"}, {"value": "high"}],
            },
            {"key": "note", "type": "free_text", "required": False, "max_length": 10},
        ]
    }
)


def fields(answer: object) -> set[str | None]:
    return {p.field for p in validate_answer(TAXONOMY, answer)}


def test_valid_answers_pass() -> None:
    assert validate_answer(TAXONOMY, {"violation": "yes", "severity": "high"}) == []
    assert validate_answer(TAXONOMY, {"violation": "no", "severity": "low", "policies": ["hate"], "note": "ok"}) == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"severity": "low"}, {"answer.violation"}),
        ({"violation": "maybe", "severity": "low"}, {"answer.violation"}),
        ({"violation": ["yes"], "severity": "low"}, {"answer.violation"}),
        ({"violation": "yes", "severity": "low", "policies": "hate"}, {"answer.policies"}),
        ({"violation": "yes", "severity": "low", "policies": ["hate", "hate"]}, {"answer.policies"}),
        (
            {"violation": "yes", "severity": "low", "policies": ["hate", "spam", "violence"]},
            {"answer.policies"},
        ),
        ({"violation": "yes", "severity": "low", "note": "x" * 11}, {"answer.note"}),
        ({"violation": "yes", "severity": "low", "note": 5}, {"answer.note"}),
        ({"violation": "yes", "severity": "low", "extra": 1}, {"answer.extra"}),
        ("yes", {"answer"}),
    ],
)
def test_invalid_answers_name_the_field(answer: object, expected: set[str]) -> None:
    assert fields(answer) == expected


@pytest.mark.parametrize(
    "raw",
    [
        {"questions": []},
        {"questions": [{"key": "a", "type": "single_choice", "choices": [{"value": "x"}]}]},
        {"questions": [{"key": "a", "type": "free_text", "choices": [{"value": "x"}, {"value": "y"}]}]},
        {"questions": [{"key": "a", "type": "single_choice", "choices": [{"value": "x"}, {"value": "x"}]}]},
        {"questions": [{"key": "a", "type": "free_text"}, {"key": "a", "type": "free_text"}]},
        {"questions": [{"key": "bad key", "type": "free_text"}]},
    ],
)
def test_broken_taxonomies_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Taxonomy.model_validate(raw)
