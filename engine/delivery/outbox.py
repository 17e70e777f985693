"""Delivering the outbox: notifications leave through sinks, at least once, never lost.

Messages are rows written in the same transaction as the state change or timer that caused
them. Delivery is a separate step because a send is an effect outside the database:

1. *claim*: a pending message (or one whose earlier claim's lease expired) is marked
   ``sending`` with a lease, and committed;
2. *send* through the recipient's sink (e-mail, webhook, or the log/file sink);
3. *mark*: ``sent`` only after the sink confirmed the message reached its recipient (e-mail,
   webhook), ``logged`` when the sink only recorded it (the log, a JSON-lines file: nobody has
   been told yet); on a retryable failure it goes back to
   ``pending`` with an exponential back-off; on a permanent one (or after ``max_attempts``)
   to ``failed`` (dead letters, listed by ``dondoc outbox``).

A crash between 2 and 3 leaves the message ``sending``; when its lease expires it is sent
again — at most one duplicate, carrying the same idempotency key (``Message-ID`` and
``X-Dondoc-Idempotency-Key`` in e-mail, a header and the JSON body of a webhook), so the
receiver can drop it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Protocol

from ..core.directory import Directory, Recipient
from ..core.records import OutboxMessage
from ..errors import DondocError

IDEMPOTENCY_HEADER = "X-Dondoc-Idempotency-Key"
SIGNATURE_HEADER = "X-Dondoc-Signature"
TIMESTAMP_HEADER = "X-Dondoc-Timestamp"


class SinkConfigError(DondocError):
    """A sink is set up unsafely (no webhook secret, a password over plain SMTP): refused at
    start, before anything is sent."""

    code = "configuration"


def safe_url(url: str) -> str:
    """``url`` without credentials or query string (for logs and ``outbox.last_error``)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid URL)"
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


class DeliveryError(Exception):
    """A sink could not deliver. ``retryable`` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Sink(Protocol):
    """Port: one way of delivering a message. ``send`` returns only once delivery is confirmed
    and raises :class:`DeliveryError` otherwise.

    A sink that only records the message where an operator may read it (the log, a file)
    declares ``reaches_recipient = False``; its messages are marked ``logged``, not ``sent``.
    A sink without the attribute is taken to reach the recipient."""

    name: str

    def send(self, message: OutboxMessage, to: Recipient) -> None: ...


def payload_json(message: OutboxMessage, to: Recipient) -> bytes:
    body = {
        "idempotency_key": message.idempotency_key,
        "directive_id": message.directive_id,
        "template": message.template,
        "recipient": {"id": to.id, "name": to.name, "role": message.recipient_role},
        "subject": message.subject,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The webhook signature header value: ``sha256=<hex HMAC of "<timestamp>." + raw body>``.

    The timestamp (``X-Dondoc-Timestamp``, Unix seconds) is signed with the body, so a receiver
    that refuses timestamps older than a few minutes cannot be fed a replayed request."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


class FileSink:
    """Appends one JSON line per message to a file (or, with no path, keeps them in memory).
    The recipient is not told: its messages are ``logged``."""

    name = "file"
    reaches_recipient = False

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self.sent: list[dict[str, object]] = []
        self._lock = threading.Lock()

    def send(self, message: OutboxMessage, to: Recipient) -> None:
        line = json.loads(payload_json(message, to))
        with self._lock:
            self.sent.append(line)
            if self.path is not None:
                try:
                    with self.path.open("a", encoding="utf-8") as f:
                        f.write(json.dumps(line, ensure_ascii=False) + "\n")
                except OSError as exc:
                    raise DeliveryError(f"cannot write {self.path}: {exc}") from None


class LogSink:
    """The embedded default: a message is written to the worker's log (``logged``)."""

    name = "log"
    reaches_recipient = False

    def send(self, message: OutboxMessage, to: Recipient) -> None:
        logging.getLogger("dondoc.delivery.outbox").info(
            "to %s <%s>: %s", to.name, to.id, message.subject
        )


@dataclass
class SmtpSink:
    """E-mail through an SMTP server (stdlib smtplib); STARTTLS and login optional."""

    host: str
    port: int = 25
    sender: str = "dondoc@localhost"
    sender_name: str = "Hệ thống theo dõi, đôn đốc nhiệm vụ"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 15.0
    allow_plaintext_login: bool = False
    name: str = field(default="email", init=False)

    def __post_init__(self) -> None:
        if (
            (self.username or self.password)
            and not self.starttls
            and not self.allow_plaintext_login
        ):
            raise SinkConfigError(
                "SMTP login without STARTTLS would send the password in clear: use --smtp-starttls "
                "(or allow_plaintext_login for a server on the same host)"
            )

    def send(self, message: OutboxMessage, to: Recipient) -> None:
        if not to.email:
            raise DeliveryError(f"{to.id} has no e-mail address", retryable=False)
        mail = EmailMessage()
        mail["From"] = formataddr((self.sender_name, self.sender))
        mail["To"] = formataddr((to.name, to.email))
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(
            idstring=hashlib.sha1(message.idempotency_key.encode()).hexdigest()[:16],
            domain="dondoc",
        )
        mail[IDEMPOTENCY_HEADER] = message.idempotency_key
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc}", retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from None


