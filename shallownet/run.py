"""One run function: what ``shallownet train`` (one config) and ``shallownet sweep`` (a grid) do, end to end.

A sweep is N trainings at once, and a training a sweep of one: the output folder checked (``check_out``),
the data loaded and checked (``check_problem``), the memory estimated for every network at once, the
folder claimed (``Claim``: the lock, a killed save recovered), every network trained in one stack
(``sweep.train_grid``) with a save every ``checkpoint_every`` seconds, on a stop request and at the end
(``outputs.save``). A failed run leaves the files of an earlier run as they were, except for the
checkpoints of its own progress. ``resume=True`` continues what ``out`` holds: a run's settings that
change the problem must match (each difference named), a sweep's grid must be the same; iterations,
learning rate, chunk and checkpoint interval may change (recorded). In float64 a resumed run ends with
exactly the parameters of one never stopped.
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
    settings: Mapping[str, Any] | RunConfig,
    saved: checkpoint.Model,
    out: PathLike,
    again: str = "leave them out to continue, or train into another --out",
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
            f"cannot resume {out}: the saved run has {'; '.join(differences)}; these settings change the "
            f"problem: {again}"
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
        n_x=n_x,
        n_y=n_y,
        n_h=padded,
        m=m,
        m_test=prepared.test_examples,
        evaluated=m + prepared.test_examples + (GRID * GRID if drawn else 0),
        capacity=min(first.chunk, first.iterations - start),
        dtype=first.dtype,
        devices=first.devices,
    )
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


# --------------------------------------------------------------------------- the one run


@dataclasses.dataclass
class Job:
    """One run (a training: ``sweep`` False, one config) or one sweep, as every save of it needs it."""

    out: Path
    configs: list[RunConfig]
    sweep: bool
    plots: bool
    prepared: data.Prepared
    grid: Grid | None
    start: int
    resumed: bool
    changes: dict
    segments: list[tuple]
    memory_bytes: int
    started: float
    timings: dict = dataclasses.field(default_factory=dict)
    saved_iteration: int | None = None  # of this run's last save

    @property
    def config(self) -> RunConfig:
        return self.configs[0]

    def model(self, k: int, params: ParamsLike, history: CostHistory, status: str) -> checkpoint.Model:
        return outputs.model_of(params, self.configs[k], self.prepared, history, self.segments[k], status)

    def save(self, params: list, histories: list, status: str, result: Any = None) -> Any:
        """Every network's model (a network whose history ends early "diverged") and, with the finished
        ``result`` (sweep.SweepResult), its scores, figures and a sweep's table: one ``outputs.save``."""
        done = max(history.done for history in histories)  # a network whose history ends earlier diverged
        statuses = ["diverged" if history.done < done else status for history in histories]
        if result is not None:
            statuses = ["diverged" if n.diverged_at is not None else status for n in result.networks]
        n_x, n_y = self.prepared.X.shape[0], self.prepared.Y.shape[0]
        n_h = max(c.hidden_units for c in self.configs)
        needed = len(self.configs) * outputs.model_bytes(n_x, n_h, n_y, self.config.dtype, not self.sweep)

        def write(staging: Path) -> Any:
            if not self.sweep:
                scores = None if result is None else _scores(result.networks[0])
                return outputs.write_model(
                    staging,
                    self.model(0, params[0], histories[0], status),
                    scores,
                    self.extra,
                    lambda folder: self.figures(folder, histories[0], result),
                )
            for k, name in enumerate(network_names(self.configs)):
                scores = None if result is None else _scores(result.networks[k])
                model = self.model(k, params[k], histories[k], statuses[k])
                outputs.write_model(staging / outputs.NETWORKS / name, model, scores)
            if result is None:
                return [outputs.NETWORKS + "/"]
            scale = (self.prepared.mean, self.prepared.std) if self.config.standardize else None
            X, Y = self.prepared.X_unscaled, self.prepared.Y
            return sweep_module().write_outputs(result, staging, X, Y, plots=self.plots, scale=scale) + [
                outputs.NETWORKS + "/"
            ]

        saved = outputs.save(self.out, self.sweep, needed + (4 << 20 if self.sweep else 0), write)
        self.saved_iteration = done
        return saved

    def figures(self, out: Path, history: CostHistory, result: Any) -> list[str]:
        from . import plots

        iterations, costs = history.arrays()
        every = "" if history.stride == 1 else f", every {history.stride}th iteration"
        title = f"Cost, n_h = {self.config.hidden_units}, lr = {self.config.lr}{every}"
        plots.cost_curve(costs, out / COST_PNG, iterations=iterations, title=title)
        if result is None or self.grid is None:
            return [COST_PNG]  # an old boundary is removed with the save (outputs.MODEL_FILES)
        title = f"Decision boundary, n_h = {self.config.hidden_units} ({self.config.activation})"
        X, Y = self.prepared.X_unscaled, self.prepared.Y
        plots.decision_boundary(*self.grid[:2], result.predictions[0], X, Y, out / BOUNDARY_PNG, title=title)
        return [COST_PNG, BOUNDARY_PNG]

    def extra(self) -> dict[str, Any]:
        """What a run's summary adds to the model's: resume, memory, timings, the device."""
        import jax

        device = jax.devices()[0]
        changes = {k: list(v) for k, v in self.changes.items()}
        before = {"resumed_from": self.start if self.resumed else None, "changed_on_resume": changes}
        after = {
            "memory_estimate_bytes": self.memory_bytes,
            "compile_seconds": self.timings.get("compile_s"),
            "run_seconds": self.timings.get("run_s"),
            "total_seconds": time.perf_counter() - self.started,
            "jax_version": jax.__version__,
            "backend": jax.default_backend(),
            "device": f"{device.platform}:{device.id} {device.device_kind}",
        }
        return {"before": before, "after": after}

    def kept(self, marked: str = "") -> str:
        """What the folder holds after a failed run: the last checkpoint, or what it held before."""
        where = self.out / (outputs.NETWORKS if self.sweep else MODEL)
        if self.saved_iteration is None:
            return f"{where} left as it was"
        return f"{where} holds iteration {self.saved_iteration}, the last checkpoint{marked}"


