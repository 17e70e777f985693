"""Evaluation from the tracked work: Decree 335/2025 scores per person or unit and period.

The outputs of a person are the directives assigned to them (a sub-directive delegated to a
specialist counts for the specialist; a cooperating unit's contribution counts as that unit's
own output); the policy (:mod:`dondoc.evaluation.policy`) decides the rest. Every line of the
result names the directive behind it, its original and current due and its completion day, so
a score can be checked by hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from ..clock import local_date
from ..core.actors import Actor
from ..core.permissions import Permission, can
from ..core.records import Directive
from ..deadlines.periods import Period
from ..errors import PayloadError
from ..evaluation import BAND_LABELS, DEFAULT_POLICY, EvaluationPolicy, Output, Score, score
from ..store import movestore
from ..store.tables import DirectiveRow, EventRow
from .queries import Queries

BY = ("person", "unit")


@dataclass(frozen=True)
class Evaluated:
    """One person's (or unit's) result in a period, with the directives behind it."""

    subject: str
    name: str
    score: Score
    directives: dict[int, Directive]

    def as_dict(self, policy: EvaluationPolicy) -> dict[str, Any]:
        s = self.score
        band = s.band(policy)
        return {
            "subject": self.subject,
            "name": self.name,
            "assigned": s.assigned,
            "counts": s.counts(),
            "quantity_pct": s.quantity_pct,
            "quality_pct": s.quality_pct,
            "progress_pct": s.progress_pct,
            "task_points": s.task_points,
            "general_points": s.general_points,
            "total": s.total,
            "band": band,
            "band_label": BAND_LABELS[band] if band else None,
            "notes": list(s.notes),
            "outputs": [
                {
                    "directive_id": ln.output.id,
                    "title": ln.output.title,
                    "kind": ln.output.kind,
                    "weight": ln.weight,
                    "original_due": ln.output.first_due,
                    "due": ln.output.due,
                    "completed": ln.output.completed,
                    "excused": ln.output.excused,
                    "delays": ln.delays,
                    "quality_failures": ln.output.quality_failures,
                    "counted": ln.counted,
                    "quantity": ln.quantity,
                    "quality": ln.quality,
                    "progress": ln.progress,
                    "reason": ln.reason,
                }
                for ln in s.lines
            ],
        }


@dataclass(frozen=True)
class EvaluationReport:
    period: Period
    by: str
    policy: EvaluationPolicy
    rows: tuple[Evaluated, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": str(self.period),
            "period_label": self.period.label,
            "start": self.period.start,
            "end": self.period.end,
            "by": self.by,
            "progress_due_basis": self.policy.progress_due_basis,
            "rows": [r.as_dict(self.policy) for r in self.rows],
        }


class Evaluation(Queries):
    """Scores of people and units from their directives."""

    def evaluate(
        self,
        period: str | Period,
        *,
        by: str = "person",
        policy: EvaluationPolicy | None = None,
        actor: Actor | None = None,
        general: dict[str, dict[str, Any]] | None = None,
        subjects: Iterable[str] | None = None,
    ) -> EvaluationReport:
        """Evaluate every person (or unit) with outputs in ``period`` ("2024-Q2", "2024-06").

        ``general`` gives, per subject, the general-criteria points (``general``, art. 12(2))
        and a ``disqualified`` flag (art. 20(4)(b)–(d)); without them the total and band stay
        empty. With ``actor``, only what they may see counts (and without the review
        permission, only their own result and their unit's).
        """
        if by not in BY:
            raise PayloadError("by", "cần person (theo người) hoặc unit (theo đơn vị)")
        p = period if isinstance(period, Period) else Period.parse(period)
        pol = policy or DEFAULT_POLICY
        records = self._period_directives(p)
        if actor is not None and not (
            can(actor, Permission.REVIEW) or can(actor, Permission.ADMIN)
        ):
            records = [d for d in records if self.can_see(actor, d)]
            mine = {actor.id} | ({actor.unit} if actor.unit else set())
            subjects = [s for s in (subjects or mine) if s in mine]
        ids = [d.id for d in records]
        failures = self._count_events(ids, set(pol.quality_failure_triggers))
        extended = self._extension_days(records)
        excused = self._excused(ids)
        delegated_parents = {d.parent_id for d in records if d.kind == "delegated"}
        outputs: dict[str, list[Output]] = defaultdict(list)
        for d in records:
            subject = self._subject_of(d, by, delegated_parents, pol)
            if subject is None:
                continue
            outputs[subject].append(
                Output(
                    id=d.id,
                    due=d.due,
                    original_due=d.original_due,
                    completed=local_date(d.done_at)
                    if d.done_at and d.outcome != "cancelled"
                    else None,
                    extension_approved_on=extended.get(d.id),
                    excused=d.id in excused,
                    quality_failures=failures.get(d.id, 0),
                    kind={"delegated": "delegated", "contribution": "cooperation"}.get(
                        d.kind, "own"
                    ),
                    title=d.title,
                )
            )
        wanted = set(subjects) if subjects is not None else None
        by_id = {d.id: d for d in records}
        rows = []
        for subject in sorted(outputs):
            if wanted is not None and subject not in wanted:
                continue
            extra = (general or {}).get(subject, {})
            s = score(
                outputs[subject],
                p,
                subject=subject,
                policy=pol,
                general_points=extra.get("general"),
                disqualified=bool(extra.get("disqualified")),
            )
            if not s.lines:
                continue
            name = self.directory.person(subject).name if by == "person" else subject
            rows.append(
                Evaluated(
                    subject,
                    name,
                    s,
                    {int(ln.output.id): by_id[int(ln.output.id)] for ln in s.lines},
                )
            )
        return EvaluationReport(p, by, pol, tuple(rows))

    # --- what the evaluation reads ----------------------------------------------------------
    @staticmethod
    def _subject_of(
        d: Directive, by: str, delegated_parents: set[int | None], pol: EvaluationPolicy
    ) -> str | None:
        if d.outcome == "cancelled":
            return None
        if by == "unit":
            # a unit's output is what it leads; its specialists' sub-directives are part of it
            return None if d.kind == "delegated" else d.lead_unit
        if d.id in delegated_parents and pol.delegator_credit == "none":
            return None  # delegated down: it counts for the specialists
        return d.assignee

    def _period_directives(self, p: Period) -> list[Directive]:
        """Directives whose current or original due falls in the period, or without a due
        and completed in it (the scoring decides which of them belong to the period)."""
        t = DirectiveRow
        in_p = (t.due >= p.start) & (t.due <= p.end)
        orig = (t.original_due >= p.start) & (t.original_due <= p.end)
        no_due = t.due.is_(None) & t.done_at.is_not(None)
        with self._tx() as repo:
            rows = repo.s.scalars(sa.select(t).where(in_p | orig | no_due).order_by(t.id))
            return [self._to_record(repo, r) for r in rows]

    def _count_events(self, ids: list[int], triggers: set[str]) -> dict[int, int]:
        if not ids or not triggers:
            return {}
        e = EventRow
        with self._tx() as repo:
            q = (
                sa.select(e.directive_id, sa.func.count())
                .where(e.directive_id.in_(ids), e.kind == "transition", e.trigger.in_(triggers))
                .group_by(e.directive_id)
            )
            return {int(did): int(n) for did, n in repo.s.execute(q)}

    def _extension_days(self, records: list[Directive]) -> dict[int, date]:
        """The local day each extended directive's (last) extension was approved."""
        extended = [d for d in records if d.original_due is not None and d.due != d.original_due]
        if not extended:
            return {}
        triggers: dict[int, set[str]] = {}
        with self._tx() as repo:
            for d in extended:
                spec = self._compiled(repo, d.workflow, d.workflow_version).spec
                triggers[d.id] = {t.trigger for t in spec.transitions if t.extend_due}
            e = EventRow
            q = (
                sa.select(e.directive_id, e.trigger, e.at)
                .where(e.directive_id.in_([d.id for d in extended]), e.kind == "transition")
                .order_by(e.directive_id, e.seq)
            )
            out: dict[int, date] = {}
            for did, trig, at in repo.s.execute(q):
                if trig in triggers.get(int(did), ()):
                    out[int(did)] = local_date(at)
            return out

    def _excused(self, ids: list[int]) -> set[int]:
        """Directives with an explanation assessed as objective (art. 14(2)(c) exception)."""
        if not ids:
            return set()
        with self.db.connect() as conn:
            rows = movestore.explanations(
                conn, status="assessed", verdict="objective", directive_ids=ids
            )
        return {int(x["directive_id"]) for x in rows}
