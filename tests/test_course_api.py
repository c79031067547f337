"""A course user can drop manual's functions into the course notebook: same names, arguments, numbers."""

import inspect

import chex
import jax.numpy as jnp
import numpy as np
import pytest

import manual
import reference
from gradient_cases import assert_grads_agree, assert_grads_like
from shallownet.data import flower

COURSE_SIGNATURES = {
    "layer_sizes": "(X, Y)",
    "initialize_parameters": "(n_x, n_h, n_y)",
    "forward_propagation": "(X, parameters)",
    "compute_cost": "(A2, Y)",
    "backward_propagation": "(parameters, cache, X, Y)",
    "update_parameters": "(parameters, grads, learning_rate=1.2)",
    "predict": "(parameters, X)",
    "nn_model": "(X, Y, n_h, num_iterations=10000, print_cost=False)",
}


def test_course_names_import_from_manual():
    namespace = {}
    exec(f"from manual import {', '.join(COURSE_SIGNATURES)}", namespace)
    assert all(callable(namespace[name]) for name in COURSE_SIGNATURES)


@pytest.mark.parametrize("name", list(COURSE_SIGNATURES))
def test_course_functions_keep_the_course_argument_names_and_order(name):
    parameters = inspect.signature(getattr(manual, name)).parameters.values()
    shown = [p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in parameters]  # without the hints
    assert f"({', '.join(shown)})" == COURSE_SIGNATURES[name]


def test_initialize_parameters_reproduces_the_course_numbers():
    """The values the course notebook prints for initialize_parameters(2, 4, 1)."""
    parameters = manual.initialize_parameters(2, 4, 1)
    np.testing.assert_allclose(
        parameters["W1"],
        [[-0.00416758, -0.00056267], [-0.02136196, 0.01640271], [-0.01793436, -0.00841747], [0.00502881, -0.01245288]],
        atol=5e-9,
    )
    np.testing.assert_allclose(parameters["W2"], [[-0.01057952, -0.00909008, 0.00551454, 0.02292208]], atol=5e-9)
    np.testing.assert_array_equal(parameters["b1"], np.zeros((4, 1)))
    np.testing.assert_array_equal(parameters["b2"], np.zeros((1, 1)))
    chex.assert_type(list(parameters.values()), np.float64)


def test_layer_sizes_on_the_flower_data():
    X, Y = flower()
    assert manual.layer_sizes(X, Y) == (2, 4, 1)


def test_layer_sizes_reads_shapes_only_as_the_course_does():
    # The course's layer_sizes_test_case: X (5, 3) and a random-normal Y (2, 3), not labels.
    rng = np.random.default_rng(1)
    X_assess, Y_assess = rng.standard_normal((5, 3)), rng.standard_normal((2, 3))
    assert manual.layer_sizes(X_assess, Y_assess) == (5, 4, 2)
    with pytest.raises(ValueError, match="labels must be 0 or 1"):  # where labels matter, they are checked
        manual.nn_model(X_assess, Y_assess, 4, num_iterations=1)


LAYER_SIZES_MISTAKES = [
    ("X a list", [[1.0, 2.0]], np.ones((1, 2)), "X must be a numpy or jax array, got list"),
    ("Y a list", np.ones((2, 3)), [[0, 1, 0]], "Y must be a numpy or jax array, got list"),
    ("X 1-D", np.ones(3), np.ones((1, 3)), "X must be 2-D (rows x examples), got shape (3,)"),
    ("Y 1-D", np.ones((2, 3)), np.ones(3), "Y has shape (3,); expected (n_y, m) = (1, 3): use Y.reshape(1, -1)"),
    ("Y 3-D", np.ones((2, 3)), np.ones((1, 3, 1)), "Y must be 2-D (n_y, m), got shape (1, 3, 1)"),
    (
        "examples differ",
        np.ones((2, 4)),
        np.ones((1, 5)),
        "Y has 5 examples (shape (1, 5)) but X has 4 (shape (2, 4))",
    ),
]


@pytest.mark.parametrize(
    "X, Y, message", [case[1:] for case in LAYER_SIZES_MISTAKES], ids=[case[0] for case in LAYER_SIZES_MISTAKES]
)
def test_layer_sizes_names_each_shape_mistake_in_its_own_whole_message(X, Y, message):
    # layer_sizes checks shapes only (not labels), so it has its own messages: each is pinned whole.
    with pytest.raises(ValueError) as raised:
        manual.layer_sizes(X, Y)
    assert str(raised.value) == message


