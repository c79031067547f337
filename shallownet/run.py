"""The one run function: ``shallownet train`` (one config) and ``shallownet sweep`` (a grid of configs).

A sweep is N trainings in one stack, a training a sweep of one. Everything is checked before anything
compiles (folder, data, memory, disk); the folder is claimed (``Claim``: a lock, a killed save finished);
every network trains at once (``sweep.train_grid``), saved every ``checkpoint_every`` seconds, on a stop
and at the end (``outputs.save``, one journal commit for all networks). ``resume`` continues what the
folder holds: in float64, exactly what a run never stopped computes. A failed run leaves the files of an
earlier run as they were, but for the checkpoints of its own progress.
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

import jax

import manual

from . import atomic, checkpoint, data, logistic, memory, outputs, signals, train
from . import config as run_config
from . import plots as plotting
from . import sweep as grids  # (``sweep`` names a run's kind here)
from .config import MUST_MATCH, RunConfig
from .history import LIMIT, CostHistory
from .outputs import BOUNDARY_PNG, COST_PNG, LAST_FINITE, LOCK, MODEL, NETWORKS, RUN_FILES
from .stack import make_layout

PathLike = str | os.PathLike[str]
# The longest a compiled call runs: a stop request or a due checkpoint waits at most this long (a quarter
# of the checkpoint interval when that is shorter).
CHUNK_SECONDS = 0.5


class RunError(ValueError):
    """A run cannot start or finish; the message says why and what was kept."""


def check_out(out: PathLike) -> Path:
    """``out``, a folder that exists or can be made, probed for writing; a save a kill left in it finished."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunError(f"output folder {out} is an existing file")
    existing = next(path for path in (out, *out.parents) if path.exists())
    if not existing.is_dir():
        raise RunError(f"cannot create output folder {out}: {existing} is a file")
    try:
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".shallownet-probe-"))
    except OSError as e:
        where = out if existing == out else f"{existing} (to create {out})"
        raise RunError(f"cannot write to {where}: {e.strerror}; choose another --out") from None
    if (out / atomic.COMMIT).exists():
        with Claim(out):  # so that what the folder holds is decided on one whole set (resume, --overwrite)
            pass
    return out


class Claim:
    """The output folder, created and locked (flock: released by the kernel even on kill -9), so that two
    runs never write into one folder; a killed save in it finished or removed (``atomic.recover``)."""

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
        atomic.remove_leftovers(self.out, RUN_FILES)
        atomic.recover(self.out)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.created and os.listdir(self.out) == [LOCK]:  # stopped before writing: leave no trace
            with contextlib.suppress(OSError):
                os.remove(self.out / LOCK)
                os.rmdir(self.out)
        os.close(self.fd)


def resumed_config(
    settings: Mapping[str, Any] | RunConfig, saved: checkpoint.Model, out: PathLike, again: str = ""
) -> tuple[RunConfig, dict[str, tuple[Any, Any]]]:
    """(the saved config with the settings asked for that may change, {name: (saved, new)}).

    ``settings``: those asked for (a RunConfig asks for all). A MUST_MATCH setting that differs refuses
    the resume, naming each difference; the same data content under another path is no difference.
    """
    if isinstance(settings, RunConfig):
        settings = dataclasses.asdict(settings)
    asked = saved.config.replace(**settings)  # validates, normalizes types
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
        again = again or "leave them out to continue, or train into another --out"
        raise RunError(
            f"cannot resume {out}: the saved run has {'; '.join(differences)}; these settings change the "
            f"problem: {again}"
        )
    return saved.config.replace(**{k: new for k, (_, new) in changes.items()}), changes


def _same_data(saved: checkpoint.Model, asked: str) -> bool:
    """Whether ``asked`` holds the saved run's data (its content's fingerprint: a copy, a link, a gzip copy)."""
    try:
        return data.fingerprint(asked) == saved.fingerprint.sha256
    except data.DataError:
        return False


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


