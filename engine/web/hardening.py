"""Browser-facing hardening for every response and every cookie-authenticated write.

* Security headers on every response: a Content-Security-Policy allowing only the app's own
  resources (the dashboard needs no script), ``nosniff``, no framing, no referrer to other sites.
* Cross-site request forgery: a request that changes something (not GET/HEAD/OPTIONS) and is
  authenticated by the dashboard's cookie — not by an ``Authorization`` header, which a
  cross-site form cannot set — must come from a page of the same origin (``Origin``, or else
  ``Referer``). Otherwise 403. The cookie is also ``SameSite=Strict``.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from .auth import TOKEN_COOKIE
from .bodylimit import ASGIApp, Message, Receive, Scope, Send

HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" would make browsers send Origin: null
]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Hardening:
    """ASGI middleware: security headers, and the same-origin rule for cookie writes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers") or ()}
        writes = scope["method"] not in SAFE_METHODS
        if writes and _cookie_only(headers) and not _same_origin(headers):
            await _refuse(send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in HEADERS if k not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie_only(headers: dict[bytes, bytes]) -> bool:
    cookie = headers.get(b"cookie", b"").decode("latin-1")
    return b"authorization" not in headers and f"{TOKEN_COOKIE}=" in cookie


def _same_origin(headers: dict[bytes, bytes]) -> bool:
    host = headers.get(b"host", b"").decode("latin-1").lower()
    source = headers.get(b"origin") or headers.get(b"referer")
    if not source or not host:
        return False
    return urlsplit(source.decode("latin-1")).netloc.lower() == host


async def _refuse(send: Send) -> None:
    body = json.dumps(
        {
            "code": "cross_site_request",
            "message": "thay đổi bằng phiên đăng nhập của trang điều hành phải được gửi từ chính trang đó",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
