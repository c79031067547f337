"""The central claim: manual's hand-derived gradients equal jax.grad of the reference cost.

Every hidden activation x both outputs, on seeded random shapes (n_x, n_h, n_y
in 1..32, m in 1..512), in float64 (relative error <= 1e-10 per gradient) and
float32 (<= 1e-5), with and without jit (chex variants over the *_unchecked
functions; without jit, every hidden activation once with the outputs
alternating, since op-by-op autodiff compiles each primitive anew). Central
finite differences are the third, derivative-free witness. hypothesis then
draws small shapes, every size from 1 up, and shrinks a failure to the
smallest shape that shows it.
"""

import os

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from absl.testing import parameterized
from hypothesis import given, settings
from hypothesis import strategies as st

import manual
import reference
from gradient_cases import (
    COMBOS,
    GRAD_KEYS,
    PAIRS,
    SMALL,
    assert_grads_agree,
    assert_grads_like,
    both_paths,
    problems_for_every_combo,
    random_problem,
    random_shapes,
    relative_error,
)

TOL = {"float64": 1e-10, "float32": 1e-5}
# More rounds, more seeded shapes: GRADIENT_SWEEP_ROUNDS=50 pytest tests/test_gradients.py
ROUNDS = int(os.environ.get("GRADIENT_SWEEP_ROUNDS", "1"))


def _rounds(variant_type, dtype):
    """(combinations, their shapes) per round; under jit a round is a single compilation.

    Compilation dominates the run time (one per distinct shape for all twelve
    combinations), so each jit round draws a few seeded shapes and deals them
    out across the twelve combinations; the first float64 round also has the
    extremes (1, 1, 1, 1) and (32, 32, 32, 512). Without jit every primitive is
    compiled anew for each new shape and combination, so the eager run takes
    one seeded shape and every hidden activation once (outputs alternating).
    """
    seed = 0 if dtype == "float64" else 1000
    rounds = []
    for round_index in range(ROUNDS):
        if variant_type == chex.ChexVariantType.WITHOUT_JIT:
            rounds.append((PAIRS, random_shapes(seed + 500 + round_index, 1) * len(PAIRS)))
            continue
        if (round_index, dtype) == (0, "float64"):
            shapes = [(1, 1, 1, 1), (32, 32, 32, 512), *random_shapes(seed, 2)]
        else:
            shapes = random_shapes(seed + round_index, 2)
        rounds.append((COMBOS, [shapes[i % len(shapes)] for i in range(len(COMBOS))]))
    return rounds


class ManualGradsMatchAutodiffTest(chex.TestCase):
    """manual.value_and_grads_unchecked vs reference.value_and_grads_unchecked, jitted and not."""

    @chex.variants(with_jit=True, without_jit=True)
    @parameterized.named_parameters(("float64", "float64"), ("float32", "float32"))
    def test_manual_grads_match_autodiff_for_every_activation(self, dtype):
        run_both = self.variant(both_paths, static_argnames="combos")
        for round_index, (combos, shapes) in enumerate(_rounds(self.variant.type, dtype)):
            problems = problems_for_every_combo(100 * round_index, shapes, jnp.dtype(dtype), combos)
            # On NVIDIA GPUs float32 matmuls default to TF32 (~1e-3): compare true float32.
            with jax.default_matmul_precision("highest"):
                results = run_both(problems, combos=combos)
            for (activation, output), shape, (params, _, _), ((J_m, g_m), (J_r, g_r)) in zip(
                combos, shapes, problems, results
            ):
                what = f"{activation}/{output} (n_x, n_h, n_y, m) = {shape} {dtype}"
                assert_grads_like(g_m, params, dtype)
                assert_grads_like(g_r, params, dtype)
                chex.assert_shape([J_m, J_r], ())
                chex.assert_type([J_m, J_r], dtype)
                assert_grads_agree(g_m, g_r, TOL[dtype], what)
                assert relative_error(J_m, J_r) <= TOL[dtype], f"{what}: cost {float(J_m)} vs {float(J_r)}"


_both_paths_jit = jax.jit(both_paths, static_argnames="combos")


