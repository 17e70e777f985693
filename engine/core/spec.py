"""Workflow definitions: YAML text → validated, immutable :class:`WorkflowSpec`.

The pydantic models below are the single description of the format: they validate files, they
are the typed objects the rest of the engine reads, and :func:`json_schema` publishes them for
editors. YAML stays inside this module (via :mod:`dondoc.core.yamlsource`); every problem, whether
of shape (a wrong key, a wrong type) or of meaning (an unknown state, an unreachable state), is
reported as ``file:line:column: message`` and all of them are collected in one run.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from ..deadlines.durations import parse_offset
from ..errors import Problem, WorkflowError
from .guards import GuardSyntaxError, compile_guard
from .limits import MAX_YAML_BYTES
from .movespec import MovesSpec, check_moves, referenced_workflows
from .validation_text import schema_message
from .yamlsource import SourceMap, load_yaml

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

#: Roles bound by a directive's own fields (the actor *is* the directive's assignee, …).
BOUND_ROLES = ("assignee", "assigner", "reviewer", "lead_unit", "cooperating_unit")
#: The role the scheduler acts with; usable in any workflow without declaring it.
SYSTEM_ROLE = "system"
ANY_STATE = "*"
#: Who ``not_by`` may exclude from firing a transition: the actor who entered the current
#: state (made the request being decided), or a person the directive names.
Excluded = Literal["requester", "assignee", "assigner", "reviewer"]
#: Global roles dondoc reserves: never granted a workflow role by ``grants:``.
RESERVED_GLOBAL = (SYSTEM_ROLE,)

FieldType = Literal[
    "text", "string", "integer", "number", "boolean", "date", "choice", "percent", "person", "unit"
]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(_as_list, json_schema_input_type=str | list[str])]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, populate_by_name=True)


class RoleSpec(_Model):
    """A role that may fire transitions or receive notifications."""

    label: str = Field(description="Vietnamese label, e.g. 'Người được giao'")
    description: str | None = None


class StateSpec(_Model):
    id: Ident
    label: str = Field(description="Vietnamese label shown to people, e.g. 'Đang thực hiện'")
    initial: bool = False
    final: bool = False
    outcome: Literal["completed", "cancelled"] | None = Field(
        default=None,
        description="for final states: does ending here count as completing the directive?",
    )
    done: bool = Field(
        default=False,
        description="the assignee's work is complete here (e.g. a report submitted): entering it "
        "stops the deadline clock even before a reviewer closes the directive",
    )
    description: str | None = None


class FieldSpec(_Model):
    """A payload field the actor supplies when firing a transition."""

    type: FieldType
    label: str | None = None
    required: bool = True
    choices: list[str] | dict[str, str] | None = Field(
        default=None,
        description="the allowed values of a choice: a list, or a mapping value → Vietnamese "
        "label ({khien_trach: Khiển trách}) so people read the label, never the value",
    )
    max_length: int | None = Field(default=None, ge=1)

    def choice_label(self, value: str) -> str:
        """The label people read for a choice value (the value itself when none is given)."""
        if isinstance(self.choices, dict):
            return self.choices.get(value, value)
        return value


class TransitionSpec(_Model):
    trigger: Ident
    label: str | None = Field(default=None, description="Vietnamese label of the button")
    source: StrList = Field(description="state id, list of state ids, or '*' for every open state")
    dest: str
    roles: StrList = Field(description="roles that may fire it (one is enough)")
    guard: str | None = Field(
        default=None, description='condition on payload/data/directive, e.g. "payload.score >= 5"'
    )
    guard_message: str | None = Field(
        default=None, description="what to tell the actor when the guard is not satisfied"
    )
    payload: dict[Ident, FieldSpec] = Field(default_factory=dict)
    progress: int | None = Field(
        default=None, ge=0, le=100, description="set the directive's progress percent"
    )
    extend_due: bool = Field(
        default=False,
        description="grant an extension (gia hạn): the payload's date field 'new_due' becomes the "
        "due date; the original due date is kept. Implies not_by: [requester]",
    )
    not_by: list[Excluded] = Field(
        default_factory=list,
        description="separation of duties: who may NOT fire it even when holding a role: "
        "'requester' (whoever entered the current state, i.e. made the request being "
        "decided), or the directive's 'assignee', 'assigner', 'reviewer'",
    )


class TimerWhen(_Model):
    """When a timer fires: exactly one anchor, relative to the due date or to entering a state."""

    after_entering: str | None = Field(default=None, description="e.g. '2 ngày làm việc'")
    before_due: str | None = Field(default=None, description="e.g. '3 ngày làm việc'")
    at_due: bool = Field(default=False, description="at the end of the due day (24:00 local)")
    after_due: str | None = Field(default=None, description="e.g. '5 ngày'")

    @model_validator(mode="after")
    def _one_anchor(self) -> TimerWhen:
        chosen = [
            n for n in ("after_entering", "before_due", "after_due") if getattr(self, n) is not None
        ]
        if self.at_due:
            chosen.append("at_due")
        if len(chosen) != 1:
            raise ValueError(
                "cần đúng một trong after_entering, before_due, at_due, after_due"
                + (f" (đang có: {', '.join(chosen)})" if chosen else "")
            )
        return self


class TimerRepeat(_Model):
    every: str = Field(description="e.g. '2 ngày làm việc'")
    max: int = Field(ge=1, le=1000, description="stop after this many repetitions")


class NotifySpec(_Model):
    role: str | None = None
    person: str | None = None
    template: Ident

    @model_validator(mode="after")
    def _one_recipient(self) -> NotifySpec:
        if (self.role is None) == (self.person is None):
            raise ValueError("cần đúng một trong role, person")
        return self


class TimerSpec(_Model):
    id: Ident
    label: str | None = None
    states: StrList = Field(description="the timer runs only while the directive is in these")
    when: TimerWhen
    repeat: TimerRepeat | None = None
    notify: list[NotifySpec] = Field(default_factory=list)
    fire: Ident | None = Field(default=None, description="trigger fired as role 'system'")

    @model_validator(mode="after")
    def _does_something(self) -> TimerSpec:
        if not self.notify and self.fire is None:
            raise ValueError(
                "bộ hẹn giờ phải gửi thông báo (notify), thực hiện một lệnh (fire), hoặc cả hai"
            )
        return self


class WorkflowSpec(_Model):
    """One version of one workflow, as the admin wrote it."""

    schema_: str | None = Field(default=None, alias="$schema", exclude=True)
    workflow: Ident = Field(description="workflow id, stable across versions")
    version: int = Field(ge=1)
    title: str = Field(description="Vietnamese title")
    description: str | None = None
    roles: dict[Ident, RoleSpec]
    states: list[StateSpec] = Field(min_length=2)
    transitions: list[TransitionSpec] = Field(min_length=1)
    timers: list[TimerSpec] = Field(default_factory=list)
    grants: dict[Ident, StrList] = Field(
        default_factory=dict,
        description="workflow role -> global roles that hold it on every directive of this "
        "workflow, e.g. {reviewer: [reviewer]}: a board member reviews them all. Without an "
        "entry a role is held only as bound by the directive (its assignee, assigner…)",
    )
    moves: MovesSpec = Field(
        default_factory=MovesSpec,
        description="how work moves between people: delegate, cooperate, reassign, claim, explain",
    )

    # --- queries used by the rest of the engine -------------------------------------------
    @property
    def key(self) -> tuple[str, int]:
        return (self.workflow, self.version)

    @property
    def initial_state(self) -> str:
        return next(s.id for s in self.states if s.initial)

    def state(self, state_id: str) -> StateSpec:
        for s in self.states:
            if s.id == state_id:
                return s
        raise KeyError(state_id)

    def sources_of(self, transition: TransitionSpec) -> list[str]:
        """The concrete source states of ``transition`` ('*' expanded to every non-final state)."""
        if ANY_STATE in transition.source:
            return [s.id for s in self.states if not s.final]
        return list(transition.source)

    def transition(self, trigger: str, source: str) -> TransitionSpec | None:
        for t in self.transitions:
            if t.trigger == trigger and source in self.sources_of(t):
                return t
        return None

    def triggers_from(self, state: str) -> list[str]:
        out: list[str] = []
        for t in self.transitions:
            if state in self.sources_of(t) and t.trigger not in out:
                out.append(t.trigger)
        return out


def excluded_parties(t: TransitionSpec) -> tuple[str, ...]:
    """Who may not fire ``t`` (its ``not_by``; ``extend_due`` implies the requester)."""
    parties = list(t.not_by)
    if t.extend_due and "requester" not in parties:
        parties.append("requester")
    return tuple(parties)


@dataclass(frozen=True)
class LoadedWorkflow:
    """A validated spec with the file it came from (kept for the audit of definitions)."""

    spec: WorkflowSpec
    path: str
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


# --- loading ---------------------------------------------------------------------------------


def parse_workflow(
    text: str, path: str = "<string>", *, templates: Collection[str] | None = None
) -> LoadedWorkflow:
    """Validate one workflow document. Raises :class:`WorkflowError` listing every problem.

    ``templates``: the template ids that exist; when given, timers naming others are refused.
    """
    data, source, problems = load_yaml(text, path)
    if data is None:
        raise WorkflowError(problems)
    if not isinstance(data, dict):
        raise WorkflowError(
            [
                *problems,
                source.problem((), "tệp quy trình phải là một bảng khóa: giá trị (mapping)"),
            ]
        )
    try:
        spec = WorkflowSpec.model_validate(data)
    except ValidationError as exc:
        raise WorkflowError([*problems, *_schema_problems(exc, source)]) from None
    problems.extend(check_semantics(spec, source, templates=templates))
    if problems:
        raise WorkflowError(problems)
    return LoadedWorkflow(spec, path, text)


def load_workflow_file(
    path: str | Path, *, templates: Collection[str] | None = None
) -> LoadedWorkflow:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_YAML_BYTES:  # refused before reading it into memory
            raise WorkflowError(
                [Problem(str(p), 1, 1, f"tệp dài {size} byte; tối đa {MAX_YAML_BYTES}")]
            )
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowError([Problem(str(p), 1, 1, f"không đọc được tệp: {exc}")]) from None
    return parse_workflow(text, str(p), templates=templates)


def bundled_workflow_files() -> list[Path]:
    """The YAML files shipped inside the package (works from a wheel and an editable install)."""
    root = resources.files("dondoc.workflows")
    return sorted(
        Path(str(entry)) for entry in root.iterdir() if entry.name.endswith((".yaml", ".yml"))
    )


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files given directly, plus every *.yaml/*.yml in the directories given."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml")))
        else:
            out.append(p)
    return out


def load_workflow_files(
    paths: Iterable[str | Path],
    *,
    templates: Collection[str] | None = None,
    known_workflows: Collection[str] = (),
) -> list[LoadedWorkflow]:
    """Load and validate many files; all problems of all files in one :class:`WorkflowError`.

    Also refuses two files defining the same (workflow, version), and ``moves`` naming a
    workflow that is neither among these files nor in ``known_workflows``.
    """
    loaded: list[LoadedWorkflow] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, int], str] = {}
    for p in expand_paths(paths):
        try:
            lw = load_workflow_file(p, templates=templates)
        except WorkflowError as exc:
            problems.extend(exc.problems)
            continue
        if lw.spec.key in seen:
            problems.append(
                Problem(
                    lw.path,
                    1,
                    1,
                    f"quy trình {lw.spec.workflow!r} phiên bản {lw.spec.version} đã được định "
                    f"nghĩa trong {seen[lw.spec.key]}",
                )
            )
            continue
        seen[lw.spec.key] = lw.path
        loaded.append(lw)
    ids = {w for w, _ in seen} | set(known_workflows)
    for lw in loaded:
        for at, name in referenced_workflows(lw.spec.moves):
            if name not in ids:
                source = load_yaml(lw.text, lw.path)[1]
                problems.append(
                    source.problem(at, f"không có quy trình {name!r}{_hint(name, ids)}")
                )
    if problems:
        raise WorkflowError(problems)
    return loaded


# --- schema problems -------------------------------------------------------------------------


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``loc`` (for 'did you mean')."""
    model: Any = WorkflowSpec
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        if model is WorkflowSpec and part == "roles":
            return RoleSpec if len(loc) == 3 else None
        if model is TransitionSpec and part == "payload":
            return FieldSpec if len(loc) >= 3 else None
        fld = model.model_fields.get(part)
        if fld is None:
            return None
        model = _inner_model(fld.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _schema_problems(exc: ValidationError, source: SourceMap) -> Iterator[Problem]:
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        label = _loc_label(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            model = _model_at(loc)
            hint = ""
            if model is not None:
                names = [f.alias or n for n, f in model.model_fields.items()]
                close = _closest(str(loc[-1]), names)
                hint = (
                    f" (có phải {close!r}?)" if close else f"; các khóa hợp lệ: {', '.join(names)}"
                )
            yield source.problem(loc, f"{label}: khóa không hợp lệ{hint}", key=True)
        elif kind == "missing":
            yield source.problem(loc[:-1], f"{label}: thiếu khóa bắt buộc")
        else:
            msg = schema_message(kind, err.get("ctx") or {}, err["msg"])
            value = err.get("input")
            shown = f" (đang là {value!r})" if not isinstance(value, dict | list) else ""
            yield source.problem(loc, f"{label}: {msg}{shown}")


def _loc_label(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(tài liệu)"


# --- semantic checks -------------------------------------------------------------------------


def _closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` was probably meant to be (typo, or a longer/shorter spelling)."""
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return close[0]
    prefixed = [n for n in names if len(n) >= 3 and (name.startswith(n) or n.startswith(name))]
    return max(prefixed, key=len) if prefixed else None


def _hint(name: str, known: Iterable[str]) -> str:
    close = _closest(name, known)
    return f" (có phải {close!r}?)" if close else ""


def check_semantics(
    spec: WorkflowSpec, source: SourceMap, *, templates: Collection[str] | None = None
) -> list[Problem]:
    """Everything that is well-formed but does not make sense. Returns all problems."""
    problems: list[Problem] = []

    def add(at: tuple[str | int, ...], message: str) -> None:
        problems.append(source.problem(at, message))

    state_ids = [s.id for s in spec.states]
    known_states = set(state_ids)
    final_states = {s.id for s in spec.states if s.final}
    roles = set(spec.roles) | {SYSTEM_ROLE}

    # states
    seen_states: set[str] = set()
    for i, s in enumerate(spec.states):
        if s.id in seen_states:
            add(("states", i, "id"), f"trạng thái {s.id!r} được khai báo hai lần")
        seen_states.add(s.id)
        if s.initial and s.final:
            add(
                ("states", i),
                f"trạng thái {s.id!r} không thể vừa là trạng thái đầu vừa là trạng thái cuối",
            )
        if s.done and s.final:
            add(
                ("states", i, "done"),
                f"trạng thái {s.id!r} là trạng thái cuối; dùng outcome: completed thay cho done",
            )
        if s.outcome is not None and not s.final:
            add(
                ("states", i, "outcome"),
                f"chỉ trạng thái cuối mới có outcome ({s.id!r} không phải trạng thái cuối)",
            )
    initials = [i for i, s in enumerate(spec.states) if s.initial]
    if len(initials) != 1:
        where = ("states", initials[1]) if len(initials) > 1 else ("states",)
        add(where, f"phải có đúng một trạng thái đầu (initial), đang có {len(initials)}")
    if not final_states:
        add(("states",), "phải có ít nhất một trạng thái cuối (final)")

    # transitions
    edges: dict[str, set[str]] = defaultdict(set)
    seen_triggers: dict[tuple[str, str], int] = {}
    for i, t in enumerate(spec.transitions):
        at: tuple[str | int, ...] = ("transitions", i)
        sources: list[str] = []
        for j, src in enumerate(t.source):
            if src == ANY_STATE:
                sources.extend(s for s in state_ids if s not in final_states)
            elif src not in known_states:
                add((*at, "source", j), f"không có trạng thái {src!r}{_hint(src, state_ids)}")
            elif src in final_states:
                add(
                    (*at, "source", j),
                    f"trạng thái {src!r} là trạng thái cuối; không lệnh nào được rời khỏi nó",
                )
            else:
                sources.append(src)
        if t.dest not in known_states:
            add((*at, "dest"), f"không có trạng thái {t.dest!r}{_hint(t.dest, state_ids)}")
        for src in sources:
            if t.dest in known_states:
                edges[src].add(t.dest)
            if (t.trigger, src) in seen_triggers:
                first = seen_triggers[(t.trigger, src)]
                add(
                    (*at, "trigger"),
                    f"lệnh {t.trigger!r} từ trạng thái {src!r} đã được định nghĩa ở "
                    f"transitions[{first}]",
                )
            else:
                seen_triggers[(t.trigger, src)] = i
        if not t.roles:
            add((*at, "roles"), "cần ít nhất một vai trò được thực hiện lệnh này")
        for j, role in enumerate(t.roles):
            if role not in roles:
                add((*at, "roles", j), f"không có vai trò {role!r}{_hint(role, roles)}")
        if t.guard is not None:
            try:
                compile_guard(t.guard)
            except GuardSyntaxError as exc:
                add((*at, "guard"), f"điều kiện (guard) không hợp lệ: {exc}")
        new_due = t.payload.get("new_due")
        if t.extend_due and (new_due is None or new_due.type != "date" or not new_due.required):
            add(
                (*at, "extend_due"),
                "extend_due cần trường bắt buộc 'new_due' kiểu date",
            )
        for name, fld in t.payload.items():
            fat = (*at, "payload", name)
            if fld.type == "choice" and not fld.choices:
                add(fat, f"trường {name!r} kiểu choice cần danh sách 'choices' không rỗng")
            if fld.type != "choice" and fld.choices is not None:
                add((*fat, "choices"), f"trường {name!r} có 'choices' nhưng kiểu là {fld.type!r}")

    # Reachability and dead ends mean something only on a sound graph: with an unknown state
    # referenced they would report consequences of that one typo, not separate mistakes.
    graph_sound = len(initials) == 1 and not problems
    if graph_sound:
        start = spec.states[initials[0]].id
        reached = {start}
        queue = deque([start])
        while queue:
            for nxt in edges[queue.popleft()]:
                if nxt not in reached:
                    reached.add(nxt)
                    queue.append(nxt)
        for i, s in enumerate(spec.states):
            if s.id not in reached:
                add(("states", i, "id"), f"không đi tới được trạng thái {s.id!r} từ {start!r}")
    for i, s in enumerate(spec.states):
        if graph_sound and not s.final and not edges[s.id]:
            add(
                ("states", i, "id"),
                f"trạng thái {s.id!r} không phải trạng thái cuối nhưng không có lệnh nào rời khỏi nó",
            )

    # grants: workflow role -> global roles
    for role, global_roles in spec.grants.items():
        if role == SYSTEM_ROLE:
            add(("grants", role), "grants: vai trò 'system' chỉ dành cho bộ lập lịch")
        elif role not in spec.roles:
            add(
                ("grants", role),
                f"grants: không có vai trò {role!r}{_hint(role, spec.roles)} (khai báo nó trong roles)",
            )
        for j, g in enumerate(global_roles):
            if g in RESERVED_GLOBAL:
                add(("grants", role, j), f"grants: không thể cấp vai trò toàn cục {g!r}")

    # timers
    triggers = {t.trigger for t in spec.transitions}
    seen_timers: set[str] = set()
    for i, tm in enumerate(spec.timers):
        at = ("timers", i)
        if tm.id in seen_timers:
            add((*at, "id"), f"bộ hẹn giờ {tm.id!r} được khai báo hai lần")
        seen_timers.add(tm.id)
        for j, st in enumerate(tm.states):
            if st not in known_states:
                add((*at, "states", j), f"không có trạng thái {st!r}{_hint(st, state_ids)}")
            elif st in final_states:
                add(
                    (*at, "states", j),
                    f"trạng thái {st!r} là trạng thái cuối; bộ hẹn giờ ở đó sẽ không bao giờ dừng",
                )
        for name in ("after_entering", "before_due", "after_due"):
            value = getattr(tm.when, name)
            if value is not None:
                try:
                    parse_offset(value)
                except ValueError as exc:
                    add((*at, "when", name), str(exc))
        if tm.repeat is not None:
            try:
                parse_offset(tm.repeat.every)
            except ValueError as exc:
                add((*at, "repeat", "every"), str(exc))
        for j, n in enumerate(tm.notify):
            if n.role is not None and n.role not in roles:
                add(
                    (*at, "notify", j, "role"), f"không có vai trò {n.role!r}{_hint(n.role, roles)}"
                )
            if templates is not None and n.template not in templates:
                add(
                    (*at, "notify", j, "template"),
                    f"không có mẫu văn bản {n.template!r}{_hint(n.template, templates)}",
                )
        if tm.fire is not None:
            if tm.fire not in triggers:
                add((*at, "fire"), f"không có lệnh {tm.fire!r}{_hint(tm.fire, triggers)}")
            else:
                for st in tm.states:
                    tr = spec.transition(tm.fire, st) if st in known_states else None
                    if st in known_states and tr is None:
                        add(
                            (*at, "fire"),
                            f"lệnh {tm.fire!r} không thực hiện được từ trạng thái {st!r}",
                        )
                    elif tr is not None and SYSTEM_ROLE not in tr.roles:
                        add(
                            (*at, "fire"),
                            f"lệnh {tm.fire!r} phải có vai trò 'system' thì bộ hẹn giờ mới thực hiện được",
                        )
    check_moves(
        spec.moves,
        roles=roles,
        states=known_states,
        final_states=final_states,
        triggers=triggers,
        templates=templates,
        add=add,
        hint=_hint,
    )
    return problems


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a workflow file, generated from the models above."""
    schema = WorkflowSpec.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://dondoc.invalid/schema/workflow.schema.json"
    schema["title"] = "dondoc workflow"
    return schema
