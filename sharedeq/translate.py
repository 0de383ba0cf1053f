"""Pyomo expressions -> casadi SX expressions, the symbolic form that :mod:`sharedeq.kkt` differentiates.

Why not Pyomo's own differentiation (``core.kkt``, ``differentiate``)? It works one block at a time, knows no
shared multipliers, and is symbolic in a way that costs O(N^2) when N objectives each contain a sum over all N
agents. casadi's reverse mode costs O(size of the expression), and a named ``Expression`` that
several agents use can stand for one symbol (an auxiliary variable with one defining equation), which keeps the
complementarity system sparse.

The :class:`Translator` does work proportional to the expression DAG, not to its expanded tree: every Pyomo node
(named or not) is translated once and every SX operation is built once, so a subexpression that many rows share
is one casadi node and its derivatives are computed once. It asks a callback what a named expression should
become: its translated body (inlined) or a symbol (lifted). Fixed variables and parameters become numbers (their
values when the translation runs).

With ``lift_aggregates=True`` it also lifts, on its own, every *dense aggregate* that enters a nonlinear operation:
a long sum (more than ``_SHORT`` terms) and any linear combination of one (``H = c + k + S/pi``) becomes a symbol
``y`` where it is an operand of a product of two expressions, a quotient, a power or a function; its linear uses
keep the sum. ``aggregates`` lists the pairs ``(y, h)``. The Hessian of ``F(z, y)`` then has no dense block, and
that of ``y - h(z)`` none either when ``h`` is linear (MCPLIB's ``ehl_kost``: the Hessian of its relaxation
goes from 5,251 structural nonzeros and 1.25 million SX nodes to 600 and 7,729).
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
from sharedeq.mcp import SHORT_SUM, sx_sum

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
#: sums with more terms than this are built in a few casadi calls, blockwise (:func:`sharedeq.mcp.sx_sum`), smaller
#: ones term by term
_SHORT = SHORT_SUM


def _sum(tr, node, args):
    return tr.sum(args)


def _unary(tr, node, args):
    name = node.getname()
    if name == "log10":
        return tr.binary(ca.OP_DIV, tr.unary(ca.OP_LOG, args[0]), math.log(10.0))
    op = _UNARY.get(name)
    if op is None:
        raise ModelError(f"cannot translate the function {name}() in {node}")
    return tr.unary(op, args[0])


def _min(tr, node, args):
    out = args[0]
    for a in args[1:]:
        out = ca.fmin(out, a)
    return out


def _max(tr, node, args):
    out = args[0]
    for a in args[1:]:
        out = ca.fmax(out, a)
    return out


def _inequality(tr, node, args):
    return args[0] < args[1] if node.strict else args[0] <= args[1]


def _ranged(tr, node, args):
    lo = args[0] < args[1] if node.strict[0] else args[0] <= args[1]
    hi = args[1] < args[2] if node.strict[1] else args[1] <= args[2]
    return ca.logic_and(lo, hi)


def _mul(tr, node, a):
    return tr.binary(ca.OP_MUL, a[0], a[1])


def _div(tr, node, a):
    return tr.binary(ca.OP_DIV, a[0], a[1])


def _pow(tr, node, a):
    return tr.binary(ca.OP_POW, a[0], a[1])


def _neg(tr, node, a):
    return tr.unary(ca.OP_NEG, a[0])


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
    ne.AbsExpression: lambda tr, node, a: ca.fabs(a[0]),
    ne.NPV_AbsExpression: lambda tr, node, a: ca.fabs(a[0]),
    ne.MinExpression: _min,
    ne.MaxExpression: _max,
    ne.Expr_ifExpression: lambda tr, node, a: ca.if_else(a[0], a[1], a[2]),
    re.EqualityExpression: lambda tr, node, a: a[0] == a[1],
    re.InequalityExpression: _inequality,
    re.RangedExpression: _ranged,
}


class Translator:
    """Translate Pyomo expressions to casadi SX, with work and result proportional to the expression DAG.

    ``variable(var)`` returns the SX symbol (or number) standing for a Pyomo variable; ``named(expr, body)``
    decides whether a named Expression with translated ``body`` is inlined (return ``body``) or lifted
    (return a new symbol). Both are callbacks supplied by the KKT builder, which owns the column layout; each is
    called once per variable or named Expression.

    Two memos make shared structure cost once (for the life of the Translator, which keeps a reference to every
    memoised object so that ids stay valid):

    * by identity: a Pyomo expression object that several rows (or one row twice) contain, named or not, is
      translated once and its subtree never walked again;
    * by structure (hash-consing): every SX operation is keyed by its operator and its operands, the SX objects
      this Translator returned (one per node it built), so equal subexpressions that the model builds as
      separate Pyomo objects (``H(x)`` written out again in every row) become one SX node. Derivatives of the
      result then cost O(size of the DAG). An operand casadi simplified into a new object only misses a merge.
    """

    def __init__(self, variable: Callable, named: Callable, lift_aggregates: bool = False):
        self._variable = variable
        self._named = named
        self._cache: dict[int, object] = {}
        self._memo: dict[int, tuple] = {}       # id(Pyomo node or variable) -> (the object, its translation)
        self._nodes: dict[tuple, tuple] = {}    # (op, ids of the operand SX) -> (SX, operands kept alive)
        self._consts: dict[tuple, ca.SX] = {}   # (value, sign bit) -> constant SX
        self._visitor = _Visitor(self)
        self._dense: dict[int, ca.SX] | None = {} if lift_aggregates else None   # id -> dense aggregate node
        self._symbols: dict[int, ca.SX] = {}    # id(aggregate) -> its symbol
        #: ``id(SX) -> (SX, coefficients, variables)`` of every long linear row translated (``sum_k c_k x_k + c_0``
        #: with more than ``_SHORT`` terms): its gradient, which the KKT builder reads instead of differentiating
        self.linear_forms: dict[int, tuple] = {}
        #: ``(y, h)``: the symbol standing for the dense aggregate ``h`` in nonlinear operations (in creation order,
        #: so ``h`` contains only earlier symbols)
        self.aggregates: list[tuple[ca.SX, ca.SX]] = []

    def __call__(self, expr):
        """The SX (or float) equal to the Pyomo expression ``expr``."""
        if self._is_leaf(expr):
            return self.leaf_or_none(expr)
        hit = self._memo.get(id(expr))
        if hit is not None:
            return hit[1]
        linear = self.linear(expr) if type(expr) is ne.LinearExpression else None
        return linear if linear is not None else self._visitor.walk_expression(expr)

    # ------------------------------------------------------------------ SX nodes, each built once
    def const(self, c) -> ca.SX:
        """The constant ``c`` as one SX node (``0.0`` and ``-0.0`` apart)."""
        c = float(c)
        key = (c, math.copysign(1.0, c))
        out = self._consts.get(key)
        if out is None:
            out = self._consts[key] = ca.SX(c)
        return out

    def _sx(self, a) -> ca.SX:
        return a if isinstance(a, ca.SX) else self.const(a)

    def binary(self, op, a, b):
        """``a op b``: a float when both are numbers, else the one SX node for this operator and operands."""
        if not isinstance(a, ca.SX) and not isinstance(b, ca.SX):
            return _PY[op](float(a), float(b))
        dense = False
        if self._dense is not None:
            a, b, dense = self._through_aggregates(op, a, b)
        a, b = self._sx(a), self._sx(b)
        key = (op, id(a), id(b))
        hit = self._nodes.get(key)
        if hit is None:
            hit = self._nodes[key] = (ca.SX.binary(op, a, b), a, b)
        if dense:
            self._dense[id(hit[0])] = hit[0]
        return hit[0]

    def _through_aggregates(self, op, a, b):
        """``(a, b, dense)``: the operands, a dense aggregate among them replaced by its symbol where ``op`` is
        nonlinear in it; ``dense``: the result is itself a dense aggregate (a sum with one, or one scaled)."""
        dense_a, dense_b = id(a) in self._dense, id(b) in self._dense
        if not (dense_a or dense_b):
            return a, b, False
        scaled = (op == ca.OP_MUL and dense_a != dense_b and not isinstance(b if dense_a else a, ca.SX)) or \
            (op == ca.OP_DIV and dense_a and not isinstance(b, ca.SX))
        if op in (ca.OP_ADD, ca.OP_SUB) or scaled:
            return a, b, True
        return (self._symbol(a) if dense_a else a), (self._symbol(b) if dense_b else b), False

    def _symbol(self, aggregate: ca.SX) -> ca.SX:
        """The symbol standing for the dense aggregate ``aggregate`` (made once)."""
        y = self._symbols.get(id(aggregate))
        if y is None:
            y = self._symbols[id(aggregate)] = ca.SX.sym(f"aggregate_{len(self.aggregates)}")
            self.aggregates.append((y, aggregate))
        return y

    def unary(self, op, a):
        """``op(a)``: a float for a number, else the one SX node for this operator and operand."""
        if not isinstance(a, ca.SX):
            return -float(a) if op == ca.OP_NEG else float(ca.SX.unary(op, ca.SX(float(a))))
        dense = self._dense is not None and id(a) in self._dense
        if dense and op != ca.OP_NEG:
            a, dense = self._symbol(a), False
        key = (op, id(a))
        hit = self._nodes.get(key)
        if hit is None:
            hit = self._nodes[key] = (ca.SX.unary(op, a), a)
        if dense:
            self._dense[id(hit[0])] = hit[0]
        return hit[0]

    def sum(self, args):
        """``sum(args)``: short sums term by term, long ones blockwise (keyed by their terms' nodes)."""
        symbolic = [a for a in args if isinstance(a, ca.SX)]
        const = float(sum(a for a in args if not isinstance(a, ca.SX)))
        if not symbolic:
            return const
        if len(symbolic) <= _SHORT:
            out = symbolic[0]
            for a in symbolic[1:]:
                out = self.binary(ca.OP_ADD, out, a)
        else:
            out = self._bulk(("sum", *map(id, symbolic)), symbolic,
                             lambda: sx_sum(ca.vertcat(*symbolic)))
        return self.binary(ca.OP_ADD, out, const) if const else out

    def _bulk(self, key, operands, build):
        """The SX that ``build()`` makes of ``operands``, built once per ``key``; the operands are kept alive."""
        hit = self._nodes.get(key)
        if hit is None:
            hit = self._nodes[key] = (build(), operands)
        if self._dense is not None:
            self._dense[id(hit[0])] = hit[0]
        return hit[0]

    def linear(self, node):
        """``sum_k c_k x_k + c_0`` of a ``LinearExpression`` (None: not plain monomials): term by term when short,
        else as a blockwise sum of the products, so a long linear row (a shared constraint, a total) costs a few
        casadi calls."""
        coefs, syms, variables, const = [], [], [], 0.0
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
                coefs.append(float(coef))
                syms.append(x)
                variables.append(var)
            else:
                const += coef * x
        if not syms:
            out = float(const)
        elif len(syms) <= _SHORT:
            terms = [x if c == 1.0 else self.unary(ca.OP_NEG, x) if c == -1.0 else self.binary(ca.OP_MUL, c, x)
                     for c, x in zip(coefs, syms, strict=True)]
            out = self.sum(terms + [float(const)])
        else:
            out = self._bulk(("linear", *coefs, *map(id, syms)), syms,
                             lambda: sx_sum(ca.DM(coefs) * ca.vertcat(*syms)))
            out = self.binary(ca.OP_ADD, out, float(const)) if const else out
            self.linear_forms[id(out)] = (out, coefs, variables)
        self._memo[id(node)] = (node, out)
        return out

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
            hit = self._memo.get(id(child))
            if hit is None:
                hit = self._memo[id(child)] = (child, self._variable(child))
            return hit[1]
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
            hit = self.tr._memo.get(id(child))
            if hit is not None:
                return False, hit[1]
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
        out = handler(self.tr, node, data)
        self.tr._memo[id(node)] = (node, out)
        return out
