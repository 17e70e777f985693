"""The ``dondoc`` command line: one module per command group, assembled in :mod:`.main`."""

from dondoc.cli.main import app, main

__all__ = ["app", "main"]
