"""Model checkpoints: one .npz with the parameters, the run configuration, the data's fingerprint, the
feature statistics and the cost history. Loaded with ``allow_pickle=False`` (a checkpoint cannot run code)
and validated (keys, shapes, dtypes, finite values, a configuration RunConfig accepts): anything else is
"not a shallownet model (reason)"."""

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from . import atomic
from .config import MAY_CHANGE, ConfigError, RunConfig, fields_of
from .data import Fingerprint
from .history import LIMIT, CostHistory

PathLike = str | os.PathLike[str]
FORMAT = 2
PARAM_KEYS = ("W1", "b1", "W2", "b2")
KEYS = PARAM_KEYS + ("feature_mean", "feature_std", "costs", "cost_iterations", "iteration", "meta")
FORMAT_1_KEYS = PARAM_KEYS + ("feature_mean", "feature_std", "costs", "iteration", "config")
META_KEYS = ("format", "run", "features", "labels", "fingerprint", "cost_stride", "segments", "status")
STATUSES = ("running", "interrupted", "finished", "diverged")
# The settings a resumed run may change, recorded per stretch of iterations.
SEGMENT_SETTINGS = tuple(field.name for field in fields_of() if field.metadata["on_resume"] == MAY_CHANGE)
_ZIP_MAGIC, _NPY_MAGIC = (b"PK\x03\x04", b"PK\x05\x06"), b"\x93NUMPY"


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable or inconsistent."""


def segment(start: int, config: RunConfig) -> dict[str, Any]:
    """A stretch of a run from iteration ``start`` on, with the settings a resume may change."""
    return {"start": int(start), **{k: getattr(config, k) for k in SEGMENT_SETTINGS}}


@dataclass(frozen=True, eq=False)
class Model:
    """What model.npz holds: params (numpy W1 b1 W2 b2), the run configuration, the data it was trained on
    (names, fingerprint, feature statistics (n_x, 1)), the cost history, the segments (one per run or resume:
    the settings of its stretch of iterations) and the status."""

    params: dict
    config: RunConfig
    features: tuple
    labels: tuple
    fingerprint: Fingerprint
    feature_mean: np.ndarray
    feature_std: np.ndarray
    history: CostHistory
    segments: tuple
    status: str

    @property
    def iteration(self) -> int:
        return self.history.done

    def meta(self) -> dict[str, Any]:
        data = {"features": list(self.features), "labels": list(self.labels), "fingerprint": self.fingerprint.to_dict()}
        run = {"cost_stride": self.history.stride, "segments": list(self.segments), "status": self.status}
        return {"format": FORMAT, "run": self.config.to_dict(), **data, **run}

    def arrays(self) -> dict[str, np.ndarray]:
        cost_iterations, costs = self.history.arrays()
        arrays = {k: np.asarray(self.params[k]) for k in PARAM_KEYS}
        floats = {"feature_mean": self.feature_mean, "feature_std": self.feature_std, "costs": costs}
        arrays.update({k: np.asarray(v, np.float64) for k, v in floats.items()})
        arrays.update(
            cost_iterations=np.asarray(cost_iterations, np.int64), iteration=np.asarray(self.iteration, np.int64)
        )
        return {**arrays, "meta": np.asarray(json.dumps(self.meta()))}


def save(path: PathLike, model: Model) -> None:
    """Write ``model`` to ``path`` atomically, once checked to load back."""
    arrays: dict[str, Any] = model.arrays()
    validate(arrays, path)
    # np.savez gets an open file: given a name it would append ".npz" to the temporary one.
    atomic.atomic_write(path, lambda f: np.savez(f, **arrays))


def _fail(path: PathLike, problem: str) -> NoReturn:
    raise CheckpointError(f"{path}: not a shallownet model ({problem})")


def _check_arrays(arrays: dict[str, Any], path: PathLike) -> None:
    """Keys, dtypes, shapes and finiteness of the arrays of a checkpoint."""
    import manual  # JAX; a failed model check should not have to pay for it first

    if set(arrays) == set(FORMAT_1_KEYS):
        raise CheckpointError(
            f"{path}: a model of an earlier shallownet (checkpoint format 1, without a data "
            "fingerprint) that this version does not read; train it again"
        )
    if set(arrays) != set(KEYS):
        missing, extra = sorted(set(KEYS) - set(arrays)), sorted(set(arrays) - set(KEYS))
        _fail(path, f"missing {missing or 'nothing'}, unexpected {extra or 'nothing'}")
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray):
            _fail(path, f"{name} is not a numpy array")
    dtype = arrays["W1"].dtype
    for name in PARAM_KEYS:
        if arrays[name].dtype not in (np.float32, np.float64) or arrays[name].dtype != dtype:
            _fail(path, f"{name} has dtype {arrays[name].dtype}; expected float32 or float64 like W1")
    try:
        manual.checks.check_params({k: arrays[k] for k in PARAM_KEYS})
    except ValueError as e:
        _fail(path, str(e))
    n_x = arrays["W1"].shape[1]
    for k in ("feature_mean", "feature_std"):
        if arrays[k].shape != (n_x, 1) or arrays[k].dtype != np.float64:
            _fail(path, f"{k} has shape {arrays[k].shape} dtype {arrays[k].dtype}; expected ({n_x}, 1) float64")
        if not np.all(np.isfinite(arrays[k])):
            _fail(path, f"{k} contains non-finite values")
    if not np.all(arrays["feature_std"] > 0):
        _fail(path, "feature_std must be positive")
    iteration, costs, cost_iterations = arrays["iteration"], arrays["costs"], arrays["cost_iterations"]
    if iteration.shape != () or iteration.dtype != np.int64 or int(iteration) < 0:
        _fail(path, f"iteration must be a non-negative int64 scalar, got {iteration!r}")
    if costs.ndim != 1 or costs.dtype != np.float64 or cost_iterations.dtype != np.int64:
        got = f"{costs.dtype} {costs.shape} and {cost_iterations.dtype} {cost_iterations.shape}"
        _fail(path, f"costs and cost_iterations must be 1-D float64 and int64, got {got}")
    if not np.all(np.isfinite(costs)):
        _fail(path, "costs contain non-finite values")
    if arrays["meta"].shape != () or arrays["meta"].dtype.kind != "U":
        _fail(path, "meta must be a JSON string")


def _segments(saved: Any, config: RunConfig, done: int, path: PathLike) -> tuple[dict[str, Any], ...]:
    if not isinstance(saved, list) or not saved:
        _fail(path, "segments must be a non-empty list")
    starts = []
    for entry in saved:
        if not isinstance(entry, dict) or set(entry) != {"start", *SEGMENT_SETTINGS}:
            _fail(path, f"a segment has the keys start, {', '.join(SEGMENT_SETTINGS)}; got {entry!r}")
        try:
            config.replace(**{k: entry[k] for k in SEGMENT_SETTINGS})
        except ConfigError as e:
            _fail(path, f"segment: {e}")
        starts.append(entry["start"])
    if starts[0] != 0 or any(
        not isinstance(start, int) or start > following for start, following in zip(starts, [*starts[1:], done])
    ):
        _fail(path, f"segment starts {starts} must rise from 0 to at most the iteration {done}")
    return tuple(saved)


def validate(arrays: dict[str, Any], path: PathLike = "checkpoint") -> Model:
    """Check a checkpoint's arrays -> Model. CheckpointError names the problem."""
    _check_arrays(arrays, path)
    try:
        meta = json.loads(str(arrays["meta"]))
    except json.JSONDecodeError as e:
        _fail(path, f"meta is not valid JSON ({e})")
    if not isinstance(meta, dict) or set(meta) != set(META_KEYS):
        _fail(path, f"meta must be an object with the keys {', '.join(META_KEYS)}")
    if meta["format"] != FORMAT:
        _fail(path, f"checkpoint format {meta['format']!r}; this shallownet reads format {FORMAT}")
    try:
        config = RunConfig.from_dict(meta["run"])
        fingerprint = Fingerprint.from_dict(meta["fingerprint"])
    except ValueError as e:
        _fail(path, str(e))
    for k in ("features", "labels"):
        if not isinstance(meta[k], list) or not meta[k] or not all(isinstance(v, str) for v in meta[k]):
            _fail(path, f"{k} must be a non-empty list of column names, got {meta[k]!r}")
    n_h, n_x = arrays["W1"].shape
    n_y = arrays["W2"].shape[0]
    if config.hidden_units != n_h or len(meta["features"]) != n_x or len(meta["labels"]) != n_y:
        shapes = f"hidden_units {config.hidden_units}, {len(meta['features'])} features, {len(meta['labels'])} labels"
        _fail(path, f"the configuration ({shapes}) does not match W1 {(n_h, n_x)} and W2 {(n_y, n_h)}")
    if np.dtype(config.dtype) != arrays["W1"].dtype:
        _fail(path, f"the configuration says dtype {config.dtype} but W1 is {arrays['W1'].dtype}")
    if meta["status"] not in STATUSES:
        _fail(path, f"status must be one of {', '.join(STATUSES)}, got {meta['status']!r}")
    done, stride = int(arrays["iteration"]), meta["cost_stride"]
    try:
        if not isinstance(stride, int):
            raise ValueError(f"cost stride must be an integer, got {stride!r}")
        history = CostHistory.restore(arrays["cost_iterations"], arrays["costs"], stride, done, LIMIT)
    except ValueError as e:
        _fail(path, str(e))
    params, segments = {k: arrays[k] for k in PARAM_KEYS}, _segments(meta["segments"], config, done, path)
    names, stats = (tuple(meta["features"]), tuple(meta["labels"])), (arrays["feature_mean"], arrays["feature_std"])
    return Model(params, config, *names, fingerprint, *stats, history, segments, meta["status"])


