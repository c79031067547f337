"""The ``shallownet`` command: train, predict, sweep (and check, when shallownet.check_cmd exists).

Thin over library functions (shallownet.experiment, shallownet.sweep) that
the tests call directly. Bad input prints one line on stderr and exits with a
non-zero code, without a traceback; main(argv) returns the exit code.
"""
import argparse
import importlib
import os
import sys
from pathlib import Path

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class UsageError(Exception):
    """argparse rejected the command line (message already formatted)."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and calling sys.exit.

    main() turns the exception into one line on stderr and a return code, so
    a test calling main([...]) gets the code back instead of SystemExit.
    """

    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message}")


def _add_model_flags(p):
    p.add_argument("--data", default="flower",
                   help="flower, noisy_circles, noisy_moons, blobs, gaussian_quantiles, or a .csv file")
    p.add_argument("--label", nargs="+", default=["label"], metavar="COLUMN",
                   help="label column(s) of a CSV; the other columns are features (default: label)")
    p.add_argument("--activation", default="tanh",
                   help="hidden activation: tanh, sigmoid, relu, leaky_relu[:slope], identity")
    p.add_argument("--lr", type=float, default=1.2, help="learning rate (default 1.2)")
    p.add_argument("--gradients", choices=("manual", "reference"), default="manual",
                   help="gradient path: hand-derived backprop or jax.grad")
    p.add_argument("--seed", type=int, default=0, help="seed of the random init and the test split")


def build_parser():
    parser = Parser(prog="shallownet", description="Train the course's one-hidden-layer network, fast, with JAX.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train one network, write model, plots and summary into --out")
    _add_model_flags(t)
    t.add_argument("--hidden", type=int, default=4, help="hidden units n_h (default 4)")
    t.add_argument("--output", choices=("sigmoid", "identity"), default="sigmoid",
                   help="output unit: sigmoid (labels 0/1) or identity (regression)")
    t.add_argument("--iterations", type=int, default=10000, help="total iterations (default 10000)")
    t.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    t.add_argument("--init", choices=("random", "course"), default="random",
                   help="random (seeded) or the course's own draw (legacy seed 2)")
    t.add_argument("--test-split", type=float, default=0.0, metavar="FRACTION",
                   help="hold out this fraction of the examples as a test set (seeded)")
    t.add_argument("--standardize", action="store_true", help="scale features to mean 0, std 1")
    t.add_argument("--resume", action="store_true",
                   help="continue the run saved in --out, up to --iterations in total")
    t.add_argument("--devices", type=int, default=1, help="train data-parallel over N devices")
    t.add_argument("--chunk", type=int, default=None,
                   help="iterations per compiled chunk, the progress step (default 1000, or the resumed run's)")
    t.add_argument("--out", default=None, help="output folder (default runs/<data>)")
    t.set_defaults(func=cmd_train)

    p = sub.add_parser("predict", help="predict with a saved model")
    p.add_argument("--model", required=True, help="a run folder (or its model.npz)")
    p.add_argument("--data", required=True, help="a .csv with the model's feature columns, or a data set name")
    p.add_argument("--out", default=None, help="write predictions to this CSV (default: print them)")
    p.set_defaults(func=cmd_predict)

    s = sub.add_parser("sweep", help="training accuracy for several hidden sizes, plus logistic regression")
    _add_model_flags(s)
    s.add_argument("--hidden", type=int, nargs="+", default=[1, 2, 3, 4, 5, 20, 50], metavar="N_H")
    s.add_argument("--iterations", type=int, default=5000, help="iterations per size (default 5000)")
    s.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    s.add_argument("--init", choices=("random", "course"), default="course",
                   help="course (default: reproduces the course's table) or random (seeded)")
    s.add_argument("--chunk", type=int, default=1000, help="iterations per compiled chunk")
    s.set_defaults(func=cmd_sweep)

    try:
        check_cmd = importlib.import_module("shallownet.check_cmd")
    except ModuleNotFoundError as e:
        if e.name != "shallownet.check_cmd":
            raise
    else:
        check_cmd.register(sub)
    return parser


def _progress_bar(total):
    """A tqdm bar showing the current cost; silent when stderr is not a terminal."""
    from tqdm import tqdm

    # delay: no bar at all when the run fails on its input within half a second.
    bar = tqdm(total=total, desc="train", unit="it", file=sys.stderr, disable=not sys.stderr.isatty(), delay=0.5)

    def update(done, cost):
        bar.set_postfix(cost=f"{cost:.6f}", refresh=False)
        bar.update(done - bar.n)

    return bar, update


