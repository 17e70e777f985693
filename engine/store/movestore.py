"""The SQL of the moves (delegation, cooperation, reassignment, claim, explanations).

Run inside a command's transaction (the connection of :class:`~dondoc.store.statements.Sql`)
with SQLAlchemy Core: these commands are rare next to firing triggers and timers, so they are
not prepared by hand. Reads for the adapters (children, queues, explanations) use the same
functions on a session's connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from .statements import FIELDS, DirectiveState
from .tables import DirectiveRow, ExplanationRow, TimerRow, possible_id

_D: sa.Table = DirectiveRow.__table__  # type: ignore[assignment]
_X: sa.Table = ExplanationRow.__table__  # type: ignore[assignment]
_T: sa.Table = TimerRow.__table__  # type: ignore[assignment]

EXPLANATION_COLUMNS = tuple(c.name for c in _X.columns)


def _state(row: sa.Row[Any]) -> DirectiveState:
    return DirectiveState(**{name: row._mapping[name] for name in FIELDS})


def children(
    conn: sa.Connection, parent_id: int, kinds: Iterable[str] | None = None
) -> list[DirectiveState]:
    """The directives under ``parent_id`` (of the given kinds), in creation order."""
    stmt = sa.select(*(_D.c[n] for n in FIELDS)).where(_D.c.parent_id == parent_id)
    if kinds is not None:
        stmt = stmt.where(_D.c.kind.in_(list(kinds)))
    return [_state(r) for r in conn.execute(stmt.order_by(_D.c.id))]


def children_progress(conn: sa.Connection, parent_id: int) -> list[tuple[int, bool, bool]]:
    """(progress, open, done) of the delegated children of ``parent_id``: what the roll-up
    reads on every transition of a parent, so only these three columns."""
    stmt = sa.select(_D.c.progress, _D.c.is_open, _D.c.done_at.is_not(None)).where(
        _D.c.parent_id == parent_id, _D.c.kind == "delegated"
    )
    return [(int(p), bool(o), bool(d)) for p, o, d in conn.execute(stmt)]


def _n(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """How many rows of the group meet ``condition``."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def involvement(conn: sa.Connection, today: date) -> dict[str, dict[str, int]]:
    """Per unit, as SQL aggregates: ``leads``/``leads_open``/``leads_overdue`` over the
    directives it leads (not contributions, not delegated parts), ``contributions_done``/
    ``_open``/``_overdue`` over its contributions, and ``cooperates``: how many distinct
    directives it cooperates on (named among their cooperating units, or the parent of one of
    its contributions). Only directives with a lead unit count, and contributions (under "—"
    when they have none)."""
    overdue = sa.and_(
        _D.c.is_open.is_(True), _D.c.done_at.is_(None), _D.c.due.is_not(None), _D.c.due < today
    )
    out: dict[str, dict[str, int]] = {}

    def put(unit: str, **values: int) -> None:
        out.setdefault(unit, {}).update(values)

    own = sa.and_(
        _D.c.kind.not_in(["contribution", "delegated"]),
        _D.c.lead_unit.is_not(None),
        _D.c.lead_unit != "",
    )
    led = sa.select(_D.c.lead_unit, sa.func.count(), _n(_D.c.is_open.is_(True)), _n(overdue)).where(
        own
    )
    for unit, n, n_open, n_late in conn.execute(led.group_by(_D.c.lead_unit)):
        put(unit, leads=int(n), leads_open=int(n_open), leads_overdue=int(n_late))
    contributor = sa.case(
        (sa.or_(_D.c.lead_unit.is_(None), _D.c.lead_unit == ""), sa.literal("—")),
        else_=_D.c.lead_unit,
    ).label("unit")
    # (the CASE is grouped by name through a subquery: PostgreSQL does not take a repeated
    # expression with bound parameters for the same one)
    contributing = (
        sa.select(
            contributor,
            sa.case((_D.c.done_at.is_not(None), 1), else_=0).label("done"),
            sa.case((sa.and_(_D.c.is_open.is_(True), _D.c.done_at.is_(None)), 1), else_=0).label(
                "open"
            ),
            sa.case((overdue, 1), else_=0).label("late"),
        )
        .where(_D.c.kind == "contribution")
        .subquery()
    )
    totals = sa.select(
        contributing.c.unit,
        sa.func.sum(contributing.c.done),
        sa.func.sum(contributing.c.open),
        sa.func.sum(contributing.c.late),
    ).group_by(contributing.c.unit)
    for unit, done, n_open, n_late in conn.execute(totals):
        put(
            unit,
            contributions_done=int(done),
            contributions_open=int(n_open),
            contributions_overdue=int(n_late),
        )
    # cooperation: (unit, directive) pairs from contributions and from cooperating units
    pairs = sa.select(
        contributor, sa.func.coalesce(_D.c.parent_id, _D.c.id).label("directive")
    ).where(_D.c.kind == "contribution")
    named = sa.and_(
        _D.c.kind.not_in(["contribution", "delegated"]),
        _D.c.lead_unit.is_not(None),
        _D.c.cooperating_units.is_not(None),
    )
    if conn.dialect.name == "postgresql":
        each = sa.func.jsonb_array_elements_text(_D.c.cooperating_units).table_valued("value")
        value: Any = each.c.value
        # most directives name no cooperating unit: skip expanding their empty arrays
        named = sa.and_(named, sa.func.jsonb_array_length(_D.c.cooperating_units) > 0)
    else:
        each = sa.func.json_each(_D.c.cooperating_units).table_valued("value")
        value = each.c.value
        named = sa.and_(named, _D.c.cooperating_units != "[]")
    cooperation = sa.union(
        pairs,
        sa.select(value.label("unit"), _D.c.id.label("directive"))
        .select_from(_D)
        .join(each, sa.true())
        .where(named),
    ).subquery()
    per_unit = sa.select(cooperation.c.unit, sa.func.count()).group_by(cooperation.c.unit)
    for unit, n in conn.execute(per_unit):
        put(unit, cooperates=int(n))
    return out


