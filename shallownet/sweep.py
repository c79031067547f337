"""A sweep: every configuration (hidden size x learning rate x activation x seed) trained at once, and what it shows.

``run`` builds the networks of the grid, trains them all in one compiled
program (``shallownet.train.train_many``), scores each on the training set (and
on a test set when one is given) and fits the logistic-regression baseline.
Its ``SweepResult`` gives the table (mean and standard deviation over the
seeds of each configuration), ``write_outputs`` writes sweep.csv (one row per
network), sweep.json, a plot of accuracy against hidden size and the course's
grid of decision boundaries (one panel per configuration, 2-D data).
``run_configs`` is what ``shallownet sweep`` calls: the grid as RunConfigs
(``config.sweep_grid``), validated exactly as ``shallownet train`` validates.

By default each size starts from the course's init (legacy seed 2, as its
nn_model does), in float64, so the table reproduces the course's published
one (float32 does not: n_h = 50 lands on 90.25 % instead of 90.75 %, see
docs/sweep.md). ``seeds=K`` (with init="random") trains K random inits per
configuration.
"""

import itertools
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import checkpoint, logistic, memory
from .checkpoint import PathLike
from .evaluate import accuracies
from .history import LIMIT

if TYPE_CHECKING:  # at run time many (and JAX) load only when a sweep trains
    from jax.typing import DTypeLike

    from manual.typing import AnyArray

    from .config import RunConfig
    from .data import Prepared
    from .stack import HostParams
    from .train import ManyProgress

CSV, JSON, ACCURACY_PNG, BOUNDARIES_PNG = "sweep.csv", "sweep.json", "accuracy.png", "decision_boundaries.png"
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

    def configurations(self) -> list[Configuration]:
        """The distinct configurations in sweep order."""
        return list(dict.fromkeys(network.configuration for network in self.networks))

    def summary(self) -> list[dict[str, Any]]:
        """One dict per configuration: seeds, diverged, train/test accuracy mean and std over the seeds.

        Diverged networks are counted (``diverged``, and ``diverged_at``: their
        iterations) and left out of the mean and std (their last finite
        parameters are not a trained network); std is the sample standard
        deviation (ddof = 1), None for a single seed.
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
            name
            for name in ("lr", "activation")
            if len({getattr(configuration, name) for configuration in configurations}) > 1
        ]


def grid(
    hidden_units: Sequence[int], lrs: Sequence[float] = (1.2,), activations: Sequence[str] = ("tanh",)
) -> list[Configuration]:
    """The configurations of a sweep, hidden size outermost: [Configuration] (config.SWEEP_ORDER)."""
    return [
        Configuration(int(n_h), float(lr), str(activation))
        for n_h in hidden_units
        for lr in lrs
        for activation in activations
    ]


def seed_list(init: str, seeds: int | None, seed: int) -> list[int | str]:
    """The inits of each configuration: ["course"] for the course's draw, else seeds seed .. seed + K - 1."""
    if init == "course":
        if seeds not in (None, 1):
            raise ValueError("the course's init is one fixed draw per size; several seeds need init='random'")
        return ["course"]
    if init != "random":
        raise ValueError(f"unknown init {init!r}; choose random or course")
    if seeds is None:
        return [int(seed)]
    if int(seeds) != seeds or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds}")
    return [int(seed) + k for k in range(int(seeds))]


def check_grid(hidden_units: Sequence[int], lrs: Sequence[float], activations: Sequence[str]) -> None:
    import manual

    if not hidden_units:
        raise ValueError("no hidden sizes to sweep")
    for n_h in hidden_units:
        if int(n_h) != n_h or n_h < 1:
            raise ValueError(f"hidden sizes must be integers >= 1, got {n_h}")
    for lr in lrs:
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rates must be positive numbers, got {lr}")
    for activation in activations:
        manual.check_activation(activation)


