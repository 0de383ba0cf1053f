"""Pseudo-arclength path following on problems with known answers."""

import casadi as ca
import numpy as np
import pytest

from sharedeq.homotopy import (
    central_difference_jacobian,
    fixed_point_homotopy,
    follow_path,
    positive_orthant,
    tangent,
)


def cubic(x, t):
    """x^3 - 3x = 8t - 4: an S-shaped curve with turning points at (x, t) = (-1, 3/4) and (1, 1/4)."""
    return x**3 - 3 * x - (8 * t - 4)


def real_root(coefficients):
    roots = np.roots(coefficients)
    return roots[np.abs(roots.imag) < 1e-12].real.item()


def test_passes_two_turning_points_and_reaches_the_root():
    x0 = real_root([1, 0, -3, 4])  # t = 0: x^3 - 3x + 4 = 0, x ~ -2.196, on the left branch
    result = follow_path(cubic, [x0])
    assert result.status == "reached", result.message
    assert result.turning_points == 2
    assert result.t == 1.0
    assert result.x[0] == pytest.approx(real_root([1, 0, -3, -4]), abs=1e-10)  # x ~ 2.196
    x, t = result.path[:, 0], result.path[:, 1]
    assert np.any(np.diff(t) < 0), "t must decrease along the middle branch"
    middle = (x > -0.9) & (x < 0.9)
    assert np.all((t[middle] > 0.25) & (t[middle] < 0.75))


def test_2d_polynomial_system_reaches_known_root():
    def G(x):
        return np.array(
            [x[0] ** 2 + x[1] ** 2 - 5, x[0] * x[1] - 2]
        )  # roots (1, 2), (2, 1), (-1, -2), (-2, -1)

    def G_jac(x):
        return np.array([[2 * x[0], 2 * x[1]], [x[1], x[0]]])

    for jac in (None, G_jac):
        result = fixed_point_homotopy(G, [3.0, 0.5], jac=jac)
        assert result.status == "reached", result.message
        np.testing.assert_allclose(result.x, [2.0, 1.0], atol=1e-10)
        assert result.residual < 1e-12


def test_casadi_functions_for_H_and_its_jacobian():
    x, t = ca.SX.sym("x", 2), ca.SX.sym("t")
    g = ca.vertcat(x[0] ** 2 + x[1] ** 2 - 5, x[0] * x[1] - 2)
    h = t * g + (1 - t) * (x - ca.DM([3.0, 0.5]))
    H = ca.Function("H", [x, t], [h])
    J = ca.Function("J", [x, t], [ca.jacobian(h, ca.vertcat(x, t))])
    result = follow_path(H, [3.0, 0.5], jac=J)
    assert result.status == "reached", result.message
    np.testing.assert_allclose(result.x, [2.0, 1.0], atol=1e-10)


def test_left_domain_is_located_and_reported():
    result = follow_path(lambda x, t: x - 2 * t, [0.0], domain=lambda x: x[0] < 1)
    assert result.status == "left_domain"
    assert result.t == pytest.approx(0.5, abs=1e-8)
    assert result.x[0] < 1 <= result.exit_point[0]
    assert "left the domain" in result.message


def test_step_too_small_when_the_corrector_keeps_failing():
    def H(x, t):
        return x - t if t < 0.5 else np.full(1, np.nan)

    result = follow_path(H, [0.0])
    assert result.status == "step_too_small"
    assert result.t < 0.5


def test_max_steps():
    result = follow_path(lambda x, t: x - t, [0.0], h0=1e-3, h_max=1e-3, max_steps=5)
    assert result.status == "max_steps"
    assert result.steps == 5 and result.path.shape == (6, 2)


def test_positive_orthant():
    assert positive_orthant(np.array([1.0, 2.0]))
    assert not positive_orthant(np.array([1.0, 0.0]))


def test_tangent_orientation():
    J = np.array([[1.0, -1.0]])  # H = x - t
    np.testing.assert_allclose(tangent(J), np.array([1, 1]) / np.sqrt(2))
    np.testing.assert_allclose(tangent(J, np.array([-1.0, -0.5])), -np.array([1, 1]) / np.sqrt(2))


def test_central_difference_jacobian():
    def f(z):
        return np.array([np.sin(z[0]) * z[1], z[1] ** 3])

    z = np.array([0.3, 1.7])
    exact = np.array([[np.cos(z[0]) * z[1], np.sin(z[0])], [0.0, 3 * z[1] ** 2]])
    np.testing.assert_allclose(central_difference_jacobian(f, z), exact, atol=1e-9)


def test_bad_start_is_an_error():
    with pytest.raises(ValueError, match="does not solve"):
        follow_path(lambda x, t: x - t - 1, [0.0])
    with pytest.raises(ValueError, match="outside the domain"):
        follow_path(lambda x, t: x - t, [0.0], domain=positive_orthant)
