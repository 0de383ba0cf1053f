"""Pseudo-arclength path following for homotopies H(x, t) = 0, from t = 0 to t = 1.

The solution set of H: R^n x R -> R^n near a regular point is a curve z(s) = (x(s), t(s)) in R^(n+1),
parametrised by arclength s. The follower walks along it with

* a predictor along the unit tangent tau, the null vector of the n x (n+1) Jacobian J = [H_x  H_t],
  oriented so that tau . tau_prev > 0 (the first one so that dt/ds > 0);
* a Newton corrector on the square augmented system
      H(z) = 0,    tau . (z - z_pred) = 0          (pseudo-arclength condition);
* adaptive step length: halve on corrector failure, grow by `grow` on easy convergence.

Because the curve is parametrised by arclength and not by t, the follower passes through turning points
(where dt/ds changes sign and H_x is singular) and t may decrease. It stops honestly, with a status:

* ``'reached'``: the path crossed t = t_end; a final Newton solve on H(x, t_end) = 0 at fixed t puts the
  end point exactly on t = t_end;
* ``'left_domain'``: the path left the region given by the `domain` predicate; the exit is located by
  bisection on the step length, `x`/`t` are the last point inside and `exit_point` the first outside;
* ``'step_too_small'``: the step length fell below `h_min` (corrector failing, e.g. a singular point);
* ``'max_steps'``: the budget of predictor-corrector trials ran out.

Jacobians: `jac(x, t)` may return the n x (n+1) matrix [H_x  H_t] (numpy or casadi, e.g. a casadi
``Function`` of (x, t)); without it, central finite differences are used,
``dH/dz_j ~ (H(z + d_j e_j) - H(z - d_j e_j)) / (2 d_j)`` with ``d_j = eps^(1/3) max(1, |z_j|)``
(truncation error O(d^2), about 1e-11 relative). `H` itself may also be a casadi ``Function``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

FD_STEP = np.finfo(float).eps ** (1 / 3)

STATUSES = ("reached", "left_domain", "step_too_small", "max_steps")


@dataclass
class HomotopyResult:
    """Outcome of a path following run; `path` has one row (x_1, ..., x_n, t) per accepted point."""

    status: str
    message: str
    x: np.ndarray
    t: float
    steps: int
    path: np.ndarray
    turning_points: int
    residual: float
    exit_point: np.ndarray | None = field(default=None)

    @property
    def success(self) -> bool:
        """True when the path reached t_end."""
        return self.status == "reached"

    @property
    def t_max(self) -> float:
        """Largest t visited along the path."""
        return float(self.path[:, -1].max())


def _as_vector(value) -> np.ndarray:
    """A flat float array from numpy, list or casadi DM output."""
    return np.asarray(value, dtype=float).reshape(-1)


def central_difference_jacobian(f: Callable, z: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of f at z, step eps^(1/3) max(1, |z_j|) in coordinate j."""
    z = np.asarray(z, dtype=float)
    columns = []
    for j in range(z.size):
        d = FD_STEP * max(1.0, abs(z[j]))
        e = np.zeros_like(z)
        e[j] = d
        columns.append((_as_vector(f(z + e)) - _as_vector(f(z - e))) / (2 * d))
    return np.column_stack(columns)


def positive_orthant(x: np.ndarray) -> bool:
    """Domain predicate: every component strictly positive."""
    return bool(np.all(np.asarray(x) > 0))


class _Homotopy:
    """H and its Jacobian as functions of z = (x, t)."""

    def __init__(self, H: Callable, jac: Callable | None):
        self._H = H
        self._jac = jac

    def value(self, z: np.ndarray) -> np.ndarray:
        return _as_vector(self._H(z[:-1], z[-1]))

    def jacobian(self, z: np.ndarray) -> np.ndarray:
        if self._jac is None:
            return central_difference_jacobian(self.value, z)
        n = z.size - 1
        return np.asarray(self._jac(z[:-1], z[-1]), dtype=float).reshape(n, n + 1)


