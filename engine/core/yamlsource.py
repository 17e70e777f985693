"""Safe YAML loading that remembers where every value came from.

Admins author workflow files, so the loader is PyYAML's SafeLoader with one change and one
addition:

* booleans are only ``true``/``false`` (any case). YAML 1.1 would turn a state called ``on``,
  ``off``, ``yes`` or ``no`` into a boolean; here it stays a string.
* the document is bounded before anything is built from it (:mod:`dondoc.core.limits`): its
  size, nesting depth and number of aliases are checked on the parser's events (one linear pass,
  no recursion), and the values it expands to — aliases and merge keys counted each time they
  are used — while building. An alias bomb is refused, not expanded.
* every mapping value, mapping key and sequence item is recorded with its (line, column), keyed by
  its path from the root (``("transitions", 2, "dest")``), so later validation can point at the
  exact spot. Duplicate keys, which PyYAML silently overwrites, are reported.

Nothing here knows about workflows; :mod:`dondoc.core.spec` consumes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml

from ..errors import PayloadError, Problem
from .limits import MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES

Path = tuple[str | int, ...]


class _StrictBoolLoader(yaml.SafeLoader):
    """SafeLoader whose boolean resolver only accepts true/false."""


_StrictBoolLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictBoolLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass
class SourceMap:
    """Positions (1-based line, column) of values and keys in one YAML document."""

    path: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def position(self, at: Path, *, key: bool = False) -> tuple[int, int]:
        """Where ``at`` is; falls back to the nearest enclosing node that was recorded."""
        table = self.keys if key else self.values
        probe = tuple(at)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, at: Path, message: str, *, key: bool = False) -> Problem:
        line, column = self.position(at, key=key)
        return Problem(self.path, line, column, message)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _TooBig(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _bounds_problem(loader: _StrictBoolLoader, path: str) -> Problem | None:
    """Walk the parser's events once: a problem when the document nests too deep or uses too
    many aliases (before the composer recurses or anything expands)."""
    depth = aliases = 0
    while True:
        event = loader.get_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.StreamEndEvent):
            return None
        mark = event.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return Problem(path, line, col, f"lồng nhau quá {MAX_YAML_DEPTH} cấp")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                return Problem(path, line, col, f"quá {MAX_YAML_ALIASES} bí danh (*name)")


class _Builder:
    def __init__(self, loader: _StrictBoolLoader, source: SourceMap) -> None:
        self.loader = loader
        self.source = source
        self.problems: list[Problem] = []
        self.nodes = 0

    def build(self, node: yaml.Node, at: Path) -> Any:
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            line, col = _mark(node)
            raise _TooBig(
                Problem(
                    self.source.path,
                    line,
                    col,
                    f"tài liệu mở rộng ra quá {MAX_YAML_NODES} giá trị "
                    "(bí danh và khóa gộp được tính mỗi lần dùng)",
                )
            )
        self.source.values[at] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int):
                    line, col = _mark(key_node)
                    self.problems.append(
                        Problem(
                            self.source.path, line, col, f"khóa phải là văn bản, đang là {key!r}"
                        )
                    )
                    continue
                if key in result:
                    line, col = _mark(key_node)
                    self.problems.append(
                        Problem(self.source.path, line, col, f"khóa {key!r} bị lặp")
                    )
                self.source.keys[(*at, key)] = _mark(key_node)
                result[key] = self.build(value_node, (*at, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*at, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def _reader_problem(text: str, path: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML does not allow (control codes…), located by line and column."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    col = len(before) - (before.rfind("\n") + 1) + 1
    char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
    return Problem(path, line, col, f"YAML không được chứa ký tự {char!r} (U+{ord(char[0]):04X})")


def load_yaml(text: str, path: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse one YAML document. Returns (data, positions, problems).

    A syntax error is returned as a problem (with the parser's line and column) and data None.
    """
    source = SourceMap(path)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        return (
            None,
            source,
            [Problem(path, 1, 1, f"tệp dài {size} byte; tối đa {MAX_YAML_BYTES}")],
        )
    try:
        probe = _StrictBoolLoader(text)  # rejects characters YAML does not allow, here
    except yaml.reader.ReaderError as exc:
        return None, source, [_reader_problem(text, path, exc)]
    try:
        too_deep = _bounds_problem(probe, path)
    except yaml.YAMLError:
        too_deep = None  # a syntax error: reported with its position by the real pass below
    finally:
        probe.dispose()
    if too_deep is not None:
        return None, source, [too_deep]
    loader = _StrictBoolLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, source, [Problem(path, 1, 1, "tệp trống")]
        builder = _Builder(loader, source)
        data = builder.build(node, ())
        return data, source, builder.problems
    except _TooBig as exc:
        return None, source, [exc.problem]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "YAML không hợp lệ"
        if exc.context:
            what = f"{exc.context}: {what}"
        return None, source, [Problem(path, line, col, f"lỗi cú pháp YAML: {what}")]
    except yaml.reader.ReaderError as exc:
        return None, source, [_reader_problem(text, path, exc)]
    except yaml.YAMLError as exc:
        return None, source, [Problem(path, 1, 1, f"lỗi YAML: {exc}")]
    finally:
        loader.dispose()


def read_yaml(path: str | FilePath, field: str) -> Any:
    """An admin's YAML file (safe, bounded in size, depth and aliases by the workflow loader's
    rules); :class:`PayloadError` on ``field`` when unreadable, with the file's line."""
    try:
        text = FilePath(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PayloadError(field, f"không đọc được {path}: {exc}") from None
    if not text.strip():
        return None
    data, _, problems = load_yaml(text, str(path))
    if problems:
        raise PayloadError(field, str(problems[0]))
    return data
