"""float64 inputs are computed in float64 (not silently downcast); float32 stays float32."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manual
import reference
from gradient_cases import SMALL, assert_grads_like, random_problem


def _every_output(params, X, Y):
    """Every array the public entry points return for (params, X, Y), by name."""
    A2, cache = manual.forward(params, X)
    J_m, g_m = manual.value_and_grads(params, X, Y)
    J_r, g_r = reference.value_and_grads(params, X, Y)
    return {
        "manual.forward A2": A2,
        **{f"manual cache {k}": v for k, v in cache.items()},
        "manual.cost": manual.cost(cache["Z2"], Y),
        "manual.value_and_grads J": J_m,
        "reference.cost": reference.cost(params, X, Y),
        "reference.value_and_grads J": J_r,
        **{f"manual.grads {k}": v for k, v in manual.grads(params, X, Y).items()},
        **{f"manual.backward {k}": v for k, v in manual.backward(params, cache, X, Y).items()},
        **{f"manual.backward_per_example {k}": v for k, v in manual.backward_per_example(params, X, Y).items()},
        **{f"manual.value_and_grads {k}": v for k, v in g_m.items()},
        **{f"reference.grads {k}": v for k, v in reference.grads(params, X, Y).items()},
        **{f"reference.value_and_grads {k}": v for k, v in g_r.items()},
    }


@pytest.mark.parametrize("as_numpy", [True, False], ids=["numpy", "jax"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_output_has_the_input_dtype(dtype, as_numpy):
    params, X, Y = random_problem(0, *SMALL, dtype=dtype)
    if as_numpy:
        params, X, Y = {k: np.asarray(v) for k, v in params.items()}, np.asarray(X), np.asarray(Y)
    outputs = _every_output(params, X, Y)
    wrong = {name: str(v.dtype) for name, v in outputs.items() if v.dtype != dtype}
    assert not wrong, f"not {np.dtype(dtype)}: {wrong}"
    for grads in (manual.grads(params, X, Y), reference.grads(params, X, Y)):
        assert_grads_like(grads, params, dtype)


def test_mixed_input_gives_grads_in_the_parameters_dtype_on_both_paths():
    """float32 params with float64 X: computed in float64, returned like jax.grad does, as float32."""
    params, X, Y = random_problem(0, *SMALL)
    p32 = {k: v.astype(jnp.float32) for k, v in params.items()}
    for grads in (manual.grads(p32, X, Y), reference.grads(p32, X, Y)):
        assert_grads_like(grads, p32, jnp.float32)


def test_float64_run_resolves_what_float32_cannot():
    """A 1e-12 change in one weight moves the float64 cost; in float32 it vanishes (eps ~ 1e-7)."""
    params, X, Y = random_problem(0, *SMALL)
    nudged = {**params, "W2": params["W2"] + 1e-12}
    assert manual.cost(manual.forward(nudged, X)[1]["Z2"], Y) != manual.cost(manual.forward(params, X)[1]["Z2"], Y)
    p32 = {k: v.astype(jnp.float32) for k, v in params.items()}
    n32 = {k: v.astype(jnp.float32) for k, v in nudged.items()}
    X32 = X.astype(jnp.float32)
    assert reference.cost(n32, X32, Y.astype(jnp.float32)) == reference.cost(p32, X32, Y.astype(jnp.float32))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_init_functions_return_the_requested_dtype_and_shapes(dtype):
    for params in (manual.init_params(jax.random.PRNGKey(0), 3, 4, 2, dtype=dtype), manual.init_zeros(3, 4, 2, dtype)):
        chex.assert_shape([params["W1"], params["b1"], params["W2"], params["b2"]], [(4, 3), (4, 1), (2, 4), (2, 1)])
        chex.assert_type(list(params.values()), dtype)


def test_init_params_defaults_to_float32_at_the_course_scale():
    key = jax.random.PRNGKey(0)
    params, unit = manual.init_params(key, 3, 4, 2), manual.init_params(key, 3, 4, 2, scale=1.0)
    chex.assert_type(list(params.values()), jnp.float32)
    for k in ("W1", "W2"):
        np.testing.assert_allclose(params[k], 0.01 * unit[k], rtol=1e-6)
        assert np.all(np.asarray(unit[k]) != 0)
    np.testing.assert_array_equal(params["b1"], 0.0)
    np.testing.assert_array_equal(params["b2"], 0.0)


def test_init_params_draws_standard_normal_weights_times_the_scale():
    params = manual.init_params(jax.random.PRNGKey(1), 64, 64, 64, scale=0.5)
    for k in ("W1", "W2"):
        W = np.asarray(params[k], np.float64)
        assert abs(W.mean()) < 0.05 and 0.45 < W.std() < 0.55, (k, W.mean(), W.std())


# Moving, masking and converting values are not arithmetic (relu' selects between two constants).
NOT_ARITHMETIC = {
    "convert_element_type",
    "broadcast_in_dim",
    "select_n",
    "reshape",
    "squeeze",
    "transpose",
    "dynamic_slice",
    "slice",
    "concatenate",
    "copy",
    "copy_p",
}


def _float64_arithmetic(jaxpr):
    """Primitives in ``jaxpr`` (and the jaxprs inside it: jit, loops) that compute a float64 result."""
    found = []
    for eqn in jaxpr.eqns:
        inner = [
            getattr(v, "jaxpr", v)
            for value in eqn.params.values()
            for v in (value if isinstance(value, (tuple, list)) else (value,))
        ]
        inner = [j for j in inner if hasattr(j, "eqns")]
        if inner:  # a container (jit, while): what counts is the arithmetic inside it
            found += [name for j in inner for name in _float64_arithmetic(j)]
        elif eqn.primitive.name not in NOT_ARITHMETIC and any(
            getattr(v.aval, "dtype", None) == jnp.float64 for v in eqn.outvars
        ):
            found.append(eqn.primitive.name)
    return found


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu:0.2", "identity"])
@pytest.mark.parametrize("path", ["grads_unchecked", "value_and_grads_unchecked", "backward_per_example_unchecked"])
def test_float32_problems_compute_in_float32_throughout(path, activation):
    """No float64 arithmetic hides inside a float32 gradient (XLA:CPU's float64 costs ~3x), even with x64 on."""
    params, X, Y = random_problem(0, *SMALL, dtype=jnp.float32)
    jaxpr = jax.make_jaxpr(getattr(manual, path), static_argnums=(3,))(params, X, Y, activation)
    assert _float64_arithmetic(jaxpr.jaxpr) == []


@pytest.mark.parametrize("params_dtype,X_dtype", [(jnp.float32, jnp.float64), (jnp.float64, jnp.float32)])
def test_per_example_loop_takes_mixed_dtypes_like_the_vectorized_path(params_dtype, X_dtype):
    params, X, Y = random_problem(2, *SMALL)
    params = {k: v.astype(params_dtype) for k, v in params.items()}
    looped = manual.backward_per_example(params, X.astype(X_dtype), Y.astype(X_dtype))
    assert_grads_like(looped, params, params_dtype)
    vectorized = manual.grads(params, X.astype(X_dtype), Y.astype(X_dtype))
    for k in looped:
        np.testing.assert_allclose(looped[k], vectorized[k], rtol=1e-5, atol=1e-6)
