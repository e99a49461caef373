"""Turning the workbench form into an answer, and problems back into per-question messages (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from safetyops.errors import Problem
from safetyops.guidelines.enums import QuestionType
from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.web.i18n import N_

FIELD_PREFIX = "q."
MAX_TIME_MS = 24 * 3600 * 1000
# Service messages a labeler meets often, shown in their language; anything else is shown as it is.
# Service problems the page shows in the person's language (the others are shown as the service wrote them).
KNOWN_PROBLEMS = {"required question has no answer": N_("This question needs an answer.")}


def field_name(question_key: str) -> str:
    return FIELD_PREFIX + question_key


def answer_from_form(taxonomy: Taxonomy, getlist: Callable[[str], list[Any]]) -> dict[str, Any]:
    """The answer dict for work.service.submit: unanswered optional questions are left out.

    Only the taxonomy's own questions are read; the service validates the values.
    """
    answer: dict[str, Any] = {}
    for q in taxonomy.questions:
        values = [v for v in getlist(field_name(q.key)) if isinstance(v, str)]
        if q.type is QuestionType.MULTI_CHOICE:
            picked = [v for v in values if v]
            if picked:
                answer[q.key] = picked
        elif q.type is QuestionType.FREE_TEXT:
            text = values[0].replace("\r\n", "\n").strip() if values else ""
            if text:
                answer[q.key] = text
        elif values and values[0]:
            answer[q.key] = values[0]
    return answer


def problems_by_question(
    problems: Iterable[Problem], question_keys: Iterable[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """Messages keyed by question (from fields like 'answer.abuse'), and the rest (shown at the top)."""
    keys = set(question_keys)
    by_key: dict[str, list[str]] = {}
    general: list[str] = []
    for p in problems:
        key = p.field.removeprefix("answer.") if p.field and p.field.startswith("answer.") else None
        if key in keys:
            by_key.setdefault(key, []).append(p.message)
        else:
            general.append(str(p))
    return by_key, general


def time_spent(client_ms: str | None, rendered_at_ms: str | None, now_ms: int) -> int:
    """Time on the task: the browser's measure when it sent one, else now minus the render time."""
    if client_ms and client_ms.isdigit():
        return min(int(client_ms), MAX_TIME_MS)
    if rendered_at_ms and rendered_at_ms.isdigit():
        return max(0, min(now_ms - int(rendered_at_ms), MAX_TIME_MS))
    return 0


def context_turns(context: Any) -> list[dict[str, str]]:
    """An item's context as turns of (speaker, text), whatever shape it was imported in."""
    if context is None or context == "" or context == []:
        return []
    if isinstance(context, dict):
        context = context.get("turns", [context])
    if not isinstance(context, list):
        return [{"speaker": "", "text": str(context)}]
    turns = []
    for turn in context:
        if isinstance(turn, dict):
            speaker = str(turn.get("speaker") or turn.get("role") or "")
            text = turn.get("text", turn.get("content", ""))
            turns.append({"speaker": speaker, "text": "" if text is None else str(text)})
        elif turn is not None:
            turns.append({"speaker": "", "text": str(turn)})
    return [t for t in turns if t["text"]]


def safe_media_url(url: str | None) -> bool:
    """Only http(s) and same-site paths are put in a src attribute (never javascript:, data: and the like)."""
    if not url:
        return False
    lowered = url.strip().lower()
    if lowered.startswith(("https://", "http://")):
        return True
    return lowered.startswith("/") and not lowered.startswith("//")


def media_kind(media_type: str | None, url: str | None) -> str | None:
    """'image', 'video' or 'audio' from a media type such as 'image' or 'video/mp4'; 'other' when unknown."""
    if not url:
        return None
    kind = (media_type or "").strip().lower().split("/", 1)[0]
    return kind if kind in ("image", "video", "audio") else "other"
