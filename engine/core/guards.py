"""Guard conditions: a tiny expression language, checked at load time, evaluated without eval.

A guard is written in the workflow file, e.g.::

    guard: "payload.proposed_discipline != 'none' or data.shortcomings_fixed"

The text is parsed with :mod:`ast` and accepted only if every node is on an allowlist:
literals, names from :data:`NAMES`, attribute/subscript *lookups* (never a name starting with
an underscore), comparisons, ``and``/``or``/``not``, arithmetic and the functions in
:data:`FUNCTIONS`. Evaluation walks the tree itself; attribute access reads keys of the
dictionaries it was given, so nothing reaches Python objects. A missing key reads as ``None``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .limits import MAX_GUARD_CHARS, MAX_GUARD_DEPTH

#: The longest text or list a guard may build (``'a' * n``): evaluating stays small.
MAX_GUARD_VALUE = 100_000

NAMES = ("payload", "data", "directive")
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "lower": lambda s: s.lower() if isinstance(s, str) else s,
    "upper": lambda s: s.upper() if isinstance(s, str) else s,
}
CONSTANTS = {"true": True, "false": False, "null": None, "none": None}

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


class GuardSyntaxError(ValueError):
    """The guard text is not in the guard language; the message says why."""


@dataclass(frozen=True)
class Guard:
    """A compiled guard. ``evaluate`` never raises for missing data; it raises
    :class:`GuardEvaluationError` only for type errors such as ``'a' < 3``."""

    text: str
    tree: ast.Expression

    def evaluate(self, scope: Mapping[str, Any]) -> bool:
        return bool(_eval(self.tree.body, scope))


class GuardEvaluationError(ValueError):
    pass


def compile_guard(text: str) -> Guard:
    """Parse and check ``text``; raises :class:`GuardSyntaxError` with the reason.

    Bounded: at most :data:`~dondoc.core.limits.MAX_GUARD_CHARS` characters and
    :data:`~dondoc.core.limits.MAX_GUARD_DEPTH` levels of nesting, so evaluating it can
    neither recurse deeply nor take long."""
    if len(text) > MAX_GUARD_CHARS:
        raise GuardSyntaxError(f"dài quá {MAX_GUARD_CHARS} ký tự")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise GuardSyntaxError(f"không phải biểu thức hợp lệ: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise GuardSyntaxError(f"lồng nhau quá {MAX_GUARD_DEPTH} cấp") from None
    depth = _depth(tree)
    if depth > MAX_GUARD_DEPTH:
        raise GuardSyntaxError(f"lồng nhau {depth} cấp; tối đa {MAX_GUARD_DEPTH}")
    for node in ast.walk(tree):
        _check(node)
    return Guard(text, tree)


def _depth(tree: ast.AST) -> int:
    """The nesting depth of the expression (operators and operands; iterative)."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, ast.expr_context | ast.operator | ast.cmpop | ast.boolop | ast.unaryop):
            continue
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Compare,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.List,
    ast.Tuple,
    ast.Call,
    ast.IfExp,
    *_BINOPS,
    *_CMPOPS,
)


def _check(node: ast.AST) -> None:
    if not isinstance(node, _ALLOWED):
        raise GuardSyntaxError(f"không được dùng {type(node).__name__} trong điều kiện")
    if isinstance(node, ast.Name) and node.id not in NAMES and node.id not in CONSTANTS:
        if node.id in FUNCTIONS:
            return
        raise GuardSyntaxError(
            f"không có tên {node.id!r}; điều kiện chỉ được dùng {', '.join(NAMES)}"
        )
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise GuardSyntaxError(
            f"không được dùng thuộc tính {node.attr!r} (bắt đầu bằng dấu gạch dưới)"
        )
    if isinstance(node, ast.Subscript):
        if not isinstance(node.slice, ast.Constant):
            raise GuardSyntaxError("chỉ số phải là hằng, vd. data['key']")
        if isinstance(node.slice.value, str) and node.slice.value.startswith("_"):
            raise GuardSyntaxError("không được dùng khóa bắt đầu bằng dấu gạch dưới")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise GuardSyntaxError(f"chỉ được gọi các hàm: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise GuardSyntaxError("không được dùng đối số có tên")


def _lookup(container: Any, key: Any) -> Any:
    if isinstance(container, Mapping):
        return container.get(key)
    if isinstance(container, list | tuple) and isinstance(key, int):
        return container[key] if -len(container) <= key < len(container) else None
    return None


def _check_size(op: ast.operator, a: Any, b: Any) -> None:
    """Refuse a repetition (``'a' * 10**9``) whose result would exceed MAX_GUARD_VALUE."""
    if isinstance(op, ast.Mult):
        for seq, n in ((a, b), (b, a)):
            too_long = (
                isinstance(seq, str | list | tuple)
                and isinstance(n, int)
                and len(seq) * max(n, 0) > MAX_GUARD_VALUE
            )
            if too_long:
                raise GuardEvaluationError(f"kết quả sẽ dài quá {MAX_GUARD_VALUE} phần tử")


def _eval(node: ast.AST, scope: Mapping[str, Any]) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            if name in CONSTANTS:
                return CONSTANTS[name]
            return scope.get(name)
        case ast.Attribute(value=inner, attr=attr):
            return _lookup(_eval(inner, scope), attr)
        case ast.Subscript(value=inner, slice=ast.Constant(value=key)):
            return _lookup(_eval(inner, scope), key)
        case ast.BoolOp(op=ast.And(), values=values):
            result: Any = True
            for v in values:
                result = _eval(v, scope)
                if not result:
                    return result
            return result
        case ast.BoolOp(op=ast.Or(), values=values):
            result = False
            for v in values:
                result = _eval(v, scope)
                if result:
                    return result
            return result
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _eval(operand, scope)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_eval(operand, scope)
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return +_eval(operand, scope)
        case ast.BinOp(left=left, op=op, right=right):
            a, b = _eval(left, scope), _eval(right, scope)
            _check_size(op, a, b)
            try:
                return _BINOPS[type(op)](a, b)
            except (TypeError, ZeroDivisionError) as exc:
                raise GuardEvaluationError(str(exc)) from None
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current = _eval(left, scope)
            for cmp, comp in zip(ops, comparators, strict=True):
                right = _eval(comp, scope)
                try:
                    ok = _CMPOPS[type(cmp)](current, right)
                except TypeError as exc:
                    raise GuardEvaluationError(str(exc)) from None
                if not ok:
                    return False
                current = right
            return True
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return [_eval(e, scope) for e in elts]
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return _eval(body, scope) if _eval(test, scope) else _eval(orelse, scope)
        case ast.Call(func=ast.Name(id=fname), args=args):
            try:
                return FUNCTIONS[fname](*(_eval(a, scope) for a in args))
            except TypeError as exc:
                raise GuardEvaluationError(str(exc)) from None
    raise GuardEvaluationError(f"cannot evaluate {type(node).__name__}")  # pragma: no cover
