"""Who receives a notification: roles and units resolved to people.

The embedding back-end knows its people; dondoc asks it through the :class:`Directory` port.
The default :class:`SimpleDirectory` reads a YAML file::

    people:
      phuong: {name: Nguyễn Phương, email: phuong@example.gov.vn, unit: Thanh tra Sở}
      thang: {name: Hoàng Mạnh Thắng, email: thang@example.gov.vn}
    unit_heads:
      Thanh tra Sở: phuong

Bound roles resolve through the directive (``assignee`` is its assignee); ``lead_unit`` and
``cooperating_unit`` resolve to the head of each unit, or to the unit itself when no head is
known (``unit:<name>``), so a message is never dropped for lack of a directory entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from ..errors import PayloadError


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str
    email: str | None = None
    webhook: str | None = None


class DirectiveFields(Protocol):
    @property
    def assignee(self) -> str | None: ...
    @property
    def assigner(self) -> str | None: ...
    @property
    def reviewer(self) -> str | None: ...
    @property
    def lead_unit(self) -> str | None: ...
    @property
    def cooperating_units(self) -> Sequence[str]: ...


class Directory(Protocol):
    """Port: the back-end's knowledge of people and units."""

    def resolve(self, role: str, directive: DirectiveFields) -> list[Recipient]:
        """The people who hold ``role`` on ``directive`` (empty when nobody does)."""
        ...

    def person(self, person_id: str) -> Recipient:
        """A person by id (a placeholder Recipient when unknown)."""
        ...


class SimpleDirectory:
    """A directory from a mapping (or a YAML file); unknown people keep their id as name."""

    def __init__(
        self,
        people: Mapping[str, Mapping[str, Any]] | None = None,
        unit_heads: Mapping[str, str] | None = None,
    ) -> None:
        self.people = {k: dict(v) for k, v in (people or {}).items()}
        self.unit_heads = dict(unit_heads or {})

    @classmethod
    def from_file(cls, path: str | Path) -> SimpleDirectory:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise PayloadError("directory", f"cannot read {path}: {exc}") from None
        if not isinstance(raw, dict) or set(raw) - {"people", "unit_heads"}:
            raise PayloadError("directory", f"{path}: expected keys 'people' and/or 'unit_heads'")
        return cls(raw.get("people") or {}, raw.get("unit_heads") or {})

    def person(self, person_id: str) -> Recipient:
        info = self.people.get(person_id, {})
        return Recipient(
            person_id, str(info.get("name", person_id)), info.get("email"), info.get("webhook")
        )

    def _unit(self, unit: str) -> Recipient:
        head = self.unit_heads.get(unit)
        if head is not None:
            return self.person(head)
        return Recipient(f"unit:{unit}", unit)

    def resolve(self, role: str, directive: DirectiveFields) -> list[Recipient]:
        if role in ("assignee", "assigner", "reviewer"):
            who = getattr(directive, role)
            return [self.person(who)] if who else []
        if role == "lead_unit":
            return [self._unit(directive.lead_unit)] if directive.lead_unit else []
        if role == "cooperating_unit":
            return [self._unit(u) for u in directive.cooperating_units]
        # A granted role (e.g. 'reviewer' held by the board): whoever the directory lists for it.
        return [self.person(p) for p, info in self.people.items() if role in info.get("roles", ())]
