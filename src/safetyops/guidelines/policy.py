"""The default two-level policy taxonomy (group.category) with severity, exposure tier and DSA mapping.

Pure: reads the YAML file shipped in this package; no database, web or CLI code.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from safetyops.errors import InvalidInput, Problem
from safetyops.guidelines.enums import QuestionType
from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.guidelines.texts import LocalText

DEFAULT_FILE = "default_taxonomy.yaml"

# EU Digital Services Act statement-of-reasons categories, as named by the DSA Transparency Database
# (https://transparency.dsa.ec.europa.eu, API documentation and the `category` field of a statement; the same
# list is in the Commission's source, github.com/digital-services-act/transparency-database,
# app/Models/Statement.php). These are the 14 categories of the original (v1) schema; the 2025 schema
# revision renames a few (e.g. SCOPE_OF_PLATFORM_SERVICE -> OTHER_VIOLATION_TC,
# UNSAFE_AND_ILLEGAL_PRODUCTS -> UNSAFE_AND_PROHIBITED_PRODUCTS) — map at export time if needed.
DSA_CATEGORIES: dict[str, str] = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE": "Animal welfare",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS": "Data protection and privacy violations",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH": "Illegal or harmful speech",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS": "Intellectual property infringements",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS": (
        "Negative effects on civic discourse or elections"
    ),
    "STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR": "Non-consensual behaviour",
    "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT": "Pornography or sexualized content",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS": "Protection of minors",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY": "Risk for public security",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": "Scams and/or fraud",
    "STATEMENT_CATEGORY_SELF_HARM": "Self-harm",
    "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE": "Scope of platform service",
    "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS": "Unsafe and/or illegal products",
    "STATEMENT_CATEGORY_VIOLENCE": "Violence",
}


# The questions `to_taxonomy` asks, in the languages the default taxonomy is written in.
WHICH_POLICIES = {
    "en": "Which policies does this content break?",
    "zh-Hans": "这条内容违反了哪些政策？",
    "bn": "এই কনটেন্টটি কোন কোন নীতি লঙ্ঘন করে?",
}
NO_VIOLATION = {"en": "No violation", "zh-Hans": "未违规", "bn": "কোনো লঙ্ঘন নেই"}
WHY_OPTIONAL = {"en": "Why (optional)", "zh-Hans": "理由（选填）", "bn": "কারণ (ঐচ্ছিক)"}


class PolicyCategory(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z_]*\.[a-z][a-z_]*$", max_length=100)
    name: LocalText
    description: LocalText = ""
    severity: int = Field(ge=1, le=10)
    exposure_tier: int = Field(ge=0, le=3)
    dsa_category: str

    @model_validator(mode="after")
    def _known_dsa_category(self) -> PolicyCategory:
        if self.dsa_category not in DSA_CATEGORIES:
            raise ValueError(f"{self.key}: '{self.dsa_category}' is not a DSA statement-of-reasons category")
        return self


class PolicyGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: LocalText
    description: LocalText = ""
    categories: list[PolicyCategory] = Field(min_length=1)

    @model_validator(mode="after")
    def _categories_in_group(self) -> PolicyGroup:
        for c in self.categories:
            if c.key.split(".", 1)[0] != self.key:
                raise ValueError(f"category '{c.key}' is listed under group '{self.key}'")
        return self


class PolicyTaxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    groups: list[PolicyGroup] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> PolicyTaxonomy:
        keys = [c.key for c in self.categories()] + [g.key for g in self.groups]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"keys must be unique: {', '.join(dupes)}")
        return self

    def categories(self) -> list[PolicyCategory]:
        return [c for g in self.groups for c in g.categories]

    def category(self, key: str) -> PolicyCategory | None:
        return next((c for c in self.categories() if c.key == key), None)

    def dsa_mapping(self) -> dict[str, str]:
        return {c.key: c.dsa_category for c in self.categories()}

    def to_taxonomy(self, multi_label: bool = True) -> Taxonomy:
        """A project label schema asking which policies an item breaks ('none' when it breaks none), in every
        language the policies are written in (each choice's help is the policy's description)."""
        choices: list[dict[str, Any]] = [{"value": "none", "label": NO_VIOLATION, "severity": 0, "exposure_tier": 0}]
        choices += [
            {
                "value": c.key,
                "label": c.name,
                "help": c.description,
                "policy": c.key,
                "severity": c.severity,
                "exposure_tier": c.exposure_tier,
            }
            for c in self.categories()
        ]
        return Taxonomy.model_validate(
            {
                "questions": [
                    {
                        "key": "policy",
                        "type": QuestionType.MULTI_CHOICE if multi_label else QuestionType.SINGLE_CHOICE,
                        "prompt": WHICH_POLICIES,
                        "choices": choices,
                        "min_choices": 1,
                    },
                    {
                        "key": "rationale",
                        "type": QuestionType.FREE_TEXT,
                        "prompt": WHY_OPTIONAL,
                        "required": False,
                        "max_length": 1000,
                    },
                ]
            }
        )


def parse_policy_taxonomy(raw: Any, file: str | None = None) -> PolicyTaxonomy:
    try:
        return PolicyTaxonomy.model_validate(raw)
    except ValidationError as exc:
        problems = [
            Problem(err["msg"], field=".".join(str(p) for p in err["loc"]) or None, file=file) for err in exc.errors()
        ]
        raise InvalidInput("policy taxonomy is invalid", problems) from exc


def default_taxonomy_text() -> str:
    return resources.files("safetyops.guidelines").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")


@functools.cache
def default_policy_taxonomy() -> PolicyTaxonomy:
    """The shipped default taxonomy (validated; cached per process)."""
    return parse_policy_taxonomy(yaml.safe_load(default_taxonomy_text()), file=DEFAULT_FILE)
