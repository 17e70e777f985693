"""Operating dondoc: health and readiness checks, worker heartbeats, Prometheus metrics,
structured logs and backups (docs/operations.md). Adapters (the server, the worker, the command
line) use these; the Engine itself knows nothing of them."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata


@lru_cache(maxsize=1)
def dondoc_version() -> str:
    """The installed dondoc's version (``unknown`` when run from a bare source tree)."""
    try:
        return metadata.version("dondoc")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed in practice
        return "unknown"
