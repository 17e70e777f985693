"""Long-running processes: ``serve``, ``worker``, and ``demo`` (its story is in :mod:`.demo`).

The commands are plain functions here; :mod:`.main` registers them on ``app``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import errors
from ..service.engine import DEFAULT_DB, Engine
from .common import DbOpt, WorkflowsOpt, _registry, db_url, out
from .ops import LogFormat, LogFormatOpt, MetricsPortOpt


def serve(
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    host: Annotated[str, typer.Option(help="Địa chỉ mạng để lắng nghe.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng.")] = 8000,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker",
            help="Không chạy bộ lập lịch trong tiến trình này (chạy dondoc worker ở nơi khác).",
        ),
    ] = False,
    demo_data: Annotated[
        bool,
        typer.Option(
            "--demo-data",
            help="Với cơ sở dữ liệu trống: diễn lại câu chuyện mẫu (kết luận của Sở TT&TT Đắk "
            "Nông) đến 05/07/2024 và giữ đồng hồ của cơ sở dữ liệu ở ngày đó.",
        ),
    ] = False,
    directory: Annotated[
        Path | None, typer.Option(help="Tệp YAML danh bạ người dùng và đơn vị.")
    ] = None,
    log_format: LogFormatOpt = LogFormat.text,
) -> None:
    """The HTTP API, the dashboard and (unless --no-worker) the scheduler, in one process.

    Health at /healthz and /readyz, Prometheus metrics at /metrics (docs/operations.md)."""
    import uvicorn

    from ..core.directory import SimpleDirectory
    from ..ops.logs import configure_logging
    from ..ops.metrics import instrument
    from ..web.api import create_app
    from ..worker import Worker, retry_while_unavailable

    configure_logging(log_format.value)
    workflows = _registry(extra)
    # Started while the database restarts (or its connection is cut): wait for it, as the
    # sweeps do, instead of dying.
    engine = _starting(db, retry_while_unavailable)(
        lambda: Engine(
            db,
            workflows=workflows,
            directory=SimpleDirectory.from_file(directory) if directory else None,
        )
    )
    if demo_data:
        from ..clock import VN_TZ
        from .demo import serve_demo_data

        tokens = serve_demo_data(db)
        if tokens:  # reopened: the database now runs on the demo's frozen clock
            engine.db.dispose()
            engine = Engine(
                db,
                workflows=workflows,
                directory=SimpleDirectory.from_file(directory) if directory else None,
            )
            frozen = engine.frozen_at()
            day = f"{frozen.astimezone(VN_TZ):%d/%m/%Y %H:%M}" if frozen else ""
            out.print(
                "[bold]Đã nạp dữ liệu mẫu[/bold] (kết luận ngày 18/03/2024 của Sở TT&TT Đắk "
                f"Nông); đồng hồ của cơ sở dữ liệu dừng ở {day}. Đăng nhập bằng một trong các "
                "mã sau:"
            )
            for who, token in tokens.items():
                out.print(f"  {who}: {token}")
    if engine.token_count() == 0:
        token = engine.create_token(
            "admin", roles=("admin", "assigner", "reviewer"), name="Quản trị"
        )
        out.print(f"Lần chạy đầu: đã tạo mã quản trị (chỉ hiện một lần): {token}")
    out.print(f"dondoc tại http://{host}:{port}/  (tài liệu API: http://{host}:{port}/docs)")
    metrics = instrument(engine)  # one registry for the API and the scheduler inside
    metrics.watch(engine)
    worker = None
    if not no_worker:
        worker = Worker(engine, interval=30.0, metrics=metrics)
        worker.start_background()
    try:
        # Logging as configured above (text or JSON); the access lines come from the app, with
        # the request id, so uvicorn's own are off.
        uvicorn.run(create_app(engine), host=host, port=port, log_config=None, access_log=False)
    finally:
        if worker is not None:
            worker.stop()


def worker(
    db: DbOpt = DEFAULT_DB,
    extra: WorkflowsOpt = None,
    once: Annotated[
        bool, typer.Option("--once", help="Chạy mọi việc đã đến hạn (bù phần chậm) rồi thoát.")
    ] = False,
    interval: Annotated[
        float, typer.Option(help="Chu kỳ thức dậy dự phòng, tính bằng giây.")
    ] = 30.0,
    directory: Annotated[
        Path | None,
        typer.Option(help="Tệp YAML danh bạ người dùng và đơn vị (người nhận thông báo)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Tên tiến trình trong nhật ký và kiểm toán.")
    ] = None,
    smtp_host: Annotated[
        str | None,
        typer.Option(envvar="DONDOC_SMTP_HOST", help="Gửi e-mail qua máy chủ SMTP này."),
    ] = None,
    smtp_port: Annotated[
        int, typer.Option(envvar="DONDOC_SMTP_PORT", help="Cổng của máy chủ SMTP.")
    ] = 25,
    smtp_from: Annotated[
        str, typer.Option(envvar="DONDOC_SMTP_FROM", help="Địa chỉ người gửi e-mail.")
    ] = "dondoc@localhost",
    smtp_starttls: Annotated[
        bool, typer.Option(envvar="DONDOC_SMTP_STARTTLS", help="Mã hóa kết nối SMTP (STARTTLS).")
    ] = False,
    smtp_user: Annotated[
        str | None,
        typer.Option(
            envvar="DONDOC_SMTP_USER",
            help="Tài khoản đăng nhập SMTP (mật khẩu: biến môi trường DONDOC_SMTP_PASSWORD).",
        ),
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            envvar="DONDOC_WEBHOOK_URL",
            help="Webhook mặc định cho người nhận không có webhook riêng.",
        ),
    ] = None,
    outbox_file: Annotated[
        Path | None,
        typer.Option(
            envvar="DONDOC_OUTBOX_FILE",
            help="Nơi ghi dự phòng: thêm thông báo vào tệp, mỗi dòng một JSON (mặc định: nhật ký).",
        ),
    ] = None,
    no_delivery: Annotated[
        bool,
        typer.Option(
            "--no-delivery", help="Chỉ chạy hẹn giờ; việc gửi thông báo để tiến trình khác làm."
        ),
    ] = False,
    metrics_port: MetricsPortOpt = None,
    log_format: LogFormatOpt = LogFormat.text,
) -> None:
    """Run the scheduler: fire due timers, create recurring directives, deliver the outbox.

    Secrets come from the environment: DONDOC_SMTP_PASSWORD, DONDOC_WEBHOOK_SECRET.
    """
    import logging

    from ..core.directory import SimpleDirectory
    from ..delivery.outbox import Deliverer, FileSink, LogSink, Router, SmtpSink
    from ..ops.logs import configure_logging
    from ..ops.metrics import Metrics, instrument
    from ..worker import Worker, retry_while_unavailable

    configure_logging(log_format.value)
    workflows = _registry(extra)
    # Started while the database restarts (or its connection is cut): wait for it, as the
    # sweeps do, instead of dying.
    engine = _starting(db, retry_while_unavailable)(
        lambda: Engine(
            db,
            workflows=workflows,
            directory=SimpleDirectory.from_file(directory) if directory else None,
        )
    )
    if not no_delivery:
        router = Router(
            fallback=LogSink() if outbox_file is None else FileSink(outbox_file),
            email=SmtpSink(
                smtp_host,
                smtp_port,
                smtp_from,
                starttls=smtp_starttls,
                username=smtp_user,
                password=os.environ.get("DONDOC_SMTP_PASSWORD"),
            )
            if smtp_host
            else None,
            webhook=_webhook_sink(webhook_url, os.environ.get("DONDOC_WEBHOOK_SECRET", "")),
        )
    metrics: Metrics | None = None
    if metrics_port is not None:
        metrics = instrument(engine)
        metrics.watch(engine)
        metrics.serve(metrics_port)
    w = Worker(engine, name=name, interval=interval, metrics=metrics)
    if not no_delivery:
        w.deliverer = Deliverer(engine, router, worker=w.name)
    if once:
        report = w.run_pending()
        logging.getLogger("dondoc.worker").info(
            "caught up: %d timer(s) fired, %d recurring directive(s) created, %d error(s)",
            len(report.fired),
            len(report.created),
            len(report.errors),
        )
        return
    w.serve()


def demo(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            callback=db_url,
            help="Giữ kết quả trong cơ sở dữ liệu (trống) này, kèm danh bạ và hồ sơ cơ quan; đồng hồ của nó dừng ở cuối câu chuyện mẫu.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Dừng câu chuyện ở ngày này (YYYY-MM-DD, lúc 18:00), ví dụ 2024-07-05."),
    ] = None,
) -> None:
    """Seed 000's conclusion run by the real scheduler on a fake clock, 18/03 → 15/07/2024."""
    from datetime import UTC, datetime, time

    from ..clock import VN_TZ
    from .common import _parse_date
    from .demo import END, START, run_demo

    stop = END
    day = _parse_date(until, "until")
    if day is not None:
        stop = datetime.combine(day, time(18), tzinfo=VN_TZ).astimezone(UTC)
        if not START < stop <= END:
            raise errors.PayloadError("until", "cần một ngày từ 2024-03-18 đến 2024-07-15")
    run_demo(db, out, until=stop)


def _webhook_sink(url: str | None, secret: str) -> Any:
    """The webhook sink; without a secret none (refused outright when a URL is given)."""
    from ..delivery.outbox import SinkConfigError, WebhookSink

    if not secret:
        if url:
            raise SinkConfigError(
                "--webhook-url needs DONDOC_WEBHOOK_SECRET (webhooks are signed; an empty key "
                "is refused)"
            )
        logging.getLogger("dondoc.worker").warning(
            "no DONDOC_WEBHOOK_SECRET: webhooks in the directory are not used"
        )
        return None
    return WebhookSink(url, secret)


def _starting(db: str, retry: Any) -> Any:
    """How a long-running command opens its database: a server's (PostgreSQL) is waited for
    while it restarts; an SQLite file that cannot be opened will not open later, so it fails at
    once with its one-line message instead of five minutes of retries."""
    return (lambda fn: fn()) if db.startswith("sqlite") else retry
