"""The request id of the work in progress: one id per HTTP request (or other unit of work),
carried by a context variable so that the log lines and the audit events it produces can be
found together. Pure: nothing here reads a clock or a database."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: What an id given by a caller (``X-Request-ID``) may look like; anything else is replaced.
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_current: ContextVar[str | None] = ContextVar("dondoc_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served in this context, or None outside one."""
    return _current.get()


def new_request_id(given: str | None = None) -> str:
    """``given`` when it is a safe id (letters, digits, ``._:-``, at most 64), else a new one."""
    if given and _SAFE.match(given):
        return given
    return uuid.uuid4().hex


@contextmanager
def request_id(value: str) -> Iterator[str]:
    """Run the block with ``value`` as the current request id."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
