"""The cost of any problem the checker knows, written from its description for jax.grad (the witness).

A problem is described by a few words, not by code: the ``layout`` (examples
as ``"columns"``, the course's X (n_x, m), or as ``"rows"``, cs231n's X (N,
D)), the ``hidden`` layer (None for none, else an activation name of
reference.hidden_activation), the ``output`` and its loss (``"sigmoid"``:
sigmoid + cross-entropy with 0/1 labels; ``"softmax"``: softmax +
cross-entropy with integer labels; ``"identity"``: squared error, halved),
and the regularisation (``reg_kind`` ``"none"``, ``"full"`` λΣW² or
``"half"`` ½λΣW², on the weights only, ``reg_per_m`` dividing it by the
number of examples as the course's Course 2 writes λ/2m).

Parameters are a dict W1 b1 (W2 b2 when there is a hidden layer). Columns:
W (n_out, n_in), Z = W A + b with b of n_out entries; rows: W (n_in, n_out),
Z = A W + b. A bias of any shape holding n_out entries (the course's (n, 1),
cs231n's (n,), week 2's scalar b) is reshaped explicitly, never broadcast by
rank promotion, and jax.grad gives its gradient in its own shape.

The cost is the mean over the examples of the summed per-unit loss, plus
the regularisation. Written from jax.numpy and jax.nn primitives alone: it
never imports manual (the hand-derived formulas it checks) nor the checker.
"""

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp

from .model import hidden_activation
from .typing import AnyArray, Params, ParamsLike

LAYOUTS = ("columns", "rows")
OUTPUTS = ("sigmoid", "softmax", "identity")
REG_KINDS = ("none", "full", "half")
# For the outermost jit of a truth computation (JAX refuses them on a nested one). The checker draws fresh
# shapes for every check, so each truth program is compiled for a single run of microseconds: LLVM's
# optimisation passes cost more than they save (about half the compile time, measured on a shared machine).
# Level 0 keeps float64 and every operation; results differ from the optimised program's by rounding alone
# (~1e-16; tests/test_checker_truth.py bounds it).
TRUTH_COMPILER_OPTIONS = {"xla_backend_optimization_level": 0}


def _affine(W: jax.Array, A: jax.Array, b: jax.Array, layout: str) -> jax.Array:
    """W A + b (columns) or A W + b (rows), b reshaped to the output units' axis."""
    if layout == "columns":
        return jnp.dot(W, A) + jnp.reshape(b, (-1, 1))
    return jnp.dot(A, W) + jnp.reshape(b, (1, -1))


def scores(params: Params, X: jax.Array, layout: str, hidden: str | None) -> jax.Array:
    """The output layer's pre-activations: (n_y, m) for columns, (N, C) for rows."""
    A = X
    if hidden is not None:
        A = hidden_activation(hidden)(_affine(params["W1"], A, params["b1"], layout))
        return _affine(params["W2"], A, params["b2"], layout)
    return _affine(params["W1"], A, params["b1"], layout)


def example_losses(Z: jax.Array, Y: jax.Array, layout: str, output: str) -> jax.Array:
    """The loss of each example (m,), from the scores and the labels.

    softmax: Y holds integer class labels (m,); -log softmax(z)[y] =
    logsumexp(z) - z_y. sigmoid: Y holds 0/1 per unit, the shape of Z.
    identity: ½(z - y)² per unit. Units are summed per example.
    """
    unit_axis = 0 if layout == "columns" else 1
    if output == "softmax":
        log_probs = jax.nn.log_softmax(Z, axis=unit_axis)
        labels = jnp.asarray(Y).astype(jnp.int32)
        picked = jnp.take_along_axis(log_probs, jnp.expand_dims(labels, unit_axis), axis=unit_axis)
        return -jnp.squeeze(picked, axis=unit_axis)
    if output == "sigmoid":
        # -y log s(z) - (1 - y) log s(-z), with log s(-z) = log s(z) - z.
        per_unit = (1 - Y) * Z - jax.nn.log_sigmoid(Z)
    elif output == "identity":
        per_unit = 0.5 * jnp.square(Z - Y)
    else:
        raise ValueError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")
    return jnp.sum(per_unit, axis=unit_axis)


def weight_penalty(params: Params, reg: float, reg_kind: str) -> jax.Array:
    """λΣW² (full), ½λΣW² (half) or 0 (none), over the weights W1, W2 only (never the biases)."""
    if reg_kind not in REG_KINDS:
        raise ValueError(f"unknown regularisation {reg_kind!r}; choose one of {', '.join(REG_KINDS)}")
    if reg_kind == "none":
        return jnp.zeros(())
    total = jnp.zeros(())
    for name in ("W1", "W2"):
        if name in params:
            total = total + jnp.sum(jnp.square(params[name]))
    return (1.0 if reg_kind == "full" else 0.5) * reg * total


@partial(jax.jit, static_argnames=("layout", "hidden", "output", "reg_kind", "reg_per_m"))
def problem_cost(
    params: Params,
    X: jax.Array,
    Y: jax.Array,
    reg: float = 0.0,
    *,
    layout: str,
    hidden: str | None,
    output: str,
    reg_kind: str = "none",
    reg_per_m: bool = False,
) -> jax.Array:
    """J = mean over the m examples of their loss + the weight penalty (÷ m when reg_per_m)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    Z = scores(params, X, layout, hidden)
    m = X.shape[1] if layout == "columns" else X.shape[0]
    penalty = weight_penalty(params, reg, reg_kind)
    return jnp.mean(example_losses(Z, Y, layout, output)) + (penalty / m if reg_per_m else penalty)


def problem_value_and_grads(
    params: ParamsLike, X: AnyArray, Y: AnyArray, reg: float = 0.0, **description: object
) -> tuple[jax.Array, Params]:
    """(J, jax.grad of J) for a problem's description; the gradients keep the parameters' names and shapes."""
    return jax.value_and_grad(problem_cost)(params, X, Y, reg, **description)


@partial(
    jax.jit,
    static_argnames=("layout", "hidden", "output", "reg_kind", "reg_per_m"),
    compiler_options=TRUTH_COMPILER_OPTIONS,
)
def problem_truth(
    params: ParamsLike, X: AnyArray, Y: AnyArray, reg: float = 0.0, **description: Any
) -> tuple[jax.Array, Params, jax.Array]:
    """(J, jax.grad of J, the scores) in one program: a fresh draw's shapes cost one compilation, not one per
    operation (op-by-op scores compiled each primitive: ~11 compilations per cs231n draw)."""
    J, grads = jax.value_and_grad(problem_cost)(params, X, Y, reg, **description)
    as_arrays = {k: jnp.asarray(v) for k, v in params.items()}
    return J, grads, scores(as_arrays, jnp.asarray(X), description["layout"], description["hidden"])


def problem_scores(params: ParamsLike, X: AnyArray, *, layout: str, hidden: str | None) -> jax.Array:
    """The scores a network returns before its loss: cs231n's ``loss(X)`` with y None."""
    return scores({k: jnp.asarray(v) for k, v in params.items()}, jnp.asarray(X), layout, hidden)
