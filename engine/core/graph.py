"""State diagrams of a workflow: Mermaid (for Markdown), Graphviz DOT and a plain SVG. Pure."""

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


def to_svg(spec: WorkflowSpec) -> str:
    """The state diagram as a self-contained SVG (no Graphviz): states in rows by their
    breadth-first depth from the initial state, arrows labelled with the transitions' labels.
    Simple on purpose: edges are straight lines (curved when they go back up or sideways)."""
    from collections import deque
    from html import escape

    depth: dict[str, int] = {spec.initial_state: 0}
    queue = deque([spec.initial_state])
    edges = _edges(spec)
    while queue:
        here = queue.popleft()
        for src, dest in edges:
            if src == here and dest not in depth:
                depth[dest] = depth[here] + 1
                queue.append(dest)
    bottom = max(depth.values(), default=0) + 1
    for s in spec.states:
        depth.setdefault(s.id, bottom)  # unreachable states go to a last row
    rows: dict[int, list[str]] = defaultdict(list)
    for s in spec.states:
        rows[depth[s.id]].append(s.id)
    box_w, box_h, gap_x, gap_y, pad = 170, 44, 40, 80, 20
    widest = max(len(r) for r in rows.values())
    width = pad * 2 + widest * box_w + (widest - 1) * gap_x
    pos: dict[str, tuple[float, float]] = {}
    for d, ids in sorted(rows.items()):
        row_w = len(ids) * box_w + (len(ids) - 1) * gap_x
        x0 = (width - row_w) / 2
        for i, sid in enumerate(ids):
            pos[sid] = (x0 + i * (box_w + gap_x), pad + d * (box_h + gap_y))
    height = pad * 2 + (max(rows) + 1) * box_h + max(rows) * gap_y
    labels = {t.trigger: t.label or t.trigger for t in spec.transitions}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="fit" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Sơ đồ trạng thái {escape(spec.title)}" font-family="DejaVu Sans, Arial" '
        'font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#4f5b69"/></marker></defs>',
    ]
    for (src, dest), triggers in edges.items():
        if src not in pos or dest not in pos:
            continue
        (x1, y1), (x2, y2) = pos[src], pos[dest]
        text = escape(", ".join(labels.get(t, t) for t in triggers))
        if src == dest:
            cx, cy = x1 + box_w, y1 + box_h / 2
            path = f"M{cx},{cy - 8} C{cx + 40},{cy - 30} {cx + 40},{cy + 30} {cx},{cy + 8}"
            lx, ly = cx + 44, cy
        else:
            sx, ex = x1 + box_w / 2, x2 + box_w / 2
            sy, ey = (y1 + box_h, y2) if y2 > y1 else (y1, y2 + box_h)
            if y2 > y1:
                path = f"M{sx},{sy} L{ex},{ey}"
            else:  # back up or sideways: bow out to the side
                bow = 60 if ex >= sx else -60
                path = f"M{sx},{sy} C{sx + bow},{sy - 40} {ex + bow},{ey + 40} {ex},{ey}"
            lx, ly = (sx + ex) / 2, (sy + ey) / 2
        out.append(
            f'<path d="{path}" fill="none" stroke="#4f5b69" stroke-width="1.2" '
            'marker-end="url(#arrow)"/>'
            f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" fill="#1b1f24" '
            f'paint-order="stroke" stroke="#fff" stroke-width="3">{text}</text>'
        )
    for s in spec.states:
        x, y = pos[s.id]
        fill = "#e6f4ea" if s.final else "#e8f0fb" if s.id == spec.initial_state else "#fff"
        border = 'stroke-width="2.5"' if s.final else 'stroke-width="1.2"'
        out.append(
            f'<g class="state" data-state="{escape(s.id)}"><rect x="{x:.0f}" y="{y:.0f}" '
            f'width="{box_w}" height="{box_h}" rx="8" fill="{fill}" stroke="#0b4f8a" {border}/>'
            f'<text x="{x + box_w / 2:.0f}" y="{y + box_h / 2 + 4:.0f}" text-anchor="middle" '
            f'fill="#1b1f24">{escape(s.label)}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
