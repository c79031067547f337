"""A grid of networks trained at once (``train_grid``: a sweep, or a run's one network), and the table it shows.

``SweepResult`` gives the table (mean and std over each configuration's seeds); ``write_outputs`` writes
sweep.csv, sweep.json, accuracy against hidden size and the course's grid of decision boundaries (2-D
data). ``run`` is the library's sweep. By default each size starts from the course's init, in float64, so
the table reproduces the course's published one (float32 does not: see docs/sweep.md).
"""

import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import logistic, train
from . import plots as plotting
from .checkpoint import PathLike
from .config import SWEEP_ORDER, RunConfig, sweep_grid
from .data import standardize
from .evaluate import forward_many, predictions, score
from .history import LIMIT
from .outputs import SWEEP_TABLE_FILES

CSV, JSON, ACCURACY_PNG, BOUNDARIES_PNG = SWEEP_TABLE_FILES
CSV_COLUMNS: tuple[str, ...] = ("model", "hidden_units", "lr", "activation", "seed", "iterations", "final_cost")
CSV_COLUMNS += ("diverged_at", "train_accuracy", "test_accuracy")
SHARED: tuple[str, ...] = ("data", "labels", "output", "gradients", "dtype", "init", "iterations", "chunk")
SHARED += ("test_split", "standardize", "devices")  # what the networks of one grid share
MAX_PANELS = 24


@dataclass(frozen=True)
class Configuration:
    """What differs between the networks of a sweep, apart from the init."""

    hidden_units: int
    lr: float
    activation: str

    def label(self, vary: Sequence[str] = ("hidden_units", "lr", "activation")) -> str:
        parts = {"hidden_units": f"n_h = {self.hidden_units}", "lr": f"lr {self.lr:g}", "activation": self.activation}
        return ", ".join(parts[name] for name in vary)


@dataclass(frozen=True)
class Network:
    """One trained network: its configuration, its init ("course": the course's draw), how it did."""

    configuration: Configuration
    seed: int | str
    iterations: int  # steps taken
    final_cost: float  # J before the last step taken (NaN when none was)
    diverged_at: int | None  # the iteration at which a step went non-finite, or None
    train_accuracy: float  # (the mean squared error for the identity output)
    test_accuracy: float | None  # None without a test set