@settings(max_examples=15)
@given(
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 4), st.integers(1, 9)),
    combo=st.sampled_from(COMBOS),
    seed=st.integers(0, 2**31 - 1),
)
def test_manual_grads_match_autodiff_on_any_small_shape(shape, combo, seed):
    """(n_x, n_h, n_y, m) drawn from 1..6 x 1..6 x 1..4 x 1..9 (ones included: n_y = 1, m = 1, n_h = 1), float64.

    Small on purpose: each new shape is one compilation of both paths together.
    """
    problems = problems_for_every_combo(seed, [shape], jnp.float64, (combo,))
    [((J_m, g_m), (J_r, g_r))] = _both_paths_jit(problems, combos=(combo,))
    params = problems[0][0]
    assert_grads_like(g_m, params, jnp.float64)
    assert_grads_agree(g_m, g_r, TOL["float64"], f"{combo} (n_x, n_h, n_y, m) = {shape}")
    assert relative_error(J_m, J_r) <= TOL["float64"]


def test_checked_entry_points_agree_on_numpy_float64_input():
    """The public, checked, jitted functions of both packages, given plain numpy float64 arrays."""
    activation, output = "tanh", "sigmoid"
    params, X, Y = random_problem(11, *SMALL, output=output)
    params, X, Y = {k: np.asarray(v) for k, v in params.items()}, np.asarray(X), np.asarray(Y)
    g_ref = reference.grads(params, X, Y, activation, output)
    J_ref, g_ref_vg = reference.value_and_grads(params, X, Y, activation, output)
    J_manual, g_manual_vg = manual.value_and_grads(params, X, Y, activation, output)
    for grads in (g_ref, g_ref_vg, g_manual_vg, manual.grads(params, X, Y, activation, output)):
        assert_grads_like(grads, params, jnp.float64)
        assert_grads_agree(grads, g_ref, 1e-10, f"{activation}/{output}")
    chex.assert_type([J_manual, J_ref], jnp.float64)
    assert relative_error(J_manual, J_ref) <= 1e-12
    assert relative_error(J_ref, reference.cost(params, X, Y, activation, output)) <= 1e-12


def _with_cache(f, takes_output=True):
    """f(params, cache, X, Y, ...) called as g(params, X, Y, ...), the cache from manual's forward pass."""
    return lambda params, X, Y, *rest: f(params, manual.forward(params, X)[1], X, Y, *rest[: 2 if takes_output else 1])


def _of_logits(f):
    """f(Z2, Y, output) called as g(params, X, Y, activation, output)."""
    return lambda params, X, Y, *rest: f(manual.forward(params, X)[1]["Z2"], Y, *rest[1:])


# Every function taking (..., activation="tanh", output="sigmoid"), called as (params, X, Y, *those).
WITH_DEFAULTS = {
    "manual.forward": lambda params, X, Y, *rest: manual.forward(params, X, *rest),
    "manual.forward_unchecked": lambda params, X, Y, *rest: manual.forward_unchecked(params, X, *rest),
    "manual.output_activation": lambda params, X, Y, *rest: manual.output_activation(X, *rest[1:]),
    "manual.loss": _of_logits(manual.loss),
    "manual.cost": _of_logits(manual.cost),
    "manual.cost_unchecked": _of_logits(manual.cost_unchecked),
    "manual.backward": _with_cache(manual.backward),
    "manual.backward_unchecked": _with_cache(manual.backward_unchecked, takes_output=False),
    "manual.backward_sums": _with_cache(manual.backward_sums),
    "manual.backward_sums_unchecked": _with_cache(manual.backward_sums_unchecked, takes_output=False),
    "manual.grads": manual.grads,
    "manual.grads_unchecked": manual.grads_unchecked,
    "manual.value_and_grads": manual.value_and_grads,
    "manual.value_and_grads_unchecked": manual.value_and_grads_unchecked,
    "manual.grads_one_example": lambda params, X, Y, *rest: manual.grads_one_example(params, X[:, :1], Y[:, :1], *rest),
    "manual.backward_per_example": manual.backward_per_example,
    "manual.backward_per_example_unchecked": manual.backward_per_example_unchecked,
    "reference.predict_logits": lambda params, X, Y, *rest: reference.predict_logits(params, X, *rest[:1]),
    "reference.cost": reference.cost,
    "reference.cost_unchecked": reference.cost_unchecked,
    "reference.grads": reference.grads,
    "reference.grads_unchecked": reference.grads_unchecked,
    "reference.value_and_grads": reference.value_and_grads,
    "reference.value_and_grads_unchecked": reference.value_and_grads_unchecked,
    "reference.finite_difference_grads": reference.finite_difference_grads,
}


