"""Deadline phrases → dates: a table of (phrase, issue date, expected), computed by hand.

Calendar facts used (from the Vietnamese government's holiday notices):
2024: Tết 08–14/02; Hùng Kings 18/04; 29/04 (swapped with Sat 04/05, a make-up working day);
30/04, 01/05; 02–03/09. 2025: Tết 27/01–01/02; Hùng Kings 07/04; 30/04, 01/05, 02/05 (swapped
with Sat 26/04, a make-up working day); 01–02/09.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dondoc.deadlines.calendar import DEFAULT_CALENDAR, WorkingCalendar
from dondoc.deadlines.phrases import Recurrence, due_instant, parse_deadline
from dondoc.errors import DeadlineError

D = date
ISSUED_000 = D(2024, 3, 18)  # seed 000's meeting

# (phrase, issued, due, start, recurrence)
CASES: list[tuple[str, date, date | None, date | None, str | None]] = [
    # --- seed 000, every deadline phrase in it
    (
        "Trước ngày 01/07/2024, từng đồng chí lãnh đạo phòng Thanh tra có báo cáo tự đánh giá việc khắc phục của mình gửi Ban Giám đốc",
        ISSUED_000,
        D(2024, 6, 30),
        None,
        None,
    ),
    (
        "Bàn giao con dấu, hồ sơ theo dõi văn bản đi đến của Thanh Tra cho Văn thư Sở quản lý trước ngày 01/04/2024",
        ISSUED_000,
        D(2024, 3, 31),
        None,
        None,
    ),
    (
        "(3) theo dõi việc thực hiện Kết luận Thanh tra đối với các doanh nghiệp viễn thông. Hoàn thành trong tháng 4/2024.",
        ISSUED_000,
        D(2024, 4, 30),
        None,
        None,
    ),
    (
        "Thời gian khắc phục các tồn tại, hạn chế: từ tháng 04/2024 đến hết tháng 06/2024.",
        ISSUED_000,
        D(2024, 6, 30),
        D(2024, 4, 1),
        None,
    ),
    (
        "Kể từ ngày 01/4/2024, tất cả văn bản đến và đi của Thanh tra Sở, thực hiện theo quy trình xử lý văn bản điện tử chung",
        ISSUED_000,
        None,
        D(2024, 4, 1),
        None,
    ),
    (
        "Giao đồng chí Chánh Thanh tra theo dõi, đôn đốc việc xử lý sai phạm của Tạp chí Môi trường Đô thị",
        ISSUED_000,
        None,
        None,
        None,
    ),
    (
        "Ban Giám đốc Sở yêu cầu lãnh đạo Phòng Thanh tra, khẩn trương thực hiện một số nội dung sau: giải quyết dứt điểm các vụ, việc. Hoàn thành trong tháng 4/2024.",
        ISSUED_000,
        D(2024, 4, 30),
        None,
        None,
    ),
    # --- seeds 001, 003, 004: standing duties; reference dates are not deadlines
    (
        "Tiếp công dân, tham mưu giải quyết KNTC: đơn quá hạn phải nắm ngay khi mới phát sinh",
        D(2022, 8, 11),
        None,
        None,
        None,
    ),
    (
        "Khẩn trương hoàn thành Kết luận thanh tra đã kết thúc trực tiếp.",
        D(2022, 8, 11),
        None,
        None,
        None,
    ),
    (
        "Tiếp tục quán triệt, chỉ đạo chặt chẽ và tổ chức thực hiện có hiệu quả Chỉ thị số 26/CT-TTg ngày 05/9/2016",
        D(2020, 9, 15),
        None,
        None,
        None,
    ),
    (
        "Thường xuyên đôn đốc, nhắc nhở, giám sát, kiểm tra việc thực thi nhiệm vụ công vụ của CBCCVC",
        D(2020, 9, 15),
        None,
        None,
        None,
    ),
    (
        "giải quyết kịp thời các phản ánh, kiến nghị, tố cáo của người dân",
        D(2020, 9, 15),
        None,
        None,
        None,
    ),
    # --- "trước ngày D": the day before D
    (
        "…báo cáo kết quả về Chủ tịch UBND tỉnh bằng văn bản trước ngày 20.7.2020",
        D(2020, 7, 1),
        D(2020, 7, 19),
        None,
        None,
    ),
    ("trước ngày 20-7-2020", D(2020, 7, 1), D(2020, 7, 19), None, None),
    ("trước ngày 1/7/2024", ISSUED_000, D(2024, 6, 30), None, None),
    ("trước ngày 05 tháng 02 năm 2025", D(2025, 1, 2), D(2025, 2, 4), None, None),
    ("trước 01/07", ISSUED_000, D(2024, 6, 30), None, None),
    ("trước ngày 15/01", D(2024, 12, 20), D(2025, 1, 14), None, None),  # year roll-over
    ("trước ngày 01/01/2025", D(2024, 12, 1), D(2024, 12, 31), None, None),
    (
        "trước ngày 01/03/2024",
        ISSUED_000 - timedelta(days=60),
        D(2024, 2, 29),
        None,
        None,
    ),  # leap day
    ("trước ngày 01/03/2025", D(2025, 1, 5), D(2025, 2, 28), None, None),
    ("trước ngày 1/5/2024", ISSUED_000, D(2024, 4, 30), None, None),
    ("trước ngày 20/7/20", D(2020, 7, 1), D(2020, 7, 19), None, None),  # two-digit year
    # --- D itself
    ("chậm nhất ngày 20/7/2020", D(2020, 7, 1), D(2020, 7, 20), None, None),
    ("chậm nhất là ngày 30/6/2024", ISSUED_000, D(2024, 6, 30), None, None),
    ("báo cáo Giám đốc Sở chậm nhất vào ngày 10/10/2024", ISSUED_000, D(2024, 10, 10), None, None),
    ("hạn chót 15/8/2024", ISSUED_000, D(2024, 8, 15), None, None),
    ("đến ngày 31/12/2024", ISSUED_000, D(2024, 12, 31), None, None),
    ("trong ngày 05/02/2025", D(2025, 1, 2), D(2025, 2, 5), None, None),
    ("chậm nhất ngày 05 tháng 02 năm 2025", D(2025, 1, 2), D(2025, 2, 5), None, None),
    ("Thời hạn hoàn thành: 30/9/2024", ISSUED_000, D(2024, 9, 30), None, None),
    # --- months (Civil Code art. 146)
    ("hết tháng 06/2024", ISSUED_000, D(2024, 6, 30), None, None),
    ("cuối tháng 5/2024", ISSUED_000, D(2024, 5, 31), None, None),
    ("trong tháng 02/2024", D(2024, 1, 10), D(2024, 2, 29), None, None),
    ("trong tháng 2/2025", D(2025, 1, 10), D(2025, 2, 28), None, None),
    ("đầu tháng 7/2024", ISSUED_000, D(2024, 7, 1), None, None),
    ("giữa tháng 7/2024", ISSUED_000, D(2024, 7, 15), None, None),
    ("trong tháng 4 năm 2024", ISSUED_000, D(2024, 4, 30), None, None),
    ("trong tháng 1", D(2024, 12, 5), D(2025, 1, 31), None, None),
    ("trong tháng 9", ISSUED_000, D(2024, 9, 30), None, None),
    ("trước tháng 6/2024", ISSUED_000, D(2024, 5, 31), None, None),
    ("cuối tháng 11/2024", ISSUED_000, D(2024, 11, 30), None, None),
    # --- ranges
    ("từ ngày 01/4/2024 đến ngày 30/4/2024", ISSUED_000, D(2024, 4, 30), D(2024, 4, 1), None),
    ("từ tháng 11 đến hết tháng 2/2025", D(2024, 10, 1), D(2025, 2, 28), D(2024, 11, 1), None),
    # --- quarters
    ("quý II/2024", ISSUED_000, D(2024, 6, 30), None, None),
    ("trong quý III năm 2024", ISSUED_000, D(2024, 9, 30), None, None),
    ("hết Quý I năm 2025", ISSUED_000, D(2025, 3, 31), None, None),
    ("quý 4/2024", ISSUED_000, D(2024, 12, 31), None, None),
    ("trong quý IV", ISSUED_000, D(2024, 12, 31), None, None),
    ("trong quý I", D(2024, 5, 10), D(2025, 3, 31), None, None),
    ("đầu quý III/2024", ISSUED_000, D(2024, 7, 1), None, None),
    # --- halves and years
    ("6 tháng đầu năm 2025", ISSUED_000, D(2025, 6, 30), None, None),
    ("6 tháng cuối năm 2025", ISSUED_000, D(2025, 12, 31), None, None),
    ("cuối năm 2024", ISSUED_000, D(2024, 12, 31), None, None),
    ("giữa năm 2025", ISSUED_000, D(2025, 6, 30), None, None),
    ("trong năm 2024", ISSUED_000, D(2024, 12, 31), None, None),
    ("hết năm", ISSUED_000, D(2024, 12, 31), None, None),
    ("đầu năm 2025", ISSUED_000, D(2025, 1, 1), None, None),
    # --- periods from an event (art. 147-148)
    (
        "trong thời hạn 15 ngày kể từ ngày ký",
        D(2024, 4, 15),
        D(2024, 5, 2),
        None,
        None,
    ),  # 30/4, 1/5 off
    ("trong thời hạn 15 ngày kể từ ngày ký", D(2024, 6, 3), D(2024, 6, 18), None, None),
    ("trong 7 ngày kể từ ngày 26/08/2025", ISSUED_000, D(2025, 9, 3), None, None),  # 2/9 off
    ("trong 05 ngày làm việc", D(2024, 2, 5), D(2024, 2, 19), None, None),  # Tết 2024
    (
        "trong 05 ngày làm việc kể từ ngày nhận được văn bản này",
        D(2024, 4, 26),
        D(2024, 5, 7),
        None,
        None,
    ),  # 04/05 make-up
    (
        "trong 10 ngày làm việc kể từ ngày 20/01/2025",
        D(2025, 1, 2),
        D(2025, 2, 10),
        None,
        None,
    ),  # Tết 2025
    ("trong 02 ngày làm việc", D(2025, 4, 25), D(2025, 4, 28), None, None),  # 26/04/2025 make-up
    ("trong 7 ngày kể từ ngày ký", D(2024, 2, 5), D(2024, 2, 15), None, None),  # ends in Tết
    ("trong vòng 2 tuần", ISSUED_000, D(2024, 4, 1), None, None),
    ("trong thời hạn 03 tháng kể từ ngày ký", D(2024, 11, 30), D(2025, 2, 28), None, None),
    ("trong 30 ngày kể từ ngày 01/01/2024", ISSUED_000, D(2024, 1, 31), None, None),
    ("trong thời hạn 10 ngày", D(2024, 9, 23), D(2024, 10, 3), None, None),
    (
        "trong thời hạn 15 (mười lăm) ngày kể từ ngày ban hành",
        D(2024, 6, 3),
        D(2024, 6, 18),
        None,
        None,
    ),
    # --- recurring
    ("trước ngày 20 hàng tháng", ISSUED_000, D(2024, 3, 19), None, "monthly:19"),
    ("báo cáo trước ngày 20 hằng tháng", D(2024, 3, 25), D(2024, 4, 19), None, "monthly:19"),
    ("ngày 25 hằng tháng", ISSUED_000, D(2024, 3, 25), None, "monthly:25"),
    ("ngày 31 hàng tháng", D(2024, 2, 1), D(2024, 2, 29), None, "monthly:31"),
    ("hằng tháng", ISSUED_000, D(2024, 3, 31), None, "monthly:end"),
    ("giao ban hàng tháng", D(2024, 12, 31), D(2024, 12, 31), None, "monthly:end"),
    ("hàng quý", D(2024, 5, 1), D(2024, 6, 30), None, "quarterly:end"),
    ("hằng năm", ISSUED_000, D(2024, 12, 31), None, "yearly:12-31"),
    ("trước ngày 15/12 hằng năm", D(2024, 12, 20), D(2025, 12, 14), None, "yearly:12-14"),
    ("báo cáo định kỳ 6 tháng", ISSUED_000, D(2024, 6, 30), None, "semiannual:end"),
    ("hằng tuần", ISSUED_000, D(2024, 3, 22), None, "weekly:fri"),
]


@pytest.mark.parametrize(
    ("phrase", "issued", "due", "start", "recurrence"), CASES, ids=[c[0][:50] for c in CASES]
)
def test_phrase(
    phrase: str, issued: date, due: date | None, start: date | None, recurrence: str | None
) -> None:
    d = parse_deadline(phrase, issued)
    assert (d.due, d.start, str(d.recurrence) if d.recurrence else None) == (due, start, recurrence)
    assert d.text == phrase


def test_at_least_sixty_phrases() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    ("phrase", "reason"),
    [
        ("trước ngày 31/02/2024", "không có ngày 31/02/2024"),
        ("hạn chót 31/4/2024", "không có ngày 31/04/2024"),
        ("trong tháng 13/2024", "từ 1 đến 12"),
        ("từ ngày 30/4/2024 đến ngày 01/4/2024", "kết thúc trước khi bắt đầu"),
        ("vào dịp thích hợp", "cần một thời hạn"),
        ("", "trống"),
        ("Chỉ thị số 24-CT/TU ngày 07/8/2023 của Ban Thường vụ Thành ủy", "cần một thời hạn"),
        ("Kết luận cuộc họp giao ban tháng 8/2022", "cần một thời hạn"),
        ("trước ngày 01 hàng tháng", "không có ngày nào trước nó"),
        # a year is four digits and plausible: never read "10000" as 1000 (security issue 14)
        ("cuối năm 10000", "năm 10000 nằm ngoài khoảng"),
        ("trước ngày 01/01/0001", "năm 0001 nằm ngoài khoảng"),
        ("hạn chót 31/12/9999", "năm 9999 nằm ngoài khoảng"),
        ("trong tháng 5/20245", "năm 20245 nằm ngoài khoảng"),
        # can-chi and year disagree: Ất Tỵ is 2025
        ("trước Tết Nguyên đán Ất Tỵ 2026", "ất tỵ là năm 2025"),
        # a purpose is not a deadline ("nhằm … trước Tết")
        ("nhằm giúp người dân ổn định chỗ ở trước Tết Nguyên đán Bính Ngọ 2026", "cần một thời hạn"),
    ],
)
def test_unreadable_phrases_raise_never_guess(phrase: str, reason: str) -> None:
    with pytest.raises(DeadlineError) as info:
        parse_deadline(phrase, ISSUED_000)
    assert reason in str(info.value)
    assert info.value.text == phrase


def test_warnings() -> None:
    assert (
        "hạn 30/06/2024 rơi vào Chủ nhật"
        in parse_deadline("trước ngày 01/07/2024", ISSUED_000).warnings
    )
    w = parse_deadline("trước ngày 1/5/2024", ISSUED_000).warnings
    assert any("ngày nghỉ lễ" in x for x in w)
    w = parse_deadline("trong thời hạn 15 ngày kể từ ngày ký", D(2024, 4, 15)).warnings
    assert any("Điều 148" in x for x in w)
    w = parse_deadline("trong 5 ngày làm việc kể từ ngày nhận được", ISSUED_000).warnings
    assert any("ngày nhận" in x for x in w)
    w = parse_deadline(
        "trước ngày 01/07/2024; báo cáo bổ sung trước ngày 15/08/2024", ISSUED_000
    ).warnings
    assert any("nhiều thời hạn" in x and "14/08/2024" in x for x in w)
    assert parse_deadline("chậm nhất ngày 10/10/2024", ISSUED_000).warnings == ()


def test_due_ends_at_midnight_vietnam_time() -> None:
    # Due 30/06/2024 ends 01/07/2024 00:00 +07:00 = 30/06/2024 17:00 UTC.
    assert due_instant(D(2024, 6, 30)).isoformat() == "2024-06-30T17:00:00+00:00"


def test_recurrence_round_trip() -> None:
    for text in (
        "monthly:19",
        "monthly:end",
        "quarterly:end",
        "yearly:12-14",
        "weekly:fri",
        "semiannual:end",
    ):
        assert str(Recurrence.parse(text)) == text
    assert Recurrence.parse("monthly:19").next_due(D(2024, 3, 20)) == D(2024, 4, 19)
    assert Recurrence.parse("quarterly:end").next_due(D(2024, 12, 31)) == D(2024, 12, 31)


# --- calendar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2024, 2, 9), False),  # Tết
        (D(2024, 2, 15), True),
        (D(2024, 4, 29), False),  # swapped day off
        (D(2024, 5, 4), True),  # make-up Saturday
        (D(2024, 5, 11), False),  # ordinary Saturday
        (D(2024, 9, 3), False),
        (D(2025, 1, 27), False),
        (D(2025, 4, 26), True),  # make-up Saturday 2025
        (D(2025, 5, 2), False),
        (D(2025, 9, 1), False),
    ],
)
def test_vietnamese_working_days(day: date, working: bool) -> None:
    assert DEFAULT_CALENDAR.is_working_day(day) is working


def test_overrides_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "cal.yaml"
    f.write_text(
        "days_off:\n  - {date: 2024-06-28, name: Nghỉ đột xuất}\nworking_days:\n  - 2024-06-29\n",
        encoding="utf-8",
    )
    cal = WorkingCalendar.from_file(f)
    assert (
        not cal.is_working_day(D(2024, 6, 28))
        and cal.holiday_name(D(2024, 6, 28)) == "Nghỉ đột xuất"
    )
    assert cal.is_working_day(D(2024, 6, 29))
    assert parse_deadline("trong 2 ngày làm việc", D(2024, 6, 27), calendar=cal).due == D(
        2024, 7, 1
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("holidays: []\n", encoding="utf-8")
    with pytest.raises(DeadlineError, match="days_off"):
        WorkingCalendar.from_file(bad)
    with pytest.raises(DeadlineError, match="vừa là ngày nghỉ vừa là ngày làm việc"):
        WorkingCalendar([(D(2024, 1, 2), "")], [(D(2024, 1, 2), "")])


@given(
    issued=st.dates(D(2020, 1, 1), D(2030, 12, 31)),
    n=st.integers(1, 60),
)
def test_working_day_period_is_a_working_day_never_before_calendar_period(
    issued: date, n: int
) -> None:
    working = parse_deadline(f"trong {n} ngày làm việc kể từ ngày ký", issued).due
    calendar_days = parse_deadline(f"trong thời hạn {n} ngày kể từ ngày ký", issued).due
    assert working is not None and calendar_days is not None
    assert DEFAULT_CALENDAR.is_working_day(working)
    assert DEFAULT_CALENDAR.is_working_day(calendar_days)
    assert working >= calendar_days > issued
    assert DEFAULT_CALENDAR.working_days_between(issued, working) == n


@given(st.text(max_size=80), st.dates(D(2000, 1, 1), D(2099, 12, 31)))
def test_arbitrary_text_gives_a_deadline_or_a_deadline_error(text: str, issued: date) -> None:
    try:
        d = parse_deadline(text, issued)
    except DeadlineError:
        return
    assert d.due is None or isinstance(d.due, date)


# --- CLI contract ---------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dondoc.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_prints_one_json_object() -> None:
    r = _cli("deadline", "trước ngày 01/07/2024", "--issued", "2024-03-18")
    assert r.returncode == 0
    assert json.loads(r.stdout) == {
        "text": "trước ngày 01/07/2024",
        "kind": "date",
        "due": "2024-06-30",
        "due_time": None,
        "start": None,
        "recurrence": None,
        "event": None,
        "warnings": ["hạn 30/06/2024 rơi vào Chủ nhật"],
    }
    r = _cli("deadline", "trước 17 giờ ngày 12/11/2025", "--issued", "2025-11-05")
    assert (json.loads(r.stdout)["due"], json.loads(r.stdout)["due_time"]) == (
        "2025-11-12",
        "17:00",
    )
    # an event-relative deadline is an answer, not an error: no due, the event named
    r = _cli("deadline", "sau khi có quyết định phê duyệt", "--issued", "2024-03-18")
    assert r.returncode == 0
    out = json.loads(r.stdout)
    assert (out["kind"], out["due"], out["event"]) == ("event", None, "có quyết định phê duyệt")
    r = _cli("deadline", "trước ngày 20 hàng tháng", "--issued", "2024-03-18")
    assert json.loads(r.stdout)["recurrence"] == "monthly:19"
    r = _cli("deadline", "thường xuyên", "--issued", "2024-03-18")
    assert json.loads(r.stdout)["due"] is None


def test_cli_error_goes_to_stderr_with_exit_1() -> None:
    r = _cli("deadline", "vào dịp thích hợp", "--issued", "2024-03-18")
    assert r.returncode == 1 and r.stdout == ""
    assert "không đọc được thời hạn" in r.stderr and "Traceback" not in r.stderr
    r = _cli("deadline", "cuối năm 10000", "--issued", "2024-03-18")
    assert r.returncode == 1 and r.stdout == ""
    assert "10000" in r.stderr and "nằm ngoài khoảng" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


# --- the forms of issue 15: times of day, named days, qualifiers, recurrence with a fixed day,
# calendar periods, events. Every expected value is written from the rule named on its line
# (docs/deadlines.md), with the calendar facts from the government's notices: Tết Nguyên đán
# (mùng 1) Giáp Thìn 10/02/2024, Ất Tỵ 29/01/2025, Bính Ngọ 17/02/2026.

T = str | None
# (phrase, issued, due, due_time, recurrence, kind)
FORMS: list[tuple[str, date, date | None, T, T, str]] = [
    # times of day: "trước H giờ ngày D" — D itself, late from H (issue 15)
    ("trước 17 giờ ngày 12/11/2025", D(2025, 11, 5), D(2025, 11, 12), "17:00", None, "date"),
    ("trước 15h30 ngày 3/3/2025", D(2025, 2, 20), D(2025, 3, 3), "15:30", None, "date"),
    ("chậm nhất 9 giờ 00 ngày 21/8/2024", D(2024, 8, 15), D(2024, 8, 21), "09:00", None, "date"),
    ("nộp trước 16:30 ngày 05/02/2025", D(2025, 1, 20), D(2025, 2, 5), "16:30", None, "date"),
    ("trước ngày 12/11/2025 lúc 17 giờ", D(2025, 11, 5), D(2025, 11, 12), "17:00", None, "date"),
    ("hạn chót 10 giờ 30 phút ngày 15/8/2024", D(2024, 8, 1), D(2024, 8, 15), "10:30", None, "date"),
    # named days: "trước X" the day before X (as "trước ngày D"); "dịp X" the day X
    ("xong trước Tết Nguyên đán 2026", D(2025, 12, 1), D(2026, 2, 16), None, None, "date"),
    ("trước Tết Nguyên đán Ất Tỵ", D(2024, 12, 10), D(2025, 1, 28), None, None, "date"),
    ("hoàn thành trước Tết Bính Ngọ năm 2026", D(2025, 11, 1), D(2026, 2, 16), None, None, "date"),
    ("trước Tết Nguyên đán Giáp Thìn", D(2023, 12, 1), D(2024, 2, 9), None, None, "date"),
    ("trả đủ lương thưởng trước Tết", D(2026, 2, 1), D(2026, 2, 16), None, None, "date"),
    ("trước Tết", D(2025, 3, 1), D(2026, 2, 16), None, None, "date"),  # this year's is over
    ("trước Tết Dương lịch 2026", D(2025, 11, 1), D(2025, 12, 31), None, None, "date"),
    ("trước ngày 30/4", D(2025, 3, 10), D(2025, 4, 29), None, None, "date"),
    ("hoàn thành dịp Quốc khánh", D(2025, 7, 1), D(2025, 9, 2), None, None, "date"),
    ("vào dịp Quốc khánh 2/9", D(2025, 9, 10), D(2026, 9, 2), None, None, "date"),
    ("trước Giỗ Tổ Hùng Vương năm 2025", D(2025, 1, 2), D(2025, 4, 6), None, None, "date"),
    # qualifiers: năm sau / tháng sau / quý tới — the period after the issue date's
    ("trước ngày 05/02 năm sau", D(2024, 11, 20), D(2025, 2, 4), None, None, "date"),
    ("chậm nhất ngày 15 tháng 01 năm sau", D(2024, 11, 20), D(2025, 1, 15), None, None, "date"),
    ("trong tháng sau", D(2024, 3, 18), D(2024, 4, 30), None, None, "date"),
    ("trong tháng tới", D(2024, 12, 5), D(2025, 1, 31), None, None, "date"),
    ("đầu tháng sau", D(2024, 3, 18), D(2024, 4, 1), None, None, "date"),
    ("hoàn thành trong quý tới", D(2024, 3, 18), D(2024, 6, 30), None, None, "date"),
    ("trong quý tới", D(2024, 11, 5), D(2025, 3, 31), None, None, "date"),
    ("cuối năm sau", D(2024, 3, 18), D(2025, 12, 31), None, None, "date"),
    ("trong năm tới", D(2024, 3, 18), D(2025, 12, 31), None, None, "date"),
    # calendar periods without a number: this week (its Sunday), this month/quarter (art. 146)
    ("hoàn thành trong tuần", D(2024, 3, 18), D(2024, 3, 24), None, None, "date"),
    ("trong tuần tới", D(2024, 3, 18), D(2024, 3, 31), None, None, "date"),
    ("trong tháng", D(2024, 3, 18), D(2024, 3, 31), None, None, "date"),
    ("trong quý này", D(2024, 5, 10), D(2024, 6, 30), None, None, "date"),
    # recurrence with a fixed day; due is the first occurrence on/after the issue date
    ("trước ngày 20 tháng 11 hằng năm", D(2024, 3, 18), D(2024, 11, 19), None, "yearly:11-19", "recurring"),
    ("ngày 20 tháng 11 hằng năm", D(2024, 12, 1), D(2025, 11, 20), None, "yearly:11-20", "recurring"),
    # "định kỳ 6 tháng trước ngày 10 tháng 12": 10/12 and six months before it, 10/06; the day before each
    ("báo cáo định kỳ 6 tháng trước ngày 10 tháng 12", D(2024, 3, 18), D(2024, 6, 9), None, "semiannual:06-09", "recurring"),
    ("báo cáo định kỳ 6 tháng trước ngày 10 tháng 12", D(2024, 7, 1), D(2024, 12, 9), None, "semiannual:06-09", "recurring"),
    ("trước ngày 20 của tháng cuối quý", D(2024, 3, 18), D(2024, 3, 19), None, "quarterly:19", "recurring"),
    ("ngày 20 của tháng cuối quý", D(2024, 3, 25), D(2024, 6, 20), None, "quarterly:20", "recurring"),
    ("trước ngày 25 tháng cuối quý", D(2009, 5, 26), D(2009, 6, 24), None, "quarterly:24", "recurring"),
    ("trước 17h00, thứ 6 hằng tuần", D(2017, 2, 26), D(2017, 3, 3), "17:00", "weekly:fri", "recurring"),
    ("họp vào thứ hai hằng tuần", D(2024, 3, 20), D(2024, 3, 25), None, "weekly:mon", "recurring"),
    ("trước thứ 6 hằng tuần", D(2024, 3, 18), D(2024, 3, 21), None, "weekly:thu", "recurring"),
    ("báo cáo trước 15h30 hàng ngày", D(2021, 2, 23), D(2021, 2, 23), "15:30", "daily", "recurring"),
    ("tổng hợp, báo cáo vào 16h00 hàng ngày", D(2021, 2, 23), D(2021, 2, 23), "16:00", "daily", "recurring"),
    ("báo cáo hằng ngày", D(2024, 3, 18), D(2024, 3, 18), None, "daily", "recurring"),
    ("từ ngày 1 đến ngày 5 hằng tháng", D(2024, 3, 18), D(2024, 4, 5), None, "monthly:5", "recurring"),
    ("báo cáo theo định kỳ", D(2024, 3, 18), None, None, None, "standing"),
    # events: no date until they happen; the event is named
    ("trước khi khai giảng năm học", D(2024, 3, 18), None, None, None, "event"),
    ("sau khi có quyết định phê duyệt", D(2024, 3, 18), None, None, None, "event"),
    ("ngay sau khi kết thúc Đại hội", D(2020, 6, 1), None, None, None, "event"),
    ("báo cáo ngay khi có phát hiện sai phạm", D(2019, 12, 1), None, None, None, "event"),
    ("trong vòng 5 ngày sau khi có kết quả", D(2024, 3, 18), None, None, None, "event"),
    # … unless the text gives the event's date: then that date (the day before, for "trước")
    ("trước thời điểm khai mạc Đại hội Đảng 14 (dự kiến bắt đầu từ 19/1 tới)", D(2026, 1, 4), D(2026, 1, 18), None, None, "date"),
]  # fmt: skip

EVENTS = {
    "trước khi khai giảng năm học": "khai giảng năm học",
    "sau khi có quyết định phê duyệt": "có quyết định phê duyệt",
    "ngay sau khi kết thúc Đại hội": "kết thúc đại hội",
    "báo cáo ngay khi có phát hiện sai phạm": "có phát hiện sai phạm",
    "trong vòng 5 ngày sau khi có kết quả": "có kết quả",
}


@pytest.mark.parametrize(
    ("phrase", "issued", "due", "due_time", "recurrence", "kind"),
    FORMS,
    ids=[f"{c[0][:45]}@{c[1]}" for c in FORMS],
)
def test_issue_15_forms(
    phrase: str, issued: date, due: date | None, due_time: T, recurrence: T, kind: str
) -> None:
    d = parse_deadline(phrase, issued)
    got_time = d.due_time.strftime("%H:%M") if d.due_time else None
    got_rec = str(d.recurrence) if d.recurrence else None
    assert (d.due, got_time, got_rec, d.kind) == (due, due_time, recurrence, kind)
    if phrase in EVENTS:
        assert d.event == EVENTS[phrase]


def test_a_purpose_clause_is_not_the_deadline() -> None:
    # corpus 006: the purposes ("nhằm … trước ngày khai mạc …, … trước Tết …") come first
    text = (
        "Theo đó, nhằm tạo điều kiện cho người dân sớm an cư, lạc nghiệp trước ngày khai mạc Đại "
        "hội Đảng toàn quốc lần thứ XIV, ổn định đời sống trước Tết Nguyên đán Bính Ngọ năm 2026, "
        "Bộ Tổng tham mưu yêu cầu các đơn vị hoàn thành xây dựng lại trước ngày 12/1/2026."
    )
    d = parse_deadline(text, D(2026, 1, 3))
    assert d.due == D(2026, 1, 11) and d.event is None
    assert not any("nhiều thời hạn" in w for w in d.warnings)


def test_recurrence_text_forms_round_trip() -> None:
    for text in ("daily", "weekly:mon", "quarterly:20", "semiannual:06-09", "weekly:thu"):
        assert str(Recurrence.parse(text)) == text
    assert Recurrence.parse("semiannual:06-09").next_due(D(2024, 6, 10)) == D(2024, 12, 9)
    with pytest.raises(ValueError):
        Recurrence.parse("weekly:funday")


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20)), max_size=40),
)
def test_dropping_nested_matches_agrees_with_the_pairwise_definition(
    spans: list[tuple[int, int]],
) -> None:
    from dondoc.deadlines.grammar import Result
    from dondoc.deadlines.phrases import _outermost

    found = [(s, s + n, Result(None)) for s, n in spans]
    pairwise = {
        (f[0], f[1])
        for f in found
        if not any(o[0] <= f[0] and f[1] <= o[1] and (o[1] - o[0]) > (f[1] - f[0]) for o in found)
    }
    assert {(f[0], f[1]) for f in _outermost(list(found))} == pairwise


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(date(2019, 1, 1), date(2031, 12, 31)),
    end=st.dates(date(2019, 1, 1), date(2031, 12, 31)),
    at_most=st.none() | st.integers(0, 30),
    off=st.lists(st.dates(date(2024, 1, 1), date(2025, 12, 31)), max_size=3, unique=True),
)
def test_working_days_between_counts_what_walking_counts(
    start: date, end: date, at_most: int | None, off: list[date]
) -> None:
    """The per-year running totals give the day-by-day count (Tết, make-up Saturdays, an
    admin's extra days off; across years; backwards; capped by at_most)."""
    cal = WorkingCalendar(days_off=[(d, "Nghỉ bổ sung") for d in off])
    if end < start:  # backwards: the whole count, negative (at_most bounds forward counts)
        assert cal.working_days_between(start, end, at_most=at_most) == -cal._walk(end, start, None)
    else:
        assert cal.working_days_between(start, end, at_most=at_most) == cal._walk(
            start, end, at_most
        )


def test_working_days_between_by_hand() -> None:
    """Around Tết Giáp Thìn (holidays 08–14/02/2024, the package's VN list): from Wednesday
    07/02/2024 to Thursday 15/02/2024 there is one working day, the 15th."""
    assert DEFAULT_CALENDAR.working_days_between(date(2024, 2, 7), date(2024, 2, 15)) == 1
    # 29/12/2023 (Friday) → 02/01/2024 (Tuesday): Monday 1/1 is New Year, so only the 2nd
    assert DEFAULT_CALENDAR.working_days_between(date(2023, 12, 29), date(2024, 1, 2)) == 1
    assert DEFAULT_CALENDAR.working_days_between(date(2024, 1, 2), date(2023, 12, 29)) == -1
    # a span beyond the running totals is walked (and capped)
    far = DEFAULT_CALENDAR.working_days_between(date(2024, 1, 1), date(9999, 12, 31), at_most=5)
    assert far == 6