def _read_arrays(path: PathLike) -> dict[str, np.ndarray]:
    """The arrays of an .npz file, or CheckpointError saying what the file is instead."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(_NPY_MAGIC):
        _fail(path, "a single .npy array, not an .npz archive")
    if not head.startswith(_ZIP_MAGIC):
        if not head:
            _fail(path, "an empty file")
        try:
            text = head.decode("utf-8").splitlines()[0]
        except (UnicodeDecodeError, IndexError):
            _fail(path, f"not an .npz archive: it starts with bytes {head[:8]!r}")
        _fail(path, f"not an .npz archive but text starting {text[:40]!r}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except ValueError as e:
        if "pickle" in str(e):  # numpy's advice to load it unsafely is not ours to give
            _fail(path, "it holds pickled Python objects, which a model never contains")
        _fail(path, f"an unreadable array ({e})")
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        _fail(path, f"a damaged .npz archive ({e})")


def load(path: PathLike) -> Model:
    """Read and validate a checkpoint (a .npz path, or a run folder holding model.npz) -> Model."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.npz"
    if not path.is_file():
        raise CheckpointError(f"no model file at {path}")
    try:
        arrays = _read_arrays(path)
    except OSError as e:
        raise CheckpointError(f"{path} cannot be read ({e.strerror})") from None
    return validate(arrays, path)
