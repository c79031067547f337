"""A stack of N networks equals N stacks of 1: each network gets what it gets when trained alone.

One engine trains one network or many (``shallownet.stack``, ``step``, ``fit``): ``train.train``
is a stack of one, ``train.train_many`` a stack of N. The equality claim is float64, 2,000
iterations, both gradient paths, mixed hidden sizes, learning rates, seeds and activations, exact groups and padded
ones: every parameter of every network within 1e-12 (max abs difference) of
``train.train`` on that network alone, and its costs too. Divergence of one
network stops that network only. The should-fail cases beside them show the
comparison would see a leak between networks or a slip in manual's formulas.
"""

import importlib
import re
import warnings

import chex
import numpy as np
import pytest

import manual
from shallownet import data, fit, stack, step, train
from shallownet.history import CostHistory

ITERATIONS = 2000
TOLERANCE = 1e-12
# (hidden units, lr, activation, seed): sizes that share a padded group and sizes
# that do not, two seeds of one size, a sigmoid hidden layer (its padded units
# have A1 = 0.5, so only the mask keeps them at zero) and a ReLU one. Learning
# rates stay where flower training is not chaotic over 2,000 iterations (at lr 2
# round-off grows from 1e-16 to 1e-2 within 500 steps, alone or not).
NETWORKS = [
    (1, 1.2, "tanh", 0),
    (3, 0.5, "tanh", 1),
    (4, 1.2, "tanh", 2),
    (4, 1.0, "tanh", 3),
    (5, 1.2, "sigmoid", 4),
    (3, 0.8, "sigmoid", 5),
    (20, 0.8, "tanh", 6),
    (2, 0.3, "relu", 7),
]


@pytest.fixture(scope="module")
def flower():
    X, Y = data.flower()
    return X, Y.astype(np.float64)


def starts(networks=NETWORKS, n_x=2):
    return [train.init_params(n_x, n_h, 1, seed=seed) for n_h, _, _, seed in networks]


def solo(params, X, Y, lr, activation, gradients, iterations, output="sigmoid"):
    """(params, costs, diverged_at) of one network trained alone by train.train."""
    try:
        trained, costs = train.train(
            params,
            X,
            Y,
            lr=lr,
            activation=activation,
            output=output,
            gradients=gradients,
            iterations=iterations,
            dtype="float64",
        )
        return {name: np.asarray(value) for name, value in trained.items()}, costs, None
    except train.Diverged as e:
        return {name: np.asarray(value) for name, value in e.params.items()}, e.costs, e.iteration


@pytest.fixture(scope="module")
def solo_runs(flower):
    X, Y = flower
    return {
        gradients: [
            solo(start, X, Y, lr, activation, gradients, ITERATIONS)
            for start, (_, lr, activation, _) in zip(starts(), NETWORKS)
        ]
        for gradients in train.GRAD_PATHS
    }


def difference(result, k, expected):
    """Max abs difference of network k's parameters and costs from its solo run."""
    params, costs, _ = expected
    worst = max(float(np.max(np.abs(result.params[k][name] - params[name]))) for name in params)
    steps = int(result.steps[k])
    return max(worst, float(np.max(np.abs(result.costs[k, :steps] - costs))))


def train_all(X, Y, gradients, networks=NETWORKS, **kwargs):
    return train.train_many(
        starts(networks),
        X,
        Y,
        lr=[lr for _, lr, _, _ in networks],
        activation=[activation for _, _, activation, _ in networks],
        gradients=gradients,
        **{"iterations": ITERATIONS, "dtype": "float64", **kwargs},
    )


@pytest.mark.parametrize("buckets", ["exact", (5, 20)])
@pytest.mark.parametrize("gradients", ["manual", "reference"])
def test_a_stack_of_n_equals_n_stacks_of_one(flower, solo_runs, gradients, buckets):
    X, Y = flower
    result = train_all(X, Y, gradients, buckets=buckets)
    for k, expected in enumerate(solo_runs[gradients]):
        assert result.steps[k] == ITERATIONS and not result.diverged[k]
        assert difference(result, k, expected) <= TOLERANCE, NETWORKS[k]


