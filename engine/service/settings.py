"""What a deployment keeps with its data: the people directory and the office profile.

Stored in the database (table ``settings``), so every command, the worker and the server on
that database read the same ones without extra files; a long-running process notices a change
within ``SETTINGS_TTL`` seconds (or at once with :meth:`EngineBase.reload_settings`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..core.directory import SimpleDirectory
from ..documents.office import Office
from ..errors import PayloadError
from .base import EngineBase


class Deployment(EngineBase):
    """Storing the people directory, the office profile and a demo's frozen clock."""

    def set_directory(self, directory: SimpleDirectory | dict[str, Any]) -> SimpleDirectory:
        """Keep ``directory`` (a :class:`SimpleDirectory` or its mapping, validated) with the
        deployment; it becomes this engine's directory unless one was given explicitly."""
        if isinstance(directory, dict):
            directory = SimpleDirectory.from_mapping(directory)
        if not isinstance(directory, SimpleDirectory):
            raise PayloadError("directory", "expected a SimpleDirectory or its mapping")
        self._put("directory", directory.to_mapping())
        return directory

    def set_office(self, office: Office | dict[str, Any]) -> Office:
        """Keep the office profile (header, place, signer) with the deployment."""
        if isinstance(office, dict):
            office = Office.from_mapping(office)
        self._put("office", office.to_mapping())
        return office

    def stored_directory(self) -> SimpleDirectory:
        """The directory kept with the deployment (empty when none is)."""
        return self._settings().directory

    def freeze_clock(self, at: datetime) -> None:
        """Mark this database as a demo frozen at ``at``: engines opened on it later without
        an explicit clock run on a clock stopped there (statuses and letters as of that day)."""
        if at.tzinfo is None:
            raise PayloadError("at", "expected an aware datetime")
        self._put("clock", {"frozen_at": at.isoformat()})

    def frozen_at(self) -> datetime | None:
        """When the database is a frozen demo: the instant its clock stands at."""
        return self._settings().frozen_at

    def _put(self, key: str, value: dict[str, Any]) -> None:
        with self._tx() as repo:
            repo.put_setting(key, value, self.clock.now())
        self.reload_settings()