def estimate_memory(
    configs: Sequence[RunConfig], prepared: data.Prepared, *, start: int = 0, sweep: bool = True
) -> memory.Sizes:
    """memory.estimate for every network at once (each at its padded size in the stack), the evaluation in the
    training's program (a training's with its decision boundary's grid), and a sweep's logistic regression."""
    first, n_x, n_y, m = configs[0], prepared.X.shape[0], prepared.Y.shape[0], prepared.examples
    layout, rows = make_layout([c.hidden_units for c in configs], [c.activation for c in configs], n_x, n_y, m)
    padded = [next(g.hidden_units for g in layout.groups if g.start <= row < g.stop) for row in rows]
    evaluated = m + prepared.test_examples + (plotting.GRID**2 if not sweep and _drawn(first, prepared) else 0)
    shape: dict[str, Any] = {"n_x": n_x, "n_y": n_y, "n_h": padded, "m": m, "m_test": prepared.test_examples}
    run = {"evaluated": evaluated, "capacity": min(first.chunk, first.iterations - start), "devices": first.devices}
    sizes = memory.estimate(**shape, **run, dtype=first.dtype)
    if sweep and logistic.skip_reason(n_x, m) is None:
        how = f"({n_x} + 1) x {m} examples x 2 copies + the ({n_x} + 1)^2 Hessian, x 8 B"
        sizes["logistic baseline"] = (logistic.memory_bytes(n_x, m), "host", how)
    return sizes


def _drawn(config: RunConfig, prepared: data.Prepared) -> bool:
    """Whether a decision boundary can be drawn: 2 features, one sigmoid output."""
    return prepared.X.shape[0] == 2 and prepared.Y.shape[0] == 1 and config.output == "sigmoid"


def check_problem(config: RunConfig, prepared: data.Prepared) -> None:
    """The labels fit the output (training and test part); every device gets at least one example."""
    if config.devices > 1:  # simulated CPU devices, asked for before JAX starts (no effect once it has)
        with contextlib.suppress(RuntimeError):
            jax.config.update("jax_num_cpu_devices", config.devices)
    manual.checks.check_Y(prepared.Y, prepared.X, config.output)
    if prepared.Y_test is not None:
        manual.checks.check_Y(prepared.Y_test, prepared.X_test, config.output)
    if config.devices > prepared.examples:
        raise RunError(
            f"devices (--devices) {config.devices} is more than the {prepared.examples} training "
            "examples; each device needs at least one"
        )


def network_names(configs: Sequence[RunConfig]) -> list[str]:
    """A sweep's network folders, in grid order."""
    return [outputs.network_name(k, c, "course" if c.init == "course" else c.seed) for k, c in enumerate(configs)]


