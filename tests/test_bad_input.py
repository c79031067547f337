"""Bad input gets one clear ValueError naming the problem, at every public entry point of manual and reference."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manual
import reference
from gradient_cases import SMALL, assert_grads_agree, random_problem

# Entry points taking (params, X, Y); each is called outside jit, as a user would.
ENTRY_POINTS = {
    "manual.grads": manual.grads,
    "manual.value_and_grads": manual.value_and_grads,
    "manual.backward_per_example": manual.backward_per_example,
    "manual.backward": lambda params, X, Y: manual.backward(params, _valid_cache(), X, Y),
    "manual.backward_sums": lambda params, X, Y: manual.backward_sums(params, _valid_cache(), X, Y),
    "manual.forward": lambda params, X, Y: manual.forward(params, X),
    "manual.cost": lambda params, X, Y: manual.cost(_valid_cache()["Z2"], Y),
    "manual.forward_propagation": lambda params, X, Y: manual.forward_propagation(X, params),
    "manual.backward_propagation": lambda params, X, Y: manual.backward_propagation(params, _valid_cache(), X, Y),
    "manual.predict": lambda params, X, Y: manual.predict(params, X),
    "manual.layer_sizes": lambda params, X, Y: manual.layer_sizes(X, Y),
    "manual.nn_model": lambda params, X, Y: manual.nn_model(X, Y, 4, num_iterations=2),
    "manual.compute_cost": lambda params, X, Y: manual.compute_cost(_valid_cache()["A2"], Y),
    "reference.grads": reference.grads,
    "reference.value_and_grads": reference.value_and_grads,
    "reference.cost": reference.cost,
    "reference.finite_difference_grads": reference.finite_difference_grads,
}
USES_PARAMS = {
    k for k in ENTRY_POINTS if k not in ("manual.cost", "manual.layer_sizes", "manual.nn_model", "manual.compute_cost")
}
USES_X = {k for k in ENTRY_POINTS if k not in ("manual.cost", "manual.compute_cost")}
USES_Y = {k for k in ENTRY_POINTS if k not in ("manual.forward", "manual.forward_propagation", "manual.predict")}
# layer_sizes reads shapes only, as the course's does (its test case has a random-normal Y).
READS_VALUES = {k for k in ENTRY_POINTS if k != "manual.layer_sizes"}


VALID = random_problem(0, *SMALL)
VALID_CACHE = manual.forward(*VALID[:2])[1]


def _valid():
    return VALID


def _valid_cache():
    return VALID_CACHE


def _with(d, **changes):
    return {**d, **changes}


# name: (which entry points it applies to, (params, X, Y) -> bad (params, X, Y), the message must match)
CASES = {
    "X/params shape mismatch": (
        USES_PARAMS & USES_X,
        lambda params, X, Y: (_with(params, W1=jnp.ones((4, 5))), X, Y),
        r"W1 has shape \(4, 5\)",
    ),
    "Y shaped (m,)": (USES_Y, lambda params, X, Y: (params, X, Y[0]), r"Y has shape \(30,\).*reshape\(1, -1\)"),
    "labels outside {0, 1}": (
        USES_Y & READS_VALUES,
        lambda params, X, Y: (params, X, Y.at[0, 3].set(2.0)),
        r"labels must be 0 or 1.*found 2",
    ),
    "NaN in X": (USES_X & READS_VALUES, lambda params, X, Y: (params, X.at[1, 2].set(jnp.nan), Y), r"X contains NaN"),
    "wrong dict keys": (
        USES_PARAMS,
        lambda params, X, Y: ({("w1" if k == "W1" else k): v for k, v in params.items()}, X, Y),
        r"parameters are missing W1",
    ),
    "bias shaped (n,)": (
        USES_PARAMS,
        lambda params, X, Y: (_with(params, b1=params["b1"][:, 0]), X, Y),
        r"b1 has shape \(4,\).*keepdims",
    ),
}
CASE_IDS = [(case, entry) for case, (applies, _, _) in CASES.items() for entry in ENTRY_POINTS if entry in applies]


@pytest.mark.parametrize("case,entry", CASE_IDS, ids=[f"{case}-{entry}" for case, entry in CASE_IDS])
def test_bad_input_raises_one_clear_value_error(case, entry):
    _, make_bad, message = CASES[case]
    params, X, Y = make_bad(*_valid())
    with pytest.raises(ValueError, match=message) as error:
        ENTRY_POINTS[entry](params, X, Y)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("entry", [e for e in ENTRY_POINTS if e in (USES_X | USES_PARAMS) & READS_VALUES])
def test_float64_with_x64_disabled_is_refused_not_silently_downcast(entry):
    params, X, Y = _valid()
    with jax.enable_x64(False), pytest.raises(ValueError, match="float64 but jax_enable_x64 is off"):
        ENTRY_POINTS[entry](params, X, Y)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_valid_input_is_accepted_by_every_entry_point(entry):
    """The positive control: the same calls with the unmodified problem raise nothing."""
    ENTRY_POINTS[entry](*_valid())


@pytest.mark.parametrize("grads", [manual.grads, reference.grads], ids=["manual", "reference"])
def test_real_valued_labels_are_fine_for_the_identity_output(grads):
    params, X, Y = random_problem(0, *SMALL, output="identity")
    grads(params, X, Y, "tanh", "identity")
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        grads(params, X, Y, "tanh", "sigmoid")


@pytest.mark.parametrize("grads", [manual.grads, reference.grads], ids=["manual", "reference"])
@pytest.mark.parametrize(
    "activation,message",
    [
        ("softmax", "unknown activation 'softmax'"),
        ("leaky_relu:abc", "slope must be a number"),
        ("relu:0.2", "takes no parameter"),
    ],
)
def test_unknown_activation_names_are_refused(grads, activation, message):
    with pytest.raises(ValueError, match=message):
        grads(*_valid(), activation)


def test_cache_from_other_data_is_refused_by_backward():
    params, X, Y = _valid()
    with pytest.raises(ValueError, match=r"cache Z1 has shape \(4, 30\), expected \(4, 15\)"):
        manual.backward(params, _valid_cache(), X[:, :15], Y[:, :15])


def test_cost_names_Z2_when_the_logits_are_not_floating_point():
    _, _, Y = _valid()
    with pytest.raises(ValueError, match=r"^Z2 must be a floating-point array, got dtype int32$"):
        manual.cost(jnp.zeros(Y.shape, jnp.int32), Y)


def test_cost_refuses_labels_with_other_rows_than_the_logits():
    Z2 = _valid_cache()["Z2"][:1]
    Y = jnp.zeros((2, Z2.shape[1]))
    with pytest.raises(ValueError, match=r"^Y has 2 rows but Z2 has 1: both are \(n_y, m\)$"):
        manual.cost(Z2, Y)


def _float32(p, X, Y):
    return {k: v.astype(jnp.float32) for k, v in p.items()}, X.astype(jnp.float32), Y.astype(jnp.float32)


def _without_x64(call):
    def run(*problem):
        with jax.enable_x64(False):
            return call(*problem)

    return run


def _grads(p, X, Y, activation="tanh", output="sigmoid"):
    return manual.grads(p, X, Y, activation, output)


class FrameLike:
    """Has a shape but no dtype, like a pandas DataFrame: not an array."""

    shape = (3, 30)


# name: ((params, X, Y) -> the call that must fail, its whole message). SMALL: n_x 3, n_h 4, n_y 2, m 30.
MESSAGES = {
    "X a list": (lambda p, X, Y: _grads(p, X.tolist(), Y), "X must be a numpy or jax array, got list"),
    "X frame-like": (lambda p, X, Y: _grads(p, FrameLike(), Y), "X must be a numpy or jax array, got FrameLike"),
    "X 3-D": (lambda p, X, Y: _grads(p, X[None], Y), r"X must be 2-D \(rows x examples\), got shape \(1, 3, 30\)"),
    "X integer": (
        lambda p, X, Y: _grads(p, X.astype(jnp.int32), Y),
        "X must be a floating-point array, got dtype int32",
    ),
    "X float64 without x64": (
        _without_x64(_grads),
        r"X is float64 but jax_enable_x64 is off, so JAX would silently "
        r"compute in float32; set jax.config.update\('jax_enable_x64', True\) before creating arrays",
    ),
    "X NaN": (lambda p, X, Y: _grads(p, X.at[0, 0].set(jnp.nan), Y), "X contains NaN"),
    "X infinite": (lambda p, X, Y: _grads(p, X.at[0, 0].set(jnp.inf), Y), "X contains infinite values"),
    "X without examples": (lambda p, X, Y: _grads(p, X[:, :0], Y[:, :0]), r"X has no examples \(shape \(n_x, 0\)\)"),
    "Y a list": (lambda p, X, Y: _grads(p, X, Y.tolist()), "Y must be a numpy or jax array, got list"),
    "Y (m,)": (
        lambda p, X, Y: _grads(p, X, Y[0]),
        r"Y has shape \(30,\); expected \(n_y, m\) = \(1, 30\): use Y.reshape\(1, -1\)",
    ),
    "Y 3-D": (lambda p, X, Y: _grads(p, X, Y[None]), r"Y must be 2-D \(n_y, m\), got shape \(1, 2, 30\)"),
    "Y other m": (
        lambda p, X, Y: _grads(p, X, Y[:, :29]),
        r"Y has 29 examples \(shape \(2, 29\)\) but X has 30 \(shape \(3, 30\)\)",
    ),
    "Y text": (lambda p, X, Y: _grads(p, X, np.full(Y.shape, "1")), "Y must be numeric, got dtype <U1"),
    "Y float64 without x64": (
        lambda p, X, Y: _without_x64(_grads)(*_float32(p, X, Y)[:2], np.asarray(Y)),
        "Y is float64 but jax_enable_x64 is off; enable it before creating arrays",
    ),
    "Y NaN": (lambda p, X, Y: _grads(p, X, Y.at[0, 0].set(jnp.nan), output="identity"), "Y contains NaN"),
    "Y float32 NaN": (
        lambda p, X, Y: _grads(*_float32(p, X, Y.at[0, 0].set(jnp.nan)), output="identity"),
        "Y contains NaN",
    ),
    "Y infinite": (
        lambda p, X, Y: _grads(p, X, Y.at[0, 0].set(-jnp.inf), output="identity"),
        "Y contains infinite values",
    ),
    "six wrong labels": (
        lambda p, X, Y: _grads(p, X, Y.at[0, :6].set(jnp.arange(2.0, 8.0))),
        "labels must be 0 or 1 for the sigmoid output; found 2.0, 3.0, 4.0, 5.0, 6.0",
    ),
    "params a list": (
        lambda p, X, Y: _grads(list(p.values()), X, Y),
        "parameters must be a dict with keys W1 b1 W2 b2, got list",
    ),
    "two keys missing": (lambda p, X, Y: _grads({"b1": p["b1"], "W2": p["W2"]}, X, Y), "parameters are missing W1, b2"),
    "b2 (n,)": (
        lambda p, X, Y: _grads(_with(p, b2=p["b2"][:, 0]), X, Y),
        r"b2 has shape \(2,\), expected \(2, 1\) \(keepdims missing\?\)",
    ),
    "b1 a list": (
        lambda p, X, Y: _grads(_with(p, b1=p["b1"].tolist()), X, Y),
        "b1 must be a numpy or jax array, got list",
    ),
    "W1 integer": (
        lambda p, X, Y: _grads(_with(p, W1=p["W1"].astype(jnp.int32)), X, Y),
        "W1 must be a floating-point array, got dtype int32",
    ),
    "b1 (n_h, 2)": (
        lambda p, X, Y: _grads(_with(p, b1=jnp.ones((4, 2))), X, Y),
        r"b1 has shape \(4, 2\), expected \(4, 1\)",
    ),
    "W2 other n_h": (
        lambda p, X, Y: _grads(_with(p, W2=jnp.ones((2, 5))), X, Y),
        r"W2 has shape \(2, 5\), expected \(2, 4\)",
    ),
    "W1 other n_x": (
        lambda p, X, Y: _grads(_with(p, W1=jnp.ones((4, 5))), X, Y),
        r"W1 has shape \(4, 5\) but X has n_x = 3 rows: expected W1 \(4, 3\)",
    ),
    "W2 other n_y": (
        lambda p, X, Y: _grads(_with(p, W2=jnp.ones((1, 4)), b2=jnp.ones((1, 1))), X, Y),
        r"W2 has shape \(1, 4\) but Y has n_y = 2 rows: expected W2 \(2, 4\)",
    ),
    "unknown output": (
        lambda p, X, Y: _grads(p, X, Y, output="softmax"),
        r"unknown output 'softmax'; choose sigmoid \(binary cross-entropy\) or identity \(squared error\)",
    ),
    "activation not a string": (lambda p, X, Y: _grads(p, X, Y, activation=3), "activation must be a string, got int"),
    "unknown activation": (
        lambda p, X, Y: _grads(p, X, Y, activation="softmax"),
        "unknown activation 'softmax'; choose one of sigmoid, tanh, relu, leaky_relu, identity",
    ),
    "parameter on relu": (
        lambda p, X, Y: _grads(p, X, Y, activation="relu:0.2"),
        r"activation 'relu' takes no parameter \(got 'relu:0.2'\)",
    ),
    "slope not a number": (
        lambda p, X, Y: _grads(p, X, Y, activation="leaky_relu:abc"),
        "leaky_relu slope must be a number, got 'abc'",
    ),
    "check_problem's labels by default": (
        lambda p, X, Y: manual.check_problem(p, X, Y.at[0, 3].set(2.0)),
        "labels must be 0 or 1 for the sigmoid output; found 2.0",
    ),
    "check_Y's labels by default": (
        lambda p, X, Y: manual.checks.check_Y(Y.at[0, 3].set(2.0), X),
        "labels must be 0 or 1 for the sigmoid output; found 2.0",
    ),
    "reference: activation not a string": (
        lambda p, X, Y: reference.grads(p, X, Y, 3),
        "unknown activation 3; choose one of sigmoid, tanh, relu, leaky_relu, identity",
    ),
    "reference: unchecked cost, unknown output": (
        lambda p, X, Y: reference.cost_unchecked(p, X, Y, "tanh", "softmax"),
        "unknown output 'softmax'; choose sigmoid or identity",
    ),
    "cache without A1": (
        lambda p, X, Y: manual.backward(p, {k: v for k, v in _valid_cache().items() if k != "A1"}, X, Y),
        r"cache is missing A1 \(expected keys Z1 A1 Z2 A2\)",
    ),
    "cache of other data": (
        lambda p, X, Y: manual.backward(p, _valid_cache(), X[:, :15], Y[:, :15]),
        r"cache Z1 has shape \(4, 30\), expected \(4, 15\): "
        r"was it computed from these parameters and this X\?",
    ),
}


@pytest.mark.parametrize("mistake", list(MESSAGES))
def test_each_mistake_gets_its_own_whole_message(mistake):
    call, message = MESSAGES[mistake]
    with pytest.raises(ValueError, match=f"^{message}$"):
        call(*_valid())


@pytest.mark.parametrize("labels", [jnp.bool_, jnp.int32, jnp.uint8])
def test_boolean_and_integer_labels_are_taken_as_zeros_and_ones(labels):
    params, X, Y = _valid()
    assert_grads_agree(manual.grads(params, X, Y.astype(labels)), manual.grads(params, X, Y), 0.0)


def test_float32_problems_are_accepted_with_x64_off():
    grads = _without_x64(manual.grads)(*_float32(*_valid()))
    assert all(g.dtype == jnp.float32 for g in grads.values())


def test_a_single_example_is_a_whole_problem():
    params, X, Y = _valid()
    assert_grads_agree(manual.grads(params, X[:, :1], Y[:, :1]), reference.grads(params, X[:, :1], Y[:, :1]), 1e-12)


def test_checked_entry_points_can_be_traced_by_jit():
    """Under jit the arrays are tracers: shapes are still checked, values (NaN, labels) are left to the caller."""
    params, X, Y = _valid()
    traced = jax.jit(manual.grads, static_argnums=(3, 4))(params, X, Y, "tanh", "sigmoid")
    assert_grads_agree(traced, manual.grads(params, X, Y), 1e-12)
    with pytest.raises(ValueError, match=r"^Y has 29 examples"):
        jax.jit(manual.grads)(params, X, Y[:, :29])


# --- Settings, parameters and labels that used to give a number in silence -------------------------------------
# Each: (the call on the valid problem (params, X, Y), the argument its message must name, the message).
# SMALL: n_x 3, n_h 4, n_y 2, m 30.


def _step(p, X, Y, **changes):
    """update_parameters on the valid problem's gradients, with `changes` to the parameters or gradients."""
    grads = manual.grads(p, X, Y)
    parameters = {k: changes.pop(k, v) for k, v in p.items()}
    grads = {k: changes.pop(k, v) for k, v in grads.items()}
    return manual.update_parameters(parameters, grads, **changes)


