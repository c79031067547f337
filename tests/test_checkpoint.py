"""Checkpoints: exact round trip, atomic replacement, held-off signals, and validation of what is loaded."""

import json
import os
import signal

import numpy as np
import pytest

from shallownet import atomic, checkpoint, data
from shallownet.checkpoint import CheckpointError
from shallownet.config import RunConfig
from shallownet.history import CostHistory

CONFIG = RunConfig.of({"hidden_units": 3, "standardize": True, "lr": 1.2, "dtype": "float64", "data": "train.csv"})


def example(dtype=np.float64, seed=0, iterations=3):
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(size=(3, 2)),
        "b1": rng.normal(size=(3, 1)),
        "W2": rng.normal(size=(1, 3)),
        "b2": rng.normal(size=(1, 1)),
    }
    history = CostHistory(4)
    history.extend(0, np.linspace(0.69, 0.4, iterations))
    return checkpoint.Model(
        {k: v.astype(dtype) for k, v in params.items()},
        CONFIG.replace(dtype=np.dtype(dtype).name),
        ("a", "b"),
        ("label",),
        data.Fingerprint("ab" * 32, 40, ("a", "b", "label")),
        np.array([[1.5], [-2.0]]),
        np.array([[0.5], [3.0]]),
        history,
        (checkpoint.segment(0, CONFIG),),
        "running",
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("iterations", [3, 11])  # 11 > the history's limit of 4: a stride of 4
def test_checkpoint_round_trip_is_exact(tmp_path, dtype, iterations):
    model = example(dtype, iterations=iterations)
    checkpoint.save(tmp_path / "model.npz", model)
    back = checkpoint.load(tmp_path / "model.npz")
    for k, v in model.params.items():
        assert back.params[k].dtype == dtype
        np.testing.assert_array_equal(back.params[k], v)
    for k in ("feature_mean", "feature_std"):
        np.testing.assert_array_equal(getattr(back, k), getattr(model, k))
    for a, b in zip(back.history.arrays(), model.history.arrays()):
        np.testing.assert_array_equal(a, b)
    assert back.iteration == iterations and back.history.stride == model.history.stride
    assert back.config == model.config and back.features == ("a", "b") and back.status == "running"
    assert back.fingerprint.to_dict() == model.fingerprint.to_dict() and back.segments == model.segments


def test_a_run_folder_loads_its_model(tmp_path):
    checkpoint.save(tmp_path / "model.npz", example())
    assert checkpoint.load(tmp_path).iteration == 3


def test_save_leaves_no_temporary_file_and_a_plain_file_mode(tmp_path):
    checkpoint.save(tmp_path / "model.npz", example())
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(tmp_path / "model.npz").st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.npz"
    checkpoint.save(path, example(seed=0))
    before = path.read_bytes()

    def half_then_crash(f):
        f.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic.atomic_write(path, half_then_crash)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_write_waits_until_the_file_is_complete(tmp_path, signum):
    path = tmp_path / "model.npz"
    seen = []

    def signalled_mid_write(f):
        f.write(b"first half, ")
        os.kill(os.getpid(), signum)  # a second Ctrl-C, or a kill, while the save is half done
        f.write(b"second half")

    previous = signal.signal(signum, lambda signum, frame: seen.append(("handled", path.read_bytes())))
    try:
        atomic.atomic_write(path, signalled_mid_write)
    finally:
        signal.signal(signum, previous)
    assert seen == [("handled", b"first half, second half")]  # delivered once, after the rename


def test_leftovers_of_a_killed_write_are_removed_and_nothing_else(tmp_path):
    for name in (".model.npz.k3j2_a.tmp", ".summary.json.x1.tmp", ".notes.txt.tmp", "keep.tmp", "model.npz"):
        (tmp_path / name).write_text("x")
    removed = atomic.remove_leftovers(tmp_path, ("model.npz", "summary.json"))
    assert sorted(removed) == [".model.npz.k3j2_a.tmp", ".summary.json.x1.tmp"]
    assert sorted(os.listdir(tmp_path)) == [".notes.txt.tmp", "keep.tmp", "model.npz"]


def test_saving_an_invalid_checkpoint_writes_nothing(tmp_path):
    model = example()
    model.params["W1"][0, 0] = np.nan
    with pytest.raises(CheckpointError, match="W1 contains NaN"):
        checkpoint.save(tmp_path / "model.npz", model)
    assert os.listdir(tmp_path) == []


def set_meta(a, **changes):
    a["meta"] = np.asarray(json.dumps({**json.loads(str(a["meta"])), **changes}))


def set_run(a, **changes):
    meta = json.loads(str(a["meta"]))
    set_meta(a, run={**meta["run"], **changes})


CORRUPTIONS = {
    "missing key": (lambda a: a.pop("b2"), r"missing \['b2'\]"),
    "extra key": (lambda a: a.update(W3=np.zeros((1, 1))), r"unexpected \['W3'\]"),
    "bias without keepdims": (lambda a: a.update(b1=np.zeros(3)), r"b1 .*shape \(3,\)"),
    "transposed bias": (lambda a: a.update(b1=np.zeros((1, 3))), r"b1 has shape \(1, 3\), expected \(3, 1\)"),
    "integer weights": (lambda a: a.update(W2=np.zeros((1, 3), np.int64)), "W2 has dtype int64"),
    "mixed float dtypes": (lambda a: a.update(W2=np.zeros((1, 3), np.float32)), "W2 has dtype float32"),
    "NaN weight": (lambda a: a["W1"].__setitem__((1, 1), np.nan), "W1 contains NaN"),
    "infinite weight": (lambda a: a["b2"].__setitem__((0, 0), np.inf), "b2 contains infinite"),
    "stats of the wrong size": (lambda a: a.update(feature_mean=np.zeros((3, 1))), r"feature_mean has shape \(3, 1\)"),
    "zero std": (lambda a: a["feature_std"].__setitem__((0, 0), 0.0), "feature_std must be positive"),
    "cost history not a run's": (lambda a: a.update(iteration=np.asarray(5, np.int64)), "below 5, then 4"),
    "NaN cost": (lambda a: a["costs"].__setitem__(0, np.nan), "costs contain non-finite"),
    "meta not JSON": (lambda a: a.update(meta=np.asarray("{not json")), "meta is not valid JSON"),
    "meta keys": (lambda a: a.update(meta=np.asarray('{"format": 2}')), "meta must be an object with the keys"),
    "newer format": (lambda a: set_meta(a, format=3), "checkpoint format 3; this shallownet reads format 2"),
    "features not a list": (lambda a: set_meta(a, features="a,b"), "features must be a non-empty list"),
    "labels of numbers": (lambda a: set_meta(a, labels=[1]), "labels must be a non-empty list of column names"),
    "unknown activation": (lambda a: set_run(a, activation="swish"), "unknown activation 'swish'"),
    "leaky slope nan": (lambda a: set_run(a, activation="leaky_relu:nan"), "slope must be a finite number"),
    "config disagrees with W1": (lambda a: set_run(a, hidden_units=5), "does not match W1"),
    "config disagrees with the dtype": (lambda a: set_run(a, dtype="float32"), "says dtype float32 but W1"),
    "run config of another version": (lambda a: set_run(a, version=7), "version 7"),
    "bad fingerprint": (lambda a: set_meta(a, fingerprint={"sha256": 1}), "a data fingerprint is"),
    "bad status": (lambda a: set_meta(a, status="done"), "status must be one of"),
    "bad segment": (lambda a: set_meta(a, segments=[{"start": 0}]), "a segment has the keys"),
    "segment with a bad lr": (
        lambda a: set_meta(a, segments=[{**checkpoint.segment(0, CONFIG), "lr": -1}]),
        r"segment: lr \(--lr\) must be",
    ),
    "stride not a power of 2": (lambda a: set_meta(a, cost_stride=3), "power of two"),
}


def written(path, arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def _write_npy(path, array):
    with open(path, "wb") as f:
        np.save(f, array)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_loading_rejects_an_inconsistent_checkpoint(tmp_path, name):
    corrupt, message = CORRUPTIONS[name]
    arrays = example().arrays()
    corrupt(arrays)
    with pytest.raises(CheckpointError, match=message) as info:
        checkpoint.load(written(tmp_path / "model.npz", arrays))
    assert "not a shallownet model (" in str(info.value)


def not_a_model(tmp_path, content):
    path = tmp_path / "model.npz"
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    return path


UNREADABLE = {
    "empty file": (b"", "an empty file"),
    "random bytes": (bytes(range(200, 256)) * 3, r"not an .npz archive: it starts with bytes"),
    "a CSV": (b"x1,x2,label\n1,2,0\n", r"not an .npz archive but text starting 'x1,x2,label'"),
    "an .npy saved as model.npz": (lambda path: _write_npy(path, np.zeros(3)), "a single .npy array"),
    "a damaged zip": (b"PK\x03\x04" + b"\x00" * 40, "a damaged .npz archive"),
    "pickled objects": (
        lambda path: written(path, {**example().arrays(), "meta": np.array([{"a": 1}], dtype=object)}),
        "it holds pickled Python objects, which a model never contains",
    ),
}


@pytest.mark.parametrize("name", UNREADABLE)
def test_a_file_that_is_not_a_model_is_named_so_without_numpys_pickle_advice(tmp_path, name):
    content, message = UNREADABLE[name]
    with pytest.raises(CheckpointError, match=message) as info:
        checkpoint.load(not_a_model(tmp_path, content))
    text = str(info.value)
    assert "not a shallownet model (" in text and "allow_pickle" not in text and "pickle.load" not in text


def test_a_model_of_the_earlier_format_is_named_as_such(tmp_path):
    old = {k: v for k, v in example().arrays().items() if k in checkpoint.PARAM_KEYS}
    old.update(
        feature_mean=np.zeros((2, 1)),
        feature_std=np.ones((2, 1)),
        costs=np.zeros(2),
        iteration=np.asarray(2, np.int64),
        config=np.asarray("{}"),
    )
    with pytest.raises(CheckpointError, match=r"earlier shallownet \(checkpoint format 1"):
        checkpoint.load(written(tmp_path / "model.npz", old))


def test_loading_a_missing_file_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="no model file at"):
        checkpoint.load(tmp_path / "model.npz")
