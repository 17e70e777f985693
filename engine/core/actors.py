"""Who is acting.

``Actor.roles`` are the actor's *global* roles (``admin``, ``assigner``, ``reviewer``…), which
carry permissions; the roles an actor holds *on a directive* are worked out from the
directive and its workflow's ``grants:`` by :func:`dondoc.core.permissions.roles_on`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .spec import SYSTEM_ROLE


@dataclass(frozen=True)
class Actor:
    """A person (or the scheduler) acting on directives; ``roles`` are global roles."""

    id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    unit: str | None = None
    name: str | None = None

    @classmethod
    def of(cls, id: str, *roles: str, unit: str | None = None, name: str | None = None) -> Actor:
        return cls(id, frozenset(roles), unit, name)


SCHEDULER = Actor("system:scheduler", frozenset({SYSTEM_ROLE}), None, "Hệ thống")
