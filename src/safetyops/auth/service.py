"""User and token use cases: passwords (argon2), API tokens (stored as SHA-256), authentication."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safetyops.auth import policies
from safetyops.auth.audit import record
from safetyops.auth.enums import Role
from safetyops.auth.models import ApiToken, AuditEntry, User
from safetyops.auth.policies import UserPolicy
from safetyops.auth.principal import Principal
from safetyops.cache import ExpiringCache
from safetyops.config import get_settings
from safetyops.errors import Conflict, InvalidInput, NotFound, Problem, Unauthorized
from safetyops.locale_codes import UI_LOCALES, known_zone, ui_locale
from safetyops.workforce.models import Labeler, Site

_hasher = PasswordHasher()
TOKEN_PREFIX = "so_"


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("password too short", [Problem("use at least 8 characters", field="password")])
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def hash_token(raw: str) -> str:
    """API tokens are 256-bit random strings, so one SHA-256 is a safe and fast way to store them."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_user(
    session: Session,
    principal: Principal,
    username: str,
    role: Role,
    *,
    password: str | None = None,
    vendor_id: int | None = None,
    display_name: str = "",
) -> User:
    """A new user account (ops managers and admins; only an admin makes another admin)."""
    if role is Role.SYSTEM:
        raise InvalidInput("'system' is the command line's role; no user holds it", [Problem("", field="role")])
    policies.USER_MANAGERS.require(principal)
    if not UserPolicy.can_create(principal, role):
        raise policies.deny("only an admin creates admins")
    return insert_user(
        session, username, role, password=password, vendor_id=vendor_id, display_name=display_name, actor=principal
    )


def insert_user(
    session: Session,
    username: str,
    role: Role,
    *,
    password: str | None,
    vendor_id: int | None,
    display_name: str,
    actor: Principal,
) -> User:
    """Building block: the account row (create_user and workforce.create_labeler check who may first)."""
    if role is Role.VENDOR_MANAGER and vendor_id is None:
        raise InvalidInput("a vendor manager belongs to a vendor", [Problem("required", field="vendor_id")])
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' already exists")
    user = User(
        username=username,
        role=role.value,
        vendor_id=vendor_id,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.create", "user", user.id, {"username": username, "role": role.value})
    return user


def list_users(session: Session, principal: Principal) -> list[User]:
    policies.USER_MANAGERS.require(principal)
    return list(session.scalars(select(User).order_by(User.id)))


def get_user(session: Session, ref: int | str) -> User:
    user = (
        session.get(User, int(ref)) if str(ref).isdigit() else session.scalar(select(User).where(User.username == ref))
    )
    if user is None:
        raise NotFound(f"no user '{ref}'")
    return user


def create_token(
    session: Session, user: User, name: str = "", *, actor: Principal | int | None = None
) -> tuple[str, ApiToken]:
    """Building block: a new API token for `user` (the actor: the user themself unless given); the raw value is
    returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw), prefix=raw[:10])
    session.add(token)
    try:
        session.flush()
    except IntegrityError as exc:  # pragma: no cover - a 256-bit collision
        raise Conflict("token collision; try again") from exc
    record(session, user.id if actor is None else actor, "token.create", "api_token", token.id, {"user_id": user.id})
    return raw, token


def issue_token(session: Session, principal: Principal, user_id: int, name: str = "") -> tuple[str, ApiToken]:
    """A new API token for a user: one's own, or anyone's for an admin (and the system)."""
    if not UserPolicy.can_manage_tokens(principal, user_id):
        policies.ADMINS.require(principal)  # a rule on the id alone: checked before anything is looked up
    user = session.get(User, user_id)
    if user is None:
        raise policies.hidden("user", user_id)
    return create_token(session, user, name, actor=principal)


def revoke_token(session: Session, principal: Principal, token_id: int) -> None:
    """Revoke a token: one's own, or anyone's for an admin (and the system); others get the hidden 404."""
    token = session.get(ApiToken, token_id)
    if token is None or not UserPolicy.can_manage_tokens(principal, token.user_id):
        raise policies.hidden("token", token_id)
    token.revoked_at = datetime.now(UTC)
    record(session, principal, "token.revoke", "api_token", token_id)
    _cache.clear()


def read_audit(
    session: Session, principal: Principal, limit: int = 100, before_id: int | None = None
) -> list[AuditEntry]:
    """The newest audit entries (admins), before `before_id` when paging back."""
    policies.ADMINS.require(principal)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(min(limit, 1000))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))


# A real argon2 hash to verify against when the user does not exist, so that the answer takes as
# long for an unknown name as for a wrong password (no username discovery by timing).
LOGIN_TOKEN_HOURS = 12


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Made on first use: an argon2 hash takes 64 MiB for a moment, which a server need not pay at start."""
    return _hasher.hash("no such user; timing only")


def login(session: Session, username: str, password: str) -> str:
    """A session token (expires after LOGIN_TOKEN_HOURS) for a correct username and password."""
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not user.is_active or not ok:
        raise Unauthorized("wrong username or password")
    raw, token = create_token(session, user, "login")
    token.expires_at = datetime.now(UTC) + timedelta(hours=LOGIN_TOKEN_HOURS)
    return raw


def principal_for_user(session: Session, user: User) -> Principal:
    labeler = session.scalar(select(Labeler).where(Labeler.user_id == user.id))
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        vendor_id=user.vendor_id if labeler is None else labeler.vendor_id,
        labeler_id=labeler.id if labeler else None,
        labeler_status=labeler.status if labeler else None,
        languages=tuple(labeler.languages or ()) if labeler else (),
        markets=tuple(labeler.markets or ()) if labeler else (),
        certifications=tuple(labeler.certifications or ()) if labeler else (),
    )


