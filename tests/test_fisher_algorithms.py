"""Linear Fisher markets: Eisenberg-Gale (Ipopt), DPSV (exact), and the max-flow certificate."""

from fractions import Fraction

import numpy as np
import pytest

from sharedeq.markets import (
    EquilibriumResiduals,
    FisherMarket,
    dpsv,
    eisenberg_gale,
    equilibrium_residuals,
    max_flow_certificate,
)

# Reference market (a published example): U = [[2, 1], [1, 2]], budgets (1, 3), unit supplies.
# Derivation.  If buyer 1 (budget 3) bought only good 1 and buyer 0 only good 0, then p = (1, 3), but buyer 1
# would prefer good 0 (1/1 > 2/3).  So buyer 1 is indifferent: 1/p0 = 2/p1, i.e. p1 = 2 p0.  Then buyer 0
# strictly prefers good 0 (2/p0 > 1/(2 p0)) and spends all of 1 on it.  All money is spent and all goods are
# sold, so p0 + p1 = 1 + 3 = 4, hence p = (4/3, 8/3).  Buyer 0 gets 1 / (4/3) = 3/4 of good 0; buyer 1 gets the
# remaining 1/4 of good 0 (paying 1/3) and all of good 1 (paying 8/3), 3 in total.
TWO_BY_TWO = FisherMarket([[2, 1], [1, 2]], [1, 3])
EXACT_ZERO = EquilibriumResiduals(0, 0, 0)


def assert_exact_equilibrium(market, prices, allocation):
    """Clearing, budgets and MBB purchases checked directly, in exact arithmetic."""
    U, e, s = market.exact()
    x, p = allocation, prices
    assert all(x.sum(axis=0) == s)
    assert all((x * p).sum(axis=1) == e)
    bang = U / p
    alpha = bang.max(axis=1)
    assert all(bang[i, j] == alpha[i] for i, j in zip(*np.nonzero(x > 0), strict=True))


def test_two_by_two_dpsv_is_exact():
    result = dpsv(TWO_BY_TWO)
    assert list(result.prices) == [Fraction(4, 3), Fraction(8, 3)]
    assert result.allocation.tolist() == [[Fraction(3, 4), 0], [Fraction(1, 4), 1]]
    assert result.residuals == EXACT_ZERO
    assert list(result.spending) == [1, 3]
    assert list(result.utilities) == [Fraction(3, 2), Fraction(9, 4)]


def test_two_by_two_eisenberg_gale():
    raw = eisenberg_gale(TWO_BY_TWO, polish=False)  # plain Ipopt multipliers
    assert raw.success and raw.residuals.max < 1e-8
    np.testing.assert_allclose(raw.prices, [4 / 3, 8 / 3], rtol=1e-6)
    np.testing.assert_allclose(raw.allocation, [[0.75, 0], [0.25, 1]], atol=1e-8)
    polished = eisenberg_gale(TWO_BY_TWO)
    assert "certified" in polished.status
    np.testing.assert_allclose(polished.prices, [4 / 3, 8 / 3], rtol=1e-12)


def test_fraction_data_stays_exact():
    market = FisherMarket([[2, 1], [1, 2]], [Fraction(1, 2), Fraction(3, 2)])  # half the budgets
    assert list(dpsv(market).prices) == [Fraction(2, 3), Fraction(4, 3)]


@pytest.fixture(scope="module", params=[(5, 4, 0, 1), (6, 6, 1, 1), (8, 5, 2, 3), (8, 8, 3, 1)],
                ids=lambda p: f"{p[0]}x{p[1]}-seed{p[2]}-supply{p[3]}")
def solved(request):
    n, m, seed, max_supply = request.param
    market = FisherMarket.random(n, m, seed=seed, max_supply=max_supply)
    return market, dpsv(market), eisenberg_gale(market), eisenberg_gale(market, polish=False)


