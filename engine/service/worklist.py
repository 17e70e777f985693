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

from ..clock import local_date
from ..core.actors import Actor
from ..core.records import Directive
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

Place = tuple[str, int, str]  # (workflow, version, state)


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

    def awaiting_decision(self, who: Actor, *, limit: int = SECTION_LIMIT) -> list[Directive]:
        """What waits for ``who`` to decide, earliest due first (see the module's text): at
        most ``limit``, from at most :data:`MAX_PAGES` pages of candidates."""
        filters = {"places": self.decision_places(), "open_only": True}
        found: list[DirectiveState] = []
        with self._tx() as repo:
            where = self._where(repo, self.viewer(who), filters)
            after = None
            for _ in range(MAX_PAGES):
                page = repo.page(where, after=after, limit=limit, order="due")
                requesters = repo.sql.requesters({r.id: r.event_seq for r in page})
                found += [r for r in page if self._allowed(repo, r, who, requesters)]
                if len(found) >= limit or len(page) < limit:
                    break
                after = page[-1].id
            return [self._to_record(repo, r) for r in found[:limit]]

    def my_work(self, who: Actor) -> MyWork:
        """Every section of "Việc của tôi" for ``who``."""
        today = local_date(self.clock.now())
        return MyWork(
            todo=self.directives(
                assignee=who.id, open_only=True, undone_only=True, order="due", limit=SECTION_LIMIT
            ),
            queue=self.queue(who)[:SECTION_LIMIT],
            review=self.awaiting_decision(who),
            late_assigned=self.visible_directives(
                who,
                assigner=who.id,
                open_only=True,
                undone_only=True,
                due_to=today - timedelta(days=1),
                order="due",
                limit=SECTION_LIMIT,
            ),
            due_soon=self.directives(
                assignee=who.id,
                open_only=True,
                undone_only=True,
                due_from=today,
                due_to=today + timedelta(days=DUE_SOON_DAYS),
                order="due",
                limit=SECTION_LIMIT,
            ),
        )
