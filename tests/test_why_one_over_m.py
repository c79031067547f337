"""Why dZ2 = A2 - Y has no 1/m while dW2 and db2 do: checked with jax.grad, not just stated.

J = (1/m) sum_i L(i). The gradient of J itself with respect to Z2 is (A2 - Y)/m;
the course's dZ2 = A2 - Y is the gradient of each example's *own* loss L(i)
with respect to its own z2(i). W2 and b2 are shared by all m examples, so their
gradient sums the m contributions and the 1/m of the average lands there:
dW2 = (1/m) dZ2 A1^T, db2 = (1/m) sum_i dZ2(i).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manual
import reference
from gradient_cases import SMALL, assert_grads_agree, random_problem

OUTPUTS = ("sigmoid", "identity")
# jax.grad of J as a function of Z2 alone (jitted: op by op, autodiff compiles every primitive).
_dJ_dZ2 = jax.jit(jax.grad(manual.cost_unchecked), static_argnums=2)


@pytest.mark.parametrize("output", OUTPUTS)
def test_autodiff_gradient_of_J_wrt_Z2_is_dZ2_over_m(output):
    params, X, Y = random_problem(0, *SMALL, output=output)
    A2, cache = manual.forward(params, X, "tanh", output)
    dJ_dZ2 = _dJ_dZ2(cache["Z2"], Y, output)
    np.testing.assert_allclose(dJ_dZ2, (A2 - Y) / SMALL[3], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("output", OUTPUTS)
def test_course_dZ2_is_the_gradient_of_each_examples_own_loss(output):
    """jax.grad of L(i) with respect to z2(i), one column at a time, stacked: exactly A2 - Y, no 1/m."""
    params, X, Y = random_problem(0, *SMALL, output=output)
    A2, cache = manual.forward(params, X, "tanh", output)

    def own_loss(z, y):  # L(i) for one column
        return jnp.sum(manual.loss(z, y, output))

    per_example = jax.jit(jax.vmap(jax.grad(own_loss), in_axes=1, out_axes=1))(cache["Z2"], Y)
    np.testing.assert_allclose(per_example, A2 - Y, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("output", OUTPUTS)
def test_dW2_is_one_over_m_dZ2_A1T_and_db2_the_mean_of_dZ2(output):
    params, X, Y = random_problem(0, *SMALL, output=output)
    A2, cache = manual.forward(params, X, "tanh", output)
    dZ2, A1, m = np.asarray(A2 - Y), np.asarray(cache["A1"]), SMALL[3]
    g_ref = reference.grads(params, X, Y, "tanh", output)
    g_manual = manual.backward(params, cache, X, Y, "tanh", output)
    for grads in (g_ref, g_manual):
        np.testing.assert_allclose(grads["dW2"], dZ2 @ A1.T / m, rtol=1e-12)
        np.testing.assert_allclose(grads["db2"], dZ2.sum(axis=1, keepdims=True) / m, rtol=1e-12)
    # The chain rule through J's own dJ/dZ2 carries the 1/m already: no second one.
    dJ_dZ2 = _dJ_dZ2(cache["Z2"], Y, output)
    np.testing.assert_allclose(g_ref["dW2"], np.asarray(dJ_dZ2) @ A1.T, rtol=1e-12)


def test_repeating_every_example_leaves_the_gradient_unchanged():
    """J is an average: the data twice over has the same J and gradient; a lost 1/m would double it."""
    params, X, Y = random_problem(2, *SMALL)
    half_X, half_Y = X[:, :15], Y[:, :15]
    twice_X, twice_Y = jnp.concatenate([half_X, half_X], axis=1), jnp.concatenate([half_Y, half_Y], axis=1)
    J_half, g_half = manual.value_and_grads(params, half_X, half_Y)
    J_twice, g_twice = manual.value_and_grads(params, twice_X, twice_Y)
    np.testing.assert_allclose(J_twice, J_half, rtol=1e-13)
    assert_grads_agree(g_twice, g_half, 1e-13)
