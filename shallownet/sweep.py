"""A sweep: every configuration (hidden size x learning rate x activation x seed) trained at once, and what it shows.

``train_grid`` trains one network per RunConfig of ``config.sweep_grid`` in one compiled program
(``train.train_many``), scores each (training and test part) and fits the logistic-regression baseline.
``SweepResult`` gives the table (mean and std over each configuration's seeds); ``write_outputs`` writes
sweep.csv, sweep.json, accuracy against hidden size and the course's grid of decision boundaries (2-D data).
``run`` is the library's form (lists of sizes, rates, activations), ``run_configs`` the command's.

By default each size starts from the course's init (legacy seed 2, as its
nn_model does), in float64, so the table reproduces the course's published
one (float32 does not: n_h = 50 lands on 90.25 % instead of 90.75 %, see
docs/sweep.md). ``seeds=K`` (with init="random") trains K random inits per
configuration.
"""

import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import logistic
from .checkpoint import PathLike
from .config import SWEEP_ORDER
from .evaluate import forward_many, predictions, score
from .history import LIMIT
from .outputs import SWEEP_TABLE_FILES

if TYPE_CHECKING:  # at run time many (and JAX) load only when a sweep trains
    from manual.typing import AnyArray

    from .config import RunConfig
    from .stack import HostParams

CSV, JSON, ACCURACY_PNG, BOUNDARIES_PNG = SWEEP_TABLE_FILES
CSV_COLUMNS = (
    "model",
    "hidden_units",
    "lr",
    "activation",
    "seed",
    "iterations",
    "final_cost",
    "diverged_at",
    "train_accuracy",
    "test_accuracy",
)
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
    """One trained network of a sweep: its configuration, its init, and how it did."""

    configuration: Configuration
    seed: int | str  # an int, or "course" for the course's own draw
    iterations: int  # steps taken
    final_cost: float  # J before the last step taken (NaN when none was)
    diverged_at: int | None  # the iteration at which a step went non-finite, or None
    train_accuracy: float
    test_accuracy: float | None  # None without a test set


