"""Input checks for the public entry points: one clear ValueError per mistake.

Shapes are checked always (they are static, even under jit). Values (NaN,
label values) are checked only on concrete arrays: inside ``jax.jit`` or
``lax.scan`` the arrays are tracers and such checks would force a host sync,
so the training loop validates its data once, before compiling.

reference/validate.py holds reference's own checks of the same things: the two
packages never import each other (the witness must not share a mistake with
what it checks), so each keeps its small checks, one function per concept here.
"""

import math
import numbers
from typing import Any

import jax
import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")
# The dtypes the formulas are verified in. float16 and bfloat16 carry 3-4 digits: the cost and its
# gradients lose most of them (1 - a**2 near a saturated tanh is 0), so a number computed in them
# would look like an answer without being one; float128 is not a dtype JAX computes in.
SUPPORTED_FLOATS = ("float32", "float64")


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
    if x.dtype.name not in SUPPORTED_FLOATS and (np.issubdtype(x.dtype, np.floating) or "float" in x.dtype.name):
        raise ValueError(f"{name} has dtype {x.dtype}; supported: {', '.join(SUPPORTED_FLOATS)} (use .astype)")
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
    """X: (n_x, m), examples are columns; at least one feature and one example."""
    check_float_array(X, "X")
    if X.shape[1] == 0:
        raise ValueError("X has no examples (shape (n_x, 0))")
    if X.shape[0] == 0:
        raise ValueError(f"X has no features (shape {_shape(X)})")


def check_Y_shape(y_shape: tuple[int, ...], x_shape: tuple[int, ...], x_name: str = "X") -> None:
    """Y (n_y, m) beside X (n_x, m), from the shapes alone (layer_sizes reads no values)."""
    m = x_shape[1]
    if len(y_shape) == 1:
        raise ValueError(f"Y has shape {y_shape}; expected (n_y, m) = (1, {y_shape[0]}): use Y.reshape(1, -1)")
    if len(y_shape) != 2:
        raise ValueError(f"Y must be 2-D (n_y, m), got shape {y_shape}")
    if y_shape[1] != m and y_shape[0] == m:
        # (m, n_y): one example per row, the layout of most other courses and of pandas.
        raise ValueError(
            f"Y has shape {y_shape}, one example per row; expected (n_y, m) = ({y_shape[1]}, {m}): use Y.T"
        )
    if y_shape[1] != m:
        raise ValueError(f"Y has {y_shape[1]} examples (shape {y_shape}) but {x_name} has {m} (shape {x_shape})")
    if y_shape[0] == 0:
        raise ValueError(f"Y has no output rows (shape {y_shape})")


def check_Y(Y: Any, X: Any, output: str = "sigmoid") -> None:
    """Y: (n_y, m) with the same m as X; labels in {0, 1} for a sigmoid output."""
    if not hasattr(Y, "shape"):
        raise ValueError(f"Y must be a numpy or jax array, got {type(Y).__name__}")
    check_Y_shape(_shape(Y), _shape(X))
    if _shape(Y)[1] == 0:
        raise ValueError(f"Y has no examples (shape {_shape(Y)})")
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
    if n_h == 0:
        raise ValueError(f"W1 has shape {_shape(params['W1'])}: no hidden units (n_h must be at least 1)")
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


def check_grads(grads: Any, params: Any) -> None:
    """dW1 db1 dW2 db2, each with its parameter's shape (a 1-D db1 would broadcast b1 to (n_h, n_h))."""
    if not hasattr(grads, "keys"):
        raise ValueError(f"grads must be a dict with keys dW1 db1 dW2 db2, got {type(grads).__name__}")
    missing = [f"d{k}" for k in PARAM_NAMES if f"d{k}" not in grads]
    if missing:
        raise ValueError(f"grads are missing {', '.join(missing)}")
    for k in PARAM_NAMES:
        grad = grads[f"d{k}"]
        if hasattr(grad, "shape") and _shape(grad) != _shape(params[k]):
            hint = " (keepdims missing?)" if len(_shape(grad)) == 1 else ""
            raise ValueError(f"d{k} has shape {_shape(grad)}, expected {_shape(params[k])} like {k}{hint}")
        check_float_array(grad, f"d{k}")


def check_positive_number(value: Any, name: str) -> None:
    """A real number > 0 and finite (a learning rate, a step): not a string, a bool, an array of many."""
    if isinstance(value, jax.core.Tracer):
        if value.shape != ():
            raise ValueError(f"{name} must be a number, got an array of shape {value.shape}")
        return  # its value is not known while tracing: the public entry point checked it
    if isinstance(value, (np.ndarray, jax.Array)) and value.shape == () and np.issubdtype(value.dtype, np.number):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_count(value: Any, name: str) -> None:
    """A whole number >= 1 (a layer size, a number of iterations)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


def check_dtype(dtype: Any, name: str = "dtype") -> None:
    """One of SUPPORTED_FLOATS (a numpy/JAX dtype or its name)."""
    try:
        found = np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"{name} must be one of {', '.join(SUPPORTED_FLOATS)}, got {dtype!r}") from None
    if found not in SUPPORTED_FLOATS:
        raise ValueError(f"{name} must be one of {', '.join(SUPPORTED_FLOATS)}, got {found}")
