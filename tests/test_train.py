"""The training wrapper: both gradient paths, resume, divergence, one compilation per configuration."""

import signal
import time

import chex
import numpy as np
import pytest

import manual
from shallownet import checkpoint, data, fit, logistic, step, train
from shallownet.config import RunConfig
from shallownet.history import CostHistory


def flower64():
    X, Y = data.flower()
    return X, Y.astype(np.float64)


def course_init(n_h=4):
    return train.init_params(2, n_h, 1, init="course")


def test_manual_and_reference_paths_give_the_same_parameters_in_float64():
    # 2,000 iterations: before lr-1.2 training on the flower turns chaotic and
    # round-off differences (~1e-14 here) start to grow.
    X, Y = flower64()
    out = {
        path: train.train(course_init(), X, Y, gradients=path, lr=1.2, iterations=2000, dtype="float64")
        for path in train.GRAD_PATHS
    }
    (pm, cm), (pa, ca) = out["manual"], out["reference"]
    for k in pm:
        chex.assert_type(pm[k], np.float64)
        np.testing.assert_allclose(pm[k], pa[k], rtol=1e-10, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(cm, ca, rtol=1e-12)
    assert cm[0] == pytest.approx(0.693048, abs=1e-6)  # the course's printed first cost


RESUMED = dict(gradients="manual", lr=1.2, dtype="float64", chunk=500)


@pytest.fixture(scope="module")
def uninterrupted():
    """(params, history) of the 2,000-iteration run every resumed one is compared with, trained once."""
    X, Y = flower64()
    whole = CostHistory(64)  # 2,000 iterations at most 64 points: a stride of 32
    full, _ = train.train(course_init(), X, Y, iterations=2000, history=whole, **RESUMED)
    return full, whole


@pytest.mark.parametrize("split_at", [1, 999, 1000, 1234])
def test_resumed_training_equals_uninterrupted_training_in_float64(tmp_path, uninterrupted, split_at):
    X, Y = flower64()
    full, whole = uninterrupted
    first_history = CostHistory(64)
    first, _ = train.train(course_init(), X, Y, iterations=split_at, history=first_history, **RESUMED)
    # Through a checkpoint, as a real resume does.
    path = tmp_path / "model.npz"
    config = RunConfig.of({"dtype": "float64", "init": "course"})
    checkpoint.save(
        path,
        checkpoint.Model(
            {k: np.asarray(v) for k, v in first.items()},
            config,
            ("x1", "x2"),
            ("label",),
            data.load("flower").fingerprint,
            np.zeros((2, 1)),
            np.ones((2, 1)),
            first_history,
            (checkpoint.segment(0, config),),
            "interrupted",
        ),
    )
    saved = checkpoint.load(path)
    saved.history.limit = 64
    rest, _ = train.train(
        saved.params, X, Y, iterations=2000 - split_at, start_iteration=split_at, history=saved.history, **RESUMED
    )
    for k in full:
        np.testing.assert_array_equal(np.asarray(rest[k]), np.asarray(full[k]), err_msg=k)
    for a, b in zip(saved.history.arrays(), whole.arrays()):
        np.testing.assert_array_equal(a, b)


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


def test_one_compilation_per_configuration_and_capacity(backend_compiles):
    # Shapes no other test uses, so the count starts from this configuration.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3, 37))
    Y = (X[:1] > 0).astype(np.float64)
    params = train.init_params(3, 5, 1, seed=1)
    timings = {}
    train.train(params, X, Y, iterations=2500, chunk=1000, dtype="float64", timings=timings)  # 3 chunks, short last
    train.train(params, X, Y, iterations=1700, chunk=1000, lr=0.3, dtype="float64")  # new lr, fewer iterations
    with pytest.raises(ValueError, match="iterations must be at least 1, got 0"):  # refused before compiling
        train.train(params, X, Y, iterations=0, chunk=1000, dtype="float64")
    assert backend_compiles == ["jit(run_chunk)"]
    assert timings["compile_s"] > 0 and timings["run_s"] > 0
    train.train(params, X, Y, iterations=700, chunk=1000, dtype="float64")  # capacity 700: its own program
    assert backend_compiles == ["jit(run_chunk)"] * 2
    train.train(params, X, Y, iterations=10, chunk=1000, dtype="float32")  # a new dtype is a new configuration
    assert backend_compiles == ["jit(run_chunk)"] * 3


def test_the_compiled_capacity_is_never_above_the_iterations(monkeypatch):
    # --chunk 500000000 --iterations 10 once allocated 500 M costs (2 GB).
    capacities = []
    real = step.run_chunk

    class Recording:  # the step as fit compiles it: ahead of time, through lower()
        def lower(self, *args, **kwargs):
            capacities.append(kwargs["capacity"])
            return real.lower(*args, **kwargs)

    monkeypatch.setattr(step, "run_chunk", Recording())
    X, Y = flower64()
    _, costs = train.train(course_init(), X, Y, iterations=10, chunk=500_000_000, dtype="float64")
    assert capacities == [10] and costs.shape == (10,)


@pytest.mark.parametrize(
    "steps, elapsed, expected",
    [
        (1, 1e-5, 8),  # fast: grow, at most 8x a call
        (1000, 0.001, 8000),
        (100_000, 0.1, 100_000 * 5),  # ...up to the target of 0.5 s
        (1000, 5.0, 100),  # slow: shrink to the target at once
        (10, 100.0, 1),  # never below one step
        (4096, 1e-4, 10_000),  # never above the capacity
    ],
)
def test_each_call_is_sized_to_the_target_wall_time(steps, elapsed, expected):
    assert fit.next_steps(steps, elapsed, 0.5, capacity=10_000 if expected == 10_000 else 10**9) == expected


def fake_run(seconds_per_step=0.0):
    """A chunk runner without JAX, one network: state {"done": k}; costs[i] = the iteration number of step i."""
    calls = []

    def run(state, n, last):
        calls.append(n)
        time.sleep(seconds_per_step * n)
        costs = (state["done"] + np.arange(n, dtype=np.float64))[:, None]
        return {"done": state["done"] + n}, costs, np.array([n]), np.array([True])

    return run, calls


def test_drive_checkpoints_on_time_and_never_after_the_last_chunk():
    run, calls = fake_run(seconds_per_step=0.0002)
    saved = []

    def keep(iteration, state, histories):
        assert state["done"] == iteration == histories[0].done  # state and history in step
        saved.append((iteration, time.monotonic()))

    history = CostHistory(None)
    end = fit.drive(
        run,
        {"done": 0},
        iterations=3000,
        chunk=1000,
        histories=[history],
        checkpoint=keep,
        checkpoint_every=0.1,
        chunk_seconds=0.02,
    )
    assert end.state["done"] == end.done == 3000 and np.array_equal(history.costs, np.arange(3000))
    assert calls[0] == 1 and max(calls) <= 1000 and len(saved) >= 3
    assert all(i < 3000 for i, _ in saved)
    gaps = np.diff([t for _, t in saved])
    assert np.all(gaps >= 0.1)


def test_drive_stops_at_the_chunk_boundary_when_asked():
    run, _calls = fake_run()
    asked = iter([None, None, signal.SIGTERM])
    with pytest.raises(train.Interrupted) as info:
        fit.drive(
            run,
            {"done": 0},
            iterations=10_000,
            chunk=100,
            start=500,
            histories=[CostHistory(None, start=500)],
            should_stop=lambda: next(asked),
        )
    e = info.value
    assert e.signum == signal.SIGTERM and e.iteration == 800 and e.params == {"done": 300}
    assert e.history[0].done == 800 and np.array_equal(e.history[0].costs, np.arange(300))


def test_diverging_training_stops_with_the_last_finite_parameters():
    # A squared-error output with lr 50 overflows within a few dozen steps.
    X, Y = flower64()
    with pytest.raises(train.Diverged, match="cost became non-finite at iteration") as info:
        train.train(
            course_init(), X, Y, output="identity", activation="relu", lr=50.0, iterations=1000, dtype="float64"
        )
    e = info.value
    assert 0 < e.iteration < 1000 and e.costs.shape == (e.iteration,)
    assert np.all(np.isfinite(e.costs))
    for v in e.params.values():
        assert np.all(np.isfinite(np.asarray(v)))
    # The kept parameters are those after e.iteration steps.
    again, _ = train.train(
        course_init(), X, Y, output="identity", activation="relu", lr=50.0, iterations=e.iteration, dtype="float64"
    )
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
    params = train.init_params(2, 4, n_y, seed=5)
    chex.assert_shape([params["W1"], params["b1"], params["W2"], params["b2"]], [(4, 2), (4, 1), (n_y, 4), (n_y, 1)])
    np.testing.assert_array_equal(params["W1"], train.init_params(2, 4, n_y, seed=5)["W1"])
    assert not np.array_equal(params["W1"], train.init_params(2, 4, n_y, seed=6)["W1"])
    assert np.all(params["b1"] == 0) and np.all(params["b2"] == 0) and np.abs(params["W1"]).max() < 0.05


def test_course_init_is_the_courses_draw():
    ours, course = train.init_params(2, 4, 1, init="course"), manual.initialize_parameters(2, 4, 1)
    for k in ours:
        np.testing.assert_array_equal(ours[k], course[k])


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
