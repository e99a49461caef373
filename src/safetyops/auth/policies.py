"""Who may do what: every role set once, by name, and one small policy per resource with one method per action.

Where checks happen — in the service. A use case that a person can trigger (a service function that takes the
caller's `Principal`) asks the resource's policy first, before it reads or changes anything. API routes, web
pages, the labeler's fast path and the command line only pass the principal on and shape the answer; none of
them decides access. So one check serves every face, and a face added later cannot forget it. Functions that
only record who acted (an `actor` or `actor_id` parameter, e.g. `insert_user`, `import_items`) are building
blocks: they check nothing, trust their caller (a use case, the command line, the demo, a test), and no route
calls one. `tests/auth/test_access_table.py` walks every route with every role against a declared table, so a
new route without its check fails. docs/access.md is the map of these rules.

What a refusal looks like — the answer never depends on whether the thing exists:
- `404 "no <kind> <id> for you"` when the person may not see the resource (another vendor's labeler, a
  project they are not on, someone else's request or task), the same words as for an id that does not exist;
- `403` naming who may, when they may see it but not do this, or when the rule does not depend on the
  resource at all (a role-only rule, or one on the id alone, is checked before anything is looked up).
Staff see everything, so for them a missing resource is simply a 404.

The command line acts as `SYSTEM` (auth.principal): a named principal with its own role, no user row and no
user id. It is in the role sets of administrative work, sees everything, and is recorded in the audit log as
the system; acts of judgment that a person must sign (a QA verdict, an expert's decision, a calibration key,
a quiz, taking tasks) are never the system's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from safetyops.auth.enums import Role
from safetyops.auth.principal import Principal
from safetyops.errors import Forbidden, NotFound
from safetyops.projects.models import Project, ProjectMember, ProjectVendor
from safetyops.workforce.models import Labeler


@dataclass(frozen=True)
class RoleSet:
    """A named set of roles and, in words, what holding one of them lets a person do."""

    name: str
    may: str
    roles: frozenset[Role]

    def __call__(self, principal: Principal) -> bool:
        return principal.role in self.roles

    def require(self, principal: Principal) -> None:
        """Forbidden, naming the roles that may, unless the principal holds one of them."""
        if not self(principal):
            allowed = ", ".join(r.value for r in Role if r in self.roles and r is not Role.SYSTEM)
            raise Forbidden(f"this needs one of the roles: {allowed} (you are {principal.role.value})")


def role_set(name: str, may: str, *roles: Role | Iterable[Role]) -> RoleSet:
    flat: set[Role] = set()
    for r in roles:
        flat |= {r} if isinstance(r, Role) else set(r)
    return RoleSet(name, may, frozenset(flat))


def hidden(kind: str, ref: object) -> NotFound:
    """The one answer for a resource that does not exist or that this person may not see."""
    return NotFound(f"no {kind} {ref} for you")


def deny(message: str) -> Forbidden:
    return Forbidden(message)


# ---------------------------------------------------------------------------------------------------- role sets

_OPS, _ADMIN, _SYSTEM = Role.OPS_MANAGER, Role.ADMIN, Role.SYSTEM

STAFF = role_set(
    "staff",
    "see every project, request, vendor, labeler and label; run projects, vendors, plans and imports",
    _OPS,
    _ADMIN,
    _SYSTEM,
)
ADMINS = role_set("admins", "create admins, act on anyone's API tokens, read the audit log", _ADMIN, _SYSTEM)
USER_MANAGERS = role_set("user managers", "create user accounts and list them", STAFF.roles)
SEE_ALL_PROJECTS = role_set("all-project readers", "read every project", STAFF.roles, Role.POLICY_EXPERT)
SEE_ALL_LABELERS = role_set(
    "all-labeler readers",
    "read every vendor's labelers and their labels and quality figures",
    STAFF.roles,
    Role.QA_REVIEWER,
    Role.POLICY_EXPERT,
)
VENDOR_BOUND = role_set(
    "vendor-bound", "belong to one vendor: see only its labelers, work and figures", Role.VENDOR_MANAGER, Role.LABELER
)
REQUEST_FILERS = role_set("request filers", "file labeling requests and read their own", Role.REQUESTER, STAFF.roles)
ITEM_READERS = role_set(
    "item readers",
    "read a project's items and import its gold answers",
    STAFF.roles,
    Role.QA_REVIEWER,
    Role.POLICY_EXPERT,
)
EXPORTERS = role_set("exporters", "download a project's items with their labels", ITEM_READERS.roles, Role.REQUESTER)
GUIDELINE_EDITORS = role_set(
    "guideline editors", "write, publish and accept guideline versions and examples", Role.POLICY_EXPERT, STAFF.roles
)
EXAMPLE_PROPOSERS = role_set(
    "example proposers", "propose guideline examples for an editor to accept", Role.QA_REVIEWER
)
LABELER_DATA_READERS = role_set(
    "labeler-data readers",
    "read labeler-level quality figures (a vendor's people only theirs, a labeler only their own)",
    SEE_ALL_LABELERS.roles,
    VENDOR_BOUND.roles,
)
AGGREGATORS = role_set("aggregators", "aggregate labels into final labels", STAFF.roles, Role.POLICY_EXPERT)
REVIEW_READERS = role_set(
    "review-queue readers", "read the expert review queue", STAFF.roles, Role.POLICY_EXPERT, Role.QA_REVIEWER
)
REVIEW_DECIDERS = role_set(
    "expert deciders",
    "decide an item's final label in expert review (a person)",
    _OPS,
    _ADMIN,
    Role.POLICY_EXPERT,
    Role.QA_REVIEWER,
)
QA_PLANNERS = role_set("QA planners", "draw a day's QA sample", Role.QA_REVIEWER, STAFF.roles)
QA_REVIEWERS = role_set(
    "QA reviewers", "re-review sampled labels blind and give verdicts (a person)", Role.QA_REVIEWER, _OPS, _ADMIN
)
DISPUTE_READERS = role_set(
    "dispute readers", "read a project's disputes", Role.QA_REVIEWER, STAFF.roles, Role.POLICY_EXPERT
)
DISPUTE_DECIDERS = role_set(
    "dispute deciders",
    "uphold or overturn a disputed verdict they did not give (a person)",
    Role.QA_REVIEWER,
    _OPS,
    _ADMIN,
    Role.POLICY_EXPERT,
)
CALIBRATION_ORGANISERS = role_set(
    "calibration organisers", "create calibration sessions and record their notes", STAFF.roles, Role.POLICY_EXPERT
)
CALIBRATION_KEYERS = role_set("calibration keyers", "key calibration items (a person)", Role.POLICY_EXPERT, _ADMIN)
CALIBRATION_RESULT_READERS = role_set(
    "calibration result readers",
    "read calibration results",
    STAFF.roles,
    Role.POLICY_EXPERT,
    Role.QA_REVIEWER,
)
MODEL_IMPORTERS = role_set("model importers", "import a model's predictions", STAFF.roles)

ROLE_SETS: tuple[RoleSet, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, RoleSet))


def is_person(principal: Principal) -> bool:
    """Acts of judgment are signed by a person, never by the system."""
    return not principal.is_system


# ---------------------------------------------------------------------------------------------------- policies


class UserPolicy:
    """User accounts and API tokens."""

    @staticmethod
    def can_create(principal: Principal, role: Role) -> bool:
        if role is Role.SYSTEM or not USER_MANAGERS(principal):
            return False
        return role is not Role.ADMIN or ADMINS(principal)

    can_list = USER_MANAGERS

    @staticmethod
    def can_manage_tokens(principal: Principal, owner_id: int) -> bool:
        """Issue or revoke the API tokens of `owner_id`: one's own, or anyone's for an admin."""
        return principal.user_id == owner_id or ADMINS(principal)


class AuditPolicy:
    can_read = ADMINS


class ProjectPolicy:
    """Projects: staff and policy experts see every project; anyone else the projects they are a member of
    or their vendor serves."""

    @staticmethod
    def visible_ids(session: Session, principal: Principal) -> list[int] | None:
        """Ids of the projects this person may read; None means all of them."""
        if SEE_ALL_PROJECTS(principal):
            return None
        ids: set[int] = set()
        if principal.user_id is not None:
            member = select(ProjectMember.project_id).where(ProjectMember.user_id == principal.user_id)
            ids |= set(session.scalars(member))
        if principal.vendor_id is not None:
            served = select(ProjectVendor.project_id).where(ProjectVendor.vendor_id == principal.vendor_id)
            ids |= set(session.scalars(served))
        return sorted(ids)

    @staticmethod
    def can_read(session: Session, principal: Principal, project_id: int) -> bool:
        if SEE_ALL_PROJECTS(principal):
            return True
        return _is_member(session, principal, project_id) or _vendor_serves(session, principal, project_id)

    can_create = STAFF
    can_update = STAFF
    can_add_vendor = STAFF
    can_add_member = STAFF
    can_import_items = STAFF
    can_read_items = ITEM_READERS
    can_import_gold = ITEM_READERS
    can_export = EXPORTERS

    @staticmethod
    def can_work_on(session: Session, principal: Principal, project_id: int) -> bool:
        """A labeler takes tasks when their vendor serves the project or they are a named member."""
        if principal.labeler_id is None:
            return False
        return _vendor_serves(session, principal, project_id) or _is_member(session, principal, project_id)


def _is_member(session: Session, principal: Principal, project_id: int) -> bool:
    if principal.user_id is None:
        return False
    member = exists().where(ProjectMember.project_id == project_id, ProjectMember.user_id == principal.user_id)
    return bool(session.scalar(select(member)))


def _vendor_serves(session: Session, principal: Principal, project_id: int) -> bool:
    if principal.vendor_id is None:
        return False
    served = exists().where(ProjectVendor.project_id == project_id, ProjectVendor.vendor_id == principal.vendor_id)
    return bool(session.scalar(select(served)))


def readable_project(session: Session, principal: Principal, project_id: int) -> Project:
    """The project, or the hidden-resource 404 when it does not exist or this person may not see it."""
    project = session.get(Project, project_id)
    if project is None or not ProjectPolicy.can_read(session, principal, project_id):
        raise hidden("project", project_id)
    return project


class RequestPolicy:
    """Labeling requests: staff read and decide every request; a requester files and reads their own."""

    can_file = REQUEST_FILERS
    can_list = REQUEST_FILERS
    can_read_rules = REQUEST_FILERS
    can_evaluate = STAFF
    can_decide = STAFF
    sees_all = STAFF

    @staticmethod
    def can_read(principal: Principal, requester_id: int | None) -> bool:
        return STAFF(principal) or (principal.user_id is not None and requester_id == principal.user_id)


class PlanPolicy:
    """Manpower plans are the ops managers' (and admins')."""

    can_create = STAFF
    can_read = STAFF


class VendorPolicy:
    """Vendors and their sites and rosters: staff manage every vendor, a vendor manager only their own."""

    can_create = STAFF

    @staticmethod
    def visible(principal: Principal) -> int | None:
        """The one vendor a listing of vendors is restricted to (None: every vendor; -1: none)."""
        return LabelerPolicy.vendor_filter(principal)

    @staticmethod
    def can_manage(principal: Principal, vendor_id: int) -> bool:
        if STAFF(principal):
            return True
        return principal.role is Role.VENDOR_MANAGER and principal.vendor_id == vendor_id


class LabelerPolicy:
    """Labelers: vendor isolation. Nobody tied to one vendor reads anything of another's people."""

    @staticmethod
    def vendor_filter(principal: Principal) -> int | None:
        """The vendor id a listing of labelers, labels or metrics is restricted to (None: none; -1: nothing)."""
        if SEE_ALL_LABELERS(principal):
            return None
        if VENDOR_BOUND(principal):
            return principal.vendor_id if principal.vendor_id is not None else -1
        return -1  # requesters see no labeler-level data

    @staticmethod
    def can_read(principal: Principal, labeler: Labeler) -> bool:
        if principal.labeler_id == labeler.id:
            return True
        if principal.role is Role.LABELER:
            return False
        allowed_vendor = LabelerPolicy.vendor_filter(principal)
        return allowed_vendor is None or allowed_vendor == labeler.vendor_id

    can_manage = staticmethod(VendorPolicy.can_manage)


