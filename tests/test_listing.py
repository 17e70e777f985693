"""Lists, counts, single reads and statistics in SQL equal the Python rules they replace.

The references are the rules as the code stated them before the read side moved into SQL:
``Queries.can_see`` for visibility, ``progress_status`` (deadlines/status.py, from the grid of
Vietnamese follow-up reports) for each directive's status, the filters as Python predicates,
and ``grid`` for the statistics. Random directives (any state, dates around today, done at any
hour — local midnight is seven hours off UTC — units, cooperating units, people) and random
readers, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dondoc import Actor, Engine, FakeClock
from dondoc.clock import local_date
from dondoc.core.machine import WorkflowRegistry
from dondoc.core.records import Directive
from dondoc.deadlines.status import GridRow, Status, grid, progress_status
from dondoc.errors import NotFound, PayloadError
from dondoc.store.tables import DirectiveRow, EventRow, OutboxRow, TimerRow

UNITS = ["Thanh tra Sở", "Văn phòng", "Phòng Ứng dụng CNTT", ""]
PEOPLE = ["phuong", "luyen", "thang", "hoa"]
WORDS = ["Báo cáo", "KHẮC PHỤC", "đơn thư", "Tự đánh giá", "con dấu", "ĐƠN"]
T0 = datetime(2024, 3, 18, 2, tzinfo=UTC)


@pytest.fixture
def listing_engine(db_url: str, registry: WorkflowRegistry) -> Iterator[Engine]:
    eng = Engine(db_url, workflows=registry, clock=FakeClock(T0))
    yield eng
    eng.db.dispose()


def _states(registry: WorkflowRegistry) -> list[tuple[str, int, str]]:
    return [
        (c.spec.workflow, c.spec.version, s.id)
        for c in registry
        if c.spec.workflow != "conclusion"
        for s in c.spec.states
    ]


days = st.dates(date(2024, 1, 1), date(2024, 8, 31))
instants = st.datetimes(datetime(2024, 1, 1), datetime(2024, 8, 31), timezones=st.just(UTC))


@st.composite
def directive_rows(draw: st.DrawFn, states: list[tuple[str, int, str]]) -> dict[str, Any]:
    workflow, version, state = draw(st.sampled_from(states))
    due = draw(st.none() | days)
    return {
        "workflow": workflow,
        "workflow_version": version,
        "state": state,
        "is_open": draw(st.booleans()),
        "title": " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))),
        "content": draw(st.sampled_from(["", "nội dung", "Đơn thư tồn đọng"])),
        "lead_unit": draw(st.none() | st.sampled_from(UNITS)),
        "cooperating_units": draw(st.lists(st.sampled_from(UNITS[:3]), max_size=2, unique=True)),
        "assignee": draw(st.none() | st.sampled_from(PEOPLE)),
        "assigner": draw(st.none() | st.sampled_from(PEOPLE)),
        "reviewer": draw(st.none() | st.sampled_from(PEOPLE)),
        "due": due,
        "original_due": draw(st.none() | st.just(due) | days),
        "done_at": draw(st.none() | instants),
        "doc_number": draw(st.none() | st.sampled_from(["1/KL-TTr", "2/TB-STTTT"])),
        "parent": draw(st.none() | st.integers(0, 5)),
        "kind": draw(st.sampled_from(["directive", "directive", "contribution", "delegated"])),
    }


actors = st.builds(
    lambda person, roles, unit: Actor.of(person, *roles, unit=unit),
    st.sampled_from([*PEOPLE, "ngoai"]),
    st.lists(st.sampled_from(["admin", "reviewer", "assigner"]), max_size=2, unique=True),
    st.none() | st.sampled_from(UNITS),
)


@st.composite
def filter_sets(draw: st.DrawFn, states: list[tuple[str, int, str]]) -> dict[str, Any]:
    choices: dict[str, Any] = {
        "workflow": st.sampled_from(sorted({w for w, _, _ in states})),
        "state": st.sampled_from(sorted({s for _, _, s in states})),
        "unit": st.sampled_from(UNITS),
        "assignee": st.sampled_from(PEOPLE),
        "assigner": st.sampled_from(PEOPLE),
        "open_only": st.booleans(),
        "undone_only": st.booleans(),
        "due_from": days,
        "due_to": days,
        "status": st.sampled_from([s.value for s in Status]),
        "text": st.sampled_from(["báo", "ĐƠN THƯ", "khắc phục", "dấu", "nothing"]),
        "doc_number": st.sampled_from(["1/KL-TTr", "2/TB-STTTT"]),
        "parent_id": st.integers(1, 8),
        "places": st.lists(st.sampled_from(states), max_size=4).map(tuple),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(choices)), max_size=3, unique=True))
    return {k: draw(choices[k]) for k in chosen}


def _load(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Replace every directive by ``rows`` (straight into the table: reads need no events)."""
    with engine.db.begin() as conn:
        for table in (TimerRow, EventRow, OutboxRow, DirectiveRow):
            conn.execute(sa.delete(table.__table__))  # type: ignore[arg-type]
        ids: list[int] = []
        for r in rows:
            values = {k: v for k, v in r.items() if k != "parent"}
            parent = None if r["parent"] is None or r["parent"] >= len(ids) else ids[r["parent"]]
            result = conn.execute(
                sa.insert(DirectiveRow.__table__).values(  # type: ignore[arg-type]
                    **values,
                    parent_id=parent,
                    progress=0,
                    data={},
                    created_at=T0,
                    updated_at=T0,
                    event_seq=0,
                    event_hash="",
                    version=1,
                )
            )
            assert result.inserted_primary_key is not None
            ids.append(int(result.inserted_primary_key[0]))


