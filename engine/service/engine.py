"""The Engine: dondoc's public Python API. Commands and queries, one transaction each.

A command loads the directive, works out the actor's roles on it, asks the compiled workflow
to decide the transition, appends a hash-chained audit event and commits — all or nothing.
If another command changed the directive in between, the version check on UPDATE fails and the
caller gets :class:`ConflictError`; nothing of the failed command is written.

The body is split by concern, one module each, all sharing the plumbing of
:class:`~dondoc.service.base.EngineBase` (transactions, record building, workflow lookup):

- :mod:`.commands` — create, fire, import (the directive's own commands);
- :mod:`.scheduling` — timers and recurring series (the scheduler's commands);
- :mod:`.queries` — reads and the visibility rule; :mod:`.documents` — rendering;
- :mod:`.settings` — the people directory and office profile kept with the deployment;
- :mod:`.access` — API tokens; :mod:`.outbox` — the delivery queue; :mod:`.audit` — verification;
- :mod:`.moves` — delegation, cooperating units, reassignment, claim (and :mod:`.explanations`,
  the explanation requests), on top of the scheduling part.
- :mod:`.reports` — scheduled periodic reports (Decree 09/2019), produced by the worker;
- :mod:`.letters` — letters sent on a directive (a chasing letter), kept as sent;
- :mod:`.migration` — moving directives to another workflow version; :mod:`.publishing` —
  workflow versions administrators publish (stored in the database, loaded at start-up);
- :mod:`.worklist` — "Việc của tôi": what a person must do, decide, chase and watch;
- :mod:`.embedding` — the host's transaction (``within``) and after-commit hooks (``on``).
"""

from __future__ import annotations

from .access import Access
from .audit import Audit
from .base import DEFAULT_DB, FiredTimer, NewDirective
from .documents import Documents
from .embedding import Embedding
from .evaluation import Evaluation
from .letters import Letters, SentLetter
from .migration import Migration
from .moves import SubDirective
from .outbox import OutboxQueue
from .publishing import Publishing
from .reports import Reporting, ReportRun, ReportSchedule
from .scheduling import Scheduling, period_trigger
from .settings import Deployment
from .worklist import MyWork, Worklist

__all__ = [
    "DEFAULT_DB",
    "Engine",
    "FiredTimer",
    "MyWork",
    "NewDirective",
    "ReportRun",
    "ReportSchedule",
    "SentLetter",
    "SubDirective",
    "period_trigger",
]


class Engine(
    Letters,
    Reporting,
    Worklist,
    Scheduling,
    Documents,
    Evaluation,
    Access,
    OutboxQueue,
    Audit,
    Deployment,
    Migration,
    Publishing,
    Embedding,
):
    """dondoc's service. Thread-safe; share one per process.

    ``db`` is a database URL (default ``sqlite:///dondoc.db``) or an SQLAlchemy engine;
    ``workflows`` defaults to the bundled ones; ``clock`` to the system clock.
    """