def unit_queue(conn: sa.Connection, units: Sequence[str]) -> list[DirectiveState]:
    """Open directives addressed to one of ``units`` that nobody has claimed yet."""
    if not units:
        return []
    stmt = (
        sa.select(*(_D.c[n] for n in FIELDS))
        .where(_D.c.lead_unit.in_(list(units)), _D.c.assignee.is_(None), _D.c.is_open.is_(True))
        .order_by(_D.c.due.is_(None), _D.c.due, _D.c.id)
    )
    return [_state(r) for r in conn.execute(stmt)]


# --- explanations ---------------------------------------------------------------------------


def insert_explanation(conn: sa.Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(sa.insert(_X).values(dict(values)))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def update_explanation(conn: sa.Connection, explanation_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(_X).where(_X.c.id == explanation_id).values(dict(values)))


def explanation(conn: sa.Connection, explanation_id: int) -> dict[str, Any] | None:
    if not possible_id(explanation_id):
        return None
    row = conn.execute(sa.select(_X).where(_X.c.id == explanation_id)).first()
    return None if row is None else dict(row._mapping)


def open_explanation(conn: sa.Connection, directive_id: int) -> dict[str, Any] | None:
    """The directive's explanation not yet assessed (requested, lapsed or answered), if any."""
    row = conn.execute(
        sa.select(_X)
        .where(_X.c.directive_id == directive_id, _X.c.status != "assessed")
        .order_by(_X.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else dict(row._mapping)


def explanations(
    conn: sa.Connection,
    *,
    directive_id: int | None = None,
    status: str | None = None,
    verdict: str | None = None,
    directive_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    stmt = sa.select(_X)
    if directive_id is not None:
        stmt = stmt.where(_X.c.directive_id == directive_id)
    if directive_ids is not None:
        stmt = stmt.where(_X.c.directive_id.in_(list(directive_ids)))
    if status is not None:
        stmt = stmt.where(_X.c.status == status)
    if verdict is not None:
        stmt = stmt.where(_X.c.verdict == verdict)
    return [dict(r._mapping) for r in conn.execute(stmt.order_by(_X.c.id))]


def pending_timers(conn: sa.Connection, directive_id: int, timer: str) -> list[int]:
    stmt = sa.select(_T.c.id).where(
        _T.c.directive_id == directive_id, _T.c.status == "pending", _T.c.timer == timer
    )
    return [int(i) for i in conn.scalars(stmt)]


def latest_due(conn: sa.Connection, parent_id: int) -> date | None:
    """The latest due date among the open children of ``parent_id``."""
    stmt = sa.select(sa.func.max(_D.c.due)).where(
        _D.c.parent_id == parent_id, _D.c.is_open.is_(True)
    )
    value = conn.scalar(stmt)
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))
