"""Compiled workflows: one shared ``transitions.Machine`` per (workflow, version).

Compiling is done once; the machine carries one token model for its whole life. Deciding a
transition for a directive puts the token in the directive's state (``set_state``) and fires
the trigger on it, under the workflow's lock. (Attaching a throw-away token per decision with
``add_model``/``remove_model`` cost ~60 µs more per command: ``add_model`` binds every trigger
onto the model each time.) Guards run as the machine's conditions.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transitions import EventData, Machine

from ..documents.render import Renderer
from ..errors import InvalidTransition, NotFound, PermissionDenied, WorkflowError
from .guards import Guard, GuardEvaluationError, compile_guard
from .payload import validate_payload
from .spec import LoadedWorkflow, TransitionSpec, WorkflowSpec, bundled_workflow_files
from .spec import load_workflow_files as _load_files


@dataclass(frozen=True)
class Decision:
    """What firing ``trigger`` does to a directive: the facts the service will persist."""

    trigger: str
    source: str
    dest: str
    role: str
    payload: dict[str, Any]
    transition: TransitionSpec


class _Token:
    """The one model of a shared machine: put in a directive's state for each decision."""

    state: str


class CompiledWorkflow:
    """A workflow version ready to decide transitions. Thread-safe."""

    def __init__(self, loaded: LoadedWorkflow) -> None:
        self.loaded = loaded
        self.spec: WorkflowSpec = loaded.spec
        self._guards: dict[int, Guard] = {}
        self._lock = threading.Lock()
        transitions: list[dict[str, Any]] = []
        for i, t in enumerate(self.spec.transitions):
            entry: dict[str, Any] = {
                "trigger": t.trigger,
                "source": self.spec.sources_of(t),
                "dest": t.dest,
            }
            if t.guard is not None:
                self._guards[i] = compile_guard(t.guard)
                entry["conditions"] = [self._condition(self._guards[i])]
            transitions.append(entry)
        self.machine = Machine(
            model=None,
            states=[s.id for s in self.spec.states],
            transitions=transitions,
            initial=self.spec.initial_state,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        self._token = _Token()
        self.machine.add_model(self._token)

    @staticmethod
    def _condition(guard: Guard) -> Any:
        def check(event: EventData) -> bool:
            return guard.evaluate(event.kwargs["scope"])

        return check

    @property
    def key(self) -> tuple[str, int]:
        return self.spec.key

    def is_final(self, state: str) -> bool:
        return self.spec.state(state).final

    def allowed_triggers(self, state: str, roles: Iterable[str] | None = None) -> list[str]:
        """Triggers that may be fired from ``state`` (by someone holding ``roles``, if given)."""
        held = None if roles is None else set(roles)
        out = []
        for trig in self.spec.triggers_from(state):
            t = self.spec.transition(trig, state)
            if t is not None and (held is None or held & set(t.roles)):
                out.append(trig)
        return out

    def decide(
        self,
        state: str,
        trigger: str,
        roles: Iterable[str],
        payload: Mapping[str, Any] | None,
        *,
        data: Mapping[str, Any] | None = None,
        directive: Mapping[str, Any] | None = None,
        actor: str = "?",
    ) -> Decision:
        """Check and run one trigger. Raises InvalidTransition, PermissionDenied or PayloadError.

        Order of checks: is the trigger possible from ``state`` at all; does the actor hold one
        of its roles; is the payload valid; is the guard satisfied.
        """
        t = self.spec.transition(trigger, state)
        if t is None:
            raise InvalidTransition(trigger, state, self.allowed_triggers(state))
        held = set(roles)
        role = next((r for r in t.roles if r in held), None)
        if role is None:
            raise PermissionDenied(actor, trigger, t.roles, sorted(held))
        clean = validate_payload(t.payload, payload)
        scope = {"payload": clean, "data": dict(data or {}), "directive": dict(directive or {})}
        token = self._token
        with self._lock:
            self.machine.set_state(state, model=token)
            try:
                fired = getattr(token, trigger)(scope=scope)
                dest = token.state
            except GuardEvaluationError as exc:
                raise InvalidTransition(
                    trigger, state, self.allowed_triggers(state), f"điều kiện không thỏa: {exc}"
                ) from None
            except (RecursionError, MemoryError):  # bounded at validation; never a 500 anyway
                raise InvalidTransition(
                    trigger, state, self.allowed_triggers(state), "điều kiện quá phức tạp"
                ) from None
        if not fired:
            reason = t.guard_message or f"the condition {t.guard!r} is not satisfied"
            raise InvalidTransition(trigger, state, self.allowed_triggers(state), reason.strip())
        return Decision(trigger, state, dest, role, clean, t)


class WorkflowRegistry:
    """All loaded workflow versions, compiled once each."""

    def __init__(self, loaded: Iterable[LoadedWorkflow] = ()) -> None:
        self._by_key: dict[tuple[str, int], CompiledWorkflow] = {}
        for lw in loaded:
            self.add(lw)

    def add(self, loaded: LoadedWorkflow) -> CompiledWorkflow:
        key = loaded.spec.key
        existing = self._by_key.get(key)
        if existing is not None:
            if existing.loaded.digest == loaded.digest:
                return existing
            raise WorkflowError([])  # pragma: no cover - load_workflow_files refuses this first
        compiled = CompiledWorkflow(loaded)
        self._by_key[key] = compiled
        return compiled

    def get(self, workflow: str, version: int | None = None) -> CompiledWorkflow:
        """A specific version, or the latest one when ``version`` is None."""
        if version is not None:
            try:
                return self._by_key[(workflow, version)]
            except KeyError:
                raise NotFound("workflow", f"{workflow} v{version}") from None
        versions = [v for (w, v) in self._by_key if w == workflow]
        if not versions:
            raise NotFound("workflow", workflow)
        return self._by_key[(workflow, max(versions))]

    def __iter__(self) -> Any:
        return iter(sorted(self._by_key.values(), key=lambda c: c.key))

    def __len__(self) -> int:
        return len(self._by_key)


def load_workflows(
    *paths: str, bundled: bool = True, template_dir: str | Path | None = None
) -> WorkflowRegistry:
    """Load the bundled workflows (unless ``bundled=False``) and those in ``paths``.

    Timers must name templates that exist among the bundled ones and ``template_dir``.

    ``paths`` are files or folders of ``*.yaml``. An admin file may not redefine a bundled
    (workflow, version): bump the version instead. Raises :class:`WorkflowError` with every
    problem in every file.
    """
    files: list[str | Path] = [*(bundled_workflow_files() if bundled else []), *paths]
    templates = Renderer(template_dir).template_ids()
    return WorkflowRegistry(_load_files(files, templates=templates))
