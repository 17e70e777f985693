"""The people directory: who a login id is, and who holds a role on a directive.

What people read is addressed to people: "Hoàng Thị Luyến – Phó Chánh Thanh tra", never
``luyen``. The embedding back-end knows its people; dondoc asks it through the
:class:`Directory` port. The default, :class:`SimpleDirectory`, is a mapping that a deployment
keeps in its database (``dondoc people load FILE``, or :meth:`Engine.set_directory`), so every
command, the worker and the server on that database read the same one. Its YAML form::

    people:
      phuong:
        name: Nguyễn Phương
        position: Chánh Thanh tra
        unit: Thanh tra Sở
        email: phuong@example.gov.vn
      thang: {name: Hoàng Mạnh Thắng, position: Phó Giám đốc Sở, roles: [reviewer]}
    unit_heads:
      Thanh tra Sở: phuong

Contract of the port:

- :meth:`Directory.person` never fails: an unknown id comes back as a placeholder
  :class:`Recipient` whose ``name`` is the id and ``known`` is False.
- :meth:`Directory.display` is the one way to show a person: full name and position, or the
  id itself for someone the directory does not know (and a logged warning, once per id).
- :meth:`Directory.resolve`: bound roles resolve through the directive (``assignee`` is its
  assignee); ``lead_unit`` and ``cooperating_unit`` resolve to the head of each unit, or to
  the unit itself when no head is known (``unit:<name>``), so a message is never dropped for
  lack of a directory entry; any other role to the people the directory lists with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import PayloadError
from .yamlsource import read_yaml

log = logging.getLogger("dondoc.directory")
log.addHandler(logging.NullHandler())  # a library: silent unless the application logs

#: The one separator between a name and a position ("Hoàng Thị Luyến – Phó Chánh Thanh tra").
DASH = " – "
PERSON_KEYS = ("name", "position", "unit", "email", "webhook", "roles")
#: How the scheduler and other system actors (``system:…``) are shown.
SYSTEM = "Hệ thống (tự động)"
MAX_PEOPLE = 100_000
MAX_TEXT = 300


@dataclass(frozen=True)
class Recipient:
    """A person (or, for ``unit:<name>``, a unit without a known head) as the directory knows them."""

    id: str
    name: str
    email: str | None = None
    webhook: str | None = None
    position: str | None = None
    unit: str | None = None
    known: bool = True

    @property
    def display(self) -> str:
        """Full name and position; the name alone without a position; the id when unknown."""
        return f"{self.name}{DASH}{self.position}" if self.position else self.name

    def as_context(self) -> dict[str, Any]:
        """What templates see of the person (``recipient.display``, ``recipient.name``, …)."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "webhook": self.webhook,
            "position": self.position,
            "unit": self.unit,
            "known": self.known,
            "display": self.display,
        }


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
        """A person by id (a placeholder Recipient, ``known=False``, when unknown)."""
        ...

    def display(self, person_id: str | None) -> str:
        """'Full Name – Position' for a known person, the id itself otherwise ('—' for None)."""
        ...