def sweep_module() -> Any:
    from . import sweep  # matplotlib and the table's code load only when a run gets this far

    return sweep


def network_names(configs: Sequence[RunConfig]) -> list[str]:
    """A sweep's network folders, in grid order."""
    seeds = ["course" if c.init == "course" else c.seed for c in configs]
    return [
        outputs.network_name(k, c.hidden_units, c.lr, c.activation, s) for k, (c, s) in enumerate(zip(configs, seeds))
    ]


def _scores(network: Any) -> dict[str, float | None]:
    return {"train": network.train_accuracy, "test": network.test_accuracy}


def _saved_sweep(
    configs: list[RunConfig], out: Path
) -> tuple[list[RunConfig], dict[str, tuple[Any, Any]], list[checkpoint.Model]]:
    """The networks a sweep saved in ``out``, which must be the grid ``configs`` (each difference refused)."""
    names = network_names(configs)
    folder = out / outputs.NETWORKS
    found = sorted(os.listdir(folder)) if folder.is_dir() else []
    if found != sorted(names):
        missing = sorted(set(names) - set(found)) or sorted(set(found) - set(names))
        raise RunError(
            f"cannot resume {out}: it holds a sweep of another grid ({len(found)} networks saved, {len(names)} "
            f"asked; {missing[0]} differs): give the same grid flags, or sweep into another --out"
        )
    saved = [checkpoint.load(folder / name) for name in names]
    again = "give the sweep's flags unchanged to continue, or sweep into another --out"
    resumed = [resumed_config(config, model, out, again) for config, model in zip(configs, saved)]
    return [config for config, _ in resumed], resumed[0][1], saved


def _configured(
    settings: Any, out: Path, sweep: bool, resume: bool
) -> tuple[list[RunConfig], dict[str, tuple[Any, Any]], int, list[checkpoint.Model] | None]:
    """(the configs, changes on resume, the start iteration, the saved models or None)."""
    if not resume:
        return (settings if sweep else [RunConfig.of(settings)]), {}, 0, None
    if sweep:
        configs, changes, saved = _saved_sweep(settings, out)
    else:
        saved = [checkpoint.load(out / MODEL)]
        config, changes = resumed_config(settings or {}, saved[0], out)
        configs = [config]
    start = max(model.iteration for model in saved)
    if start >= configs[0].iterations:
        where = out / (outputs.NETWORKS if sweep else MODEL)
        raise RunError(f"{where} already has {start} iterations; ask for more with --iterations")
    return configs, changes, start, saved


