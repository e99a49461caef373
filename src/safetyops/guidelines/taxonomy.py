"""The label schema of a project (its questions) and validation of answers against it.

Prompts, choice labels and help texts are `LocalText`: one string (English) or a map of language -> text
(guidelines/texts.py), so that each labeler reads the questions in their language.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from safetyops.errors import Problem
from safetyops.guidelines.enums import QuestionType
from safetyops.guidelines.texts import LocalText


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=100)
    label: LocalText = ""
    help: LocalText = Field(default="", description="a line that says when to pick this choice")
    policy: str | None = Field(default=None, description="policy category, e.g. 'hate.slur'")
    severity: int | None = Field(default=None, ge=0, le=10)
    exposure_tier: int | None = Field(default=None, ge=0, le=3)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    type: QuestionType
    prompt: LocalText = ""
    help: LocalText = Field(default="", description="guidance shown under the question")
    required: bool = True
    choices: list[Choice] = Field(default_factory=list)
    min_choices: int = 0
    max_choices: int | None = None
    max_length: int = Field(default=2000, ge=1)

    @model_validator(mode="after")
    def _choices_fit_type(self) -> Question:
        if self.type is QuestionType.FREE_TEXT:
            if self.choices:
                raise ValueError(f"question '{self.key}': free_text takes no choices")
            return self
        if len(self.choices) < 2:
            raise ValueError(f"question '{self.key}': a {self.type.value} question needs at least 2 choices")
        values = [c.value for c in self.choices]
        if len(set(values)) != len(values):
            raise ValueError(f"question '{self.key}': choice values must be unique")
        return self

    def choice_values(self) -> list[str]:
        return [c.value for c in self.choices]


class Taxonomy(BaseModel):
    """Questions asked of every item. Ordinal questions list their choices from least to most severe."""

    model_config = ConfigDict(extra="forbid")

    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> Taxonomy:
        keys = [q.key for q in self.questions]
        if len(set(keys)) != len(keys):
            raise ValueError("question keys must be unique")
        return self

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def texts(self) -> dict[str, str | dict[str, str]]:
        """Every text a labeler reads, by where it is ('abuse.prompt', 'abuse.choices.-1.label', ...)."""
        found: dict[str, str | dict[str, str]] = {}
        for q in self.questions:
            found[f"{q.key}.prompt"] = q.prompt
            if q.help:
                found[f"{q.key}.help"] = q.help
            for c in q.choices:
                found[f"{q.key}.choices.{c.value}.label"] = c.label
                if c.help:
                    found[f"{q.key}.choices.{c.value}.help"] = c.help
        return found


def validate_answer(taxonomy: Taxonomy, answer: Any, max_text: int = 10_000) -> list[Problem]:
    """Every way `answer` breaks the taxonomy, each naming the field; an empty list means valid."""
    if not isinstance(answer, dict):
        return [Problem("an answer is an object mapping question keys to values", field="answer")]
    problems = [
        Problem(f"'{key}' is not a question of this project's taxonomy", field=f"answer.{key}")
        for key in answer
        if taxonomy.question(key) is None
    ]
    for q in taxonomy.questions:
        problems.extend(_check_question(q, answer.get(q.key), max_text))
    return problems


def _check_question(q: Question, value: Any, max_text: int) -> list[Problem]:
    where = f"answer.{q.key}"
    if value is None or value == "" or value == []:
        return [Problem("required question has no answer", field=where)] if q.required else []
    if q.type is QuestionType.FREE_TEXT:
        if not isinstance(value, str):
            return [Problem("expects text", field=where)]
        limit = min(q.max_length, max_text)
        if len(value) > limit:
            return [Problem(f"text is {len(value)} characters; the limit is {limit}", field=where)]
        return []
    allowed = q.choice_values()
    if q.type is QuestionType.MULTI_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return [Problem("expects a list of choice values", field=where)]
        bad = [v for v in value if v not in allowed]
        if bad:
            return [Problem(f"{bad} not among the choices {allowed}", field=where)]
        if len(set(value)) != len(value):
            return [Problem("a choice is repeated", field=where)]
        if len(value) < q.min_choices or (q.max_choices is not None and len(value) > q.max_choices):
            return [Problem(f"pick between {q.min_choices} and {q.max_choices or len(allowed)}", field=where)]
        return []
    if not isinstance(value, str):
        return [Problem("expects one choice value (a string)", field=where)]
    if value not in allowed:
        return [Problem(f"'{value}' is not among the choices {allowed}", field=where)]
    return []
