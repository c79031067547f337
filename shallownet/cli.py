"""The ``shallownet`` command: train, predict, sweep, and check (the checker's, registered by shallownet.check_cmd).

Thin over library functions the tests call directly; the flags of train and sweep come from config.RunConfig. Bad
input prints one line on stderr and exits non-zero, without a traceback; main(argv) returns the exit code.
"""

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

EXIT_ERROR, EXIT_USAGE = 1, 2
EPILOG = (
    "exit codes: 0 done, 1 bad input or a run that cannot go on (one line on stderr), 2 bad command line, "
    "128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)"
)
SWEEP_EPILOG = EPILOG + ". A sweep saves its networks as it trains; --resume continues it. See docs/sweep.md."
OVERWRITE_HELP = "replace the model (or a sweep's results) already in --out; without it such a folder is refused"


class UsageError(Exception):
    """argparse rejected the command line (message already formatted)."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of calling sys.exit: main() returns the exit code, also to a test."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


def path_argument(text: str) -> str:
    """An argparse type for --out: any path but an empty one ("" would silently mean the default folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; name a folder (or leave --out out for the default)")
    return text


def build_parser() -> Parser:
    from . import config

    parser = Parser(prog="shallownet", description="Train the course's one-hidden-layer network, fast, with JAX.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    what = "train one network, write model, plots and summary into --out"
    train = sub.add_parser("train", help=what, epilog=EPILOG)
    config.add_flags(train, "train")
    replace = train.add_mutually_exclusive_group()
    what = "continue the run saved in --out: flags left out keep their saved values; those that change the problem "
    replace.add_argument("--resume", action="store_true", help=what + "must match them")
    replace.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    train.add_argument("--out", type=path_argument, default=None, help="output folder (default runs/<data>)")
    train.set_defaults(func=cmd_train)
    predict = sub.add_parser("predict", help="predict with a saved model", epilog=EPILOG)
    predict.add_argument("--model", required=True, help="a run folder (or its model.npz)")
    predict.add_argument("--data", required=True, help="a .csv with the model's feature columns, or a data set name")
    predict.add_argument("--out", type=path_argument, help="write predictions to this CSV (default: print them)")
    predict.set_defaults(func=cmd_predict)
    what = "train every combination of hidden sizes, learning rates, activations and seeds at once; table, CSV, "
    sweep = sub.add_parser("sweep", help=what + "JSON and plots into --out", epilog=SWEEP_EPILOG)
    config.add_flags(sweep, "sweep")
    what = "train K random inits per configuration (seeds --seed .. --seed+K-1; turns on --init random) and report "
    what += "the mean ± std (default: one init, the course's draw)"
    sweep.add_argument("--seeds", type=config.whole_argument, metavar="K", help=what)
    sweep.add_argument("--out", type=path_argument, help="output folder (default runs/sweep-<data>)")
    replace = sweep.add_mutually_exclusive_group()
    replace.add_argument("--resume", action="store_true", help="continue the sweep saved in --out (the same flags)")
    replace.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    sweep.add_argument("--no-plots", action="store_true", help="write sweep.csv and sweep.json only (no matplotlib)")
    sweep.set_defaults(func=cmd_sweep)
    importlib.import_module("shallownet.check_cmd").register(sub)  # looked up in sys.modules: a test replaces it
    from checker import autograder  # shallownet autograder gradescope|otter: graders' files (checker.autograder)

    autograder.register(sub)
    return parser


def _progress_bar(
    desc: str, total: int | None = None
) -> tuple[Any, Callable[[int, int], None], Callable[[int, Any], None]]:
    """(bar, start(total, initial), update(done, cost or costs)): one tqdm bar for train and sweep, showing
    the (best) current cost; silent when stderr is not a terminal."""
    import numpy as np
    from tqdm import tqdm

    # delay: no bar at all when the run fails on its input within half a second.
    bar = tqdm(total=total, desc=desc, unit="it", file=sys.stderr, disable=not sys.stderr.isatty(), delay=0.5)

    def start(total: int, initial: int) -> None:
        bar.reset(total=total)
        bar.update(initial)

    def update(done: int, costs: Any) -> None:
        finite = np.asarray(costs)[np.isfinite(costs)]
        if finite.size:
            bar.set_postfix({"cost" if np.ndim(costs) == 0 else "best_cost": f"{finite.min():.6f}"}, refresh=False)
        bar.update(done - bar.n)

    return bar, start, update


def _score_text(output: str, value: float) -> str:
    """'accuracy: 90.75%' for the sigmoid output, 'mean squared error: 0.2212' for identity."""
    return f"accuracy: {value:.2f}%" if output == "sigmoid" else f"mean squared error: {value:.4g}"


def _stopped(interrupted: Any, command: str, bar: Any) -> int:
    """The one line (on stderr) and exit code 128 + N of a stop request (a train.Interrupted) that ended a train or
    a sweep, everything that could be saved saved."""
    bar.close()
    return _interrupted(interrupted.signum, _stop_text(interrupted, command))


def _stop_text(interrupted: Any, command: str) -> str:
    from . import signals

    name = signals.name(interrupted.signum)
    how = f"interrupted by {name} after iteration {interrupted.iteration}"
    if command == "sweep" and interrupted.total is None:  # the stop came once all was trained and written
        return f"interrupted by {name} after the sweep finished; wrote {interrupted.saved}"
    if interrupted.saved is None:
        return f"{how}; no new chunk had finished, nothing saved"
    if interrupted.total is not None and interrupted.iteration >= interrupted.total:
        return f"{how}, the last one; saved {interrupted.saved}"
    return f"{how}; saved {interrupted.saved}, continue with --resume"


def cmd_train(args: argparse.Namespace) -> int:
    from . import config, run, train

    given = config.given(args, "train")
    out = Path(args.out or Path("runs") / Path(given.get("data", config.default("data"))).stem)
    settings = given if args.resume else config.RunConfig.of(given)
    bar, start_bar, update = _progress_bar("train")
    try:
        on_start = _on_start(args, out, start_bar)
        what = {"resume": args.resume, "overwrite": args.overwrite, "progress": update, "on_start": on_start}
        summary = run.train_run(settings, out, **what)
    except train.Interrupted as e:
        return _stopped(e, "train", bar)
    finally:
        bar.close()
    for part, value in summary.get("accuracy", summary.get("mse", {})).items():
        if value is not None:
            print(f"{part} {_score_text(summary['config']['output'], value)}")
    print(f"wrote {', '.join(summary['files'])} to {out}")
    return 0


def _on_start(args: argparse.Namespace, out: Path, start_bar: Callable[[int, int], None]) -> Callable[..., None]:
    """on_start(config, start, changes) of a train or a sweep: the bar's start, and a line when resuming."""

    def on_start(used: Any, start: int, changes: dict[str, tuple[Any, Any]]) -> None:
        start_bar(used.iterations, start)
        if args.resume:
            changed = ", ".join(f"{k} {old} -> {new}" for k, (old, new) in changes.items())
            changed = f"; changed on resume: {changed}" if changes else ""
            print(f"resuming {out} at iteration {start} of {used.iterations}{changed}", flush=True)

    return on_start


def cmd_predict(args: argparse.Namespace) -> int:
    from . import atomic, predict, signals

    result = predict.predict_run(args.model, args.data)
    text = predict.predictions_csv(result)
    if args.out is None:
        sys.stdout.write(text)
    else:
        out = predict.check_predictions_path(args.out, args.model, args.data)
        signals.check()  # an early Ctrl-C that did not end the program still means: write nothing
        atomic.atomic_write(out, lambda f: f.write(text.encode()))
    for note in result.notes:
        print(f"shallownet: note: {note}", file=sys.stderr)
    if result.score is not None:
        # Beside printed predictions the score goes to stderr, keeping stdout a clean CSV.
        print(_score_text(result.output, result.score), file=sys.stderr if args.out is None else sys.stdout)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """Every network of the grid in one compiled program; the table on stdout, the files into --out."""
    from . import config, run, sweep, train

    settings = config.given(args, "sweep")
    out = Path(args.out or Path("runs") / f"sweep-{Path(settings.get('data', config.default('data'))).stem}")
    iterations = settings.get("iterations", config.SWEEP_DEFAULTS["iterations"])
    bar, start_bar, update = _progress_bar("sweep", iterations)
    try:
        what = {"seeds": args.seeds, "plots": not args.no_plots, "overwrite": args.overwrite, "progress": update}
        what.update(resume=args.resume, on_start=_on_start(args, out, start_bar))
        result, files, stop = run.run(settings, out, sweep=True, **what)
    except train.Interrupted as e:
        return _stopped(e, "sweep", bar)
    finally:
        bar.close()
    print(sweep.summary_table(result))
    print(f"wrote {', '.join(files)} to {out}")
    if stop is not None:  # asked to stop after the last chunk: everything is written
        return _stopped(train.Interrupted(iterations, None, None, saved=out, signum=stop), "sweep", bar)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default sys.argv[1:]); returns the exit code. Stop signals are handled from
    the first instruction, before JAX or numpy is imported: a Ctrl-C at any moment exits 128 + N with one line."""
    from . import signals

    try:
        with signals.raising():
            parser = build_parser()
            try:
                args = parser.parse_args(argv)
            except UsageError as e:
                print(e, file=sys.stderr)
                return EXIT_USAGE
            return _run(parser, args)
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM or SIGHUP outside training
        return _interrupted(getattr(e, "signum", signal.SIGINT))
    except BaseException:
        if signals.pending() is None:
            raise
        return _interrupted(signals.pending() or signal.SIGINT)  # a stop request turned into another error


def _interrupted(signum: int, text: str | None = None) -> int:
    """One line on stderr (by default: interrupted by SIGNAME), the exit code 128 + N."""
    from . import signals

    signals.ignore_further()  # a second request must not cut the message short
    print(f"shallownet: {text or f'interrupted by {signals.name(signum)}'}", file=sys.stderr)
    return signals.exit_code(signum)


def _run(parser: Parser, args: argparse.Namespace) -> int:
    """The parsed command; a refused setting, bad input or a file system refusal as one line and its exit code."""
    from .config import ConfigError

    try:
        return int(args.func(args))
    except ConfigError as e:  # a refused setting is a usage error of the command line
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, OSError) as e:  # bad input or a file system refusal; anything else is a bug: a traceback
        print(f"shallownet: error: {e}", file=sys.stderr)
        return EXIT_ERROR


def console() -> NoReturn:
    """The ``shallownet`` script: main() with XLA's compile cache on disk (main() alone writes nothing outside the
    run folder), then exit at once: tearing down the JAX and matplotlib modules would only add a delay."""
    # Environment variables, so that JAX (not imported yet) picks them up; JAX caches only compiles longer than 1 s
    # by default, longer than the flower loop's compile.
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(base, "shallownet", "xla"))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
