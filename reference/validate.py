"""Input validation for reference's public functions.

Written apart from manual's checks on purpose: reference never imports manual,
so a mistake in one package's checks cannot hide in both.
"""

import math
import numbers
from typing import Any

import jax
import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")
# The precisions the witness is trusted in; float16/bfloat16 keep 3-4 digits, too few for a gradient to be a truth.
SUPPORTED_FLOATS = ("float32", "float64")


def _concrete(x: object) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _check_array(name: str, a: Any) -> None:
    """2-D, floating (Y may be integer or bool), float64 only with x64 on, finite when concrete."""
    if not hasattr(a, "shape") or not hasattr(a, "dtype"):
        raise ValueError(f"{name} must be an array, got {type(a).__name__}")
    if a.ndim != 2:
        if name == "Y" and a.ndim == 1:
            hint = f"; expected (n_y, m) = (1, {a.shape[0]}): use Y.reshape(1, -1)"
        elif name in ("b1", "b2") and a.ndim == 1:
            hint = f"; expected ({a.shape[0]}, 1) (keepdims missing?)"
        else:
            hint = ""
        raise ValueError(f"{name} has shape {tuple(a.shape)}, must be 2-D{hint}")
    numeric = np.issubdtype(a.dtype, np.floating) or (
        name == "Y" and (np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_)
    )
    if "float" in a.dtype.name and a.dtype.name not in SUPPORTED_FLOATS and not (name == "Y" and numeric):
        raise ValueError(f"{name} has dtype {a.dtype}; supported: {', '.join(SUPPORTED_FLOATS)} (use .astype)")
    if not numeric:
        raise ValueError(f"{name} must be a floating-point array, got dtype {a.dtype}")
    if a.dtype == np.float64 and not jax.config.read("jax_enable_x64"):
        raise ValueError(f"{name} is float64 but jax_enable_x64 is off (JAX would compute in float32)")
    if _concrete(a) and np.issubdtype(a.dtype, np.floating):
        values = np.asarray(a)
        if np.isnan(values).any():
            raise ValueError(f"{name} contains NaN")
        if not np.isfinite(values).all():
            raise ValueError(f"{name} contains infinite values")


def validate(params: Any, X: Any, Y: Any, output: str = "sigmoid") -> None:
    """Raise ValueError with one line naming the first problem found."""
    if output not in ("sigmoid", "identity"):
        raise ValueError(f"unknown output {output!r}; choose sigmoid or identity")
    if not isinstance(params, dict):
        raise ValueError(f"parameters must be a dict with keys W1 b1 W2 b2, got {type(params).__name__}")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"parameters are missing {', '.join(missing)} (expected keys W1 b1 W2 b2)")
    for name, a in {"X": X, "Y": Y, **{k: params[k] for k in PARAM_NAMES}}.items():
        _check_array(name, a)
    (n_x, m), (n_y, m_y) = X.shape, Y.shape
    n_h = params["W1"].shape[0]
    want = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    if m_y != m and n_y == m:
        raise ValueError(f"Y has shape {tuple(Y.shape)}, one example per row; expected ({m_y}, {m}): use Y.T")
    if m_y != m:
        raise ValueError(f"Y has {m_y} examples but X has {m}")
    for size, what in ((m, "X has no examples"), (n_x, "X has no features"), (n_y, "Y has no output rows")):
        if size == 0:
            raise ValueError(f"{what} (X {tuple(X.shape)}, Y {tuple(Y.shape)})")
    if n_h == 0:
        raise ValueError(f"W1 has shape {tuple(params['W1'].shape)}: no hidden units (n_h must be at least 1)")
    for k, shape in want.items():
        if tuple(params[k].shape) != shape:
            raise ValueError(
                f"{k} has shape {tuple(params[k].shape)}, expected {shape} for X {tuple(X.shape)}, Y {tuple(Y.shape)}"
            )
    if _concrete(Y) and output == "sigmoid":
        y = np.asarray(Y)
        bad = ~np.isin(y, (0, 1))
        if bad.any():
            found = ", ".join(map(str, np.unique(y[bad])[:5]))
            raise ValueError(f"labels must be 0 or 1 for the sigmoid output; found {found}")


def validate_step(eps: Any) -> None:
    """A finite-difference step: a real number, finite, > 0 (eps = 0 divides by zero)."""
    if isinstance(eps, jax.core.Tracer):
        return  # traced (finite_difference_grads under jit): its value is not known here
    if isinstance(eps, (np.ndarray, jax.Array)) and eps.shape == () and np.issubdtype(eps.dtype, np.number):
        eps = eps.item()
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise ValueError(f"eps must be a number, got {type(eps).__name__} {eps!r}")
    if not math.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
