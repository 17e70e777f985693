"""Running directives (instances) of a workflow: ``instances migrate``.

Output is for the administrator, in Vietnamese: one line per directive (what changes, or why
it cannot), then a summary. Exit 0 when everything selected migrated (or would), 1 when some
directive cannot migrate, 2 for a mistake in the plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..clock import VN_TZ
from ..core.migration import MigrationItem, MigrationPlan, parse_pairs, parse_plan
from ..errors import MigrationPlanError
from ..service.engine import DEFAULT_DB
from .common import (
    AsAdminOpt,
    AsOpt,
    DbOpt,
    JsonOpt,
    WorkflowsOpt,
    _actor,
    _engine,
    _print_json,
    out,
)

instances_app = typer.Typer(
    help="Các nhiệm vụ đang chạy của một quy trình (chuyển sang phiên bản mới).",
    no_args_is_help=True,
)


@instances_app.command("migrate")
def instances_migrate(
    workflow: Annotated[str, typer.Argument(help="Mã quy trình (xem: dondoc workflows list).")],
    from_version: Annotated[
        int, typer.Option("--from", help="Phiên bản quy trình các nhiệm vụ đang dùng.")
    ],
    to_version: Annotated[int, typer.Option("--to", help="Phiên bản cần chuyển sang.")],
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="Ánh xạ trạng thái cũ=mới (lặp lại được)."),
    ] = None,
    default: Annotated[
        str | None,
        typer.Option(
            help="Trạng thái mới cho các trạng thái cũ không được ánh xạ và không còn trong phiên bản mới."
        ),
    ] = None,
    rename: Annotated[
        list[str] | None,
        typer.Option(help="Đổi tên trường dữ liệu cũ=mới (lặp lại được)."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            help="Chỉ các nhiệm vụ có trường=giá_trị (id, state, lead_unit, assignee, assigner, reviewer, doc_number; lặp lại được)."
        ),
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan", help="Tệp YAML kế hoạch chuyển đổi (các tùy chọn khác bổ sung vào)."
        ),
    ] = None,
    include_closed: Annotated[
        bool, typer.Option("--include-closed", help="Chuyển cả các nhiệm vụ đã kết thúc.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Chạy thử: cho biết sẽ thay đổi gì, không ghi gì.")
    ] = False,
    batch_size: Annotated[int, typer.Option(help="Số nhiệm vụ mỗi giao dịch.")] = 100,
    who: AsOpt = None,
    as_admin: AsAdminOpt = False,
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move running directives from one version of a workflow to another."""
    plan = MigrationPlan(workflow, from_version, to_version)
    if plan_file is not None:
        try:
            text = plan_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MigrationPlanError(
                [f"{plan_file}: không đọc được tệp kế hoạch ({exc})"]
            ) from None
        read = parse_plan(text, str(plan_file))
        if (read.workflow, read.from_version, read.to_version) != plan_key(plan):
            raise MigrationPlanError([
                f"{plan_file}: kế hoạch dành cho {read.workflow} {read.from_version} → "
                f"{read.to_version}, không phải {workflow} {from_version} → {to_version}"
            ])  # fmt: skip
        plan = read
    plan = plan.merged(
        states=parse_pairs(mapping or [], "--map"),
        rename=parse_pairs(rename or [], "--rename"),
        where=parse_pairs(where or [], "--where"),
        default=default,
        include_closed=include_closed or None,
    )
    engine = _engine(db, extra)
    report = engine.migrate(
        _actor(engine, who, as_admin),
        plan,
        dry_run=dry_run,
        batch_size=batch_size,
        progress=None if as_json else (lambda item: out.print(describe(item), markup=False)),
    )
    if as_json:
        _print_json(
            {
                "dry_run": dry_run,
                "migrated": [item_json(i) for i in report.migrated],
                "refused": [item_json(i) for i in report.refused],
            }
        )
    else:
        out.print(summary(len(report.migrated), len(report.refused), dry_run), markup=False)
    if report.refused:
        raise typer.Exit(1)


def plan_key(plan: MigrationPlan) -> tuple[str, int, int]:
    return plan.workflow, plan.from_version, plan.to_version


def describe(item: MigrationItem) -> str:
    """One line for the administrator about one directive."""
    head = f"#{item.directive_id} «{item.title}»"
    if not item.ok:
        return f"{head}: KHÔNG chuyển được — {item.reason}"
    parts = [f"{item.from_label} ({item.from_state}) → {item.to_label} ({item.to_state})"]
    if item.renamed:
        parts.append("đổi tên dữ liệu " + ", ".join(f"{a} → {b}" for a, b in item.renamed.items()))
    timers = ", ".join(
        f"{t.timer} {t.due_at.astimezone(VN_TZ):%d/%m/%Y %H:%M}" for t in item.timers
    )
    parts.append(
        f"hẹn giờ: hủy {item.timers_cancelled}, lập {len(item.timers)}"
        + (f" ({timers})" if timers else "")
    )
    return f"{head}: " + "; ".join(parts)


def summary(moved: int, refused: int, dry_run: bool) -> str:
    if not moved and not refused:
        return "Không có nhiệm vụ nào cần chuyển."
    if dry_run:
        text = (
            f"Chạy thử: {moved} nhiệm vụ sẽ được chuyển, {refused} không chuyển được; chưa ghi gì."
        )
    else:
        text = f"Đã chuyển {moved} nhiệm vụ; {refused} không chuyển được."
    return text


def item_json(item: MigrationItem) -> dict[str, object]:
    return {
        "directive_id": item.directive_id,
        "title": item.title,
        "from_state": item.from_state,
        "to_state": item.to_state,
        "renamed": dict(item.renamed),
        "timers_cancelled": item.timers_cancelled,
        "timers": [
            {"timer": t.timer, "due_at": t.due_at.isoformat(), "repeat": t.repeat_index}
            for t in item.timers
        ],
        "reason": item.reason,
    }
