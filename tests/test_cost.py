"""The cost J = (1/m) sum_i L(i): the course's formula, the same value on both paths, finite when saturated."""

import chex
import jax.numpy as jnp
import numpy as np
import pytest

import manual
import reference
from gradient_cases import SMALL, assert_grads_agree, assert_grads_like, random_problem


@pytest.mark.parametrize("activation,output", [("tanh", "sigmoid"), ("relu", "identity")])
def test_cost_is_the_course_formula_with_its_one_over_m(activation, output):
    """manual.cost and reference.cost equal the slide's formula evaluated in plain numpy."""
    params, X, Y = random_problem(0, *SMALL, output=output)
    A2, cache = manual.forward(params, X, activation, output)
    Z2, y, m = np.asarray(cache["Z2"]), np.asarray(Y), SMALL[3]
    if output == "sigmoid":
        a = 1 / (1 + np.exp(-Z2))
        expected = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)) / m
    else:
        expected = np.sum((Z2 - y) ** 2) / (2 * m)
    J_manual = manual.cost(cache["Z2"], Y, output)
    J_reference = reference.cost(params, X, Y, activation, output)
    chex.assert_shape([J_manual, J_reference], ())
    chex.assert_type([J_manual, J_reference], jnp.float64)
    np.testing.assert_allclose([J_manual, J_reference], expected, rtol=1e-13)
    np.testing.assert_allclose(A2, cache["A2"])


def _saturated_problem(dtype):
    """n_x = n_h = n_y = 1, identity hidden, W = 1, b = 0: Z2 = X exactly, |Z2| = 1000 for four examples."""
    params = {k: jnp.asarray(v, dtype) for k, v in {"W1": [[1.0]], "b1": [[0.0]], "W2": [[1.0]], "b2": [[0.0]]}.items()}
    X = jnp.asarray([[1000.0, -1000.0, 1000.0, -1000.0, 0.5]], dtype)
    Y = jnp.asarray([[1.0, 0.0, 0.0, 1.0, 1.0]], dtype)
    return params, X, Y


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
def test_saturated_sigmoid_gives_a_finite_cost_equal_to_the_reference(dtype):
    """sigma(+-1000) rounds to exactly 1 or 0; the cost is computed from Z2, so no log(0)."""
    params, X, Y = _saturated_problem(dtype)
    A2, cache = manual.forward(params, X, "identity")
    assert float(A2[0, 0]) == 1.0 and float(A2[0, 1]) == 0.0  # really saturated
    with np.errstate(divide="ignore", invalid="ignore"):
        a, y = np.asarray(A2, np.float64), np.asarray(Y, np.float64)
        naive = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
    assert not np.isfinite(naive)  # what the textbook formula would give
    # Wrong-side examples cost |z| = 1000 each, right-side ones exp(-1000) ~ 0.
    expected = (1000.0 + 1000.0 + np.log1p(np.exp(-0.5))) / 5
    J_manual = manual.cost(cache["Z2"], Y)
    J_reference = reference.cost(params, X, Y, "identity")
    chex.assert_type([J_manual, J_reference], dtype)
    np.testing.assert_allclose([J_manual, J_reference], expected, rtol=1e-6 if dtype == jnp.float32 else 1e-14)
    grads = manual.grads(params, X, Y, "identity")
    assert_grads_like(grads, params, dtype)
    assert_grads_agree(grads, reference.grads(params, X, Y, "identity"), 1e-6 if dtype == jnp.float32 else 1e-14)
    # dZ2 = A2 - Y = [0, 0, 1, -1, sigma(0.5) - 1]; db2 is its mean.
    np.testing.assert_allclose(grads["db2"], [[(1 / (1 + np.exp(-0.5)) - 1) / 5]], rtol=1e-6)


def test_compute_cost_with_A2_exactly_zero_or_one_is_finite():
    """The course-compatible compute_cost(A2, Y) only sees A2: it clips to [eps, 1 - eps]."""
    A2 = np.array([[0.0, 1.0, 0.5]])
    J = manual.compute_cost(A2, np.array([[0, 1, 1]]))
    assert isinstance(J, float)
    np.testing.assert_allclose(J, np.log(2) / 3, rtol=1e-12)
    wrong = manual.compute_cost(np.array([[0.0, 1.0]]), np.array([[1, 0]]))
    assert np.isfinite(wrong) and wrong > 30  # -log(eps) ~ 36 per confidently wrong example


def test_compute_cost_equals_the_cost_from_Z2_when_not_saturated():
    params, X, Y = random_problem(1, *SMALL)
    A2, cache = manual.forward_propagation(X, params)
    np.testing.assert_allclose(manual.compute_cost(A2, Y), manual.cost(cache["Z2"], Y), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compute_cost_clips_at_the_epsilon_of_A2s_own_dtype(dtype):
    """In float32, 1 - float64's eps rounds to 1 and log(1 - 1) = -inf: the clip must use A2's eps."""
    J = manual.compute_cost(np.array([[0.0, 1.0]], dtype), np.array([[1, 0]]))
    np.testing.assert_allclose(J, -np.log(np.finfo(dtype).eps), rtol=1e-6)
