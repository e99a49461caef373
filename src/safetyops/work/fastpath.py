"""ASGI fast path for the labeler's hot pair (next, submit): the same handlers as the API routes,
served without the web framework's per-request routing, dependency and response machinery.

At hundreds of labels per second on one core, that machinery cost about as much CPU as the queue's
database work. The middleware sits inside the app's error middleware (an unexpected exception still
becomes a 500) and answers known errors with the same JSON as the app's error handler.
"""

from __future__ import annotations

import re

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safetyops.errors import SafetyOpsError
from safetyops.work.api import answer_next, answer_submit, max_submit_bytes

_JSON = [(b"content-type", b"application/json")]


class LabelerFastPath:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.hot = re.compile(re.escape(prefix) + r"/(?:projects/(\d{1,18})/next|assignments/(\d{1,18})/submit)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = self.hot.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        engine = scope["app"].state.engine
        authorization = _header(scope, b"authorization")
        try:
            if match[1] is not None:
                code, body = answer_next(engine, authorization, int(match[1]))
            else:
                payload = await _read_body(receive, max_submit_bytes())
                if payload is None:
                    return
                code, body = answer_submit(engine, authorization, int(match[2]), payload)
            headers = _JSON if body else []
        except SafetyOpsError as exc:
            code, body = exc.status_code, orjson.dumps(exc.as_dict())
            headers = _JSON + [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": body})


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
