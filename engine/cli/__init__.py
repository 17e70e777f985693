"""The ``dondoc`` command line: one module per command group, assembled in :mod:`.main`."""

from .main import app, main

__all__ = ["app", "main"]
