"""What a sweep shows: the table (mean ± std over seeds, train and test), sweep.csv, sweep.json, the plots."""

import csv
import io
import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from shallownet import data, sweep, train


@pytest.fixture(scope="module")
def flower():
    X, Y = data.flower()
    return X, Y.astype(np.float64)


@pytest.fixture(scope="module")
def seeded(flower):
    """2 sizes x 2 learning rates x 3 seeds, with a test split: 12 networks in one program."""
    X, Y = flower
    X_train, Y_train, X_test, Y_test = data.split(X, Y, 0.25, seed=0)
    return sweep.run(
        X_train,
        Y_train,
        hidden_units=[2, 5],
        lrs=(1.2, 0.5),
        seeds=3,
        init="random",
        seed=10,
        iterations=300,
        X_test=X_test,
        Y_test=Y_test,
    ), (X_train, Y_train, X_test, Y_test)


def test_the_summary_is_the_mean_and_std_over_seeds(seeded):
    result, _ = seeded
    assert len(result.networks) == 12 and [network.seed for network in result.networks[:3]] == [10, 11, 12]
    rows = result.summary()
    assert [(row["hidden_units"], row["lr"]) for row in rows] == [(2, 1.2), (2, 0.5), (5, 1.2), (5, 0.5)]
    # Recomputed by hand from the configuration's three networks (that each equals the network trained alone is
    # tests/test_many.py's claim).
    row = rows[2]
    members = [n for n in result.networks if (n.configuration.hidden_units, n.configuration.lr) == (5, 1.2)]
    accuracies = [network.test_accuracy for network in members]
    assert [network.seed for network in members] == [10, 11, 12]
    assert row["seeds"] == 3 and row["diverged"] == 0
    assert row["test_mean"] == pytest.approx(np.mean(accuracies))
    assert row["test_std"] == pytest.approx(np.std(accuracies, ddof=1))
    assert result.varying() == ["hidden_units", "lr"]


def test_the_table_shows_train_and_test_with_their_spread(seeded):
    result, _ = seeded
    lines = sweep.summary_table(result).splitlines()
    assert "hidden units" in lines[0] and "lr" in lines[0] and "train %" in lines[0] and "test %" in lines[0]
    assert "activation" not in lines[0]  # one activation only: no column for it
    assert len(lines) == 1 + 4 + 1 and lines[-1].startswith("logistic regression")
    assert all("±" in line for line in lines[1:5])


def test_csv_and_json_hold_every_network(seeded, tmp_path, flower):
    result, (X_train, Y_train, _, _) = seeded
    files = sweep.write_outputs(result, tmp_path, X_train, Y_train, plots=False)
    assert files == ["sweep.csv", "sweep.json"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "sweep.csv").read_text())))
    assert list(rows[0]) == list(sweep.CSV_COLUMNS)
    assert len(rows) == 13 and rows[-1]["model"] == "logistic regression" and rows[-1]["seed"] == ""
    first = result.networks[0]
    assert float(rows[0]["train_accuracy"]) == pytest.approx(first.train_accuracy)
    assert float(rows[0]["final_cost"]) == pytest.approx(first.final_cost, rel=1e-9)
    record = json.loads((tmp_path / "sweep.json").read_text())
    assert record["settings"]["seeds"] == [10, 11, 12] and record["settings"]["test_examples"] == 100
    assert len(record["networks"]) == 12 and len(record["summary"]) == 4
    assert record["logistic_regression"]["test_accuracy"] is not None


def test_the_plots_are_written_for_two_dimensional_data(seeded, tmp_path):
    result, (X_train, Y_train, _, _) = seeded
    files = sweep.write_outputs(result, tmp_path, X_train, Y_train)
    assert files == ["sweep.csv", "sweep.json", "accuracy.png", "decision_boundaries.png"]
    for name in files[2:]:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    panels = sweep.boundary_panels(result, X_train)
    assert [title.split(":")[0] for title, *_ in panels] == [
        "n_h = 2, lr 1.2",
        "n_h = 2, lr 0.5",
        "n_h = 5, lr 1.2",
        "n_h = 5, lr 0.5",
    ]
    # Each panel's grid predictions are those of the configuration's first network.
    _title, xx, yy, predictions = panels[2]
    G = np.stack([xx.ravel(), yy.ravel()])
    expected = train.predict(result.params[6], G)
    np.testing.assert_array_equal(predictions, expected[0])


