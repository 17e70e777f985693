"""Benchmark: the read side (lists, statistics, the dashboard) at a province's size.

Not a test: prints tables. ``python bench/queries.py [--sizes 10000 100000] [--full] [--pg URL]``
(``--full`` adds 1,000,000; ``--pg`` defaults to ``DONDOC_TEST_PG_URL``, ``--pg ''`` measures
SQLite only; the PostgreSQL database is emptied — give it a throw-away one).

For each size it builds N directives through ``Engine.create_directives`` (audit events and
timers included) with a mix like a province's: three workflows, 24 units of very different
sizes, 400 people, due dates over the last two years and the next six months (one in ten
without a deadline), one in five with cooperating units. Their progress is then set with one
bulk UPDATE per batch — most past-due work completed (some late), some cancelled, some open
and overdue, work in progress ahead — because the reads depend on those columns only and
firing a million transitions would measure the command path instead (bench/throughput.py).

Then it starts ``dondoc serve --no-worker`` on that database and times, over HTTP (median of
``--repeat`` after a warm-up): the API's first page (an admin, a unit's member), the next page
by its ``Link`` header, a page filtered by unit and status, the statistics grid, the dashboard's
list page, a dashboard page filtered by status, and one directive's page; then the server's
resident memory (VmRSS) and its peak (VmHWM). A unit's member then opens the list and "Việc
của tôi": what they see is a rule over people, units and cooperating units, not an index. Last, the growth from the smallest to the
largest size. Targets (issue 18): pages ≤ 50 ms at 100k with growth ≤ 1.3×, statistics
≤ 300 ms, server RSS ≤ 150 MiB.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import drop_everything

from dondoc import Actor, Engine, NewDirective
from dondoc.clock import SystemClock, local_date
from dondoc.store.schema import refresh_statistics
from dondoc.store.tables import DirectiveRow

BOARD = Actor.of("giam_doc", "admin", "assigner", "reviewer")
WORKFLOWS = {
    "monthly_briefing_task": 0.4,
    "remediation_self_assessment": 0.3,
    "inspection_review_meeting": 0.3,
}
UNITS = [f"Phòng {name}" for name in ("Tổ chức", "Kế hoạch", "Thanh tra", "Pháp chế")] + [
    f"Đơn vị {i:02d}" for i in range(1, 21)
]
UNIT_WEIGHTS = [1 / (i + 1) for i in range(len(UNITS))]  # a few big units, many small
PEOPLE = [f"cb{i:03d}" for i in range(400)]
BATCH = 5000
SERVE = [sys.executable, "-m", "dondoc.cli", "serve"]


def _states(engine: Engine, workflow: str) -> dict[str, list[str]]:
    spec = engine.workflows.get(workflow).spec
    return {
        "open": [s.id for s in spec.states if not s.final and not s.done],
        "done": [s.id for s in spec.states if s.done and not s.final],
        "completed": [s.id for s in spec.states if s.final and s.outcome == "completed"],
        "cancelled": [s.id for s in spec.states if s.final and s.outcome == "cancelled"],
    }


def build(url: str, n: int, seed: int = 18) -> None:
    """N directives with a realistic mix (see the module docstring)."""
    rnd = random.Random(seed)
    engine = Engine(url)
    today = local_date(engine.clock.now())
    states = {w: _states(engine, w) for w in WORKFLOWS}
    made = 0
    while made < n:
        size = min(BATCH, n - made)
        per_wf: dict[str, list[NewDirective]] = {w: [] for w in WORKFLOWS}
        for i in range(made, made + size):
            wf = rnd.choices(list(WORKFLOWS), weights=list(WORKFLOWS.values()))[0]
            unit = rnd.choices(UNITS, weights=UNIT_WEIGHTS)[0]
            coop = rnd.sample(UNITS, rnd.choice((1, 2))) if rnd.random() < 0.2 else []
            due = None if rnd.random() < 0.1 else today + timedelta(rnd.randint(-730, 180))
            per_wf[wf].append(
                NewDirective(
                    title=f"Nhiệm vụ {i}: báo cáo kết quả khắc phục tồn tại số {i % 97}",
                    content="Theo Kết luận thanh tra; báo cáo bằng văn bản về Sở.",
                    lead_unit=unit,
                    cooperating_units=tuple(c for c in coop if c != unit),
                    assignee=rnd.choice(PEOPLE),
                    reviewer=rnd.choice(PEOPLE[:20]),
                    due=due,
                    due_text=None if due is None else f"Trước ngày {due:%d/%m/%Y}",
                    doc_number=f"{i // 40 + 1}/KL-TTr",
                    doc_date=today - timedelta(rnd.randint(0, 900)),
                )
            )
        progress: list[dict[str, Any]] = []
        for wf, news in per_wf.items():
            for d in engine.create_directives(BOARD, wf, news):
                progress.append(_progress(rnd, d.id, d.due, today, states[wf]))
        with engine.db.begin() as conn:
            t = DirectiveRow.__table__
            conn.execute(
                sa.update(t)  # type: ignore[arg-type]
                .where(t.c.id == sa.bindparam("b_id"))
                .values(
                    state=sa.bindparam("b_state"),
                    is_open=sa.bindparam("b_open"),
                    done_at=sa.bindparam("b_done", type_=t.c.done_at.type),
                    closed_at=sa.bindparam("b_closed", type_=t.c.closed_at.type),
                    progress=sa.bindparam("b_progress"),
                ),
                progress,
            )
        made += size
    # the planner statistics a running deployment has (autovacuum on PostgreSQL, the next
    # start on SQLite) rather than those of a table filled a second ago; on PostgreSQL also
    # what autovacuum does after the progress UPDATEs above: without it every index holds the
    # dead row versions they left (twice the entries to read)
    refresh_statistics(engine.db, force=True)
    if engine.db.dialect.name == "postgresql":
        with engine.db.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE directives"
            )
    engine.db.dispose()


def _progress(
    rnd: random.Random, did: int, due: date | None, today: date, states: dict[str, list[str]]
) -> dict[str, Any]:
    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, rnd.randint(1, 10), tzinfo=UTC)

    past = due is not None and due < today
    r = rnd.random()
    state, is_open, done, closed, prog = rnd.choice(states["open"]), True, None, None, 30
    if r < (0.75 if past else 0.2):  # completed, on time or late
        anchor = due or today - timedelta(30)
        finished = min(today, anchor + timedelta(rnd.randint(-40, 25)))
        state, is_open, prog = rnd.choice(states["completed"]), False, 100
        done = closed = at(finished)
    elif r < (0.8 if past else 0.25) and states["cancelled"]:
        state, is_open, closed, prog = rnd.choice(states["cancelled"]), False, at(today), 0
    elif r < (0.83 if past else 0.3) and states["done"]:  # reported, awaiting review
        state, prog = rnd.choice(states["done"]), 100
        done = at(min(today, due or today))
    return {
        "b_id": did,
        "b_state": state,
        "b_open": is_open,
        "b_done": done,
        "b_closed": closed,
        "b_progress": prog,
    }


# --- the server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``dondoc serve --no-worker`` on ``url``, as a child process."""

    def __init__(self, url: str) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [*SERVE, "--db", url, "--no-worker", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                httpx.get(self.base + "/login", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def memory(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) in MiB."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def cpu(self) -> float:
        """CPU seconds the server has used (user + system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


Timing = tuple[float, float]  # (median wall ms, server CPU ms per request)


def timed(
    server: Server, client: httpx.Client, path: str, repeat: int, **kw: Any
) -> tuple[Timing, httpx.Response]:
    """Median wall milliseconds of ``repeat`` GETs after one warm-up, and the server's CPU
    milliseconds per request (steadier than wall time on a shared machine); the last response."""
    r = client.get(path, **kw)
    r.raise_for_status()
    took = []
    cpu = server.cpu()
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(path, **kw)
        took.append((time.perf_counter() - start) * 1000)
        r.raise_for_status()
    return (statistics.median(took), (server.cpu() - cpu) * 1000 / repeat), r


def measure(url: str, n: int, repeat: int) -> dict[str, Timing]:
    engine = Engine(url)
    admin = engine.create_token("giam_doc", roles=("admin", "assigner", "reviewer"))
    unit = UNITS[3]
    member = engine.create_token("cb_member", unit=unit)
    some_id = int(engine.directives(limit=1, offset=n // 2)[0].id)
    engine.db.dispose()
    server = Server(url)
    out: dict[str, Timing] = {}
    try:
        with httpx.Client(base_url=server.base, timeout=120) as c:
            a = {"headers": {"Authorization": f"Bearer {admin}"}}
            m = {"headers": {"Authorization": f"Bearer {member}"}}
            out["API first page (admin)"], r = timed(
                server, c, "/api/directives?limit=50", repeat, **a
            )
            nxt = r.headers["link"][1 : r.headers["link"].index(">")]
            out["API next page (Link)"], _ = timed(server, c, nxt, repeat, **a)
            out["API first page (unit member)"], _ = timed(
                server, c, "/api/directives?limit=50", repeat, **m
            )
            out["API page unit + status"], _ = timed(
                server,
                c,
                "/api/directives",
                repeat,
                params={"unit": unit, "status": "in_progress_overdue", "limit": 50},
                **a,
            )
            out["API statistics (admin)"], _ = timed(server, c, "/api/statistics", repeat, **a)
            out["API statistics (unit member)"], _ = timed(
                server, c, "/api/statistics", repeat, **m
            )
            out["API open, due order"], r = timed(
                server, c, "/api/directives?limit=50&open_only=true&sort=due", repeat, **a
            )
            nxt = r.headers["link"][1 : r.headers["link"].index(">")]
            out["API open, due order, next page"], _ = timed(server, c, nxt, repeat, **a)
            c.cookies.set("dondoc_token", admin)
            out["dashboard my work (home)"], _ = timed(server, c, "/", repeat)
            out["dashboard list page"], _ = timed(server, c, "/directives", repeat)
            out["dashboard list: due soon"], _ = timed(
                server, c, "/directives?status=due_soon", repeat
            )
            out["dashboard stats page"], _ = timed(server, c, "/stats", repeat)
            out["dashboard directive page"], _ = timed(server, c, f"/directives/{some_id}", repeat)
            c.cookies.set("dondoc_token", member)
            out["dashboard list (unit member)"], _ = timed(server, c, "/directives", repeat)
            out["dashboard my work (unit member)"], _ = timed(server, c, "/", repeat)
        rss, peak = server.memory()
        out["server RSS / peak (MiB)"] = (rss, peak)
    finally:
        server.stop()
    return out


def fresh(url: str) -> None:
    engine = sa.create_engine(url)
    drop_everything(engine)
    engine.dispose()


def run_backend(label: str, urls: dict[int, str], repeat: int) -> None:
    results: dict[int, dict[str, Timing]] = {}
    for n, url in urls.items():
        fresh(url)
        start = time.perf_counter()
        build(url, n)
        built = time.perf_counter() - start
        print(
            f"  {label}: built {n:,} directives in {built:.0f} s ({n / built:,.0f}/s)", flush=True
        )
        results[n] = measure(url, n, repeat)
    sizes = sorted(results)
    lo, hi = sizes[0], sizes[-1]
    print(
        f"\n{label}: wall ms (median of {repeat}) / server CPU ms per request; "
        f"today {SystemClock().now():%d/%m/%Y}; load average {os.getloadavg()[0]:.1f}"
    )
    head = f"{'read':32}" + "".join(f"{n:>18,}" for n in sizes)
    if len(sizes) > 1:
        head += f"{f'growth {lo // 1000}k → {hi // 1000}k':>24}"
    print(head)
    for key in results[lo]:
        cells = [results[n][key] for n in sizes]
        line = f"{key:32}" + "".join(f"{f'{w:.1f} / {c:.1f}':>18}" for w, c in cells)
        if len(sizes) > 1:
            (w0, c0), (w1, c1) = cells[0], cells[-1]
            cpu_growth = f"{c1 / c0:.2f}×" if c0 else "—"
            line += f"{f'{w1 / w0:.2f}× / {cpu_growth}':>24}"
        print(line)
    print(flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--full", action="store_true", help="also 1,000,000 directives")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--pg", default=os.environ.get("DONDOC_TEST_PG_URL", ""))
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    sizes = sorted(set(args.sizes + ([1_000_000] if args.full else [])))
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            urls = {n: f"sqlite:///{Path(tmp) / f'q{n}.db'}" for n in sizes}
            run_backend("SQLite", urls, args.repeat)
        if args.pg:
            run_backend("PostgreSQL", dict.fromkeys(sizes, args.pg), args.repeat)


if __name__ == "__main__":
    main()
