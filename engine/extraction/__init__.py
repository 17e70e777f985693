"""Extraction: from a conclusion document to draft directives (see :mod:`.document`).

Stages: :mod:`.reader` → :mod:`.header` → :mod:`.items` → :mod:`.assign`, results in
:mod:`.model`, the units directory in :mod:`.units`; :func:`extract` runs them in order.
"""

from __future__ import annotations

from .document import extract, normalize_for_search
from .header import parse_header
from .model import Draft, Extraction, Header
from .reader import clean, read_document
from .units import Unit, UnitsDirectory

__all__ = [
    "Draft",
    "Extraction",
    "Header",
    "Unit",
    "UnitsDirectory",
    "clean",
    "extract",
    "normalize_for_search",
    "parse_header",
    "read_document",
]
