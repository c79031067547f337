"""Seeded problems and comparisons shared by the gradient tests.

Weights, biases and inputs are drawn at scale 1, not the course's 0.01: at
0.01 the pre-activations are ~1e-2, where wrong derivatives such as
1 - Z1**2 for tanh' differ from the right one by ~1e-6 and hide inside any
tolerance. At scale 1 the hidden units span both the steep middle and the
saturated ends of every activation.
"""

import itertools

import chex
import jax.numpy as jnp
import numpy as np

import manual
import reference

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu:0.2", "identity")
OUTPUTS = ("sigmoid", "identity")
COMBOS = tuple(itertools.product(ACTIVATIONS, OUTPUTS))
# Every hidden activation once, the outputs alternating: for the costlier checks.
PAIRS = tuple((activation, OUTPUTS[i % 2]) for i, activation in enumerate(ACTIVATIONS))
GRAD_KEYS = ("dW1", "db1", "dW2", "db2")
# (n_x, n_h, n_y, m) of the small problem most tests share, so their compilations are shared too.
SMALL = (3, 4, 2, 30)


def combo_id(activation, output):
    return f"{activation.replace(':', '')}_{output}"


def random_shapes(seed, count):
    """`count` seeded (n_x, n_h, n_y, m): n in 1..32, m in 1..512."""
    rng = np.random.default_rng(seed)
    return [
        (int(rng.integers(1, 33)), int(rng.integers(1, 33)), int(rng.integers(1, 33)), int(rng.integers(1, 513)))
        for _ in range(count)
    ]


def random_problem(seed, n_x, n_h, n_y, m, output="sigmoid", dtype=jnp.float64):
    """(params, X, Y) as jax arrays of `dtype`; Y is 0/1 for the sigmoid output, real otherwise."""
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.standard_normal((n_h, n_x)),
        "b1": rng.standard_normal((n_h, 1)),
        "W2": rng.standard_normal((n_y, n_h)),
        "b2": rng.standard_normal((n_y, 1)),
    }
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((n_y, m)) < 0.5).astype(np.float64) if output == "sigmoid" else rng.standard_normal((n_y, m))
    return {k: jnp.asarray(v, dtype) for k, v in params.items()}, jnp.asarray(X, dtype), jnp.asarray(Y, dtype)


def relative_error(a, b):
    """||a - b|| / ||b|| (plain ||a - b|| when b is exactly zero), in float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    diff, size = np.linalg.norm(a - b), np.linalg.norm(b)
    return diff / size if size > 0 else diff


def worst_relative_error(grads, grads_ref):
    """max over dW1 db1 dW2 db2 of the relative error, and which gradient it was."""
    errors = {k: relative_error(grads[k], grads_ref[k]) for k in GRAD_KEYS}
    worst = max(errors, key=errors.get)
    return errors[worst], worst


def assert_grads_like(grads, params, dtype):
    """grads are exactly dW1 db1 dW2 db2 with the params' shapes, all of `dtype`."""
    assert sorted(grads) == sorted(GRAD_KEYS), sorted(grads)
    chex.assert_equal_shape([grads["dW1"], params["W1"]])
    chex.assert_equal_shape([grads["db1"], params["b1"]])
    chex.assert_equal_shape([grads["dW2"], params["W2"]])
    chex.assert_equal_shape([grads["db2"], params["b2"]])
    chex.assert_type([grads[k] for k in GRAD_KEYS], dtype)
    chex.assert_tree_all_finite(grads)


def assert_grads_agree(grads, grads_ref, tol, what=""):
    err, key = worst_relative_error(grads, grads_ref)
    assert err <= tol, f"{what}: {key} relative error {err:.3g} > {tol:g}"


def problems_for_every_combo(seed, shapes, dtype, combos=COMBOS):
    """One seeded (params, X, Y) per entry of `combos`; shapes[i] is combination i's shape."""
    return [
        random_problem(seed + i, *shape, output=output, dtype=dtype)
        for i, ((_, output), shape) in enumerate(zip(combos, shapes))
    ]


def both_paths(problems, combos=COMBOS):
    """[(manual (J, grads), reference (J, grads)) for combos[i] on problems[i]].

    One traceable function for all the combinations: under jax.jit it is a
    single compilation, which costs a fraction of twelve separate ones.
    """
    return [
        (
            manual.value_and_grads_unchecked(*problem, activation, output),
            reference.value_and_grads_unchecked(*problem, activation, output),
        )
        for (activation, output), problem in zip(combos, problems)
    ]
