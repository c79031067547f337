"""Full-batch gradient descent over either gradient path (manual or autodiff).

Iterations are grouped in chunks run by ``shallownet.loop.run_chunk`` (one
compiled program); the host shows progress between chunks without a sync
every step, and the cost history comes back as an array.
"""
import jax.numpy as jnp
import numpy as np

import manual

from .loop import GRAD_PATHS, run_chunk, value_and_grads_fn  # noqa: F401

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
