"""The dashboard's statistics page: the status grid per unit, for everything or for one
reporting period (a month, quarter, half-year or year; Decree 09/2019's data window on
request), with a bar chart drawn as inline SVG and a link to the period's report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ..clock import local_date
from ..deadlines.periods import DEFAULT_CUTOFF_DAY, Period
from ..deadlines.status import Status
from ..errors import DondocError
from ..service.engine import Engine
from .reports_api import may_read, produced

STATUS_COLOURS = {
    "completed_on_time": "#2e7d32",
    "completed_late": "#7a5200",
    "in_progress_on_time": "#1565c0",
    "due_soon": "#b34a00",
    "in_progress_overdue": "#c62828",
    "no_deadline": "#616161",
    "cancelled": "#6b6b6b",
}
#: How many recent periods of each kind the page offers (any other is typed in the address).
RECENT = {"month": 12, "quarter": 6, "half": 4, "year": 3}
#: How many produced periodic reports the page lists (newest first).
RECENT_REPORTS = 12
PERIOD_HELP = (
    "Không đọc được kỳ báo cáo: dùng 2024-06 (tháng), 2024-Q2 (quý), 2024-H1 (6 tháng) "
    "hoặc 2024 (năm)."
)
KIND_LABELS = {"month": "Tháng", "quarter": "Quý", "half": "6 tháng", "year": "Năm"}


def period_choices(today: date) -> list[dict[str, Any]]:
    """Recent periods by kind, the current one first: [{kind label, [(key, label)…]}]."""
    groups = []
    for kind, n in RECENT.items():
        p = Period.containing(kind, today)  # type: ignore[arg-type]
        items = []
        for _ in range(n):
            items.append({"key": str(p), "label": p.label})
            p = p.previous()
        groups.append({"label": KIND_LABELS[kind], "options": items})
    return groups


def _dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def install(app: FastAPI, engine: Engine, auth: Any, page: Callable[..., Response]) -> None:
    @app.get("/stats", include_in_schema=False)
    def stats(
        request: Request, against: str = "current", period: str = "", nd09: str = ""
    ) -> Response:
        who = auth(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        against = "original" if against == "original" else "current"
        scope = None
        error = None
        if period:
            try:
                cutoff = DEFAULT_CUTOFF_DAY if nd09 else 1
                scope = engine.period_scope(period[:16], cutoff_day=cutoff, against=against)
            except DondocError:
                error = PERIOD_HELP
        rows = engine.statistics(against=against, actor=who, period=scope)
        shown = [s for s in Status if s is not Status.CANCELLED]
        table = [
            {
                "key": r.key,
                "total": r.total,
                "counts": [(s.value, s.label, r.counts[s]) for s in shown],
            }
            for r in rows
        ]
        involvement: list[dict[str, Any]] = []
        if scope is None:  # the involvement table is not per period
            involvement = [asdict(u) for u in engine.unit_involvement()]
            if "admin" not in who.roles and "reviewer" not in who.roles:
                involvement = [u for u in involvement if u["unit"] == who.unit]
        query = {"against": against}
        if scope is not None:
            query["period"] = str(scope.period)
            if scope.cutoff_day != 1:
                query["cutoff_day"] = str(scope.cutoff_day)
        other = {**query, "against": "current" if against == "original" else "original"}
        if nd09 and scope is not None:
            other["nd09"] = "1"
        choices = period_choices(local_date(engine.clock.now()))
        periodic = produced(engine)[:RECENT_REPORTS] if may_read(who) else []
        chosen = str(scope.period) if scope else ""
        return page(
            "stats",
            request,
            who,
            rows=table,
            against=against,
            chart=_chart(table),
            involvement=involvement,
            periods=choices,
            chosen=chosen,
            chosen_listed=any(p["key"] == chosen for g in choices for p in g["options"]),
            nd09=bool(nd09),
            scope=(
                {
                    "label": scope.label,
                    "start": _dmy(scope.start),
                    "end": _dmy(scope.end),
                    "as_of": _dmy(scope.as_of),
                }
                if scope
                else None
            ),
            period_error=error,
            periodic=periodic,
            report_query=urlencode(query),
            other_query=urlencode(other),
        )


def _chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of a horizontal stacked bar chart (drawn as inline SVG by the template)."""
    width, bar, gap, label_w = 640, 22, 10, 170
    biggest = max((r["total"] for r in rows), default=0) or 1
    bars = []
    for i, r in enumerate(rows):
        x = label_w
        segments = []
        for value, label, n in r["counts"]:
            if n:
                w = (width - label_w - 40) * n / biggest
                segments.append(
                    {"x": x, "w": w, "colour": STATUS_COLOURS[value], "n": n, "label": label}
                )
                x += w
        bars.append(
            {
                "y": 10 + i * (bar + gap),
                "key": r["key"],
                "total": r["total"],
                "segments": segments,
                "end": x,
            }
        )
    return {
        "width": width,
        "height": 20 + len(rows) * (bar + gap),
        "bar": bar,
        "label_w": label_w,
        "bars": bars,
    }
