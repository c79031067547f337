"""The training wrapper: both gradient paths, resume, divergence, one compilation per configuration."""
import chex
import jax
import numpy as np
import pytest

import manual
from shallownet import checkpoint, data, logistic, loop, train


def flower64():
    X, Y = data.flower()
    return X, Y.astype(np.float64)


def course_init(n_h=4):
    return train.init_params(2, n_h, 1, init="course")


def test_manual_and_autodiff_give_the_same_parameters_in_float64():
    # 2,000 iterations: before lr-1.2 training on the flower turns chaotic and
    # round-off differences (~1e-14 here) start to grow.
    X, Y = flower64()
    out = {g: train.train(course_init(), X, Y, gradients=g, lr=1.2, iterations=2000, dtype="float64")
           for g in train.GRAD_PATHS}
    (pm, cm), (pa, ca) = out["manual"], out["reference"]
    for k in pm:
        chex.assert_type(pm[k], np.float64)
        np.testing.assert_allclose(pm[k], pa[k], rtol=1e-10, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(cm, ca, rtol=1e-12)
    assert cm[0] == pytest.approx(0.693048, abs=1e-6)  # the course's printed first cost


@pytest.mark.slow
def test_manual_and_autodiff_costs_agree_loosely_over_the_full_run():
    # Past ~5,000 iterations round-off differences reach 1e-1 in the parameters:
    # only the costs and the accuracy are comparable.
    X, Y = flower64()
    runs = {g: train.train(course_init(), X, Y, gradients=g, iterations=10000, dtype="float64")
            for g in train.GRAD_PATHS}
    np.testing.assert_allclose(runs["manual"][1], runs["reference"][1], atol=2e-2)
    accs = [train.accuracy(p, X, Y) for p, _ in runs.values()]
    assert abs(accs[0] - accs[1]) <= 1.0


@pytest.mark.parametrize("split_at", [1, 999, 1000, 1234])
def test_resumed_training_equals_uninterrupted_training_in_float64(tmp_path, split_at):
    X, Y = flower64()
    kw = dict(gradients="manual", lr=1.2, dtype="float64", chunk=500)
    full, full_costs = train.train(course_init(), X, Y, iterations=2000, **kw)
    first, c1 = train.train(course_init(), X, Y, iterations=split_at, **kw)
    # Through a checkpoint, as a real resume does.
    path = tmp_path / "model.npz"
    checkpoint.save(path, {k: np.asarray(v) for k, v in first.items()},
                    config={"hidden_units": 4, "activation": "tanh", "output": "sigmoid",
                            "features": ["x1", "x2"], "labels": ["label"], "standardize": False},
                    feature_mean=np.zeros((2, 1)), feature_std=np.ones((2, 1)), costs=c1, iteration=split_at)
    saved = checkpoint.load(path)
    rest, c2 = train.train(saved["params"], X, Y, iterations=2000 - split_at, start_iteration=split_at, **kw)
    for k in full:
        np.testing.assert_array_equal(np.asarray(rest[k]), np.asarray(full[k]), err_msg=k)
    np.testing.assert_array_equal(np.concatenate([c1, c2]), full_costs)


def test_ctrl_c_between_chunks_keeps_the_last_finished_chunk():
    X, Y = flower64()
    kw = dict(lr=1.2, dtype="float64", chunk=300)

    def interrupt_after_600(done, cost):
        if done == 600:
            raise KeyboardInterrupt

    with pytest.raises(train.Interrupted) as info:
        train.train(course_init(), X, Y, iterations=2000, progress=interrupt_after_600, **kw)
    reference, costs = train.train(course_init(), X, Y, iterations=600, **kw)
    assert info.value.iteration == 600
    np.testing.assert_array_equal(info.value.costs, costs)
    for k in reference:
        np.testing.assert_array_equal(np.asarray(info.value.params[k]), np.asarray(reference[k]))


def test_one_compilation_per_configuration():
    # Shapes no other test uses, so the count starts from this configuration.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3, 37))
    Y = (X[:1] > 0).astype(np.float64)
    params = train.init_params(3, 5, 1, seed=1)
    before = loop.run_chunk._cache_size()
    timings = {}
    train.train(params, X, Y, iterations=2500, chunk=1000, dtype="float64", timings=timings)  # 3 chunks, short last
    train.train(params, X, Y, iterations=700, chunk=1000, lr=0.3, dtype="float64")  # new lr, fewer iterations
    train.train(params, X, Y, iterations=0, chunk=1000, dtype="float64")
    assert loop.run_chunk._cache_size() == before + 1
    assert timings["compile_s"] > 0 and timings["run_s"] > 0
    train.train(params, X, Y, iterations=10, chunk=1000, dtype="float32")  # a new dtype is a new configuration
    assert loop.run_chunk._cache_size() == before + 2


def test_diverging_training_stops_with_the_last_finite_parameters():
    # A squared-error output with lr 50 overflows within a few dozen steps.
    X, Y = flower64()
    with pytest.raises(train.Diverged, match="cost became non-finite at iteration") as info:
        train.train(course_init(), X, Y, output="identity", activation="relu", lr=50.0, iterations=1000,
                    dtype="float64")
    e = info.value
    assert 0 < e.iteration < 1000 and e.costs.shape == (e.iteration,)
    assert np.all(np.isfinite(e.costs))
    for v in e.params.values():
        assert np.all(np.isfinite(np.asarray(v)))
    # The kept parameters are those after e.iteration steps.
    again, _ = train.train(course_init(), X, Y, output="identity", activation="relu", lr=50.0,
                           iterations=e.iteration, dtype="float64")
    for k in again:
        np.testing.assert_array_equal(np.asarray(again[k]), np.asarray(e.params[k]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_runs_in_the_requested_dtype(dtype):
    X, Y = flower64()
    params, costs = train.train(course_init(), X, Y, iterations=20, dtype=dtype)
    for v in params.values():
        chex.assert_type(v, np.dtype(dtype))
    assert costs.dtype == np.dtype(dtype) and costs.shape == (20,)


@pytest.mark.parametrize("n_y", [1, 3])
def test_init_params_shapes_and_seed(n_y):
    p = train.init_params(2, 4, n_y, seed=5)
    chex.assert_shape([p["W1"], p["b1"], p["W2"], p["b2"]], [(4, 2), (4, 1), (n_y, 4), (n_y, 1)])
    np.testing.assert_array_equal(p["W1"], train.init_params(2, 4, n_y, seed=5)["W1"])
    assert not np.array_equal(p["W1"], train.init_params(2, 4, n_y, seed=6)["W1"])
    assert np.all(p["b1"] == 0) and np.all(p["b2"] == 0) and np.abs(p["W1"]).max() < 0.05


def test_course_init_is_the_courses_draw():
    p, q = train.init_params(2, 4, 1, init="course"), manual.initialize_parameters(2, 4, 1)
    for k in p:
        np.testing.assert_array_equal(p[k], q[k])


def test_several_output_units_train_and_predict():
    X, Y = flower64()
    Y3 = np.concatenate([Y, 1 - Y, (X[:1] > 0).astype(np.float64)])
    params, costs = train.train(train.init_params(2, 6, 3, seed=0), X, Y3, iterations=300, dtype="float64")
    P = train.predict(params, X)
    assert P.shape == (3, 400) and P.dtype == np.uint8 and costs[-1] < costs[0]


def test_logistic_regression_is_the_courses_47_percent_baseline():
    X, Y = flower64()
    model = logistic.fit(X, Y)
    chex.assert_shape([model["W"], model["b"]], [(1, 2), (1, 1)])
    assert logistic.accuracy(model, X, Y) == pytest.approx(47.0, abs=1.0)


def test_logistic_regression_reaches_the_cross_entropy_minimum():
    # At the minimum the gradient is zero: (1/m) (A - Y) X^T = 0 and mean(A - Y) = 0.
    X, Y = flower64()
    model = logistic.fit(X, Y)
    A = 1 / (1 + np.exp(-(np.asarray(model["W"]) @ X + np.asarray(model["b"]))))
    np.testing.assert_allclose((A - Y) @ X.T / X.shape[1], 0, atol=1e-8)
    assert abs(np.mean(A - Y)) < 1e-8


def test_train_rejects_labels_outside_0_1_for_the_sigmoid_output():
    X, Y = flower64()
    with pytest.raises(ValueError, match="labels must be 0 or 1 for the sigmoid output; found 2"):
        train.train(course_init(), X, Y * 2, iterations=1)