@dataclass(frozen=True)
class SweepResult:
    settings: dict[str, Any]
    networks: list[Network]
    params: list["HostParams"]  # W1 b1 W2 b2 per network, in the order of ``networks``
    logistic: dict[str, float | None] | None  # {"train_accuracy", "test_accuracy"}, or None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: compile, train, baseline
    histories: list[Any] = field(default_factory=list)  # a CostHistory per network, in the order of ``networks``
    predictions: Any = None  # (N, n_y, k): each network's predictions on ``train_grid``'s extra columns

    def configurations(self) -> list[Configuration]:
        """The distinct configurations in sweep order."""
        return list(dict.fromkeys(network.configuration for network in self.networks))

    def summary(self) -> list[dict[str, Any]]:
        """One dict per configuration: seeds, diverged, train/test accuracy mean and std over the seeds.

        Diverged networks are counted (``diverged``, ``diverged_at``) and left out of the mean and std (their
        last finite parameters are not a trained network); std is the sample std (ddof = 1), None for one seed.
        """
        rows: list[dict[str, Any]] = []
        for configuration in self.configurations():
            members = [network for network in self.networks if network.configuration == configuration]
            kept = [network for network in members if network.diverged_at is None]
            row: dict[str, Any] = {
                **asdict(configuration),
                "seeds": len(members),
                "diverged": len(members) - len(kept),
                "diverged_at": [network.diverged_at for network in members if network.diverged_at is not None],
            }
            for part in ("train", "test"):
                scores = [getattr(network, f"{part}_accuracy") for network in kept]
                values = [score for score in scores if score is not None]
                row[f"{part}_mean"] = float(np.mean(values)) if values else None
                row[f"{part}_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else None
            rows.append(row)
        return rows

    def varying(self) -> list[str]:
        """The configuration fields that take more than one value (hidden_units always)."""
        configurations = self.configurations()
        return ["hidden_units"] + [
            name for name in ("lr", "activation") if len({getattr(c, name) for c in configurations}) > 1
        ]


def _seed(config: "RunConfig") -> int | str:
    """A network's init as the table shows it: its seed, or "course" for the course's own draw."""
    return "course" if config.init == "course" else config.seed


def check_configs(configs: Sequence["RunConfig"]) -> None:
    """The settings every network of one sweep shares must be equal (config.sweep_grid makes them so)."""
    if not configs:
        raise ValueError("no networks to sweep")
    shared = (
        "data",
        "labels",
        "output",
        "gradients",
        "dtype",
        "init",
        "iterations",
        "chunk",
        "test_split",
        "standardize",
        "devices",
    )
    for config in configs:
        differ = [name for name in shared if getattr(config, name) != getattr(configs[0], name)]
        if differ:
            raise ValueError(f"the networks of one sweep must share {', '.join(differ)}")


def _settings(configs: Sequence["RunConfig"], m: int, m_test: int | None) -> dict[str, Any]:
    """sweep.json's settings: the grid's axes and what its networks share."""
    first = configs[0]
    axes = {
        key: list(dict.fromkeys(getattr(config, name) for config in configs))
        for key, name in zip(("hidden_units", "lrs", "activations"), SWEEP_ORDER)
    }
    seeds = list(dict.fromkeys(_seed(config) for config in configs))
    shared = {name: getattr(first, name) for name in ("iterations", "gradients", "dtype", "chunk")}
    return {**axes, "init": first.init, "seeds": seeds, **shared, "examples": int(m), "test_examples": m_test}


def _baseline(
    X: np.ndarray, Y: np.ndarray, test: Any, timings: dict[str, float], should_stop: Any
) -> tuple[dict[str, float | None] | None, str | None]:
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
    configs: Sequence["RunConfig"],
    X: "AnyArray",
    Y: "AnyArray",
    X_test: "AnyArray | None" = None,
    Y_test: "AnyArray | None" = None,
    *,
    params: Sequence[Any] | None = None,
    extra: Any = None,
    baseline: bool = True,
    timings: dict[str, float] | None = None,
    **options: Any,
) -> SweepResult:
    """Train one network per config (``config.sweep_grid``'s list; a run's one config) at once on X, Y.

    X (n_x, m), Y (n_y, m). ``params``: where each network starts (default: its config's init); ``extra``
    (n_x, k): more columns to predict (a run's decision-boundary grid: ``SweepResult.predictions``).
    ``options``: histories and start (a resumed run's), progress, checkpoint, should_stop, chunk_seconds
    (``train.train_many``; a stop raises train.Interrupted). ``baseline`` adds the logistic-regression
    row; ``timings`` (a dict) receives compile_s, run_s, train_s, baseline_s.
    """
    from . import train

    check_configs(configs)
    first, dtype, start = configs[0], configs[0].dtype, options.get("start", 0)
    n_x, n_y = np.shape(X)[0], np.shape(Y)[0]
    if params is None:
        params = [train.init_params(n_x, c.hidden_units, n_y, c.seed, c.init) for c in configs]
    X, Y = np.asarray(X, dtype), np.asarray(Y, dtype)
    test = None if X_test is None else (np.asarray(X_test, dtype), np.asarray(Y_test, dtype))
    # The scores come out of the training's own program: no compile of their own.
    parts = [X] + ([] if test is None else [test[0]]) + ([] if extra is None else [np.asarray(extra, dtype)])
    evaluate = np.concatenate(parts, axis=1)
    timings = {} if timings is None else timings
    activations = [config.activation for config in configs]
    started = time.perf_counter()
    result = train.train_many(
        params,
        X,
        Y,
        lr=[c.lr for c in configs],
        activation=activations,
        output=first.output,
        gradients=first.gradients,
        iterations=first.iterations - start,
        chunk=min(first.chunk, first.iterations - start),
        dtype=dtype,
        timings=timings,
        cost_limit=LIMIT,
        evaluate=evaluate,
        devices=first.devices if first.devices > 1 else None,
        **options,
    )
    timings["train_s"] = time.perf_counter() - started
    A2 = result.predictions
    if A2 is None:  # every network stopped before the last iteration
        A2 = forward_many(result.params, evaluate, activation=activations, output=first.output)
    m, m_test = X.shape[1], 0 if test is None else test[0].shape[1]
    P = predictions(A2, first.output)
    train_scores = [score(p[:, :m], Y, first.output) for p in P]
    test_scores = [None if test is None else score(p[:, m : m + m_test], test[1], first.output) for p in P]
    networks = [
        Network(
            Configuration(c.hidden_units, c.lr, c.activation),
            _seed(c),
            history.done,
            float(cost),
            history.done if gone else None,
            train_scores[k],
            test_scores[k],
        )
        for k, (c, history, cost, gone) in enumerate(
            zip(configs, result.histories, result.final_costs, result.diverged)
        )
    ]
    row, note = (
        _baseline(X, Y, test, timings, options.get("should_stop") or (lambda: None)) if baseline else (None, None)
    )
    settings = _settings(configs, m, None if test is None else m_test)
    if note is not None:
        settings["baseline"] = note
    return SweepResult(settings, networks, result.params, row, timings, result.histories, P[:, :, m + m_test :])


