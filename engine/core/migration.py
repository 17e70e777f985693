"""Instance migration plans: how running directives move from one workflow version to another.

Pure: the plan (read from YAML or built from command-line pairs), the checks against the two
versions, and what happens to one directive — its new state, its data with fields renamed, and
its timers planned again from the new version relative to when it entered its state. The
service (:mod:`dondoc.service.migration`) reads and writes the database around it.

Messages meant for the administrator are Vietnamese.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..deadlines.calendar import WorkingCalendar
from ..deadlines.timers import first_fire_at, next_repeat_at
from ..errors import MigrationPlanError
from .spec import WorkflowSpec
from .yamlsource import load_yaml

#: Directive fields a plan may filter on (equality), besides ``id``.
WHERE_FIELDS = ("state", "lead_unit", "assignee", "assigner", "reviewer", "doc_number")
MAX_PLAN_BYTES = 256_000
MAX_PLAN_ENTRIES = 1000


@dataclass(frozen=True)
class MigrationPlan:
    """Move the directives of ``workflow`` at ``from_version`` to ``to_version``.

    ``states`` maps old state ids to new ones; a state not in it keeps its id when the new
    version has it, else goes to ``default``, else cannot migrate. ``rename`` renames fields of
    the directive's data (old → new). ``where`` keeps only directives whose fields equal the
    values given (``id`` and :data:`WHERE_FIELDS`). Closed directives stay on their version
    unless ``include_closed``."""

    workflow: str
    from_version: int
    to_version: int
    states: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None
    rename: Mapping[str, str] = field(default_factory=dict)
    where: Mapping[str, str] = field(default_factory=dict)
    include_closed: bool = False

    def merged(
        self,
        *,
        states: Mapping[str, str] | None = None,
        rename: Mapping[str, str] | None = None,
        where: Mapping[str, str] | None = None,
        default: str | None = None,
        include_closed: bool | None = None,
    ) -> MigrationPlan:
        """This plan with command-line options added on top (they win)."""
        return MigrationPlan(
            self.workflow,
            self.from_version,
            self.to_version,
            {**self.states, **(states or {})},
            default if default is not None else self.default,
            {**self.rename, **(rename or {})},
            {**self.where, **(where or {})},
            self.include_closed if include_closed is None else include_closed,
        )


def parse_pairs(items: Iterable[str], option: str) -> dict[str, str]:
    """``["old=new", …]`` (a command-line option given several times) → ``{old: new}``."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise MigrationPlanError([f"{option} {item!r}: cần dạng cũ=mới (ví dụ {option} a=b)"])
        out[key.strip()] = value.strip()
    return out


def parse_plan(text: str, path: str = "<plan>") -> MigrationPlan:
    """Read a plan file::

        workflow: remediation_self_assessment
        from: 1
        to: 2
        states: {extension_requested: in_progress}   # old: new
        default: in_progress                          # optional
        rename: {report: self_assessment_report}      # data fields, old: new
        where: {lead_unit: Thanh tra Sở}              # optional
        include_closed: false                         # optional

    Raises :class:`MigrationPlanError` naming file:line for each mistake."""
    if len(text.encode()) > MAX_PLAN_BYTES:
        raise MigrationPlanError([f"{path}: tệp kế hoạch quá lớn (tối đa {MAX_PLAN_BYTES} byte)"])
    data, where_is, problems = load_yaml(text, path)
    errors = [str(p) for p in problems]
    if errors:
        raise MigrationPlanError(errors)

    def at(*keys: str | int, key: bool = False) -> str:
        line, col = where_is.position(tuple(keys), key=key)
        return f"{path}:{line}:{col}"

    if not isinstance(data, dict):
        raise MigrationPlanError([f"{path}:1:1: kế hoạch phải là một bảng khóa: giá trị"])
    known = {"workflow", "from", "to", "states", "default", "rename", "where", "include_closed"}
    for key in data:
        if key not in known:
            errors.append(
                f"{at(key, key=True)}: khóa {key!r} không được hỗ trợ ({', '.join(sorted(known))})"
            )

    def text_map(key: str) -> dict[str, str]:
        value = data.get(key) or {}
        if not isinstance(value, dict) or len(value) > MAX_PLAN_ENTRIES:
            errors.append(f"{at(key)}: {key} phải là bảng cũ: mới")
            return {}
        out = {}
        for k, v in value.items():
            if not isinstance(v, str | int) or isinstance(v, bool) or not str(k).strip():
                errors.append(f"{at(key, k)}: {key}.{k} phải là một tên")
            else:
                out[str(k)] = str(v)
        return out

    def version(key: str) -> int:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors.append(f"{at(key) if key in data else path}: '{key}' phải là số phiên bản (≥ 1)")
            return 0
        return value

    workflow = data.get("workflow")
    if not isinstance(workflow, str) or not workflow:
        errors.append(f"{at('workflow') if 'workflow' in data else path}: thiếu 'workflow'")
    plan = MigrationPlan(
        workflow=str(workflow or ""),
        from_version=version("from"),
        to_version=version("to"),
        states=text_map("states"),
        default=str(data["default"]) if data.get("default") is not None else None,
        rename=text_map("rename"),
        where=text_map("where"),
        include_closed=bool(data.get("include_closed", False)),
    )
    if errors:
        raise MigrationPlanError(errors)
    return plan


