"""A sweep: every configuration (hidden size x learning rate x activation x seed) trained at once, and what it shows.

``run`` builds the networks of the grid, trains them all in one compiled
program (``shallownet.many.train_many``), scores each on the training set (and
on a test set when one is given) and fits the logistic-regression baseline.
Its ``SweepResult`` gives the table (mean and standard deviation over the
seeds of each configuration), ``write_outputs`` writes sweep.csv (one row per
network), sweep.json, a plot of accuracy against hidden size and the course's
grid of decision boundaries (one panel per configuration, 2-D data).

By default each size starts from the course's init (legacy seed 2, as its
nn_model does), in float64, so the table reproduces the course's published
one. ``seeds=K`` (with init="random") trains K random inits per configuration.
"""
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import manual

from . import checkpoint, logistic, many, train

CSV, JSON, ACCURACY_PNG, BOUNDARIES_PNG = "sweep.csv", "sweep.json", "accuracy.png", "decision_boundaries.png"
CSV_COLUMNS = ("model", "hidden_units", "lr", "activation", "seed", "iterations", "final_cost", "diverged_at",
               "train_accuracy", "test_accuracy")
MAX_PANELS = 24


@dataclass(frozen=True)
class Configuration:
    """What differs between the networks of a sweep, apart from the init."""
    hidden_units: int
    lr: float
    activation: str

    def label(self, vary=("hidden_units", "lr", "activation")):
        parts = {"hidden_units": f"n_h = {self.hidden_units}", "lr": f"lr {self.lr:g}", "activation": self.activation}
        return ", ".join(parts[k] for k in vary)


@dataclass(frozen=True)
class Network:
    """One trained network of a sweep: its configuration, its init, and how it did."""
    configuration: Configuration
    seed: object            # an int, or "course" for the course's own draw
    iterations: int         # steps taken
    final_cost: float       # J before the last step taken (NaN when none was)
    diverged_at: object     # the iteration at which a step went non-finite, or None
    train_accuracy: float
    test_accuracy: object   # None without a test set


