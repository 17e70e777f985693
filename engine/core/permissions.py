"""Who may do what: global permissions, roles on a directive, separation of duties. Pure.

Two different things, never mixed:

* **Global roles** are what a deployment grants a person (a token's ``roles``, an embedding
  back-end's :class:`~dondoc.core.actors.Actor`): ``admin``, ``assigner``, ``reviewer``… They
  carry **permissions** (:class:`Permission`) — create directives, review everything,
  administer — and nothing else by themselves.
* **Roles on a directive** (``assignee``, ``assigner``, ``reviewer``, ``lead_unit``,
  ``cooperating_unit``, or any role a workflow declares) are what a transition requires. They
  are *bound* by the directive's own fields (the actor is its assignee, a member of its lead
  unit…). A global role counts as a workflow role only where the workflow says so in its
  ``grants:`` mapping (``grants: {reviewer: [reviewer]}``: a member of the board holding the
  global ``reviewer`` role reviews every directive of that workflow). So holding the global
  ``assigner`` role (may create directives) does not make anyone the assigner of a colleague's.

Separation of duties: a transition with ``not_by: [requester]`` (implied by ``extend_due``) may
not be fired by whoever made the request it decides — the actor of the event that entered the
directive's current state; ``not_by: [assignee]`` (or ``assigner``, ``reviewer``) excludes the
person the directive names in that role. :func:`check_separation` enforces it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum

from ..errors import PermissionDenied
from .actors import Actor
from .spec import SYSTEM_ROLE, TransitionSpec, excluded_parties


class Permission(StrEnum):
    """What a global role allows, independent of any directive."""

    CREATE = "create"  #: create directives, import the drafts of an extraction
    REVIEW = "review"  #: reports and statistics of every unit; read documents for review
    ADMIN = "admin"  #: validate workflows, tokens, audit; see every directive


#: The global roles dondoc knows, and the permissions each carries. Other global roles (a
#: deployment's own, e.g. ``board``) carry no permission; a workflow may still grant them one
#: of its roles.
GLOBAL_ROLES: Mapping[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "assigner": frozenset({Permission.CREATE}),
    "reviewer": frozenset({Permission.REVIEW}),
    SYSTEM_ROLE: frozenset(),
}


def permissions(actor: Actor) -> frozenset[Permission]:
    """Every permission ``actor``'s global roles carry."""
    out: set[Permission] = set()
    for role in actor.roles:
        out |= GLOBAL_ROLES.get(role, frozenset())
    return frozenset(out)


def can(actor: Actor, permission: Permission) -> bool:
    return permission in permissions(actor)


def holders(permission: Permission) -> list[str]:
    """The global roles carrying ``permission`` (for error messages)."""
    return sorted(r for r, perms in GLOBAL_ROLES.items() if permission in perms)


def require(actor: Actor, permission: Permission, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` has ``permission`` (for ``action``)."""
    if not can(actor, permission):
        raise PermissionDenied(actor.id, action, holders(permission), sorted(actor.roles))


def roles_on(
    actor: Actor,
    *,
    assignee: str | None,
    assigner: str | None,
    reviewer: str | None,
    lead_unit: str | None,
    cooperating_units: Iterable[str] = (),
    grants: Mapping[str, Collection[str]] | None = None,
) -> frozenset[str]:
    """Every workflow role ``actor`` holds on a directive with these fields.

    Bound roles come from the fields; ``grants`` (the workflow's ``grants:``: workflow role →
    global roles that satisfy it) adds the roles the actor's global roles stand for; the
    scheduler's global ``system`` role is always the workflow role ``system``.
    """
    held: set[str] = set()
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
    if SYSTEM_ROLE in actor.roles:
        held.add(SYSTEM_ROLE)
    for role, global_roles in (grants or {}).items():
        if actor.roles & set(global_roles):
            held.add(role)
    return frozenset(held)


class SeparationOfDuties(PermissionDenied):
    """The actor would decide their own request (or act in a role the transition excludes)."""

    def __init__(self, actor: str, trigger: str, excluded: str, held: Iterable[str]) -> None:
        super().__init__(actor, trigger, (), sorted(held))
        self.excluded = excluded
        Exception.__init__(
            self,
            f"{actor} không được thực hiện '{trigger}': người là {excluded} của nhiệm vụ không "
            "được làm lệnh này (không ai tự quyết định yêu cầu của chính mình)",
        )


def check_separation(
    t: TransitionSpec,
    actor: Actor,
    *,
    requester: str | None,
    people: Mapping[str, str | None],
    held: Iterable[str] = (),
) -> None:
    """Raise :class:`SeparationOfDuties` if ``actor`` is excluded from firing ``t``.

    ``requester`` is the actor of the event that entered the current state; ``people`` maps
    ``assignee``/``assigner``/``reviewer`` to the persons the directive names.
    """
    for who in excluded_parties(t):
        excluded = requester if who == "requester" else people.get(who)
        if excluded is not None and excluded == actor.id:
            raise SeparationOfDuties(actor.id, t.trigger, who, held)