def _score_text(output, value):
    """'accuracy: 90.75%' for the sigmoid output, 'mean squared error: 0.2212' for identity."""
    return f"accuracy: {value:.2f}%" if output == "sigmoid" else f"mean squared error: {value:.4g}"


def cmd_train(args):
    from . import experiment, train

    out = Path(args.out or Path("runs") / Path(args.data).stem)
    config = {
        "data": args.data, "labels": args.label, "hidden_units": args.hidden, "activation": args.activation,
        "output": args.output, "lr": args.lr, "iterations": args.iterations, "gradients": args.gradients,
        "dtype": args.dtype, "seed": args.seed, "init": args.init, "test_split": args.test_split,
        "standardize": args.standardize, "chunk": args.chunk, "devices": args.devices,
    }
    bar, update = _progress_bar(args.iterations)
    try:
        summary = experiment.train_run(config, out, resume=args.resume, progress=update)
    except train.Interrupted as e:
        bar.close()
        kept = (f"saved {e.saved}, continue with --resume" if e.saved
                else "no chunk had finished, nothing saved")
        print(f"shallownet: interrupted after iteration {e.iteration}; {kept}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        bar.close()
    for part, value in summary.get("accuracy", summary.get("mse", {})).items():
        if value is not None:
            print(f"{part} {_score_text(summary['config']['output'], value)}")
    print(f"wrote {', '.join(summary['files'])} to {out}")
    return 0


def cmd_predict(args):
    from . import checkpoint, experiment

    result = experiment.predict_run(args.model, args.data)
    text = experiment.predictions_csv(result)
    if args.out is None:
        sys.stdout.write(text)
    else:
        out = Path(args.out)
        if out.is_dir():
            raise experiment.RunError(f"--out {out} is a folder; give a file name")
        checkpoint.atomic_write(out, lambda f: f.write(text.encode()))
    if result["score"] is not None:
        # Beside printed predictions the score goes to stderr, keeping stdout a clean CSV.
        print(_score_text(result["output"], result["score"]), file=sys.stderr if args.out is None else sys.stdout)
    return 0


def cmd_sweep(args):
    from . import data, sweep

    X, Y, _, _ = data.load(args.data, args.label)
    rows = sweep.hidden_sizes(X, Y, args.hidden, iterations=args.iterations, lr=args.lr,
                              activation=args.activation, gradients=args.gradients, dtype=args.dtype,
                              init=args.init, seed=args.seed, chunk=args.chunk)
    print(sweep.table(rows))
    return 0


def _use_cpu_devices(n):
    """Ask JAX for n CPU devices (simulated) before it starts; no effect once it has started."""
    import jax

    try:
        jax.config.update("jax_num_cpu_devices", n)
    except RuntimeError:
        pass  # JAX already started (e.g. main() called from a test); data_mesh says what exists


def main(argv=None):
    """Run the command line ``argv`` (default sys.argv[1:]); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as e:
        print(e, file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "devices", 1) > 1:
        _use_cpu_devices(args.devices)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("shallownet: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, OSError) as e:
        # Bad input (every check raises ValueError) or a file system refusal:
        # one line, no traceback. Anything else is a bug and keeps its traceback.
        print(f"shallownet: error: {e}", file=sys.stderr)
        return EXIT_ERROR


def _use_compilation_cache():
    """Keep XLA's compiled programs on disk (JAX's persistent cache) unless the user set a place.

    The compile of the training loop is about half of a flower run; a repeated
    run with the same shapes and settings loads it instead. Environment
    variables, so that JAX (not imported yet) picks them up and --help stays fast.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(base, "shallownet", "xla"))
    # JAX caches only compiles longer than 1 s by default; the flower loop takes ~0.5-1 s.
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")


def console():
    """Entry point of the installed ``shallownet`` script: main(), then end the process at once.

    It also turns on the persistent compilation cache (main() alone, as the
    tests call it, writes nothing outside the run folder). Everything is
    written (files atomically and fsync'ed) and printed by then; the
    interpreter's ordinary teardown of the JAX and matplotlib module graphs
    would add ~0.3-0.4 s to every command for nothing, so the streams are
    flushed and the process exits without it.
    """
    _use_compilation_cache()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console()
