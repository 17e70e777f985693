"""``/api/periodic-reports``: the periodic reports the worker produced (Decree 09/2019), and
each one's Word or Excel file as produced. For holders of the review or admin permission."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path
from fastapi.responses import Response

from ..clock import local_date
from ..core.actors import Actor
from ..core.permissions import Permission, can
from ..deadlines.periods import Period
from ..errors import PermissionDenied
from ..service.engine import Engine
from .auth import current_actor

Me = Annotated[Actor, Depends(current_actor)]
MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def may_read(who: Actor) -> bool:
    return can(who, Permission.REVIEW) or can(who, Permission.ADMIN)


def produced(engine: Engine) -> list[dict[str, Any]]:
    """The reports produced, newest first, with their schedule's name, formats and links."""
    schedules = {s.id: s for s in engine.report_schedules()}
    out = []
    for r in reversed(engine.report_runs()):
        s = schedules.get(r.schedule_id)
        formats = s.formats if s else ()
        out.append(
            {
                "id": r.id,
                "schedule_id": r.schedule_id,
                "name": s.name if s else "",
                "period": r.period,
                "period_label": Period.parse(r.period).label,
                "produced_at": r.produced_at.isoformat(),
                "produced_on": local_date(r.produced_at).isoformat(),  # in Vietnam
                "totals": r.totals,
                "notified": list(r.notified),
                "files": {f: f"/api/periodic-reports/{r.id}?format={f}" for f in formats},
            }
        )
    return out


def install(app: FastAPI, engine: Engine, responses: dict[int | str, dict[str, Any]]) -> None:
    @app.get("/api/periodic-reports", responses=responses, tags=["documents"])
    def periodic_reports(who: Me) -> list[dict[str, Any]]:
        """The periodic reports produced (newest first): period, totals, recipients, files."""
        if not may_read(who):
            raise PermissionDenied(
                who.id, "periodic_reports", ["reviewer", "admin"], sorted(who.roles)
            )
        return produced(engine)

    @app.get(
        "/api/periodic-reports/{run_id}",
        responses={**responses, 200: {"content": {m: {} for m in MEDIA.values()}}},
        tags=["documents"],
    )
    def periodic_report_file(
        who: Me,
        run_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
        format: Literal["docx", "xlsx"] = "docx",
    ) -> Response:
        """A produced report's file, as it was produced and sent."""
        if not may_read(who):
            raise PermissionDenied(
                who.id, "periodic_reports", ["reviewer", "admin"], sorted(who.roles)
            )
        data = engine.report_file(run_id, format)
        return Response(
            data,
            media_type=MEDIA[format],
            headers={"Content-Disposition": f'attachment; filename="bao-cao-{run_id}.{format}"'},
        )
