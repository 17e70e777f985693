"""dondoc — follow up (theo dõi, đôn đốc) the directives Vietnamese agencies issue.

The public face: import from here; the modules behind it may change.

    from dondoc import Engine, Actor, NewDirective, load_workflows, errors
    from dondoc import parse_deadline, FakeClock, Worker, Renderer, extract
    from dondoc import create_app          # needs the ``server`` extra (FastAPI)

Names that pull in an optional or heavy dependency (the web app, the worker's scheduler, the
document reader) are imported on first use, so ``import dondoc`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import errors
from .clock import Clock, FakeClock, SystemClock
from .core.actors import SCHEDULER, Actor
from .core.machine import CompiledWorkflow, WorkflowRegistry, load_workflows
from .core.records import AuditEvent, AuditReport, Directive
from .core.spec import WorkflowSpec, json_schema, parse_workflow
from .deadlines.calendar import WorkingCalendar
from .deadlines.phrases import Deadline, Recurrence, parse_deadline
from .deadlines.status import Status
from .documents.office import Office
from .documents.render import Renderer
from .service.engine import Engine, FiredTimer, NewDirective, SubDirective

if TYPE_CHECKING:
    from .extraction import Extraction, extract
    from .web.api import create_app
    from .worker import Worker

_LAZY = {
    "create_app": "dondoc.web.api",
    "Worker": "dondoc.worker",
    "extract": "dondoc.extraction",
    "Extraction": "dondoc.extraction",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dondoc' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "SCHEDULER",
    "Actor",
    "AuditEvent",
    "AuditReport",
    "Clock",
    "CompiledWorkflow",
    "Deadline",
    "Directive",
    "Engine",
    "Extraction",
    "FakeClock",
    "FiredTimer",
    "NewDirective",
    "Office",
    "Recurrence",
    "Renderer",
    "Status",
    "SubDirective",
    "SystemClock",
    "Worker",
    "WorkflowRegistry",
    "WorkflowSpec",
    "WorkingCalendar",
    "create_app",
    "errors",
    "extract",
    "json_schema",
    "load_workflows",
    "parse_deadline",
    "parse_workflow",
]
__version__ = "0.1.0"