class TrainingPolicy:
    """Training plans, module progress and certification quizzes."""

    can_set_plan = STAFF

    @staticmethod
    def can_record_progress(principal: Principal, labeler: Labeler, self_serve: bool) -> bool:
        """Managers of the labeler's vendor record any module; a labeler marks their own self-serve reading."""
        if self_serve and principal.labeler_id == labeler.id:
            return True
        return VendorPolicy.can_manage(principal, labeler.vendor_id)

    @staticmethod
    def can_take_quiz(principal: Principal) -> bool:
        return principal.labeler_id is not None


class GuidelinePolicy:
    """Guideline versions and examples of a project the person may read."""

    can_edit = GUIDELINE_EDITORS

    @staticmethod
    def can_add_example(principal: Principal) -> bool:
        return GUIDELINE_EDITORS(principal) or EXAMPLE_PROPOSERS(principal)

    @staticmethod
    def sees_proposals(principal: Principal) -> bool:
        return GUIDELINE_EDITORS(principal) or EXAMPLE_PROPOSERS(principal)

    @staticmethod
    def can_read_notices(principal: Principal) -> bool:
        return principal.labeler_id is not None


class TaskPolicy:
    """The labeling queue: labelers of a serving vendor take tasks; a lease and its label are its labeler's."""

    @staticmethod
    def can_take_tasks(principal: Principal) -> bool:
        return principal.labeler_id is not None

    @staticmethod
    def owns(principal: Principal, labeler_id: int) -> bool:
        """The lease or label belongs to this labeler (anyone else gets the hidden-resource 404)."""
        return principal.labeler_id is not None and principal.labeler_id == labeler_id


