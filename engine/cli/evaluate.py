"""``dondoc evaluate``: Decree 335/2025 scores per person or unit for a month or quarter."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from ..documents.evaluation_xlsx import evaluation_xlsx
from ..errors import PayloadError
from ..evaluation import EvaluationPolicy
from .common import DbOpt, JsonOpt, WorkflowsOpt, _engine, _print_json, out

FORMATS = ("table", "json", "xlsx", "docx")


def _general(path: Path | None) -> dict[str, dict[str, Any]] | None:
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PayloadError("general", f"không đọc được {path}: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError(
            "general", f"{path}: cần bảng người → {{general: điểm, disqualified: true|false}}"
        )
    out_: dict[str, dict[str, Any]] = {}
    for who, v in data.items():
        v = v if isinstance(v, dict) else {"general": v}
        g = v.get("general")
        if g is not None and not (isinstance(g, int | float) and 0 <= g <= 30):
            raise PayloadError("general", f"{who}: điểm tiêu chí chung phải từ 0 đến 30")
        out_[str(who)] = v
    return out_


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def evaluate(
    period: Annotated[
        str, typer.Option("--period", help="Kỳ đánh giá: 2024-06 (tháng) hoặc 2024-Q2 (quý).")
    ],
    by: Annotated[
        str, typer.Option("--by", help="Đánh giá theo person (cá nhân) hoặc unit (đơn vị).")
    ] = "person",
    fmt: Annotated[
        str, typer.Option("--format", help="Dạng kết quả: table (bảng), json, xlsx hoặc docx.")
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Tệp kết quả (bắt buộc với xlsx và docx)."),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="Tệp YAML chính sách đánh giá (thay các mặc định theo Nghị định 335)."
        ),
    ] = None,
    general: Annotated[
        Path | None,
        typer.Option(
            "--general",
            help="Tệp YAML: người → điểm tiêu chí chung (0–30) và 'disqualified' (không đủ điều kiện).",
        ),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="Tính theo hạn hiện tại (current) hay hạn ban đầu (original); thay cho chính sách.",
        ),
    ] = None,
    db: DbOpt = "sqlite:///dondoc.db",
    extra: WorkflowsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score people (or units) from their directives per Decree 335/2025 (docs/evaluation.md)."""
    fmt = "json" if as_json else fmt
    if fmt not in FORMATS:
        raise PayloadError("format", "cần table, json, xlsx hoặc docx")
    pol = EvaluationPolicy.load(policy) if policy else EvaluationPolicy()
    if against is not None:
        if against not in ("current", "original"):
            raise PayloadError("against", "cần current (hạn hiện tại) hoặc original (hạn ban đầu)")
        pol = pol.model_copy(update={"progress_due_basis": against})
    engine = _engine(db, extra)
    report = engine.evaluate(period, by=by, policy=pol, general=_general(general))
    data = report.as_dict()
    if fmt in ("xlsx", "docx"):
        if output is None:
            raise PayloadError("output", f"{fmt} cần tệp ra: -o danh-gia.{fmt}")
        if fmt == "docx":
            from ..documents.evaluation_docx import evaluation_docx

            output.write_bytes(evaluation_docx(data))
        else:
            output.write_bytes(evaluation_xlsx(data))
        out.print(f"Đã ghi {output} ({len(data['rows'])} dòng, {data['period_label']}).")
        return
    if fmt == "json":
        if output is not None:
            import json

            from .common import _jsonable

            output.write_text(
                json.dumps(_jsonable(data), ensure_ascii=False, indent=2), encoding="utf-8"
            )
            return
        _print_json(data)
        return
    table = Table(title=f"Đánh giá kết quả thực hiện nhiệm vụ — {data['period_label']}")
    for col in (
        "Đối tượng",
        "Giao",
        "Đúng hạn",
        "Chậm",
        "Quá hạn",
        "SL %",
        "CL %",
        "TĐ %",
        "Điểm /70",
        "Tổng",
        "Xếp loại",
    ):
        table.add_column(col, overflow="fold")
    for r in data["rows"]:
        c = r["counts"]
        table.add_row(
            r["name"],
            f"{r['assigned']:g}",
            str(c["on_time"]),
            str(c["late"] + c["late_excused"]),
            str(c["open_overdue"]),
            _num(r["quantity_pct"]),
            _num(r["quality_pct"]),
            _num(r["progress_pct"]),
            _num(r["task_points"]),
            _num(r["total"]),
            r["band_label"] or "(cần điểm tiêu chí chung)",
        )
    out.print(table)