@dataclass(frozen=True)
class SweepResult:
    settings: dict
    networks: list
    params: list            # W1 b1 W2 b2 per network, in the order of ``networks``
    logistic: dict          # {"train_accuracy", "test_accuracy"}, or None

    def configurations(self):
        """The distinct configurations in sweep order."""
        return list(dict.fromkeys(n.configuration for n in self.networks))

    def summary(self):
        """One dict per configuration: seeds, diverged, train/test accuracy mean and std over the seeds.

        Diverged networks are counted and left out of the mean and std (their
        last finite parameters are not a trained network); std is the sample
        standard deviation (ddof = 1), None for a single seed.
        """
        rows = []
        for configuration in self.configurations():
            members = [n for n in self.networks if n.configuration == configuration]
            kept = [n for n in members if n.diverged_at is None]
            row = {**asdict(configuration), "seeds": len(members), "diverged": len(members) - len(kept)}
            for part in ("train", "test"):
                values = [getattr(n, f"{part}_accuracy") for n in kept]
                values = [v for v in values if v is not None]
                row[f"{part}_mean"] = float(np.mean(values)) if values else None
                row[f"{part}_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else None
            rows.append(row)
        return rows

    def varying(self):
        """The configuration fields that take more than one value (hidden_units always)."""
        configurations = self.configurations()
        return ["hidden_units"] + [k for k in ("lr", "activation")
                                   if len({getattr(c, k) for c in configurations}) > 1]


def grid(hidden_units, lrs=(1.2,), activations=("tanh",)):
    """The configurations of a sweep, hidden size outermost: [Configuration]."""
    return [Configuration(int(n_h), float(lr), str(a)) for n_h in hidden_units for lr in lrs for a in activations]


def seed_list(init, seeds, seed):
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


def check_grid(hidden_units, lrs, activations):
    if not hidden_units:
        raise ValueError("no hidden sizes to sweep")
    for n_h in hidden_units:
        if int(n_h) != n_h or n_h < 1:
            raise ValueError(f"hidden sizes must be integers >= 1, got {n_h}")
    for lr in lrs:
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rates must be positive numbers, got {lr}")
    for a in activations:
        manual.parse_activation(a)


def run(X, Y, *, hidden_units, lrs=(1.2,), activations=("tanh",), seeds=None, seed=0, init="course",
        iterations=5000, gradients="manual", dtype="float64", chunk=1000, X_test=None, Y_test=None,
        progress=None, baseline=True, timings=None):
    """Train the whole grid at once; returns a SweepResult.

    X (n_x, m), Y (n_y, m) with 0/1 labels (sigmoid output). ``progress(done,
    last_costs)`` is called between compiled chunks. ``baseline`` adds the
    logistic-regression row. ``timings`` (a dict) receives train_many's
    compile_s and run_s.
    """
    check_grid(hidden_units, lrs, activations)
    inits = seed_list(init, seeds, seed)
    n_x, n_y = X.shape[0], Y.shape[0]
    configurations = grid(hidden_units, lrs, activations)
    members = [(c, s) for c in configurations for s in inits]
    params = [train.init_params(n_x, c.hidden_units, n_y, 0 if s == "course" else s, "random" if s != "course"
                                else "course") for c, s in members]
    X, Y = np.asarray(X, dtype), np.asarray(Y, dtype)
    result = many.train_many(params, X, Y, lr=[c.lr for c, _ in members],
                             activation=[c.activation for c, _ in members], output="sigmoid",
                             gradients=gradients, iterations=iterations, chunk=chunk, dtype=dtype,
                             progress=progress, timings=timings)
    train_acc = accuracies(result.params, X, Y, [c.activation for c, _ in members], dtype)
    test_acc = [None] * len(members)
    if X_test is not None:
        X_test, Y_test = np.asarray(X_test, dtype), np.asarray(Y_test, dtype)
        test_acc = accuracies(result.params, X_test, Y_test, [c.activation for c, _ in members], dtype)
    networks = []
    for k, (c, s) in enumerate(members):
        steps = int(result.steps[k])
        networks.append(Network(c, s, steps, float(result.costs[k, steps - 1]) if steps else math.nan,
                                result.diverged_at[k], train_acc[k], test_acc[k]))
    baseline_row = None
    if baseline:
        model = logistic.fit(X, Y)
        baseline_row = {"train_accuracy": logistic.accuracy(model, X, Y),
                        "test_accuracy": None if X_test is None else logistic.accuracy(model, X_test, Y_test)}
    settings = {"hidden_units": [int(n) for n in hidden_units], "lrs": [float(v) for v in lrs],
                "activations": list(activations), "init": init, "seeds": inits, "iterations": iterations,
                "gradients": gradients, "dtype": str(np.dtype(dtype)), "chunk": chunk,
                "examples": int(X.shape[1]), "test_examples": None if X_test is None else int(X_test.shape[1])}
    return SweepResult(settings, networks, result.params, baseline_row)


def accuracies(params, X, Y, activations, dtype):
    """Percent of correct 0/1 predictions (A2 > 0.5) per network, all networks in one compiled call."""
    A2 = many.predict(params, X, activation=activations, dtype=dtype)
    return [float(100.0 * np.mean((a > 0.5) == (np.asarray(Y) > 0.5))) for a in A2]


# ---------------------------------------------------------------- what a sweep shows

def _pct(mean, std):
    if mean is None:
        return "-"
    return f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"


def summary_table(result):
    """Aligned text: one line per configuration (accuracy mean ± std over seeds), then logistic regression."""
    vary = result.varying()
    has_test = result.settings["test_examples"] is not None
    head = {"hidden_units": f"{'hidden units':>12}", "lr": f"{'lr':>8}", "activation": f"{'activation':>16}"}
    lines = ["".join(head[k] for k in vary) + f"{'seeds':>7}{'train %':>17}" + (f"{'test %':>17}" if has_test else "")
             + f"{'diverged':>10}"]
    for row in result.summary():
        cells = {"hidden_units": f"{row['hidden_units']:>12}", "lr": f"{row['lr']:>8g}",
                 "activation": f"{row['activation']:>16}"}
        line = "".join(cells[k] for k in vary) + f"{row['seeds']:>7}{_pct(row['train_mean'], row['train_std']):>17}"
        if has_test:
            line += f"{_pct(row['test_mean'], row['test_std']):>17}"
        lines.append(line + f"{row['diverged'] or '':>10}")
    if result.logistic is not None:
        width = sum(len(head[k]) for k in vary) + 7
        line = f"{'logistic regression':<{width}}{result.logistic['train_accuracy']:>17.2f}"
        if has_test:
            line += f"{result.logistic['test_accuracy']:>17.2f}"
        lines.append(line)
    return "\n".join(lines)


def csv_text(result):
    """sweep.csv: one row per network (and one for logistic regression), columns CSV_COLUMNS."""
    def cell(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return f"{v:.10g}" if isinstance(v, float) else str(v)

    lines = [",".join(CSV_COLUMNS)]
    for n in result.networks:
        c = n.configuration
        values = ("network", c.hidden_units, c.lr, c.activation, n.seed, n.iterations, n.final_cost,
                  n.diverged_at, n.train_accuracy, n.test_accuracy)
        lines.append(",".join(cell(v) for v in values))
    if result.logistic is not None:
        values = ("logistic regression", 0, None, None, None, None, None, None,
                  result.logistic["train_accuracy"], result.logistic["test_accuracy"])
        lines.append(",".join(cell(v) for v in values))
    return "\n".join(lines) + "\n"


def json_record(result):
    """sweep.json's content: settings, the summary table, every network, the baseline."""
    def clean(v):
        return None if isinstance(v, float) and math.isnan(v) else v

    networks = [{**asdict(n.configuration), **{k: clean(v) for k, v in asdict(n).items() if k != "configuration"}}
                for n in result.networks]
    return {"settings": result.settings, "summary": result.summary(), "networks": networks,
            "logistic_regression": result.logistic}


def write_outputs(result, out, X, Y, *, plots=True):
    """Write sweep.csv, sweep.json and (plots=True) accuracy.png and, for 2-D data, decision_boundaries.png.

    Each file is replaced atomically. Returns the names written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoint.atomic_write(out / CSV, lambda f: f.write(csv_text(result).encode()))
    text = json.dumps(json_record(result), indent=1, allow_nan=False)
    checkpoint.atomic_write(out / JSON, lambda f: f.write(text.encode()))
    files = [CSV, JSON]
    if plots:
        from . import plots as plotting

        plotting.accuracy_vs_hidden_units(result.summary(), out / ACCURACY_PNG, vary=result.varying(),
                                          baseline=result.logistic)
        files.append(ACCURACY_PNG)
        if X.shape[0] == 2 and Y.shape[0] == 1:
            plotting.decision_boundary_grid(boundary_panels(result, X), X, Y, out / BOUNDARIES_PNG)
            files.append(BOUNDARIES_PNG)
    return files


def boundary_panels(result, X, limit=MAX_PANELS):
    """(title, xx, yy, predictions) for the first network of each configuration (at most ``limit``).

    The grid's predictions of all panels come from one compiled call.
    """
    from .plots import grid as plot_grid

    chosen = []
    for configuration in result.configurations()[:limit]:
        chosen.append(next(k for k, n in enumerate(result.networks) if n.configuration == configuration))
    xx, yy, G = plot_grid(np.asarray(X, np.float64))
    dtype = result.settings["dtype"]
    A2 = many.predict([result.params[k] for k in chosen], G,
                      activation=[result.networks[k].configuration.activation for k in chosen], dtype=dtype)
    vary = result.varying()
    panels = []
    for k, a in zip(chosen, A2):
        n = result.networks[k]
        title = n.configuration.label(vary) + f": {n.train_accuracy:.2f}%"
        panels.append((title, xx, yy, (a[0] > 0.5).astype(np.uint8)))
    return panels


def progress_bar(total, desc="sweep"):
    """(bar, update): a tqdm bar over the iterations, moved between compiled chunks; silent off a terminal."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="it", file=sys.stderr, disable=not sys.stderr.isatty(), delay=0.5)

    def update(done, costs):
        finite = costs[np.isfinite(costs)]
        if finite.size:
            bar.set_postfix(best_cost=f"{finite.min():.6f}", refresh=False)
        bar.update(done - bar.n)

    return bar, update


# ---------------------------------------------------------------- the current CLI's entry point

def hidden_sizes(X, Y, sizes, *, iterations=5000, lr=1.2, activation="tanh", gradients="manual",
                 dtype="float64", init="course", seed=0, chunk=1000):
    """Training accuracy (%) per hidden size, then logistic regression: list of (name, n_h, accuracy).

    All sizes train at once (``run``); the rows are what ``table`` prints.
    """
    bar, update = progress_bar(iterations)
    try:
        result = run(X, Y, hidden_units=list(sizes), lrs=(lr,), activations=(activation,), seed=seed, init=init,
                     iterations=iterations, gradients=gradients, dtype=dtype, chunk=chunk, progress=update)
    finally:
        bar.close()
    rows = [(f"n_h = {row['hidden_units']}", row["hidden_units"],
             row["train_mean"] if row["train_mean"] is not None else math.nan) for row in result.summary()]
    rows.append(("logistic regression", 0, result.logistic["train_accuracy"]))
    return rows


def train_each(configs, X, Y):
    """Training accuracy (%) of each RunConfig (None: diverged), then logistic regression, all trained at once.

    Rows (name, n_h, accuracy) for ``table``; the name shows the settings that
    vary across ``configs`` (``config.sweep_grid``: hidden sizes x seeds x
    learning rates). The configs share the data and every setting that is not
    a grid axis (iterations, gradients, dtype, chunk), as sweep_grid makes them.
    """
    first = configs[0]
    shared = ("iterations", "gradients", "dtype", "chunk", "output")
    for c in configs:
        differ = [k for k in shared if getattr(c, k) != getattr(first, k)]
        if differ:
            raise ValueError(f"the networks of one sweep must share {', '.join(differ)}")
    X, Y = np.asarray(X, first.dtype), np.asarray(Y, first.dtype)
    params = [train.init_params(X.shape[0], c.hidden_units, Y.shape[0], c.seed, c.init) for c in configs]
    activations = [c.activation for c in configs]
    bar, update = progress_bar(first.iterations)
    try:
        result = many.train_many(params, X, Y, lr=[c.lr for c in configs], activation=activations, output="sigmoid",
                                 gradients=first.gradients, iterations=first.iterations,
                                 chunk=min(first.chunk, first.iterations), dtype=first.dtype, progress=update)
    finally:
        bar.close()
    train_accuracy = accuracies(result.params, X, Y, activations, first.dtype)
    varied = [k for k in ("lr", "seed", "activation") if len({getattr(c, k) for c in configs}) > 1]
    rows = []
    for k, c in enumerate(configs):
        name = f"n_h = {c.hidden_units}" + "".join(f", {v} = {getattr(c, v)}" for v in varied)
        rows.append((name, c.hidden_units, None if result.diverged_at[k] is not None else train_accuracy[k]))
    model = logistic.fit(X, Y)
    return rows + [("logistic regression", 0, logistic.accuracy(model, X, Y))]


def table(rows):
    """Aligned text table of ``hidden_sizes``/``train_each`` rows: model, hidden units, accuracy ("diverged": None)."""
    width = max([22] + [len(name) + 2 for name, _, _ in rows])
    lines = [f"{'model':<{width}}{'hidden units':>14}{'accuracy %':>12}"]
    lines += [f"{name:<{width}}{n_h:>14}" + (f"{'diverged':>12}" if acc is None or acc != acc else f"{acc:>12.2f}")
              for name, n_h, acc in rows]
    return "\n".join(lines)
