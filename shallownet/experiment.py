"""A training run end to end, and predictions from a saved run: what the CLI's train and predict do.

``train_run(config, out)`` loads the data, trains, and writes into ``out``:
model.npz (checkpoint), cost.png, decision_boundary.png (2-D data, sigmoid
output) and summary.json. Everything that can be checked is checked before
the first file is written, and each file is replaced atomically, so a failed
run leaves an earlier run's files as they were. ``predict_run(model, data)``
applies a saved model (with its feature standardization) to new data.
"""
import json
import threading
import time
from pathlib import Path

import jax
import numpy as np

import manual

from . import checkpoint, data, train

MODEL, SUMMARY, COST_PNG, BOUNDARY_PNG = "model.npz", "summary.json", "cost.png", "decision_boundary.png"
LAST_FINITE = "last_finite.npz"
COST_EVERY = 100

DEFAULTS = {
    "data": "flower", "labels": ["label"], "hidden_units": 4, "activation": "tanh", "output": "sigmoid",
    "lr": 1.2, "iterations": 10000, "gradients": "manual", "dtype": "float32", "seed": 0, "init": "random",
    "test_split": 0.0, "standardize": False, "chunk": 1000, "devices": 1,
}
# Settings a resumed run may change; the others are taken from the checkpoint,
# since changing them would not continue the same run.
RESUMABLE = ("iterations", "chunk", "devices")


class RunError(ValueError):
    """A run cannot start or finish; the message says why and what was kept."""


def check_config(config):
    """DEFAULTS overlaid with ``config`` (None: the default), each setting checked; RunError names the bad one."""
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise RunError(f"unknown settings: {', '.join(sorted(unknown))}")
    c = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    c["labels"] = list(c["labels"])
    manual.parse_activation(c["activation"])
    manual.checks.check_output(c["output"])
    train.value_and_grads_fn(c["gradients"])
    if c["dtype"] not in ("float32", "float64"):
        raise RunError(f"dtype must be float32 or float64, got {c['dtype']!r}")
    if c["init"] not in ("random", "course"):
        raise RunError(f"init must be random or course, got {c['init']!r}")
    if not (np.isfinite(c["lr"]) and c["lr"] > 0):
        raise RunError(f"learning rate must be a positive number, got {c['lr']}")
    for k, low in (("hidden_units", 1), ("iterations", 0), ("chunk", 1), ("devices", 1)):
        if int(c[k]) != c[k] or c[k] < low:
            raise RunError(f"{k} must be an integer >= {low}, got {c[k]}")
    if not 0 <= c["test_split"] < 1:
        raise RunError(f"test split must be in [0, 1), got {c['test_split']}")
    return c


