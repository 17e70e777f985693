"""Who is acting, and which roles they hold on a given directive.

Roles come from two places: the actor's own grants (``Actor.roles``, e.g. ``reviewer`` for
every member of the board), and the directive itself, which binds its ``assignee``,
``assigner`` and ``reviewer`` to people and its lead/cooperating units to units. So an actor
is the ``assignee`` of exactly the directives assigned to them, not of everybody's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .spec import SYSTEM_ROLE


@dataclass(frozen=True)
class Actor:
    """A person (or the scheduler) acting on directives."""

    id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    unit: str | None = None
    name: str | None = None

    @classmethod
    def of(cls, id: str, *roles: str, unit: str | None = None, name: str | None = None) -> Actor:
        return cls(id, frozenset(roles), unit, name)


SCHEDULER = Actor("system:scheduler", frozenset({SYSTEM_ROLE}), None, "Hệ thống")


def held_roles(
    actor: Actor,
    *,
    assignee: str | None,
    assigner: str | None,
    reviewer: str | None,
    lead_unit: str | None,
    cooperating_units: Iterable[str] = (),
) -> frozenset[str]:
    """Every role ``actor`` holds on a directive with these fields."""
    held = set(actor.roles)
    if assignee is not None and actor.id == assignee:
        held.add("assignee")
    if assigner is not None and actor.id == assigner:
        held.add("assigner")
    if reviewer is not None and actor.id == reviewer:
        held.add("reviewer")
    if actor.unit is not None:
        if actor.unit == lead_unit:
            held.add("lead_unit")
        if actor.unit in set(cooperating_units):
            held.add("cooperating_unit")
    return frozenset(held)
