"""The ``shallownet`` command: train, predict, sweep, and check (the checker's, registered by shallownet.check_cmd).

Thin over library functions (shallownet.run, shallownet.predict,
shallownet.sweep) that the tests call directly. The flags of train and sweep
are derived from shallownet.config.RunConfig. Bad input prints one line on
stderr and exits with a non-zero code, without a traceback; main(argv)
returns the exit code.
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
EPILOG = ("exit codes: 0 done, 1 bad input or a run that cannot go on (one line on stderr), 2 bad command line, "
          "128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)")  # fmt: skip
SWEEP_EPILOG = EPILOG + ". A sweep saves its networks as it trains; --resume continues it. See docs/sweep.md."
OVERWRITE_HELP = "replace the model (or a sweep's results) already in --out; without it such a folder is refused"


class UsageError(Exception):
    """argparse rejected the command line (message already formatted)."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and calling sys.exit.

    main() turns the exception into one line on stderr and a return code, so
    a test calling main([...]) gets the code back instead of SystemExit.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


def path_argument(text: str) -> str:
    """An argparse type for --out: any path but an empty one ("" would silently mean the default folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; name a folder (or leave --out out for the default)")
    return text


def build_parser() -> Parser:
    parser = Parser(prog="shallownet", description="Train the course's one-hidden-layer network, fast, with JAX.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(sub)
    predict_parser = sub.add_parser("predict", help="predict with a saved model", epilog=EPILOG)
    predict_parser.add_argument("--model", required=True, help="a run folder (or its model.npz)")
    predict_parser.add_argument(
        "--data", required=True, help="a .csv with the model's feature columns, or a data set name"
    )
    predict_parser.add_argument("--out", type=path_argument, help="write predictions to this CSV (default: print them)")
    predict_parser.set_defaults(func=cmd_predict)
    _add_sweep(sub)
    try:
        check_cmd = importlib.import_module("shallownet.check_cmd")
    except ModuleNotFoundError as e:
        if e.name != "shallownet.check_cmd":
            raise
    else:
        check_cmd.register(sub)
    from checker import autograder  # shallownet autograder gradescope|otter: graders' files (checker.autograder)

    autograder.register(sub)
    return parser


def _add_train(sub: Any) -> None:
    from . import config

    what = "train one network, write model, plots and summary into --out"
    train_parser = sub.add_parser("train", help=what, epilog=EPILOG)
    config.add_flags(train_parser, "train")
    replace = train_parser.add_mutually_exclusive_group()
    replace.add_argument("--resume", action="store_true", help="continue the run saved in --out: flags left out "
                         "keep their saved values; those that change the problem must match them")  # fmt: skip
    replace.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    train_parser.add_argument("--out", type=path_argument, default=None, help="output folder (default runs/<data>)")
    train_parser.set_defaults(func=cmd_train)


def _add_sweep(sub: Any) -> None:
    from . import config

    what = ("train every combination of hidden sizes, learning rates, activations and seeds at once; table, CSV, "
            "JSON and plots into --out")  # fmt: skip
    sweep_parser = sub.add_parser("sweep", help=what, epilog=SWEEP_EPILOG)
    config.add_flags(sweep_parser, "sweep")
    what = ("train K random inits per configuration (seeds --seed .. --seed+K-1; turns on --init random) and "
            "report the mean ± std (default: one init, the course's draw)")  # fmt: skip
    sweep_parser.add_argument("--seeds", type=config.whole_argument, metavar="K", help=what)
    sweep_parser.add_argument("--out", type=path_argument, help="output folder (default runs/sweep-<data>)")
    replace = sweep_parser.add_mutually_exclusive_group()
    replace.add_argument("--resume", action="store_true", help="continue the sweep saved in --out (the same flags)")
    replace.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    sweep_parser.add_argument(
        "--no-plots", action="store_true", help="write sweep.csv and sweep.json only (no matplotlib)"
    )
    sweep_parser.set_defaults(func=cmd_sweep)


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


def _interrupted_text(interrupted: Any, command: str) -> str:
    """The one line printed when a stop request (a train.Interrupted) ended a train or a sweep."""
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


def _stopped(interrupted: Any, command: str, bar: Any) -> int:
    """Report a stop request (everything that could be saved is): one line on stderr, the exit code 128 + N."""
    bar.close()
    return _interrupted(interrupted.signum, _interrupted_text(interrupted, command))


def cmd_train(args: argparse.Namespace) -> int:
    from . import config, run, train

    settings = config.given(args, "train")
    out = Path(args.out or Path("runs") / Path(settings.get("data", config.default("data"))).stem)
    if not args.resume:
        settings = _configured(config.RunConfig.of, settings)

    bar, start_bar, update = _progress_bar("train")
    on_start = _on_start(args, out, start_bar)
    try:
        summary = _configured(
            run.train_run, settings, out, resume=args.resume, overwrite=args.overwrite, progress=update,
            on_start=on_start,
        )  # fmt: skip
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


class SettingError(Exception):
    """A setting's value is refused (config.ConfigError): a usage error of the command line (exit 2)."""


def _configured(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """function(...), with a refused setting (ConfigError) turned into SettingError."""
    from . import config

    try:
        return function(*args, **kwargs)
    except config.ConfigError as e:
        raise SettingError(str(e)) from None


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
    if result.note is not None:
        print(f"shallownet: note: {result.note}", file=sys.stderr)
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
        result, files, stop = _configured(
            run.run, settings, out, sweep=True, seeds=args.seeds, resume=args.resume, plots=not args.no_plots,
            overwrite=args.overwrite, progress=update, on_start=_on_start(args, out, start_bar),
        )  # fmt: skip
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
    """Run the command line ``argv`` (default sys.argv[1:]); returns the exit code.

    The stop signals are handled from the first instruction (signals.raising), before the command's
    modules (JAX, numpy) are imported: a Ctrl-C at any moment exits 128 + N with one line.
    """
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
    try:
        return int(args.func(args))
    except SettingError as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, OSError) as e:
        # Bad input (every check raises ValueError) or a file system refusal:
        # one line, no traceback. Anything else is a bug and keeps its traceback.
        print(f"shallownet: error: {e}", file=sys.stderr)
        return EXIT_ERROR


def _use_compilation_cache() -> None:
    """Keep XLA's compiled programs on disk (JAX's persistent cache) unless the user set a place.

    The compile is a large part of a run on a small data set; a repeated run loads it instead. Environment
    variables, so that JAX (not imported yet) picks them up and --help stays fast.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(base, "shallownet", "xla"))
    # JAX caches only compiles longer than 1 s by default, longer than the flower loop's compile.
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")


def console() -> NoReturn:
    """Entry point of the installed ``shallownet`` script: main(), then end the process at once.

    It also turns on the persistent compilation cache (main() alone, as the tests call it, writes nothing
    outside the run folder). Everything is written and printed by then; the interpreter's teardown of the JAX
    and matplotlib module graphs would only add a measurable delay, so the process exits without it.
    """
    _use_compilation_cache()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