def run(
    X: "AnyArray",
    Y: "AnyArray",
    *,
    hidden_units: Sequence[int],
    lrs: Sequence[float] = (1.2,),
    activations: Sequence[str] = ("tanh",),
    seeds: int | None = None,
    seed: int = 0,
    init: str = "course",
    iterations: int = 5000,
    gradients: str = "manual",
    dtype: str = "float64",
    chunk: int = 1000,
    X_test: "AnyArray | None" = None,
    Y_test: "AnyArray | None" = None,
    **options: Any,
) -> SweepResult:
    """The library's sweep: the grid of ``config.sweep_grid`` (validated as ``shallownet sweep`` validates it).

    Every hidden size x lr x activation, each with ``seeds`` K random inits (seed .. seed + K - 1; init
    "random") or one init (by default the course's draw). ``options``: see ``train_grid``.
    """
    from . import config

    settings: dict[str, Any] = {"hidden_units": tuple(hidden_units), "lr": tuple(lrs), "activation": tuple(activations)}
    settings.update(init=init, seed=seed, iterations=iterations, gradients=gradients, dtype=str(np.dtype(dtype)))
    configs = config.sweep_grid({**settings, "chunk": chunk}, seeds=seeds)
    return train_grid(configs, X, Y, X_test, Y_test, **options)


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
    return {
        "settings": result.settings,
        "summary": result.summary(),
        "networks": networks,
        "logistic_regression": result.logistic,
        "seconds": result.timings,
    }


def write_outputs(
    result: SweepResult,
    out: PathLike,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    plots: bool = True,
    scale: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[str]:
    """Write sweep.csv, sweep.json and (plots=True) accuracy.png and, for 2-D data, decision_boundaries.png.

    X is in the data's own units (the plot's axes); ``scale`` = (mean, std) when the networks were
    trained on standardized features. Plain writes into ``out`` (created when missing):
    ``outputs.save_sweep`` calls it on its staging folder, which it then swaps in. Returns the names written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / CSV).write_text(csv_text(result))
    (out / JSON).write_text(json.dumps(json_record(result), indent=1, allow_nan=False))
    if not plots:
        return [CSV, JSON]
    from . import plots as plotting

    summary = result.summary()
    plotting.accuracy_vs_hidden_units(summary, out / ACCURACY_PNG, vary=result.varying(), baseline=result.logistic)
    if X.shape[0] != 2 or Y.shape[0] != 1:
        return [CSV, JSON, ACCURACY_PNG]
    plotting.decision_boundary_grid(boundary_panels(result, X, scale=scale), X, Y, out / BOUNDARIES_PNG)
    return [CSV, JSON, ACCURACY_PNG, BOUNDARIES_PNG]


def boundary_panels(
    result: SweepResult, X: np.ndarray, limit: int = MAX_PANELS, scale: tuple[np.ndarray, np.ndarray] | None = None
) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(title, xx, yy, predictions) for the first network of each configuration (at most ``limit``), from one
    compiled call. The grid covers X (the data's units; ``scale`` = (mean, std): the features the networks saw)."""
    from .data import standardize
    from .evaluate import forward_many, predictions
    from .plots import grid as plot_grid

    first: dict[Configuration, int] = {}  # the first network of each configuration
    for k, network in enumerate(result.networks):
        first.setdefault(network.configuration, k)
    chosen = list(first.values())[:limit]
    xx, yy, G = plot_grid(np.asarray(X, np.float64))
    if scale is not None:
        G = standardize(G, *scale)
    A2 = forward_many(
        [result.params[k] for k in chosen], G, activation=[result.networks[k].configuration.activation for k in chosen]
    )
    networks, vary = [result.networks[k] for k in chosen], result.varying()
    return [
        (f"{network.configuration.label(vary)}: {network.train_accuracy:.2f}%", xx, yy, predictions(P, "sigmoid")[0])
        for network, P in zip(networks, A2)
    ]