def _prepared(job: Job, saved: list[checkpoint.Model] | None) -> tuple[list, list, list]:
    """(params, histories, segments) per network to train from: fresh inits, or the saved models'."""
    import manual

    X, Y = job.prepared.X, job.prepared.Y
    if saved is None:
        params = [train.init_params(X.shape[0], c.hidden_units, Y.shape[0], c.seed, c.init) for c in job.configs]
        histories, segments = [CostHistory(LIMIT) for _ in params], [(checkpoint.segment(0, c),) for c in job.configs]
    else:
        params, histories = [s.params for s in saved], [s.history for s in saved]
        # A network that diverged before the others stopped trains no further: no new segment.
        segments = [
            s.segments + (checkpoint.segment(job.start, c),) * (s.iteration == job.start)
            for s, c in zip(saved, job.configs)
        ]
    manual.check_problem(params[0], X, Y, job.config.output)
    return params, histories, segments


def _train(job: Job, params: list, histories: list, progress: Any, requests: Any) -> Any:
    """Every network trained with checkpoints (sweep.train_grid); a stop saves the last chunk (Interrupted)."""
    config, prepared = job.config, job.prepared
    grid = None if job.grid is None else data.standardize(job.grid[2], prepared.mean, prepared.std)
    try:
        return sweep_module().train_grid(
            job.configs,
            prepared.X,
            prepared.Y,
            prepared.X_test,
            prepared.Y_test,
            params=params,
            extra=grid,
            baseline=job.sweep,
            timings=job.timings,
            histories=histories,
            start=job.start,
            progress=None
            if progress is None
            else (lambda done, costs: progress(job.start + done, costs if job.sweep else float(costs[0]))),
            checkpoint=lambda iteration, nets, records: job.save(nets, records, "running"),
            checkpoint_every=config.checkpoint_every,
            should_stop=requests,
            chunk_seconds=min(CHUNK_SECONDS, config.checkpoint_every / 4),
        )
    except atomic.NoSpaceError as e:
        raise _save_failed(job, e) from None
    except train.Interrupted as e:
        where = None
        if e.iteration > job.start:  # nothing new finished: the folder already holds what there is
            job.save(e.params, e.history, "interrupted")
            where = job.out / (outputs.NETWORKS if job.sweep else MODEL)
        raise train.Interrupted(e.iteration, e.params, e.history, where, e.signum, config.iterations) from None


def _save_failed(job: Job, error: OSError) -> RunError:
    """A save found the disk full: the folder keeps the last checkpoint, its summary saying "failed", not "running"."""
    if job.saved_iteration is None or job.sweep:
        return RunError(f"{error}; {job.kept()}")
    marked = ' (summary.json: status "failed")' if outputs.mark_failed(job.out, str(error)) else ""
    return RunError(f"{error}; {job.kept(marked)}")


def _finish(job: Job, result: Any) -> Any:
    """The final save: a run's model, scores and figures, or a sweep's networks and table; a run's network that
    went non-finite is its error instead (RunError; its last finite parameters saved to last_finite.npz)."""
    if not job.sweep and result.networks[0].diverged_at is not None:
        history = result.histories[0]
        diverged = train.Diverged(history.done, result.params[0], history)
        checkpoint.save(job.out / LAST_FINITE, job.model(0, result.params[0], history, "diverged"))
        raise RunError(f"{diverged}: saved to {job.out / LAST_FINITE}; {job.kept()}")
    try:
        saved = job.save(result.params, result.histories, "finished", result)
    except atomic.NoSpaceError as e:
        raise _save_failed(job, e) from None
    if not job.sweep and (job.out / LAST_FINITE).exists():  # an earlier run's divergence, superseded
        os.remove(job.out / LAST_FINITE)
    return saved


