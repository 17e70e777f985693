"""The files we ship: every bundled workflow loads, compiles, and matches the published schema."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from dondoc import json_schema
from dondoc.core.graph import to_dot, to_mermaid
from dondoc.core.machine import CompiledWorkflow
from dondoc.core.spec import (
    FieldSpec,
    NotifySpec,
    RoleSpec,
    StateSpec,
    TimerRepeat,
    TimerSpec,
    TimerWhen,
    TransitionSpec,
    WorkflowSpec,
    bundled_workflow_files,
    load_workflow_file,
)
from dondoc.core.yamlsource import load_yaml
from dondoc.errors import DondocError

FILES = bundled_workflow_files()
ROOT = Path(__file__).resolve().parents[1]


def test_three_bundled_workflows_are_shipped() -> None:
    names = {p.stem for p in FILES}
    assert {
        "remediation_self_assessment",
        "monthly_briefing_task",
        "inspection_review_meeting",
        "conclusion",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_workflow_loads_compiles_and_fits_the_schema(path) -> None:  # type: ignore[no-untyped-def]
    lw = load_workflow_file(path)
    compiled = CompiledWorkflow(lw)
    # a shared machine with its one token model, whatever the number of decisions made
    assert len(compiled.machine.models) == 1
    for state in lw.spec.states:
        for trigger in compiled.allowed_triggers(state.id):
            with contextlib.suppress(DondocError):
                compiled.decide(state.id, trigger, {"admin", "system"}, {})
    assert len(compiled.machine.models) == 1
    data, _, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    assert problems == []
    jsonschema.validate(data, json_schema())
    assert "stateDiagram-v2" in to_mermaid(lw.spec)
    assert to_dot(lw.spec).startswith("digraph")
    for s in lw.spec.states:  # Vietnamese labels everywhere
        assert s.label and s.label != s.id


def _schema_keys(schema: dict, name: str) -> set[str]:  # type: ignore[type-arg]
    node = schema if name == "WorkflowSpec" else schema["$defs"][name]
    return set(node["properties"])


@pytest.mark.parametrize(
    "model",
    [
        WorkflowSpec,
        StateSpec,
        RoleSpec,
        TransitionSpec,
        FieldSpec,
        TimerSpec,
        TimerWhen,
        TimerRepeat,
        NotifySpec,
    ],
    ids=lambda m: m.__name__,
)
def test_schema_has_no_drift_from_the_parser(model) -> None:  # type: ignore[no-untyped-def]
    schema = json_schema()
    expected = {f.alias or n for n, f in model.model_fields.items()}
    assert _schema_keys(schema, model.__name__) == expected
    node = schema if model is WorkflowSpec else schema["$defs"][model.__name__]
    assert node.get("additionalProperties") is False


def test_schema_rejects_what_the_parser_rejects() -> None:
    bad = {
        "workflow": "x",
        "version": 1,
        "title": "t",
        "roles": {},
        "states": [],
        "transitions": [],
        "extra": 1,
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, json_schema())


def test_dondoc_schema_command_prints_the_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dondoc.cli", "schema"], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == json_schema()


# --- what the docs say about the bundled workflows (issue 17, item 5) ------------------------


def _readme_workflow_ids() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("\n## Bundled workflows\n", 1)[1].strip().split("\n\n", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", table, flags=re.M)


def test_the_readme_table_lists_every_bundled_workflow() -> None:
    bundled = sorted(p.stem for p in (ROOT / "workflows").glob("*.yaml"))
    assert sorted(_readme_workflow_ids()) == bundled
    assert "conclusion" in bundled


def test_the_whole_workflows_in_docs_validate_and_clash_with_no_bundled_id(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from dondoc.cli.main import app

    bundled = {p.stem for p in (ROOT / "workflows").glob("*.yaml")}
    text = (ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")
    whole = [b for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if "\nstates:" in b]
    assert len(whole) >= 2  # the annotated example and the one with moves
    for n, block in enumerate(whole):
        ident = re.search(r"^workflow: (\w+)", block, flags=re.M)
        assert ident is not None and ident.group(1) not in bundled, ident
        path = tmp_path / f"example_{n}.yaml"
        path.write_text(block, encoding="utf-8")
        result = CliRunner().invoke(app, ["validate", str(path)])
        assert result.exit_code == 0, result.output


VIETNAMESE = re.compile(r"[À-ỹĐđ]")  # a letter only Vietnamese (among what we ship) writes


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_name_a_clerk_reads_has_a_vietnamese_label(path: Path) -> None:
    """Issue 17: timelines, the demo and the CLI show labels, never ids like
    'remind_before_due' — so every state, trigger, timer, role and payload field of a
    bundled workflow has a Vietnamese label."""
    spec = load_workflow_file(path).spec
    named = [
        *((f"state {s.id}", s.label) for s in spec.states),
        *((f"trigger {t.trigger}", t.label) for t in spec.transitions),
        *((f"timer {t.id}", t.label) for t in spec.timers),
        *((f"role {r}", s.label) for r, s in spec.roles.items()),
        *(
            (f"field {t.trigger}.{name}", f.label)
            for t in spec.transitions
            for name, f in (t.payload or {}).items()
        ),
    ]
    missing = [what for what, label in named if not label or not VIETNAMESE.search(label)]
    assert missing == []
