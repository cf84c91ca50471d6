"""Access rules of the service: the token, the session cookie, CSRF on forms, the upload cap.

- Without a token (the default, bound to 127.0.0.1) every request is allowed, except that a
  state-changing API call from another web site's page (an ``Origin`` header naming another
  host) is refused, so a page elsewhere cannot drive the local service.
- With a token, API calls need ``Authorization: Bearer <token>`` and pages need the session
  cookie that the login form sets (an HMAC of the token, never the token itself).
- Forms carry a CSRF token equal to the ``munigrid_csrf`` cookie (double submit); form posts
  without it are refused with 403.
- A request body larger than the cap is refused with 413 before it is read in full.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

SESSION_COOKIE = "munigrid_session"
CSRF_COOKIE = "munigrid_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
OPEN_PATHS = ("/login", "/static/")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def session_value(token: str) -> str:
    """The session cookie's value for ``token``: an HMAC, so the cookie does not reveal the token."""
    return hmac.new(token.encode(), b"munigrid-session", hashlib.sha256).hexdigest()


def new_csrf_token() -> str:
    """A fresh random CSRF token."""
    return secrets.token_urlsafe(24)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two optional strings."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def authorised(scope_headers: dict[str, str], cookies: dict[str, str], token: str | None) -> bool:
    """Whether a request carries the token (bearer) or the session cookie; always True without a token."""
    if not token:
        return True
    bearer = scope_headers.get("authorization", "")
    if bearer.lower().startswith("bearer ") and same(bearer[7:].strip(), token):
        return True
    return same(cookies.get(SESSION_COOKIE), session_value(token))


def foreign_origin(headers: dict[str, str]) -> bool:
    """An ``Origin`` header naming another host than the one the request went to."""
    origin = headers.get("origin")
    if not origin or origin == "null":
        return bool(origin)
    host = origin.split("://", 1)[-1].rstrip("/")
    return host != headers.get("host", "")


class BodyLimit:
    """ASGI middleware: 413 for bodies over ``limit_bytes`` (by Content-Length, or counted as they arrive)."""

    def __init__(self, app, limit_bytes: int = UPLOAD_LIMIT_BYTES):
        self.app = app
        self.limit_bytes = limit_bytes

    async def _too_large(self, send) -> None:
        body = json.dumps({"detail": [{"path": "body", "message": f"the upload is larger than "
                           f"{self.limit_bytes / 1024 / 1024:g} MB; send a smaller file (e.g. one year of "
                           "15-minute readings is about 2 MB)"}]}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit_bytes:
            return await self._too_large(send)
        seen = 0
        overflow = started = False

        async def counted_receive():
            nonlocal seen, overflow
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit_bytes:
                    overflow = True
                    raise BodyTooLarge()
            return message

        async def tracked_send(message):
            nonlocal started
            if overflow:  # the inner app's error response is replaced by the 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BaseException:  # BodyTooLarge, possibly wrapped in a task group's ExceptionGroup
            if not overflow:
                raise
        if overflow and not started:
            await self._too_large(send)


class BodyTooLarge(Exception):
    """Raised inside a request whose body passed the cap while being read."""
