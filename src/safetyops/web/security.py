"""Page security: the double-submit CSRF token and the headers every page carries."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "safetyops_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TOKEN_COOKIE = "safetyops_token"

# Scripts and styles only from our own origin (no inline code). Item media may live on other https
# storage, so images/audio/video may come from https: too; nothing else leaves the origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "media-src 'self' https:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PAGE_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Pages show harmful content: keep it out of shared caches and the browser's disk cache.
    "Cache-Control": "no-store",
}


def csrf_token(request: Request) -> str:
    """This browser's CSRF token; a new one (set on the response by `finish`) when it has none."""
    new: str | None = getattr(request.state, "csrf_new", None)
    if new is not None:
        return new
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) >= 32:
        return existing
    return rotate_csrf(request)


def rotate_csrf(request: Request) -> str:
    """A fresh token (after signing in, so a token planted before sign-in is worthless)."""
    request.state.csrf_new = secrets.token_urlsafe(32)
    token: str = request.state.csrf_new
    return token


def csrf_ok(request: Request, form_value: str | None) -> bool:
    """The cookie and the form field (or X-CSRF-Token header) must both be present and equal."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form_value or request.headers.get(CSRF_HEADER, "")
    return len(cookie) >= 32 and bool(sent) and secrets.compare_digest(cookie.encode(), sent.encode())


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def finish(request: Request, response: Response) -> Response:
    """Add the page headers and any cookie this request decided to set."""
    response.headers.update(PAGE_HEADERS)
    secure = is_https(request)
    new_csrf = getattr(request.state, "csrf_new", None)
    if new_csrf is not None:
        response.set_cookie(CSRF_COOKIE, new_csrf, httponly=True, samesite="strict", secure=secure, path="/")
    return response


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", secure=is_https(request), path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict", secure=is_https(request))