@dataclass(frozen=True)
class SweepResult:
    settings: dict[str, Any]
    networks: list[Network]
    params: list[Any]  # W1 b1 W2 b2 per network, in the order of ``networks``
    logistic: dict[str, float | None] | None  # {"train_accuracy", "test_accuracy"}, or None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: compile, train, baseline
    histories: list[Any] = field(default_factory=list)  # a CostHistory per network
    predictions: Any = None  # (N, n_y, k): each network's predictions on ``train_grid``'s extra columns

    def configurations(self) -> list[Configuration]:
        return list(dict.fromkeys(network.configuration for network in self.networks))

    def summary(self) -> list[dict[str, Any]]:
        """One dict per configuration: seeds, diverged, train/test accuracy mean and (sample) std over seeds.
        Diverged networks are counted and left out of the mean and std: their last finite parameters are
        not a trained network."""
        rows: list[dict[str, Any]] = []
        for configuration in self.configurations():
            members = [network for network in self.networks if network.configuration == configuration]
            kept = [network for network in members if network.diverged_at is None]
            at = [network.diverged_at for network in members if network.diverged_at is not None]
            row = {**asdict(configuration), "seeds": len(members), "diverged": len(at), "diverged_at": at}
            for part in ("train", "test"):
                values = [v for v in (getattr(network, f"{part}_accuracy") for network in kept) if v is not None]
                row[f"{part}_mean"] = float(np.mean(values)) if values else None
                row[f"{part}_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else None
            rows.append(row)
        return rows

    def varying(self) -> list[str]:
        """The configuration fields that take more than one value (hidden_units always)."""
        configurations = self.configurations()
        varied = [name for name in ("lr", "activation") if len({getattr(c, name) for c in configurations}) > 1]
        return ["hidden_units", *varied]


def _seed(config: RunConfig) -> int | str:
    return "course" if config.init == "course" else config.seed


def _baseline(X: np.ndarray, Y: np.ndarray, test: Any, timings: dict, should_stop: Any) -> tuple[Any, str | None]:
    """The logistic-regression row (train and test accuracy) or None with the reason it is not there."""
    skipped = logistic.skip_reason(X.shape[0], X.shape[1])
    if skipped is not None:
        return None, skipped
    started = time.perf_counter()
    model = logistic.fit(X, Y, should_stop)
    timings["baseline_s"] = time.perf_counter() - started
    if should_stop():
        return None, "logistic regression stopped by a stop request"
    test_accuracy = None if test is None else logistic.accuracy(model, *test)
    return {"train_accuracy": logistic.accuracy(model, X, Y), "test_accuracy": test_accuracy}, None


def train_grid(
    configs: Sequence[RunConfig], X: Any, Y: Any, X_test: Any = None, Y_test: Any = None, **options: Any
) -> SweepResult:
    """One network per config (``config.sweep_grid``'s list, or a run's one config) trained at once on X, Y.

    ``options``: params (where each starts; default its config's init), extra (n_x, k: more columns to
    predict, ``SweepResult.predictions``), baseline (the logistic-regression row, default True), timings
    (a dict: compile_s, run_s, train_s, baseline_s), and ``train.train_many``'s: histories and start (a
    resumed run's), progress, checkpoint, checkpoint_every, should_stop, chunk_seconds.
    """
    if not configs:
        raise ValueError("no networks to sweep")
    differ = sorted({name for c in configs for name in SHARED if getattr(c, name) != getattr(configs[0], name)})
    if differ:
        raise ValueError(f"the networks of one sweep must share {', '.join(differ)}")
    first, start, n_x, n_y = configs[0], options.get("start", 0), np.shape(X)[0], np.shape(Y)[0]
    params = options.pop("params", None)
    if params is None:
        params = [train.init_params(n_x, c.hidden_units, n_y, c.seed, c.init) for c in configs]
    extra, baseline, timings = options.pop("extra", None), options.pop("baseline", True), options.pop("timings", {})
    X, Y = np.asarray(X, first.dtype), np.asarray(Y, first.dtype)
    test = None if X_test is None else (np.asarray(X_test, first.dtype), np.asarray(Y_test, first.dtype))
    # The scores come out of the training's own program: no compile of their own.
    evaluate = np.concatenate([X, *([] if test is None else [test[0]]), *([] if extra is None else [extra])], axis=1)
    networks = {"lr": [c.lr for c in configs], "activation": [c.activation for c in configs], "output": first.output}
    steps = {"iterations": first.iterations - start, "chunk": min(first.chunk, first.iterations - start)}
    devices, started = first.devices if first.devices > 1 else None, time.perf_counter()
    shared = {"gradients": first.gradients, "dtype": first.dtype, "devices": devices, "cost_limit": LIMIT}
    result = train.train_many(
        params, X, Y, **networks, **steps, **shared, timings=timings, evaluate=evaluate, **options
    )
    timings["train_s"] = time.perf_counter() - started
    A2 = result.predictions
    if A2 is None:  # every network stopped before the last iteration
        A2 = forward_many(result.params, evaluate, activation=networks["activation"], output=first.output)
    P, m = predictions(A2, first.output), X.shape[1]
    m_test = 0 if test is None else test[0].shape[1]
    trained = []
    for c, history, cost, gone, p in zip(configs, result.histories, result.final_costs, result.diverged, P):
        scores = score(p[:, :m], Y, first.output), test and score(p[:, m : m + m_test], test[1], first.output)
        at = history.done if gone else None
        trained.append(
            Network(Configuration(c.hidden_units, c.lr, c.activation), _seed(c), history.done, cost, at, *scores)
        )
    row, note = None, None
    if baseline:
        row, note = _baseline(X, Y, test, timings, options.get("should_stop") or (lambda: None))
    settings = _settings(configs, m, None if test is None else m_test, note)
    return SweepResult(settings, trained, result.params, row, timings, result.histories, P[:, :, m + m_test :])


def _settings(configs: Sequence[RunConfig], m: int, m_test: int | None, note: str | None) -> dict[str, Any]:
    """sweep.json's settings: the grid's axes, what its networks share, why the baseline is missing."""
    axes = zip(("hidden_units", "lrs", "activations"), SWEEP_ORDER)
    settings: dict[str, Any] = {key: list(dict.fromkeys(getattr(c, name) for c in configs)) for key, name in axes}
    settings.update(init=configs[0].init, seeds=list(dict.fromkeys(_seed(c) for c in configs)))
    settings.update({name: getattr(configs[0], name) for name in ("iterations", "gradients", "dtype", "chunk")})
    settings.update(examples=int(m), test_examples=m_test)
    return settings if note is None else {**settings, "baseline": note}


def run(X: Any, Y: Any, *, hidden_units: Sequence[int], **options: Any) -> SweepResult:
    """The library's sweep: every hidden size x lr x activation, as ``shallownet sweep`` builds and checks it
    (``config.sweep_grid``). ``options``: seeds (K random inits, seed .. seed + K - 1; default one init, the
    course's draw), lrs, activations, seed, init, iterations, gradients, dtype, chunk, X_test, Y_test, and
    ``train_grid``'s."""
    lrs, activations = tuple(options.pop("lrs", (1.2,))), tuple(options.pop("activations", ("tanh",)))
    settings: dict[str, Any] = {"hidden_units": tuple(hidden_units), "lr": lrs, "activation": activations}
    settings.update({k: options.pop(k) for k in ("init", "seed", "iterations", "gradients", "chunk") if k in options})
    if "dtype" in options:
        settings["dtype"] = str(np.dtype(options.pop("dtype")))
    configs = sweep_grid(settings, seeds=options.pop("seeds", None))
    return train_grid(configs, X, Y, options.pop("X_test", None), options.pop("Y_test", None), **options)


# ---------------------------------------------------------------- what a sweep shows


def _pct(mean: float | None, std: float | None) -> str:
    return "-" if mean is None else f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"


def _diverged(row: dict[str, Any]) -> str:
    """The table's cell: '' (none), 'at 137' (the only network), '3 of 8, first at 12'."""
    if not row["diverged"]:
        return ""
    if row["seeds"] == 1:
        return f"at {row['diverged_at'][0]}"
    return f"{row['diverged']} of {row['seeds']}, first at {min(row['diverged_at'])}"


def summary_table(result: SweepResult) -> str:
    """Aligned text: one line per configuration (accuracy mean ± std over seeds), then logistic regression.
    A configuration whose networks all diverged shows "-" for its accuracy."""
    vary, rows = result.varying(), result.summary()
    parts = ("train",) if result.settings["test_examples"] is None else ("train", "test")
    diverged = [_diverged(row) for row in rows]
    width = max([10] + [len(cell) + 2 for cell in diverged]) if any(diverged) else 0  # 0: no such column
    axes = {"hidden_units": ("hidden units", 12, ""), "lr": ("lr", 8, "g"), "activation": ("activation", 16, "")}
    head = "".join(f"{axes[name][0]:>{axes[name][1]}}" for name in vary) + f"{'seeds':>7}"
    lines = [head + "".join(f"{part + ' %':>17}" for part in parts) + f"{'diverged' if width else '':>{width}}"]
    for row, cell in zip(rows, diverged):
        line = "".join(f"{row[name]:>{axes[name][1]}{axes[name][2]}}" for name in vary) + f"{row['seeds']:>7}"
        line += "".join(f"{_pct(row[f'{part}_mean'], row[f'{part}_std']):>17}" for part in parts)
        lines.append((line + f"{cell:>{width}}").rstrip())
    if "baseline" in result.settings:
        lines.append(result.settings["baseline"])
    if result.logistic is not None:
        line = f"{'logistic regression':<{len(head)}}"
        lines.append(line + "".join(f"{result.logistic[f'{part}_accuracy']:>17.2f}" for part in parts))
    return "\n".join(lines)


def csv_text(result: SweepResult) -> str:
    """sweep.csv: one row per network (sweep.json's networks) and one for logistic regression, CSV_COLUMNS."""

    def cell(value: object) -> str:
        return "" if value is None else f"{value:.10g}" if isinstance(value, float) else str(value)

    rows = [{"model": "network", **network} for network in json_record(result)["networks"]]
    if result.logistic is not None:
        rows.append({"model": "logistic regression", "hidden_units": 0, **result.logistic})
    return "".join(
        ",".join(cell(row.get(name)) for name in CSV_COLUMNS) + "\n"
        for row in [dict(zip(CSV_COLUMNS, CSV_COLUMNS)), *rows]
    )


def json_record(result: SweepResult) -> dict[str, Any]:
    """sweep.json's content: settings, the summary table, every network, the baseline, the timings."""

    def clean(value: object) -> object:
        return None if isinstance(value, float) and math.isnan(value) else value

    networks = [
        {**asdict(network.configuration), **{k: clean(v) for k, v in asdict(network).items() if k != "configuration"}}
        for network in result.networks
    ]
    record = {"settings": result.settings, "summary": result.summary(), "networks": networks}
    return {**record, "logistic_regression": result.logistic, "seconds": result.timings}


def write_outputs(result: SweepResult, out: PathLike, X: Any, Y: Any, *, plots: bool = True, scale: Any = None) -> list:
    """Write sweep.csv, sweep.json and (``plots``) accuracy.png and, for 2-D data, decision_boundaries.png into
    ``out``; the names written. X in the data's own units (the plot's axes); ``scale`` = (mean, std) when the
    networks were trained on standardized features."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / CSV).write_text(csv_text(result))
    (out / JSON).write_text(json.dumps(json_record(result), indent=1, allow_nan=False))
    if not plots:
        return [CSV, JSON]
    summary = result.summary()
    plotting.accuracy_vs_hidden_units(summary, out / ACCURACY_PNG, vary=result.varying(), baseline=result.logistic)
    if X.shape[0] != 2 or Y.shape[0] != 1:
        return [CSV, JSON, ACCURACY_PNG]
    plotting.decision_boundary_grid(boundary_panels(result, X, scale=scale), X, Y, out / BOUNDARIES_PNG)
    return [CSV, JSON, ACCURACY_PNG, BOUNDARIES_PNG]


def boundary_panels(result: SweepResult, X: Any, limit: int = MAX_PANELS, scale: Any = None) -> list[tuple]:
    """(title, xx, yy, predictions) for the first network of each configuration (at most ``limit``), from one
    compiled call. The grid covers X (the data's units; ``scale`` = (mean, std): the features the networks saw)."""
    first: dict[Configuration, int] = {}  # the first network of each configuration
    for k, network in enumerate(result.networks):
        first.setdefault(network.configuration, k)
    chosen = list(first.values())[:limit]
    xx, yy, G = plotting.grid(np.asarray(X, np.float64))
    if scale is not None:
        G = standardize(G, *scale)
    activations = [result.networks[k].configuration.activation for k in chosen]
    A2 = forward_many([result.params[k] for k in chosen], G, activation=activations)
    networks, vary = [result.networks[k] for k in chosen], result.varying()
    return [
        (f"{network.configuration.label(vary)}: {network.train_accuracy:.2f}%", xx, yy, predictions(P, "sigmoid")[0])
        for network, P in zip(networks, A2)
    ]
