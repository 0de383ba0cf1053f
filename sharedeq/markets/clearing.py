"""Market clearing as part of an equilibrium problem: prices complementary to excess supply.

For goods ``j`` with excess supply ``z_j(x) = supply_j - demand_j`` the clearing conditions are

    z_j(x) >= 0,   p_j >= 0,   p_j z_j(x) = 0          (EMP: ``vi z_j p_j``; here ``add_vi(z_j, p_j)``),

so a good in excess supply is free. These conditions alone do not pin the prices down, and a solver sees why:

* *Homogeneity of degree zero.* Budgets ``p . x_i <= p . e_i`` are unchanged when all prices are scaled by
  ``c > 0``, so every agent's choices, hence ``z(p)``, are too: the Jacobian satisfies ``Dz(p) p = 0``, and the
  solutions form rays ``{c p*}``. The MCP is singular unless the scale is fixed.
* *Walras' law.* When every budget binds, ``p . z = sum_i p . (e_i - x_i) = 0`` for all ``p``: once all but one
  market clear (with complementarity), the last one does too. One condition is redundant (``p' Dz = 0`` at an
  equilibrium), so there is one equation to drop for the one price level to fix.

Two normalisations restore a square, nonsingular system:

* ``"numeraire"``: fix ``p_k = 1`` for the numeraire good ``k`` and drop its market's condition. The other
  ``m - 1`` conditions and Walras' law give ``p_k z_k = 0``, so market ``k`` clears too.
* ``"simplex"``: prices on ``sum_j p_j = 1``. Dropping a market and pairing ``sum p - 1`` with a new free
  variable would leave one price without an equation. Instead an auxiliary free variable ``t`` enters every
  market, symmetrically:

      z_j(x) + t _|_ p_j >= 0   (all j),        sum_j p_j - 1 _|_ t free.

  Summing ``p_j (z_j + t) = 0`` over ``j`` gives ``p . z + t = 0``, and Walras' law ``p . z = 0`` forces
  ``t = 0``: every market clears. The bordered Jacobian ``[[Dz, 1], [1', 0]]`` is nonsingular when ``Dz`` has
  rank ``m - 1`` (its kernel is spanned by ``p``, and ``1' p = 1 != 0``). ``t != 0`` at a solution means that
  Walras' law fails (some budget does not bind), and :func:`clearing_table` shows it.

Neither is needed when the model itself fixes the price level, as in a Fisher market, where buyers hold money:
budgets ``p . x_i <= e_i`` with fixed ``e_i`` are not homogeneous in ``p``, and when they bind and the markets
clear, ``sum_j p_j s_j = sum_i e_i`` pins the scale. There ``normalization=None`` adds the ``m`` conditions
``z_j _|_ p_j >= 0`` as they are (no price fixed, no market dropped, no auxiliary variable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo
from pyomo.core.base.var import VarData

from sharedeq.errors import ModelError

NORMALIZATIONS = ("numeraire", "simplex", None)


@dataclass
class MarketClearing:
    """The clearing conditions added to a problem: prices and excess supply by good, and the normalisation."""

    prices: dict
    excess_supply: dict
    normalization: str | None
    numeraire: object = None
    walras: VarData | None = None

    @property
    def goods(self) -> list:
        return list(self.prices)


def add_market_clearing(problem, prices, excess_supply, normalization="numeraire", numeraire=None) -> MarketClearing:
    """Add ``excess_supply[j] _|_ prices[j] >= 0`` for every good ``j``, normalised (see the module docstring).

    prices: an indexed Var or a mapping good -> variable; their lower bounds are raised to 0 where lower.
    excess_supply: a mapping good -> Pyomo expression (supply minus demand), or a function of the good.
    normalization: ``"numeraire"`` (``prices[numeraire]`` fixed to 1, its market dropped; default numeraire:
        the first good), ``"simplex"`` (sum of prices 1, with an auxiliary variable ``<model>.walras_t``) or
        ``None`` (the model already fixes the price level, e.g. money budgets: every market as it is).
    """
    prices = _price_map(prices)
    excess = {j: (excess_supply(j) if callable(excess_supply) else _lookup(excess_supply, j)) for j in prices}
    if normalization not in NORMALIZATIONS:
        raise ModelError(f"add_market_clearing: normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    for var in prices.values():
        if var.lb is None or var.lb < 0:
            var.setlb(0.0)
    if normalization == "numeraire":
        return _numeraire(problem, prices, excess, _numeraire_good(prices, numeraire))
    if numeraire is not None:
        raise ModelError(f"add_market_clearing: a numeraire is only used with normalization='numeraire', "
                         f"not with {normalization!r}")
    if normalization is None:
        return _unnormalised(problem, prices, excess)
    return _simplex(problem, prices, excess)


def _unnormalised(problem, prices, excess) -> MarketClearing:
    """``z_j _|_ p_j`` for all ``j``: the model fixes the price level itself."""
    for j, var in prices.items():
        problem.add_vi(excess[j], var)
    return MarketClearing(prices, excess, None)


def _numeraire(problem, prices, excess, good) -> MarketClearing:
    """``p_k = 1`` (fixed) and ``z_j _|_ p_j`` for ``j != k``."""
    prices[good].fix(1.0)
    for j, var in prices.items():
        if j != good:
            _start(var, 1.0)
            problem.add_vi(excess[j], var)
    return MarketClearing(prices, excess, "numeraire", numeraire=good)


def _simplex(problem, prices, excess) -> MarketClearing:
    """``z_j + t _|_ p_j`` for all ``j`` and ``sum_j p_j - 1 _|_ t`` (free)."""
    model = problem.model
    name = _unique_name(model, "walras_t")
    model.add_component(name, pyo.Var(initialize=0.0))
    t = getattr(model, name)
    for j, var in prices.items():
        _start(var, 1.0 / len(prices))
        problem.add_vi(excess[j] + t, var)
    problem.add_vi(sum(prices.values()) - 1.0, t)
    return MarketClearing(prices, excess, "simplex", walras=t)


def clearing_table(clearing: MarketClearing) -> pd.DataFrame:
    """Per good at the model's current values: price, excess supply, and ``min(p, z)``-type residuals.

    ``complementarity`` is ``|min(p_j, z_j)|`` (zero exactly when ``p_j >= 0``, ``z_j >= 0``, ``p_j z_j = 0``);
    the numeraire's row is included (Walras' law should clear it). For ``"simplex"`` the last row holds ``t``.
    """
    rows = []
    for j, var in clearing.prices.items():
        p, z = float(pyo.value(var)), float(pyo.value(clearing.excess_supply[j]))
        rows.append({"good": j, "price": p, "excess supply": z, "complementarity": abs(min(p, z)),
                     "numeraire": j == clearing.numeraire})
    table = pd.DataFrame(rows).set_index("good")
    if clearing.walras is not None:
        t = float(clearing.walras.value)
        table.loc["(walras t)"] = [t, float("nan"), abs(t), False]
    return table


def _price_map(prices) -> dict:
    if isinstance(prices, pyo.Var) and prices.is_indexed():
        return dict(prices.items())
    if isinstance(prices, Mapping):
        out = dict(prices)
        bad = [j for j, v in out.items() if not isinstance(v, VarData)]
        if bad:
            raise ModelError(f"add_market_clearing: prices of goods {bad} are not Pyomo variables")
        return out
    raise ModelError("add_market_clearing: prices must be an indexed Var or a mapping good -> variable")


def _lookup(excess_supply: Mapping, good):
    try:
        return excess_supply[good]
    except (KeyError, TypeError) as err:
        raise ModelError(f"add_market_clearing: no excess supply for good {good!r}") from err


def _numeraire_good(prices, numeraire):
    if numeraire is None:
        return next(iter(prices))
    if numeraire not in prices:
        raise ModelError(f"add_market_clearing: numeraire {numeraire!r} is not a good; goods are {list(prices)}")
    return numeraire


def _start(var, value) -> None:
    if var.value is None:
        var.set_value(value)


def _unique_name(model, base) -> str:
    name, k = base, 1
    while model.component(name) is not None:
        k += 1
        name = f"{base}_{k}"
    return name
