"""Logistic regression, Z = W X + b, A = sigma(Z): the no-hidden-layer baseline the course compares against (~47%).

Unregularized, at its minimum by Newton's method in numpy: a sweep reports it beside every table, and a compiled
gradient-descent loop would cost more of its wall time (a compile, then 10,000 steps) than all the Newton steps.
"""

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from .evaluate import score

if TYPE_CHECKING:  # manual (and JAX) load only when a model is fitted
    from manual.typing import AnyArray

MAX_STEPS = 50  # Newton steps at most; a non-separable problem converges in well under 20
TOLERANCE = 1e-12  # stop when the largest gradient entry is below this
# Multiply-adds of one Newton step, (n_x+1)^2 m + (n_x+1)^3, above which the baseline is skipped with a note
# (0.1-0.3 s a step on 2 cores; 3,000 features took 224 s). Stop requests are honoured between steps.
MAX_STEP_WORK = 2 * 10**9


def skip_reason(n_x: int, m: int) -> str | None:
    """Why the baseline is not fitted for n_x features and m examples (too much work), or None: it is."""
    work = (n_x + 1) ** 2 * m + (n_x + 1) ** 3
    why = f"{n_x} features x {m} examples make each Newton step {work:.2g} multiply-adds"
    return None if work <= MAX_STEP_WORK else f"logistic regression skipped: {why} (the bound is {MAX_STEP_WORK:.0g})"


def memory_bytes(n_x: int, m: int) -> int:
    """What a fit holds besides X: X with a row of ones and a weighted copy (n_x + 1, m), the Hessian, in float64."""
    return 8 * (2 * (n_x + 1) * m + (n_x + 1) ** 2)


def _cost(z: np.ndarray, y: np.ndarray) -> float:
    """J = mean over examples of log(1 + e^z) - y z: the cross-entropy of sigma(z), finite for any z."""
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def _fit_row(A: np.ndarray, y: np.ndarray, should_stop: Callable[[], object]) -> np.ndarray:
    """Newton's method for one output unit: A (n_x + 1, m) with a row of ones, y (m,) -> w (n_x + 1,)."""
    m = A.shape[1]
    w = np.zeros(A.shape[0])
    for _ in range(MAX_STEPS):
        if should_stop():
            break
        z = w @ A
        a = np.exp(-np.logaddexp(0.0, -z))  # sigma(z) without overflow for large |z|
        gradient = A @ (a - y) / m
        if np.max(np.abs(gradient)) < TOLERANCE:
            break
        hessian = (A * (a * (1.0 - a))) @ A.T / m
        # lstsq, not solve: on separable data a * (1 - a) -> 0 and the Hessian becomes singular.
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        now, t = _cost(z, y), 1.0
        while t > 1e-12 and _cost((w - t * step) @ A, y) > now - 1e-4 * t * (gradient @ step):
            t /= 2
        if t <= 1e-12:
            break  # no step lowers J any more: at the minimum to round-off
        w = w - t * step
    return w


def fit(X: "AnyArray", Y: "AnyArray", should_stop: Callable[[], object] = lambda: None) -> dict[str, np.ndarray]:
    """Fit each output unit from zeros: {"W": (n_y, n_x), "b": (n_y, 1)} numpy, in X's dtype. ``should_stop()``,
    asked before each Newton step, ends the fit there (the caller, who asked to stop, discards it)."""
    import manual

    manual.checks.check_X(X)
    manual.checks.check_Y(Y, X, "sigmoid")
    X64, Y64 = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    A = np.vstack([X64, np.ones((1, X64.shape[1]))])
    rows = np.stack([_fit_row(A, y, should_stop) for y in Y64])
    dtype = np.asarray(X).dtype
    return {"W": rows[:, :-1].astype(dtype), "b": rows[:, -1:].astype(dtype)}


def accuracy(model: Mapping[str, "AnyArray"], X: "AnyArray", Y: "AnyArray") -> float:
    """Percent of examples whose 0/1 prediction (sigma(W X + b) > 0.5, i.e. W X + b > 0) equals Y."""
    W = np.asarray(model["W"])
    Z = W @ np.asarray(X, W.dtype) + np.asarray(model["b"])
    return score((Z > 0).astype(np.uint8), np.asarray(Y), "sigmoid")
