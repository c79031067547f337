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
    sizes = run_module.estimate_memory(configs, prepared, plots=False)
    assert sizes["logistic baseline"][0] == logistic.memory_bytes(2, 400) == 8 * (2 * 3 * 400 + 9)


def test_a_checkpoint_interval_below_the_floor_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--checkpoint-every", "1e-9", "--out", tmp_path / "r")
    assert code == 2 and "checkpoint_every (--checkpoint-every) must be a finite number >= 0.1, got 1e-09" in err
    assert not (tmp_path / "r").exists()
