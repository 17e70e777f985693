"""dondoc — follow up (theo dõi, đôn đốc) the directives Vietnamese agencies issue.

The public face: import from here; the modules behind it may change.

    from dondoc import Engine, Actor, NewDirective, load_workflows, errors
"""

from __future__ import annotations

from dondoc import errors
from dondoc.core.actors import SCHEDULER, Actor
from dondoc.clock import Clock, FakeClock, SystemClock
from dondoc.core.machine import CompiledWorkflow, WorkflowRegistry, load_workflows
from dondoc.core.records import AuditEvent, AuditReport, Directive
from dondoc.service.engine import Engine, NewDirective
from dondoc.core.spec import WorkflowSpec, json_schema, parse_workflow

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
