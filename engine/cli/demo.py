"""``dondoc demo``: seed 000's conclusion, run by the real worker on a fake clock.

The Sở TT&TT Đắk Nông conclusion of 18/03/2024 is loaded into a fresh embedded database as
directives; the scheduler runs from 18/03/2024 to 15/07/2024 on a :class:`FakeClock` while
scripted people act at their own times (some on time, one leader late), and a timeline is
printed: reminders, overdue, chasing letters, escalation, self-assessments, reviews,
discipline — then the status grid per unit. Nothing sleeps; it takes seconds.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from ..clock import VN_TZ, FakeClock
from ..core.actors import Actor
from ..core.directory import SimpleDirectory
from ..core.records import Directive
from ..deadlines.status import Status
from ..documents.office import Office
from ..errors import DondocError
from ..service.engine import Engine, FiredTimer, NewDirective
from ..testing import TimeMachine
from .common import text_table

DOC_NUMBER = "/TB-STTTT"  # the number was left blank on the document itself
DOC_DATE = date(2024, 3, 18)
DOC_ISSUER = "Sở Thông tin và Truyền thông tỉnh Đắk Nông"
UNIT = "Thanh tra Sở"
#: Seed 000's people, as the conclusion names them (the directory the demo keeps).
PEOPLE: dict[str, dict[str, Any]] = {
    "thang": {
        "name": "Hoàng Mạnh Thắng",
        "position": "Phó Giám đốc Sở",
        "unit": "Ban Giám đốc Sở",
        "email": "thang@stttt.daknong.gov.vn",
        "roles": ["reviewer"],
    },
    "phuong": {
        "name": "Nguyễn Phương",
        "position": "Chánh Thanh tra",
        "unit": UNIT,
        "email": "phuong@stttt.daknong.gov.vn",
    },
    "luyen": {
        "name": "Hoàng Thị Luyến",
        "position": "Phó Chánh Thanh tra",
        "unit": UNIT,
        "email": "luyen@stttt.daknong.gov.vn",
    },
    "anh": {
        "name": "Trần Thị Ánh",
        "position": "Phó Chánh Văn phòng Sở",
        "unit": "Văn phòng Sở",
        "email": "anh@stttt.daknong.gov.vn",
    },
}
DIRECTORY = SimpleDirectory(PEOPLE, {UNIT: "phuong"})
#: The office profile of the Sở (the header and signature of the letters it sends).
OFFICE = Office(
    parent="UBND TỈNH ĐẮK NÔNG",
    name="SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    name_in_text="Sở Thông tin và Truyền thông",
    abbreviation="STTTT",
    place="Đắk Nông",
    authority="KT. GIÁM ĐỐC",
    signer="thang",
    signer_position="PHÓ GIÁM ĐỐC",
    archive=("Lưu: VT, TTr",),
)
BOARD = Actor.of("thang", "reviewer", name=DIRECTORY.display("thang"))
PHUONG = Actor.of("phuong", unit=UNIT, name=DIRECTORY.display("phuong"))
LUYEN = Actor.of("luyen", unit=UNIT, name=DIRECTORY.display("luyen"))


def at(day: int, month: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=VN_TZ).astimezone(UTC)


@dataclass
class Step:
    when: datetime
    who: Actor
    key: str
    trigger: str
    payload: dict[str, Any]


def _directives(engine: Engine) -> dict[str, int]:
    ids: dict[str, int] = {}

    def add(
        key: str, workflow: str, title: str, deadline: str, assignee: str, content: str
    ) -> None:
        d = engine.create_directive(
            BOARD,
            workflow,
            NewDirective(
                title=title,
                content=content,
                deadline=deadline,
                lead_unit=UNIT,
                assignee=assignee,
                reviewer="thang",
                doc_number=DOC_NUMBER,
                doc_date=DOC_DATE,
                doc_issuer=DOC_ISSUER,
            ),
        )
        ids[key] = d.id

    group = (
        "Giải quyết dứt điểm các vụ, việc Giám đốc Sở đã có chỉ đạo. Hoàn thành trong tháng 4/2024."
    )
    add(
        "case1",
        "monthly_briefing_task",
        "Làm rõ việc in ấn, phát hành Sổ tay phòng chống in lậu",
        "Hoàn thành trong tháng 4/2024",
        "phuong",
        group,
    )
    add(
        "case2",
        "monthly_briefing_task",
        "Xử lý sai phạm của Tạp chí Môi trường Xây dựng, Báo Pháp luật TP. Hồ Chí Minh",
        "Hoàn thành trong tháng 4/2024",
        "phuong",
        group,
    )
    add(
        "case3",
        "monthly_briefing_task",
        "Theo dõi việc thực hiện Kết luận Thanh tra đối với các doanh nghiệp viễn thông",
        "Hoàn thành trong tháng 4/2024",
        "luyen",
        group,
    )
    add(
        "seal",
        "monthly_briefing_task",
        "Bàn giao con dấu, hồ sơ theo dõi văn bản đi đến cho Văn thư Sở",
        "trước ngày 01/04/2024",
        "phuong",
        "Bàn giao con dấu, hồ sơ theo dõi văn bản đi đến của Thanh Tra cho Văn thư Sở quản lý trước ngày 01/04/2024.",
    )
    add(
        "watch",
        "monthly_briefing_task",
        "Theo dõi, đôn đốc việc xử lý sai phạm của Tạp chí Môi trường Đô thị",
        "theo dõi, đôn đốc",
        "phuong",
        "Giao đồng chí Chánh Thanh tra theo dõi, đôn đốc việc xử lý sai phạm của Tạp chí Môi trường Đô thị.",
    )
    for key, who in (("sa_phuong", PHUONG), ("sa_luyen", LUYEN)):
        add(
            key,
            "remediation_self_assessment",
            f"Báo cáo tự đánh giá việc khắc phục tồn tại, hạn chế - {PEOPLE[who.id]['name']}",
            "Trước ngày 01/07/2024",
            who.id,
            "Trước ngày 01/07/2024, từng đồng chí lãnh đạo phòng Thanh tra có báo cáo tự đánh giá "
            "việc khắc phục của mình gửi Ban Giám đốc; tự đề xuất hình thức kiểm điểm, kỷ luật nếu "
            "không khắc phục được tồn tại, hạn chế đã được Ban Giám đốc chỉ ra.",
        )
    return ids


SCRIPT = [
    Step(at(25, 3), PHUONG, "seal", "start", {}),
    Step(
        at(29, 3, 15),
        PHUONG,
        "seal",
        "report_result",
        {"result": "Đã bàn giao con dấu, hồ sơ cho Văn thư Sở."},
    ),
    Step(at(1, 4, 8, 30), BOARD, "seal", "evaluate_done", {}),
    Step(at(1, 4, 9), PHUONG, "sa_phuong", "start", {}),
    Step(at(1, 4, 9, 5), LUYEN, "sa_luyen", "start", {}),
    Step(at(2, 4), PHUONG, "case1", "start", {}),
    Step(at(2, 4, 9, 10), PHUONG, "case2", "start", {}),
    Step(at(2, 4, 9, 20), LUYEN, "case3", "start", {}),
    Step(at(22, 4, 16), PHUONG, "case1", "report_result", {"result": "Đã làm rõ, lập biên bản."}),
    Step(
        at(26, 4, 10),
        PHUONG,
        "case2",
        "report_result",
        {"result": "Đã ban hành quyết định xử phạt."},
    ),
    Step(at(3, 5), BOARD, "case1", "evaluate_done", {}),
    Step(at(3, 5, 9, 5), BOARD, "case2", "evaluate_done", {}),
    Step(
        at(8, 5, 14),
        LUYEN,
        "case3",
        "report_result",
        {"result": "Đã có báo cáo theo dõi.", "cause_if_late": "Chờ số liệu doanh nghiệp."},
    ),
    Step(at(10, 5), BOARD, "case3", "evaluate_done", {}),
    Step(
        at(24, 6, 10),
        PHUONG,
        "sa_phuong",
        "submit_self_assessment",
        {"report": "Đã khắc phục các tồn tại, hạn chế được chỉ ra.", "shortcomings_fixed": True},
    ),
    Step(at(28, 6, 9), BOARD, "sa_phuong", "accept", {"conclusion": "Đạt yêu cầu."}),
    Step(
        at(9, 7, 15),
        LUYEN,
        "sa_luyen",
        "submit_self_assessment",
        {
            "report": "Chưa khắc phục được việc chậm giải quyết đơn.",
            "shortcomings_fixed": False,
            "proposed_discipline": "khien_trach",
        },
    ),
    Step(
        at(12, 7, 10),
        BOARD,
        "sa_luyen",
        "discipline",
        {"form": "khien_trach", "decision_number": "25/QĐ-STTTT"},
    ),
]

START = at(18, 3, 9)
END = at(15, 7, 17)


def run_demo(
    db_url: str | None = None, console: Console | None = None, *, until: datetime = END
) -> Engine:
    """Run the showcase (up to ``until``) and print it. Returns the engine; with ``db_url``
    its database keeps the result, with the people directory and office profile it used and
    its clock frozen at ``until`` (later commands on it need no extra files, and see the
    directives as they stood then)."""
    out = console or Console(highlight=False)
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if db_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="dondoc-demo-")
        db_url = f"sqlite:///{Path(tmp.name) / 'demo.db'}"
    clock = FakeClock(START)
    engine = Engine(db_url, clock=clock)
    if engine.directives(limit=1):
        raise DondocError(f"bản trình diễn cần một cơ sở dữ liệu trống; {db_url} đã có nhiệm vụ")
    engine.set_directory(DIRECTORY)
    engine.set_office(OFFICE)
    engine.freeze_clock(until)
    name = engine.display
    titles: dict[int, str] = {}

    def stamp() -> str:
        return clock.now().astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")

    def short(directive_id: int) -> str:
        title = titles.get(directive_id, "")
        return f"#{directive_id} {title}"  # whole: the console wraps at the terminal's width

    def on_event(item: FiredTimer | Directive) -> None:
        if isinstance(item, Directive):
            return
        spec = engine.get(item.directive_id)
        timer = next(
            (
                t
                for t in engine.workflows.get(spec.workflow, spec.workflow_version).spec.timers
                if t.id == item.timer
            ),
            None,
        )
        label = (timer.label if timer and timer.label else item.timer) if timer else item.timer
        who = ", ".join(name(p) for p in item.notified if p != "system:scheduler")
        line = f"[dim]{stamp()}[/dim]  [yellow]⏰ {label}[/yellow] — {short(item.directive_id)}"
        if who:
            line += f" → gửi {who}"
        if item.trigger:
            line += f" → [red]{spec.state_label}[/red]"
        out.print(line)

    machine = TimeMachine(engine, listener=on_event)  # the worker loop on the fake clock
    out.rule("[bold]dondoc demo[/bold] — Thông báo kết luận, Sở TT&TT Đắk Nông, 18/03/2024")
    ids = _directives(engine)
    for d in engine.directives():
        titles[d.id] = d.title
        due = d.due.strftime("%d/%m/%Y") if d.due else "không có thời hạn"
        out.print(
            f"[dim]{stamp()}[/dim]  [green]📄 Giao nhiệm vụ[/green] {short(d.id)} → "
            f"{name(d.assignee)}; hạn {due} ({d.due_text})"
        )
    for step in SCRIPT:
        if step.when > until:
            break
        machine.advance_to(step.when)
        did = ids[step.key]
        try:
            d = engine.fire(did, step.trigger, step.who, step.payload)
        except DondocError as exc:  # the script is fixed; a failure here is a bug worth seeing
            out.print(f"[red]{stamp()}  ✗ {step.who.name}: {exc}[/red]")
            continue
        ev = engine.history(did)[-1]
        label = next(
            t.label
            for t in engine.workflows.get(d.workflow, d.workflow_version).spec.transitions
            if t.trigger == step.trigger
        )
        late = f" [red](trễ {d.days_late} ngày)[/red]" if d.days_late and not d.is_open else ""
        out.print(
            f"[dim]{stamp()}[/dim]  [cyan]👤 {name(ev.actor)}[/cyan]: {label} — "
            f"{short(did)} → {d.state_label}{late}"
        )
    machine.advance_to(until)

    out.rule(f"Tình hình thực hiện đến {stamp()}")
    grid_table = text_table("Đơn vị")
    shown = [s for s in Status if s is not Status.CANCELLED]
    for s in shown:
        grid_table.add_column(s.label, justify="right")
    grid_table.add_column("Tổng", justify="right")
    for r in engine.statistics():
        grid_table.add_row(r.key, *(str(r.counts[s]) for s in shown), str(r.total))
    out.print(grid_table)
    people = text_table("Người thực hiện", "Nhiệm vụ", "Trạng thái", "Hạn", "Đánh giá")
    for d in engine.directives():
        people.add_row(
            name(d.assignee),
            d.title,
            d.state_label,
            d.due.strftime("%d/%m/%Y") if d.due else "—",
            d.status_label,
        )
    out.print(people)
    report = engine.verify_audit()
    pending = engine.outbox_count()
    out.print(
        f"Nhật ký: {report.events_checked} sự kiện, chuỗi băm {'toàn vẹn' if report.ok else 'BỊ SỬA'}; "
        f"hộp thư đi: {pending} thông báo chờ gửi."
    )
    if tmp is not None:
        engine.db.dispose()
        tmp.cleanup()
    else:
        out.print(
            f"Cơ sở dữ liệu {db_url} giữ kết quả, danh bạ và hồ sơ cơ quan; đồng hồ của nó dừng ở "
            f"{stamp()}. Ví dụ: dondoc render chasing_letter --directive 7 --format docx "
            f"--db {db_url} -o cong_van.docx"
        )
    return engine


def load_demo_data(engine: Engine) -> dict[str, str]:
    """Load seed 000's directives into an empty database, on the engine's own clock (for tests
    that move that clock themselves), and issue a token for each person. Returns {person:
    token}; empty if the database is not empty (nothing is changed then)."""
    if engine.directives(limit=1):
        return {}
    stored = engine.stored_directory()
    if not stored.people:
        engine.set_directory(DIRECTORY)
    if not engine.office.name:
        engine.set_office(OFFICE)
    _directives(engine)
    return _tokens(engine)


#: Where ``dondoc serve --demo-data`` stops the story and freezes the clock: Hoàng Thị Luyến's
#: self-assessment is late and has been escalated to the head of the unit, the other leader's
#: was accepted, the cases of April are done, the standing duty goes on.
SERVE_UNTIL = at(5, 7, 18)


def serve_demo_data(db_url: str, *, until: datetime = SERVE_UNTIL) -> dict[str, str]:
    """Play the demo's story into the empty database ``db_url`` (the real scheduler on a fake
    clock, as ``dondoc demo`` does) up to ``until`` and freeze the database's clock there, so
    the server shows the story as it stood that day — not a 2024 story on today's clock.
    Issues a token for each person. Returns {person: token}; empty when the database already
    has directives (nothing is changed then)."""
    probe = Engine(db_url)
    busy = bool(probe.directives(limit=1))
    probe.db.dispose()
    if busy:
        return {}
    engine = run_demo(db_url, Console(file=io.StringIO()), until=until)
    try:
        return _tokens(engine)
    finally:
        engine.db.dispose()


def _tokens(engine: Engine) -> dict[str, str]:
    return {
        DIRECTORY.display("thang"): engine.create_token(
            "thang", roles=("admin", "assigner", "reviewer"), name=DIRECTORY.display("thang")
        ),
        DIRECTORY.display("phuong"): engine.create_token(
            "phuong", unit=UNIT, name=DIRECTORY.display("phuong")
        ),
        DIRECTORY.display("luyen"): engine.create_token(
            "luyen", unit=UNIT, name=DIRECTORY.display("luyen")
        ),
    }
