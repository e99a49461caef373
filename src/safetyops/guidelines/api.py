"""HTTP routes of the guidelines area: default taxonomy, guideline versions, examples, diffs, notices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from safetyops.auth import policies
from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.auth.enums import Role
from safetyops.auth.principal import Principal
from safetyops.errors import Forbidden
from safetyops.guidelines import service
from safetyops.guidelines.enums import ExampleStatus
from safetyops.guidelines.models import GuidelineExample, GuidelineVersion
from safetyops.guidelines.policy import default_policy_taxonomy
from safetyops.guidelines.schemas import (
    AcceptIn,
    DiffOut,
    ExampleIn,
    ExampleOut,
    NoticeOut,
    PublishOut,
    VersionDetailOut,
    VersionIn,
    VersionOut,
)

router = APIRouter(tags=["guidelines"])

GUIDELINE_EDITORS = (Role.POLICY_EXPERT, Role.OPS_MANAGER, Role.ADMIN)


def _editable(session: Session, principal: Principal, project_id: int) -> Any:
    policies.require_role(principal, *GUIDELINE_EDITORS)
    return policies.readable_project(session, principal, project_id)


def _publish_out(result: service.PublishResult) -> PublishOut:
    return PublishOut(
        version=result.version.version,
        previous=result.previous,
        notice_id=result.notice_id,
        recipients=result.recipients,
        major_bump=result.major_bump,
        certifications_expired=result.certifications_expired,
    )


@router.get("/taxonomies/default")
def default_taxonomy(principal: PrincipalDep, as_project_taxonomy: bool = Query(False)) -> dict[str, Any]:
    """The default two-level policy taxonomy with severity, exposure tier and DSA category per policy."""
    del principal  # any signed-in person may read it
    policy = default_policy_taxonomy()
    if as_project_taxonomy:
        return policy.to_taxonomy().model_dump(mode="json")
    return policy.model_dump(mode="json")


@router.get("/projects/{project_id}/guidelines", response_model=list[VersionOut])
def list_versions(project_id: int, session: SessionDep, principal: PrincipalDep) -> list[GuidelineVersion]:
    policies.readable_project(session, principal, project_id)
    return service.list_versions(session, project_id)


@router.post("/projects/{project_id}/guidelines", response_model=VersionOut, status_code=status.HTTP_201_CREATED)
def create_version(project_id: int, body: VersionIn, session: SessionDep, principal: PrincipalDep) -> GuidelineVersion:
    """Add a new (draft) version; `publish: true` also puts it in force and notifies labelers."""
    project = _editable(session, principal, project_id)
    row = service.create_version(
        session,
        project,
        body.version,
        body.text,
        what_changed=body.what_changed,
        actor_id=principal.user_id,
        carry_examples=body.carry_examples,
    )
    if body.publish:
        service.publish_version(session, project, row.version, actor_id=principal.user_id)
    return row


@router.get("/projects/{project_id}/guidelines/{version}", response_model=VersionDetailOut)
def get_version(project_id: int, version: str, session: SessionDep, principal: PrincipalDep) -> VersionDetailOut:
    policies.readable_project(session, principal, project_id)
    row = service.get_version(session, project_id, version)
    examples = service.examples_of(session, row)
    proposals_visible = principal.role in GUIDELINE_EDITORS or principal.role is Role.QA_REVIEWER
    return VersionDetailOut(
        **VersionOut.model_validate(row).model_dump(),
        text=row.text,
        examples=[ExampleOut.model_validate(e) for e in examples if e.status == ExampleStatus.ACCEPTED.value],
        proposed_examples=[
            ExampleOut.model_validate(e)
            for e in examples
            if e.status == ExampleStatus.PROPOSED.value and proposals_visible
        ],
    )


@router.post("/projects/{project_id}/guidelines/{version}/publish", response_model=PublishOut)
def publish_version(project_id: int, version: str, session: SessionDep, principal: PrincipalDep) -> PublishOut:
    project = _editable(session, principal, project_id)
    return _publish_out(service.publish_version(session, project, version, actor_id=principal.user_id))


@router.post(
    "/projects/{project_id}/guidelines/{version}/examples",
    response_model=ExampleOut,
    status_code=status.HTTP_201_CREATED,
)
def add_example(
    project_id: int, version: str, body: ExampleIn, session: SessionDep, principal: PrincipalDep
) -> GuidelineExample:
    """Attach an example to a draft version. QA reviewers may propose one (for a policy expert to accept)."""
    project = policies.readable_project(session, principal, project_id)
    if principal.role is Role.QA_REVIEWER:
        example_status = ExampleStatus.PROPOSED
    elif principal.role in GUIDELINE_EDITORS:
        example_status = ExampleStatus.ACCEPTED
    else:
        raise Forbidden("only policy experts, ops managers and QA reviewers add examples")
    return service.add_example(
        session,
        project,
        version,
        body.kind,
        body.text,
        body.rationale,
        actor_id=principal.user_id,
        item_id=body.item_id,
        source=body.source,
        status=example_status,
    )


@router.post("/projects/{project_id}/guideline-examples/{example_id}/accept", response_model=ExampleOut)
def accept_example(
    project_id: int, example_id: int, body: AcceptIn, session: SessionDep, principal: PrincipalDep
) -> GuidelineExample:
    project = _editable(session, principal, project_id)
    return service.accept_example(
        session, project, example_id, into_version=body.into_version, actor_id=principal.user_id
    )


@router.get("/projects/{project_id}/guidelines/{from_version}/diff/{to_version}", response_model=DiffOut)
def diff_versions(
    project_id: int, from_version: str, to_version: str, session: SessionDep, principal: PrincipalDep
) -> service.GuidelineDiff:
    """What changed between two versions: a unified diff of the text, and examples added and removed."""
    policies.readable_project(session, principal, project_id)
    return service.diff_versions(session, project_id, from_version, to_version)


@router.get("/me/notices", response_model=list[NoticeOut])
def my_notices(
    session: SessionDep, principal: PrincipalDep, unread: bool = Query(True, description="only unread notices")
) -> list[service.NoticeView]:
    """The "what changed" notices sent to this labeler (unread ones by default)."""
    if principal.labeler_id is None:
        return []
    return service.my_notices(session, principal.labeler_id, unread_only=unread)


@router.post("/me/notices/{notice_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(notice_id: int, session: SessionDep, principal: PrincipalDep) -> None:
    if principal.labeler_id is None:
        raise Forbidden("notices are sent to labelers")
    service.mark_read(session, notice_id, principal.labeler_id)
