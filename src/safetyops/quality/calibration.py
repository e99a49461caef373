"""Calibration sessions: an item set labeled blind by a group, keyed by a policy expert, then compared.

Participants' answers are stored in the session, never as production labels. An outcome may be proposed as
a guideline example through `safetyops.guidelines.service.propose_example`; the proposal is also kept on the
outcome row (example_kind, example_version, example_rationale, example_ref = the guideline example's id), and
stays only there when the guidelines area refuses it (e.g. the version does not exist), with the reason.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.policies import CalibrationPolicy, ProjectPolicy, deny, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem, SafetyOpsError
from safetyops.guidelines.enums import ExampleKind
from safetyops.guidelines.service import propose_example
from safetyops.projects.models import Item, Project
from safetyops.quality import agreement as ag
from safetyops.quality.enums import CalibrationSource, NoteKind
from safetyops.quality.frame import period_bounds, question_info
from safetyops.quality.intervals import proportion_ci
from safetyops.quality.loading import load_labels
from safetyops.quality.models import (
    CalibrationAnswer,
    CalibrationItem,
    CalibrationKey,
    CalibrationNote,
    CalibrationSession,
)
from safetyops.quality.scope import actor_of

EXAMPLE_KINDS = tuple(k.value for k in ExampleKind)


def most_disputed(
    session: Session, project: Project, question: str | None, date_from: date | None, date_to: date | None, count: int
) -> list[int]:
    """Item ids with the highest disagreement (1 − share of agreeing label pairs) among their labels."""
    q = question_info(project.taxonomy, question)
    start, end = period_bounds(project.reporting_tz, date_from, date_to)
    frame = load_labels(session, project, q, start, end)
    item_ids, codes = np.unique(frame.items, return_inverse=True)
    counts = ag.count_matrix(codes.reshape(-1), frame.codes, len(item_ids), len(q.classes)).astype(np.float64)
    n_i = counts.sum(axis=1)
    pairable = n_i >= 2
    agree = (counts * (counts - 1)).sum(axis=1) / np.where(pairable, n_i * (n_i - 1), 1.0)
    dis = np.where(pairable, 1.0 - agree, -1.0)
    order = np.lexsort((item_ids, -n_i, -dis))
    picked = [int(item_ids[i]) for i in order if dis[i] > 0][:count]
    return picked


def create_session(
    session: Session,
    principal: Principal,
    project_id: int,
    *,
    question: str | None = None,
    title: str = "",
    item_ids: list[int] | None = None,
    disputed_from: date | None = None,
    disputed_to: date | None = None,
    count: int = 20,
) -> dict[str, Any]:
    """A session over items chosen by hand, or over the most disputed items of a period."""
    CalibrationPolicy.can_organise.require(principal)
    project = readable_project(session, principal, project_id)
    q = question_info(project.taxonomy, question)
    if item_ids:
        found = set(session.scalars(select(Item.id).where(Item.project_id == project.id, Item.id.in_(item_ids))))
        missing = [i for i in item_ids if i not in found]
        if missing:
            raise InvalidInput(f"items {missing[:10]} are not in this project", [Problem("unknown item", "item_ids")])
        chosen, source = list(dict.fromkeys(item_ids)), CalibrationSource.MANUAL.value
    else:
        if count < 1:
            raise InvalidInput("count must be at least 1", [Problem(str(count), "count")])
        chosen, source = (
            most_disputed(session, project, q.key, disputed_from, disputed_to, count),
            CalibrationSource.DISPUTED.value,
        )
        if not chosen:
            raise InvalidInput("no item with disagreeing labels in this period; pick items by hand")
    cal = CalibrationSession(
        project_id=project.id, question=q.key, title=title, source=source, created_by=actor_of(principal)
    )
    session.add(cal)
    session.flush()
    session.add_all(CalibrationItem(session_id=cal.id, item_id=i, position=n) for n, i in enumerate(chosen))
    session.flush()
    record(session, actor_of(principal), "calibration.create", "calibration_session", cal.id, {"items": len(chosen)})
    return {"session_id": cal.id, "project_id": project.id, "question": q.key, "source": source, "item_ids": chosen}


def _session(session: Session, principal: Principal, session_id: int) -> tuple[CalibrationSession, Project]:
    cal = session.get(CalibrationSession, session_id)
    if cal is None or not ProjectPolicy.can_read(session, principal, cal.project_id):
        raise hidden("calibration session", session_id)
    return cal, session.get_one(Project, cal.project_id)


def session_items(session: Session, principal: Principal, session_id: int) -> dict[str, Any]:
    """What a participant sees: the items and the question; no one else's answers, no key."""
    cal, project = _session(session, principal, session_id)
    q = question_info(project.taxonomy, cal.question)
    mine = dict(
        session.execute(
            select(CalibrationAnswer.item_id, CalibrationAnswer.answer).where(
                CalibrationAnswer.session_id == cal.id, CalibrationAnswer.user_id == principal.user_id
            )
        ).all()
    )
    rows = session.execute(
        select(Item.id, Item.external_id, Item.content_text, Item.context)
        .join(CalibrationItem, CalibrationItem.item_id == Item.id)
        .where(CalibrationItem.session_id == cal.id)
        .order_by(CalibrationItem.position)
    )
    items = [
        {"item_id": i, "external_id": e, "content_text": t, "context": c, "your_answer": mine.get(i)}
        for i, e, t, c in rows
    ]
    return {"session_id": cal.id, "title": cal.title, "question": q.key, "choices": list(q.classes), "items": items}


