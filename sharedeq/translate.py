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

import math
from collections.abc import Callable

import casadi as ca
from pyomo.core.expr import numeric_expr as ne
from pyomo.core.expr import relational_expr as re
from pyomo.core.expr.numvalue import native_numeric_types, value
from pyomo.core.expr.visitor import StreamBasedExpressionVisitor

from sharedeq.errors import ModelError

_UNARY = {
    "exp": ca.OP_EXP, "log": ca.OP_LOG, "sqrt": ca.OP_SQRT, "sin": ca.OP_SIN, "cos": ca.OP_COS,
    "tan": ca.OP_TAN, "asin": ca.OP_ASIN, "acos": ca.OP_ACOS, "atan": ca.OP_ATAN, "sinh": ca.OP_SINH,
    "cosh": ca.OP_COSH, "tanh": ca.OP_TANH, "asinh": ca.OP_ASINH, "acosh": ca.OP_ACOSH, "atanh": ca.OP_ATANH,
    "floor": ca.OP_FLOOR, "ceil": ca.OP_CEIL,
}

# Scalar SX arithmetic through ``SX.binary``/``SX.unary`` (about 3 us a node) rather than the overloaded
# operators, whose argument-type dispatch costs 20-30 us a node; casadi applies the same simplifications.
_PY = {ca.OP_ADD: float.__add__, ca.OP_SUB: float.__sub__, ca.OP_MUL: float.__mul__, ca.OP_DIV: float.__truediv__,
       ca.OP_POW: float.__pow__}


def _sx(a) -> ca.SX:
    return a if isinstance(a, ca.SX) else ca.SX(float(a))


def _binary(op, a, b):
    if not isinstance(a, ca.SX) and not isinstance(b, ca.SX):
        return _PY[op](float(a), float(b))
    return ca.SX.binary(op, _sx(a), _sx(b))


def _sum(node, args):
    symbolic = [a for a in args if isinstance(a, ca.SX)]
    const = float(sum(a for a in args if not isinstance(a, ca.SX)))
    if not symbolic:
        return const
    out = ca.sum1(ca.vertcat(*symbolic)) if len(symbolic) > 8 else symbolic[0]
    if len(symbolic) <= 8:
        for a in symbolic[1:]:
            out = ca.SX.binary(ca.OP_ADD, out, a)
    return ca.SX.binary(ca.OP_ADD, out, ca.SX(const)) if const else out


def _unary(node, args):
    name = node.getname()
    if name == "log10":
        return _binary(ca.OP_DIV, _unary_op(ca.OP_LOG, args[0]), math.log(10.0))
    op = _UNARY.get(name)
    if op is None:
        raise ModelError(f"cannot translate the function {name}() in {node}")
    return _unary_op(op, args[0])


def _unary_op(op, a):
    return ca.SX.unary(op, _sx(a)) if isinstance(a, ca.SX) else float(ca.SX.unary(op, ca.SX(float(a))))


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


def _mul(node, a):
    return _binary(ca.OP_MUL, a[0], a[1])


def _div(node, a):
    return _binary(ca.OP_DIV, a[0], a[1])


def _pow(node, a):
    return _binary(ca.OP_POW, a[0], a[1])


def _neg(node, a):
    return ca.SX.unary(ca.OP_NEG, a[0]) if isinstance(a[0], ca.SX) else -float(a[0])


_EXIT = {
    ne.SumExpression: _sum,
    ne.LinearExpression: _sum,
    ne.NPV_SumExpression: _sum,
    ne.MonomialTermExpression: _mul,
    ne.ProductExpression: _mul,
    ne.NPV_ProductExpression: _mul,
    ne.DivisionExpression: _div,
    ne.NPV_DivisionExpression: _div,
    ne.PowExpression: _pow,
    ne.NPV_PowExpression: _pow,
    ne.NegationExpression: _neg,
    ne.NPV_NegationExpression: _neg,
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
        if self._is_leaf(expr):
            return self.leaf_or_none(expr)
        linear = self.linear(expr) if type(expr) is ne.LinearExpression else None
        return linear if linear is not None else self._visitor.walk_expression(expr)

    def linear(self, node):
        """``sum_k c_k x_k + c_0`` of a ``LinearExpression`` as one sparse product (None: not plain monomials).

        A long linear row (a shared constraint, a total) costs one casadi call instead of one per term.
        """
        coefs, syms, const = [], [], 0.0
        for arg in node.args:
            kind = type(arg)
            if kind in native_numeric_types:
                const += arg
                continue
            if kind is ne.MonomialTermExpression:
                coef, var = arg.args
                coef = coef if type(coef) in native_numeric_types else value(coef)
            elif arg.is_variable_type():
                coef, var = 1.0, arg
            else:
                return None
            x = self.leaf_or_none(var)
            if isinstance(x, ca.SX):
                coefs.append(coef)
                syms.append(x)
            else:
                const += coef * x
        if not syms:
            return float(const)
        out = ca.dot(ca.DM(coefs), ca.vertcat(*syms))
        return ca.SX.binary(ca.OP_ADD, out, ca.SX(float(const))) if const else out

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
            linear = self.tr.linear(child) if type(child) is ne.LinearExpression else None
            return (True, None) if linear is None else (False, linear)
        return False, self.tr.leaf_or_none(child)

    def exitNode(self, node, data):
        handler = _EXIT.get(type(node))
        if handler is None:
            if isinstance(node, ne.ExternalFunctionExpression):
                raise ModelError(f"cannot differentiate the external function {node.getname()} in {node}; "
                                 f"sharedeq needs expressions it can translate to casadi")
            raise ModelError(f"cannot translate the expression {node} ({type(node).__name__})")
        return handler(node, data)
