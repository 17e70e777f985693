"""dondoc — follow up (theo dõi, đôn đốc) the directives Vietnamese agencies issue.

The public face: import from here; the modules behind it may change.

    from . import Engine, Actor, NewDirective, load_workflows, errors
"""

from __future__ import annotations

from . import errors
from .clock import Clock, FakeClock, SystemClock
from .core.actors import SCHEDULER, Actor
from .core.machine import CompiledWorkflow, WorkflowRegistry, load_workflows
from .core.records import AuditEvent, AuditReport, Directive
from .core.spec import WorkflowSpec, json_schema, parse_workflow
from .service.engine import Engine, NewDirective

__all__ = [
    "SCHEDULER",
    "Actor",
    "AuditEvent",
    "AuditReport",
    "Clock",
    "CompiledWorkflow",
    "Directive",
    "Engine",
    "FakeClock",
    "NewDirective",
    "SystemClock",
    "WorkflowRegistry",
    "WorkflowSpec",
    "errors",
    "json_schema",
    "load_workflows",
    "parse_workflow",
]
__version__ = "0.1.0"
