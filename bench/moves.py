"""What the moves cost a command: fire() with the moves' rules (roll-up, open children, explanation
timers) against the same Engine with those hooks replaced by the plain no-ops of Commands.

Prints the median µs per fire over rounds, for a workflow without ``moves:`` (nothing should
change) and one that declares delegation and explanations (one or two small extra queries).

    python bench/moves.py --n 200 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from dondoc import Actor, Engine, FakeClock, NewDirective
from dondoc.service.commands import Commands
from dondoc.service.moves import Moves

HOOKS = ("_check_move_rules", "_after_apply", "_rolled_up_progress")


def per_fire_us(n: int, workflow: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        e = Engine(
            f"sqlite:///{Path(tmp) / 'b.db'}",
            clock=FakeClock(datetime(2024, 3, 18, 2, tzinfo=UTC)),
        )
        new = NewDirective(title="x", assignee="a", lead_unit="U", due=date(2024, 6, 30))
        ids = [e.create_directive(Actor.of("thang"), workflow, new).id for _ in range(n)]
        who = Actor.of("a", unit="U")
        t0 = time.perf_counter()
        for i in ids:
            e.fire(i, "start", who)
            e.fire(i, "report_progress", who, {"progress": 50})
        elapsed = time.perf_counter() - t0
        e.db.dispose()
        return elapsed / (2 * n) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    saved = {h: getattr(Moves, h) for h in HOOKS}
    print(f"{'workflow':24s} {'with moves':>11s} {'without':>9s} {'ratio':>6s}")
    for workflow in ("monthly_briefing_task", "unit_task"):
        with_hooks, without = [], []
        for _ in range(args.repeat):
            with_hooks.append(per_fire_us(args.n, workflow))
            for h in HOOKS:
                setattr(Moves, h, getattr(Commands, h))
            try:
                without.append(per_fire_us(args.n, workflow))
            finally:
                for h in HOOKS:
                    setattr(Moves, h, saved[h])
        a, b = statistics.median(with_hooks), statistics.median(without)
        print(f"{workflow:24s} {a:9.0f}µs {b:7.0f}µs {a / b:6.2f}")


if __name__ == "__main__":
    main()