def test_dpsv_and_eisenberg_gale_agree(solved):
    _, exact, polished, raw = solved
    p = exact.prices.astype(float)
    np.testing.assert_allclose(raw.prices, p, rtol=1e-6)
    np.testing.assert_allclose(polished.prices, p, rtol=1e-10)
    assert raw.residuals.max < 1e-8 and polished.residuals.max < 1e-10


def test_dpsv_equilibrium_conditions(solved):
    market, exact, _, _ = solved
    assert exact.residuals == EXACT_ZERO
    assert exact.phases >= 1 and exact.iterations >= exact.phases
    assert_exact_equilibrium(market, exact.prices, exact.allocation)


def test_eisenberg_gale_equilibrium_conditions(solved):
    market, _, polished, raw = solved
    U, e, s = market.floats()
    for r in (raw, polished):
        x, p = r.allocation, r.prices
        np.testing.assert_allclose(x.sum(axis=0), s, rtol=1e-8)
        np.testing.assert_allclose((x * p).sum(axis=1), e, rtol=1e-8)
        bang = U / p
        off_mbb = (bang < bang.max(axis=1, keepdims=True) * (1 - 1e-6)) & (x > 1e-6)
        assert not off_mbb.any()


def test_certificate_accepts_equilibrium_prices(solved):
    market, exact, polished, raw = solved
    cert = max_flow_certificate(market, exact.prices)
    assert cert.is_equilibrium and "both minimum cuts" in cert.reason
    assert cert.max_flow == cert.source_cut == cert.sink_cut == sum(market.budgets)
    assert max_flow_certificate(market, raw.prices).is_equilibrium
    assert max_flow_certificate(market, polished.prices).is_equilibrium


@pytest.mark.parametrize("factor", [Fraction(101, 100), Fraction(99, 100)])
def test_certificate_rejects_perturbed_prices(solved, factor):
    market, exact, _, raw = solved
    for prices in (exact.prices.copy(), raw.prices.copy()):
        prices[0] = prices[0] * (factor if prices.dtype == object else float(factor))
        cert = max_flow_certificate(market, prices)
        assert not cert.is_equilibrium
        assert "not a minimum cut" in cert.reason


def test_certificate_explains_overpricing():
    cert = max_flow_certificate(TWO_BY_TWO, [Fraction(8, 3), Fraction(16, 3)])  # twice the equilibrium
    assert not cert.is_equilibrium and cert.max_flow == 4 and cert.source_cut == 8
    assert cert.reason.startswith("goods [0, 1] are overpriced")


def test_one_buyer_owns_everything():
    # a single buyer spends e on all goods and is indifferent among them: p_j = e u_j / sum_k u_k s_k
    market = FisherMarket([[3, 1, 2]], [5], supplies=[1, 2, 1])
    expected = [Fraction(15, 7), Fraction(5, 7), Fraction(10, 7)]
    exact = dpsv(market)
    assert list(exact.prices) == expected
    assert exact.allocation.tolist() == [[1, 2, 1]]
    np.testing.assert_allclose(eisenberg_gale(market, polish=False).prices, np.array(expected, float), rtol=1e-8)


def test_identical_buyers_share_prices():
    # two copies of one buyer act as one buyer with budget 3: p = 3 (1, 2) / (1 + 2); the split is not unique
    market = FisherMarket([[1, 2], [1, 2]], [1, 2])
    exact = dpsv(market)
    assert list(exact.prices) == [1, 2]
    assert_exact_equilibrium(market, exact.prices, exact.allocation)
    for polish in (False, True):
        r = eisenberg_gale(market, polish=polish)
        np.testing.assert_allclose(r.prices, [1, 2], rtol=1e-8)
        assert r.residuals.max < 1e-8


