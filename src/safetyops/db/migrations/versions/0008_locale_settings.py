"""users: interface language and time zone as chosen; guideline examples: translations; stored codes normalised

- `users.locale` was NOT NULL with the default 'en', and nothing ever set it: every row holds the default, not a
  choice. It becomes nullable and is cleared, so that "not chosen" (the browser's languages are used) is told
  apart from a choice of English. `users.timezone` (IANA name, nullable) is new.
- `guideline_examples.translations` (JSON, nullable): an example's text and rationale in other languages.
- Language and market codes stored before they were checked (safetyops.locale_codes) are brought to the form
  that module stores, where that form is certain: a language tag's case and separator (`EN` -> `en`,
  `zh_hans` -> `zh-Hans`), ISO 639-2/3 and deprecated codes (`ben` -> `bn`, `iw` -> `he`), an exact ISO 639 name
  (`Bengali` -> `bn`); a market's case, alpha-3 code or exact ISO 3166 name (`bd`, `BGD`, `Bangladesh` -> `BD`,
  `UK` -> `GB`). A value that reads as nothing is left as it is (nothing is lost; it matches no labeler until
  fixed). Items (by distinct value: one UPDATE per value to change), projects and labelers (their lists) are
  normalised; labeling requests are not (a request keeps its spec as filed; reading it maps names the same way).
  Already-standard codes (`zh`, `bn`, `en`, `zh-Hans`) do not change, so nothing stored matches differently.

The normalising uses langcodes and pycountry (libraries, not application code), as locale_codes does.

Revision ID: 0008_locale_settings
Revises: 0007_data_credit
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from typing import Any

import langcodes
import pycountry
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_locale_settings"
down_revision = "0007_data_credit"
branch_labels = None
depends_on = None

_RESERVED_MARKETS = {"UK": "GB", "EL": "GR"}


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _language(value: Any) -> Any:
    """The standard form of a stored language value, or the value itself when it reads as no language."""
    if not isinstance(value, str) or not value.strip():
        return value
    text = value.strip()
    try:
        tag = langcodes.standardize_tag(text.replace("_", "-"), macro=True)
        parsed = langcodes.Language.get(tag)
        if parsed.is_valid() and parsed.language not in (None, "und") and not parsed.private and len(tag) <= 16:
            return tag
    except (langcodes.LanguageTagError, ValueError):
        pass
    try:
        found = pycountry.languages.lookup(text)
    except LookupError:
        return value
    return getattr(found, "alpha_2", None) or value


def _market(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        return value
    text = value.strip()
    if text.upper() in _RESERVED_MARKETS:
        return _RESERVED_MARKETS[text.upper()]
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return value


def _normalise_column(table: str, column: str, read: Any) -> None:
    conn = op.get_bind()
    rows = sa.table(table, sa.column(column, sa.String))
    values = [r[0] for r in conn.execute(sa.select(rows.c[column]).distinct()) if r[0] is not None]
    for old in values:
        new = read(old)
        if new != old:
            conn.execute(rows.update().where(rows.c[column] == old).values({column: new}))


def _normalise_lists(table: str) -> None:
    conn = op.get_bind()
    rows = sa.table(table, sa.column("id", sa.Integer), sa.column("languages", _json()), sa.column("markets", _json()))
    for row_id, languages, markets in conn.execute(sa.select(rows.c.id, rows.c.languages, rows.c.markets)).all():
        new_languages = _unique([_language(v) for v in languages or []])
        new_markets = _unique([_market(v) for v in markets or []])
        if new_languages != (languages or []) or new_markets != (markets or []):
            conn.execute(rows.update().where(rows.c.id == row_id).values(languages=new_languages, markets=new_markets))


def _unique(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        # SQLite cannot drop NOT NULL in place, and a batch rebuild of `users` would trip the foreign keys that
        # point at it; the column held only its default, so it is dropped and added back nullable (SQLite 3.35+).
        op.execute("ALTER TABLE users DROP COLUMN locale")
        op.add_column("users", sa.Column("locale", sa.String(length=16), nullable=True))
    else:
        op.alter_column("users", "locale", existing_type=sa.String(length=16), nullable=True)
        users = sa.table("users", sa.column("locale", sa.String))
        op.execute(users.update().values(locale=None))
    op.add_column("users", sa.Column("timezone", sa.String(length=64), nullable=True))
    op.add_column("guideline_examples", sa.Column("translations", _json(), nullable=True))
    _normalise_column("items", "language", _language)
    _normalise_column("items", "market", _market)
    _normalise_lists("projects")
    _normalise_lists("labelers")


def downgrade() -> None:
    op.drop_column("guideline_examples", "translations")
    op.drop_column("users", "timezone")
    users = sa.table("users", sa.column("locale", sa.String))
    op.execute(users.update().where(users.c.locale.is_(None)).values(locale="en"))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN locale")
        op.add_column("users", sa.Column("locale", sa.String(length=16), nullable=False, server_default="en"))
    else:
        op.alter_column("users", "locale", existing_type=sa.String(length=16), nullable=False)