def _check_item(session: Session, cal: CalibrationSession, item_id: int) -> None:
    if session.get(CalibrationItem, (cal.id, item_id)) is None:
        raise NotFound(f"item {item_id} is not in calibration session {cal.id}")


def submit_answer(session: Session, principal: Principal, session_id: int, item_id: int, answer: str) -> dict[str, Any]:
    """A participant's blind answer (once per item; a person's, never the system's)."""
    cal, project = _session(session, principal, session_id)
    if not CalibrationPolicy.can_answer(principal):
        raise deny("calibration answers are given by people")
    q = question_info(project.taxonomy, cal.question)
    _check_item(session, cal, item_id)
    if answer not in q.classes:
        raise InvalidInput(f"'{answer}' is not among the choices {list(q.classes)}", [Problem("", "answer")])
    exists = session.scalar(
        select(CalibrationAnswer.id).where(
            CalibrationAnswer.session_id == cal.id,
            CalibrationAnswer.item_id == item_id,
            CalibrationAnswer.user_id == principal.user_id,
        )
    )
    if exists is not None:
        raise Conflict("you already answered this item in this session")
    row = CalibrationAnswer(session_id=cal.id, item_id=item_id, user_id=principal.user_id, answer=answer)
    session.add(row)
    session.flush()
    return {"answer_id": row.id, "item_id": item_id, "answer": answer}


def key_item(
    session: Session, principal: Principal, session_id: int, item_id: int, answer: str, rationale: str = ""
) -> dict[str, Any]:
    """The policy expert's key for one item (once per item)."""
    CalibrationPolicy.can_key.require(principal)
    cal, project = _session(session, principal, session_id)
    q = question_info(project.taxonomy, cal.question)
    _check_item(session, cal, item_id)
    if answer not in q.classes:
        raise InvalidInput(f"'{answer}' is not among the choices {list(q.classes)}", [Problem("", "answer")])
    if session.scalar(
        select(CalibrationKey.id).where(CalibrationKey.session_id == cal.id, CalibrationKey.item_id == item_id)
    ):
        raise Conflict("this item is already keyed")
    key = CalibrationKey(
        session_id=cal.id, item_id=item_id, answer=answer, rationale=rationale, keyed_by=principal.user_id
    )
    session.add(key)
    session.flush()
    record(session, actor_of(principal), "calibration.key", "calibration_session", cal.id, {"item_id": item_id})
    return {"key_id": key.id, "item_id": item_id, "answer": answer}


def results(session: Session, principal: Principal, session_id: int) -> dict[str, Any]:
    """Per person accuracy vs the key (with n and CI), group agreement, and the items that split the group."""
    CalibrationPolicy.can_read_results.require(principal)
    cal, project = _session(session, principal, session_id)
    q = question_info(project.taxonomy, cal.question)
    k = len(q.classes)
    code = {v: i for i, v in enumerate(q.classes)}
    item_order = list(
        session.scalars(
            select(CalibrationItem.item_id)
            .where(CalibrationItem.session_id == cal.id)
            .order_by(CalibrationItem.position)
        )
    )
    pos = {i: n for n, i in enumerate(item_order)}
    answers = session.execute(
        select(CalibrationAnswer.item_id, CalibrationAnswer.user_id, CalibrationAnswer.answer).where(
            CalibrationAnswer.session_id == cal.id
        )
    ).all()
    keys = dict(
        session.execute(
            select(CalibrationKey.item_id, CalibrationKey.answer).where(CalibrationKey.session_id == cal.id)
        ).all()
    )
    from safetyops.auth.models import User

    users = sorted({u for _, u, _ in answers})
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(users))).all()) if users else {}
    people = []
    for u in users:
        mine = [(i, a) for i, uu, a in answers if uu == u and i in keys]
        right = sum(1 for i, a in mine if keys[i] == a)
        p = proportion_ci(right, len(mine))
        people.append(
            {
                "user_id": u,
                "username": names.get(u),
                "answered": sum(1 for _, uu, _ in answers if uu == u),
                "n": p.n,
                "correct": p.k,
                "accuracy": p.value,
                "ci_low": p.ci_low,
                "ci_high": p.ci_high,
            }
        )
    counts = np.zeros((len(item_order), k), np.int64)
    for i, _, a in answers:
        counts[pos[i], code[a]] += 1
    level = q.level
    group = {
        "percent": ag.percent_agreement_result(counts, n_raters=len(users)).as_dict(),
        "fleiss": ag.fleiss_kappa(counts, n_raters=len(users)).as_dict(),
        "alpha": ag.krippendorff_alpha_counts(
            counts, np.arange(k, dtype=np.float64), level, n_raters=len(users)
        ).as_dict(),
    }
    n_i = counts.sum(axis=1)
    agree = np.where(n_i >= 2, (counts * (counts - 1)).sum(axis=1) / np.maximum(n_i * (n_i - 1), 1), np.nan)
    items: list[dict[str, Any]] = []
    for idx, item_id in enumerate(item_order):
        items.append(
            {
                "item_id": item_id,
                "n": int(n_i[idx]),
                "agreement": None if np.isnan(agree[idx]) else float(agree[idx]),
                "split": {q.classes[c]: int(counts[idx, c]) for c in range(k) if counts[idx, c]},
                "key": keys.get(item_id),
            }
        )
    items.sort(key=lambda r: (r["agreement"] if r["agreement"] is not None else 2.0, -r["n"], r["item_id"]))
    return {
        "session_id": cal.id,
        "question": q.key,
        "level": level,
        "n_items": len(item_order),
        "n_keyed": len(keys),
        "people": people,
        "group": group,
        "items": items,
        "notes": notes(session, cal),
    }