def test_padded_groups_are_really_shared(flower):
    """The (5, 20) buckets above put sizes 1..5 of one activation into one padded group."""
    sizes, activations = [n_h for n_h, *_ in NETWORKS], [activation for _, _, activation, _ in NETWORKS]
    layout, _ = stack.make_layout(sizes, activations, 2, 1, 400, (5, 20))
    groups = {(group.activation, group.hidden_units): group.stop - group.start for group in layout.groups}
    assert groups == {("relu", 5): 1, ("sigmoid", 5): 2, ("tanh", 5): 4, ("tanh", 20): 1}


def test_a_planted_leak_between_networks_is_caught(flower, solo_runs, monkeypatch):
    """Should fail: a layout that lets each network see a trace of the others' gradients."""
    X, Y = flower
    honest = step.stack_value_and_grads

    def leaky(*args, **kwargs):
        J, G = honest(*args, **kwargs)
        return J, G + 1e-9 * G.mean(axis=0, keepdims=True)

    monkeypatch.setattr(step, "stack_value_and_grads", leaky)
    step.run_chunk.clear_cache()
    try:
        result = train_all(X, Y, "manual", buckets="exact", iterations=ITERATIONS)
    finally:
        monkeypatch.undo()
        step.run_chunk.clear_cache()
    worst = max(difference(result, k, expected) for k, expected in enumerate(solo_runs["manual"]))
    assert worst > 1e3 * TOLERANCE


def slipped_backward_sums(params, cache, X, Y, activation="tanh"):
    """manual's backward with the classic slip g'(Z1, Z1) (tanh' = 1 - Z1**2)."""
    _, g_prime = manual.get_activation(activation)
    dZ2 = cache["A2"] - Y
    dZ1 = (params["W2"].T @ dZ2) * g_prime(cache["Z1"], cache["Z1"])
    return {
        "dW1": manual.matmul_nt(dZ1, X),
        "db1": dZ1.sum(axis=1, keepdims=True),
        "dW2": manual.matmul_nt(dZ2, cache["A1"]),
        "db2": dZ2.sum(axis=1, keepdims=True),
    }


def test_a_slip_planted_in_manual_reaches_every_network(flower, monkeypatch):
    """The manual path runs manual's own functions: a slip there changes train_many as it changes train."""
    X, Y = flower
    # Weights of scale 1: at the course's 0.01, 1 - Z1**2 and 1 - A1**2 differ by ~5e-6 only.
    rng = np.random.default_rng(3)
    params = [
        {
            "W1": rng.standard_normal((n_h, 2)),
            "b1": np.zeros((n_h, 1)),
            "W2": rng.standard_normal((1, n_h)),
            "b2": np.zeros((1, 1)),
        }
        for n_h in (2, 4, 4)
    ]
    clean = train.train_many(params, X, Y, lr=0.1, iterations=8, dtype="float64")
    # The module, not the package's function of the same name.
    monkeypatch.setattr(importlib.import_module("manual.backward"), "backward_sums_unchecked", slipped_backward_sums)
    step.run_chunk.clear_cache()  # the one compiled step: the only program the slip must reach (not every cache)
    try:
        slipped = train.train_many(params, X, Y, lr=0.1, iterations=8, dtype="float64")
        alone = [train.train(start, X, Y, lr=0.1, iterations=8, dtype="float64")[0] for start in params]
    finally:
        monkeypatch.undo()
        step.run_chunk.clear_cache()
    for k in range(len(params)):
        assert np.max(np.abs(slipped.params[k]["W1"] - clean.params[k]["W1"])) > 1e-3
        for name in alone[k]:
            np.testing.assert_allclose(slipped.params[k][name], alone[k][name], rtol=1e-10, atol=TOLERANCE)


def test_one_diverging_network_stops_alone(flower, solo_runs):
    X, Y = flower
    # A tanh network with a huge lr saturates (1 - A1**2 = 0 exactly) and stays
    # finite; an identity hidden layer overflows in its second step.
    networks = NETWORKS[:4] + [(4, 1e200, "identity", 9)]
    result = train_all(X, Y, "manual", networks=networks, buckets="exact")
    params, costs, diverged_at = solo(starts(networks)[-1], X, Y, 1e200, "identity", "manual", ITERATIONS)
    assert diverged_at is not None and diverged_at < 5
    assert result.diverged.tolist() == [False] * 4 + [True]
    assert result.diverged_at[-1] == diverged_at == result.steps[-1]
    for name in params:  # the last finite parameters, of order 1e200
        np.testing.assert_allclose(result.params[-1][name], params[name], rtol=1e-12)
    assert np.all(np.isnan(result.costs[-1, diverged_at:]))
    np.testing.assert_allclose(result.costs[-1, :diverged_at], costs, rtol=1e-12)
    for k, expected in enumerate(solo_runs["manual"][:4]):
        assert result.steps[k] == ITERATIONS
        assert difference(result, k, expected) <= TOLERANCE


