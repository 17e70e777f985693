"""Schemathesis against /openapi.json: generated requests (valid and invalid) never get a 500.

Bounded (a few examples per operation) so it stays quick; the checks are "not a server error"
only — the point is that no input, however odd, crashes the service.
"""

from __future__ import annotations

import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path

warnings.filterwarnings("ignore", category=DeprecationWarning)
import schemathesis  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from dondoc import Engine, FakeClock  # noqa: E402
from dondoc.cli.demo import load_demo_data  # noqa: E402
from dondoc.web.api import create_app  # noqa: E402

_TMP = tempfile.TemporaryDirectory(prefix="dondoc-fuzz-")
ENGINE = Engine(
    f"sqlite:///{Path(_TMP.name) / 'fuzz.db'}",
    clock=FakeClock(datetime(2024, 3, 20, 2, tzinfo=UTC)),
)
TOKEN = next(iter(load_demo_data(ENGINE).values()))  # the board: admin, sees everything
APP = create_app(ENGINE)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"}, checks=[not_a_server_error]
    )