@dataclasses.dataclass
class Job:
    """A training (``sweep`` False: one config) or a sweep, checked, as its saves need it."""

    out: Path
    configs: list[RunConfig]
    sweep: bool
    plots: bool
    prepared: data.Prepared
    start: int
    changes: dict
    saved: list[checkpoint.Model] | None  # what a resume continues
    memory_bytes: int = 0
    started: float = dataclasses.field(default_factory=time.perf_counter)
    timings: dict = dataclasses.field(default_factory=dict)
    segments: list = dataclasses.field(default_factory=list)
    saved_iteration: int | None = None  # of this run's last save

    @property
    def config(self) -> RunConfig:
        return self.configs[0]

    def model(self, k: int, params: Any, history: CostHistory, status: str) -> checkpoint.Model:
        return outputs.model_of(params, self.configs[k], self.prepared, history, self.segments[k], status)

    def save(self, params: list, histories: list, status: str, result: Any = None) -> Any:
        """Every network's model and, with the finished ``result`` (sweep.SweepResult), its scores, figures and
        a sweep's table, in one ``outputs.save``. A network whose history ends early diverged."""
        done = max(history.done for history in histories)
        diverged = [h.done < done for h in histories] if result is None else [n.diverged_at for n in result.networks]
        scores: list[Any] = [None] * len(params)
        if result is not None:
            scores = [{"train": n.train_accuracy, "test": n.test_accuracy} for n in result.networks]
        n_x, n_y, n_h = self.prepared.X.shape[0], self.prepared.Y.shape[0], max(c.hidden_units for c in self.configs)
        needed = len(params) * outputs.model_bytes(n_x, n_h, n_y, self.config.dtype, not self.sweep)

        def write(staging: Path) -> Any:
            if not self.sweep:
                figures = lambda folder: self.figures(folder, histories[0], result)  # noqa: E731
                model = self.model(0, params[0], histories[0], status)
                return outputs.write_model(staging, model, scores[0], self.extra, figures)
            for k, name in enumerate(network_names(self.configs)):
                model = self.model(k, params[k], histories[k], "diverged" if diverged[k] else status)
                outputs.write_model(staging / NETWORKS / name, model, scores[k])
            if result is None:
                return [NETWORKS + "/"]
            table = (self.prepared.X_unscaled, self.prepared.Y)
            scale = (self.prepared.mean, self.prepared.std) if self.config.standardize else None
            return grids.write_outputs(result, staging, *table, plots=self.plots, scale=scale) + [NETWORKS + "/"]

        saved = outputs.save(self.out, self.sweep, needed + (4 << 20) * self.sweep, write)
        self.saved_iteration = done
        return saved

    def figures(self, out: Path, history: CostHistory, result: Any) -> list[str]:
        iterations, costs = history.arrays()
        every = "" if history.stride == 1 else f", every {history.stride}th iteration"
        title = f"Cost, n_h = {self.config.hidden_units}, lr = {self.config.lr}{every}"
        plotting.cost_curve(costs, out / COST_PNG, title, iterations)
        if result is None or not _drawn(self.config, self.prepared):
            return [COST_PNG]  # an old boundary goes with the save (outputs.MODEL_FILES)
        xx, yy, _ = plotting.grid(self.prepared.X_unscaled)
        title = f"Decision boundary, n_h = {self.config.hidden_units} ({self.config.activation})"
        X, Y = self.prepared.X_unscaled, self.prepared.Y
        plotting.decision_boundary(xx, yy, result.predictions[0], X, Y, out / BOUNDARY_PNG, title=title)
        return [COST_PNG, BOUNDARY_PNG]

    def extra(self) -> dict[str, Any]:
        """What a run's summary adds to the model's: resume, memory, timings, the device."""
        device, timings = jax.devices()[0], self.timings
        changes = {k: list(v) for k, v in self.changes.items()}
        before = {"resumed_from": None if self.saved is None else self.start, "changed_on_resume": changes}
        after = {"memory_estimate_bytes": self.memory_bytes, "compile_seconds": timings.get("compile_s")}
        after.update(run_seconds=timings.get("run_s"), total_seconds=time.perf_counter() - self.started)
        where = {"jax_version": jax.__version__, "backend": jax.default_backend()}
        where["device"] = f"{device.platform}:{device.id} {device.device_kind}"
        return {"before": before, "after": {**after, **where}}

    def kept(self, marked: str = "") -> str:
        """What the folder holds after a failed run: the last checkpoint, or what it held before."""
        where = self.out / (NETWORKS if self.sweep else MODEL)
        if self.saved_iteration is None:
            return f"{where} left as it was"
        return f"{where} holds iteration {self.saved_iteration}, the last checkpoint{marked}"


