"""Pyomo expressions -> casadi SX expressions, the symbolic form that :mod:`sharedeq.kkt` differentiates.

Why not Pyomo's own differentiation (``core.kkt``, ``differentiate``)? It works one block at a time, knows no
shared multipliers, and is symbolic in a way that costs O(N^2) when N objectives each contain a sum over all N
agents (see DESIGN.md). casadi's reverse mode costs O(size of the expression), and a named ``Expression`` that
several agents use can stand for one symbol (an auxiliary variable with one defining equation), which keeps the
complementarity system sparse.

The :class:`Translator` visits each expression once, caches every named ``Expression`` it has translated, and
asks a callback what a named expression should become: its translated body (inlined) or a symbol (lifted).
Fixed variables and parameters become numbers (their values when the translation runs).
"""

from __future__ import annotations

from collections.abc import Callable

import casadi as ca
from pyomo.core.expr import numeric_expr as ne
from pyomo.core.expr import relational_expr as re
from pyomo.core.expr.numvalue import native_numeric_types, value
from pyomo.core.expr.visitor import StreamBasedExpressionVisitor

from sharedeq.errors import ModelError

_UNARY = {
    "exp": ca.exp, "log": ca.log, "log10": ca.log10, "sqrt": ca.sqrt, "sin": ca.sin, "cos": ca.cos,
    "tan": ca.tan, "asin": ca.asin, "acos": ca.acos, "atan": ca.atan, "sinh": ca.sinh, "cosh": ca.cosh,
    "tanh": ca.tanh, "asinh": ca.asinh, "acosh": ca.acosh, "atanh": ca.atanh, "floor": ca.floor,
    "ceil": ca.ceil,
}


def _sum(node, args):
    return ca.sum1(ca.vertcat(*args)) if len(args) > 8 else sum(args[1:], args[0])


def _unary(node, args):
    fn = _UNARY.get(node.getname())
    if fn is None:
        raise ModelError(f"cannot translate the function {node.getname()}() in {node}")
    return fn(args[0])


def _min(node, args):
    out = args[0]
    for a in args[1:]:
        out = ca.fmin(out, a)
    return out


def _max(node, args):
    out = args[0]
    for a in args[1:]:
        out = ca.fmax(out, a)
    return out


def _inequality(node, args):
    return args[0] < args[1] if node.strict else args[0] <= args[1]


def _ranged(node, args):
    lo = args[0] < args[1] if node.strict[0] else args[0] <= args[1]
    hi = args[1] < args[2] if node.strict[1] else args[1] <= args[2]
    return ca.logic_and(lo, hi)


_EXIT = {
    ne.SumExpression: _sum,
    ne.LinearExpression: _sum,
    ne.NPV_SumExpression: _sum,
    ne.MonomialTermExpression: lambda node, a: a[0] * a[1],
    ne.ProductExpression: lambda node, a: a[0] * a[1],
    ne.NPV_ProductExpression: lambda node, a: a[0] * a[1],
    ne.DivisionExpression: lambda node, a: a[0] / a[1],
    ne.NPV_DivisionExpression: lambda node, a: a[0] / a[1],
    ne.PowExpression: lambda node, a: a[0] ** a[1],
    ne.NPV_PowExpression: lambda node, a: a[0] ** a[1],
    ne.NegationExpression: lambda node, a: -a[0],
    ne.NPV_NegationExpression: lambda node, a: -a[0],
    ne.UnaryFunctionExpression: _unary,
    ne.NPV_UnaryFunctionExpression: _unary,
    ne.AbsExpression: lambda node, a: ca.fabs(a[0]),
    ne.NPV_AbsExpression: lambda node, a: ca.fabs(a[0]),
    ne.MinExpression: _min,
    ne.MaxExpression: _max,
    ne.Expr_ifExpression: lambda node, a: ca.if_else(a[0], a[1], a[2]),
    re.EqualityExpression: lambda node, a: a[0] == a[1],
    re.InequalityExpression: _inequality,
    re.RangedExpression: _ranged,
}


class Translator:
    """Translate Pyomo expressions to casadi SX.

    ``variable(var)`` returns the SX symbol (or number) standing for a Pyomo variable; ``named(expr, body)``
    decides whether a named Expression with translated ``body`` is inlined (return ``body``) or lifted
    (return a new symbol). Both are callbacks supplied by the KKT builder, which owns the column layout.
    """

    def __init__(self, variable: Callable, named: Callable):
        self._variable = variable
        self._named = named
        self._cache: dict[int, object] = {}
        self._visitor = _Visitor(self)

    def __call__(self, expr):
        """The SX (or float) equal to the Pyomo expression ``expr``."""
        return self.leaf_or_none(expr) if self._is_leaf(expr) else self._visitor.walk_expression(expr)

    @staticmethod
    def _is_leaf(expr):
        return type(expr) in native_numeric_types or not expr.is_expression_type() or \
            expr.is_named_expression_type()

    def leaf_or_none(self, child):
        """Translate a leaf (number, parameter, variable) or a named expression."""
        if type(child) in native_numeric_types:
            return child
        if child.is_expression_type():
            if child.is_named_expression_type():
                key = id(child)
                if key not in self._cache:
                    body = child.expr
                    if body is None:
                        raise ModelError(f"Expression {child.name} has no value (its expr is None)")
                    self._cache[key] = self._named(child, self(body))
                return self._cache[key]
            return None
        if child.is_variable_type():
            return self._variable(child)
        if not child.is_potentially_variable() or child.is_constant():
            return value(child)
        raise ModelError(f"cannot translate {type(child).__name__} {child}")


class _Visitor(StreamBasedExpressionVisitor):
    def __init__(self, translator: Translator):
        super().__init__()
        self.tr = translator

    def beforeChild(self, node, child, child_idx):
        if type(child) in native_numeric_types:
            return False, child
        if child.is_expression_type() and not child.is_named_expression_type():
            if not child.is_potentially_variable():
                return False, value(child)
            return True, None
        return False, self.tr.leaf_or_none(child)

    def exitNode(self, node, data):
        handler = _EXIT.get(type(node))
        if handler is None:
            if isinstance(node, ne.ExternalFunctionExpression):
                raise ModelError(f"cannot differentiate the external function {node.getname()} in {node}; "
                                 f"sharedeq needs expressions it can translate to casadi")
            raise ModelError(f"cannot translate the expression {node} ({type(node).__name__})")
        return handler(node, data)