def members(
    hidden_units: Sequence[int],
    lrs: Sequence[float],
    activations: Sequence[str],
    init: str,
    seeds: int | None,
    seed: int,
) -> list[tuple[Configuration, int | str]]:
    """[(Configuration, seed or "course")] in the sweep's order: configurations, then seeds innermost."""
    inits = seed_list(init, seeds, seed)
    return [
        (configuration, network_seed)
        for configuration in grid(hidden_units, lrs, activations)
        for network_seed in inits
    ]


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
    dtype: "DTypeLike" = "float64",
    chunk: int = 1000,
    X_test: "AnyArray | None" = None,
    Y_test: "AnyArray | None" = None,
    progress: "ManyProgress | None" = None,
    baseline: bool = True,
    timings: dict[str, float] | None = None,
    should_stop: Callable[[], int | None] | None = None,
    chunk_seconds: float | None = None,
) -> SweepResult:
    """Train the whole grid at once; returns a SweepResult.

    X (n_x, m), Y (n_y, m) with 0/1 labels (sigmoid output). ``progress(done,
    final_costs)`` is called between compiled chunks; ``should_stop`` and
    ``chunk_seconds`` as in ``train.train_many`` (a stop raises
    train.Interrupted). ``baseline`` adds the logistic-regression row.
    ``timings`` (a dict) receives train_many's compile_s and run_s.
    Each network keeps its cost history (at most LIMIT points, as a run's).
    """
    from . import evaluate as scoring
    from . import train

    check_grid(hidden_units, lrs, activations)
    plan = members(hidden_units, lrs, activations, init, seeds, seed)
    n_x, n_y = X.shape[0], Y.shape[0]
    # A member's seed is an int (init="random") or "course" (the course's draw, which takes no seed).
    params = [
        train.init_params(
            n_x,
            configuration.hidden_units,
            n_y,
            network_seed if isinstance(network_seed, int) else 0,
            "random" if isinstance(network_seed, int) else "course",
        )
        for configuration, network_seed in plan
    ]
    X, Y = np.asarray(X, dtype), np.asarray(Y, dtype)
    m = X.shape[1]
    test = None if X_test is None else (np.asarray(X_test, dtype), np.asarray(Y_test, dtype))
    # The scores come out of the training's own program: no compile of their own.
    evaluate = X if test is None else np.concatenate([X, test[0]], axis=1)
    timings = {} if timings is None else timings
    activation_list = [configuration.activation for configuration, _ in plan]
    started = time.perf_counter()
    result = train.train_many(
        params,
        X,
        Y,
        lr=[configuration.lr for configuration, _ in plan],
        activation=activation_list,
        output="sigmoid",
        gradients=gradients,
        iterations=iterations,
        chunk=chunk,
        dtype=dtype,
        progress=progress,
        timings=timings,
        cost_limit=LIMIT,
        should_stop=should_stop,
        chunk_seconds=chunk_seconds,
        evaluate=evaluate,
    )
    timings["train_s"] = time.perf_counter() - started
    A2 = result.predictions
    if A2 is None:  # every network stopped before the last iteration
        A2 = scoring.forward_many(result.params, evaluate, activation=activation_list)
    train_acc = accuracies(A2[:, :, :m], Y)
    test_acc: list[float | None] = [None] * len(plan) if test is None else list(accuracies(A2[:, :, m:], test[1]))
    networks = [
        Network(
            configuration,
            network_seed,
            int(result.steps[k]),
            float(result.final_costs[k]),
            result.diverged_at[k],
            train_acc[k],
            test_acc[k],
        )
        for k, (configuration, network_seed) in enumerate(plan)
    ]
    baseline_row: dict[str, float | None] | None = None
    if baseline:
        started = time.perf_counter()
        model = logistic.fit(X, Y)
        baseline_row = {
            "train_accuracy": logistic.accuracy(model, X, Y),
            "test_accuracy": None if test is None else logistic.accuracy(model, *test),
        }
        timings["baseline_s"] = time.perf_counter() - started
    settings = {
        "hidden_units": [int(n) for n in hidden_units],
        "lrs": [float(lr) for lr in lrs],
        "activations": list(activations),
        "init": init,
        "seeds": seed_list(init, seeds, seed),
        "iterations": iterations,
        "gradients": gradients,
        "dtype": str(np.dtype(dtype)),
        "chunk": chunk,
        "examples": int(m),
        "test_examples": None if test is None else int(test[0].shape[1]),
    }
    return SweepResult(settings, networks, result.params, baseline_row, timings, result.histories)


# ---------------------------------------------------------------- the command: RunConfigs in, checked first


def distinct(configs: Sequence["RunConfig"], name: str) -> list[Any]:
    return list(dict.fromkeys(getattr(config, name) for config in configs))


