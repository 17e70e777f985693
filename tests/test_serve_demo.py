"""``dondoc serve --demo-data`` shows the demo's story as it stood on the day it stops, on a
frozen clock (issue 17, item 2): not a 2024 story on today's clock with every directive years
late, reminders "before the deadline" after it and escalations in a burst."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dondoc import Engine
from dondoc.cli.demo import SERVE_UNTIL, serve_demo_data
from dondoc.cli.main import app
from dondoc.clock import VN_TZ
from dondoc.worker import Worker

BEFORE_DUE = {"remind_before_due"}  # the bundled timers that must come before the deadline


def test_the_demo_data_stands_on_a_frozen_clock_at_the_end_of_its_story(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    tokens = serve_demo_data(url)
    assert len(tokens) == 3
    engine = Engine(url)  # opened as the server does, without a clock
    assert engine.clock.now() == SERVE_UNTIL == datetime(2024, 7, 5, 18, tzinfo=VN_TZ)
    directives = engine.directives()
    assert len(directives) == 7
    late = [d for d in directives if d.is_open and d.days_late]
    # One leader is late (due 30/06/2024): a few days, not hundreds.
    assert [(d.title.rsplit("- ", 1)[-1], d.days_late) for d in late] == [("Hoàng Thị Luyến", 5)]
    for d in directives:
        history = engine.history(d.id)
        timer_events = [e for e in history if e.kind == "timer"]
        for e in timer_events:
            assert e.at <= SERVE_UNTIL
            if e.payload.get("timer") in BEFORE_DUE:
                assert d.due is not None and e.at.astimezone(VN_TZ).date() <= d.due
        stamps = [e.at for e in timer_events if e.to_state == e.from_state]
        assert len(stamps) == len(set(stamps)), f"#{d.id}: notifications in the same second"
    # The clock does not move: the server's worker has nothing to fire.
    report = Worker(engine).run_pending()
    assert report.fired == [] and report.created == []
    # A second start on the same database changes nothing.
    assert serve_demo_data(url) == {}
    engine.db.dispose()


def test_serve_demo_data_prints_the_frozen_day_and_the_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from dondoc import worker as worker_module

    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    monkeypatch.setattr(worker_module.Worker, "start_background", lambda self: None)
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    result = CliRunner().invoke(app, ["serve", "--demo-data", "--db", url])
    assert result.exit_code == 0, result.output
    assert "05/07/2024 18:00" in result.output
    assert "Hoàng Mạnh Thắng – Phó Giám đốc Sở: " in result.output
    engine = served["app"].state.engine
    assert engine.clock.now() == SERVE_UNTIL
    assert abs(engine.clock.now() - datetime(2024, 7, 5, 11, tzinfo=UTC)) < timedelta(seconds=1)