class SimpleDirectory:
    """A directory from a mapping (or a YAML file); unknown people keep their id as name."""

    def __init__(
        self,
        people: Mapping[str, Mapping[str, Any]] | None = None,
        unit_heads: Mapping[str, str] | None = None,
    ) -> None:
        self.people = {str(k): dict(v) for k, v in (people or {}).items()}
        self.unit_heads = {str(k): str(v) for k, v in (unit_heads or {}).items()}
        self._warned: set[str] = set()

    # --- loading and storing -------------------------------------------------------------

    @classmethod
    def from_mapping(cls, raw: Any, source: str = "directory") -> SimpleDirectory:
        """Validate a parsed directory document; :class:`PayloadError` names the bad field."""
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise PayloadError("directory", f"{source}: expected a mapping with 'people'")
        extra = sorted(set(raw) - {"people", "unit_heads"})
        if extra:
            raise PayloadError(
                extra[0], f"{source}: unknown key; expected 'people' and/or 'unit_heads'"
            )
        people_raw = raw.get("people") or {}
        heads_raw = raw.get("unit_heads") or {}
        if not isinstance(people_raw, Mapping):
            raise PayloadError("people", f"{source}: expected a mapping id → person")
        if not isinstance(heads_raw, Mapping):
            raise PayloadError("unit_heads", f"{source}: expected a mapping unit → person id")
        if len(people_raw) > MAX_PEOPLE:
            raise PayloadError("people", f"{source}: more than {MAX_PEOPLE} people")
        people: dict[str, dict[str, Any]] = {}
        for pid, info in people_raw.items():
            people[_text(pid, f"people.{pid}")] = _person(str(pid), info, source)
        heads = {
            _text(u, f"unit_heads.{u}"): _text(p, f"unit_heads.{u}") for u, p in heads_raw.items()
        }
        for unit, head in heads.items():
            if head not in people:
                raise PayloadError(
                    f"unit_heads.{unit}", f"{source}: {head!r} is not among the people"
                )
        return cls(people, heads)

    @classmethod
    def from_file(cls, path: str | Path) -> SimpleDirectory:
        """Read a directory YAML file, bounded like every admin file (:func:`read_yaml`); a
        larger directory is given through the embedding API instead."""
        return cls.from_mapping(read_yaml(path, "directory"), str(path))

    def to_mapping(self) -> dict[str, Any]:
        """The document :meth:`from_mapping` reads back (what a deployment stores)."""
        return {
            "people": {k: dict(v) for k, v in self.people.items()},
            "unit_heads": self.unit_heads,
        }

    # --- the port ------------------------------------------------------------------------

    def person(self, person_id: str) -> Recipient:
        info = self.people.get(person_id)
        if info is None:
            return Recipient(person_id, person_id, known=False)
        return Recipient(
            person_id,
            str(info.get("name") or person_id),
            info.get("email"),
            info.get("webhook"),
            info.get("position"),
            info.get("unit"),
        )

    def display(self, person_id: str | None) -> str:
        if not person_id:
            return "—"
        if person_id.startswith("unit:"):
            return person_id.removeprefix("unit:")
        if person_id.startswith("system:"):
            return SYSTEM
        if person_id.startswith("admin:"):  # the local administrator (dondoc ... --as-admin)
            return f"Quản trị viên ({person_id.removeprefix('admin:')})"
        who = self.person(person_id)
        if not who.known and person_id not in self._warned:
            self._warned.add(person_id)
            log.warning("person %r is not in the people directory; shown by login id", person_id)
        return who.display

    def unknown(self, ids: Iterable[str | None]) -> list[str]:
        """The ids among ``ids`` this directory does not know, in order, once each."""
        seen: list[str] = []
        for i in ids:
            if (
                i
                and not i.startswith(("unit:", "system:", "admin:"))
                and i not in self.people
                and i not in seen
            ):
                seen.append(i)
        return seen

    def unit_head(self, unit: str) -> Recipient | None:
        head = self.unit_heads.get(unit)
        return self.person(head) if head is not None else None

    def _unit(self, unit: str) -> Recipient:
        return self.unit_head(unit) or Recipient(f"unit:{unit}", unit)

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


def display(directory: Directory, person_id: str | None) -> str:
    """``directory.display(person_id)``, also for a back-end's directory written before the port
    had ``display`` (it then shows ``person(id).name``)."""
    method = getattr(directory, "display", None)
    if callable(method):
        return str(method(person_id))
    if not person_id:
        return "—"
    return directory.person(person_id).name


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise PayloadError(field, "expected a non-empty text")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise PayloadError(field, f"dài quá {MAX_TEXT} ký tự")
    return text


def _person(pid: str, info: Any, source: str) -> dict[str, Any]:
    where = f"people.{pid}"
    if isinstance(info, str):  # the short form: `luyen: Hoàng Thị Luyến`
        info = {"name": info}
    if not isinstance(info, Mapping):
        raise PayloadError(where, f"{source}: expected a mapping with at least 'name'")
    extra = sorted(set(info) - set(PERSON_KEYS))
    if extra:
        raise PayloadError(
            f"{where}.{extra[0]}", f"{source}: unknown key; expected {', '.join(PERSON_KEYS)}"
        )
    if "name" not in info:
        raise PayloadError(f"{where}.name", f"{source}: every person needs a full name")
    person: dict[str, Any] = {}
    for key in ("name", "position", "unit", "email", "webhook"):
        if info.get(key) is not None:
            person[key] = _text(info[key], f"{where}.{key}")
    roles = info.get("roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise PayloadError(f"{where}.roles", f"{source}: expected a list of role names")
    if roles:
        person["roles"] = list(roles)
    return person
