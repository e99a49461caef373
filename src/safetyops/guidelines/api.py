"""HTTP routes of the guidelines area: default taxonomy, guideline versions, examples, diffs, notices.
Thin: the services check access (auth.policies); a route passes the caller and shapes the answer."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from safetyops.auth.deps import PrincipalDep, SessionDep
from safetyops.guidelines import service
from safetyops.guidelines.models import GuidelineExample, GuidelineVersion
from safetyops.guidelines.policy import PolicyTaxonomy, default_policy_taxonomy
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
from safetyops.guidelines.taxonomy import Taxonomy

router = APIRouter(tags=["guidelines"])


def _publish_out(result: service.PublishResult) -> PublishOut:
    return PublishOut(
        version=result.version.version,
        previous=result.previous,
        notice_id=result.notice_id,
        recipients=result.recipients,
        major_bump=result.major_bump,
        certifications_expired=result.certifications_expired,
    )


@router.get("/taxonomies/default", response_model=PolicyTaxonomy | Taxonomy)
def default_taxonomy(principal: PrincipalDep, as_project_taxonomy: bool = Query(False)) -> PolicyTaxonomy | Taxonomy:
    """The default two-level policy taxonomy with severity, exposure tier and DSA category per policy
    (any signed-in person); with `as_project_taxonomy`, as the questions of a project's label schema."""
    del principal  # any signed-in person may read it: the token was checked
    policy = default_policy_taxonomy()
    return policy.to_taxonomy() if as_project_taxonomy else policy


@router.get("/projects/{project_id}/guidelines", response_model=list[VersionOut])
def list_versions(project_id: int, session: SessionDep, principal: PrincipalDep) -> list[GuidelineVersion]:
    return service.list_versions(session, principal, project_id)


@router.post("/projects/{project_id}/guidelines", response_model=VersionOut, status_code=status.HTTP_201_CREATED)
def create_version(project_id: int, body: VersionIn, session: SessionDep, principal: PrincipalDep) -> GuidelineVersion:
    """Add a new (draft) version; `publish: true` also puts it in force and notifies labelers."""
    row = service.create_version(
        session,
        principal,
        project_id,
        body.version,
        body.text,
        what_changed=body.what_changed,
        carry_examples=body.carry_examples,
    )
    if body.publish:
        service.publish_version(session, principal, project_id, row.version)
    return row


@router.get("/projects/{project_id}/guidelines/{version}", response_model=VersionDetailOut)
def get_version(project_id: int, version: str, session: SessionDep, principal: PrincipalDep) -> VersionDetailOut:
    view = service.read_version(session, principal, project_id, version)
    return VersionDetailOut(
        **VersionOut.model_validate(view.version).model_dump(),
        text=view.version.text,
        examples=[ExampleOut.model_validate(e) for e in view.examples],
        proposed_examples=[ExampleOut.model_validate(e) for e in view.proposed_examples],
    )


@router.post("/projects/{project_id}/guidelines/{version}/publish", response_model=PublishOut)
def publish_version(project_id: int, version: str, session: SessionDep, principal: PrincipalDep) -> PublishOut:
    return _publish_out(service.publish_version(session, principal, project_id, version))


@router.post(
    "/projects/{project_id}/guidelines/{version}/examples",
    response_model=ExampleOut,
    status_code=status.HTTP_201_CREATED,
)
def add_example(
    project_id: int, version: str, body: ExampleIn, session: SessionDep, principal: PrincipalDep
) -> GuidelineExample:
    """Attach an example to a draft version. QA reviewers may propose one (for a policy expert to accept)."""
    return service.add_example(
        session,
        principal,
        project_id,
        version,
        body.kind,
        body.text,
        body.rationale,
        item_id=body.item_id,
        source=body.source,
        translations={
            lang: t.model_dump(exclude_none=True) for lang, t in body.translations.items() if t.text or t.rationale
        },
    )


@router.post("/projects/{project_id}/guideline-examples/{example_id}/accept", response_model=ExampleOut)
def accept_example(
    project_id: int, example_id: int, body: AcceptIn, session: SessionDep, principal: PrincipalDep
) -> GuidelineExample:
    return service.accept_example(session, principal, project_id, example_id, into_version=body.into_version)


@router.get("/projects/{project_id}/guidelines/{from_version}/diff/{to_version}", response_model=DiffOut)
def diff_versions(
    project_id: int, from_version: str, to_version: str, session: SessionDep, principal: PrincipalDep
) -> service.GuidelineDiff:
    """What changed between two versions: a unified diff of the text, and examples added and removed."""
    return service.diff_versions(session, principal, project_id, from_version, to_version)


@router.get("/me/notices", response_model=list[NoticeOut])
def my_notices(
    session: SessionDep, principal: PrincipalDep, unread: bool = Query(True, description="only unread notices")
) -> list[service.NoticeView]:
    """The "what changed" notices sent to this labeler (unread ones by default)."""
    return service.notices_for(session, principal, unread_only=unread)


@router.post("/me/notices/{notice_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_read(notice_id: int, session: SessionDep, principal: PrincipalDep) -> None:
    service.read_notice(session, principal, notice_id)
