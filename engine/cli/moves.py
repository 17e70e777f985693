"""How work moves between people: ``directives delegate/children/reassign/claim/assign/queue/
units`` and ``directives explain request/answer/assess/list``.

Registered on the ``directives`` group by :func:`register` (see :mod:`.main`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from .. import errors
from ..core.records import Directive, Explanation
from ..service.engine import DEFAULT_DB, SubDirective
from .common import (
    AsAdminOpt,
    AsOpt,
    DbOpt,
    JsonOpt,
    RoleOpt,
    UnitOpt,
    WorkflowsOpt,
    _actor,
    _directive_table,
    _engine,
    _parse_date,
    _print_json,
    out,
    text_table,
)

explain_app = typer.Typer(help="Yêu cầu giải trình đối với nhiệm vụ quá hạn.", no_args_is_help=True)

CAUSE = {"objective": "khách quan", "subjective": "chủ quan"}
STATUS = {
    "requested": "đã yêu cầu",
    "lapsed": "quá hạn giải trình",
    "answered": "đã giải trình",
    "assessed": "đã đánh giá",
}


def _child(spec: str, i: int) -> SubDirective:
    parts = [p.strip() for p in spec.split("|")]
    if not parts[0] or len(parts) > 3:
        raise errors.PayloadError(f"--child[{i}]", "cần dạng 'TÊN VIỆC|NGƯỜI|YYYY-MM-DD'")
    person = parts[1] if len(parts) > 1 and parts[1] else None
    due = _parse_date(parts[2], f"--child[{i}]") if len(parts) > 2 and parts[2] else None
    return SubDirective(parts[0], person, due=due)


def _done(d: Directive, what: str, as_json: bool) -> None:
    if as_json:
        _print_json(asdict(d))
    else:
        out.print(f"#{d.id}: {what}")


def delegate(
    parent: Annotated[int, typer.Argument(help="Nhiệm vụ cần giao việc tiếp.")],
    child: Annotated[
        list[str],
        typer.Option(
            "--child",
            help="Một việc giao tiếp, dạng 'TÊN VIỆC|NGƯỜI|YYYY-MM-DD' (người và hạn có thể bỏ; hạn mặc định theo nhiệm vụ cha). Lặp lại được.",
        ),
    ],
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delegate a directive to specialists (giao việc tiếp): one sub-directive per --child."""
    subs = [_child(c, i) for i, c in enumerate(child)]
    engine = _engine(db, extra)
    made = engine.delegate(parent, _actor(engine, who, as_admin, roles, unit), subs)
    if as_json:
        _print_json([asdict(d) for d in made])
        return
    for d in made:
        due = f"{d.due:%d/%m/%Y}" if d.due else "—"
        out.print(
            f"đã giao #{d.id} {d.title} → {engine.display(d.assignee) if d.assignee else d.lead_unit or '—'}, hạn {due}"
        )


