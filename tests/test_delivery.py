"""Outbox delivery against real local servers: SMTP (aiosmtpd) and an HTTP webhook.

Server down → retried later, nothing lost; server back → delivered once; a crash between
send and mark → at most one duplicate, carrying the same idempotency key.
"""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.clock import local_midnight
from dondoc.core.directory import Recipient, SimpleDirectory
from dondoc.core.records import OutboxMessage
from dondoc.delivery.outbox import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Deliverer,
    DeliveryError,
    FileSink,
    LogSink,
    Router,
    SmtpSink,
    WebhookSink,
    sign,
)
from dondoc.worker import Worker

SECRET = "khoa-bi-mat"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


class Hook:
    """A webhook receiver that verifies signatures and can be told to fail."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.fail_with is not None:
                    self.send_response(hook.fail_with)
                    self.end_headers()
                    return
                stamp = int(self.headers[TIMESTAMP_HEADER])
                assert self.headers[SIGNATURE_HEADER] == sign(body, SECRET, stamp), "bad signature"
                hook.received.append({"key": self.headers[IDEMPOTENCY_HEADER], **json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


PEOPLE = {
    "luyen": {"name": "Hoàng Thị Luyến", "email": "luyen@sotttt.example.vn"},
    "thang": {"name": "Hoàng Mạnh Thắng", "webhook": None},
}


def _engine_with_overdue_directive(tmp_path: Path) -> tuple[Engine, FakeClock]:
    clock = FakeClock(datetime(2024, 6, 1, 2, tzinfo=UTC))
    engine = Engine(
        f"sqlite:///{tmp_path / 'o.db'}", clock=clock, directory=SimpleDirectory(PEOPLE)
    )
    engine.create_directive(
        Actor.of("thang", "reviewer"),
        "remediation_self_assessment",
        NewDirective(
            title="Báo cáo tự đánh giá",
            assignee="luyen",
            lead_unit="Thanh tra Sở",
            due=date(2024, 6, 30),
        ),
    )
    Worker(engine).advance(clock, local_midnight(date(2024, 7, 1)))  # reminder + chasing letter
    assert [m.status for m in engine.outbox()] == ["pending", "pending"]
    return engine, clock


def test_smtp_down_then_up_delivers_each_message_once(tmp_path: Path, smtp_port: int) -> None:
    engine, clock = _engine_with_overdue_directive(tmp_path)
    router = Router(
        fallback=FileSink(),
        email=SmtpSink("127.0.0.1", smtp_port, "dondoc@sotttt.example.vn", timeout=5),
    )
    deliverer = Deliverer(engine, router, worker="w1")
    report = deliverer.deliver_pending()  # nothing listens on the port yet
    assert report.sent == [] and len(report.retried) == 2 and report.failed == []
    assert {m.status for m in engine.outbox()} == {"pending"} and {
        m.attempts for m in engine.outbox()
    } == {1}
    assert deliverer.deliver_pending().retried == []  # not retried before the back-off
    controller, inbox = start_smtp(smtp_port)
    try:
        clock.advance(minutes=2)
        report = deliverer.deliver_pending()
        assert len(report.sent) == 2
        clock.advance(days=1)
        assert deliverer.deliver_pending().sent == []  # nothing twice
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    first = inbox.messages[0]
    assert first["To"] == "Hoàng Thị Luyến <luyen@sotttt.example.vn>"
    assert first["Subject"].startswith("[Nhắc việc] Báo cáo tự đánh giá")
    assert "Kính gửi: Hoàng Thị Luyến" in first.get_content()
    keys = [m[IDEMPOTENCY_HEADER] for m in inbox.messages]
    assert len(set(keys)) == 2 and all(k.startswith("timer:") for k in keys)
    assert {m.status for m in engine.outbox()} == {"sent"} and {
        m.sink for m in engine.outbox()
    } == {"email"}


def test_crash_between_send_and_mark_gives_at_most_one_duplicate(
    tmp_path: Path, smtp_port: int
) -> None:
    engine, clock = _engine_with_overdue_directive(tmp_path)
    controller, inbox = start_smtp(smtp_port)
    smtp = SmtpSink("127.0.0.1", smtp_port, timeout=5)

    class PowerCut:
        name = "email"

        def send(self, message: OutboxMessage, to: Recipient) -> None:
            smtp.send(message, to)
            raise RuntimeError("power cut after the server accepted the message")

    try:
        with pytest.raises(RuntimeError):
            Deliverer(
                engine, Router(fallback=FileSink(), email=PowerCut()), worker="dying"
            ).deliver_pending()
        assert len(inbox.messages) == 1
        stuck = engine.outbox()[0]
        assert stuck.status == "sending"
        healthy = Deliverer(engine, Router(fallback=FileSink(), email=smtp), worker="w2")
        report = healthy.deliver_pending()
        assert [m.id for m in report.sent] == [
            engine.outbox()[1].id
        ]  # the claimed one waits for its lease
        clock.advance(minutes=6)  # lease (5 min) expired: the stuck message is taken over
        report = healthy.deliver_pending()
        assert [m.id for m in report.sent] == [stuck.id]
        clock.advance(days=1)
        assert healthy.deliver_pending().sent == []
    finally:
        controller.stop()
    keys = [m[IDEMPOTENCY_HEADER] for m in inbox.messages]
    assert len(keys) == 3 and keys.count(stuck.idempotency_key) == 2  # one duplicate, same key
    assert {m.status for m in engine.outbox()} == {"sent"}


def test_webhook_signed_retried_then_delivered_once(tmp_path: Path, hook: Hook) -> None:
    engine, clock = _engine_with_overdue_directive(tmp_path)
    router = Router(fallback=FileSink(), webhook=WebhookSink(hook.url, SECRET, timeout=5))
    # luyen has an e-mail but no SMTP is configured: the webhook is used
    deliverer = Deliverer(engine, router, worker="w")
    hook.fail_with = 503
    report = deliverer.deliver_pending()
    assert len(report.retried) == 2 and hook.received == []
    hook.fail_with = None
    clock.advance(minutes=2)
    assert len(deliverer.deliver_pending().sent) == 2
    clock.advance(days=1)
    assert deliverer.deliver_pending().sent == []
    assert len(hook.received) == 2
    got = hook.received[0]
    assert got["key"] == got["idempotency_key"] and got["recipient"]["id"] == "luyen"
    assert got["subject"].startswith("[Nhắc việc]")


def test_webhook_permanent_error_goes_to_dead_letters(tmp_path: Path, hook: Hook) -> None:
    engine, _ = _engine_with_overdue_directive(tmp_path)
    hook.fail_with = 400
    report = Deliverer(
        engine, Router(fallback=FileSink(), webhook=WebhookSink(hook.url, SECRET))
    ).deliver_pending()
    assert len(report.failed) == 2 and {m.status for m in engine.outbox()} == {"failed"}
    assert all("HTTP 400" in (m.last_error or "") for m in engine.outbox())


def test_retries_stop_after_max_attempts(tmp_path: Path) -> None:
    engine, clock = _engine_with_overdue_directive(tmp_path)

    class Down:
        name = "email"

        def send(self, message: OutboxMessage, to: Recipient) -> None:
            raise DeliveryError("connection refused")

    deliverer = Deliverer(engine, Router(fallback=FileSink(), email=Down()), max_attempts=3)
    for _ in range(5):
        deliverer.deliver_pending()
        clock.advance(hours=7)
    assert {(m.status, m.attempts) for m in engine.outbox()} == {("failed", 3)}


def test_worker_delivers_through_the_file_sink(tmp_path: Path) -> None:
    engine, clock = _engine_with_overdue_directive(tmp_path)
    sink = FileSink(tmp_path / "outbox.jsonl")
    worker = Worker(engine, deliverer=Deliverer(engine, Router(fallback=sink), worker="w"))
    report = worker.advance(clock, clock.now() + timedelta(minutes=1))
    assert report.delivery.sent == [] and len(report.delivery.logged) == 2
    assert {(m.status, m.sink) for m in engine.outbox()} == {("logged", "file")}
    lines = [
        json.loads(x) for x in (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [x["template"] for x in lines] == ["reminder", "chasing_letter"]
    assert "Hoàng Thị Luyến" in lines[0]["body"]


def test_the_log_sink_logs_and_says_so_in_the_outbox(
    tmp_path: Path, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a message that reached the person is ``sent``; one only written to the log is
    ``logged`` — and the outbox says so in Vietnamese."""
    from typer.testing import CliRunner

    from dondoc.cli.main import app

    engine, _clock = _engine_with_overdue_directive(tmp_path)
    controller, _inbox = start_smtp(smtp_port)
    try:
        # two messages to luyen: the first goes only to the log, the second by e-mail
        router = Router(fallback=LogSink(), email=SmtpSink("127.0.0.1", smtp_port, timeout=5))
        with caplog.at_level("INFO", logger="dondoc.delivery.outbox"):
            Deliverer(engine, Router(fallback=LogSink()), worker="w").deliver_pending(limit=1)
            report = Deliverer(engine, router, worker="w").deliver_pending()
    finally:
        controller.stop()
    statuses = [(m.status, m.sink) for m in engine.outbox()]
    assert statuses == [("logged", "log"), ("sent", "email")]
    assert len(report.sent) == 1 and report.logged == []
    assert "Báo cáo tự đánh giá" in caplog.text
    result = CliRunner().invoke(app, ["outbox", "--db", f"sqlite:///{tmp_path / 'o.db'}"])
    assert result.exit_code == 0, result.output
    assert "đã ghi nhật ký" in result.output and "đã gửi" in result.output
    assert "logged" not in result.output and " sent " not in result.output