def _configured(settings: Any, out: Path, sweep: bool, resume: bool) -> tuple[list, dict, int, list | None]:
    """(the configs, changes on resume, the start iteration, the saved models or None)."""
    if not resume:
        return (settings if sweep else [RunConfig.of(settings)]), {}, 0, None
    if not sweep:
        saved = [checkpoint.load(out / MODEL)]
        config, changes = resumed_config(settings or {}, saved[0], out)
        configs = [config]
    else:  # the same grid: the same network folders, each network's settings as saved
        names, folder = network_names(settings), out / NETWORKS
        found = sorted(os.listdir(folder)) if folder.is_dir() else []
        if found != sorted(names):
            differs = (sorted(set(names) - set(found)) or sorted(set(found) - set(names)))[0]
            raise RunError(
                f"cannot resume {out}: it holds a sweep of another grid ({len(found)} networks saved, "
                f"{len(names)} asked; {differs} differs): give the same grid, or sweep into another --out"
            )
        saved = [checkpoint.load(folder / name) for name in names]
        again = "give the sweep's flags unchanged to continue, or sweep into another --out"
        resumed = [resumed_config(config, model, out, again) for config, model in zip(settings, saved)]
        configs, changes = [config for config, _ in resumed], resumed[0][1]
    start = max(model.iteration for model in saved)
    if start >= configs[0].iterations:
        where = out / (NETWORKS if sweep else MODEL)
        raise RunError(f"{where} already has {start} iterations; ask for more with --iterations")
    return configs, changes, start, saved


def _job(settings: Any, out: PathLike, sweep: bool, resume: bool, overwrite: bool, plots: bool) -> Job:
    """Everything checked before the folder is claimed: settings, folder, data, memory, disk space."""
    out = check_out(out)
    if not resume:
        outputs.check_replaceable(out, overwrite, "sweep" if sweep else "train")
    configs, changes, start, saved = _configured(settings, out, sweep, resume)
    first = configs[0]
    prepared = data.prepare(first, stats=None if saved is None else (saved[0].feature_mean, saved[0].feature_std))
    if saved is not None:
        _check_resumed_data(prepared, saved[0], first)
    check_problem(first, prepared)
    job = Job(out, configs, sweep, plots, prepared, start, changes, saved)
    job.memory_bytes = memory.check(estimate_memory(configs, prepared, start=start, sweep=sweep))
    n_x, n_y, n_h = prepared.X.shape[0], prepared.Y.shape[0], max(c.hidden_units for c in configs)
    atomic.check_space(out, len(configs) * outputs.model_bytes(n_x, n_h, n_y, first.dtype, not sweep))
    return job


def _starting_points(job: Job) -> tuple[list, list]:
    """(params, histories) per network, and its segments: fresh inits, or the saved models'."""
    X, Y = job.prepared.X, job.prepared.Y
    if job.saved is None:
        params = [train.init_params(X.shape[0], c.hidden_units, Y.shape[0], c.seed, c.init) for c in job.configs]
        histories, job.segments = (
            [CostHistory(LIMIT) for _ in params],
            [(checkpoint.segment(0, c),) for c in job.configs],
        )
    else:
        params, histories = [s.params for s in job.saved], [s.history for s in job.saved]
        # A network that diverged before the others stopped trains no further: no new segment.
        job.segments = [
            s.segments + (checkpoint.segment(job.start, c),) * (s.iteration == job.start)
            for s, c in zip(job.saved, job.configs)
        ]
    manual.check_problem(params[0], X, Y, job.config.output)
    return params, histories


def _train(job: Job, progress: Any, requests: Any) -> Any:
    """Every network trained with checkpoints (sweep.train_grid); a stop saves the last chunk (Interrupted)."""
    config, prepared = job.config, job.prepared
    params, histories = _starting_points(job)
    grid = None
    if _drawn(config, prepared) and not job.sweep:
        grid = data.standardize(plotting.grid(prepared.X_unscaled)[2], prepared.mean, prepared.std)

    def shown(done: int, costs: Any) -> None:  # total iterations, and one network's cost as a number
        progress(job.start + done, costs if job.sweep else float(costs[0]))

    options: dict[str, Any] = {"params": params, "histories": histories, "start": job.start, "extra": grid}
    options.update(baseline=job.sweep, timings=job.timings, progress=progress and shown, should_stop=requests)
    options.update(checkpoint=lambda iteration, nets, records: job.save(nets, records, "running"))
    every = options["checkpoint_every"] = config.checkpoint_every
    options["chunk_seconds"] = min(CHUNK_SECONDS, every / 4)
    try:
        return grids.train_grid(job.configs, prepared.X, prepared.Y, prepared.X_test, prepared.Y_test, **options)
    except atomic.NoSpaceError as e:
        raise _save_failed(job, e) from None
    except train.Interrupted as e:
        where = None
        if e.iteration > job.start:  # nothing new finished: the folder already holds what there is
            job.save(e.params, e.history, "interrupted")
            where = job.out / (NETWORKS if job.sweep else MODEL)
        raise train.Interrupted(e.iteration, e.params, e.history, where, e.signum, config.iterations) from None