def notes(session: Session, cal: CalibrationSession) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CalibrationNote).where(CalibrationNote.session_id == cal.id).order_by(CalibrationNote.id)
    )
    return [
        {
            "note_id": n.id,
            "kind": n.kind,
            "text": n.text,
            "item_id": n.item_id,
            "proposed_example": None
            if n.example_kind is None
            else {
                "kind": n.example_kind,
                "version": n.example_version,
                "rationale": n.example_rationale,
                "guideline_example_ref": n.example_ref,
            },
            "created_at": n.created_at,
        }
        for n in rows
    ]


def _propose_in_guidelines(
    session: Session, project_id: int, version: str, note: CalibrationNote, source: str
) -> tuple[str | None, str | None]:
    """Hand the proposal to the guidelines area: (example id, None), or (None, why it stayed here)."""
    assert note.example_kind is not None
    try:
        with session.begin_nested():
            example = propose_example(
                session,
                project_id,
                version,
                note.text,
                note.example_kind,
                note.example_rationale,
                source,
                item_id=note.item_id,
                actor_id=note.created_by,
            )
    except SafetyOpsError as exc:
        return None, exc.message
    return str(example.id), None


def add_note(
    session: Session,
    principal: Principal,
    session_id: int,
    *,
    kind: str,
    text: str,
    item_id: int | None = None,
    example_kind: str | None = None,
    example_version: str | None = None,
    example_rationale: str = "",
) -> dict[str, Any]:
    """A note or an outcome; an outcome with `example_kind` is proposed as a guideline example."""
    CalibrationPolicy.can_organise.require(principal)
    cal, project = _session(session, principal, session_id)
    if kind not in list(NoteKind):
        raise InvalidInput(f"kind must be {' or '.join(NoteKind)}", [Problem(kind, "kind")])
    if not text.strip():
        raise InvalidInput("the text is empty", [Problem("empty", "text")])
    if item_id is not None:
        _check_item(session, cal, item_id)
    if example_kind is not None:
        if kind != NoteKind.OUTCOME:
            raise Forbidden("only an outcome can become a proposed guideline example")
        if not example_rationale.strip():
            raise InvalidInput(
                "say why the example is allowed, not allowed or borderline", [Problem("empty", "example_rationale")]
            )
        if example_kind not in EXAMPLE_KINDS:
            raise InvalidInput(f"example kind must be one of {', '.join(EXAMPLE_KINDS)}", [Problem("", "example_kind")])
    version = example_version or project.guideline_version if example_kind else None
    note = CalibrationNote(
        session_id=cal.id,
        kind=kind,
        text=text,
        item_id=item_id,
        example_kind=example_kind,
        example_version=version,
        example_rationale=example_rationale,
        created_by=actor_of(principal),
    )
    session.add(note)
    session.flush()
    kept_because = None
    if example_kind is not None and version is not None:
        note.example_ref, kept_because = _propose_in_guidelines(
            session, project.id, version, note, f"calibration:{cal.id}"
        )
    record(session, actor_of(principal), "calibration.note", "calibration_session", cal.id, {"kind": kind})
    return {
        "note_id": note.id,
        "kind": kind,
        "proposed_example": example_kind is not None,
        "guideline_example_ref": note.example_ref,
        "kept_in_calibration_because": kept_because,
    }