def test_a_diverged_network_is_counted_and_left_out_of_the_mean(flower):
    X, Y = flower
    result = sweep.run(
        X, Y, hidden_units=[3], lrs=(1.2, 1e200), activations=("identity",), seeds=2, init="random", iterations=50
    )
    rows = result.summary()
    assert rows[1]["diverged"] == 2 and rows[1]["train_mean"] is None and rows[0]["diverged"] == 0
    assert all(network.diverged_at is not None for network in result.networks[2:])
    first = min(network.diverged_at for network in result.networks[2:])
    line = sweep.summary_table(result).splitlines()[2]
    assert line.endswith(f"2 of 2, first at {first}") and " - " in f" {line} "
    # Each network stopped exactly where it stops alone, with its last finite parameters.
    for k in (2, 3):
        with pytest.raises(train.Diverged) as alone:
            train.train(
                train.init_params(2, 3, 1, seed=k - 2),
                X,
                Y,
                lr=1e200,
                activation="identity",
                iterations=50,
                dtype="float64",
            )
        assert result.networks[k].diverged_at == alone.value.iteration


def test_one_diverged_network_of_its_own_configuration_shows_where(flower):
    X, Y = flower
    result = sweep.run(X, Y, hidden_units=[2], lrs=(1.2, 1e300), activations=("identity",), iterations=300)
    lines = sweep.summary_table(result).splitlines()
    at = result.networks[1].diverged_at
    assert "diverged" in lines[0] and not lines[1].rstrip().endswith(f"at {at}")
    assert lines[2].endswith(f"at {at}") and lines[2].split()[3] == "-"
    assert np.isfinite(result.networks[0].train_accuracy) and result.networks[0].diverged_at is None


def test_the_scores_come_from_the_training_program(seeded):
    """The accuracies computed inside train_many's last call equal a separate prediction of the trained params."""
    from shallownet import evaluate

    result, (_X_train, _Y_train, X_test, Y_test) = seeded
    A2 = evaluate.forward_many(result.params, X_test)
    assert [network.test_accuracy for network in result.networks] == [
        evaluate.score(a > 0.5, Y_test, "sigmoid") for a in A2
    ]
    assert result.timings["train_s"] > 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"init": "course", "seeds": 3}, "seeds (--seeds) 3 needs --init random"),
        ({"init": "random", "seeds": 0}, "seeds (--seeds) must be a whole number >= 1"),
        ({"hidden_units": [0]}, "hidden_units (--hidden-units) must be a whole number >= 1"),
        ({"lrs": (-1.0,)}, "lr (--lr) must be a finite number > 0"),
        ({"activations": ("swish",)}, "unknown activation"),
        ({"hidden_units": []}, "no networks to sweep"),
    ],
)
def test_bad_sweeps_are_named_as_train_names_them(flower, kwargs, message):
    X, Y = flower
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sweep.run(X, Y, **{"hidden_units": [2], "iterations": 5, **kwargs})


@pytest.mark.parametrize("seeds", [None, 3])
def test_each_config_of_the_grid_is_one_network_in_its_order(flower, seeds):
    from shallownet import config

    configs = config.sweep_grid({"hidden_units": [1, 2], "lr": [0.5, 1.2], "iterations": 2}, seeds=seeds)
    prepared = data.prepare(configs[0])
    result = sweep.train_grid(configs, prepared.X, prepared.Y, baseline=False)
    shown = [(n.configuration.hidden_units, n.configuration.lr, n.seed) for n in result.networks]
    assert shown == [(c.hidden_units, c.lr, "course" if c.init == "course" else c.seed) for c in configs]


def test_networks_that_do_not_share_the_data_settings_are_refused(flower):
    from shallownet import config

    grid = config.sweep_grid({"hidden_units": [1, 2], "iterations": 2})
    with pytest.raises(ValueError, match="the networks of one sweep must share iterations"):
        sweep.train_grid([grid[0], grid[1].replace(iterations=3)], *data.flower())


# ---------------------------------------------------------------- a sweep checkpoints and resumes

SWEEP = [
    "sweep",
    "--hidden-units",
    "2",
    "5",
    "--lr",
    "1.2",
    "0.5",
    "--seeds",
    "2",
    "--dtype",
    "float64",
    "--no-plots",
    "--checkpoint-every",
    "0.3",
]


def networks(folder):
    from shallownet import checkpoint

    return {path.name: checkpoint.load(path) for path in sorted((folder / "networks").iterdir())}