def check_configs(configs: Sequence["RunConfig"]) -> None:
    """The settings every network of one sweep shares must be equal (config.sweep_grid makes them so)."""
    first = configs[0]
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
    )
    for config in configs:
        differ = [name for name in shared if getattr(config, name) != getattr(first, name)]
        if differ:
            raise ValueError(f"the networks of one sweep must share {', '.join(differ)}")


def check_is_grid(configs: Sequence["RunConfig"], axes: Sequence[Sequence[Any]], seeds: Sequence[int]) -> None:
    """The configs must be the product ``run`` rebuilds from their distinct values (what config.sweep_grid makes).

    run trains every hidden size x lr x activation x init of those values, with the inits seed .. seed + K - 1
    (one course draw under init "course"); any other list of configs would train networks nobody asked for.
    """
    inits = [seeds[0]] if configs[0].init == "course" else list(range(seeds[0], seeds[0] + len(seeds)))
    grid = [(n_h, lr, activation, seed) for n_h, lr, activation in itertools.product(*axes) for seed in inits]
    given = [(config.hidden_units, config.lr, config.activation, config.seed) for config in configs]
    if given != grid:
        raise ValueError(
            "the configs of a sweep must be a grid as config.sweep_grid builds it: every hidden size x learning "
            "rate x activation, each with the seeds seed .. seed + K - 1 (one seed under init 'course'), in that order"
        )


def check_problem(prepared: "Prepared") -> None:
    """The labels of a sweep (sigmoid output) must be 0/1, in the training and the test part."""
    import manual

    manual.checks.check_Y(prepared.Y, prepared.X, "sigmoid")
    if prepared.Y_test is not None:
        manual.checks.check_Y(prepared.Y_test, prepared.X_test, "sigmoid")


def estimate_memory(configs: Sequence["RunConfig"], prepared: "Prepared", *, plots: bool) -> memory.Sizes:
    """memory.estimate's parts for the whole sweep: every network at once, as the compiled program holds them."""
    from .stack import make_layout

    first = configs[0]
    n_x, n_y, m = prepared.X.shape[0], prepared.Y.shape[0], prepared.examples
    m_eval = m + prepared.test_examples
    item = np.dtype(first.dtype).itemsize
    layout, _ = make_layout(
        [config.hidden_units for config in configs], [config.activation for config in configs], n_x, n_y, m
    )
    units = sum((group.stop - group.start) * group.hidden_units for group in layout.groups)
    widest = max(group.hidden_units for group in layout.groups)
    count = len(configs)
    capacity = min(first.chunk, first.iterations)
    width = layout.width
    grid_columns = 0
    if plots and n_x == 2 and n_y == 1:
        from .plots import GRID

        grid_columns = GRID * GRID
    panels = min(count, MAX_PANELS)
    kept = min(first.iterations, LIMIT + 1)
    return {
        "activations": (
            memory.ACTIVATION_COPIES * (units + count * n_y) * m * item,
            "device",
            f"{memory.ACTIVATION_COPIES} x ({units} hidden + {count * n_y} output units of {count} "
            f"networks) x {m} examples x {item} B",
        ),
        "parameters": (
            (memory.PARAMETER_COPIES + 2) * count * width * item,
            "device",
            f"{memory.PARAMETER_COPIES + 2} copies x {count} networks x {width} parameters x {item} B",
        ),
        "data": ((n_x + n_y) * (m + m_eval) * item, "device", f"({n_x} + {n_y}) x {m + m_eval} columns x {item} B"),
        "cost buffer": (
            capacity * count * item * 2 + kept * count * item,
            "device",
            f"{capacity} iterations per chunk x {count} networks x {item} B, twice, and {kept} kept costs each",
        ),
        "evaluation": (
            2 * (units + count * n_y) * m_eval * item + 2 * panels * (widest + n_y) * grid_columns * item,
            "device",
            f"the scores of {count} networks on {m_eval} columns and {panels} boundary panels "
            f"on {grid_columns} grid points",
        ),
        "host data": (
            memory.HOST_DATA_COPIES * 8 * (n_x + n_y) * m_eval,
            "host",
            f"{memory.HOST_DATA_COPIES} x ({n_x} + {n_y}) x {m_eval} examples x 8 B",
        ),
    }


