"""Full-batch gradient descent over either gradient path, compiled as one XLA program per chunk.

The loop over iterations runs inside ``lax.while_loop`` (a compiled loop, no
Python per step); iterations are grouped in chunks of fixed capacity so the
host can show progress between chunks without a sync every step. The number of
steps in a chunk is a *traced* argument, so a short last chunk, a different
learning rate or a second call reuses the same compiled program: one
compilation per (shapes, dtype, hidden, output, grad, chunk).
"""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import manual
import reference

GRAD_PATHS = ("manual", "autodiff")


def value_and_grads_fn(grad):
    """The (J, grads) function of one path; both return dW1 db1 dW2 db2."""
    if grad == "manual":
        return manual.value_and_grads_raw
    if grad == "autodiff":
        return reference.value_and_grads_raw
    raise ValueError(f"unknown gradient path {grad!r}; choose manual or autodiff")


def gd_update(params, grads, lr):
    """theta := theta - lr * dtheta for W1 b1 W2 b2."""
    return {k: params[k] - lr * grads["d" + k] for k in params}


def all_finite(tree):
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in jax.tree.leaves(tree)]))


@partial(jax.jit, static_argnames=("hidden", "output", "grad", "capacity"))
def run_chunk(params, X, Y, lr, n_steps, *, hidden, output, grad, capacity):
    """Up to ``n_steps`` (<= capacity) gradient steps; stops early on a non-finite step.

    Returns (params, costs (capacity,), steps_done, ok). costs[i] is J of the
    parameters *before* step i (the course prints the same quantity); entries
    past steps_done are NaN. ok is False when a step would have produced a
    non-finite cost or parameters: those parameters are then the last finite ones.
    """
    vg = value_and_grads_fn(grad)
    costs0 = jnp.full((capacity,), jnp.nan, X.dtype)

    def cond(state):
        _, _, i, ok = state
        return ok & (i < n_steps)

    def body(state):
        p, costs, i, _ = state
        J, g = vg(p, X, Y, hidden, output)
        new = gd_update(p, g, lr)
        ok = jnp.isfinite(J) & all_finite(new)
        p = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, p)
        costs = costs.at[i].set(J)
        return p, costs, i + ok.astype(i.dtype), ok

    state = (params, costs0, jnp.asarray(0, jnp.int32), jnp.asarray(True))
    return lax.while_loop(cond, body, state)


class Diverged(RuntimeError):
    """The cost or the parameters became non-finite; .params holds the last finite ones."""

    def __init__(self, iteration, params, costs):
        super().__init__(
            f"cost became non-finite at iteration {iteration} (learning rate too large?); "
            "kept the last finite parameters"
        )
        self.iteration, self.params, self.costs = iteration, params, costs


def train(params, X, Y, *, hidden="tanh", output="sigmoid", grad="manual", lr=1.2,
          iterations=10000, chunk=1000, dtype=None, progress=None, start_iteration=0):
    """Run ``iterations`` gradient-descent steps; returns (params, costs (iterations,) numpy).

    ``dtype`` (default: that of X) casts data and parameters; float32 trains
    fastest, float64 is the verification dtype. ``progress(done, last_cost)``
    is called between chunks. Raises Diverged (with the last finite params) if
    a step goes non-finite. ``start_iteration`` only offsets the iteration
    numbers reported (for resumed runs).
    """
    value_and_grads_fn(grad)
    manual.parse_activation(hidden)
    if output not in ("sigmoid", "identity"):
        raise ValueError(f"unknown output {output!r}; choose sigmoid or identity")
    manual.check_problem(params, X, Y, output)
    if iterations < 0 or chunk < 1:
        raise ValueError("iterations must be >= 0 and chunk >= 1")
    dtype = jnp.dtype(dtype or X.dtype)
    X = jnp.asarray(X, dtype)
    Y = jnp.asarray(Y, dtype)
    params = {k: jnp.asarray(params[k], dtype) for k in ("W1", "b1", "W2", "b2")}
    lr = jnp.asarray(lr, dtype)
    capacity = min(chunk, max(iterations, 1))
    history = []
    done = 0
    while done < iterations:
        n = min(capacity, iterations - done)
        params, costs, steps, ok = run_chunk(params, X, Y, lr, jnp.asarray(n, jnp.int32),
                                             hidden=hidden, output=output, grad=grad, capacity=capacity)
        steps = int(steps)
        history.append(np.asarray(costs[:steps]))
        done += steps
        if not bool(ok):
            raise Diverged(start_iteration + done, params, np.concatenate(history))
        if progress is not None:
            progress(done, float(costs[steps - 1]))
    costs = np.concatenate(history) if history else np.zeros((0,), dtype)
    return params, costs


def accuracy(params, X, Y, hidden="tanh", output="sigmoid"):
    """Percent of examples (and output units) where the 0/1 prediction equals Y (sigmoid output)."""
    A2, _ = manual.forward(params, jnp.asarray(X), hidden, output)
    return float(100.0 * np.mean((np.asarray(A2) > 0.5) == (np.asarray(Y) > 0.5)))
