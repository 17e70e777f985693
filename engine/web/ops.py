"""The server's operational face: ``/healthz``, ``/readyz``, ``/metrics``, a request id on every
request (``X-Request-ID``: the caller's if it is a safe token, else a new one; echoed in the
answer, put on every log line and audit event of the request), the HTTP metrics, one access
log line per request, and the dashboard's banner for administrators when the scheduler is down
or late.

``/healthz`` answers without touching anything (the process is up); ``/readyz`` connects to the
database once (schema at the revision this dondoc needs, workflows loaded) and answers 503 with
the problems otherwise. Neither needs a token, neither reveals more than a load balancer needs.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import exc as sa_exc

from ..core.actors import Actor
from ..core.correlation import new_request_id, request_id
from ..ops.health import DEFAULT_MAX_LAG, readiness, scheduler_status
from ..ops.metrics import Metrics, instrument
from ..service.engine import Engine

log = logging.getLogger("dondoc.http")

#: How long an administrator's banner is trusted before the heartbeats are read again.
BANNER_TTL = 15.0


def install(app: FastAPI, engine: Engine) -> Metrics:
    """Add the endpoints and the request middleware; returns the engine's metrics (made and
    attached to it unless :func:`~dondoc.ops.metrics.instrument` was called before)."""
    fresh = "_ops_metrics" not in engine.__dict__
    metrics = instrument(engine)
    if fresh:
        metrics.watch(engine)
    app.add_middleware(RequestContext, metrics=metrics)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        ready = readiness(engine.db, engine.workflows)
        body: dict[str, Any] = {
            "status": "ok" if ready.ok else "unavailable",
            "schema": ready.revision,
            "schema_needed": ready.head,
            "workflows": ready.workflows,
        }
        if not ready.ok:
            body["problems"] = list(ready.problems)
        return JSONResponse(body, status_code=200 if ready.ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics_page() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return metrics


class RequestContext:
    """ASGI middleware: the request id, the HTTP metrics and the access log line."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        rid = new_request_id(given.decode("latin-1"))
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"x-request-id", rid.encode())],
                }
            await send(message)

        with request_id(rid):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - start
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                method = str(scope.get("method", ""))
                self.metrics.http_request(method, template, status, elapsed)
                log.info(
                    "%s %s %d %.1f ms",
                    method,
                    scope.get("path", ""),
                    status,
                    elapsed * 1000,
                    extra={
                        "request_id": rid,
                        "method": method,
                        "path": scope.get("path", ""),
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )


class SchedulerBanner:
    """What the dashboard tells administrators when reminders are not running: the problems
    of :func:`~dondoc.ops.health.scheduler_status`, read at most every ``BANNER_TTL`` s."""

    def __init__(self, engine: Engine, max_lag: timedelta = DEFAULT_MAX_LAG) -> None:
        self.engine = engine
        self.max_lag = max_lag
        self._lock = threading.Lock()
        self._cached: tuple[float, str | None] = (float("-inf"), None)

    def __call__(self, who: Actor | None) -> str | None:
        if who is None or "admin" not in who.roles:
            return None
        with self._lock:
            checked, text = self._cached
            if time.monotonic() - checked < BANNER_TTL:
                return text
            try:
                status = scheduler_status(
                    self.engine.db, self.engine.clock.now(), max_lag=self.max_lag
                )
            except sa_exc.SQLAlchemyError:
                log.exception("cannot read the scheduler's status for the banner")
                text = None
            else:
                text = (
                    None
                    if status.ok
                    else "Bộ lập lịch không chạy hoặc bị trễ — nhắc việc, chuyển quá hạn có thể "
                    "không diễn ra: " + "; ".join(status.problems) + "."
                )
            self._cached = (time.monotonic(), text)
            return text
