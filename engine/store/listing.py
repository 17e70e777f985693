"""The read side in SQL: visibility, filters, the status grid as a CASE, paging, aggregates.

Lists and statistics never load every directive into Python: who may see a row, which status
it has today and how it is grouped are SQL expressions over the row's columns, so a page is
one indexed query and a statistics grid one ``GROUP BY``.

The status of a directive (:func:`dondoc.deadlines.status.progress_status`) depends on the
workflow (which final states mean *cancelled*), the calendar (*due soon* counts working days)
and today. The service works those out in Python once per query and hands them over as a
:class:`StatusBasis`: the (workflow, version, state) triples that are cancelled, today, and
the last due date still *due soon* — so SQL only compares dates.

The visibility rule is the service's (:meth:`dondoc.service.queries.Queries.can_see`, the
reference); :class:`Viewer` is that rule reduced to the facts SQL needs, and a test keeps both
equal on random data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from .statements import FIELDS
from .tables import UNITS_TABLE, DirectiveRow

_D: sa.Table = DirectiveRow.__table__  # type: ignore[assignment]

# Status values, as in dondoc.deadlines.status.Status (store/ may not import deadlines/).
CANCELLED = "cancelled"
COMPLETED_ON_TIME = "completed_on_time"
COMPLETED_LATE = "completed_late"
NO_DEADLINE = "no_deadline"
IN_PROGRESS_OVERDUE = "in_progress_overdue"
DUE_SOON = "due_soon"
IN_PROGRESS_ON_TIME = "in_progress_on_time"
STATUSES = (
    COMPLETED_ON_TIME,
    COMPLETED_LATE,
    IN_PROGRESS_ON_TIME,
    DUE_SOON,
    IN_PROGRESS_OVERDUE,
    NO_DEADLINE,
    CANCELLED,
)

UNKNOWN_KEY = "(chưa xác định)"  # the grid's key for a directive with no unit/assignee/due
GROUPINGS = ("lead_unit", "assignee", "workflow", "year", "quarter", "month")


@dataclass(frozen=True)
class Viewer:
    """What SQL needs of the visibility rule for one reader.

    ``everything``: sees every directive. Otherwise a directive is visible when ``person`` is
    its assignee, assigner or reviewer; when ``unit`` leads it or cooperates on it; or, with
    ``awaiting_review``, when its work is done and it is still open."""

    everything: bool = False
    person: str | None = None
    unit: str | None = None
    awaiting_review: bool = False


EVERYONE = Viewer(everything=True)


@dataclass(frozen=True)
class StatusBasis:
    """What the status of a directive depends on besides its row, worked out in Python.

    ``soon_until``: the last due date that is still *due soon* on ``today`` (an open directive
    due in [today, soon_until] is due soon). ``cancelled``: (workflow, version, state) of the
    final states whose outcome is *cancelled*. ``against``: ``current`` judges by the
    (extended) due date, ``original`` by the due date first given. ``historical``: ``today``
    is a past day (a closed period's last day), so work done or cancelled after it counts as
    still open on it."""

    today: date
    soon_until: date
    cancelled: tuple[tuple[str, int, str], ...]
    against: str = "current"
    historical: bool = False


@dataclass(frozen=True)
class Filters:
    """Every filter a list may have; None means "any"."""

    workflow: str | None = None
    state: str | None = None
    unit: str | None = None
    assignee: str | None = None
    assigner: str | None = None
    parent_id: int | None = None
    open_only: bool = False
    undone_only: bool = False  # not yet reported done (done_at is empty)
    #: in any of these (workflow, version, state) places; None: anywhere
    places: tuple[tuple[str, int, str], ...] | None = None
    doc_number: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    status: str | None = None
    text: str | None = None  # a case-insensitive substring of title + " " + content


def visible(viewer: Viewer, dialect: str) -> sa.ColumnElement[bool]:
    """The visibility rule for ``viewer`` as a WHERE clause (mirrors ``Queries.can_see``)."""
    if viewer.everything:
        return sa.true()
    terms: list[sa.ColumnElement[bool]] = []
    if viewer.person is not None:
        terms += [
            _D.c.assignee == viewer.person,
            _D.c.assigner == viewer.person,
            _D.c.reviewer == viewer.person,
        ]
    if viewer.unit is not None:
        terms += [_D.c.lead_unit == viewer.unit, cooperates(viewer.unit, dialect)]
    if viewer.awaiting_review:
        terms.append(sa.and_(_D.c.done_at.is_not(None), _D.c.is_open.is_(True)))
    return sa.or_(*terms) if terms else sa.false()


def visible_ids(viewer: Viewer, dialect: str) -> sa.ColumnElement[bool]:
    """:func:`visible` for a count or an aggregate: on SQLite, the directive is among the
    union of what each term of the rule finds through its own index — SQLite will not combine
    indexes for an OR whose terms it takes for broad (a column with few distinct values, as
    assigners and reviewers are), so it tested the rule on every row (43 ms for a unit
    member's count at 100,000 directives; 2 ms this way). PostgreSQL combines them itself
    (a bitmap OR, the cooperating units through their GIN index)."""
    if viewer.everything or dialect != "sqlite":
        return visible(viewer, dialect)
    parts: list[sa.Select[Any]] = []
    if viewer.person is not None:
        parts += [
            sa.select(_D.c.id).where(_D.c[column] == viewer.person) for column in PERSON_COLUMNS
        ]
    if viewer.unit is not None:
        parts += [
            sa.select(_D.c.id).where(_D.c.lead_unit == viewer.unit),
            sa.select(UNITS_TABLE.c.directive_id).where(UNITS_TABLE.c.unit == viewer.unit),
        ]
    if viewer.awaiting_review:
        parts.append(sa.select(_D.c.id).where(_D.c.done_at.is_not(None), _D.c.is_open.is_(True)))
    return _D.c.id.in_(sa.union(*parts)) if parts else sa.false()


def cooperates(unit: str, dialect: str) -> sa.ColumnElement[bool]:
    """``unit`` is among the directive's cooperating units (a JSON array of names; on SQLite
    read from ``directive_units``, which triggers keep in step with it)."""
    if dialect == "postgresql":
        return sa.type_coerce(_D.c.cooperating_units, JSONB).contains([unit])
    return _D.c.id.in_(sa.select(UNITS_TABLE.c.directive_id).where(UNITS_TABLE.c.unit == unit))


def _due(basis: StatusBasis) -> sa.ColumnElement[Any]:
    return _D.c.original_due if basis.against == "original" else _D.c.due


def _done_day(dialect: str) -> sa.ColumnElement[Any]:
    """The local (Vietnam) day of ``done_at``, comparable with a date column."""
    return _local_day(_D.c.done_at, dialect)


def _local_day(column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[Any]:
    """The local (Vietnam) day of a UTC timestamp column, comparable with a date column.

    PostgreSQL converts with the time zone database; SQLite adds seven hours (Vietnam has kept
    UTC+7, without daylight saving, since 1975)."""
    if dialect == "postgresql":
        local = sa.func.timezone("Asia/Ho_Chi_Minh", sa.func.timezone("UTC", column))
        return sa.cast(local, sa.Date)
    return sa.func.date(column, "+7 hours")


def _cancelled(basis: StatusBasis, dialect: str = "") -> sa.ColumnElement[bool]:
    by_states: dict[tuple[str, frozenset[str]], list[int]] = {}
    per_version: dict[tuple[str, int], set[str]] = {}
    for workflow, version, state in basis.cancelled:
        per_version.setdefault((workflow, version), set()).add(state)
    for (workflow, version), states in per_version.items():
        by_states.setdefault((workflow, frozenset(states)), []).append(version)
    terms = [
        sa.and_(
            _D.c.workflow == workflow,
            _D.c.state.in_(sorted(states)),
            _D.c.workflow_version.in_(sorted(versions)),
        )
        for (workflow, states), versions in sorted(by_states.items(), key=lambda kv: kv[0][0])
    ]
    if not terms:
        return sa.false()
    if basis.historical:  # cancelled after the day: still open on it
        closed = _local_day(_D.c.closed_at, dialect)
        return sa.and_(sa.or_(*terms), _D.c.closed_at.is_not(None), closed <= basis.today)
    return sa.or_(*terms)


def _finished(basis: StatusBasis, dialect: str) -> sa.ColumnElement[bool]:
    """The work was reported done (on or before ``basis.today`` for a past day)."""
    if basis.historical:
        return sa.and_(_D.c.done_at.is_not(None), _done_day(dialect) <= basis.today)
    return _D.c.done_at.is_not(None)


def status_case(basis: StatusBasis, dialect: str) -> sa.ColumnElement[str]:
    """The directive's status on ``basis.today`` as a CASE (``progress_status`` in SQL)."""
    due = _due(basis)
    done = _done_day(dialect)
    completed = sa.case(
        (sa.or_(due.is_(None), done <= due), sa.literal(COMPLETED_ON_TIME)),
        else_=sa.literal(COMPLETED_LATE),
    )
    return sa.case(
        (_cancelled(basis, dialect), sa.literal(CANCELLED)),
        (_finished(basis, dialect), completed),
        (due.is_(None), sa.literal(NO_DEADLINE)),
        (due < basis.today, sa.literal(IN_PROGRESS_OVERDUE)),
        (due <= basis.soon_until, sa.literal(DUE_SOON)),
        else_=sa.literal(IN_PROGRESS_ON_TIME),
    )


def status_is(status: str, basis: StatusBasis, dialect: str) -> sa.ColumnElement[bool]:
    """Rows whose status is ``status``, as plain comparisons (indexes on due/done_at apply)."""
    cancelled = _cancelled(basis, dialect)
    if status == CANCELLED:
        return cancelled
    due = _due(basis)
    done = _done_day(dialect)
    not_done = sa.not_(_finished(basis, dialect))
    if dialect == "sqlite" and not basis.historical:
        # SQLite's statistics say a (due, done_at) pair holds a few rows, so it would walk
        # every due date of ix_directives_due_status looking for done_at IS NULL (most open
        # rows: 0.1-0.4 s at a million) rather than read the due range; a CASE is no index
        # term, which leaves it the range (or another filter's index)
        not_done = sa.case((_D.c.done_at.is_(None), 1), else_=0) == 1
    open_ = [sa.not_(cancelled), not_done]
    finished = [sa.not_(cancelled), _finished(basis, dialect)]
    where: dict[str, list[sa.ColumnElement[bool]]] = {
        COMPLETED_ON_TIME: [*finished, sa.or_(due.is_(None), done <= due)],
        COMPLETED_LATE: [*finished, due.is_not(None), done > due],
        NO_DEADLINE: [*open_, due.is_(None)],
        IN_PROGRESS_OVERDUE: [*open_, due < basis.today],
        DUE_SOON: [*open_, due >= basis.today, due <= basis.soon_until],
        IN_PROGRESS_ON_TIME: [*open_, due > basis.soon_until],
    }
    return sa.and_(*where[status]) if status in where else sa.false()


def conditions(
    f: Filters, viewer: Viewer, basis: StatusBasis | None, dialect: str, whole: bool = False
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clause of a list: visibility and every filter given (a status filter needs
    the ``basis``). ``whole``: for a count or an aggregate, which reads every match (see
    :func:`visible_ids`), rather than a page, which stops at its end."""
    c = _D.c
    out: list[sa.ColumnElement[bool]] = []
    if not viewer.everything:
        out.append(visible_ids(viewer, dialect) if whole else visible(viewer, dialect))
    pairs: Sequence[tuple[Any, Any]] = (
        (c.workflow, f.workflow),
        (c.state, f.state),
        (c.lead_unit, f.unit),
        (c.assignee, f.assignee),
        (c.assigner, f.assigner),
        (c.parent_id, f.parent_id),
        (c.doc_number, f.doc_number),
    )
    out += [col == value for col, value in pairs if value is not None]
    if f.open_only:
        out.append(c.is_open.is_(True))
    if f.undone_only:
        out.append(c.done_at.is_(None))
    if f.places is not None:
        out.append(in_places(f.places))
    if f.due_from is not None:
        out.append(c.due >= f.due_from)
    if f.due_to is not None:
        out.append(c.due <= f.due_to)
    if f.status is not None:
        assert basis is not None, "a status filter needs the status basis"
        out.append(status_is(f.status, basis, dialect))
    if f.text:
        out.append(contains_text(f.text, dialect))
    return out


Place = tuple[str, int, str]  # (workflow, version, state)

#: The columns naming a person, each also the workflow role it binds to that person.
PERSON_COLUMNS = ("assignee", "assigner", "reviewer")
#: The workflow roles a directive's own fields give (``core.permissions.roles_on``).
BOUND_ROLES = (*PERSON_COLUMNS, "lead_unit", "cooperating_unit")


def decidable(
    anywhere: Sequence[Place],
    bound: Mapping[str, Sequence[Place]],
    viewer: Viewer,
    person: str,
    unit: str | None,
    dialect: str = "",
) -> sa.ColumnElement[bool] | None:
    """In one of the ``anywhere`` places and visible to ``viewer``, or in a place of
    ``bound[role]`` with ``role`` bound to ``person`` (or their ``unit``) by the directive's
    fields — which the visibility rule lets them see anyway (a person sees what names them or
    their unit), so those terms skip it: testing the rule on every open directive, cooperating
    units included, was most of the time of a unit member's page. None when nothing can be."""
    binds: dict[str, sa.ColumnElement[bool]] = {
        "assignee": _D.c.assignee == person,
        "assigner": _D.c.assigner == person,
        "reviewer": _D.c.reviewer == person,
    }
    if unit is not None:
        binds["lead_unit"] = _D.c.lead_unit == unit
        binds["cooperating_unit"] = cooperates(unit, dialect)
    terms = [sa.and_(visible(viewer, dialect), in_places(anywhere))] if anywhere else []
    # roles deciding in the same places share one term: "in P and (assigner = me or reviewer
    # = me)" lets the planner read each person index once; an OR of one place list per role
    # made SQLite test every open directive
    by_places: dict[tuple[Place, ...], list[sa.ColumnElement[bool]]] = {}
    for role, places in sorted(bound.items()):
        if places and role in binds:
            by_places.setdefault(tuple(sorted(places)), []).append(binds[role])
    terms += [sa.and_(in_places(places), sa.or_(*b)) for places, b in by_places.items()]
    return sa.or_(*terms) if terms else None


def in_places(places: Sequence[tuple[str, int, str]]) -> sa.ColumnElement[bool]:
    """The directive is in one of ``places`` ((workflow, version, state) triples), grouped by
    workflow and state so the clause stays short."""
    by_state: dict[tuple[str, str], set[int]] = {}
    for workflow, version, state in places:
        by_state.setdefault((workflow, state), set()).add(version)
    if not by_state:
        return sa.false()
    return sa.or_(
        *(
            sa.and_(
                _D.c.workflow == workflow,
                _D.c.state == state,
                _D.c.workflow_version.in_(sorted(versions)),
            )
            for (workflow, state), versions in sorted(by_state.items())
        )
    )


def contains_text(text: str, dialect: str) -> sa.ColumnElement[bool]:
    """``text`` (any case) occurs in title + " " + content.

    Case folding is Unicode on both databases: PostgreSQL's ``lower`` on a UTF-8 database, and
    on SQLite the function ``dondoc_lower`` (Python's ``str.lower``; SQLite's own ``lower``
    folds ASCII only) that :func:`register_sqlite_functions` installs."""
    whole = _D.c.title + " " + _D.c.content
    if dialect == "postgresql":
        return sa.func.strpos(sa.func.lower(whole), text.lower()) > 0
    return sa.func.instr(sa.func.dondoc_lower(whole), text.lower()) > 0


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Install ``dondoc_lower`` on a sqlite3 connection (idempotent, cheap)."""
    dbapi_connection.create_function("dondoc_lower", 1, _lower, deterministic=True)


def group_key(by: str, basis: StatusBasis, dialect: str) -> sa.ColumnElement[str]:
    """The grid's row key: a column (unknown when empty), or the period of the due date
    (``2024``, ``2024-Q2``, ``2024-06``)."""
    if by in ("lead_unit", "assignee", "workflow"):
        col = _D.c[by]
        return sa.case((sa.or_(col.is_(None), col == ""), sa.literal(UNKNOWN_KEY)), else_=col)
    due = _due(basis)
    if dialect == "postgresql":
        fmt = {"year": "YYYY", "quarter": 'YYYY-"Q"Q', "month": "YYYY-MM"}[by]
        period: sa.ColumnElement[str] = sa.func.to_char(due, fmt)
    elif by == "quarter":
        month = sa.cast(sa.func.strftime("%m", due), sa.Integer)
        quarter = sa.cast((month + 2) // 3, sa.String)
        period = sa.func.strftime("%Y", due, type_=sa.String) + "-Q" + quarter
    else:
        period = sa.func.strftime("%Y" if by == "year" else "%Y-%m", due, type_=sa.String)
    return sa.case((due.is_(None), sa.literal(UNKNOWN_KEY)), else_=period)


#: The orders a list can have: by creation (id), or by (current) due date — earliest first,
#: directives without a due date last — then id.
ORDERS = ("created", "due")


def _due_order(
    where: Sequence[sa.ColumnElement[bool]],
    after: int | None,
    after_row_due: date | None,
    limit: int | None,
    offset: int,
    dialect: str,
    dated_only: bool,
    part: str = "both",
) -> sa.Select[Any]:
    """The due order as two ordered parts — directives with a due date by (due, id), then
    those without by id — each cut at ``offset + limit`` and merged: each part can be read
    in index order (open directives by due: ``ix_directives_open_due``) and stop early,
    where one ORDER BY on ``due IS NULL`` would sort every match first. ``part``: "dated"
    or "undated" for that part alone (the undated one from its start unless ``after`` is
    among them)."""
    columns = [_D.c[name] for name in FIELDS]
    n = None if limit is None else offset + limit
    no_due: sa.ColumnElement[bool] = _D.c.due.is_(None)
    if dialect == "sqlite":
        # SQLite's statistics are averages: it would take "due IS NULL" for a rare value and
        # read it through the due index; a CASE keeps the other filters' indexes in play.
        no_due = sa.case((_D.c.due.is_(None), 1), else_=0) == 1
    undated = sa.select(*columns).where(*where, no_due)
    if after is not None and after_row_due is None:  # the previous page ended among undated
        return undated.where(_D.c.id > after).order_by(_D.c.id).offset(offset).limit(limit)
    if part == "undated":
        return undated.order_by(_D.c.id).offset(offset).limit(limit)
    dated = sa.select(*columns).where(*where, _D.c.due.is_not(None))
    if after is not None:
        dated = dated.where(
            sa.or_(_D.c.due > after_row_due, sa.and_(_D.c.due == after_row_due, _D.c.id > after))
        )
    if dated_only or part == "dated":  # (a filter on the due date: nothing undated matches)
        return dated.order_by(_D.c.due, _D.c.id).offset(offset).limit(limit)
    # the parts pick ids only (their subqueries stay two columns wide); the page's rows are
    # joined to them
    parts = [
        part.with_only_columns(_D.c.id, _D.c.due).order_by(*keys).limit(n).subquery()
        for part, keys in ((dated, (_D.c.due, _D.c.id)), (undated, (_D.c.id,)))
    ]
    both = sa.union_all(*(sa.select(p.c.id, p.c.due) for p in parts)).subquery()
    return (
        sa.select(*columns)
        .join_from(_D, both, _D.c.id == both.c.id)
        .order_by(both.c.due.is_(None), both.c.due, both.c.id)
        .offset(offset)
        .limit(limit)
    )


def page_query(
    where: Sequence[sa.ColumnElement[bool]],
    *,
    after: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    order: str = "created",
    after_row_due: date | None = None,
    dialect: str = "",
    dated_only: bool = False,
    part: str = "both",
) -> sa.Select[Any]:
    """Directives matching ``where`` in ``order`` (see :data:`ORDERS`): after the directive
    ``after`` (keyset; for the due order, ``after_row_due`` is that directive's due), then
    ``offset`` rows skipped (page links), at most ``limit`` (``dated_only``: ``where`` bounds
    the due date; ``part``: one part of the due order, see :func:`_due_order`). Selects the
    columns in the order of
    :class:`~dondoc.store.statements.DirectiveState` (plain rows: no ORM identity map)."""
    if order == "due":
        return _due_order(where, after, after_row_due, limit, offset, dialect, dated_only, part)
    stmt = sa.select(*(_D.c[name] for name in FIELDS)).where(*where)
    if after is not None:
        stmt = stmt.where(_D.c.id > after)
    stmt = stmt.order_by(_D.c.id)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def count_query(where: Sequence[sa.ColumnElement[bool]], cap: int | None = None) -> sa.Select[Any]:
    """How many directives match ``where`` — counting no further than ``cap`` when given
    (a page count needs no exact total in the hundreds of thousands; counting every row is
    what made a PostgreSQL page slow)."""
    if cap is None:
        return sa.select(sa.func.count()).select_from(_D).where(*where)
    first = sa.select(_D.c.id).where(*where).limit(cap).subquery()
    return sa.select(sa.func.count()).select_from(first)


def grid_query(
    by: str, where: Sequence[sa.ColumnElement[bool]], basis: StatusBasis, dialect: str
) -> sa.Select[Any]:
    """(key, status, count) for every group and status present.

    The key and the status are computed in a subquery and grouped by name: repeating the
    expressions in GROUP BY would bind their parameters twice, which PostgreSQL does not
    recognise as the same expression."""
    inner = (
        sa.select(
            group_key(by, basis, dialect).label("key"), status_case(basis, dialect).label("status")
        )
        .where(*where)
        .subquery("d")
    )
    return sa.select(inner.c.key, inner.c.status, sa.func.count().label("n")).group_by(
        inner.c.key, inner.c.status
    )