def _job(
    settings: Any, out: PathLike, sweep: bool, resume: bool, overwrite: bool, plots: bool
) -> tuple[Job, list[checkpoint.Model] | None]:
    """Everything checked before the folder is claimed: settings, folder, data, memory, disk space."""
    started, command = time.perf_counter(), "sweep" if sweep else "train"
    out = check_out(out)
    if not resume:
        outputs.check_replaceable(out, overwrite, command)
    configs, changes, start, saved = _configured(settings, out, sweep, resume)
    first = configs[0]
    simulate_cpu_devices(first.devices)
    prepared = data.prepare(first, stats=None if saved is None else (saved[0].feature_mean, saved[0].feature_std))
    if saved is not None:
        _check_resumed_data(prepared, saved[0], first)
    check_problem(first, prepared)
    grid = None if sweep else _boundary_grid(first, prepared)
    sizes = estimate_memory(configs, prepared, plots=plots, start=start, baseline=sweep)
    job = Job(out, configs, sweep, plots, prepared, grid, start, resume, changes, [], memory.check(sizes), started)
    n_x, n_y = prepared.X.shape[0], prepared.Y.shape[0]
    atomic.check_space(out, len(configs) * outputs.model_bytes(n_x, first.hidden_units, n_y, first.dtype, not sweep))
    return job, saved


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a run did: ``result`` (sweep.SweepResult: every network's scores), ``summary`` (a training's
    summary.json content) or ``files`` (a sweep's names written), and a stop request that came after training
    (its signal number) or None."""

    result: Any
    summary: dict[str, Any] | None
    files: list[str]
    stop: int | None


def run(
    settings: Any,
    out: PathLike,
    *,
    sweep: bool = False,
    seeds: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    plots: bool = True,
    progress: Callable[[int, Any], object] | None = None,
    on_start: Callable[[RunConfig, int, dict[str, tuple[Any, Any]]], object] | None = None,
) -> Outcome:
    """Train as ``settings`` say into folder ``out``: one network (a RunConfig or a mapping of some of its
    settings), or (``sweep``) every network of ``config.sweep_grid(settings, seeds)``.

    ``resume`` continues what ``out`` holds (a training: ``settings`` are only those asked for,
    ``resumed_config``; a sweep: the same grid). ``progress(done, cost or costs)`` between chunks;
    ``overwrite`` lets a new run replace what ``out`` holds (outputs.Occupied otherwise); ``on_start(config,
    start, changes)`` once everything is checked. Raises config.ConfigError, RunError (bad setting, no room,
    diverged), data.DataError, checkpoint.CheckpointError, memory.TooLarge, train.Interrupted (a stop
    request: the last finished chunk saved; .saved says where, or None).
    """
    signals.check()  # a stop request swallowed while JAX was imported (signals.raising) ends the run here
    if sweep:
        settings = run_config.sweep_grid(settings, seeds=seeds)
    job, saved = _job(settings, out, sweep, resume, overwrite, plots)
    with Claim(job.out):
        if not resume:  # again, under the lock: a run may have finished meanwhile
            outputs.check_replaceable(job.out, overwrite, "sweep" if sweep else "train")
        params, histories, job.segments = _prepared(job, saved)
        if plots:
            threading.Thread(target=_preload_plots, daemon=True).start()
        if on_start is not None:
            on_start(job.config, job.start, job.changes)
        with signals.recorded() as requests:
            result = _train(job, params, histories, progress, requests)
            saved = _finish(job, result)
            stop = requests()
    return Outcome(result, None, saved, stop) if sweep else Outcome(result, saved, saved["files"], stop)


def _preload_plots() -> None:
    """Import matplotlib while the main thread compiles and trains (mostly outside the GIL)."""
    with contextlib.suppress(Exception):
        from . import plots

        plots.preload()


def train_run(settings: Mapping[str, Any] | RunConfig | None, out: PathLike, **options: Any) -> dict[str, Any]:
    """``run`` for one network; returns its summary. A stop request during the final save raises
    train.Interrupted once all is saved."""
    outcome = run(settings, out, **options)
    if outcome.stop is not None:
        history = outcome.result.histories[0]
        total, saved = outcome.result.networks[0].iterations, Path(out) / MODEL
        raise train.Interrupted(history.done, outcome.result.params[0], history, saved, outcome.stop, total)
    assert outcome.summary is not None
    return outcome.summary