@dataclass
class WebhookSink:
    """JSON POST, body signed with HMAC-SHA256 (header ``X-Dondoc-Signature: sha256=…``).

    The URL is the recipient's own ``webhook`` if the directory has one, else ``url``.
    2xx confirms; 4xx (but 408 and 429) is permanent; anything else is retried.
    """

    url: str | None = None
    secret: str = ""
    timeout: float = 15.0
    clock: Callable[[], float] = time.time
    name: str = field(default="webhook", init=False)

    def __post_init__(self) -> None:
        if not self.secret:
            raise SinkConfigError(
                "a webhook needs a signing secret (DONDOC_WEBHOOK_SECRET); refusing to sign with "
                "an empty key"
            )

    def send(self, message: OutboxMessage, to: Recipient) -> None:
        url = to.webhook or self.url
        if not url:
            raise DeliveryError(f"no webhook URL for {to.id}", retryable=False)
        shown = safe_url(url)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise DeliveryError(f"webhook {shown}: not an http(s) URL", retryable=False)
        body = payload_json(message, to)
        stamp = int(self.clock())
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                IDEMPOTENCY_HEADER: message.idempotency_key,
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: sign(body, self.secret, stamp),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"webhook {shown}: {_without(exc, url)}") from None
        if 200 <= status < 300:
            return
        retryable = not (400 <= status < 500) or status in (408, 429)
        raise DeliveryError(f"webhook {shown} answered HTTP {status}", retryable=retryable)


def _without(exc: Exception, url: str) -> str:
    """The error's text without the URL's secrets (userinfo, query)."""
    text = str(exc).replace(url, safe_url(url))
    parts = urllib.parse.urlsplit(url)
    for secret in (parts.password, parts.username, parts.query):
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass
class Router:
    """Chooses the sink for a recipient: e-mail when they have an address and SMTP is set up,
    a webhook when they (or the default) have one, otherwise the fallback (file/log) sink."""

    fallback: Sink
    email: Sink | None = None
    webhook: Sink | None = None

    def sink_for(self, to: Recipient) -> Sink:
        if to.email and self.email is not None:
            return self.email
        if self.webhook is not None and (to.webhook or getattr(self.webhook, "url", None)):
            return self.webhook
        return self.fallback


@dataclass
class DeliveryReport:
    sent: list[OutboxMessage] = field(default_factory=list)
    logged: list[OutboxMessage] = field(default_factory=list)  # recorded only, nobody told
    retried: list[tuple[OutboxMessage, str]] = field(default_factory=list)
    failed: list[tuple[OutboxMessage, str]] = field(default_factory=list)


def backoff(attempt: int) -> timedelta:
    """1, 2, 4, … minutes after the n-th failed attempt, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempt - 1, 0), 360))


class DirectoryLookup(Protocol):
    def person(self, person_id: str) -> Recipient: ...


def resolve_recipient(directory: Directory | DirectoryLookup, message: OutboxMessage) -> Recipient:
    if message.recipient.startswith("unit:"):
        unit = message.recipient.removeprefix("unit:")
        return Recipient(message.recipient, unit)
    return directory.person(message.recipient)


class OutboxStore(Protocol):
    """What the deliverer needs from the Engine."""

    @property
    def directory(self) -> Directory: ...

    def claim_message(self, worker: str, lease: timedelta = ...) -> OutboxMessage | None: ...

    def mark_sent(
        self, message_id: int, worker: str, sink: str, *, logged: bool = False
    ) -> bool: ...

    def mark_failed(
        self,
        message_id: int,
        worker: str,
        error: str,
        *,
        retryable: bool,
        max_attempts: int,
        retry_in: timedelta,
    ) -> str: ...


class Deliverer:
    """Claims, sends and marks outbox messages (see the module docstring for the protocol)."""

    def __init__(
        self,
        store: OutboxStore,
        router: Router,
        *,
        worker: str = "worker",
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 12,
    ) -> None:
        self.store = store
        self.router = router
        self.worker = worker
        self.lease = lease
        self.max_attempts = max_attempts

    def deliver_pending(self, limit: int | None = None) -> DeliveryReport:
        """Deliver every message that is due now (at most ``limit``)."""
        report = DeliveryReport()
        handled = 0
        while limit is None or handled < limit:
            message = self.store.claim_message(self.worker, self.lease)
            if message is None:
                break
            handled += 1
            to = resolve_recipient(self.store.directory, message)
            sink = self.router.sink_for(to)
            try:
                sink.send(message, to)
            except (DeliveryError, ValueError) as exc:
                # A malformed message (CR/LF in a name, a bad URL: ValueError from the e-mail
                # and URL libraries) is a permanent failure of that message, never the end of
                # the worker.
                retryable = exc.retryable if isinstance(exc, DeliveryError) else False
                why = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
                status = self.store.mark_failed(
                    message.id,
                    self.worker,
                    why,
                    retryable=retryable,
                    max_attempts=self.max_attempts,
                    retry_in=backoff(message.attempts),
                )
                (report.retried if status == "pending" else report.failed).append((message, why))
                continue
            if getattr(sink, "reaches_recipient", True):
                self.store.mark_sent(message.id, self.worker, sink.name)
                report.sent.append(message)
            else:
                self.store.mark_sent(message.id, self.worker, sink.name, logged=True)
                report.logged.append(message)
        return report
