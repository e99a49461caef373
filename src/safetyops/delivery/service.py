"""Delivery use cases: model evaluation — import a model's predictions for a project (all or nothing) and
compare them, per policy, with the newest final human labels of the quality area's aggregation.

The comparison itself is pure (`delivery.modeleval`); the human side is read through `quality.loading`.
The routes and commands still sit with the quality area's faces (`/projects/{id}/models`,
`/models/{id}/evaluation`, `safetyops quality model-import | model-eval`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from safetyops.auth.audit import record
from safetyops.auth.policies import ProjectPolicy, QualityPolicy, hidden, readable_project
from safetyops.auth.principal import Principal
from safetyops.delivery.modeleval import FALSE_LABELS, TRUE_LABELS, evaluate_policy, parse_predictions
from safetyops.delivery.models import ModelPrediction, ModelRun
from safetyops.errors import InvalidInput, Problem
from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.projects.models import Item, Project
from safetyops.quality.frame import question_info
from safetyops.quality.loading import final_labels, latest_run
from safetyops.quality.scope import actor_of


def import_predictions(
    session: Session, principal: Principal, project_id: int, data: bytes, filename: str, name: str = ""
) -> dict[str, Any]:
    """Store a model's predictions, all or nothing: any problem (with file, line, field) stores nothing."""
    QualityPolicy.can_import_model.require(principal)
    project = readable_project(session, principal, project_id)
    rows, problems = parse_predictions(data, filename)
    taxonomy = Taxonomy.model_validate(project.taxonomy)
    known_policies = {c.policy for q in taxonomy.questions for c in q.choices if c.policy}
    choice_values = {c.value for q in taxonomy.questions for c in q.choices}
    ids: dict[str, int] = {}
    wanted = sorted({r.external_id for r in rows})
    for s in range(0, len(wanted), 5000):
        chunk = wanted[s : s + 5000]
        ids.update(
            session.execute(
                select(Item.external_id, Item.id).where(Item.project_id == project.id, Item.external_id.in_(chunk))
            ).all()
        )
    for r in rows:
        if r.external_id not in ids:
            problems.add(Problem(f"no item '{r.external_id}' in this project", "external_id", r.line, filename))
        if r.policy not in known_policies:
            problems.add(
                Problem(
                    f"'{r.policy}' is not a policy of the taxonomy {sorted(known_policies)}", "policy", r.line, filename
                )
            )
        if r.label is not None and r.label not in choice_values and r.label.lower() not in TRUE_LABELS | FALSE_LABELS:
            problems.add(
                Problem(
                    f"label '{r.label}' is neither a choice of the taxonomy nor yes/no (or 1/0, true/false)",
                    "label",
                    r.line,
                    filename,
                )
            )
    if problems:
        more = f" (first {len(problems.items)} shown)" if problems.total > len(problems.items) else ""
        raise InvalidInput(f"{problems.total} problem(s) in {filename}; nothing was imported{more}", problems.items)
    fmt = "jsonl" if filename.lower().endswith((".jsonl", ".ndjson", ".json")) else "csv"
    run = ModelRun(
        project_id=project.id,
        name=name or filename,
        filename=filename,
        file_format=fmt,
        rows=len(rows),
        created_by=actor_of(principal),
    )
    session.add(run)
    session.flush()
    values = [
        {"run_id": run.id, "item_id": ids[r.external_id], "policy": r.policy, "score": r.score, "label": r.label}
        for r in rows
    ]
    for s in range(0, len(values), 20_000):
        session.execute(insert(ModelPrediction), values[s : s + 20_000])
    record(session, actor_of(principal), "quality.model.import", "model_run", run.id, {"rows": len(rows)})
    return {"model_run_id": run.id, "project_id": project.id, "name": run.name, "rows": len(rows)}


def evaluate_model(
    session: Session,
    principal: Principal,
    model_run_id: int,
    *,
    question: str | None = None,
    threshold: float = 0.5,
    target_precision: float = 0.9,
    top: int = 20,
) -> dict[str, Any]:
    """Compare a model's predictions with the newest final human labels, per policy."""
    run = session.get(ModelRun, model_run_id)
    if run is None or not ProjectPolicy.can_read(session, principal, run.project_id):
        raise hidden("model run", model_run_id)
    project = session.get_one(Project, run.project_id)
    q = question_info(project.taxonomy, question)
    agg_run = latest_run(session, project.id, q.key)
    if agg_run is None:
        raise InvalidInput(f"no final labels for question '{q.key}' yet: run an aggregation first")
    human = final_labels(session, agg_run)
    preds = session.execute(
        select(ModelPrediction.item_id, ModelPrediction.policy, ModelPrediction.score, ModelPrediction.label).where(
            ModelPrediction.run_id == run.id
        )
    ).all()
    ext = dict(
        session.execute(
            select(Item.id, Item.external_id).where(
                Item.id.in_(select(ModelPrediction.item_id).where(ModelPrediction.run_id == run.id))
            )
        ).all()
    )
    by_policy: dict[str, list[tuple[int, float | None, str | None]]] = {}
    for item_id, policy, score, label in preds:
        by_policy.setdefault(policy, []).append((int(item_id), score, label))
    return {
        "model_run_id": run.id,
        "name": run.name,
        "project_id": project.id,
        "question": q.key,
        "aggregation_run_id": agg_run.id,
        "policies": [
            evaluate_policy(
                q,
                policy,
                by_policy[policy],
                human,
                threshold=threshold,
                target_precision=target_precision,
                top=top,
                external_ids=ext,
            )
            for policy in sorted(by_policy)
        ],
    }
