"""Input checks for the public entry points: one clear ValueError per mistake.

Shapes are checked always (they are static, even under jit). Values (NaN,
label values) are checked only on concrete arrays: inside ``jax.jit`` or
``lax.scan`` the arrays are tracers and such checks would force a host sync,
so the training loop validates its data once, before compiling.
"""

from typing import Any

import jax
import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")


def is_concrete(x: object) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(getattr(x, "shape", np.shape(x)))


def check_float_array(x: Any, name: str) -> None:
    """x must be a 2-D floating array; float64 only when JAX can compute in it."""
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise ValueError(f"{name} must be a numpy or jax array, got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows x examples), got shape {_shape(x)}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must be a floating-point array, got dtype {x.dtype}")
    if x.dtype == np.float64 and not jax.config.read("jax_enable_x64"):
        raise ValueError(
            f"{name} is float64 but jax_enable_x64 is off, so JAX would silently compute in float32; "
            "set jax.config.update('jax_enable_x64', True) before creating arrays"
        )
    if is_concrete(x) and not np.all(np.isfinite(np.asarray(x))):
        kind = "NaN" if np.isnan(np.asarray(x)).any() else "infinite values"
        raise ValueError(f"{name} contains {kind}")


def check_X(X: Any) -> None:
    """X: (n_x, m), examples are columns."""
    check_float_array(X, "X")
    if X.shape[1] == 0:
        raise ValueError("X has no examples (shape (n_x, 0))")


def check_Y(Y: Any, X: Any, output: str = "sigmoid") -> None:
    """Y: (n_y, m) with the same m as X; labels in {0, 1} for a sigmoid output."""
    if not hasattr(Y, "shape"):
        raise ValueError(f"Y must be a numpy or jax array, got {type(Y).__name__}")
    m = X.shape[1]
    if Y.ndim == 1:
        raise ValueError(f"Y has shape {_shape(Y)}; expected (n_y, m) = (1, {Y.shape[0]}): use Y.reshape(1, -1)")
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-D (n_y, m), got shape {_shape(Y)}")
    if Y.shape[1] != m:
        raise ValueError(f"Y has {Y.shape[1]} examples (shape {_shape(Y)}) but X has {m} (shape {_shape(X)})")
    if not (np.issubdtype(Y.dtype, np.floating) or np.issubdtype(Y.dtype, np.integer) or Y.dtype == np.bool_):
        raise ValueError(f"Y must be numeric, got dtype {Y.dtype}")
    if Y.dtype == np.float64 and not jax.config.read("jax_enable_x64"):
        raise ValueError("Y is float64 but jax_enable_x64 is off; enable it before creating arrays")
    if is_concrete(Y):
        y = np.asarray(Y)
        if np.issubdtype(y.dtype, np.floating) and not np.all(np.isfinite(y)):
            raise ValueError("Y contains NaN" if np.isnan(y).any() else "Y contains infinite values")
        if output == "sigmoid":
            bad = ~np.isin(y, (0, 1))
            if bad.any():
                values = np.unique(y[bad])[:5]
                raise ValueError(f"labels must be 0 or 1 for the sigmoid output; found {', '.join(map(str, values))}")


def check_params(params: Any, n_x: int | None = None, n_y: int | None = None) -> None:
    """W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1)."""
    if not isinstance(params, dict):
        raise ValueError(f"parameters must be a dict with keys W1 b1 W2 b2, got {type(params).__name__}")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"parameters are missing {', '.join(missing)}")
    for k in PARAM_NAMES:
        if k.startswith("b") and getattr(params[k], "ndim", None) == 1:
            n = params[k].shape[0]
            raise ValueError(f"{k} has shape ({n},), expected ({n}, 1) (keepdims missing?)")
        check_float_array(params[k], k)
    n_h, n_x_w = params["W1"].shape
    n_y_w = params["W2"].shape[0]
    expected = {"b1": (n_h, 1), "W2": (n_y_w, n_h), "b2": (n_y_w, 1)}
    for k, shape in expected.items():
        if _shape(params[k]) != shape:
            hint = " (keepdims missing?)" if k.startswith("b") and params[k].ndim == 1 else ""
            raise ValueError(f"{k} has shape {_shape(params[k])}, expected {shape}{hint}")
    if n_x is not None and n_x_w != n_x:
        raise ValueError(f"W1 has shape {_shape(params['W1'])} but X has n_x = {n_x} rows: expected W1 ({n_h}, {n_x})")
    if n_y is not None and n_y_w != n_y:
        raise ValueError(f"W2 has shape {_shape(params['W2'])} but Y has n_y = {n_y} rows: expected W2 ({n_y}, {n_h})")


def check_problem(params: Any, X: Any, Y: Any = None, output: str = "sigmoid") -> None:
    """All checks for (params, X, Y) at a public entry point."""
    check_X(X)
    if Y is not None:
        check_Y(Y, X, output)
    check_params(params, n_x=X.shape[0], n_y=None if Y is None else Y.shape[0])


def check_output(output: str) -> None:
    if output not in ("sigmoid", "identity"):
        raise ValueError(
            f"unknown output {output!r}; choose sigmoid (binary cross-entropy) or identity (squared error)"
        )