def children(
    parent: Annotated[int, typer.Argument(help="Nhiệm vụ cha.")],
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A directive's sub-directives and contributions, with the roll-up."""
    engine = _engine(db, extra)
    kids, roll = engine.children(parent)
    if as_json:
        _print_json({"children": [asdict(k) for k in kids], "roll_up": asdict(roll)})
        return
    out.print(_directive_table(kids, engine))
    progress = "—" if roll.progress is None else f"{roll.progress}%"
    out.print(
        f"giao việc tiếp: {roll.delegated} (xong {roll.done}, đang làm {roll.open}, "
        f"quá hạn {roll.overdue}, hủy {roll.cancelled}); tiến độ tổng hợp {progress}"
    )
    if roll.contributions:
        missing = ", ".join(roll.missing) or "không"
        out.print(
            f"đơn vị phối hợp: {roll.contributed}/{roll.contributions} đã gửi; chưa gửi: {missing}"
        )


def reassign(
    directive_id: int,
    reason: Annotated[str, typer.Option(help="Lý do chuyển (ghi vào lịch sử).")],
    to: Annotated[
        str | None, typer.Option("--to", help="Người thực hiện mới (mã đăng nhập).")
    ] = None,
    to_unit: Annotated[
        str | None, typer.Option("--to-unit", help="Đơn vị chủ trì mới (vào hàng chờ của đơn vị).")
    ] = None,
    due: Annotated[str | None, typer.Option(help="Hạn mới, dạng YYYY-MM-DD.")] = None,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a directive to another person or unit (chuyển xử lý), with a reason."""
    engine = _engine(db, extra)
    d = engine.reassign(
        directive_id,
        _actor(engine, who, as_admin, roles, unit),
        reason=reason,
        assignee=to,
        lead_unit=to_unit,
        due=_parse_date(due, "due"),
    )
    _done(
        d,
        f"chuyển cho {engine.display(d.assignee) if d.assignee else d.lead_unit} "
        f"(ban đầu: {engine.display(d.original_assignee)})",
        as_json,
    )


def claim(
    directive_id: int,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a directive from your unit's queue."""
    engine = _engine(db, extra)
    d = engine.claim(directive_id, _actor(engine, who, as_admin, roles, unit))
    _done(d, f"{engine.display(d.assignee)} nhận xử lý", as_json)


def assign(
    directive_id: int,
    person: Annotated[
        str, typer.Argument(help="Thành viên của đơn vị sẽ thực hiện (mã đăng nhập).")
    ],
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a directive waiting in the unit's queue to a member (the head of the unit)."""
    engine = _engine(db, extra)
    d = engine.assign(directive_id, _actor(engine, who, as_admin, roles, unit), person)
    _done(d, f"giao cho {engine.display(d.assignee)}", as_json)


def queue(
    who: Annotated[
        str | None,
        typer.Option(
            "--as", help="Hàng chờ của ai (đơn vị của người đó và các đơn vị người đó đứng đầu)."
        ),
    ] = None,
    of_unit: Annotated[
        list[str] | None, typer.Option("--of-unit", help="Hàng chờ của một đơn vị.")
    ] = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Directives addressed to a unit that nobody has claimed yet."""
    engine = _engine(db, extra)
    if of_unit:
        items = engine.unit_queue(*of_unit)
    elif who:
        items = engine.queue(_actor(engine, who, False, None, unit))
    else:
        raise errors.PayloadError("--as", "cần --as NGƯỜI hoặc --of-unit ĐƠN_VỊ")
    if as_json:
        _print_json([asdict(d) for d in items])
    else:
        out.print(_directive_table(items, engine))


def units(db: DbOpt = DEFAULT_DB, extra: WorkflowsOpt = None, as_json: JsonOpt = False) -> None:
    """Per unit: what it leads against what it cooperates on."""
    rows = _engine(db, extra).unit_involvement()
    if as_json:
        _print_json([asdict(r) for r in rows])
        return
    table = text_table(
        "đơn vị", "chủ trì", "đang mở", "quá hạn", "phối hợp", "đã gửi", "chưa gửi", "quá hạn"
    )
    for r in rows:
        table.add_row(
            r.unit,
            str(r.leads),
            str(r.leads_open),
            str(r.leads_overdue),
            str(r.cooperates),
            str(r.contributions_done),
            str(r.contributions_open),
            str(r.contributions_overdue),
        )
    out.print(table)


def _show(x: Explanation, as_json: bool) -> None:
    if as_json:
        _print_json(asdict(x))
        return
    out.print(
        f"giải trình #{x.id} (nhiệm vụ #{x.directive_id}): {STATUS.get(x.status, x.status)}, "
        f"hạn trả lời {x.answer_due:%d/%m/%Y}"
        + (f"; nguyên nhân {CAUSE.get(x.cause, x.cause)}" if x.cause else "")
        + (f"; đánh giá: {CAUSE.get(x.verdict, x.verdict)}" if x.verdict else "")
        + (f"; gia hạn đến {x.new_due:%d/%m/%Y}" if x.new_due else "")
    )


@explain_app.command("request")
def explain_request(
    directive_id: int,
    note: Annotated[
        str | None, typer.Option(help="Nội dung người giao yêu cầu giải trình.")
    ] = None,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask for an explanation of an overdue directive."""
    engine = _engine(db, extra)
    x = engine.request_explanation(directive_id, _actor(engine, who, as_admin, roles, unit), note)
    _show(x, as_json)


@explain_app.command("answer")
def explain_answer(
    directive_id: int,
    reason: Annotated[str, typer.Option(help="Lý do chậm.")],
    cause: Annotated[
        str, typer.Option(help="Nguyên nhân: objective (khách quan) hoặc subjective (chủ quan).")
    ],
    proposed_due: Annotated[
        str | None, typer.Option(help="Hạn mới đề xuất, dạng YYYY-MM-DD.")
    ] = None,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer the pending explanation request."""
    engine = _engine(db, extra)
    x = engine.answer_explanation(
        directive_id,
        _actor(engine, who, as_admin, roles, unit),
        reason=reason,
        cause=cause,
        proposed_due=_parse_date(proposed_due, "proposed_due"),
    )
    _show(x, as_json)


@explain_app.command("assess")
def explain_assess(
    directive_id: int,
    verdict: Annotated[
        str,
        typer.Option(
            help="Nguyên nhân xác định được: objective (khách quan) hoặc subjective (chủ quan)."
        ),
    ],
    new_due: Annotated[str | None, typer.Option(help="Gia hạn đến ngày YYYY-MM-DD.")] = None,
    note: Annotated[str | None, typer.Option(help="Nội dung đánh giá.")] = None,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    roles: RoleOpt = None,
    unit: UnitOpt = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Assess the answer (and grant an extension)."""
    engine = _engine(db, extra)
    x = engine.assess_explanation(
        directive_id,
        _actor(engine, who, as_admin, roles, unit),
        verdict=verdict,
        note=note,
        new_due=_parse_date(new_due, "new_due"),
    )
    _show(x, as_json)


@explain_app.command("list")
def explain_list(
    directive: Annotated[
        int | None, typer.Option(help="Chỉ các giải trình của nhiệm vụ này.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            help="Trạng thái: requested (đã yêu cầu), lapsed (quá hạn giải trình), answered (đã giải trình) hoặc assessed (đã đánh giá)."
        ),
    ] = None,
    verdict: Annotated[
        str | None, typer.Option(help="objective (khách quan) hoặc subjective (chủ quan).")
    ] = None,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Explanations (e.g. every delay accepted as objective: --verdict objective)."""
    items = _engine(db, extra).explanations(directive_id=directive, status=status, verdict=verdict)
    if as_json:
        _print_json([asdict(x) for x in items])
        return
    for x in items:
        _show(x, False)


def register(directives_app: typer.Typer) -> None:
    """Add the moves to the ``directives`` group."""
    directives_app.command("delegate")(delegate)
    directives_app.command("children")(children)
    directives_app.command("reassign")(reassign)
    directives_app.command("claim")(claim)
    directives_app.command("assign")(assign)
    directives_app.command("queue")(queue)
    directives_app.command("units")(units)
    directives_app.add_typer(explain_app, name="explain")