def resumes_identically(out, tmp_path, more=200):
    """``sweep --resume`` to N + more iterations equals, network by network and bit for bit, a sweep never
    stopped; every network's model stays one ``predict --model`` reads."""
    from shallownet import cli

    saved = networks(out)
    total = max(model.iteration for model in saved.values()) + more
    assert cli.main([*SWEEP, "--out", str(out), "--resume", "--iterations", str(total)]) == 0
    assert cli.main([*SWEEP, "--out", str(tmp_path / "whole"), "--iterations", str(total)]) == 0
    resumed, whole = networks(out), networks(tmp_path / "whole")
    assert list(resumed) == list(whole) and len(resumed) == 8
    for name, model in resumed.items():
        assert model.status == "finished" and model.iteration == total
        for k in model.params:
            np.testing.assert_array_equal(model.params[k], whole[name].params[k], err_msg=f"{name} {k}")
        for a, b in zip(model.history.arrays(), whole[name].history.arrays()):
            np.testing.assert_array_equal(a, b)
    assert (out / "sweep.csv").read_text() == (tmp_path / "whole" / "sweep.csv").read_text()
    assert cli.main(["predict", "--model", str(out / "networks" / name), "--data", "flower"]) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_sweep_stopped_or_killed_resumes_to_exactly_the_networks_of_one_never_stopped(tmp_path, capsys, signum):
    """A stop signal: exit 128 + n, nothing on stdout, one line naming the iteration every network was saved
    at; kill -9: whatever the last checkpoint saved. Either way, --resume gives a sweep never stopped."""
    from shallownet import checkpoint
    from work_lost import environment, wait_for

    out = tmp_path / "sweep"
    command = [sys.executable, "-m", "shallownet.cli", *SWEEP, "--iterations", str(10**9), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())
    wait_for(out / "networks", process)
    if signum == signal.SIGKILL:
        time.sleep(0.4)  # past a second checkpoint: kill -9 may land in the middle of a save
    process.send_signal(signum)  # a stop signal: at once, as soon as a first checkpoint was saved
    stdout, err = process.communicate(timeout=60)
    if signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 128 + signum and stdout == "", err
        lines = err.strip().splitlines()
        found = re.fullmatch(
            rf"shallownet: interrupted by {signal.Signals(signum).name} after iteration (\d+); saved "
            rf"{re.escape(str(out / 'networks'))}, continue with --resume",
            lines[0] if len(lines) == 1 else "",
        )
        assert found and int(found[1]) > 0 and "Traceback" not in err, err
        models = [checkpoint.load(folder) for folder in sorted((out / "networks").iterdir())]
        assert len(models) == 8 and {(m.status, m.iteration) for m in models} == {("interrupted", int(found[1]))}
    resumes_identically(out, tmp_path)
    capsys.readouterr()


def test_a_sweep_resumed_with_another_grid_is_refused_in_one_line(tmp_path, capsys):
    from shallownet import cli

    out = tmp_path / "sweep"
    assert cli.main([*SWEEP, "--out", str(out), "--iterations", "20"]) == 0
    capsys.readouterr()
    for changed in (["--hidden-units", "2", "6"], ["--seeds", "3"], ["--dtype", "float32"]):
        argv = [*SWEEP, *changed, "--out", str(out), "--resume", "--iterations", "40"]
        assert cli.main(argv) == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"shallownet: error: cannot resume {out}"), lines
    assert all(model.iteration == 20 for model in networks(out).values())


def test_a_network_that_diverged_before_the_stop_stays_as_it_was_when_the_sweep_resumes(tmp_path, capsys):
    """The learning rate 1e4 network goes non-finite early; stopped later, the sweep resumes it frozen, still
    "diverged" at the same iteration, and the others exactly as a sweep never stopped."""
    from shallownet import cli
    from shallownet import run as run_module

    argv = ["sweep", "--hidden-units", "3", "--lr", "1.2", "1e4", "--activation", "identity", "--no-plots"]
    stops = []

    def stop_at_300(done, costs):
        if done >= 300 and not stops:
            stops.append(done)
            raise KeyboardInterrupt

    settings = {"hidden_units": 3, "lr": (1.2, 1e4), "activation": "identity", "iterations": 600, "chunk": 50}
    with pytest.raises(KeyboardInterrupt):
        run_module.run(settings, tmp_path / "cut", sweep=True, plots=False, progress=stop_at_300)
    saved = networks(tmp_path / "cut")
    diverged = saved["01-nh3-lr10000-identity-seedcourse"]
    assert diverged.status == "diverged" and 0 < diverged.iteration < 300
    assert saved["00-nh3-lr1.2-identity-seedcourse"].status == "interrupted"
    resumed = [*argv, "--iterations", "600", "--chunk", "50"]
    assert cli.main([*resumed, "--out", str(tmp_path / "cut"), "--resume"]) == 0
    assert cli.main([*resumed, "--out", str(tmp_path / "whole")]) == 0
    capsys.readouterr()
    for name, model in networks(tmp_path / "cut").items():
        whole = networks(tmp_path / "whole")[name]
        assert (model.status, model.iteration) == (whole.status, whole.iteration)
        for k in model.params:
            np.testing.assert_array_equal(model.params[k], whole.params[k], err_msg=f"{name} {k}")
    assert networks(tmp_path / "cut")["01-nh3-lr10000-identity-seedcourse"].iteration == diverged.iteration
