""" "Việc của tôi" (my work): what the signed-in person must do, decide, chase and watch.

Every list is read through the Engine with SQL filters (assignee, state, due dates, open only)
and the visibility rule; nothing loads the whole table. An item stays in its section until the
work moves on (it is claimed, decided, completed), since each section is a query on the
current state, not a notification.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from ..clock import local_date
from ..core.actors import Actor
from ..core.records import Directive
from ..service.engine import Engine

#: "Due soon": open work whose due date falls within this many days.
DUE_SOON_DAYS = 7
#: Each section shows at most this many items (the full list is one click away).
SECTION_LIMIT = 50
#: Pages of candidates read to fill the decision section (most candidates are decisions the
#: reader may take; this bounds the work when they are not).
MAX_PAGES = 4


@dataclass
class MyWork:
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


def decision_states(engine: Engine) -> set[tuple[str, int, str]]:
    """(workflow, version, state) where a decision is awaited: done states (a report to
    assess) and the sources of decisions made by someone other than the requester
    (``not_by`` or ``extend_due``, e.g. an extension request)."""
    found: set[tuple[str, int, str]] = set()
    for compiled in engine.workflows:
        spec = compiled.spec
        for s in spec.states:
            if s.done and not s.final:
                found.add((spec.workflow, spec.version, s.id))
        for t in spec.transitions:
            if t.not_by or t.extend_due:
                for src in t.source:
                    if src != "*":
                        found.add((spec.workflow, spec.version, src))
    return found


def awaiting_decision(engine: Engine, who: Actor, limit: int = SECTION_LIMIT) -> list[Directive]:
    """What waits for ``who`` to decide, earliest due first: directives in a decision state
    (:func:`decision_states`) on which ``who`` may fire a trigger now — which leaves out a
    request ``who`` made (nobody approves their own request). Read a page at a time in due
    order, the permissions of a page checked in one transaction."""
    places = tuple(sorted(decision_states(engine)))
    found: list[Directive] = []
    after = None
    for _ in range(MAX_PAGES):
        page = engine.visible_directives(
            who, places=places, open_only=True, order="due", after=after, limit=limit
        )
        allowed = engine.allowed_triggers_many((d.id for d in page), who)
        found += [d for d in page if allowed.get(d.id)]
        if len(found) >= limit or len(page) < limit:
            break
        after = page[-1].id
    return found[:limit]


def my_work(engine: Engine, who: Actor) -> MyWork:
    today = local_date(engine.clock.now())
    work = MyWork()
    work.todo = engine.directives(
        assignee=who.id, open_only=True, undone_only=True, order="due", limit=SECTION_LIMIT
    )
    work.queue = engine.queue(who)[:SECTION_LIMIT]
    work.review = awaiting_decision(engine, who)
    work.late_assigned = engine.visible_directives(
        who,
        assigner=who.id,
        open_only=True,
        undone_only=True,
        due_to=today - timedelta(days=1),
        order="due",
        limit=SECTION_LIMIT,
    )
    work.due_soon = engine.directives(
        assignee=who.id,
        open_only=True,
        undone_only=True,
        due_from=today,
        due_to=today + timedelta(days=DUE_SOON_DAYS),
        order="due",
        limit=SECTION_LIMIT,
    )
    return work
