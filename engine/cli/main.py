"""The ``dondoc`` app: the command groups assembled, and :func:`main`, the entry point.

No business logic lives in the CLI. Errors from :mod:`dondoc.errors` become a message on stderr
and the exit code from :func:`dondoc.errors.exit_code`; nothing a user can type produces a
traceback. Commands are registered in the order ``dondoc --help`` lists them.
"""

from __future__ import annotations

import os
import sys

import typer

from .. import errors
from .admin import audit_app, db_app, token_app
from .common import err
from .directives import deadline, directives_app, stats
from .documents import extract, import_document, outbox_list, render
from .evaluate import evaluate
from .instances import instances_app
from .moves import register as register_moves
from .ops import register as register_ops
from .people import office_app, people_app
from .reports import reports_app
from .run import demo, serve, worker
from .workflows import graph, schema, validate, workflows_app

app = typer.Typer(
    help="dondoc — theo dõi, đôn đốc nhiệm vụ: a workflow engine for directives.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(validate)
app.command()(schema)
app.command()(graph)
app.command()(deadline)
app.command()(stats)
app.command()(serve)
app.command()(render)
app.command("outbox")(outbox_list)
app.command()(extract)
app.command("import")(import_document)
app.command()(evaluate)
app.command()(demo)
app.command()(worker)
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
register_moves(directives_app)
app.add_typer(directives_app, name="directives")
app.add_typer(audit_app, name="audit")
app.add_typer(workflows_app, name="workflows")
app.add_typer(people_app, name="people")
app.add_typer(office_app, name="office")
app.add_typer(instances_app, name="instances")
app.add_typer(reports_app, name="reports")
register_ops(app, db_app)


def main() -> None:
    """Console-script entry point: run the app, turning dondoc errors into exit codes."""
    try:
        app()
    except errors.DondocError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(errors.exit_code(exc))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    main()
