"""The slide's left column (one example at a time, no 1/m) equals the vectorized right column."""

import chex
import jax
import jax.numpy as jnp
import numpy as np

import manual
import reference
from gradient_cases import (
    GRAD_KEYS,
    PAIRS,
    SMALL,
    assert_grads_agree,
    assert_grads_like,
    problems_for_every_combo,
    random_problem,
)


@jax.jit
def _per_example_and_vectorized(problems):
    """For every hidden activation (outputs alternating): one compilation for all six."""
    return [
        (
            manual.backward_per_example_unchecked(*problem, activation, output),
            manual.grads_unchecked(*problem, activation, output),
        )
        for (activation, output), problem in zip(PAIRS, problems)
    ]


def test_per_example_loop_equals_vectorized_for_every_activation():
    problems = problems_for_every_combo(20, [SMALL] * len(PAIRS), jnp.float64, PAIRS)
    for (activation, output), (params, _, _), (looped, vectorized) in zip(
        PAIRS, problems, _per_example_and_vectorized(problems)
    ):
        assert_grads_like(looped, params, jnp.float64)
        assert_grads_agree(looped, vectorized, 1e-12, f"{activation}/{output} loop vs vectorized")


def test_checked_per_example_entry_point_keeps_float32():
    params, X, Y = random_problem(21, *SMALL, dtype=jnp.float32)
    with jax.default_matmul_precision("highest"):  # no TF32 on NVIDIA GPUs
        looped, vectorized = manual.backward_per_example(params, X, Y), manual.grads(params, X, Y)
    assert_grads_like(looped, params, jnp.float32)
    assert_grads_agree(looped, vectorized, 1e-5)


def test_checked_per_example_entry_point_uses_the_activation_and_output_it_is_given():
    params, X, Y = random_problem(23, *SMALL, output="identity")
    looped = manual.backward_per_example(params, X, Y, "relu", "identity")
    assert_grads_agree(looped, reference.grads(params, X, Y, "relu", "identity"), 1e-12)


@jax.jit
def _each_examples_gradient(params, X, Y):
    """Example i's gradient two ways: the slide's formulas, and jax.grad of J on that column alone (m = 1)."""

    def by_hand(x, y):
        return manual.grads_one_example(params, x[:, None], y[:, None])

    def alone(x, y):
        return reference.grads_unchecked(params, x[:, None], y[:, None])

    return jax.vmap(by_hand, in_axes=1)(X, Y), jax.vmap(alone, in_axes=1)(X, Y)


def test_one_example_gradient_is_that_examples_own_loss_gradient_without_one_over_m():
    """dW(i) = dz(i) x(i)^T is the whole gradient of L(i); the vectorized grads are their mean."""
    params, X, Y = random_problem(22, *SMALL)
    by_hand, by_autodiff = _each_examples_gradient(params, X, Y)
    vectorized = manual.grads(params, X, Y)
    for k in GRAD_KEYS:
        chex.assert_shape(by_hand[k], (SMALL[3], *vectorized[k].shape))
        np.testing.assert_allclose(by_hand[k], by_autodiff[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(by_hand[k].mean(axis=0), vectorized[k], rtol=1e-12, atol=1e-15)
