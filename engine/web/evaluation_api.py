"""``GET /api/evaluation``: Decree 335/2025 scores per person or unit, as JSON or Excel."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query
from fastapi.responses import Response

from ..core.actors import Actor
from ..documents.evaluation_docx import evaluation_docx
from ..documents.evaluation_xlsx import evaluation_xlsx
from ..evaluation import DEFAULT_POLICY
from ..service.engine import Engine
from .auth import current_actor

Me = Annotated[Actor, Depends(current_actor)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def install(app: FastAPI, engine: Engine, responses: dict[int | str, dict[str, Any]]) -> None:
    @app.get("/api/evaluation", responses=responses, tags=["evaluation"], response_model=None)
    def evaluation(
        who: Me,
        period: Annotated[str, Query(max_length=10, description="2024-06 or 2024-Q2")],
        by: Literal["person", "unit"] = "person",
        against: Literal["current", "original"] = "current",
        format: Literal["json", "xlsx", "docx"] = "json",
    ) -> dict[str, Any] | Response:
        """Scores from the tracked work (docs/evaluation.md). Without the review permission a
        person sees only their own result and their unit's."""
        policy = DEFAULT_POLICY.model_copy(update={"progress_due_basis": against})
        data = engine.evaluate(period, by=by, policy=policy, actor=who).as_dict()
        if format in ("xlsx", "docx"):
            return Response(
                evaluation_xlsx(data) if format == "xlsx" else evaluation_docx(data),
                media_type=XLSX if format == "xlsx" else DOCX,
                headers={
                    "Content-Disposition": (
                        f'attachment; filename="danh-gia-{data["period"]}.{format}"'
                    )
                },
            )
        return dict(_jsonable(data))