def _save_failed(job: Job, error: OSError) -> RunError:
    """A full disk: the folder keeps the last checkpoint, a run's summary saying "failed", not "running"."""
    if job.saved_iteration is None or job.sweep:
        return RunError(f"{error}; {job.kept()}")
    marked = ' (summary.json: status "failed")' if outputs.mark_failed(job.out, str(error)) else ""
    return RunError(f"{error}; {job.kept(marked)}")


def _finish(job: Job, result: Any) -> Any:
    """The final save. A training's network that went non-finite is its error instead (RunError), its last
    finite parameters saved to last_finite.npz."""
    if not job.sweep and result.networks[0].diverged_at is not None:
        params, history = result.params[0], result.histories[0]
        checkpoint.save(job.out / LAST_FINITE, job.model(0, params, history, "diverged"))
        diverged = train.Diverged(history.done, params, history)
        raise RunError(f"{diverged}: saved to {job.out / LAST_FINITE}; {job.kept()}")
    try:
        saved = job.save(result.params, result.histories, "finished", result)
    except atomic.NoSpaceError as e:
        raise _save_failed(job, e) from None
    if not job.sweep and (job.out / LAST_FINITE).exists():  # an earlier run's divergence, superseded
        os.remove(job.out / LAST_FINITE)
    return saved


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
) -> tuple[Any, Any, int | None]:
    """Train as ``settings`` say into ``out``: one network (a RunConfig, or a mapping of some settings), or
    (``sweep``) every network of ``config.sweep_grid(settings, seeds)``. Returns (sweep.SweepResult, a
    training's summary or a sweep's names written, the signal of a stop request after training or None).

    ``resume`` continues what ``out`` holds (a training: ``settings`` are those asked for, ``resumed_config``;
    a sweep: the same grid). ``progress(done, cost or costs)`` between chunks; ``overwrite`` lets a new run
    replace what ``out`` holds (outputs.Occupied otherwise); ``on_start(config, start, changes)`` once all is
    checked. Raises config.ConfigError, RunError, data.DataError, checkpoint.CheckpointError,
    memory.TooLarge, train.Interrupted (a stop request: the last finished chunk saved, .saved where).
    """
    signals.check()  # a stop request swallowed while JAX was imported (signals.raising) ends the run here
    job = _job(run_config.sweep_grid(settings, seeds) if sweep else settings, out, sweep, resume, overwrite, plots)
    with Claim(job.out):
        if not resume:  # again, under the lock: a run may have finished meanwhile
            outputs.check_replaceable(job.out, overwrite, "sweep" if sweep else "train")
        if plots:
            threading.Thread(target=_preload_plots, daemon=True).start()
        if on_start is not None:
            on_start(job.config, job.start, job.changes)
        with signals.recorded() as requests:
            result = _train(job, progress, requests)
            return result, _finish(job, result), requests()


def _preload_plots() -> None:
    """Import matplotlib while the main thread compiles and trains (mostly outside the GIL)."""
    with contextlib.suppress(Exception):
        plotting.preload()


def train_run(settings: Mapping[str, Any] | RunConfig | None, out: PathLike, **options: Any) -> dict[str, Any]:
    """``run`` of one network: its summary; a stop request during the final save raises train.Interrupted."""
    result, summary, stop = run(settings, out, **options)
    if stop is not None:
        history, total = result.histories[0], result.networks[0].iterations
        raise train.Interrupted(history.done, result.params[0], history, Path(out) / MODEL, stop, total)
    return summary