def tangent(J: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """Unit null vector of the n x (n+1) matrix J, signed to agree with `previous` (else dt/ds > 0).

    The null vector is the last column of Q in the complete QR factorisation J^T = Q R.
    """
    q, _ = np.linalg.qr(J.T, mode="complete")
    tau = q[:, -1]
    reference = previous if previous is not None else np.eye(tau.size)[-1]
    return -tau if tau @ reference < 0 else tau


@dataclass
class _Settings:
    tol: float
    max_newton: int
    max_first_correction: float
    contraction: float
    min_cos_angle: float


def _correct(hom: _Homotopy, z_pred: np.ndarray, tau: np.ndarray, h: float, s: _Settings):
    """Newton on H(z) = 0, tau.(z - z_pred) = 0; returns (z, iterations) or (None, iterations) on failure.

    Fails when a step is not finite, the first correction exceeds `max_first_correction * h` (the predictor
    was too far off: risk of jumping to another branch), or the corrections stop contracting.
    """
    z = z_pred.copy()
    previous = np.inf
    for k in range(1, s.max_newton + 1):
        residual = np.append(hom.value(z), tau @ (z - z_pred))
        if not np.all(np.isfinite(residual)):
            return None, k
        try:
            dz = np.linalg.solve(np.vstack([hom.jacobian(z), tau]), -residual)
        except np.linalg.LinAlgError:
            return None, k
        size = np.linalg.norm(dz)
        if not np.isfinite(size) or (k == 1 and size > s.max_first_correction * h):
            return None, k
        if k > 1 and size > s.contraction * previous:
            return None, k
        z = z + dz
        if size <= s.tol * (1 + np.linalg.norm(z)):
            return z, k
        previous = size
    return None, s.max_newton


def _newton_fixed_t(hom: _Homotopy, x: np.ndarray, t: float, tol: float, max_iter: int):
    """Newton on H(x, t) = 0 with t fixed; returns x or None."""
    for _ in range(max_iter):
        z = np.append(x, t)
        value = hom.value(z)
        try:
            dx = np.linalg.solve(hom.jacobian(z)[:, :-1], -value)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(dx)):
            return None
        x = x + dx
        if np.linalg.norm(dx) <= tol * (1 + np.linalg.norm(x)):
            return x
    return None


class _Follower:
    """State of one pseudo-arclength run."""

    def __init__(self, hom, z0, domain, t_end, settings, h_min):
        self.hom = hom
        self.domain = domain
        self.t_end = t_end
        self.s = settings
        self.h_min = h_min
        self.path = [z0]
        self.tau = tangent(hom.jacobian(z0))
        self.turning_points = 0

    @property
    def z(self) -> np.ndarray:
        return self.path[-1]

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    def trial(self, h: float):
        """Predict-correct from the current point with step h; returns (z, tau, iterations) or None."""
        z, iterations = _correct(self.hom, self.z + h * self.tau, self.tau, h, self.s)
        if z is None:
            return None
        tau = tangent(self.hom.jacobian(z), self.tau)
        if tau @ self.tau < self.s.min_cos_angle:
            return None
        return z, tau, iterations

    def inside(self, z: np.ndarray) -> bool:
        return self.domain is None or bool(self.domain(z[:-1]))

    def accept(self, z: np.ndarray, tau: np.ndarray) -> None:
        if np.sign(tau[-1]) * np.sign(self.tau[-1]) < 0:
            self.turning_points += 1
        self.path.append(z)
        self.tau = tau

    def locate_exit(self, h_out: float, z_out: np.ndarray) -> np.ndarray:
        """Bisect the step length in (0, h_out) for the first point outside the domain."""
        lo, hi = 0.0, h_out
        inside_point = None
        while hi - lo > self.h_min:
            mid = 0.5 * (lo + hi)
            found = self.trial(mid)
            if found is None:
                break
            if self.inside(found[0]):
                lo, inside_point = mid, found
            else:
                hi, z_out = mid, found[0]
        if inside_point is not None:
            self.accept(inside_point[0], inside_point[1])
        return z_out

    def finish(self, z_crossed: np.ndarray) -> np.ndarray | None:
        """Interpolate to t = t_end between the last point and `z_crossed`, then Newton at fixed t.

        The Newton result is rejected if it moved further than the step itself (another branch).
        """
        z0 = self.z
        w = (self.t_end - z0[-1]) / (z_crossed[-1] - z0[-1])
        x_guess = z0[:-1] + w * (z_crossed[:-1] - z0[:-1])
        x = _newton_fixed_t(self.hom, x_guess, self.t_end, self.s.tol, self.s.max_newton + 4)
        if x is None or not self.inside(np.append(x, self.t_end)):
            return None
        if np.linalg.norm(x - x_guess) > np.linalg.norm(z_crossed - z0):
            return None
        return np.append(x, self.t_end)