def test_nn_model_prints_the_course_costs(capsys):
    """Course output, flower data, n_h = 4: 0.693048 at iteration 0, 0.288083 at 1000, 0.254385 at 2000."""
    X, Y = flower()
    parameters = manual.nn_model(X, Y, 4, num_iterations=2001, print_cost=True)
    assert capsys.readouterr().out.splitlines() == [
        "Cost after iteration 0: 0.693048",
        "Cost after iteration 1000: 0.288083",
        "Cost after iteration 2000: 0.254385",
    ]
    assert sorted(parameters) == ["W1", "W2", "b1", "b2"]
    chex.assert_shape(
        [parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]], [(4, 2), (4, 1), (1, 4), (1, 1)]
    )


def test_nn_model_is_silent_without_print_cost(capsys):
    X, Y = flower()
    manual.nn_model(X, Y, 4, num_iterations=3)
    assert capsys.readouterr().out == ""


def test_forward_and_backward_propagation_on_the_course_init_match_jax_grad():
    X, Y = flower()
    parameters = manual.initialize_parameters(2, 4, 1)
    A2, cache = manual.forward_propagation(X, parameters)
    chex.assert_shape(
        [A2, cache["Z1"], cache["A1"], cache["Z2"], cache["A2"]], [(1, 400), (4, 400), (4, 400), (1, 400), (1, 400)]
    )
    chex.assert_type([A2, *cache.values()], jnp.float64)
    np.testing.assert_allclose(manual.compute_cost(A2, Y), 0.693048, atol=5e-7)
    grads = manual.backward_propagation(parameters, cache, X, Y)
    assert_grads_like(grads, parameters, jnp.float64)
    assert_grads_agree(grads, reference.grads(parameters, X, Y), 1e-10)


def test_update_parameters_takes_one_step_of_learning_rate_1_2_by_default():
    parameters = manual.initialize_parameters(2, 3, 1)
    grads = {"d" + k: np.full_like(v, 0.5) for k, v in parameters.items()}
    updated = manual.update_parameters(parameters, grads)
    for k, v in parameters.items():
        np.testing.assert_allclose(updated[k], v - 1.2 * 0.5, rtol=1e-15)


def test_predict_is_one_exactly_where_A2_exceeds_one_half():
    """W1 = [[1, 0]], W2 = [[10]]: A2 = sigma(10 tanh(x_0)), so x_0 > 0 -> 1 and x_0 <= 0 -> 0 (A2 = 0.5 at 0)."""
    parameters = {
        "W1": np.array([[1.0, 0.0]]),
        "b1": np.zeros((1, 1)),
        "W2": np.array([[10.0]]),
        "b2": np.zeros((1, 1)),
    }
    X = np.array([[-2.0, -1e-3, 0.0, 1e-3, 2.0], [5.0, -5.0, 3.0, 0.0, 1.0]])
    predictions = manual.predict(parameters, X)
    np.testing.assert_array_equal(predictions, [[0, 0, 0, 1, 1]])


def test_nn_model_runs_the_courses_10000_iterations_by_default(capsys):
    X, Y = flower(m=40)
    manual.nn_model(X, Y, 4, print_cost=True)
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == [f"Cost after iteration {i}" for i in range(0, 10000, 1000)]


def test_nn_model_trains_float32_data_in_float32_whatever_the_labels_dtype():
    """Labels take X's dtype and the course's float64 init is cast to it: a float32 run stays float32."""
    X, Y = flower(m=40)
    X32 = X.astype(np.float32)
    from_float64_labels = manual.nn_model(X32, Y.astype(np.float64), 4, num_iterations=50)
    from_float32_labels = manual.nn_model(X32, Y.astype(np.float32), 4, num_iterations=50)
    chex.assert_type(list(from_float64_labels.values()), jnp.float32)
    for k in from_float32_labels:
        np.testing.assert_array_equal(from_float64_labels[k], from_float32_labels[k])


def test_predict_gives_int64_labels_like_the_course():
    parameters = manual.initialize_parameters(2, 4, 1)
    assert manual.predict(parameters, flower(m=10)[0]).dtype == np.int64
