"""The relaxed NLP's derivatives, assembled by blocks and partly written by hand (sharedeq/reformulate.py),
against casadi's own Jacobian and Hessian of the same ``g`` and ``f`` over the whole ``x``, at random points."""

import casadi as ca
import numpy as np
import pytest

from benchmarks.generators import FAMILIES, generate
from sharedeq.reformulate import relax


def _dense(fun, *args):
    return np.asarray(ca.DM(fun(*args)).full())


@pytest.mark.parametrize("mode", ["ve", "gne"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_block_derivatives_equal_casadis_on_the_whole_x(family, mode):
    nlp = relax(generate(family, 12, m=3, seed=4).mcp(mode=mode))
    sigma, lam = ca.SX.sym("sigma"), ca.SX.sym("lam", nlp.g.shape[0])
    jac_ref = ca.Function("J", [nlp.x, nlp.eps], [ca.jacobian(nlp.g, nlp.x)])
    hess_ref = ca.Function("H", [nlp.x, nlp.eps, sigma, lam],
                           [ca.triu(ca.hessian(sigma * nlp.f + ca.dot(lam, nlp.g), nlp.x)[0])])
    rng = np.random.default_rng(0)
    n, m = int(nlp.x.shape[0]), int(nlp.g.shape[0])
    for _ in range(3):
        x = rng.uniform(0.1, 2.0, n)
        duals = rng.normal(size=m)
        jac = np.asarray(ca.DM(nlp.jac_g(x, 1e-2)[1]).full())
        jac_expected = _dense(jac_ref, x, 1e-2)
        assert np.abs(jac - jac_expected).max() <= 1e-12 * (1.0 + np.abs(jac_expected).max())
        h = _dense(nlp.hess_lag, x, 1e-2, 0.7, duals)
        h_ref = _dense(hess_ref, x, 1e-2, 0.7, duals)
        assert np.abs(h - h_ref).max() <= 1e-12 * (1.0 + np.abs(h_ref).max())