@pytest.mark.parametrize("name", list(WITH_DEFAULTS))
def test_every_function_defaults_to_the_courses_tanh_hidden_layer_and_sigmoid_output(name):
    params, X, Y = random_problem(12, *SMALL)
    f = WITH_DEFAULTS[name]
    chex.assert_trees_all_equal(f(params, X, Y), f(params, X, Y, "tanh", "sigmoid"))


@pytest.mark.parametrize("activation, output", PAIRS)
def test_checked_entry_points_use_the_activation_and_output_they_are_given(activation, output):
    params, X, Y = random_problem(13, *SMALL, output=output)
    g_ref = reference.grads(params, X, Y, activation, output)
    J_manual, g_manual_vg = manual.value_and_grads(params, X, Y, activation, output)
    assert_grads_agree(manual.grads(params, X, Y, activation, output), g_ref, 1e-10, f"{activation}/{output}")
    assert_grads_agree(g_manual_vg, g_ref, 1e-10, f"{activation}/{output}")
    assert relative_error(J_manual, reference.cost(params, X, Y, activation, output)) <= 1e-12


@jax.jit
def _three_witnesses(problems):
    """For every hidden activation (outputs alternating): one compilation for all six."""
    return [
        (
            reference.finite_difference_grads(*problem, activation, output),
            manual.grads_unchecked(*problem, activation, output),
            reference.grads_unchecked(*problem, activation, output),
        )
        for (activation, output), problem in zip(PAIRS, problems)
    ]


def test_finite_differences_agree_with_manual_and_autodiff():
    """Central differences over every entry of W1 b1 W2 b2 (float64, eps 1e-6): relative error <= 1e-7."""
    problems = problems_for_every_combo(5, [SMALL] * len(PAIRS), jnp.float64, PAIRS)
    for (activation, output), (params, _, _), (g_fd, g_manual, g_ref) in zip(
        PAIRS, problems, _three_witnesses(problems)
    ):
        assert_grads_like(g_fd, params, jnp.float64)
        assert_grads_agree(g_manual, g_fd, 1e-7, f"{activation}/{output} manual vs finite differences")
        assert_grads_agree(g_ref, g_fd, 1e-7, f"{activation}/{output} jax.grad vs finite differences")


def test_finite_differences_compute_in_float64_from_float32_input():
    """float32 central differences are useless (eps vs round-off): the witness always casts up."""
    params, X, Y = random_problem(5, *SMALL, dtype=jnp.float32)
    g_fd = reference.finite_difference_grads(params, X, Y)
    chex.assert_type([g_fd[k] for k in GRAD_KEYS], jnp.float64)
    p64 = {k: v.astype(jnp.float64) for k, v in params.items()}
    assert_grads_agree(g_fd, manual.grads(p64, X.astype(jnp.float64), Y.astype(jnp.float64)), 1e-7)


def test_finite_differences_take_real_valued_labels_for_the_identity_output():
    """Called as a user would (not under jit, where label values are not checked), with y in R."""
    params, X, Y = random_problem(6, *SMALL, output="identity")
    g_fd = reference.finite_difference_grads(params, X, Y, "tanh", "identity")
    assert_grads_agree(g_fd, reference.grads(params, X, Y, "tanh", "identity"), 1e-7)


def test_finite_differences_refuse_to_run_without_float64():
    params, X, Y = random_problem(6, *SMALL, dtype=jnp.float32)
    with (
        jax.enable_x64(False),
        pytest.raises(ValueError, match=r"^finite differences need float64: enable jax_enable_x64 first$"),
    ):
        reference.finite_difference_grads(params, X, Y)


@pytest.mark.parametrize("activation, output", PAIRS)
def test_summed_backward_is_m_times_the_averaged_gradient(activation, output):
    """manual.backward_sums is the gradient before its one 1/m: backward = sums / m, with m > 1."""
    params, X, Y = random_problem(3, *SMALL, output=output)
    _, cache = manual.forward(params, X, activation, output)
    sums = manual.backward_sums(params, cache, X, Y, activation, output)
    averaged = manual.backward(params, cache, X, Y, activation, output)
    m = X.shape[1]
    assert m > 1
    for k in GRAD_KEYS:
        assert sums[k].dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(sums[k]) / m, np.asarray(averaged[k]), rtol=1e-14, atol=1e-16)
        assert not np.allclose(np.asarray(sums[k]), np.asarray(averaged[k])), f"{k}: the sum carries no factor m"
