"""The Low findings of issue 14: the dashboard (CSRF, cookie, logout, expiry, headers,
reflected text) and delivery (signed timestamps, no empty key, no clear-text SMTP password,
no credentials in logs, malformed messages). Each test replays the attack first."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from dondoc import Actor, Engine, FakeClock, NewDirective  # noqa: E402
from dondoc.clock import local_midnight  # noqa: E402
from dondoc.core.directory import Recipient, SimpleDirectory  # noqa: E402
from dondoc.core.records import OutboxMessage  # noqa: E402
from dondoc.delivery.outbox import (  # noqa: E402
    Deliverer,
    DeliveryError,
    FileSink,
    Router,
    SinkConfigError,
    SmtpSink,
    WebhookSink,
    sign,
)
from dondoc.web.api import create_app  # noqa: E402
from dondoc.worker import Worker  # noqa: E402

WF = "remediation_self_assessment"


@pytest.fixture
def app(tmp_path: Path) -> tuple[Engine, TestClient, str, int]:
    engine = Engine(
        f"sqlite:///{tmp_path / 'h.db'}", clock=FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC))
    )
    token = engine.create_token("phuong", unit="Thanh tra Sở")
    did = engine.create_directive(
        Actor.of("thang", "assigner"), WF, NewDirective(title="Việc", assignee="phuong")
    ).id
    return engine, TestClient(create_app(engine)), token, did


def test_a_cross_site_form_cannot_act_with_the_dashboards_cookie(
    app: tuple[Engine, TestClient, str, int],
) -> None:
    engine, client, token, did = app
    client.cookies.set("dondoc_token", token)
    for headers in ({"Origin": "https://evil.example"}, {}, {"Referer": "https://evil.example/x"}):
        r = client.post(
            f"/directives/{did}/fire",
            data={"trigger": "start"},
            headers=headers,
            follow_redirects=False,
        )
        assert r.status_code == 403 and r.json()["code"] == "cross_site_request"
    assert engine.get(did).state == "assigned"
    # from the dashboard itself it works; an API client with a bearer header is not concerned
    r = client.post(
        f"/directives/{did}/fire",
        data={"trigger": "start"},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and engine.get(did).state == "in_progress"
    client.cookies.clear()
    r = client.post(
        f"/api/directives/{did}/fire",
        json={"trigger": "report_progress", "payload": {"progress": 20}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200


def test_security_headers_cookie_logout_and_expiry(
    app: tuple[Engine, TestClient, str, int],
) -> None:
    engine, client, token, _ = app
    for r in (client.get("/login"), client.get("/api/me"), client.post("/api/me", content=b"")):
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    r = client.post("/login", data={"token": token}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=43200" in cookie
    secure = TestClient(create_app(engine), base_url="https://testserver")
    r = secure.post("/login", data={"token": token}, follow_redirects=False)
    assert "secure" in r.headers["set-cookie"].lower()
    # logging out revokes the token itself, not only the browser's copy
    client.cookies.set("dondoc_token", token)
    client.get("/logout", follow_redirects=False)
    assert engine.authenticate(token) is None
    # tokens expire
    fresh = engine.create_token("luyen")
    assert engine.authenticate(fresh) is not None
    engine.clock.advance(days=181)  # type: ignore[attr-defined]
    assert engine.authenticate(fresh) is None


def test_the_dashboard_shows_only_its_own_messages(
    app: tuple[Engine, TestClient, str, int],
) -> None:
    _, client, _, _ = app
    bait = "Tài khoản bị khóa, gọi 0900 000 000"
    page = client.get("/login", params={"err": bait}).text
    assert bait not in page
    page = client.get("/login", params={"err": "login"}).text
    assert "Mã đăng nhập không đúng" in page


def test_webhooks_sign_a_timestamp_and_refuse_an_empty_key() -> None:
    with pytest.raises(SinkConfigError):
        WebhookSink("https://hooks.example/x", "")
    body = b'{"x": 1}'
    # a replayed body with a new timestamp does not verify
    assert sign(body, "k", 1_700_000_000) != sign(body, "k", 1_700_000_600)
    with pytest.raises(SinkConfigError):
        SmtpSink("smtp.example", 25, username="u", password="p")  # password in clear
    assert SmtpSink("smtp.example", 587, username="u", password="p", starttls=True)
    assert SmtpSink("127.0.0.1", 25, username="u", password="p", allow_plaintext_login=True)


def test_credentials_in_a_webhook_url_stay_out_of_errors() -> None:
    sink = WebhookSink("http://user:s3cr3t@127.0.0.1:9/hook?token=t0k3n", "k", timeout=1)
    message = OutboxMessage(  # type: ignore[call-arg]
        **{
            f: None
            for f in OutboxMessage.__dataclass_fields__  # type: ignore[attr-defined]
        }
        | {
            f: datetime(2024, 6, 1, tzinfo=UTC)
            for f in OutboxMessage.__dataclass_fields__  # type: ignore[attr-defined]
            if f.endswith("_at")
        }
        | {"id": 1, "idempotency_key": "k1", "subject": "s", "body": "b", "attempts": 0}
    )
    with pytest.raises(DeliveryError) as caught:
        sink.send(message, Recipient("p", "P"))
    text = str(caught.value)
    assert "s3cr3t" not in text and "t0k3n" not in text and "127.0.0.1:9/hook" in text


def test_a_malformed_message_is_marked_failed_and_delivery_goes_on(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2024, 6, 1, 2, tzinfo=UTC))
    people = {
        "luyen": {"name": "Luyến\r\nBcc: all@evil.example", "email": "luyen@example.vn"},
        "phuong": {"name": "Nguyễn Phương", "email": "phuong@example.vn"},
    }
    engine = Engine(
        f"sqlite:///{tmp_path / 'm.db'}", clock=clock, directory=SimpleDirectory(people)
    )
    for who in ("luyen", "phuong"):
        engine.create_directive(
            Actor.of("thang", "assigner"),
            WF,
            NewDirective(title="Việc", assignee=who, due=date(2024, 6, 30)),
        )
    Worker(engine).advance(clock, local_midnight(date(2024, 7, 1)))
    sent: list[str] = []

    class Recorder(SmtpSink):
        def send(self, message: OutboxMessage, to: Recipient) -> None:
            from email.message import EmailMessage
            from email.utils import formataddr

            EmailMessage()["To"] = formataddr((to.name, to.email or ""))  # what SMTP does first
            sent.append(to.id)

    report = Deliverer(
        engine, Router(fallback=FileSink(), email=Recorder("127.0.0.1")), worker="w"
    ).deliver_pending()
    assert {m.recipient for m, _ in report.failed} == {"luyen"}
    assert all("ValueError" in why for _, why in report.failed)
    assert set(sent) == {"phuong"} and len(report.sent) == 2
    assert {m.status for m in engine.outbox() if m.recipient == "luyen"} == {"failed"}
    _ = timedelta


def test_templates_are_bounded_in_loops_and_values(tmp_path: Path) -> None:
    from dondoc.documents.render import Renderer
    from dondoc.errors import TemplateError

    attacks = {
        # the review's hang: nested range loops (10**10 steps)
        "nested": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        # the review's gigabyte: 'a' * 10**9
        "big": "{{ 'a' * 10**9 }}",
        # doubling a text in a loop
        "double": "{% set ns = namespace(s='ab') %}{% for i in range(60) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s | length }}",
        "power": "{{ 2 ** 100000 }}",
    }
    for name, body in attacks.items():
        (tmp_path / f"{name}.txt.j2").write_text(f"Tiêu đề\n{body}\n", encoding="utf-8")
    (tmp_path / "fine.txt.j2").write_text(
        "Tiêu đề\n{% for i in range(3) %}{{ i }}{% endfor %}{{ 'ab' * 3 }}\n", encoding="utf-8"
    )
    renderer = Renderer(tmp_path)
    for name in attacks:
        with pytest.raises(TemplateError, match="không được phép trong mẫu"):
            renderer.render_text(name, {})
    assert renderer.render_text("fine", {}).body.strip() == "012ababab"
