"""Model checkpoints: one .npz with the parameters, the run's config and the feature statistics.

Written atomically (a temporary file in the same folder, then ``os.replace``),
so a crash or a full disk never leaves a half-written model where a good one
was. Loaded with ``allow_pickle=False`` (a checkpoint cannot run code) and
validated: exact keys, shapes that fit together, float dtypes, finite values.
"""
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

import manual

PARAM_KEYS = ("W1", "b1", "W2", "b2")
KEYS = PARAM_KEYS + ("feature_mean", "feature_std", "costs", "iteration", "config")
CONFIG_KEYS = ("hidden_units", "activation", "output", "features", "labels", "standardize")


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable or inconsistent."""


def atomic_write(path, write):
    """Call ``write(file)`` on a temporary file next to ``path``, then rename it over ``path``.

    The rename is atomic on POSIX and Windows when both names are in one
    folder: readers see the old file or the new one, never a partial one.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file readable by its owner only; give it the
        # mode a plain open() would (0o666 less the umask).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save(path, params, *, config, feature_mean, feature_std, costs, iteration):
    """Write params (W1 b1 W2 b2), config (JSON-able dict), stats (n_x, 1), cost history to ``path``.

    ``np.savez`` is given an open file object: given a name it would append
    ".npz" to the temporary name.
    """
    arrays = {k: np.asarray(params[k]) for k in PARAM_KEYS}
    arrays.update(
        feature_mean=np.asarray(feature_mean, np.float64),
        feature_std=np.asarray(feature_std, np.float64),
        costs=np.asarray(costs, np.float64),
        iteration=np.asarray(int(iteration), np.int64),
        config=np.asarray(json.dumps(config)),
    )
    validate(arrays, path)
    atomic_write(path, lambda f: np.savez(f, **arrays))


def _fail(path, problem):
    raise CheckpointError(f"{path}: {problem}")


def validate(arrays, path="checkpoint"):
    """Check a checkpoint's arrays; returns the config dict. CheckpointError names the problem."""
    if set(arrays) != set(KEYS):
        missing = sorted(set(KEYS) - set(arrays))
        extra = sorted(set(arrays) - set(KEYS))
        _fail(path, f"not a shallownet checkpoint (missing {missing or 'nothing'}, unexpected {extra or 'nothing'})")
    dtype = arrays["W1"].dtype
    for k in PARAM_KEYS:
        a = arrays[k]
        if a.dtype not in (np.float32, np.float64) or a.dtype != dtype:
            _fail(path, f"{k} has dtype {a.dtype}; expected float32 or float64 like W1")
    try:
        manual.checks.check_params({k: arrays[k] for k in PARAM_KEYS})
    except ValueError as e:
        _fail(path, str(e))
    n_h, n_x = arrays["W1"].shape
    n_y = arrays["W2"].shape[0]
    for k in ("feature_mean", "feature_std"):
        if arrays[k].shape != (n_x, 1) or arrays[k].dtype != np.float64:
            _fail(path, f"{k} has shape {arrays[k].shape} dtype {arrays[k].dtype}; expected ({n_x}, 1) float64")
        if not np.all(np.isfinite(arrays[k])):
            _fail(path, f"{k} contains non-finite values")
    if not np.all(arrays["feature_std"] > 0):
        _fail(path, "feature_std must be positive")
    it, costs = arrays["iteration"], arrays["costs"]
    if it.shape != () or it.dtype != np.int64 or int(it) < 0:
        _fail(path, f"iteration must be a non-negative int64 scalar, got {it!r}")
    if costs.ndim != 1 or costs.dtype != np.float64 or costs.shape[0] != int(it):
        _fail(path, f"costs must be float64 of length iteration = {int(it)}, got shape {costs.shape}")
    if not np.all(np.isfinite(costs)):
        _fail(path, "costs contain non-finite values")
    if arrays["config"].shape != () or arrays["config"].dtype.kind != "U":
        _fail(path, "config must be a JSON string")
    try:
        config = json.loads(str(arrays["config"]))
    except json.JSONDecodeError as e:
        _fail(path, f"config is not valid JSON ({e})")
    if not isinstance(config, dict) or any(k not in config for k in CONFIG_KEYS):
        _fail(path, f"config must be an object with keys {', '.join(CONFIG_KEYS)}")
    try:
        manual.parse_activation(config["activation"])
        manual.checks.check_output(config["output"])
    except ValueError as e:
        _fail(path, str(e))
    if (config["hidden_units"] != n_h or len(config["features"]) != n_x
            or len(config["labels"]) != n_y):
        _fail(path, f"config (hidden_units {config['hidden_units']}, {len(config['features'])} features, "
                    f"{len(config['labels'])} labels) does not match W1 {(n_h, n_x)} and W2 {(n_y, n_h)}")
    return config


def load(path):
    """Read and validate a checkpoint: dict with params, config, feature_mean, feature_std, costs, iteration."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no model file at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise CheckpointError(f"{path}: not a readable .npz checkpoint ({e})") from None
    config = validate(arrays, path)
    return {
        "params": {k: arrays[k] for k in PARAM_KEYS},
        "config": config,
        "feature_mean": arrays["feature_mean"],
        "feature_std": arrays["feature_std"],
        "costs": arrays["costs"],
        "iteration": int(arrays["iteration"]),
    }
