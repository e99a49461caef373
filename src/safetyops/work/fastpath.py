"""ASGI fast path for the labeler's hot pair (next, submit): the same handlers as the API routes,
served ahead of the web framework's middleware, routing, dependency and response machinery.

At hundreds of labels per second on one core, that machinery cost about as much CPU as the queue's
database work. Known errors get the same JSON body as the app's error handler; an unexpected exception is
logged (without the request body, which holds item answers) and answered with a JSON 500, as the app does.
"""

from __future__ import annotations

import logging
import re

import orjson
from sqlalchemy import Engine
from starlette.types import Message, Receive, Scope, Send

from safetyops.errors import SERVER_ERROR, SafetyOpsError
from safetyops.work.api import answer_next, answer_off_loop, answer_submit, max_submit_bytes

log = logging.getLogger(__name__)

_JSON = [(b"content-type", b"application/json")]
_SERVER_ERROR = orjson.dumps(SERVER_ERROR)


class LabelerFastPath:
    """Answers POST {prefix}/projects/{id}/next and {prefix}/assignments/{id}/submit itself."""

    def __init__(self, engine: Engine, prefix: str) -> None:
        self.engine = engine
        self.hot = re.compile(re.escape(prefix) + r"/(?:projects/(\d{1,18})/next|assignments/(\d{1,18})/submit)")

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request if it is one of the hot pair; False (nothing sent) if it is not."""
        match = self.hot.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if match is None:
            return False
        authorization = _header(scope, b"authorization")
        try:
            if match[1] is not None:
                code, body = await answer_off_loop(self.engine, answer_next, authorization, int(match[1]))
            else:
                payload = await _read_body(receive, max_submit_bytes())
                if payload is None:
                    return True
                code, body = await answer_off_loop(self.engine, answer_submit, authorization, int(match[2]), payload)
            headers = _JSON if body else []
        except SafetyOpsError as exc:
            code, body = exc.status_code, orjson.dumps(exc.as_dict())
            headers = _JSON + [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            code, body, headers = 500, _SERVER_ERROR, _JSON
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None if the client went away. Reading stops once it is over `limit` bytes:
    what was read is then returned, and `answer_submit` refuses it as too large."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body", False):
            return b"".join(chunks)
