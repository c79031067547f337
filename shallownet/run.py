"""One run module: what ``shallownet train`` (one config) and ``shallownet sweep`` (a grid) do, end to end.

Both go the same way: the output folder checked (``check_out``), the data loaded and checked
(``check_problem``), the memory estimated for every network at once (``estimate_memory``), the folder
claimed (``Claim``: the lock, a killed save recovered), training under recorded stop requests, then the
one output writer (``outputs.save_model``, ``outputs.save_sweep``).

``train_run`` saves every ``checkpoint_every`` seconds (at a chunk boundary; chunks are short in wall
time), on a stop request and at the end: a run never loses more than a few seconds of work. A failed run
leaves the files of an earlier run as they were, except for the checkpoints of its own progress.
``resume=True`` continues the run saved in ``out``: settings that change the problem must match (each
difference is named); iterations, learning rate, chunk and checkpoint interval may change (recorded).
``sweep_run`` writes nothing before its grid has trained (a sweep does not resume).
"""

import contextlib
import dataclasses
import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from manual.typing import ParamsLike

from . import atomic, checkpoint, data, memory, outputs, signals, train
from . import config as run_config
from .config import MUST_MATCH, RunConfig
from .evaluate import forward_batched, score
from .history import LIMIT, CostHistory
from .outputs import BOUNDARY_PNG, COST_PNG, LAST_FINITE, LOCK, MODEL, RUN_FILES

PathLike = str | os.PathLike[str]
Grid = tuple[np.ndarray, np.ndarray, np.ndarray]  # plots.grid: xx, yy (n, n) and the points (2, n*n)
# The longest a compiled call should run: a stop request or a due checkpoint
# waits at most this long for the chunk boundary (a quarter of the checkpoint
# interval when that is shorter).
CHUNK_SECONDS = 0.5


class RunError(ValueError):
    """A run cannot start or finish; the message says why and what was kept."""


# --------------------------------------------------------------------------- the output folder