def check_plan(plan: MigrationPlan, old: WorkflowSpec, new: WorkflowSpec) -> list[str]:
    """Mistakes in ``plan`` against the two versions (empty when it can run)."""
    problems = []
    if plan.from_version == plan.to_version:
        problems.append(f"phiên bản nguồn và đích trùng nhau ({plan.from_version})")
    old_ids = {s.id for s in old.states}
    new_ids = {s.id for s in new.states}
    for src, dst in plan.states.items():
        if src not in old_ids:
            problems.append(
                f"ánh xạ {src}={dst}: phiên bản {old.version} không có trạng thái {src!r}"
                f" (có: {', '.join(sorted(old_ids))})"
            )
        if dst not in new_ids:
            problems.append(
                f"ánh xạ {src}={dst}: phiên bản {new.version} không có trạng thái {dst!r}"
                f" (có: {', '.join(sorted(new_ids))})"
            )
    if plan.default is not None and plan.default not in new_ids:
        problems.append(
            f"trạng thái mặc định {plan.default!r} không có trong phiên bản {new.version}"
            f" (có: {', '.join(sorted(new_ids))})"
        )
    for src, dst in plan.rename.items():
        if src == dst:
            problems.append(f"đổi tên trường {src}={dst}: tên mới trùng tên cũ")
    targets = list(plan.rename.values())
    for dup in sorted({t for t in targets if targets.count(t) > 1}):
        problems.append(f"đổi tên trường: nhiều trường cùng đổi thành {dup!r}")
    for key, value in plan.where.items():
        if key == "id":
            if not value.isdigit():
                problems.append(f"điều kiện id={value!r}: id phải là số")
        elif key not in WHERE_FIELDS:
            problems.append(f"điều kiện {key}=…: chỉ lọc được theo id, {', '.join(WHERE_FIELDS)}")
    return problems


def target_state(plan: MigrationPlan, old: WorkflowSpec, new: WorkflowSpec, state: str) -> str:
    """The new state of a directive in ``state``; raises :class:`Unmigratable` when none."""
    if state in plan.states:
        return plan.states[state]
    if any(s.id == state for s in new.states):
        return state
    if plan.default is not None:
        return plan.default
    label = next((s.label for s in old.states if s.id == state), state)
    raise Unmigratable(
        f"trạng thái “{label}” ({state}) không còn trong phiên bản {new.version} và kế hoạch "
        f"không chỉ định trạng thái thay thế (thêm --map {state}=… hoặc --default …)"
    )


class Unmigratable(Exception):
    """One directive cannot migrate under the plan; ``reason`` is for the administrator."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def rename_fields(
    plan: MigrationPlan, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The directive's data with the plan's fields renamed, and the renames that applied.
    Raises :class:`Unmigratable` when a new name is already taken by another field."""
    out = dict(data)
    applied: dict[str, str] = {}
    for src, dst in plan.rename.items():
        if src not in data:
            continue
        if dst in data and dst not in plan.rename:
            raise Unmigratable(
                f"không đổi tên được trường dữ liệu {src!r} thành {dst!r}: trường {dst!r} đã có"
            )
        applied[src] = dst
    moved = {dst: data[src] for src, dst in applied.items()}
    for src in applied:
        out.pop(src, None)
    out.update(moved)
    return out, applied


@dataclass(frozen=True)
class PlannedTimer:
    timer: str
    due_at: datetime
    repeat_index: int


def replan_timers(
    spec: WorkflowSpec,
    state: str,
    *,
    due: date | None,
    entered_at: datetime,
    fired: Mapping[str, tuple[datetime, int]],
    calendar: WorkingCalendar,
) -> list[PlannedTimer]:
    """The timers of ``state`` in ``spec``, planned as if the directive had entered it at
    ``entered_at``. ``fired`` holds, per timer id, the schedule and repetition of its last
    firing since then: a timer that already fired is not fired again (a repeating one goes on
    with its next repetition, if the new version allows more). A timer whose instant is past
    is due at once (the worker catches it up, as after a stop)."""
    out = []
    for tm in spec.timers:
        if state not in tm.states:
            continue
        last = fired.get(tm.id)
        if last is None:
            at = first_fire_at(tm, due=due, entered_at=entered_at, calendar=calendar)
            repeat = 1
        elif tm.repeat is not None and last[1] < tm.repeat.max:
            at = next_repeat_at(tm, last[0], calendar)
            repeat = last[1] + 1
        else:
            continue
        if at is not None:
            out.append(PlannedTimer(tm.id, at, repeat))
    return out


@dataclass(frozen=True)
class MigrationItem:
    """What migrating one directive does (or would do, in a dry run), or why it cannot."""

    directive_id: int
    title: str
    from_state: str
    from_label: str
    to_state: str | None = None
    to_label: str | None = None
    renamed: Mapping[str, str] = field(default_factory=dict)
    timers_cancelled: int = 0
    timers: tuple[PlannedTimer, ...] = ()
    entered_at: datetime | None = None
    reason: str | None = None  # set when it cannot migrate (Vietnamese, for the admin)

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class MigrationReport:
    """The outcome of :meth:`Engine.migrate`: one item per directive looked at."""

    plan: MigrationPlan
    dry_run: bool
    items: tuple[MigrationItem, ...]
    batches: int

    @property
    def migrated(self) -> tuple[MigrationItem, ...]:
        """Directives moved (in a dry run: that would move)."""
        return tuple(i for i in self.items if i.ok)

    @property
    def refused(self) -> tuple[MigrationItem, ...]:
        return tuple(i for i in self.items if not i.ok)
