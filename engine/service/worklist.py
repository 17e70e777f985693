""" "Việc của tôi" (my work): what a person must do, decide, chase and watch.

Every section is a bounded SQL query in due order through the visibility rule; nothing loads
the whole table. An item stays in its section until the work moves on (it is claimed,
decided, completed): each section is a query on the current state, not a notification.

The decision section is the one that needs more than a filter: a directive waits for ``who``
to decide when it is in a decision state and ``who`` may fire one of its triggers now, which
leaves out a request ``who`` made (nobody approves their own request). Its candidates are read
a page at a time and checked in the same transaction, on the rows already read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..clock import local_date
from ..core.actors import Actor
from ..core.permissions import roles_on
from ..core.records import Directive
from ..store.listing import BOUND_ROLES, EVERYONE, PERSON_COLUMNS, Place, decidable
from ..store.statements import DirectiveState
from .moves import Moves
from .queries import Queries

#: "Due soon": open work whose due date falls within this many days.
DUE_SOON_DAYS = 7
#: Each section shows at most this many items (the full list is one click away).
SECTION_LIMIT = 50
#: Pages of candidates read to fill the decision section (most candidates are decisions the
#: reader may take; this bounds the work when they are not).
MAX_PAGES = 4


@dataclass(frozen=True)
class Deciders:
    """Where a person could decide (:meth:`Worklist.decision_roles`)."""

    anywhere: tuple[Place, ...]
    bound: dict[str, tuple[Place, ...]]


@dataclass
class MyWork:
    """The sections of "Việc của tôi", each at most :data:`SECTION_LIMIT` items, earliest due
    first."""

    todo: list[Directive] = field(default_factory=list)
    queue: list[Directive] = field(default_factory=list)
    review: list[Directive] = field(default_factory=list)
    late_assigned: list[Directive] = field(default_factory=list)
    due_soon: list[Directive] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "todo": len(self.todo) + len(self.queue),
            "review": len(self.review),
            "late": len(self.late_assigned),
            "soon": len(self.due_soon),
        }


class Worklist(Moves, Queries):
    def decision_places(self) -> tuple[Place, ...]:
        """Where a decision is awaited: done states (a report to assess) and the sources of
        decisions made by someone other than the requester (``not_by`` or ``extend_due``,
        e.g. an extension request), in every loaded workflow version."""
        found: set[Place] = set()
        for compiled in self.workflows:
            spec = compiled.spec
            for s in spec.states:
                if s.done and not s.final:
                    found.add((spec.workflow, spec.version, s.id))
            for t in spec.transitions:
                if t.not_by or t.extend_due:
                    found.update((spec.workflow, spec.version, src) for src in t.source)
        found = {p for p in found if p[2] != "*"}
        return tuple(sorted(found))

    def decision_roles(self, who: Actor) -> Deciders:
        """Where ``who`` could decide: the decision places (:meth:`decision_places`) where a
        role ``who`` holds whatever the directive (a global role the workflow's ``grants:``
        maps, ``system``) may fire a trigger — every directive there is a candidate —, and,
        per role a directive's own fields bind (assignee, assigner, reviewer, lead unit,
        cooperating unit), the places where holding it would let ``who`` decide. A superset:
        the permission check on each candidate has the last word."""
        wanted = set(self.decision_places())
        anywhere: list[Place] = []
        bound: dict[str, list[Place]] = {}
        for compiled in self.workflows:
            spec = compiled.spec
            held = roles_on(
                who,
                assignee=None,
                assigner=None,
                reviewer=None,
                lead_unit=None,
                grants=spec.grants,
            )
            for state in spec.states:
                place = (spec.workflow, spec.version, state.id)
                if place not in wanted:
                    continue
                roles: set[str] = set()
                for trigger in spec.triggers_from(state.id):
                    t = spec.transition(trigger, state.id)
                    roles.update(t.roles if t is not None else ())
                if roles & held:
                    anywhere.append(place)
                    continue
                for role in roles & set(BOUND_ROLES):
                    bound.setdefault(role, []).append(place)
        return Deciders(tuple(anywhere), {r: tuple(p) for r, p in bound.items()})

    def awaiting_decision(self, who: Actor, *, limit: int = SECTION_LIMIT) -> list[Directive]:
        """What waits for ``who`` to decide, earliest due first (see the module's text): at
        most ``limit``, from at most :data:`MAX_PAGES` pages of candidates — directives in a
        decision place where ``who`` holds, or on the directive would hold, a deciding role
        (:meth:`decision_roles`)."""
        deciders = self.decision_roles(who)
        found: list[DirectiveState] = []
        with self._tx() as repo:
            viewer = self.viewer(who)
            # a role bound by a person column counts only if some directive names them there
            # (one index probe each): most people assign and review nothing
            bound = {
                role: places
                for role, places in deciders.bound.items()
                if role not in PERSON_COLUMNS or repo.names(role, who.id)
            }
            d = Deciders(deciders.anywhere, bound)
            candidates = decidable(d.anywhere, d.bound, viewer, who.id, who.unit, repo.dialect)
            if candidates is None:  # no role of theirs decides anything
                return []
            # the visibility rule is part of the candidates' condition (see decidable)
            where = self._where(repo, EVERYONE, {"open_only": True})
            where.append(candidates)
            pages = repo.ids_by_due(where, limit * MAX_PAGES) if not d.anywhere else None
            after = None
            for n in range(MAX_PAGES):
                if pages is None:
                    page = repo.page(where, after=after, limit=limit, order="due")
                else:
                    page = repo.in_order(pages[n * limit : (n + 1) * limit])
                requesters = repo.sql.requesters({r.id: r.event_seq for r in page})
                found += [r for r in page if self._allowed(repo, r, who, requesters)]
                if len(found) >= limit or len(page) < limit:
                    break
                after = page[-1].id
            return [self._to_record(repo, r) for r in found[:limit]]

    def _assigns(self, who: Actor) -> bool:
        with self._tx() as repo:
            return repo.names("assigner", who.id)

    def my_work(self, who: Actor) -> MyWork:
        """Every section of "Việc của tôi" for ``who``."""
        today = local_date(self.clock.now())

        def mine(**filters: Any) -> list[Directive]:  # open, not reported done, earliest due
            return self.directives(
                open_only=True, undone_only=True, order="due", limit=SECTION_LIMIT, **filters
            )

        late: list[Directive] = []
        if self._assigns(who):  # what names them as assigner they may see: no rule to test
            late = mine(assigner=who.id, due_to=today - timedelta(days=1))
        return MyWork(
            todo=mine(assignee=who.id),
            queue=self.queue(who)[:SECTION_LIMIT],
            review=self.awaiting_decision(who),
            late_assigned=late,
            due_soon=mine(
                assignee=who.id, due_from=today, due_to=today + timedelta(days=DUE_SOON_DAYS)
            ),
        )