def run_configs(
    configs: Sequence["RunConfig"],
    prepared: "Prepared",
    *,
    progress: "ManyProgress | None" = None,
    should_stop: Callable[[], int | None] | None = None,
    chunk_seconds: float | None = None,
) -> SweepResult:
    """Train the networks of ``configs`` (``config.sweep_grid``: RunConfigs, each already validated) on ``prepared``.

    ``prepared`` is ``data.prepare(configs[0])`` (the split and the
    standardization of the first config's seed). The grid is rebuilt from the
    distinct values of its axes: sweep_grid's product in the same order.
    """
    check_configs(configs)
    first = configs[0]
    seeds = distinct(configs, "seed")
    axes = [distinct(configs, name) for name in ("hidden_units", "lr", "activation")]
    check_is_grid(configs, axes, seeds)
    return run(
        prepared.X,
        prepared.Y,
        hidden_units=axes[0],
        lrs=axes[1],
        activations=axes[2],
        seeds=None if first.init == "course" else len(seeds),
        seed=seeds[0],
        init=first.init,
        iterations=first.iterations,
        gradients=first.gradients,
        dtype=first.dtype,
        chunk=first.chunk,
        X_test=prepared.X_test,
        Y_test=prepared.Y_test,
        progress=progress,
        should_stop=should_stop,
        chunk_seconds=chunk_seconds,
    )


# ---------------------------------------------------------------- what a sweep shows


def _pct(mean: float | None, std: float | None) -> str:
    if mean is None:
        return "-"
    return f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"


def _diverged(row: dict[str, Any]) -> str:
    """The table's cell: '' (none), 'at 137' (the only network), '3 of 8, first at 12'."""
    if not row["diverged"]:
        return ""
    if row["seeds"] == 1:
        return f"at {row['diverged_at'][0]}"
    return f"{row['diverged']} of {row['seeds']}, first at {min(row['diverged_at'])}"


def summary_table(result: SweepResult) -> str:
    """Aligned text: one line per configuration (accuracy mean ± std over seeds), then logistic regression.

    A configuration whose networks all diverged shows "-" for its accuracy and
    "at N" (the iteration) in the diverged column.
    """
    vary = result.varying()
    has_test = result.settings["test_examples"] is not None
    rows = result.summary()
    diverged = [_diverged(row) for row in rows]
    width = max([10] + [len(cell) + 2 for cell in diverged])
    head = {"hidden_units": f"{'hidden units':>12}", "lr": f"{'lr':>8}", "activation": f"{'activation':>16}"}
    lines = [
        "".join(head[name] for name in vary)
        + f"{'seeds':>7}{'train %':>17}"
        + (f"{'test %':>17}" if has_test else "")
        + (f"{'diverged':>{width}}" if any(diverged) else "")
    ]
    for row, cell in zip(rows, diverged):
        cells = {
            "hidden_units": f"{row['hidden_units']:>12}",
            "lr": f"{row['lr']:>8g}",
            "activation": f"{row['activation']:>16}",
        }
        line = (
            "".join(cells[name] for name in vary) + f"{row['seeds']:>7}{_pct(row['train_mean'], row['train_std']):>17}"
        )
        if has_test:
            line += f"{_pct(row['test_mean'], row['test_std']):>17}"
        lines.append((line + (f"{cell:>{width}}" if any(diverged) else "")).rstrip())
    if result.logistic is not None:
        width = sum(len(head[name]) for name in vary) + 7
        line = f"{'logistic regression':<{width}}{result.logistic['train_accuracy']:>17.2f}"
        if has_test:
            line += f"{result.logistic['test_accuracy']:>17.2f}"
        lines.append(line)
    return "\n".join(lines)


def csv_text(result: SweepResult) -> str:
    """sweep.csv: one row per network (and one for logistic regression), columns CSV_COLUMNS."""

    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return f"{value:.10g}" if isinstance(value, float) else str(value)

    lines = [",".join(CSV_COLUMNS)]
    for network in result.networks:
        configuration = network.configuration
        values: tuple[object, ...] = (
            "network",
            configuration.hidden_units,
            configuration.lr,
            configuration.activation,
            network.seed,
            network.iterations,
            network.final_cost,
            network.diverged_at,
            network.train_accuracy,
            network.test_accuracy,
        )
        lines.append(",".join(cell(value) for value in values))
    if result.logistic is not None:
        values = (
            "logistic regression",
            0,
            None,
            None,
            None,
            None,
            None,
            None,
            result.logistic["train_accuracy"],
            result.logistic["test_accuracy"],
        )
        lines.append(",".join(cell(value) for value in values))
    return "\n".join(lines) + "\n"


