"""Administration: ``db upgrade/current``, ``token create/revoke``, ``audit verify/checkpoint``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from ..service.engine import DEFAULT_DB, Engine
from .common import DbOpt, WorkflowsOpt, _engine, out

db_app = typer.Typer(help="Lược đồ cơ sở dữ liệu (các bản nâng cấp Alembic).", no_args_is_help=True)
token_app = typer.Typer(
    help="Mã truy cập (bearer token) cho API HTTP và bảng điều khiển.", no_args_is_help=True
)
audit_app = typer.Typer(help="Nhật ký kiểm toán.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    db: DbOpt = DEFAULT_DB,
    revision: Annotated[str, typer.Option(help="Phiên bản lược đồ cần đến.")] = "head",
) -> None:
    """Create or upgrade the schema to the revision this dondoc needs."""
    from ..store.schema import current_revision, upgrade
    from ..store.tables import make_engine

    engine = make_engine(db)
    before = current_revision(engine)
    upgrade(engine, revision)
    out.print(
        f"cơ sở dữ liệu ở phiên bản lược đồ {current_revision(engine)} "
        f"(trước đó: {before or 'trống'})"
    )


@db_app.command("current")
def db_current(db: DbOpt = DEFAULT_DB) -> None:
    """Print the schema revision of the database and the one this dondoc needs."""
    from ..store.schema import current_revision, head_revision
    from ..store.tables import make_engine

    current = current_revision(make_engine(db))
    head = head_revision()
    state = "đã cập nhật" if current == head else "cần chạy: dondoc db upgrade"
    out.print(f"hiện tại: {current or 'chưa có'}; cần: {head} ({state})")
    if current != head:
        raise typer.Exit(1)


@token_app.command("create")
def token_create(
    person: Annotated[
        str,
        typer.Option(
            help="Mã đăng nhập của người được cấp (như trong người thực hiện/người giao)."
        ),
    ],
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="Vai trò chung của mã truy cập: admin, assigner, reviewer… (lặp lại được).",
        ),
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Đơn vị của người được cấp.")] = None,
    name: Annotated[str | None, typer.Option(help="Tên hiển thị.")] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Issue a token (printed once; only its hash is stored). Roles: admin, assigner, reviewer…"""
    token = Engine(db).create_token(person, roles=role or (), unit=unit, name=name)
    sys.stdout.write(token + "\n")


@token_app.command("revoke")
def token_revoke(
    person: Annotated[str, typer.Option(help="Mã đăng nhập của người bị thu hồi mã truy cập.")],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Revoke every token of a person."""
    out.print(f"đã thu hồi {Engine(db).revoke_tokens(person)} mã truy cập")


@audit_app.command("verify")
def audit_verify(
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    directive: Annotated[
        list[int] | None, typer.Option("--directive", help="Chỉ nhiệm vụ này (lặp lại được).")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            help="Chỉ các nhiệm vụ thay đổi từ lúc này (YYYY-MM-DD[THH:MM], giờ UTC).",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"],
        ),
    ] = None,
) -> None:
    """Recompute hash chains, replay each directive's events against its row, and (for a full
    run) check the ledger against the latest signed checkpoint; exit 1 on tampering."""
    report = _engine(db, extra).verify_audit(
        directive or None, since=since.replace(tzinfo=UTC) if since else None
    )
    for b in report.breaks:
        sys.stdout.write(f"BỊ SỬA {b}\n")
    status = "toàn vẹn" if report.ok else "BỊ SỬA"
    out.print(
        f"{status}: đã kiểm tra {report.directives_checked} nhiệm vụ, "
        f"{report.events_checked} sự kiện"
    )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(db: DbOpt = DEFAULT_DB, extra: WorkflowsOpt = None) -> None:
    """Sign the ledger of every event up to 5 minutes ago with DONDOC_AUDIT_KEY; prints the
    checkpoint (keep a copy outside the database too, e.g. in the system log)."""
    sys.stdout.write(f"{_engine(db, extra).audit_checkpoint()}\n")
