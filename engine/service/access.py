"""API tokens: issue, authenticate, revoke (only a token's hash is stored)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa

from ..core.actors import Actor
from ..store.tables import (
    ApiTokenRow,
)
from .base import EngineBase

#: A token is refused this long after it was issued; rotate tokens by issuing new ones.
TOKEN_LIFETIME = timedelta(days=180)


class Access(EngineBase):
    """API tokens."""

    def create_token(
        self,
        person: str,
        *,
        roles: Iterable[str] = (),
        unit: str | None = None,
        name: str | None = None,
    ) -> str:
        """Issue a bearer token for ``person``; returns it once (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        with self._tx() as repo:
            repo.s.add(
                ApiTokenRow(
                    token_hash=_token_hash(token),
                    person=person,
                    name=name,
                    unit=unit,
                    roles=sorted(set(roles)),
                    created_at=self.clock.now(),
                    revoked_at=None,
                )
            )
        return token

    def authenticate(self, token: str) -> Actor | None:
        """The actor a bearer token stands for (None when unknown or revoked)."""
        with self._tx() as repo:
            row = repo.s.scalar(
                sa.select(ApiTokenRow).where(ApiTokenRow.token_hash == _token_hash(token))
            )
            if row is None or row.revoked_at is not None:
                return None
            if row.created_at + TOKEN_LIFETIME < self.clock.now():
                return None  # expired: issue a new one (dondoc token create)
            return Actor(row.person, frozenset(row.roles or ()), row.unit, row.name)

    def revoke_token(self, token: str) -> bool:
        """Revoke one token (logging out); False when it was unknown or already revoked."""
        with self._tx() as repo:
            row = repo.s.scalar(
                sa.select(ApiTokenRow).where(ApiTokenRow.token_hash == _token_hash(token))
            )
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = self.clock.now()
            return True

    def revoke_tokens(self, person: str) -> int:
        with self._tx() as repo:
            rows = list(
                repo.s.scalars(
                    sa.select(ApiTokenRow).where(
                        ApiTokenRow.person == person, ApiTokenRow.revoked_at.is_(None)
                    )
                )
            )
            for row in rows:
                row.revoked_at = self.clock.now()
            return len(rows)

    def token_count(self) -> int:
        with self._tx() as repo:
            return int(repo.s.scalar(sa.select(sa.func.count()).select_from(ApiTokenRow)) or 0)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
