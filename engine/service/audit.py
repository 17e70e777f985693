"""Audit verification: recompute each directive's hash chain and compare it with its head."""

from __future__ import annotations

from collections.abc import Iterable

from ..core.records import AuditReport
from .base import EngineBase
from .chain import verify_chain


class Audit(EngineBase):
    """Verification of the audit trail."""

    def verify_audit(self, directive_ids: Iterable[int] | None = None) -> AuditReport:
        """Recompute the hash chains of the given directives (all when None)."""
        breaks: list[str] = []
        n_events = 0
        with self._tx() as repo:
            ids = (
                list(directive_ids)
                if directive_ids is not None
                else repo.directive_ids_with_events()
            )
            for did in ids:
                events = repo.events(did)
                n_events += len(events)
                rows = [
                    {
                        "seq": e.seq,
                        "at": e.at,
                        "actor": e.actor,
                        "role": e.role,
                        "kind": e.kind,
                        "trigger": e.trigger,
                        "from_state": e.from_state,
                        "to_state": e.to_state,
                        "payload": e.payload,
                        "prev_hash": e.prev_hash,
                        "hash": e.hash,
                    }
                    for e in events
                ]
                breaks.extend(str(b) for b in verify_chain(did, rows))
                head = repo.load_directive(did)
                last_hash = rows[-1]["hash"] if rows else ""
                if head is not None and (head.event_seq, head.event_hash) != (
                    len(rows) and rows[-1]["seq"],
                    last_hash,
                ):
                    breaks.append(
                        f"directive {did}: its chain head is event #{head.event_seq} but the trail ends "
                        f"at #{rows[-1]['seq'] if rows else 0} (events removed or added behind dondoc's back)"
                    )
        return AuditReport(len(ids), n_events, tuple(breaks))