@pytest.mark.parametrize("gradients", ["manual", "reference"])
def test_divergence_midway_stops_at_the_same_iteration_as_alone(gradients):
    """Regression (identity output) with a learning rate past 2 / curvature: the error grows until it overflows."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 200))
    Y = np.sin(X[:1]) + 0.5 * X[1:2]
    networks = [(3, 0.05, "tanh", 0), (6, 0.1, "tanh", 1), (6, 1.5, "identity", 2), (3, 0.1, "identity", 3)]
    params = starts(networks, n_x=3)
    result = train.train_many(
        params,
        X,
        Y,
        lr=[network[1] for network in networks],
        activation=[network[2] for network in networks],
        output="identity",
        gradients=gradients,
        iterations=600,
        chunk=128,
        dtype="float64",
    )
    for k, (start, (_, lr, activation, _)) in enumerate(zip(params, networks)):
        expected = solo(start, X, Y, lr, activation, gradients, 600, output="identity")
        assert result.diverged_at[k] == expected[2]
        if expected[2] is None:
            assert difference(result, k, expected) <= TOLERANCE
        else:
            # Growing by ~1e10 per step before it overflows, it amplifies round-off
            # like no converging network does: compare relative to its size.
            for name, value in expected[0].items():
                np.testing.assert_allclose(result.params[k][name], value, rtol=1e-6)
    assert result.diverged.tolist() == [False, False, True, False]
    assert 10 < result.diverged_at[2] < 600


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_shapes_and_dtypes_of_the_result(flower, dtype):
    X, Y = flower
    networks = [(1, 1.2, "tanh", 0), (4, 1.2, "tanh", 1), (7, 0.5, "relu", 2)]
    result = train_all(X, Y, "manual", networks=networks, iterations=30, chunk=8, dtype=dtype)
    chex.assert_shape(result.costs, (3, 30))
    chex.assert_type(result.costs, np.dtype(dtype))
    chex.assert_tree_all_finite(result.costs)
    assert result.steps.tolist() == [30, 30, 30] and result.diverged_at == [None] * 3
    for params, (n_h, *_) in zip(result.params, networks):
        chex.assert_shape(
            [params["W1"], params["b1"], params["W2"], params["b2"]], [(n_h, 2), (n_h, 1), (1, n_h), (1, 1)]
        )
        chex.assert_type(list(params.values()), np.dtype(dtype))


def test_packing_round_trips_exactly():
    rng = np.random.default_rng(1)
    sizes, activations = [2, 5, 3, 5, 1], ["tanh", "tanh", "relu", "tanh", "tanh"]
    params = [
        {
            "W1": rng.standard_normal((n, 3)),
            "b1": rng.standard_normal((n, 1)),
            "W2": rng.standard_normal((2, n)),
            "b2": rng.standard_normal((2, 1)),
        }
        for n in sizes
    ]
    packed = stack.Stack(params, 3, 2, 50, lr=0.1, activation=activations, dtype="float64", buckets=(5,))
    back = packed.to_host(packed.theta)
    for given, unpacked in zip(params, back):
        chex.assert_trees_all_equal(given, unpacked)
    # Padding holds exact zeros, and the mask marks exactly the real entries.
    theta, mask = np.asarray(packed.theta), np.asarray(packed.mask)
    assert np.all(theta[mask == 0] == 0)
    assert int(mask.sum()) == sum(stack.param_count(n, 3, 2) for n in sizes)


@pytest.mark.parametrize(
    "overhead, expected",
    [
        (0, {1: 1, 2: 2, 3: 3, 20: 20, 50: 50}),  # no cost per group: no padding
        (10**9, {1: 50, 2: 50, 3: 50, 20: 50, 50: 50}),  # groups cost everything: one group
        (8_000, {1: 3, 2: 3, 3: 3, 20: 20, 50: 50}),
    ],
)
def test_bucket_plan_trades_padding_against_groups(overhead, expected):
    assert stack.plan_buckets({1: 1, 2: 1, 3: 1, 20: 1, 50: 1}, m=400, overhead=overhead) == expected


def test_ctrl_c_between_chunks_keeps_the_last_chunk(flower):
    X, Y = flower

    def interrupt(done, costs):
        chex.assert_shape(costs, (3,))
        raise KeyboardInterrupt

    with pytest.raises(train.Interrupted) as caught:
        train_all(X, Y, "manual", networks=NETWORKS[:3], iterations=100, chunk=25, progress=interrupt)
    assert caught.value.iteration == 25 and len(caught.value.params) == 3
    chex.assert_shape(caught.value.costs, (3, 25))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": [1.2, 1.2]}, "lr has 2 values for 3 networks"),
        ({"activation": "swish"}, "network 0: unknown activation 'swish'"),
        ({"lr": [1.2, float("nan"), 1.0]}, "finite"),
        ({"lr": [1.2, -1.0, 1.0]}, "network 1: lr must be a finite number > 0, got -1.0"),
        ({"lr": [1.2, 1.0, 0]}, "network 2: lr must be a finite number > 0, got 0"),
        ({"lr": [1.2, "1.2", 1.0]}, "network 1: lr must be a number, got str '1.2'"),
        ({"gradients": "autodiff"}, "unknown gradient path"),
        ({"iterations": -1}, "iterations must be at least 1, got -1"),
    ],
)
def test_bad_arguments_are_named(flower, kwargs, message):
    X, Y = flower
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        train.train_many(starts(NETWORKS[:3]), X, Y, **{"iterations": 5, **kwargs})


def one_network(entry, params, X, Y, lr):
    """The parameters after one step of ``train.train`` or of ``train.train_many`` with a list of one."""
    if entry == "train":
        return train.train(params, X, Y, lr=lr, iterations=1, dtype="float64")[0]
    return train.train_many([params], X, Y, lr=lr, iterations=1, dtype="float64").params[0]


@pytest.mark.parametrize("entry", ["train", "train_many"])
@pytest.mark.parametrize("lr", [1.2, 1, np.float32(0.5), np.array(0.25), 1e-300])
def test_every_entry_point_descends_with_a_learning_rate_it_accepts(flower, entry, lr):
    X, Y = flower
    start = starts(NETWORKS[:1])[0]
    expected = manual.update_parameters(start, manual.grads(start, X, Y), float(lr))
    for name, value in one_network(entry, start, X, Y, lr).items():
        np.testing.assert_allclose(value, np.asarray(expected[name]), rtol=1e-12, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("entry", ["train", "train_many"])
@pytest.mark.parametrize(
    "lr, message",
    [
        (0, "lr must be a finite number > 0, got 0"),  # no step at all
        (0.0, "lr must be a finite number > 0, got 0.0"),
        (-0.0, "lr must be a finite number > 0, got -0.0"),
        (-1.0, "lr must be a finite number > 0, got -1.0"),  # gradient ascent
        (float("nan"), "lr must be a finite number > 0, got nan"),
        (float("inf"), "lr must be a finite number > 0, got inf"),
        (True, "lr must be a number, got bool True"),
        ("1.2", "lr must be a number, got str '1.2'"),
        (None, "lr must be a number, got NoneType None"),
    ],
)
def test_every_entry_point_refuses_a_learning_rate_that_is_not_a_finite_number_above_0(flower, entry, lr, message):
    X, Y = flower
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        one_network(entry, starts(NETWORKS[:1])[0], X, Y, lr)


@pytest.mark.parametrize("entry", ["train", "train_many"])
@pytest.mark.parametrize(
    "lr, words",
    [(1e300, "beyond float32's largest number 3.403e+38"), (1e-300, "below float32's smallest number 1.401e-45")],
)
def test_a_learning_rate_the_dtype_cannot_hold_is_refused(flower, entry, lr, words):
    """1e300 and 1e-300 are float64 numbers (a step is taken); in float32 they would be inf (every step non-finite)
    or 0 (no step at all): refused in one line, no numpy warning."""
    X, Y = flower
    start = starts(NETWORKS[:1])[0]
    call = train.train if entry == "train" else lambda p, *a, **k: train.train_many([p], *a, **k)
    with pytest.raises(ValueError, match=re.escape(f"lr {lr:g} is {words}; use float64")), warnings.catch_warnings():
        warnings.simplefilter("error")
        call(start, X, Y, lr=lr, iterations=1, dtype="float32")
    call(start, X, Y, lr=lr, iterations=1, dtype="float64")


def test_predictions_read_list_and_integer_features_in_the_parameters_dtype(flower):
    X, _ = flower
    params = starts(NETWORKS[:1])[0]
    expected = train.predict(params, X.round())
    np.testing.assert_array_equal(train.predict(params, X.round().astype(np.int64)), expected)
    np.testing.assert_array_equal(train.predict(params, X.round().tolist()), expected)


def test_a_network_of_the_wrong_shape_is_named(flower):
    X, Y = flower
    params = starts(NETWORKS[:3])
    params[2] = train.init_params(3, 4, 1)
    with pytest.raises(ValueError, match=r"network 2: W1 has shape \(4, 3\) but X has n_x = 2"):
        train.train_many(params, X, Y, iterations=5)
    with pytest.raises(ValueError, match="no networks"):
        train.train_many([], X, Y, iterations=5)


# ------------------------------------------------------------------- J only where the history keeps it


@pytest.fixture
def skipping(monkeypatch):
    """Steps skip J wherever the history keeps none, however short the run and large the stack."""
    monkeypatch.setattr(fit, "SKIP_COSTS_FROM", 0)
    monkeypatch.setattr(fit, "SKIP_COSTS_NETWORKS", 10**9)


@pytest.mark.parametrize("gradients", ["manual", "reference"])
def test_steps_without_their_cost_change_no_bit(flower, gradients, skipping):
    """A history of 64 points over 2,000 iterations (the stride grows to 32): J at the kept steps only."""
    X, Y = flower
    every, kept = CostHistory(None), CostHistory(64)
    kw = dict(lr=1.2, iterations=2000, chunk=300, dtype="float64", gradients=gradients)
    full, _ = train.train(train.init_params(2, 4, 1, init="course"), X, Y, history=every, **kw)
    thin, _ = train.train(train.init_params(2, 4, 1, init="course"), X, Y, history=kept, **kw)
    chex.assert_trees_all_equal(full, thin)
    iterations, costs = kept.arrays()
    assert kept.stride == 32 and np.isfinite(costs).all()
    np.testing.assert_array_equal(costs, every.costs[iterations])


def test_a_step_without_its_cost_gone_non_finite_runs_the_chunk_again_with_every_cost(flower, monkeypatch, skipping):
    """Huge X, tiny W1: the second step's parameters overflow (tanh, sigmoid output: the bound vouches for J).

    Starting at iteration 1 with a stride of 16, neither iteration 1 nor 2 is kept: the chunk runs
    again with J at every step, so the history ends with J of iteration 1 as when every cost is kept.
    """
    X, Y = flower
    params = {"W1": np.full((4, 2), 1e-305), "b1": np.zeros((4, 1)), "W2": np.zeros((1, 4)), "b2": np.zeros((1, 1))}
    calls, real = [], fit._compiled

    def counted(*args):  # the compiled step, recording each call's cost stride
        compiled = real(*args)
        return lambda theta, alive, data, call: calls.append(int(call["stride"])) or compiled(theta, alive, data, call)

    monkeypatch.setattr(fit, "_compiled", counted)
    outcomes = []
    for limit in (None, 4):
        history, calls[:] = CostHistory(limit, start=1), []
        with pytest.raises(train.Diverged) as caught:
            train.train(params, X * 1e300, Y, lr=3e7, iterations=50, start_iteration=1, history=history, dtype=float)
        outcomes.append((caught.value.iteration, history.arrays(), caught.value.params, list(calls)))
    (at, points, last, strides), (thin_at, thin_points, thin_last, thin_strides) = outcomes
    assert at == thin_at == 2 and strides == [1] and thin_strides == [16, 1]
    chex.assert_trees_all_equal(points, thin_points)
    chex.assert_trees_all_equal(last, thin_last)