def json_record(result: SweepResult) -> dict[str, Any]:
    """sweep.json's content: settings, the summary table, every network, the baseline, the timings."""

    def clean(value: object) -> object:
        return None if isinstance(value, float) and math.isnan(value) else value

    networks = [
        {
            **asdict(network.configuration),
            **{name: clean(value) for name, value in asdict(network).items() if name != "configuration"},
        }
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

    X is in the data's own units (the plot's axes); ``scale`` = (mean, std)
    when the networks were trained on standardized features. Each file is
    replaced atomically. Returns the names written.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint.atomic_write(folder / CSV, lambda file: file.write(csv_text(result).encode()))
    text = json.dumps(json_record(result), indent=1, allow_nan=False)
    checkpoint.atomic_write(folder / JSON, lambda file: file.write(text.encode()))
    files = [CSV, JSON]
    if plots:
        from . import plots as plotting

        plotting.accuracy_vs_hidden_units(
            result.summary(), folder / ACCURACY_PNG, vary=result.varying(), baseline=result.logistic
        )
        files.append(ACCURACY_PNG)
        if X.shape[0] == 2 and Y.shape[0] == 1:
            plotting.decision_boundary_grid(boundary_panels(result, X, scale=scale), X, Y, folder / BOUNDARIES_PNG)
            files.append(BOUNDARIES_PNG)
    return files


def write_models(result: SweepResult, configs: Sequence["RunConfig"], prepared: "Prepared", out: PathLike) -> str:
    """Every network's model.npz and summary.json into out/networks/<name>/ (``outputs.write``); returns the folder.

    ``configs`` are the RunConfigs the networks were trained as (``run_configs``' order, the networks' order):
    each model is what ``shallownet train`` with that config would save, so ``predict --model`` reads it.
    """
    from . import checkpoint, outputs

    folder = Path(out) / outputs.NETWORKS
    for k, (network, config, history) in enumerate(zip(result.networks, configs, result.histories)):
        c = network.configuration
        status = "finished" if network.diverged_at is None else "diverged"
        model = outputs.model_of(result.params[k], config, prepared, history, (checkpoint.segment(0, config),), status)
        scores = {"train": network.train_accuracy, "test": network.test_accuracy}
        name = outputs.network_name(k, c.hidden_units, c.lr, c.activation, network.seed)
        outputs.write(folder / name, model, scores)
    return outputs.NETWORKS


def boundary_panels(
    result: SweepResult,
    X: np.ndarray,
    limit: int = MAX_PANELS,
    scale: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(title, xx, yy, predictions) for the first network of each configuration (at most ``limit``).

    The grid covers X (the data's own units; ``scale`` = (mean, std) maps it
    to the features the networks saw). All panels come from one compiled call.
    """
    from .evaluate import forward_many
    from .plots import grid as plot_grid

    chosen = []
    for configuration in result.configurations()[:limit]:
        chosen.append(next(k for k, network in enumerate(result.networks) if network.configuration == configuration))
    xx, yy, G = plot_grid(np.asarray(X, np.float64))
    if scale is not None:
        mean, std = scale
        G = (G - mean) / std
    A2 = forward_many(
        [result.params[k] for k in chosen],
        G,
        activation=[result.networks[k].configuration.activation for k in chosen],
    )
    vary = result.varying()
    panels = []
    for k, network_A2 in zip(chosen, A2):
        network = result.networks[k]
        title = network.configuration.label(vary) + f": {network.train_accuracy:.2f}%"
        panels.append((title, xx, yy, (network_A2[0] > 0.5).astype(np.uint8)))
    return panels


def progress_bar(total: int, desc: str = "sweep") -> tuple[Any, "ManyProgress"]:
    """(bar, update): a tqdm bar over the iterations, moved between compiled chunks; silent off a terminal."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="it", file=sys.stderr, disable=not sys.stderr.isatty(), delay=0.5)

    def update(done: int, costs: np.ndarray) -> None:
        finite = costs[np.isfinite(costs)]
        if finite.size:
            bar.set_postfix(best_cost=f"{finite.min():.6f}", refresh=False)
        bar.update(done - bar.n)

    return bar, update