class QualityPolicy:
    """Quality figures and aggregation of a project the person may read."""

    can_read_labeler_data = LABELER_DATA_READERS
    can_aggregate = AGGREGATORS
    can_read_review_queue = REVIEW_READERS
    can_decide_review = REVIEW_DECIDERS
    can_import_model = MODEL_IMPORTERS


class QaPolicy:
    """QA review: planning, blind re-review, verdicts, the labeler's inbox and disputes."""

    can_plan = QA_PLANNERS
    can_review = QA_REVIEWERS
    can_read_disputes = DISPUTE_READERS
    can_decide_disputes = DISPUTE_DECIDERS

    @staticmethod
    def can_work_on_task(principal: Principal, reviewer_id: int | None) -> bool:
        """A task is open to any reviewer until one takes it; then it is that reviewer's."""
        return reviewer_id is None or reviewer_id == principal.user_id

    @staticmethod
    def can_read_feedback(principal: Principal) -> bool:
        return principal.labeler_id is not None

    @staticmethod
    def can_dispute(principal: Principal, labeler_id: int) -> bool:
        """A labeler disputes verdicts on their own labels only."""
        return TaskPolicy.owns(principal, labeler_id)

    @staticmethod
    def can_decide_dispute(principal: Principal, verdict_reviewer_id: int) -> bool:
        """A dispute is decided by a second reviewer, never the one who gave the verdict."""
        return verdict_reviewer_id != principal.user_id


class CalibrationPolicy:
    """Calibration sessions of a project the person may read."""

    can_organise = CALIBRATION_ORGANISERS
    can_key = CALIBRATION_KEYERS
    can_read_results = CALIBRATION_RESULT_READERS
    can_answer = is_person
