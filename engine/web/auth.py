"""Who is asking: bearer tokens (header or the dashboard's cookie) → an :class:`Actor`."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from ..core.actors import Actor
from ..errors import DondocError
from ..service.engine import Engine

Authenticator = Callable[[Request], Actor | None]
TOKEN_COOKIE = "dondoc_token"


class Unauthenticated(DondocError):
    code = "unauthenticated"

    def __init__(self) -> None:
        super().__init__("cần đăng nhập: gửi mã truy cập hợp lệ (Authorization: Bearer …)")


def token_authenticator(engine: Engine) -> Authenticator:
    def authenticate(request: Request) -> Actor | None:
        header = request.headers.get("authorization", "")
        token = (
            header[7:].strip()
            if header.lower().startswith("bearer ")
            else request.cookies.get(TOKEN_COOKIE)
        )
        return engine.authenticate(token) if token else None

    return authenticate


def current_actor(request: Request) -> Actor:
    """FastAPI dependency: the authenticated actor, or 401."""
    who = request.app.state.authenticate(request)
    if who is None:
        raise Unauthenticated()
    return who  # type: ignore[no-any-return]
