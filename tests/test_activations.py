"""Hand-written activation derivatives vs jax.grad, and the ReLU kink convention at z = 0."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manual
import reference
from gradient_cases import SMALL, random_problem

NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu:0.2", "identity")
# Away from the kink: a grid over [-8, 8] that keeps |z| >= 1e-3.
Z_GRID = np.concatenate([-np.geomspace(8.0, 1e-3, 200), np.geomspace(1e-3, 8.0, 200)])


@functools.cache
def _derivatives(dtype):
    """{name: (g'(z, g(z)) by hand, jax.grad of manual's g, jax.grad of reference's g)} on Z_GRID.

    One jitted computation for all activations: op-by-op, vmap(grad) costs a
    compilation per primitive.
    """

    def all_names(z):
        def derivative(g):
            return jax.vmap(jax.grad(g))(z)

        out = {}
        for name in NAMES:
            g, g_prime = manual.get_activation(name)
            out[name] = (g_prime(z, g(z)), derivative(g), derivative(reference.hidden_activation(name)))
        return out

    return jax.jit(all_names)(jnp.asarray(Z_GRID, dtype))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-14), ("float32", 1e-6)])
def test_activation_derivative_matches_autodiff_away_from_kink(name, dtype, tol):
    """g'(z, g(z)) in the course's form equals jax.grad of g, element by element."""
    by_hand, manual_autodiff, reference_autodiff = _derivatives(dtype)[name]
    chex.assert_type(by_hand, dtype)
    chex.assert_shape(by_hand, Z_GRID.shape)
    np.testing.assert_allclose(by_hand, manual_autodiff, rtol=tol, atol=tol)
    np.testing.assert_allclose(by_hand, reference_autodiff, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", NAMES)
def test_manual_and_reference_activations_agree(name):
    z = jnp.asarray(np.concatenate([Z_GRID, [0.0, -40.0, 40.0]]))
    g, _ = manual.get_activation(name)
    np.testing.assert_allclose(g(z), reference.hidden_activation(name)(z), rtol=1e-15, atol=1e-300)


def test_tanh_derivative_is_one_minus_a_squared_not_one_minus_z_squared():
    z = jnp.asarray([0.5, 1.0, 2.0])
    np.testing.assert_allclose(manual.tanh_prime(z, jnp.tanh(z)), 1 - jnp.tanh(z) ** 2, rtol=1e-15)
    assert not np.allclose(manual.tanh_prime(z, jnp.tanh(z)), 1 - z**2)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "leaky_relu:0.2"])
def test_kink_convention_notes_put_zero_in_the_positive_branch(name):
    """The lecture notes: at z = 0, use the z > 0 branch, so relu'(0) = leaky'(0) = 1."""
    g, g_prime = manual.get_activation(name)
    zero = jnp.zeros(3)
    np.testing.assert_array_equal(g_prime(zero, g(zero)), 1.0)
    # reference's ReLU is written with where(z >= 0, ...) so its autodiff takes the same branch.
    assert jax.grad(reference.hidden_activation(name))(0.0) == 1.0


def test_jax_nn_relu_gradient_at_zero_is_zero_a_documented_difference():
    """jax.nn.relu (like the course's assignment code, dZ[Z <= 0] = 0) uses 0 at the kink."""
    assert jax.grad(jax.nn.relu)(0.0) == 0.0
    assert jax.grad(jax.nn.relu)(1e-300) == 1.0
    assert jax.grad(jax.nn.relu)(-1e-300) == 0.0


def _relu_cost_with_jax_nn(params, X, Y):
    """The same cross-entropy cost with jax.nn.relu as the hidden activation (kink gradient 0)."""
    Z2 = params["W2"] @ jax.nn.relu(params["W1"] @ X + params["b1"]) + params["b2"]
    return jnp.mean(jnp.sum(-(Y * jax.nn.log_sigmoid(Z2) + (1 - Y) * jax.nn.log_sigmoid(-Z2)), axis=0))


def test_zero_hidden_layer_relu_net_learns_only_under_the_notes_convention():
    """W1 = 0, b1 = 0, W2 random: Z1 == 0 exactly, so the kink convention decides everything.

    relu'(0) = 1 (notes, manual, reference): dZ1 = W2^T dZ2, dW1 and db1 are
    non-zero and the hidden layer starts to learn. relu'(0) = 0 (jax.nn.relu):
    dW1 = db1 = 0 exactly, on every step, forever.
    """
    params, X, Y = random_problem(0, *SMALL)
    params = {**params, "W1": jnp.zeros_like(params["W1"]), "b1": jnp.zeros_like(params["b1"])}
    notes = manual.grads(params, X, Y, "relu")
    chex.assert_trees_all_close(notes, reference.grads(params, X, Y, "relu"), rtol=1e-12)
    assert np.abs(notes["dW1"]).min() > 0 and np.abs(notes["db1"]).min() > 0
    jax_nn = jax.jit(jax.grad(_relu_cost_with_jax_nn))(params, X, Y)
    np.testing.assert_array_equal(jax_nn["W1"], 0.0)
    np.testing.assert_array_equal(jax_nn["b1"], 0.0)
    np.testing.assert_allclose(jax_nn["W2"], notes["dW2"], rtol=1e-12)  # A1 = 0 either way


def test_all_zero_relu_net_learns_nothing_under_either_convention():
    """With W2 = 0 as well, dZ1 = W2^T dZ2 = 0 whatever relu'(0) is: only b2 moves."""
    params = manual.init_zeros(*SMALL[:3], jnp.float64)
    _, X, Y = random_problem(0, *SMALL)
    grads = manual.grads(params, X, Y, "relu")
    for k in ("dW1", "db1", "dW2"):
        np.testing.assert_array_equal(grads[k], 0.0)
    np.testing.assert_allclose(grads["db2"], np.mean(0.5 - np.asarray(Y), axis=1, keepdims=True), rtol=1e-15)


@pytest.mark.parametrize("slope", ["nan", "inf", "1_0", "١", "０.2", "0.2.1"])
@pytest.mark.parametrize("check", [manual.check_activation, reference.check_activation])
def test_a_leaky_relu_slope_is_a_plain_ascii_number(check, slope):
    """float() reads "1_0" as 10 and Arabic-Indic or full-width digits as numbers: a slope is written as a person
    writes one on a keyboard, in both the manual formulas and the witness (each with its own copy of the rule)."""
    check("leaky_relu:0.2")
    with pytest.raises(ValueError):
        check(f"leaky_relu:{slope}")
