"""Every validation rule, each asserting the reported line (and that all problems come at once)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dondoc.core.spec import load_workflow_file, parse_workflow
from dondoc.errors import WorkflowError

INVALID = Path(__file__).parent / "data" / "invalid"
EXPECT = re.compile(r"^# expect: (\d+): (.+)$")


def _expectations(path: Path) -> list[tuple[int, str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = EXPECT.match(line)
        if m:
            out.append((int(m.group(1)), m.group(2)))
    return out


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_file_reports_every_problem_at_its_line(path: Path) -> None:
    expected = _expectations(path)
    assert expected, f"{path.name} declares no '# expect:' lines"
    with pytest.raises(WorkflowError) as info:
        load_workflow_file(path)
    problems = info.value.problems
    reported = [(p.line, p.message) for p in problems]
    for line, text in expected:
        assert any(pl == line and text in msg for pl, msg in reported), (
            f"expected '{text}' at line {line}; got:\n" + "\n".join(map(str, problems))
        )
    # Nothing unexpected: every reported problem is one of the declared ones.
    assert len(problems) == len(expected), "\n".join(map(str, problems))
    assert all(p.path == str(path) and p.column >= 1 for p in problems)


def test_problem_renders_as_path_line_column_message() -> None:
    text = "workflow: x\nversion: 1\ntitle: T\nroles: {a: {label: A}}\nstates:\n  - {id: s, label: S, initial: true}\n  - {id: e, label: E, final: true}\ntransitions:\n  - {trigger: go, source: s, dest: ee, roles: [a]}\n"
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text, "wf.yaml")
    assert str(info.value.problems[0]).startswith("wf.yaml:9:")
    assert "không có trạng thái 'ee' (có phải 'e'?)" in str(info.value)


@pytest.mark.parametrize(
    "name", ["on", "off", "yes", "no", "y", "n", "true_state"], ids=lambda n: f"state-{n}"
)
def test_yaml_11_booleans_do_not_mangle_ids(name: str) -> None:
    text = f"""
workflow: bools
version: 1
title: T
roles: {{a: {{label: A}}}}
states:
  - {{id: start, label: S, initial: true}}
  - {{id: {name}, label: X, final: true}}
transitions:
  - {{trigger: go, source: start, dest: {name}, roles: [a]}}
"""
    lw = parse_workflow(text)
    assert lw.spec.states[1].id == name
    assert isinstance(lw.spec.states[1].id, str)


def test_true_false_still_booleans() -> None:
    text = """
workflow: bools
version: 1
title: T
roles: {a: {label: A}}
states:
  - {id: start, label: S, initial: True}
  - {id: end, label: E, final: true}
transitions:
  - {trigger: go, source: start, dest: end, roles: [a]}
"""
    assert parse_workflow(text).spec.states[0].initial is True


def test_empty_and_non_mapping_documents() -> None:
    with pytest.raises(WorkflowError, match="tệp trống"):
        parse_workflow("", "e.yaml")
    with pytest.raises(WorkflowError, match="phải là một bảng") as info:
        parse_workflow("- a\n- b\n", "l.yaml")
    assert info.value.problems[0].line == 1


def test_two_initial_states_and_no_final() -> None:
    text = """workflow: x
version: 1
title: T
roles: {a: {label: A}}
states:
  - {id: s, label: S, initial: true}
  - {id: t, label: T, initial: true}
transitions:
  - {trigger: go, source: s, dest: t, roles: [a]}
  - {trigger: back, source: t, dest: s, roles: [a]}
"""
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text, "x.yaml")
    msgs = {(p.line, p.message) for p in info.value.problems}
    assert (7, "phải có đúng một trạng thái đầu (initial), đang có 2") in msgs
    assert any("phải có ít nhất một trạng thái cuối" in m for _, m in msgs)


def test_leaving_a_final_state_is_refused() -> None:
    text = """workflow: x
version: 1
title: T
roles: {a: {label: A}}
states:
  - {id: s, label: S, initial: true}
  - {id: e, label: E, final: true}
transitions:
  - {trigger: go, source: s, dest: e, roles: [a]}
  - {trigger: reopen, source: e, dest: s, roles: [a]}
"""
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text, "x.yaml")
    (problem,) = info.value.problems
    assert problem.line == 10
    assert "trạng thái cuối; không lệnh nào được rời khỏi nó" in problem.message


def test_extend_due_requires_new_due_date_field() -> None:
    text = """workflow: x
version: 1
title: T
roles: {a: {label: A}}
states:
  - {id: s, label: S, initial: true}
  - {id: e, label: E, final: true}
transitions:
  - {trigger: extend, source: s, dest: s, roles: [a], extend_due: true}
  - {trigger: go, source: s, dest: e, roles: [a]}
"""
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text, "x.yaml")
    (problem,) = info.value.problems
    assert problem.line == 9 and "new_due" in problem.message


def test_several_files_collect_all_problems_and_refuse_duplicate_versions(tmp_path: Path) -> None:
    from dondoc.core.spec import bundled_workflow_files, load_workflow_files

    bundled = bundled_workflow_files()[0]
    copy = tmp_path / "copy.yaml"
    copy.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("workflow: [\n", encoding="utf-8")
    with pytest.raises(WorkflowError) as info:
        load_workflow_files([bundled, copy, broken])
    paths = {p.path for p in info.value.problems}
    assert paths == {str(copy), str(broken)}
    assert any("đã được định nghĩa" in p.message for p in info.value.problems)