# Principals by token hash, so that the hot path does not query per request (lifetime: token_cache_seconds).
_cache: ExpiringCache[str, Principal] = ExpiringCache(ttl=30.0, max_entries=50_000)


def authenticate(engine: Engine, raw_token: str) -> Principal:
    """The principal behind a bearer token; revocations take effect within token_cache_seconds."""
    key = hash_token(raw_token)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with Session(engine) as session:
        row = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == key)
        ).first()
        if row is None:
            raise Unauthorized("unknown API token")
        token, user = row
        now = datetime.now(UTC)
        if token.revoked_at is not None or (token.expires_at is not None and token.expires_at < now):
            raise Unauthorized("API token revoked or expired")
        if not user.is_active:
            raise Unauthorized("user is deactivated")
        principal = principal_for_user(session, user)
    _cache.put(key, principal, get_settings().token_cache_seconds)
    return principal


def clear_auth_cache() -> None:
    _cache.clear()


# --- a person's own settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    """A person's interface language and time zone as chosen (None: not chosen), and the zone their labeler
    profile's site is in (the default for a labeler who has not chosen one)."""

    locale: str | None
    timezone: str | None
    site_timezone: str | None = None

    @property
    def zone(self) -> str:
        """The zone to show times in: the person's, else their site's, else UTC."""
        return self.timezone or self.site_timezone or "UTC"


NOT_GIVEN: Any = object()


def preferences(session: Session, principal: Principal) -> Preferences:
    """The signed-in person's settings (the system principal has none)."""
    if principal.user_id is None:
        return Preferences(None, None)
    row = session.execute(
        select(User.locale, User.timezone, Site.timezone)
        .outerjoin(Labeler, Labeler.user_id == User.id)
        .outerjoin(Site, Site.id == Labeler.site_id)
        .where(User.id == principal.user_id)
    ).first()
    return Preferences(None, None) if row is None else Preferences(row[0], row[1], row[2])


def set_preferences(
    session: Session, principal: Principal, *, locale: str | None = NOT_GIVEN, timezone: str | None = NOT_GIVEN
) -> Preferences:
    """Change one's own interface language (one the console speaks: en, zh-Hans, bn; a tag such as bn-BD is read
    as bn) and time zone (an IANA name such as Asia/Dhaka); None clears the choice. Kept on the account, so the
    next sign-in, on any device, uses them."""
    if principal.user_id is None:
        raise InvalidInput("the system principal has no settings", [Problem("sign in as a person", field="user")])
    user = session.get(User, principal.user_id)
    if user is None:
        raise policies.hidden("user", principal.user_id)
    problems: list[Problem] = []
    changed: dict[str, str | None] = {}
    if locale is not NOT_GIVEN:
        code = None if locale is None else ui_locale(locale)
        if locale is not None and code is None:
            spoken = ", ".join(UI_LOCALES)
            problems.append(Problem(f"'{str(locale)[:40]}' is not a language the console speaks ({spoken})", "locale"))
        else:
            changed["locale"] = code
    if timezone is not NOT_GIVEN:
        if timezone is not None and not known_zone(timezone):
            problems.append(
                Problem(f"'{str(timezone)[:60]}' is not an IANA time zone (e.g. Asia/Dhaka, Europe/London)", "timezone")
            )
        else:
            changed["timezone"] = timezone
    if problems:
        raise InvalidInput("settings not changed", problems)
    for key, value in changed.items():
        setattr(user, key, value)
    if changed:
        record(session, principal, "user.preferences", "user", user.id, changed)
    session.flush()
    return preferences(session, principal)
