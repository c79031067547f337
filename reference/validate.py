"""Input validation for reference's public functions (independent of manual's)."""
import jax
import numpy as np


def _concrete(x):
    return not isinstance(x, jax.core.Tracer)


def validate(params, X, Y, output="sigmoid"):
    """Raise ValueError with one line naming the first problem found."""
    if output not in ("sigmoid", "identity"):
        raise ValueError(f"unknown output {output!r}; choose sigmoid or identity")
    arrays = {"X": X, "Y": Y}
    if not isinstance(params, dict) or set(params) < {"W1", "b1", "W2", "b2"}:
        raise ValueError("parameters must be a dict with keys W1 b1 W2 b2")
    arrays.update({k: params[k] for k in ("W1", "b1", "W2", "b2")})
    for name, a in arrays.items():
        if not hasattr(a, "shape") or not hasattr(a, "dtype"):
            raise ValueError(f"{name} must be an array, got {type(a).__name__}")
        if a.ndim != 2:
            hint = "; expected (n_y, m): use Y.reshape(1, -1)" if name == "Y" and a.ndim == 1 else ""
            raise ValueError(f"{name} has shape {tuple(a.shape)}, must be 2-D{hint}")
        if a.dtype == np.float64 and not jax.config.jax_enable_x64:
            raise ValueError(f"{name} is float64 but jax_enable_x64 is off (JAX would compute in float32)")
    (n_x, m), (n_y, m_y) = X.shape, Y.shape
    n_h = params["W1"].shape[0]
    want = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    if m_y != m:
        raise ValueError(f"Y has {m_y} examples but X has {m}")
    for k, shape in want.items():
        if tuple(params[k].shape) != shape:
            raise ValueError(f"{k} has shape {tuple(params[k].shape)}, expected {shape} for X {tuple(X.shape)}, Y {tuple(Y.shape)}")
    if _concrete(X) and np.isnan(np.asarray(X)).any():
        raise ValueError("X contains NaN")
    if _concrete(Y) and output == "sigmoid":
        bad = ~np.isin(np.asarray(Y), (0, 1))
        if bad.any():
            raise ValueError(f"labels must be 0 or 1 for the sigmoid output; found {np.unique(np.asarray(Y)[bad])[:5]}")
