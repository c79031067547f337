"""Symmetry (lecture 1.11): identical hidden units get identical gradients and stay identical; random init breaks it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manual
from gradient_cases import SMALL, random_problem

STEPS = 10


def _train(params, X, Y, activation, steps=STEPS, learning_rate=1.2):
    for _ in range(steps):
        params = manual.update_parameters(params, manual.grads(params, X, Y, activation), learning_rate)
    return params


def _rows_equal(M):
    M = np.asarray(M)
    return np.allclose(M, M[:1], rtol=1e-12, atol=1e-15)


def _symmetric_init(kind, n_x, n_h, n_y):
    if kind == "zeros":
        return manual.init_zeros(n_x, n_h, n_y, jnp.float64)
    # Non-zero but symmetric: every hidden unit has the same incoming and outgoing weights.
    row = jnp.linspace(-0.5, 0.5, n_x)[None, :]
    return {
        "W1": jnp.tile(row, (n_h, 1)),
        "b1": jnp.full((n_h, 1), 0.1),
        "W2": jnp.full((n_y, n_h), 0.3),
        "b2": jnp.zeros((n_y, 1)),
    }


@pytest.mark.parametrize(
    "activation,init", [("sigmoid", "zeros"), ("tanh", "zeros"), ("tanh", "constant"), ("relu", "constant")]
)
def test_symmetric_init_gives_equal_rows_of_dW1_and_hidden_units_stay_identical(activation, init):
    _, X, Y = random_problem(0, *SMALL)
    params = _symmetric_init(init, *SMALL[:3])
    grads = manual.grads(params, X, Y, activation)
    assert _rows_equal(grads["dW1"]) and _rows_equal(grads["db1"])
    trained = _train(params, X, Y, activation)
    _, cache = manual.forward(trained, X, activation)
    assert _rows_equal(trained["W1"]) and _rows_equal(trained["b1"]) and _rows_equal(trained["W2"].T)
    assert _rows_equal(cache["A1"]), "hidden units diverged from a symmetric start"
    if (activation, init) != ("tanh", "zeros"):
        # Not trivially equal: the (identical) units did learn.
        assert np.abs(np.asarray(trained["W1"] - params["W1"])).max() > 1e-3


def test_zero_init_with_tanh_never_moves_the_hidden_layer():
    """tanh(0) = 0 and W2 = 0: dW2 = dZ2 A1^T = 0 and dZ1 = W2^T dZ2 * g' = 0, so only b2 learns."""
    _, X, Y = random_problem(0, *SMALL)
    trained = _train(manual.init_zeros(*SMALL[:3], jnp.float64), X, Y, "tanh")
    for k in ("W1", "b1", "W2"):
        np.testing.assert_array_equal(trained[k], 0.0)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_random_init_breaks_the_symmetry(activation):
    _, X, Y = random_problem(0, *SMALL)
    params = manual.init_params(jax.random.PRNGKey(0), *SMALL[:3], scale=0.01, dtype=jnp.float64)
    dW1 = np.asarray(manual.grads(params, X, Y, activation)["dW1"])
    distinct_rows = len({tuple(np.round(row, 15)) for row in dW1})
    assert distinct_rows == dW1.shape[0]
    _, cache = manual.forward(_train(params, X, Y, activation), X, activation)
    assert not _rows_equal(cache["A1"])
