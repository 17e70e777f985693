"""Metrics in the Prometheus text format and request ids (issue 23): counters move when commands
run, timers fire and messages are delivered; the exposition is parsed with prometheus_client's
own parser; a request's id comes back in its answer, its log line and its audit events."""

from __future__ import annotations

import json
import logging
import signal
import socket
import subprocess
import sys
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from dondoc import Actor, Engine, FakeClock, NewDirective, errors
from dondoc.delivery.outbox import Deliverer, DeliveryError, Router
from dondoc.ops.logs import JsonFormatter
from dondoc.ops.metrics import COMMANDS, Metrics, instrument
from dondoc.web.api import create_app
from dondoc.worker import Worker

BOARD = Actor.of("thang", "reviewer")


def samples(text: str | bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition: (name, sorted labels) → value."""
    if isinstance(text, bytes):
        text = text.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str | bytes, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


class Sink:
    """Sends what it is told, or fails (retryable or for good) for chosen recipients."""

    name = "test"

    def __init__(self, fail: dict[str, bool] | None = None) -> None:
        self.fail = fail or {}

    def send(self, message: Any, to: Any) -> None:
        if to.id in self.fail:
            raise DeliveryError("hộp thư đầy", retryable=self.fail[to.id])


def test_every_counted_command_is_an_engine_method() -> None:
    assert all(callable(getattr(Engine, name, None)) for name in COMMANDS)


def test_command_and_http_counters_move(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    engine = Engine(f"sqlite:///{tmp_path / 'm.db'}", clock=clock)
    client = TestClient(create_app(engine))
    token = engine.create_token("thang", roles=("admin", "assigner", "reviewer"))
    auth = {"Authorization": f"Bearer {token}"}
    before = client.get("/metrics")
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    assert value(before.text, "dondoc_commands_total", kind="create_directive", outcome="ok") == 0
    body = {"workflow": "remediation_self_assessment", "title": "Báo cáo", "assignee": "luyen"}
    r = client.post("/api/directives", json=body, headers=auth)
    assert r.status_code == 201
    d = r.json()["id"]
    with pytest.raises(errors.InvalidTransition):
        engine.fire(d, "accept", BOARD, {"conclusion": "?"})
    r = client.post(f"/api/directives/{d}/fire", json={"trigger": "nope"}, headers=auth)
    assert r.status_code == 409
    text = client.get("/metrics").text
    assert value(text, "dondoc_commands_total", kind="create_directive", outcome="ok") == 1
    assert value(text, "dondoc_commands_total", kind="fire", outcome="invalid_transition") == 2
    assert value(text, "dondoc_command_duration_seconds_count", kind="fire") == 2
    assert value(text, "dondoc_command_duration_seconds_sum", kind="create_directive") > 0
    assert (
        value(
            text, "dondoc_http_requests_total", method="POST", route="/api/directives", status="201"
        )
        == 1
    )
    fire_route = "/api/directives/{directive_id}/fire"
    assert (
        value(text, "dondoc_http_requests_total", method="POST", route=fire_route, status="409")
        == 1
    )
    assert value(text, "dondoc_http_requests_total", method="GET", route="/metrics", status="200")
    client.get("/no/such/page/12345")
    text = client.get("/metrics").text
    assert value(
        text, "dondoc_http_requests_total", method="GET", route="unmatched", status="404"
    )  # random paths do not make new series
    # What the database says at each scrape.
    assert value(text, "dondoc_database_up") == 1
    assert value(text, "dondoc_workers_alive") == 0
    engine.db.dispose()


def test_timer_outbox_and_backlog_metrics_move(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    engine = Engine(f"sqlite:///{tmp_path / 'm.db'}", clock=clock)
    metrics = instrument(engine, Metrics())
    metrics.watch(engine)
    for who in ("luyen", "phuong", "hai"):
        engine.create_directive(
            BOARD,
            "remediation_self_assessment",
            NewDirective(title=f"Báo cáo - {who}", assignee=who, due=date(2024, 3, 25)),
        )
    due = min(t["due_at"] for t in engine.timers(1) if t["status"] == "pending")
    clock.set(due + timedelta(hours=1))  # the worker was down for an hour
    text = metrics.exposition()
    assert value(text, "dondoc_timers_due") == 3
    assert value(text, "dondoc_timer_backlog_seconds") == 3600
    sink = Sink({"phuong": True, "hai": False})  # phuong: try again later; hai: never
    worker = Worker(
        engine,
        name="w",
        metrics=metrics,
        deliverer=Deliverer(engine, Router(fallback=sink), worker="w"),
    )
    report = worker.run_pending()
    assert len(report.fired) == 3
    text = metrics.exposition()
    assert value(text, "dondoc_timers_fired_total") == 3
    assert value(text, "dondoc_timer_lag_seconds_count") == 3
    assert value(text, "dondoc_timer_lag_seconds_sum") == 3 * 3600
    assert value(text, "dondoc_timer_lag_seconds_bucket", le="900.0") == 0
    assert value(text, "dondoc_timer_lag_seconds_bucket", le="3600.0") == 3
    assert value(text, "dondoc_outbox_messages_total", result="sent") == 1
    assert value(text, "dondoc_outbox_messages_total", result="retry") == 1
    assert value(text, "dondoc_outbox_messages_total", result="dead") == 1
    assert (
        value(text, "dondoc_timers_due") == 0 and value(text, "dondoc_timer_backlog_seconds") == 0
    )
    assert value(text, "dondoc_messages_dead") == 1
    assert value(text, "dondoc_workers_alive") == 1
    engine.db.dispose()


def test_a_request_id_reaches_the_answer_the_log_and_the_audit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC))
    engine = Engine(f"sqlite:///{tmp_path / 'r.db'}", clock=clock)
    client = TestClient(create_app(engine))
    token = engine.create_token("thang", roles=("admin", "assigner", "reviewer"))
    body = {
        "workflow": "remediation_self_assessment",
        "title": "Báo cáo",
        "assignee": "luyen",
        "due": "2024-06-30",
    }
    with caplog.at_level(logging.INFO, logger="dondoc.http"):
        r = client.post(
            "/api/directives",
            json=body,
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-2024.03.18-001"},
        )
    assert r.status_code == 201 and r.headers["x-request-id"] == "req-2024.03.18-001"
    d = r.json()["id"]
    [created] = engine.history(d)
    assert created.request_id == "req-2024.03.18-001"
    [record] = [rec for rec in caplog.records if rec.name == "dondoc.http"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-2024.03.18-001"
    assert (line["level"], line["method"], line["route"], line["status"]) == (
        "INFO",
        "POST",
        "/api/directives",
        201,
    )
    # An id that is not a safe token is replaced by a fresh one; none given: one is made.
    r = client.get("/healthz", headers={"X-Request-ID": "x" * 65})
    assert len(r.headers["x-request-id"]) == 32 and r.headers["x-request-id"] != "x" * 65
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    detail = client.get(f"/api/directives/{d}", headers={"Authorization": f"Bearer {token}"})
    assert detail.json()["history"][0]["request_id"] == "req-2024.03.18-001"
    # The library outside a request: no id. A worker's sweep: one id for all it writes.
    engine.fire(d, "start", Actor.of("luyen"))
    assert engine.history(d)[-1].request_id is None
    clock.set(datetime(2024, 12, 1, tzinfo=UTC))  # every timer of the directive is due
    Worker(engine, name="w").run_pending()
    swept = [e.request_id for e in engine.history(d) if e.kind == "timer"]
    assert swept and len(set(swept)) == 1 and swept[0] is not None
    assert engine.verify_audit().ok
    engine.db.dispose()


def test_json_logs_carry_the_exception(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("dondoc.test")
    with caplog.at_level(logging.ERROR, logger="dondoc.test"):
        try:
            raise ValueError("hỏng")
        except ValueError:
            log.exception("không gửi được %s", "thư")
    line = json.loads(JsonFormatter().format(caplog.records[0]))
    assert line["message"] == "không gửi được thư" and line["level"] == "ERROR"
    assert "ValueError: hỏng" in line["exception"] and "request_id" not in line
    assert datetime.fromisoformat(line["time"]).tzinfo is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_worker_metrics_port_and_json_logs(tmp_path: Path) -> None:
    """`dondoc worker --metrics-port` serves the exposition while it runs; SIGTERM stops it
    cleanly (its heartbeat says so) and its log lines are JSON."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    Engine(url).db.dispose()
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "dondoc.cli", "worker", "--db", url, "--name", "metrics-w"),
            *("--metrics-port", str(port), "--log-format", "json"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        text = ""
        for _ in range(600):  # the process starts within seconds; poll its port
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as r:
                    text = r.read().decode()
                if value(text, "dondoc_workers_alive") == 1:
                    break
            except OSError:
                pass
            try:
                proc.wait(timeout=0.1)  # it exited: nothing more to wait for
                break
            except subprocess.TimeoutExpired:
                pass
        assert value(text, "dondoc_workers_alive") == 1, text
        assert "dondoc_timers_fired_total" in text
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    assert any(x["message"].startswith("worker metrics-w started") for x in lines), err
    assert all(x["level"] in ("INFO", "WARNING") for x in lines)
    r = subprocess.run(
        [sys.executable, "-m", "dondoc.cli", "status", "--db", url, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(r.stdout)
    assert [(w["name"], w["state"]) for w in report["workers"]] == [("metrics-w", "stopped")]