def test_polish_fixes_degenerate_multipliers():
    # buyer 0 is indifferent between the goods but buys only good 1 (an MBB edge with no flow): Ipopt's
    # multipliers then converge like sqrt(mu), ~1e-6 off; the polish snaps them to the exact (3, 3)
    market = FisherMarket([[3, 3], [1, 0], [0, 3]], [2, 3, 1])
    assert list(dpsv(market).prices) == [3, 3]
    raw, polished = eisenberg_gale(market, polish=False), eisenberg_gale(market)
    np.testing.assert_allclose(raw.prices, [3, 3], rtol=1e-4)
    np.testing.assert_allclose(polished.prices, [3, 3], rtol=1e-12)
    np.testing.assert_allclose(polished.allocation, [[0, 2 / 3], [1, 0], [0, 1 / 3]], atol=1e-12)
    assert polished.success and "certified" in polished.status


def test_single_good():
    market = FisherMarket([[1], [2], [3]], [1, 1, 1])
    exact = dpsv(market)
    assert list(exact.prices) == [3]
    assert exact.allocation.ravel().tolist() == [Fraction(1, 3)] * 3


def test_tables():
    result = dpsv(TWO_BY_TWO)
    tables = result.tables()
    assert tables.prices["price"].tolist() == [Fraction(4, 3), Fraction(8, 3)]
    assert tables.allocation.shape == (2, 2)
    assert tables.spending["spent"].tolist() == tables.spending["budget"].tolist() == [1, 3]
    assert "4/3" in tables.prices.to_string()


def test_random_market_is_seeded_and_valid():
    a, b = FisherMarket.random(30, 20, seed=7, density=0.05), FisherMarket.random(30, 20, seed=7, density=0.05)
    assert np.array_equal(a.utilities, b.utilities) and np.array_equal(a.budgets, b.budgets)
    assert a.utilities.dtype.kind == "i" and (a.utilities > 0).any(axis=1).all() and (a.utilities > 0).any(axis=0).all()
    assert not np.array_equal(a.utilities, FisherMarket.random(30, 20, seed=8, density=0.05).utilities)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"utilities": [[1, -1], [1, 1]], "budgets": [1, 1]}, ValueError, r"U\[0, 1\] = -1 must be"),
        ({"utilities": [[1, 1], [1, np.nan]], "budgets": [1, 1]}, ValueError, r"U\[1, 1\] = nan"),
        ({"utilities": [[1, 1], [1, 1]], "budgets": [1, 0]}, ValueError, r"budgets\[1\] = 0 must be .*positive"),
        ({"utilities": [[1, 1]], "budgets": [1], "supplies": [1, -2]}, ValueError, r"supplies\[1\] = -2"),
        ({"utilities": [[1, 1], [0, 0]], "budgets": [1, 1]}, ValueError, r"buyer 1 likes no good"),
        ({"utilities": [[1, 0], [1, 0]], "budgets": [1, 1]}, ValueError, r"good 1 is liked by no buyer"),
        ({"utilities": [[1, 1]], "budgets": [1, 2]}, ValueError, r"budgets has shape \(2,\), expected \(1,\)"),
        ({"utilities": [1, 1], "budgets": [1]}, ValueError, r"U must be 2-dimensional"),
        ({"utilities": [["a", 1]], "budgets": [1]}, TypeError, r"U must contain real numbers"),
    ],
)
def test_bad_market_data(kwargs, error, match):
    with pytest.raises(error, match=match):
        FisherMarket(**kwargs)


def test_bad_prices_and_allocation():
    with pytest.raises(ValueError, match=r"prices\[1\] = 0 must be positive"):
        max_flow_certificate(TWO_BY_TWO, [1, 0])
    with pytest.raises(ValueError, match=r"prices has shape \(3,\)"):
        max_flow_certificate(TWO_BY_TWO, [1, 1, 1])
    with pytest.raises(ValueError, match=r"allocation has shape \(1, 2\)"):
        equilibrium_residuals(TWO_BY_TWO, [1, 1], [[1, 1]])
