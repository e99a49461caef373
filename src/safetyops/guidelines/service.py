"""Guideline use cases: append-only versions, examples, publishing (with notices), diffs, proposals.

Guideline text is Markdown stored as text; it is never rendered or executed here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.policies import GuidelinePolicy, deny, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.errors import Conflict, InvalidInput, NotFound, Problem
from safetyops.guidelines.enums import ExampleKind, ExampleStatus
from safetyops.guidelines.models import GuidelineExample, GuidelineNotice, GuidelineVersion, NoticeReceipt
from safetyops.projects.models import Item, Project
from safetyops.workforce import training_service

MAX_TEXT = 1_000_000
MAX_EXAMPLE = 20_000
_VERSION = re.compile(r"^(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})$")


def parse_version(version: str, field_name: str = "version") -> tuple[int, int]:
    """'1.0' -> (1, 0). Versions are MAJOR.MINOR; a major bump means labelers must re-certify."""
    match = _VERSION.match(version.strip())
    if match is None:
        raise InvalidInput(
            f"'{version}' is not a guideline version",
            [Problem("write MAJOR.MINOR, e.g. 1.0, 1.1 or 2.0", field=field_name)],
        )
    return int(match.group(1)), int(match.group(2))


def get_version(session: Session, project_id: int, version: str) -> GuidelineVersion:
    row = session.scalar(
        select(GuidelineVersion).where(GuidelineVersion.project_id == project_id, GuidelineVersion.version == version)
    )
    if row is None:
        raise NotFound(f"project {project_id} has no guideline version {version}")
    return row


def list_versions(session: Session, principal: Principal, project_id: int) -> list[GuidelineVersion]:
    """A project's versions, oldest first, for anyone who may read the project."""
    readable_project(session, principal, project_id)
    return versions_of(session, project_id)


def versions_of(session: Session, project_id: int) -> list[GuidelineVersion]:
    """Building block: a project's versions, oldest first."""
    rows = session.scalars(select(GuidelineVersion).where(GuidelineVersion.project_id == project_id))
    return sorted(rows, key=lambda v: (v.major, v.minor))


def examples_of(
    session: Session, version: GuidelineVersion, status: ExampleStatus | None = None
) -> list[GuidelineExample]:
    query = select(GuidelineExample).where(GuidelineExample.version_id == version.id).order_by(GuidelineExample.id)
    if status is not None:
        query = query.where(GuidelineExample.status == status.value)
    return list(session.scalars(query))


def editable_project(session: Session, principal: Principal, project_id: int) -> Project:
    """The project, for a guideline editor (403 for anyone else, before the project is looked up)."""
    GuidelinePolicy.can_edit.require(principal)
    return readable_project(session, principal, project_id)


@dataclass
class VersionView:
    """A version with its accepted examples, and the proposals this person may see."""

    version: GuidelineVersion
    examples: list[GuidelineExample]
    proposed_examples: list[GuidelineExample]


def read_version(session: Session, principal: Principal, project_id: int, version: str) -> VersionView:
    """A version's text and examples; proposals only for editors and QA reviewers."""
    readable_project(session, principal, project_id)
    row = get_version(session, project_id, version)
    examples = examples_of(session, row)
    shown = GuidelinePolicy.sees_proposals(principal)
    return VersionView(
        row,
        [e for e in examples if e.status == ExampleStatus.ACCEPTED.value],
        [e for e in examples if e.status == ExampleStatus.PROPOSED.value and shown],
    )


