"""The people directory: loaded from YAML with every mistake named, kept with the database
(every later engine on it reads it), people shown by name and position, unknown ids flagged."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.core.directory import SimpleDirectory
from dondoc.core.spec import bundled_workflow_files
from dondoc.errors import PayloadError
from dondoc.worker import Worker

YAML = """\
people:
  luyen:
    name: Hoàng Thị Luyến
    position: Phó Chánh Thanh tra
    unit: Thanh tra Sở
    email: luyen@example.gov.vn
  phuong: {name: Nguyễn Phương, position: Chánh Thanh tra, unit: Thanh tra Sở}
  thang: {name: Hoàng Mạnh Thắng, position: Phó Giám đốc Sở, roles: [reviewer]}
unit_heads:
  Thanh tra Sở: phuong
"""


def test_display_is_name_and_position_and_unknown_ids_are_flagged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "people.yaml").write_text(YAML, encoding="utf-8")
    d = SimpleDirectory.from_file(tmp_path / "people.yaml")
    assert d.display("luyen") == "Hoàng Thị Luyến – Phó Chánh Thanh tra"
    assert d.person("luyen").email == "luyen@example.gov.vn"
    assert (
        d.unit_head("Thanh tra Sở") is not None
        and d.unit_head("Thanh tra Sở").name == "Nguyễn Phương"
    )  # type: ignore[union-attr]
    with caplog.at_level(logging.WARNING, logger="dondoc.directory"):
        assert d.display("bob") == "bob"
        assert d.display("bob") == "bob"
    assert [r.getMessage() for r in caplog.records].count(
        "person 'bob' is not in the people directory; shown by login id"
    ) == 1
    assert d.unknown(["luyen", "bob", None, "unit:Văn phòng", "bob"]) == ["bob"]
    assert d.display(None) == "—" and d.display("unit:Văn phòng") == "Văn phòng"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("people: [luyen]", "people"),
        ("people:\n  luyen: {position: Phó Chánh Thanh tra}", "people.luyen.name"),
        ("people:\n  luyen: {name: A, chuc_vu: B}", "people.luyen.chuc_vu"),
        ("people:\n  luyen: {name: A, roles: reviewer}", "people.luyen.roles"),
        ("people:\n  luyen: {name: A}\nunit_heads: {Thanh tra Sở: bob}", "unit_heads.Thanh tra Sở"),
        ("nguoi: {}", "nguoi"),
        ("- a", "directory"),
        ("people:\n  luyen: {name: " + "x" * 400 + "}", "people.luyen.name"),
    ],
)
def test_every_mistake_names_its_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PayloadError) as info:
        SimpleDirectory.from_file(path)
    assert info.value.field == field


def test_the_directory_is_kept_with_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    first = Engine(url)
    first.set_directory(SimpleDirectory.from_mapping(__import__("yaml").safe_load(YAML)))
    later = Engine(url)  # another process, later: no file passed
    assert later.display("phuong") == "Nguyễn Phương – Chánh Thanh tra"
    first.set_directory(
        {"people": {"phuong": {"name": "Nguyễn Phương", "position": "Chánh Thanh tra Sở"}}}
    )
    later.reload_settings()  # a long-running process sees it within SETTINGS_TTL; now at once
    assert later.display("phuong") == "Nguyễn Phương – Chánh Thanh tra Sở"
    assert later.display("luyen") == "luyen"  # no longer in the directory: shown as the id
    explicit = Engine(url, directory=SimpleDirectory({"phuong": {"name": "P"}}))
    assert explicit.display("phuong") == "P"  # one given explicitly wins


def test_notifications_of_the_worker_name_people(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    clock = FakeClock(datetime(2024, 6, 20, 2, tzinfo=UTC))
    engine = Engine(url, clock=clock)
    engine.set_directory(SimpleDirectory.from_mapping(__import__("yaml").safe_load(YAML)))
    engine.create_directive(
        Actor.of("thang", "reviewer"),
        "remediation_self_assessment",
        NewDirective(title="Báo cáo tự đánh giá", assignee="luyen", due=date(2024, 6, 30)),
    )
    Worker(Engine(url, clock=clock), name="w").advance(clock, datetime(2024, 7, 10, 2, tzinfo=UTC))
    messages = engine.outbox()
    assert {m.template for m in messages} >= {"reminder", "chasing_letter", "escalation"}
    for m in messages:
        assert "Hoàng Thị Luyến" in m.body and "luyen" not in m.body.split()
    escalation = next(m for m in messages if m.template == "escalation")
    assert "Kính gửi: Hoàng Mạnh Thắng – Phó Giám đốc Sở" in escalation.body


def test_validate_flags_a_person_the_directory_lacks(tmp_path: Path) -> None:
    source = next(p for p in bundled_workflow_files() if p.stem == "monthly_briefing_task")
    text = source.read_text(encoding="utf-8").replace(
        "workflow: monthly_briefing_task", "workflow: mine"
    )
    text = text.replace(
        "notify: [{role: assignee, template: reminder}]",
        "notify: [{role: assignee, template: reminder}, {person: bob, template: reminder}]",
    )
    assert "person: bob" in text
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "people.yaml").write_text(YAML, encoding="utf-8")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "dondoc.cli",
            "validate",
            str(tmp_path / "mine.yaml"),
            "--directory",
            str(tmp_path / "people.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr  # the definition is valid; bob is a warning
    assert "'bob' (timers.notify.person) không có trong danh bạ" in r.stderr