def _python_status(engine: Engine, d: Directive, against: str) -> Status:
    """The grid's status of ``d`` by the pure rule (deadlines/status.py)."""
    cancelled = d.outcome == "cancelled"
    return progress_status(
        d.original_due if against == "original" else d.due,
        local_date(engine.clock.now()),
        completed_on=None if d.done_at is None or cancelled else local_date(d.done_at),
        cancelled=cancelled,
        due_soon_days=engine.due_soon_days,
        calendar=engine.calendar,
    )


def _python_filter(engine: Engine, d: Directive, f: dict[str, Any]) -> bool:
    """The filters as the Python of the old read side (query_directives, then status and the
    dashboard's text search)."""
    return (
        all(
            getattr(d, field) == f[key]
            for key, field in (
                ("workflow", "workflow"),
                ("state", "state"),
                ("unit", "lead_unit"),
                ("assignee", "assignee"),
                ("assigner", "assigner"),
                ("doc_number", "doc_number"),
                ("parent_id", "parent_id"),
            )
            if key in f
        )
        and (not f.get("open_only") or d.is_open)
        and (not f.get("undone_only") or d.done_at is None)
        and ("places" not in f or (d.workflow, d.workflow_version, d.state) in f["places"])
        and ("due_from" not in f or (d.due is not None and d.due >= f["due_from"]))
        and ("due_to" not in f or (d.due is not None and d.due <= f["due_to"]))
        and ("status" not in f or _python_status(engine, d, "current").value == f["status"])
        and ("text" not in f or f["text"].lower() in (d.title + " " + d.content).lower())
    )


def _period(d: Directive, by: str, against: str) -> str:
    due = d.original_due if against == "original" else d.due
    if due is None:
        return "(chưa xác định)"
    return {"year": f"{due.year}", "quarter": f"{due.year}-Q{(due.month + 2) // 3}"}.get(
        by, f"{due:%Y-%m}"
    )


def _python_grid(engine: Engine, seen: list[Directive], by: str, against: str) -> list[GridRow]:
    """The statistics as the old Python walk over every directive did them."""
    pairs = []
    for d in seen:
        if by == "lead_unit" and d.kind != "directive":
            continue  # a unit's own work only (contributions, delegated parts: see test_moves)
        if by in ("lead_unit", "assignee", "workflow"):
            key = str(getattr(d, by) or "(chưa xác định)")
        else:
            key = _period(d, by, against)
        pairs.append((key, _python_status(engine, d, against)))
    return grid(pairs)


SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(data=st.data())
def test_sql_reads_equal_the_python_rules(listing_engine: Engine, data: st.DataObject) -> None:
    engine = listing_engine
    states = _states(engine.workflows)
    rows = data.draw(st.lists(directive_rows(states), max_size=25), label="rows")
    _load(engine, rows)
    today = data.draw(st.datetimes(datetime(2024, 3, 18), datetime(2024, 7, 31)), label="now")
    engine.clock = FakeClock(today.replace(tzinfo=UTC))
    engine.due_soon_days = data.draw(st.integers(0, 6), label="due_soon_days")
    everything = engine.directives()
    assert [d.id for d in everything] == sorted(d.id for d in everything)
    for _ in range(3):
        actor = data.draw(actors, label="actor")
        f = data.draw(filter_sets(states), label="filters")
        seen = [d for d in everything if engine.can_see(actor, d)]
        expected = [d.id for d in seen if _python_filter(engine, d, f)]
        # every status of a listed record is the pure rule's
        listed = engine.visible_directives(actor, **f)
        assert [d.id for d in listed] == expected
        assert all(d.status == _python_status(engine, d, "current").value for d in listed)
        assert engine.count_visible(actor, **f) == len(expected)
        # paging: pages of any size, by offset and by keyset, put together give the list
        size = data.draw(st.integers(1, 7), label="page size")
        by_offset: list[int] = []
        by_key: list[int] = []
        after = None
        for page in range(len(expected) // size + 2):
            by_offset += [
                d.id for d in engine.visible_directives(actor, limit=size, offset=page * size, **f)
            ]
            chunk = engine.visible_directives(actor, limit=size, after=after, **f)
            by_key += [d.id for d in chunk]
            after = chunk[-1].id if chunk else after
        assert by_offset == expected and by_key == expected
        # the due order: earliest due first, no due last, ties by id; keyset pages give it too
        by_due = [
            d.id
            for d in sorted(
                (d for d in seen if d.id in set(expected)),
                key=lambda d: (d.due is None, d.due or date.min, d.id),
            )
        ]
        assert [d.id for d in engine.visible_directives(actor, order="due", **f)] == by_due
        by_key, after = [], None
        for _page in range(len(expected) // size + 2):
            chunk = engine.visible_directives(actor, order="due", limit=size, after=after, **f)
            by_key += [d.id for d in chunk]
            after = chunk[-1].id if chunk else after
        assert by_key == by_due
        by_offset = []  # page links in due order (the first page reads the parts one by one)
        for page in range(len(expected) // size + 2):
            chunk = engine.visible_directives(
                actor, order="due", limit=size, offset=page * size, **f
            )
            by_offset += [d.id for d in chunk]
        assert by_offset == by_due
        # one directive: found exactly when the rule lets the actor see it
        for d in everything[:6]:
            try:
                engine.get_visible(d.id, actor)
                found = True
            except NotFound:
                found = False
            assert found == engine.can_see(actor, d)
        # statistics over what the actor sees
        by = data.draw(
            st.sampled_from(["lead_unit", "assignee", "workflow", "year", "quarter", "month"])
        )
        against = data.draw(st.sampled_from(["current", "original"]))
        counted = [d for d in everything if engine.can_report(actor, d)]
        assert engine.statistics(by=by, against=against, actor=actor) == _python_grid(
            engine, counted, by, against
        )
    assert engine.statistics() == _python_grid(engine, everything, "lead_unit", "current")


def test_overdue_list_is_what_the_reader_sees(listing_engine: Engine) -> None:
    """The progress report's overdue list: open, past the due date, most late first — and only
    what the reader may report on (issue 14: it listed every unit's directives to any assigner;
    a board member's global ``review`` permission covers every unit, docs/security.md)."""
    engine = listing_engine
    wf = "remediation_self_assessment"
    ver = engine.workflows.get(wf).spec.version
    base = {"workflow": wf, "workflow_version": ver, "state": "in_progress", "is_open": True}
    rows = [
        {**base, "lead_unit": "Văn phòng", "due": date(2024, 3, 1)},
        {**base, "lead_unit": "Thanh tra Sở", "due": date(2024, 3, 10)},
        {**base, "lead_unit": "Thanh tra Sở", "due": date(2024, 2, 1)},
        {**base, "lead_unit": "Thanh tra Sở", "due": date(2024, 4, 1)},  # not yet due
        {**base, "lead_unit": "Thanh tra Sở", "due": date(2024, 1, 1), "is_open": False},
    ]
    defaults = {
        "title": "x",
        "content": "",
        "cooperating_units": [],
        "assignee": None,
        "assigner": "thang",
        "reviewer": None,
        "original_due": None,
        "done_at": None,
        "doc_number": None,
        "parent": None,
        "kind": "directive",
    }
    _load(engine, [{**defaults, **r} for r in rows])
    ids = [d.id for d in engine.directives()]
    unit_head = Actor.of("phuong", "assigner", unit="Thanh tra Sở")
    assert [d.id for d in engine.overdue(actor=unit_head)] == [ids[2], ids[1]]
    assert [d.id for d in engine.overdue()] == [ids[2], ids[0], ids[1]]
    assert [d.id for d in engine.overdue(actor=Actor.of("thang"))] == [ids[2], ids[0], ids[1]]
    board = Actor.of("hoa", "reviewer")
    assert [d.id for d in engine.overdue(actor=board)] == [ids[2], ids[0], ids[1]]
    assert engine.overdue(actor=Actor.of("hoa")) == []
    text = engine.render_document("progress_report", fmt="txt", actor=unit_head).decode()
    assert "Văn phòng" not in text and "Thanh tra Sở: tổng 4" in text


def test_a_bad_status_or_grouping_names_the_field(listing_engine: Engine) -> None:
    with pytest.raises(PayloadError) as bad:
        listing_engine.directives(status="late")
    assert bad.value.field == "status"
    with pytest.raises(PayloadError) as bad:
        listing_engine.directives(order="title")
    assert bad.value.field == "order"
    with pytest.raises(PayloadError) as bad:
        listing_engine.statistics(by="week")
    assert bad.value.field == "by"


def test_due_soon_boundary_counts_working_days(listing_engine: Engine) -> None:
    """Friday 22/03/2024, three working days: due Wednesday 27/03 is due soon, Thursday 28/03
    is not (Saturday and Sunday do not count)."""
    engine = listing_engine
    engine.clock = FakeClock(datetime(2024, 3, 22, 2, tzinfo=UTC))
    with engine._tx() as repo:
        basis = engine.status_basis(repo)
    assert basis.today == date(2024, 3, 22) and basis.soon_until == date(2024, 3, 27)
    assert basis.soon_until + timedelta(days=1) == date(2024, 3, 28)


def _python_involvement(everything: list[Directive], today: date) -> dict[str, tuple[int, ...]]:
    """The lead/cooperate table as the Python walk over every directive did it (before it
    moved into SQL): own directives by lead unit, contributions by their unit ("—" without
    one), cooperation as distinct directives named or contributed to."""

    def overdue(d: Directive) -> bool:
        return d.is_open and d.done_at is None and d.due is not None and today > d.due

    leads: dict[str, list[Directive]] = {}
    cooperates: dict[str, set[int]] = {}
    contributions: dict[str, list[Directive]] = {}
    for d in everything:
        if not (d.lead_unit is not None or d.kind == "contribution"):
            continue
        if d.kind == "contribution":
            unit = d.lead_unit or "—"
            contributions.setdefault(unit, []).append(d)
            cooperates.setdefault(unit, set()).add(d.parent_id or d.id)
            continue
        if d.kind == "delegated":
            continue
        if d.lead_unit:
            leads.setdefault(d.lead_unit, []).append(d)
        for u in d.cooperating_units or ():
            cooperates.setdefault(u, set()).add(d.id)
    out = {}
    for u in sorted(set(leads) | set(cooperates)):
        led, con = leads.get(u, []), contributions.get(u, [])
        out[u] = (
            len(led),
            sum(1 for d in led if d.is_open),
            sum(1 for d in led if overdue(d)),
            len(cooperates.get(u, ())),
            sum(1 for d in con if d.done_at is not None),
            sum(1 for d in con if d.is_open and d.done_at is None),
            sum(1 for d in con if overdue(d)),
        )
    return out


@SETTINGS
@given(data=st.data())
def test_unit_involvement_in_sql_equals_the_python_walk(
    listing_engine: Engine, data: st.DataObject
) -> None:
    engine = listing_engine
    rows = data.draw(st.lists(directive_rows(_states(engine.workflows)), max_size=25))
    _load(engine, rows)
    # today on some directive's due date half of the time: the overdue boundary
    dues = sorted({r["due"] for r in rows if r["due"] is not None})
    on_a_due = st.sampled_from(dues).map(lambda d: datetime(d.year, d.month, d.day, 2))
    now = data.draw(
        (on_a_due if dues else st.nothing())
        | st.datetimes(datetime(2024, 3, 18), datetime(2024, 7, 31))
    )
    engine.clock = FakeClock(now.replace(tzinfo=UTC))
    got = {
        r.unit: (
            r.leads,
            r.leads_open,
            r.leads_overdue,
            r.cooperates,
            r.contributions_done,
            r.contributions_open,
            r.contributions_overdue,
        )
        for r in engine.unit_involvement()
    }
    assert got == _python_involvement(engine.directives(), local_date(engine.clock.now()))
    assert [r.unit for r in engine.unit_involvement()] == sorted(got)


def test_unit_involvement_by_hand(listing_engine: Engine) -> None:
    """Today 01/05/2024 (local): due today is not overdue, due yesterday is; a contribution
    counts for its unit and makes it cooperate on the parent; a delegated part does not count
    for the unit that leads its parent."""
    engine = listing_engine
    engine.clock = FakeClock(datetime(2024, 5, 1, 2, tzinfo=UTC))
    wf = "remediation_self_assessment"
    base = {
        "workflow": wf,
        "workflow_version": engine.workflows.get(wf).spec.version,
        "state": "in_progress",
        "is_open": True,
        "title": "x",
        "content": "",
        "cooperating_units": [],
        "assignee": None,
        "assigner": None,
        "reviewer": None,
        "original_due": None,
        "done_at": None,
        "doc_number": None,
        "parent": None,
        "kind": "directive",
        "lead_unit": "Văn phòng",
    }
    today, yesterday = date(2024, 5, 1), date(2024, 4, 30)
    _load(
        engine,
        [
            {**base, "due": today, "cooperating_units": ["Thanh tra Sở"]},  # #0
            {**base, "due": yesterday},  # #1: overdue
            {**base, "due": yesterday, "is_open": False},  # #2: closed
            {
                **base,
                "due": yesterday,
                "kind": "contribution",
                "lead_unit": "Thanh tra Sở",
                "parent": 0,
            },  # #3: Thanh tra Sở's contribution to #0, overdue
            {**base, "due": yesterday, "kind": "delegated", "parent": 1},  # #4: part of #1
            {
                **base,
                "due": None,
                "kind": "contribution",
                "lead_unit": None,
                "parent": 1,
                "done_at": datetime(2024, 4, 20, tzinfo=UTC),
            },  # #5: no unit → "—", done
        ],
    )
    got = {r.unit: r for r in engine.unit_involvement()}
    assert sorted(got) == ["Thanh tra Sở", "Văn phòng", "—"]
    vp, tt, none = got["Văn phòng"], got["Thanh tra Sở"], got["—"]
    assert (vp.leads, vp.leads_open, vp.leads_overdue, vp.cooperates) == (3, 2, 1, 0)
    # Thanh tra Sở is named on #0 and contributes to #0: one directive
    assert (tt.leads, tt.cooperates) == (0, 1)
    assert (tt.contributions_done, tt.contributions_open, tt.contributions_overdue) == (0, 1, 1)
    assert (none.cooperates, none.contributions_done, none.contributions_open) == (1, 1, 0)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_decisions_awaiting_a_reader_are_what_the_rules_let_them_decide(
    listing_engine: Engine, data: st.DataObject
) -> None:
    """ "Chờ tôi xem xét, phê duyệt": the open directives in a decision state that the reader
    may see and may fire a trigger on now (the workflow's roles, bound or granted), earliest
    due first, none last — the SQL candidates (decision_roles, the visibility rule skipped
    for roles the directive's own fields bind) lose nothing and add nothing."""
    engine = listing_engine
    _load(engine, data.draw(st.lists(directive_rows(_states(engine.workflows)), max_size=25)))
    actor = data.draw(actors, label="actor")
    places = set(engine.decision_places())
    expected = sorted(
        (
            d
            for d in engine.directives(open_only=True)
            if (d.workflow, d.workflow_version, d.state) in places
            and engine.can_see(actor, d)
            and engine.allowed_triggers(d.id, actor)
        ),
        key=lambda d: (d.due is None, d.due or date.min, d.id),
    )
    limit = data.draw(st.integers(1, 30), label="limit")
    got = engine.awaiting_decision(actor, limit=limit)
    assert [d.id for d in got] == [d.id for d in expected][:limit]


def test_a_global_role_decides_only_what_its_holder_may_see(listing_engine: Engine) -> None:
    """A board member (global reviewer) may approve extensions, but is asked to only for the
    directives they may see: naming them, or reported done and awaiting review."""
    engine = listing_engine
    base = {
        "workflow": "remediation_self_assessment",
        "workflow_version": engine.workflows.get("remediation_self_assessment").spec.version,
        "state": "extension_requested",
        "is_open": True,
        "title": "Báo cáo",
        "content": "",
        "lead_unit": "Thanh tra Sở",
        "cooperating_units": [],
        "assignee": "phuong",
        "assigner": "luyen",
        "reviewer": None,
        "due": date(2024, 6, 30),
        "original_due": date(2024, 6, 30),
        "done_at": None,
        "doc_number": None,
        "parent": None,
        "kind": "directive",
    }
    _load(engine, [base, {**base, "reviewer": "thang", "due": date(2024, 7, 1)}])
    board = Actor.of("thang", "reviewer")
    named = [d.id for d in engine.directives() if d.reviewer == "thang"]
    assert [d.id for d in engine.awaiting_decision(board)] == named
    assert engine.awaiting_decision(Actor.of("thang")) == engine.awaiting_decision(board)
