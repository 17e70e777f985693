"""State diagrams of a workflow: Mermaid (for Markdown) and Graphviz DOT. Pure."""

from __future__ import annotations

from collections import defaultdict

from .spec import WorkflowSpec


def _edges(spec: WorkflowSpec) -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t in spec.transitions:
        for src in spec.sources_of(t):
            edges[(src, t.dest)].append(t.trigger)
    return edges


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_mermaid(spec: WorkflowSpec) -> str:
    """A Mermaid ``stateDiagram-v2`` with Vietnamese state labels and trigger names on edges."""
    lines = ["stateDiagram-v2", f"    %% {spec.workflow} v{spec.version}: {spec.title}"]
    for s in spec.states:
        lines.append(f'    state "{_quote(s.label)}" as {s.id}')
    lines.append(f"    [*] --> {spec.initial_state}")
    for (src, dest), triggers in _edges(spec).items():
        lines.append(f"    {src} --> {dest}: {', '.join(triggers)}")
    for s in spec.states:
        if s.final:
            lines.append(f"    {s.id} --> [*]")
    return "\n".join(lines) + "\n"


def to_dot(spec: WorkflowSpec) -> str:
    """A Graphviz digraph: double circles for final states, a point for the start."""
    lines = [
        f'digraph "{_quote(spec.workflow)}" {{',
        f'    label="{_quote(spec.title)} (v{spec.version})";',
        "    rankdir=LR;",
        "    node [shape=box, style=rounded];",
        "    __start [shape=point];",
    ]
    for s in spec.states:
        shape = ", peripheries=2" if s.final else ""
        lines.append(f'    {s.id} [label="{_quote(s.label)}"{shape}];')
    lines.append(f"    __start -> {spec.initial_state};")
    for (src, dest), triggers in _edges(spec).items():
        lines.append(f'    {src} -> {dest} [label="{_quote(", ".join(triggers))}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