def check_out(out: PathLike) -> Path:
    """``out`` may be missing or a folder, and must be writable: tried by creating a file (or folder) there,
    removed at once. A save that a kill left half done in ``out`` is finished first (under the lock), so
    what the folder holds is decided on one whole set of files (resume, --overwrite)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunError(f"output folder {out} is an existing file")
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise RunError(f"cannot create output folder {out}: {existing} is a file")
    try:
        if existing == out:
            fd, probe = tempfile.mkstemp(dir=out, prefix=".shallownet-probe-")
            os.close(fd)
            os.remove(probe)
        else:
            os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".shallownet-probe-"))
    except OSError as e:
        where = out if existing == out else f"{existing} (to create {out})"
        raise RunError(f"cannot write to {where}: {e.strerror}; choose another --out") from None
    if (out / atomic.COMMIT).exists():
        with Claim(out):  # recovers
            pass
    return out


class Claim:
    """The output folder, created and locked for this run; a killed save finished or removed (atomic.recover).

    The lock (flock on a hidden file, released by the kernel even on kill -9)
    keeps two runs from writing into one folder at once.
    """

    def __init__(self, out: Path) -> None:
        self.out = out

    def __enter__(self) -> Self:
        self.created = not self.out.exists()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise RunError(f"cannot write to {self.out}: {e.strerror}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            busy = f"another shallownet run is writing to {self.out}; wait for it or choose another --out"
            raise RunError(busy) from None
        except OSError:
            pass  # a file system without locks: go on unlocked
        self.removed = atomic.remove_leftovers(self.out, RUN_FILES) + atomic.recover(self.out)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.created and os.listdir(self.out) == [LOCK]:  # stopped before writing: leave no trace
            with contextlib.suppress(OSError):
                os.remove(self.out / LOCK)
                os.rmdir(self.out)
        os.close(self.fd)


# --------------------------------------------------------------------------- resume


def _same_data(saved: checkpoint.Model, asked: str) -> bool:
    """Whether ``asked`` holds the saved run's data: the content's fingerprint, however the path is spelled
    (relative or absolute, a copy, a link, a gzip copy); a source that cannot be read is not the same."""
    try:
        return data.fingerprint(asked) == saved.fingerprint.sha256
    except data.DataError:
        return False


def resumed_config(
    settings: Mapping[str, Any] | RunConfig, saved: checkpoint.Model, out: PathLike
) -> tuple[RunConfig, dict[str, tuple[Any, Any]]]:
    """(the resumed run's config: the saved one with the settings given that may change, {name: (saved, new)}).

    ``settings``: those explicitly asked for (a RunConfig asks for every one). A MUST_MATCH setting that
    differs from the saved one refuses the resume, naming each difference.
    """
    if isinstance(settings, RunConfig):
        settings = dataclasses.asdict(settings)
    asked = saved.config.replace(**settings) if settings else saved.config  # validates, normalizes types
    differences, changes = [], {}
    for name in settings:
        old, new = getattr(saved.config, name), getattr(asked, name)
        if old == new:
            continue
        # The same data content elsewhere is no difference: it is read from where it is now.
        if run_config.on_resume(name) == MUST_MATCH and not (name == "data" and _same_data(saved, new)):
            differences.append(f"{name} {old!r} (asked {new!r})")
        else:
            changes[name] = (old, new)
    if differences:
        raise RunError(
            f"cannot resume {out}: the saved run has {'; '.join(differences)}; these settings "
            "change the problem: leave them out to continue, or train into another --out"
        )
    return saved.config.replace(**{k: new for k, (_, new) in changes.items()}), changes


def _check_resumed_data(prepared: data.Prepared, saved: checkpoint.Model, config: RunConfig) -> None:
    if prepared.features != saved.features or prepared.labels != saved.labels:
        raise RunError(
            f"the data's columns (features {', '.join(prepared.features)}; labels "
            f"{', '.join(prepared.labels)}) differ from the saved run's ({', '.join(saved.features)}; "
            f"{', '.join(saved.labels)})"
        )
    changed = saved.fingerprint.differences(prepared.fingerprint)
    if changed:
        raise RunError(
            f"cannot resume: the data {config.data} changed since the run started "
            f"({'; '.join(changed)}); train into another --out to use the new data"
        )


# --------------------------------------------------------------------------- checks before training


def simulate_cpu_devices(n: int) -> None:
    """Ask JAX for n CPU devices (simulated) before it starts; no effect once it has started (main() called
    from a test: the count is fixed, and data_mesh says what exists)."""
    if n > 1:
        import jax

        with contextlib.suppress(RuntimeError):
            jax.config.update("jax_num_cpu_devices", n)


def _drawn(config: RunConfig, prepared: data.Prepared) -> bool:
    """Whether a decision boundary can be drawn: 2 features, one sigmoid output."""
    return prepared.X.shape[0] == 2 and prepared.Y.shape[0] == 1 and config.output == "sigmoid"


def _boundary_grid(config: RunConfig, prepared: data.Prepared) -> Grid | None:
    """The plot grid (xx, yy, G raw) when a decision boundary can be drawn."""
    from . import plots as plotting

    return plotting.grid(prepared.X_unscaled) if _drawn(config, prepared) else None


def estimate_memory(
    configs: Sequence[RunConfig], prepared: data.Prepared, *, plots: bool, start: int = 0, baseline: bool = True
) -> memory.Sizes:
    """memory.estimate for every network of a run or a sweep at once (each at its padded size in the
    stack), the evaluation with the boundary grid, and (``baseline``) the logistic regression."""
    from . import logistic
    from .plots import GRID
    from .stack import make_layout

    first = configs[0]
    n_x, n_y, m = prepared.X.shape[0], prepared.Y.shape[0], prepared.examples
    layout, rows = make_layout([c.hidden_units for c in configs], [c.activation for c in configs], n_x, n_y, m)
    padded = [next(g.hidden_units for g in layout.groups if g.start <= row < g.stop) for row in rows]
    drawn = plots and _drawn(first, prepared)
    sizes = memory.estimate(
        n_x=n_x, n_y=n_y, n_h=padded, m=m, m_test=prepared.test_examples,
        evaluated=m + prepared.test_examples + (GRID * GRID if drawn else 0),
        capacity=min(first.chunk, first.iterations - start), dtype=first.dtype, devices=first.devices,
    )  # fmt: skip
    if baseline and logistic.skip_reason(n_x, m) is None:
        how = f"({n_x} + 1) x {m} examples x 2 copies + the ({n_x} + 1)^2 Hessian, x 8 B"
        sizes["logistic baseline"] = (logistic.memory_bytes(n_x, m), "host", how)
    return sizes


def check_problem(config: RunConfig, prepared: data.Prepared) -> None:
    """The labels fit the output (training and test part); every device gets at least one example."""
    import manual

    manual.checks.check_Y(prepared.Y, prepared.X, config.output)
    if prepared.Y_test is not None:
        manual.checks.check_Y(prepared.Y_test, prepared.X_test, config.output)
    if config.devices > prepared.examples:
        raise RunError(
            f"devices (--devices) {config.devices} is more than the {prepared.examples} training "
            "examples; each device needs at least one"
        )


# --------------------------------------------------------------------------- one run's state and saves


def _device() -> dict[str, str]:
    import jax

    device = jax.devices()[0]
    where = f"{device.platform}:{device.id} {device.device_kind}"
    return {"jax_version": jax.__version__, "backend": jax.default_backend(), "device": where}


def _evaluate(
    params: ParamsLike, config: RunConfig, prepared: data.Prepared, grid: Grid | None
) -> tuple[dict[str, float | None], np.ndarray]:
    """Scores on the train (and test) part, and the grid's predictions, from one batched forward pass."""
    parts = [prepared.X] + ([prepared.X_test] if prepared.X_test is not None else [])
    if grid is not None:
        parts.append(data.standardize(grid[2], prepared.mean, prepared.std))
    P = forward_batched(params, np.concatenate(parts, axis=1), config.activation, config.output)
    m, m_test = prepared.examples, prepared.test_examples
    scores = {
        "train": score(P[:, :m], prepared.Y, config.output),
        "test": None if prepared.Y_test is None else score(P[:, m : m + m_test], prepared.Y_test, config.output),
    }
    return scores, P[:, m + m_test :]


def _warm_up(config: RunConfig, prepared: data.Prepared, grid: Grid | None) -> None:
    """Compile the evaluation's forward pass and import matplotlib while the main thread trains.

    Both wait mostly outside the GIL or beside XLA's compile of the training loop, and on a small data set
    they are a large part of a short run. Zeros stand in for the parameters (only the shapes matter). A
    failure here is harmless: the real call compiles again and reports it.
    """
    try:
        from .stack import PARAM_NAMES, shape

        n_h, n_x, n_y = config.hidden_units, prepared.X.shape[0], prepared.Y.shape[0]
        zeros = {name: np.zeros(shape(name, n_h, n_x, n_y), config.dtype) for name in PARAM_NAMES}
        columns = prepared.examples + prepared.test_examples + (0 if grid is None else grid[2].shape[1])
        forward_batched(zeros, np.zeros((n_x, columns)), config.activation, config.output)
        from . import plots

        plots.preload()
    except Exception:
        pass


@dataclasses.dataclass
class _Run:
    """What every save of one run needs besides the parameters and the history."""

    out: Path
    config: RunConfig
    prepared: data.Prepared
    grid: Grid | None
    start: int
    resumed: bool
    changes: dict
    segments: tuple
    memory_bytes: int
    timings: dict
    started: float
    saved_iteration: int | None = None  # of this run's last save

    def model(self, params: ParamsLike, history: CostHistory, status: str) -> checkpoint.Model:
        return outputs.model_of(params, self.config, self.prepared, history, self.segments, status)

    def save(
        self, params: ParamsLike, history: CostHistory, status: str, scores: dict[str, float | None] | None = None,
        grid_predictions: np.ndarray | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """outputs.save_model: model.npz, cost.png (and decision_boundary.png when finished), summary.json.

        A plot that cannot describe this model (the boundary before the end) is removed.
        """

        def figures(folder: Path) -> list:
            return self.figures(folder, history, status == "finished", grid_predictions)

        summary = outputs.save_model(self.out, self.model(params, history, status), scores, self.extra, figures)
        self.saved_iteration = history.done
        return summary

    def figures(self, out: Path, history: CostHistory, finished: bool, grid_predictions: np.ndarray | None) -> list:
        from . import plots

        iterations, costs = history.arrays()
        every = "" if history.stride == 1 else f", every {history.stride}th iteration"
        title = f"Cost, n_h = {self.config.hidden_units}, lr = {self.config.lr}{every}"
        plots.cost_curve(costs, out / COST_PNG, iterations=iterations, title=title)
        if finished and self.grid is not None and grid_predictions is not None:
            xx, yy, _ = self.grid
            title = f"Decision boundary, n_h = {self.config.hidden_units} ({self.config.activation})"
            X, Y = self.prepared.X_unscaled, self.prepared.Y
            plots.decision_boundary(xx, yy, grid_predictions, X, Y, out / BOUNDARY_PNG, title=title)
            return [COST_PNG, BOUNDARY_PNG]
        return [COST_PNG]  # an old boundary is removed with the save (outputs.MODEL_FILES)

    def extra(self) -> dict[str, Any]:
        """What a run's summary adds to the model's: resume, memory, timings, the device."""
        changes = {k: list(v) for k, v in self.changes.items()}
        before = {"resumed_from": self.start if self.resumed else None, "changed_on_resume": changes}
        after = {"memory_estimate_bytes": self.memory_bytes, "compile_seconds": self.timings.get("compile_s"),
                 "run_seconds": self.timings.get("run_s"), "total_seconds": time.perf_counter() - self.started,
                 **_device()}  # fmt: skip
        return {"before": before, "after": after}


def _fit(
    params: ParamsLike, run: _Run, history: CostHistory, progress: train.Progress | None, requests: signals.Requests
) -> tuple[Any, np.ndarray]:
    """train() on one device or, sharding the examples, on several, with checkpoints."""
    config, start = run.config, run.start
    return train.train(
        params, run.prepared.X, run.prepared.Y, activation=config.activation, output=config.output,
        gradients=config.gradients, lr=config.lr, iterations=config.iterations - start,
        chunk=min(config.chunk, config.iterations - start), dtype=config.dtype, start_iteration=start,
        history=history, devices=config.devices if config.devices > 1 else None, timings=run.timings,
        progress=None if progress is None else (lambda done, cost: progress(start + done, cost)),
        checkpoint=lambda iteration, params, history: run.save(params, history, "running"),
        checkpoint_every=config.checkpoint_every, should_stop=requests,
        chunk_seconds=min(CHUNK_SECONDS, config.checkpoint_every / 4),
    )  # fmt: skip


def _configured(
    settings: Mapping[str, Any] | RunConfig | None, out: Path, resume: bool
) -> tuple[RunConfig, dict[str, tuple[Any, Any]], int, checkpoint.Model | None]:
    """(config, changes on resume, start iteration, the saved model or None)."""
    if not resume:
        return RunConfig.of(settings), {}, 0, None
    saved = checkpoint.load(out / MODEL)
    config, changes = resumed_config(settings or {}, saved, out)
    if saved.iteration >= config.iterations:
        raise RunError(f"{out / MODEL} already has {saved.iteration} iterations; ask for more with --iterations")
    return config, changes, saved.iteration, saved


def _starting_point(
    config: RunConfig, prepared: data.Prepared, saved: checkpoint.Model | None
) -> tuple[ParamsLike, CostHistory, tuple]:
    """(params, history, segments) to train from: a fresh init, or the saved run's."""
    import manual

    if saved is None:
        n_x, n_y = prepared.X.shape[0], prepared.Y.shape[0]
        params: ParamsLike = train.init_params(n_x, config.hidden_units, n_y, config.seed, config.init)
        history, segments = CostHistory(LIMIT), (checkpoint.segment(0, config),)
    else:
        params, history = saved.params, saved.history
        segments = saved.segments + (checkpoint.segment(saved.iteration, config),)
    manual.check_problem(params, prepared.X, prepared.Y, config.output)
    return params, history, segments


def _kept(run: _Run, marked: str = "") -> str:
    """What the folder holds after a failed run: the last checkpoint, or what it held before."""
    if run.saved_iteration is None:
        return f"{run.out / MODEL} left as it was"
    return f"{run.out / MODEL} holds iteration {run.saved_iteration}, the last checkpoint{marked}"


def _save_failed(run: _Run, error: OSError) -> RunError:
    """A save found the disk full: the folder keeps the last checkpoint, its summary saying "failed", not "running"."""
    if run.saved_iteration is None:
        return RunError(f"{error}; {run.out} left as it was")
    marked = ' (summary.json: status "failed")' if outputs.mark_failed(run.out, str(error)) else ""
    return RunError(f"{error}; {_kept(run, marked)}")


def _train_and_save(params: ParamsLike, run: _Run, history: CostHistory, progress: Any, requests: Any) -> Any:
    """Train with checkpoints; a divergence saves last_finite.npz (RunError), a stop the last chunk (Interrupted)."""
    out, config = run.out, run.config
    try:
        trained, _ = _fit(params, run, history, progress, requests)
        return trained
    # train() extends ``history`` itself: the exceptions' .history is this same CostHistory.
    except train.Diverged as e:
        checkpoint.save(out / LAST_FINITE, run.model(e.params, history, "diverged"))
        raise RunError(f"{e}: saved to {out / LAST_FINITE}; {_kept(run)}") from None
    except atomic.NoSpaceError as e:
        raise _save_failed(run, e) from None
    except train.Interrupted as e:
        where = None
        if e.iteration > run.start:  # nothing new finished: model.npz already holds what there is
            run.save(e.params, history, "interrupted")
            where = out / MODEL
        raise train.Interrupted(
            e.iteration, e.params, e.history, saved=where, signum=e.signum, total=config.iterations
        ) from None


def train_run(
    settings: Mapping[str, Any] | RunConfig | None, out: PathLike, *, resume: bool = False, overwrite: bool = False,
    progress: train.Progress | None = None,
    on_start: Callable[[RunConfig, int, dict[str, tuple[Any, Any]]], object] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Train as ``settings`` (a RunConfig, or a mapping of some of its settings) say, into folder ``out``.

    Returns the summary (also written to summary.json). resume=True continues the run saved in ``out``;
    then ``settings`` are only those explicitly asked for (``resumed_config``). ``progress(done, cost)``
    gets the total iteration count between chunks; ``overwrite`` lets a new run replace a model in ``out``
    (outputs.Occupied otherwise); ``on_start(config, start, changes)`` is called once everything is checked.
    Raises config.ConfigError, RunError (bad setting, no room, diverged: the last finite parameters go to
    last_finite.npz), data.DataError, checkpoint.CheckpointError, memory.TooLarge, train.Interrupted (a stop
    request: model.npz holds the last finished chunk; .saved says whether one was saved, .signum which signal).
    """
    started = time.perf_counter()
    signals.check()  # a stop request swallowed while JAX was imported (signals.raising) ends the run here
    out = check_out(out)
    if not resume:
        outputs.check_replaceable(out, overwrite)
    config, changes, start, saved = _configured(settings, out, resume)
    simulate_cpu_devices(config.devices)
    prepared = data.prepare(config, stats=None if saved is None else (saved.feature_mean, saved.feature_std))
    if saved is not None:
        _check_resumed_data(prepared, saved, config)
    check_problem(config, prepared)
    grid = _boundary_grid(config, prepared)
    memory_bytes = memory.check(estimate_memory([config], prepared, plots=True, start=start, baseline=False))
    params, history, segments = _starting_point(config, prepared, saved)
    n_x, n_y = prepared.X.shape[0], prepared.Y.shape[0]
    atomic.check_space(out, outputs.model_bytes(n_x, config.hidden_units, n_y, config.dtype))  # before any work
    with Claim(out):
        if not resume:
            outputs.check_replaceable(out, overwrite)  # again, under the lock: a run may have finished meanwhile
        run = _Run(out, config, prepared, grid, start, resume, changes, segments, memory_bytes, {}, started)
        threading.Thread(target=_warm_up, args=(config, prepared, grid), daemon=True).start()
        if on_start is not None:
            on_start(config, start, changes)
        with signals.recorded() as requests:
            params = _train_and_save(params, run, history, progress, requests)
            return _finish(params, run, history, requests)


def _finish(params: ParamsLike, run: _Run, history: CostHistory, requests: signals.Requests) -> dict[str, Any]:
    """The final save (scores, the boundary); a stop asked for meanwhile is reported after it (Interrupted)."""
    scores, grid_predictions = _evaluate(params, run.config, run.prepared, run.grid)
    try:
        summary = run.save(params, history, "finished", scores, grid_predictions)
    except atomic.NoSpaceError as e:
        raise _save_failed(run, e) from None
    if (run.out / LAST_FINITE).exists():  # an earlier run's divergence, superseded by this model
        os.remove(run.out / LAST_FINITE)
    stop = requests()
    if stop is not None:  # asked to stop during the last chunk or the final save: all is saved
        total = run.config.iterations
        raise train.Interrupted(history.done, params, history, saved=run.out / MODEL, signum=stop, total=total)
    return summary


def sweep_run(
    settings: Mapping[str, Any], out: PathLike, *, seeds: int | None = None, plots: bool = True,
    overwrite: bool = False, progress: Any = None,
) -> tuple[Any, list[str], int | None]:  # fmt: skip
    """What ``shallownet sweep`` does: every network of ``config.sweep_grid(settings, seeds)`` trained at once.

    The same checks as a run before anything is compiled; then the table's files and every network's model
    into ``out`` in one save after training, under the folder's lock (a folder holding a sweep's results
    needs ``overwrite``). Returns (SweepResult, the names written, the signal of a stop request that came
    after training or None). A stop request during training raises train.Interrupted (nothing written).
    """
    from . import sweep

    signals.check()  # as in train_run
    configs = run_config.sweep_grid(settings, seeds=seeds)
    out = check_out(out)
    outputs.check_replaceable(out, overwrite, "sweep")
    prepared = data.prepare(configs[0])
    check_problem(configs[0], prepared)
    memory.check(estimate_memory(configs, prepared, plots=plots))
    with Claim(out):  # two sweeps (or a sweep and a run) never write into one folder at once
        outputs.check_replaceable(out, overwrite, "sweep")
        with signals.recorded() as requests:
            result = sweep.run_configs(
                configs, prepared, progress=progress, should_stop=requests, chunk_seconds=CHUNK_SECONDS
            )
            files = outputs.save_sweep(out, result, configs, prepared, plots)
    return result, files, requests()