def _binary(p, X, Y):
    """One output unit, as the course's networks have (nn_model, compute_cost)."""
    return X, Y[:1]


def _no_examples(call):
    return lambda p, X, Y: call(p, X[:, :0], Y[:, :0])


SILENT_ANSWERS = {
    "update_parameters: db1 1-D": (
        lambda p, X, Y: _step(p, X, Y, db1=jnp.ones(4)),
        "db1",
        r"db1 has shape \(4,\), expected \(4, 1\) like b1 \(keepdims missing\?\)",
    ),
    "update_parameters: dW1 transposed": (
        lambda p, X, Y: _step(p, X, Y, dW1=jnp.ones((3, 4))),
        "dW1",
        r"dW1 has shape \(3, 4\), expected \(4, 3\) like W1",
    ),
    "update_parameters: db2 missing": (
        lambda p, X, Y: manual.update_parameters(p, {"dW1": p["W1"], "db1": p["b1"], "dW2": p["W2"]}),
        "db2",
        "grads are missing db2",
    ),
    "update_parameters: NaN W1": (lambda p, X, Y: _step(p, X, Y, W1=p["W1"] * jnp.nan), "W1", "W1 contains NaN"),
    "update_parameters: NaN dW2": (lambda p, X, Y: _step(p, X, Y, dW2=p["W2"] * jnp.nan), "dW2", "dW2 contains NaN"),
    "update_parameters: lr nan": (
        lambda p, X, Y: _step(p, X, Y, learning_rate=float("nan")),
        "learning_rate",
        "learning_rate must be a finite number > 0, got nan",
    ),
    "update_parameters: lr inf": (
        lambda p, X, Y: _step(p, X, Y, learning_rate=np.inf),
        "learning_rate",
        "learning_rate must be a finite number > 0, got inf",
    ),
    "update_parameters: lr -1.2": (
        lambda p, X, Y: _step(p, X, Y, learning_rate=-1.2),
        "learning_rate",
        r"learning_rate must be a finite number > 0, got -1\.2",
    ),
    "update_parameters: lr 0": (
        lambda p, X, Y: _step(p, X, Y, learning_rate=0),
        "learning_rate",
        "learning_rate must be a finite number > 0, got 0",
    ),
    "update_parameters: lr '1.2'": (
        lambda p, X, Y: _step(p, X, Y, learning_rate="1.2"),
        "learning_rate",
        r"learning_rate must be a number, got str '1\.2'",
    ),
    "update_parameters: lr True": (
        lambda p, X, Y: _step(p, X, Y, learning_rate=True),
        "learning_rate",
        "learning_rate must be a number, got bool True",
    ),
    "reference.cost: m = 0": (_no_examples(reference.cost), "X", r"X has no examples \(X \(3, 0\), Y \(2, 0\)\)"),
    "reference.grads: m = 0": (_no_examples(reference.grads), "X", r"X has no examples \(X \(3, 0\), Y \(2, 0\)\)"),
    "reference.value_and_grads: m = 0": (
        _no_examples(reference.value_and_grads),
        "X",
        r"X has no examples \(X \(3, 0\), Y \(2, 0\)\)",
    ),
    "reference.finite_difference_grads: m = 0": (
        _no_examples(reference.finite_difference_grads),
        "X",
        r"X has no examples \(X \(3, 0\), Y \(2, 0\)\)",
    ),
    "manual.cost: m = 0": (
        lambda p, X, Y: manual.cost(jnp.zeros((2, 0)), Y[:, :0]),
        "Y",
        r"Y has no examples \(shape \(2, 0\)\)",
    ),
    "reference.finite_difference_grads: eps 0": (
        lambda p, X, Y: reference.finite_difference_grads(p, X, Y, eps=0.0),
        "eps",
        r"eps must be a finite number > 0, got 0\.0",
    ),
    "reference.finite_difference_grads: eps nan": (
        lambda p, X, Y: reference.finite_difference_grads(p, X, Y, eps=float("nan")),
        "eps",
        "eps must be a finite number > 0, got nan",
    ),
    "reference.finite_difference_grads: eps -1e-6": (
        lambda p, X, Y: reference.finite_difference_grads(p, X, Y, eps=-1e-6),
        "eps",
        r"eps must be a finite number > 0, got -1e-06",
    ),
    "nn_model: num_iterations -5": (
        lambda p, X, Y: manual.nn_model(*_binary(p, X, Y), 4, num_iterations=-5),
        "num_iterations",
        "num_iterations must be at least 1, got -5",
    ),
    "nn_model: num_iterations 0": (
        lambda p, X, Y: manual.nn_model(*_binary(p, X, Y), 4, num_iterations=0),
        "num_iterations",
        "num_iterations must be at least 1, got 0",
    ),
    "nn_model: num_iterations 2.5": (
        lambda p, X, Y: manual.nn_model(*_binary(p, X, Y), 4, num_iterations=2.5),
        "num_iterations",
        r"num_iterations must be a whole number, got float 2\.5",
    ),
    "nn_model: n_h 0": (
        lambda p, X, Y: manual.nn_model(*_binary(p, X, Y), 0, num_iterations=2),
        "n_h",
        "n_h must be at least 1, got 0",
    ),
    "initialize_parameters: n_h 0": (
        lambda p, X, Y: manual.initialize_parameters(3, 0, 1),
        "n_h",
        "n_h must be at least 1, got 0",
    ),
    "init_params: n_h 0": (
        lambda p, X, Y: manual.init_params(jax.random.key(0), 3, 0, 1),
        "n_h",
        "n_h must be at least 1, got 0",
    ),
    "init_params: scale nan": (
        lambda p, X, Y: manual.init_params(jax.random.key(0), 3, 4, 1, scale=float("nan")),
        "scale",
        "scale must be a finite number > 0, got nan",
    ),
    "init_zeros: n_x 0": (lambda p, X, Y: manual.init_zeros(0, 4, 1), "n_x", "n_x must be at least 1, got 0"),
    **{
        f"init_params: dtype {dtype.__name__}": (
            lambda p, X, Y, dtype=dtype: manual.init_params(jax.random.key(0), 3, 4, 1, dtype=dtype),
            "dtype",
            f"dtype must be one of float32, float64, got {dtype.__name__}",
        )
        for dtype in (jnp.float16, jnp.bfloat16, jnp.complex64)
    },
    **{
        f"{package.__name__}.grads: {dtype.__name__} problem": (
            lambda p, X, Y, dtype=dtype, package=package: package.grads(
                {k: v.astype(dtype) for k, v in p.items()}, X.astype(dtype), Y
            ),
            "X",
            f"X has dtype {dtype.__name__}; supported: float32, float64 \\(use .astype\\)",
        )
        for dtype in (jnp.float16, jnp.bfloat16)
        for package in (manual, reference)
    },
    **{
        f"{package.__name__}.grads: W1 with no rows (n_h 0)": (
            lambda p, X, Y, package=package: package.grads(
                _with(p, W1=jnp.ones((0, 3)), b1=jnp.ones((0, 1)), W2=jnp.ones((2, 0))), X, Y
            ),
            "W1",
            r"W1 has shape \(0, 3\): no hidden units \(n_h must be at least 1\)",
        )
        for package in (manual, reference)
    },
    **{
        f"{package.__name__}.grads: leaky_relu:{slope}": (
            lambda p, X, Y, slope=slope, package=package: package.grads(p, X, Y, f"leaky_relu:{slope}"),
            "slope",
            f"leaky_relu slope must be a number, got '{slope}'",
        )
        for slope in ("1_0", "nan", "inf")
        for package in (manual, reference)
    },
    **{
        f"{name}: labels {label}": (
            lambda p, X, Y, label=label, call=call: call(p, X, Y.at[0, 3].set(label)),
            "Y" if label != 2 and label != -1 else "labels",
            "Y contains NaN" if label != label else f"labels must be 0 or 1 for the sigmoid output; found {label:.1f}",
        )
        for label in (2.0, -1.0, float("nan"))
        for name, call in {
            "manual.grads": manual.grads,
            "reference.grads": reference.grads,
            "reference.finite_difference_grads": reference.finite_difference_grads,
            "manual.cost": lambda p, X, Y: manual.cost(_valid_cache()["Z2"], Y),
            "manual.compute_cost": lambda p, X, Y: manual.compute_cost(_valid_cache()["A2"][:1], Y[:1]),
            "manual.nn_model": lambda p, X, Y: manual.nn_model(X, Y[:1], 4, num_iterations=1),
        }.items()
    },
    **{
        f"{name}: Y (m, n_y)": (
            lambda p, X, Y, call=call: call(p, X, Y.T),
            "Y",
            r"Y has shape \(30, 2\), one example per row; expected (\(n_y, m\) = )?\(2, 30\): use Y\.T",
        )
        for name, call in {
            "manual.grads": manual.grads,
            "reference.grads": reference.grads,
            "reference.cost": reference.cost,
            "manual.layer_sizes": lambda p, X, Y: manual.layer_sizes(X, Y),
            "manual.cost": lambda p, X, Y: manual.cost(_valid_cache()["Z2"], Y),
            "manual.compute_cost": lambda p, X, Y: manual.compute_cost(_valid_cache()["A2"], Y),
            "manual.nn_model": lambda p, X, Y: manual.nn_model(X, Y, 4, num_iterations=1),
        }.items()
    },
    "compute_cost: logits for A2": (
        lambda p, X, Y: manual.compute_cost(_valid_cache()["Z2"] * 10, Y),
        "A2",
        r"A2 must be probabilities in \[0, 1\] \(the sigmoid's output\), not logits",
    ),
    "compute_cost: NaN A2": (
        lambda p, X, Y: manual.compute_cost(_valid_cache()["A2"].at[0, 0].set(jnp.nan), Y),
        "A2",
        "A2 contains NaN",
    ),
}