def check_out(out):
    """``out`` may be missing or a folder; a file there is an error (it would be clobbered)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunError(f"output folder {out} is an existing file")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise RunError(f"cannot create output folder {out}: {parent} is a file")
    return out


def prepare_data(c, stats=None):
    """Load, split and standardize: dict of X/Y train/test (test may be None), mean, std, names.

    The statistics come from the training part only (the test part must not
    leak into them), or from ``stats`` (a resumed run keeps its own).
    """
    X, Y, features, labels = data.load(c["data"], c["labels"], seed=data.EXTRA_SEED)
    manual.checks.check_Y(Y, X, c["output"])
    Xte = Yte = None
    if c["test_split"] > 0:
        X, Y, Xte, Yte = data.split(X, Y, c["test_split"], c["seed"])
    if stats is not None:
        mean, std = stats
    elif c["standardize"]:
        mean, std = data.feature_stats(X)
    else:
        mean, std = np.zeros((X.shape[0], 1)), np.ones((X.shape[0], 1))
    if mean.shape != (X.shape[0], 1):
        raise RunError(f"the data has {X.shape[0]} features but the saved model has {mean.shape[0]}")
    prep = lambda A: None if A is None else data.standardize(A, mean, std)  # noqa: E731
    return {"X": prep(X), "Y": Y.astype(np.float64), "X_test": prep(Xte),
            "Y_test": None if Yte is None else Yte.astype(np.float64),
            "X_raw": X, "mean": mean, "std": std, "features": features, "labels": labels}


def _save_model(path, params, c, d, costs):
    checkpoint.save(path, {k: np.asarray(v) for k, v in params.items()}, config=c,
                    feature_mean=d["mean"], feature_std=d["std"], costs=costs, iteration=costs.shape[0])


def _train(params, d, c, start, progress, timings):
    """train() on one device, or shallownet.parallel.train_parallel over several."""
    kwargs = {"activation": c["activation"], "output": c["output"], "gradients": c["gradients"], "lr": c["lr"],
              "iterations": c["iterations"] - start, "chunk": c["chunk"], "dtype": c["dtype"]}
    if c["devices"] > 1:
        from .parallel import train_parallel  # written apart; imported only when asked for

        return train_parallel(params, d["X"], d["Y"], devices=c["devices"], progress=progress,
                              start_iteration=start, **kwargs)
    return train.train(params, d["X"], d["Y"], progress=progress, start_iteration=start,
                       timings=timings, **kwargs)


def _score(P, Y, output):
    """Accuracy in percent (sigmoid output) or mean squared error (identity) of predictions P."""
    if output == "sigmoid":
        return float(100.0 * np.mean(P == (Y > 0.5)))
    return float(np.mean((P - Y) ** 2))


def _boundary_grid(c, d):
    """The plot grid (xx, yy, G raw) when a decision boundary can be drawn: 2 features, one sigmoid output."""
    if d["X_raw"].shape[0] != 2 or d["Y"].shape[0] != 1 or c["output"] != "sigmoid":
        return None
    from . import plots

    return plots.grid(d["X_raw"])


def _evaluated_examples(d, grid):
    """Columns of the one evaluation pass: train part, test part, grid points."""
    return sum(0 if A is None else A.shape[1] for A in (d["X"], d["X_test"], None if grid is None else grid[2]))


def _evaluate(params, c, d, grid):
    """Scores on the train (and test) part, and the grid's predictions, from one forward pass.

    One call, one compiled forward program, instead of one per array shape.
    """
    parts = [d["X"]] + ([d["X_test"]] if d["X_test"] is not None else [])
    if grid is not None:
        parts.append(data.standardize(grid[2], d["mean"], d["std"]))
    P = train.predict(params, np.concatenate(parts, axis=1), c["activation"], c["output"])
    m, m_test = d["X"].shape[1], 0 if d["X_test"] is None else d["X_test"].shape[1]
    scores = {"train": _score(P[:, :m], d["Y"], c["output"]),
              "test": None if m_test == 0 else _score(P[:, m:m + m_test], d["Y_test"], c["output"])}
    return scores, P[:, m + m_test:]


def _warm_up(c, d, grid):
    """Compile the evaluation's forward pass and import matplotlib while the main thread trains.

    Both wait mostly outside the GIL or beside XLA's compile of the training
    loop (~0.2 s and ~0.5 s on the flower data, most of a short run). Only the
    shapes matter, so zeros stand in for the parameters not trained yet. A
    failure here is harmless: the real call compiles again and reports it.
    """
    try:
        n_h, n_x, n_y = c["hidden_units"], d["X"].shape[0], d["Y"].shape[0]
        dtype = np.dtype(c["dtype"])
        zeros = {"W1": np.zeros((n_h, n_x), dtype), "b1": np.zeros((n_h, 1), dtype),
                 "W2": np.zeros((n_y, n_h), dtype), "b2": np.zeros((n_y, 1), dtype)}
        train.predict(zeros, np.zeros((n_x, _evaluated_examples(d, grid))), c["activation"], c["output"])
        from . import plots

        plots.preload()
    except Exception:  # noqa: BLE001 - see the docstring
        pass


def _device():
    dev = jax.devices()[0]
    return {"jax_version": jax.__version__, "backend": jax.default_backend(),
            "device": f"{dev.platform}:{dev.id} {dev.device_kind}"}


def _plots(out, c, d, costs, grid, grid_predictions):
    """cost.png always; decision_boundary.png when ``grid`` is given."""
    from . import plots

    plots.cost_curve(costs, out / COST_PNG, title=f"Cost, n_h = {c['hidden_units']}, lr = {c['lr']}")
    if grid is None:
        return [COST_PNG]
    xx, yy, _ = grid
    plots.decision_boundary(xx, yy, grid_predictions, d["X_raw"], d["Y"], out / BOUNDARY_PNG,
                            title=f"Decision boundary, n_h = {c['hidden_units']} ({c['activation']})")
    return [COST_PNG, BOUNDARY_PNG]


def train_run(config, out, *, resume=False, progress=None):
    """Train as ``config`` says (see DEFAULTS) and write the run into folder ``out``; returns the summary.

    resume=True continues the run saved in ``out`` with its saved settings up
    to config["iterations"] in total. ``progress(done, cost)`` gets the total
    iteration count between chunks. Raises RunError (bad setting, diverged:
    the last finite parameters go to last_finite.npz, model.npz is kept),
    data.DataError, checkpoint.CheckpointError, train.Interrupted (Ctrl-C:
    model.npz holds the last finished chunk, to resume from; .saved says
    whether one finished).
    """
    t_start = time.perf_counter()
    out = check_out(out)
    start, history = 0, np.zeros((0,))
    if resume:
        saved = checkpoint.load(out / MODEL)
        kept = {k: v for k, v in saved["config"].items() if k in DEFAULTS}
        c = check_config({**kept, **{k: config[k] for k in RESUMABLE if config.get(k) is not None}})
        start, history = saved["iteration"], saved["costs"]
        if start >= c["iterations"]:
            raise RunError(f"{out / MODEL} already has {start} iterations; ask for more with --iterations")
        d = prepare_data(c, stats=(saved["feature_mean"], saved["feature_std"]))
        if d["features"] != saved["config"]["features"]:
            raise RunError(f"the data's features {d['features']} differ from the saved run's "
                           f"{saved['config']['features']}")
        params = saved["params"]
    else:
        c = check_config(config)
        d = prepare_data(c)
        params = train.init_params(d["X"].shape[0], c["hidden_units"], d["Y"].shape[0], c["seed"], c["init"])
    c = {**c, "features": d["features"], "labels": d["labels"]}
    manual.check_problem(params, d["X"], d["Y"], c["output"])
    out.mkdir(parents=True, exist_ok=True)

    grid = _boundary_grid(c, d)
    loader = threading.Thread(target=_warm_up, args=(c, d, grid), daemon=True)
    loader.start()
    timings = {}
    on_chunk = None if progress is None else (lambda done, cost: progress(start + done, cost))
    try:
        params, costs = _train(params, d, c, start, on_chunk, timings)
    except train.Diverged as e:
        _save_model(out / LAST_FINITE, e.params, c, d, np.concatenate([history, e.costs]))
        raise RunError(f"{e}: saved to {out / LAST_FINITE}; {out / MODEL} left as it was") from None
    except train.Interrupted as e:
        saved = None
        if e.costs.shape[0] > 0:  # an interrupt before the first chunk finished leaves model.npz alone
            saved = out / MODEL
            _save_model(saved, e.params, c, d, np.concatenate([history, e.costs]))
        raise train.Interrupted(e.iteration, e.params, e.costs, saved) from None
    costs = np.concatenate([history, np.asarray(costs, np.float64)])

    loader.join()
    scores, grid_predictions = _evaluate(params, c, d, grid)
    _save_model(out / MODEL, params, c, d, costs)
    files = [MODEL] + _plots(out, c, d, costs, grid, grid_predictions)
    summary = {
        "config": c,
        "iterations": int(costs.shape[0]),
        "resumed_from": start if resume else None,
        "accuracy" if c["output"] == "sigmoid" else "mse": scores,
        "last_cost": float(costs[-1]) if costs.size else None,
        "costs_every_100": [[i, float(costs[i])] for i in range(0, costs.shape[0], COST_EVERY)],
        "compile_seconds": timings.get("compile_s"),
        "run_seconds": timings.get("run_s"),
        "total_seconds": time.perf_counter() - t_start,
        **_device(),
        "files": files + [SUMMARY],
    }
    text = json.dumps(summary, indent=2) + "\n"
    checkpoint.atomic_write(out / SUMMARY, lambda f: f.write(text.encode()))
    return summary


def load_model(path):
    """A checkpoint from a run folder (its model.npz) or a .npz path."""
    path = Path(path)
    return checkpoint.load(path / MODEL if path.is_dir() else path)


def predict_run(model, source):
    """Predictions of a saved model on a data set or CSV: dict predictions (n_y, m), accuracy or None.

    The CSV must have the model's feature columns (by name); when it also has
    the label column(s), the accuracy (or mean squared error) is computed.
    """
    ck = load_model(model)
    c = ck["config"]
    if source in data.DATASETS:
        X, Y, _, _ = data.load(source, seed=data.EXTRA_SEED)
    else:
        header, values = data.read_table(source)
        X = data.columns(header, values, c["features"], source)
        Y = columns_if_present(header, values, c["labels"], source)
    if X.shape[0] != ck["params"]["W1"].shape[1]:
        raise RunError(f"the data has {X.shape[0]} features but the model expects {ck['params']['W1'].shape[1]}")
    Xs = data.standardize(X, ck["feature_mean"], ck["feature_std"])
    P = train.predict(ck["params"], Xs, c["activation"], c["output"])
    score = None
    if Y is not None:
        manual.checks.check_Y(Y, X, c["output"])
        score = _score(P, Y, c["output"])
    return {"predictions": P, "labels": c["labels"], "output": c["output"], "score": score}


def columns_if_present(header, values, names, path):
    """The named columns when all are in the table, else None."""
    return data.columns(header, values, names, path) if all(n in header for n in names) else None


def predictions_csv(result):
    """CSV text: one row per example, one column per output unit (prediction, or prediction_<label>)."""
    P, labels = result["predictions"], result["labels"]
    names = ["prediction"] if len(labels) == 1 else [f"prediction_{n}" for n in labels]
    # str() of a numpy scalar is the shortest text that reads back to the same value in its dtype.
    rows = [",".join(str(v) for v in col) for col in np.asarray(P).T]
    return "\n".join([",".join(names)] + rows) + "\n"