def create_version(
    session: Session,
    principal: Principal,
    project_id: int,
    version: str,
    text: str,
    *,
    what_changed: str = "",
    carry_examples: bool = True,
) -> GuidelineVersion:
    """A new draft version (guideline editors); it must be newer than every existing one. Accepted examples
    carry forward."""
    project = editable_project(session, principal, project_id)
    major, minor = parse_version(version)
    if len(text) > MAX_TEXT:
        raise InvalidInput("guideline text too long", [Problem(f"the limit is {MAX_TEXT} characters", field="text")])
    if "\x00" in text:
        raise InvalidInput("guideline text has a NUL character", [Problem("remove it", field="text")])
    existing = versions_of(session, project.id)
    if existing and (major, minor) <= (existing[-1].major, existing[-1].minor):
        raise Conflict(f"version {version} is not newer than {existing[-1].version}; versions only go forward")
    row = GuidelineVersion(
        project_id=project.id,
        version=f"{major}.{minor}",
        major=major,
        minor=minor,
        text=text,
        what_changed=what_changed,
        created_by=principal.user_id,
    )
    session.add(row)
    session.flush()
    if carry_examples and existing:
        for ex in examples_of(session, existing[-1], ExampleStatus.ACCEPTED):
            session.add(
                GuidelineExample(
                    version_id=row.id,
                    kind=ex.kind,
                    text=ex.text,
                    rationale=ex.rationale,
                    item_id=ex.item_id,
                    source=ex.source,
                    translations=ex.translations,
                    created_by=ex.created_by,
                )
            )
        session.flush()
    record(session, principal, "guideline.create", "project", project.id, {"version": row.version})
    return row


def _check_item(session: Session, project_id: int, item_id: int | None) -> None:
    if item_id is None:
        return
    item = session.get(Item, item_id)
    if item is None or item.project_id != project_id:
        raise InvalidInput("unknown item", [Problem(f"project {project_id} has no item {item_id}", field="item_id")])


def add_example(
    session: Session,
    principal: Principal,
    project_id: int,
    version: str,
    kind: ExampleKind | str,
    text: str,
    rationale: str,
    *,
    item_id: int | None = None,
    source: str = "",
    translations: dict[str, dict[str, str]] | None = None,
) -> GuidelineExample:
    """Attach an example to a version: accepted from a guideline editor, proposed from a QA reviewer (for an
    editor to accept). `translations`: {language code: {"text": ..., "rationale": ...}} for labelers who read
    another language (guidelines.texts.localize picks one)."""
    if not GuidelinePolicy.can_add_example(principal):
        raise deny("only policy experts, ops managers and QA reviewers add examples")
    project = readable_project(session, principal, project_id)
    status = ExampleStatus.ACCEPTED if GuidelinePolicy.can_edit(principal) else ExampleStatus.PROPOSED
    example = insert_example(
        session, project, version, kind, text, rationale, actor=principal, item_id=item_id, source=source, status=status
    )
    if translations:
        example.translations = translations
    return example


def insert_example(
    session: Session,
    project: Project,
    version: str,
    kind: ExampleKind | str,
    text: str,
    rationale: str,
    *,
    actor: Principal | int | None,
    item_id: int | None = None,
    source: str = "",
    status: ExampleStatus = ExampleStatus.ACCEPTED,
) -> GuidelineExample:
    """Building block: attach an example to a version. Accepted examples go on drafts only (a published
    version is frozen)."""
    row = get_version(session, project.id, version)
    problems = []
    try:
        kind = ExampleKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in ExampleKind)
        problems.append(Problem(f"'{kind}' is not an example kind; use one of {allowed}", field="kind"))
    if not text.strip():
        problems.append(Problem("an example needs its text", field="text"))
    if len(text) > MAX_EXAMPLE:
        problems.append(Problem(f"the limit is {MAX_EXAMPLE} characters", field="text"))
    if not rationale.strip():
        problems.append(Problem("say why the example is allowed, not allowed or borderline", field="rationale"))
    if problems:
        raise InvalidInput("the example is invalid", problems)
    _check_item(session, project.id, item_id)
    if status is ExampleStatus.ACCEPTED and row.published_at is not None:
        raise Conflict(f"version {row.version} is published and frozen; add the example to a new version")
    example = GuidelineExample(
        version_id=row.id,
        kind=ExampleKind(kind).value,
        text=text,
        rationale=rationale,
        item_id=item_id,
        source=source[:200],
        status=status.value,
        created_by=actor.user_id if isinstance(actor, Principal) else actor,
    )
    session.add(example)
    session.flush()
    record(
        session,
        actor,
        "guideline.example" if status is ExampleStatus.ACCEPTED else "guideline.propose_example",
        "guideline_example",
        example.id,
        {"project_id": project.id, "version": row.version, "kind": example.kind},
    )
    return example


