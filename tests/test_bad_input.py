"""Bad input gets one clear ValueError naming the problem, at every public entry point of manual and reference."""

import jax
import jax.numpy as jnp
import pytest

import manual
import reference
from gradient_cases import SMALL, random_problem

# Entry points taking (params, X, Y); each is called outside jit, as a user would.
ENTRY_POINTS = {
    "manual.grads": manual.grads,
    "manual.value_and_grads": manual.value_and_grads,
    "manual.backward_per_example": manual.backward_per_example,
    "manual.backward": lambda params, X, Y: manual.backward(params, _valid_cache(), X, Y),
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