def follow_path(
    H: Callable,
    x0,
    *,
    jac: Callable | None = None,
    t0: float = 0.0,
    t_end: float = 1.0,
    domain: Callable | None = None,
    h0: float = 0.05,
    h_min: float = 1e-10,
    h_max: float = 0.5,
    grow: float = 1.5,
    max_steps: int = 2000,
    tol: float = 1e-11,
    max_newton: int = 8,
) -> HomotopyResult:
    """Follow the solution curve of H(x, t) = 0 from (x0, t0) until t = t_end > t0.

    `H(x, t)` returns n values; `jac(x, t)` (optional) returns [H_x  H_t] (n x (n+1)); `domain(x)` (optional)
    returns False outside the admissible region. x0 is first polished by Newton on H(x, t0) = 0 and must lie
    in the domain. Steps are arclength h in [h_min, h_max], halved on failure; a step whose corrector
    converged within 3 iterations lets the next one grow by `grow`. `max_steps` bounds the number of
    predictor-corrector trials, failed ones included. See the module docstring for the statuses.
    """
    hom = _Homotopy(H, jac)
    z0 = _start(hom, np.asarray(x0, dtype=float), t0, t_end, domain, tol, max_newton)
    settings = _Settings(
        tol=tol, max_newton=max_newton, max_first_correction=0.5, contraction=0.5, min_cos_angle=0.5
    )
    run = _Follower(hom, z0, domain, t_end, settings, h_min)
    h = h0
    for _ in range(max_steps):
        found = run.trial(h)
        if found is not None and not run.inside(found[0]):
            exit_point = run.locate_exit(h, found[0])
            return _result(run, "left_domain", _exit_message(run.z, exit_point), exit_point)
        if found is not None and found[0][-1] >= t_end:
            end = run.finish(found[0])
            if end is not None:
                run.accept(end, tangent(hom.jacobian(end), run.tau))
                return _result(run, "reached", f"reached t = {t_end:g} after {run.steps} steps")
            found = None  # could not land on t = t_end from this step: retry with a shorter one
        if found is None:
            h *= 0.5
            if h < h_min:
                message = f"step length fell below {h_min:g} at t = {run.z[-1]:.6g} after {run.steps} steps"
                return _result(run, "step_too_small", message)
            continue
        run.accept(found[0], found[1])
        if found[2] <= 3:
            h = min(h * grow, h_max)
    message = f"{max_steps} trials used up at t = {run.z[-1]:.6g} ({run.steps} steps accepted)"
    return _result(run, "max_steps", message)


def _start(hom: _Homotopy, x0: np.ndarray, t0: float, t_end: float, domain, tol: float, max_iter: int):
    """The starting point (x0, t0), polished by Newton at fixed t0; ValueError if it is unusable."""
    if not t0 < t_end:
        raise ValueError(f"t0 = {t0} must be smaller than t_end = {t_end}")
    x = _newton_fixed_t(hom, x0, t0, tol, max_iter)
    if x is None or np.linalg.norm(x - x0) > 1e-6 * (1 + np.linalg.norm(x0)):
        raise ValueError(f"x0 does not solve H(x, {t0}) = 0 (Newton from x0 did not stay at x0)")
    if domain is not None and not domain(x):
        raise ValueError("x0 lies outside the domain")
    return np.append(x, t0)


def _exit_message(inside: np.ndarray, outside: np.ndarray) -> str:
    coords = ", ".join(f"{v:.6g}" for v in outside[:-1])
    return (
        f"path left the domain near t = {inside[-1]:.6g}; "
        f"first point outside: x = ({coords}), t = {outside[-1]:.6g}"
    )


def _result(run: _Follower, status: str, message: str, exit_point=None) -> HomotopyResult:
    z = run.z
    return HomotopyResult(
        status=status,
        message=message,
        x=z[:-1].copy(),
        t=float(z[-1]),
        steps=run.steps,
        path=np.array(run.path),
        turning_points=run.turning_points,
        residual=float(np.linalg.norm(run.hom.value(z))),
        exit_point=exit_point,
    )


def fixed_point_homotopy(G: Callable, x0, jac: Callable | None = None, **options) -> HomotopyResult:
    """Solve G(x) = 0 by following H(x, t) = t G(x) + (1 - t)(x - x0) from (x0, 0) to t = 1.

    H_x = t G'(x) + (1 - t) I and H_t = G(x) - (x - x0). `jac(x)` (optional) returns G'(x), else central
    differences; `options` go to `follow_path` (e.g. `domain=positive_orthant`).
    """
    x0 = np.asarray(x0, dtype=float)
    n = x0.size

    def H(x, t):
        return t * _as_vector(G(x)) + (1 - t) * (x - x0)

    def H_jacobian(x, t):
        Gx = (
            central_difference_jacobian(G, x)
            if jac is None
            else np.asarray(jac(x), dtype=float).reshape(n, n)
        )
        return np.column_stack([t * Gx + (1 - t) * np.eye(n), _as_vector(G(x)) - (x - x0)])

    return follow_path(H, x0, jac=H_jacobian, **options)