def propose_example(
    session: Session,
    project_id: int,
    version: str,
    text: str,
    kind: ExampleKind | str,
    rationale: str,
    source: str,
    *,
    item_id: int | None = None,
    actor_id: int | None = None,
) -> GuidelineExample:
    """A proposed example (e.g. from a calibration session's disagreement) for a policy expert to accept.

    For the quality area: `source` says where it came from (e.g. "calibration:12"). A proposal can target a
    published version; it stays out of that version until accepted into a draft.
    """
    project = session.get(Project, project_id)
    if project is None:
        raise hidden("project", project_id)
    return insert_example(
        session,
        project,
        version,
        kind,
        text,
        rationale,
        actor=actor_id,
        item_id=item_id,
        source=source,
        status=ExampleStatus.PROPOSED,
    )


def accept_example(
    session: Session, principal: Principal, project_id: int, example_id: int, *, into_version: str | None
) -> GuidelineExample:
    """Accept a proposal (guideline editors): in place when its version is a draft, else copied into the draft
    `into_version`."""
    project = editable_project(session, principal, project_id)
    example = session.get(GuidelineExample, example_id)
    version = session.get(GuidelineVersion, example.version_id) if example else None
    if example is None or version is None or version.project_id != project.id:
        raise hidden("example", example_id)
    if example.status != ExampleStatus.PROPOSED.value:
        raise Conflict(f"example {example_id} is already accepted")
    target = version if into_version is None else get_version(session, project.id, into_version)
    if target.published_at is not None:
        raise Conflict(f"version {target.version} is published and frozen; name a draft version to accept into")
    if target.id == version.id:
        example.status = ExampleStatus.ACCEPTED.value
        accepted = example
    else:
        accepted = GuidelineExample(
            version_id=target.id,
            kind=example.kind,
            text=example.text,
            rationale=example.rationale,
            item_id=example.item_id,
            source=example.source,
            translations=example.translations,
            created_by=principal.user_id,
        )
        session.add(accepted)
    session.flush()
    record(session, principal, "guideline.accept_example", "guideline_example", accepted.id, {"proposal": example_id})
    return accepted


@dataclass
class PublishResult:
    version: GuidelineVersion
    previous: str
    notice_id: int
    recipients: int
    major_bump: bool
    certifications_expired: int


def publish_version(session: Session, principal: Principal, project_id: int, version: str) -> PublishResult:
    """Make a version the one in force (guideline editors): Project.guideline_version, a notice to labelers,
    and on a major bump the expiry of the old certification (labelers re-certify before production tasks)."""
    project = editable_project(session, principal, project_id)
    row = get_version(session, project.id, version)
    if row.published_at is not None:
        raise Conflict(f"version {row.version} is already published")
    published = [v for v in versions_of(session, project.id) if v.published_at is not None]
    if published and (row.major, row.minor) <= (published[-1].major, published[-1].minor):
        raise Conflict(f"version {row.version} is older than the published {published[-1].version}")
    previous = project.guideline_version
    old_major = training_service.guideline_major(previous)
    row.published_at = datetime.now(UTC)
    row.published_by = principal.user_id
    project.guideline_version = row.version
    major_bump = row.major > old_major
    expired = (
        training_service.expire_for_major_bump(session, project, old_major, row.major, principal) if major_bump else 0
    )
    title = f"Guideline {row.version} is in force" + (" — re-certification needed" if major_bump else "")
    body = row.what_changed or f"The guideline changed from {previous} to {row.version}."
    notice = GuidelineNotice(project_id=project.id, version_id=row.id, title=title[:200], body=body)
    session.add(notice)
    session.flush()
    people = training_service.trainees(session, project.id, None)
    session.add_all(NoticeReceipt(notice_id=notice.id, labeler_id=lab.id) for lab in people)
    session.flush()
    record(
        session,
        principal,
        "guideline.publish",
        "project",
        project.id,
        {"version": row.version, "previous": previous, "major_bump": major_bump, "expired": expired},
    )
    return PublishResult(row, previous, notice.id, len(people), major_bump, expired)