@pytest.mark.parametrize("case", list(SILENT_ANSWERS))
def test_no_wrong_input_gets_a_number_in_silence(case):
    """Each bad setting, parameter or label: one line, naming the argument, instead of a result."""
    call, argument, message = SILENT_ANSWERS[case]
    with pytest.raises((ValueError, TypeError), match=f"^{message}$") as error:
        call(*_valid())
    assert "\n" not in str(error.value)
    assert argument in str(error.value)


@pytest.mark.parametrize("learning_rate", [1.2, 1, np.float32(0.5), np.array(0.1), jnp.asarray(2.0)])
def test_update_parameters_takes_any_positive_number_and_keeps_the_type_it_was_given(learning_rate):
    params, X, Y = _valid()
    grads = manual.grads(params, X, Y)
    numpy_params = {k: np.asarray(v) for k, v in params.items()}
    numpy_grads = {k: np.asarray(v) for k, v in grads.items()}
    updated = manual.update_parameters(numpy_params, numpy_grads, learning_rate)
    for k in numpy_params:
        assert isinstance(updated[k], np.ndarray) is not isinstance(learning_rate, jax.Array)
        np.testing.assert_allclose(updated[k], numpy_params[k] - float(learning_rate) * numpy_grads["d" + k])


def test_update_parameters_under_jit_checks_shapes_but_leaves_the_traced_rate_alone():
    params, X, Y = _valid()
    grads = manual.grads(params, X, Y)
    step = jax.jit(manual.update_parameters)
    np.testing.assert_allclose(step(params, grads, 0.5)["W1"], params["W1"] - 0.5 * grads["dW1"])
    with pytest.raises(ValueError, match=r"^db1 has shape \(4,\)"):
        step(params, {**grads, "db1": grads["db1"][:, 0]}, 0.5)
