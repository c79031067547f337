"""Work is bounded before it starts (issue 21): the sweep's grid, the logistic baseline, the checkpoint interval."""

import numpy as np
import pytest

from shallownet import config, logistic, sweep
from shallownet import run as run_module
from shallownet.config import ConfigError
from test_cli import run


def test_a_grid_too_large_is_refused_before_any_network_is_built(monkeypatch):
    built = []
    monkeypatch.setattr(config.RunConfig, "replace", lambda self, **changes: built.append(changes))
    seeds = config.MAX_NETWORKS // 2 + 1  # two hidden sizes: one network more than the bound
    with pytest.raises(ConfigError, match=r"a sweep of 100,002 networks \(2 hidden_units x 50001 seeds\) is more"):
        config.sweep_grid({"hidden_units": (3, 4)}, seeds=seeds)
    assert built == []


def test_a_billion_seeds_are_refused_at_once_on_the_command_line(capsys, tmp_path):
    code, _, err = run(capsys, "sweep", "--seeds", "1000000000", "--out", tmp_path / "s")
    assert code == 2 and "a sweep of 7,000,000,000 networks" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--hidden-units", "4", "4"], "hidden_units (--hidden-units) lists 4 more than once; give each value once"),
        (["--lr", "1", "1.0"], "lr (--lr) lists 1.0 more than once"),
        (["--activation", "tanh", "relu", "tanh"], "activation (--activation) lists tanh more than once"),
    ],
)
def test_a_repeated_sweep_value_gets_a_plain_message(capsys, tmp_path, flags, message):
    code, _, err = run(capsys, "sweep", *flags, "--out", tmp_path / "s")
    assert code == 2 and message in err and "config.sweep_grid" not in err


def wide_problem(n_x, m, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_x, m)), (rng.random((1, m)) > 0.5).astype(np.float64)


def test_a_wide_problem_skips_the_baseline_with_a_note_and_keeps_the_table():
    X, Y = wide_problem(3000, 40)
    configs = config.sweep_grid({"hidden_units": (2,), "iterations": 20, "dtype": "float64"})
    result = sweep.train_grid(configs, X, Y)
    assert result.logistic is None
    assert result.settings["baseline"].startswith("logistic regression skipped: 3000 features x 40 examples")
    assert result.settings["baseline"] in sweep.summary_table(result)
    assert result.networks[0].train_accuracy is not None


def test_a_problem_within_the_bound_still_gets_the_baseline():
    assert logistic.skip_reason(2, 400) is None and logistic.skip_reason(1000, 300) is None
    assert logistic.skip_reason(3000, 300) is not None and logistic.skip_reason(100, 10**6) is not None


def test_the_baseline_stops_between_newton_steps_when_asked():
    X, Y = wide_problem(50, 400)
    asked = []

    def stop_after_two():
        asked.append(1)
        return len(asked) > 2

    logistic.fit(X, Y, stop_after_two)
    assert len(asked) == 3  # two steps, then the stop: one step is milliseconds here, 0.1-0.3 s at the bound


def test_the_memory_estimate_counts_the_baseline():
    from shallownet import data

    configs = config.sweep_grid({"hidden_units": (2, 3)})
    prepared = data.prepare(configs[0])
    sizes = run_module.estimate_memory(configs, prepared)
    assert sizes["logistic baseline"][0] == logistic.memory_bytes(2, 400) == 8 * (2 * 3 * 400 + 9)


def test_a_checkpoint_interval_below_the_floor_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--checkpoint-every", "1e-9", "--out", tmp_path / "r")
    assert code == 2 and "checkpoint_every (--checkpoint-every) must be a finite number >= 0.1, got 1e-09" in err
    assert not (tmp_path / "r").exists()


def test_the_memory_estimate_counts_what_a_training_evaluates():
    """A training predicts on its examples and its decision boundary's grid inside its program; a sweep's program
    predicts on its examples only (its boundary panels come after, from a few networks)."""
    from shallownet import data, plots

    configs = [config.RunConfig(test_split=0.25)]
    prepared = data.prepare(configs[0])
    trained = run_module.estimate_memory(configs, prepared, sweep=False)
    swept = run_module.estimate_memory(configs, prepared, sweep=True)
    assert f"x {300 + 100 + plots.GRID**2} evaluated" in trained["evaluation"][2]
    assert "x 400 evaluated" in swept["evaluation"][2]


# (hidden sizes, features, training examples, test examples, more columns evaluated): a long data set, many features,
# a test part larger than the training part, a stack of mixed sizes, a small set with a boundary's grid
SHAPES = [((64,), 10, 50_000, 0, 0), ((4,), 300, 20_000, 0, 0), ((128,), 5, 4_000, 36_000, 0)]
SHAPES += [((8, 16, 32, 64) * 2, 5, 20_000, 0, 0), ((4,), 2, 400, 0, 90_000)]


# Every shape in float32 (the default), two of them in float64 as well.
CASES = [(*shape, "float32") for shape in SHAPES] + [(*SHAPES[0], "float64"), (*SHAPES[4], "float64")]


@pytest.mark.parametrize(("hidden", "n_x", "m", "m_test", "more", "dtype"), CASES)
def test_the_memory_estimate_covers_what_xla_allocates(monkeypatch, hidden, n_x, m, m_test, more, dtype):
    """The device parts of the estimate hold XLA's own count of the compiled training program (its arguments,
    scratch and results), within a small factor: the estimate refuses what cannot fit, not what can."""
    from shallownet import memory, phases

    compiled = []
    wait = phases.wait
    monkeypatch.setattr(phases, "wait", lambda work, **options: compiled.append(wait(work, **options)) or compiled[-1])
    rng = np.random.default_rng(0)
    X, X_test, extra = (rng.standard_normal((n_x, count)) for count in (m, m_test, more))
    Y, Y_test = (rng.integers(0, 2, (1, count)).astype(float) for count in (m, m_test))
    configs = [
        config.RunConfig(hidden_units=n, iterations=2, chunk=2, dtype=dtype, seed=k) for k, n in enumerate(hidden)
    ]
    test = (X_test, Y_test) if m_test else (None, None)
    sweep.train_grid(configs, X, Y, *test, extra=extra if more else None, baseline=False)
    used = compiled[-1].memory_analysis()
    xla = used.argument_size_in_bytes + used.temp_size_in_bytes + used.output_size_in_bytes - used.alias_size_in_bytes
    sizes = memory.estimate(
        n_x=n_x, n_y=1, n_h=list(hidden), m=m, m_test=m_test, evaluated=m + m_test + more, capacity=2, dtype=dtype
    )
    estimated = sum(size for size, where, _ in sizes.values() if where == "device")
    assert xla <= estimated <= 4 * xla, (xla, estimated)