@dataclass
class GuidelineDiff:
    from_version: str
    to_version: str
    unified: str
    examples_added: list[dict[str, Any]] = field(default_factory=list)
    examples_removed: list[dict[str, Any]] = field(default_factory=list)


def _example_key(ex: GuidelineExample) -> tuple[str, str]:
    return (ex.kind, ex.text.strip())


def _example_view(ex: GuidelineExample) -> dict[str, Any]:
    return {"id": ex.id, "kind": ex.kind, "text": ex.text, "rationale": ex.rationale, "item_id": ex.item_id}


def diff_versions(
    session: Session, principal: Principal, project_id: int, from_version: str, to_version: str
) -> GuidelineDiff:
    """A unified diff of the Markdown text and the accepted examples added and removed (by kind and text)."""
    readable_project(session, principal, project_id)
    a = get_version(session, project_id, from_version)
    b = get_version(session, project_id, to_version)
    unified = "".join(
        difflib.unified_diff(
            a.text.splitlines(keepends=True),
            b.text.splitlines(keepends=True),
            fromfile=f"guideline {a.version}",
            tofile=f"guideline {b.version}",
        )
    )
    old = {_example_key(e): e for e in examples_of(session, a, ExampleStatus.ACCEPTED)}
    new = {_example_key(e): e for e in examples_of(session, b, ExampleStatus.ACCEPTED)}
    return GuidelineDiff(
        a.version,
        b.version,
        unified,
        [_example_view(e) for k, e in new.items() if k not in old],
        [_example_view(e) for k, e in old.items() if k not in new],
    )


# --- notices ------------------------------------------------------------------------------------------------------


@dataclass
class NoticeView:
    id: int
    project_id: int
    version: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


def notices_for(session: Session, principal: Principal, unread_only: bool = True) -> list[NoticeView]:
    """The "what changed" notices sent to the caller (none for people who are not labelers)."""
    if principal.labeler_id is None:
        return []
    return my_notices(session, principal.labeler_id, unread_only=unread_only)


def read_notice(session: Session, principal: Principal, notice_id: int) -> None:
    """Mark one of the caller's notices read (notices are sent to labelers)."""
    if principal.labeler_id is None or not GuidelinePolicy.can_read_notices(principal):
        raise deny("notices are sent to labelers")
    mark_read(session, notice_id, principal.labeler_id)


def my_notices(session: Session, labeler_id: int, unread_only: bool = True) -> list[NoticeView]:
    """Building block: a labeler's notices, newest first."""
    query = (
        select(GuidelineNotice, NoticeReceipt.read_at, GuidelineVersion.version)
        .join(NoticeReceipt, NoticeReceipt.notice_id == GuidelineNotice.id)
        .join(GuidelineVersion, GuidelineVersion.id == GuidelineNotice.version_id)
        .where(NoticeReceipt.labeler_id == labeler_id)
        .order_by(GuidelineNotice.id.desc())
    )
    if unread_only:
        query = query.where(NoticeReceipt.read_at.is_(None))
    return [
        NoticeView(n.id, n.project_id, version, n.title, n.body, n.created_at, read_at)
        for n, read_at, version in session.execute(query)
    ]


def mark_read(session: Session, notice_id: int, labeler_id: int) -> None:
    receipt = session.get(NoticeReceipt, (notice_id, labeler_id))
    if receipt is None:
        raise hidden("notice", notice_id)
    if receipt.read_at is None:
        receipt.read_at = datetime.now(UTC)


def unread_count(session: Session, notice_id: int) -> tuple[int, int]:
    """(unread, total) receipts of a notice: who has not read what changed yet."""
    rows = list(session.scalars(select(NoticeReceipt.read_at).where(NoticeReceipt.notice_id == notice_id)))
    return sum(1 for r in rows if r is None), len(rows)
