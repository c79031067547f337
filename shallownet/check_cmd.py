"""``shallownet check FILE.py[:FUNCTION]``: check your own backprop and say what is wrong with it.

Loads FUNCTION (default ``backward_propagation``) from a Python file written
as in the course (numpy, ``import numpy as np``, the course's names), runs it
on random problems and prints reference.checker's report. Exit code: 0 when
all four gradients pass, 1 when any fails (or the code cannot run), 2 for a
usage error (no such file or function, bad option).

Only the file's imports, ``def``/``class`` statements and call-free
assignments run: a notebook exported to .py also loads data, plots and trains
at the top level, which the check does not need (and which may fail outside
the notebook). IPython lines (``%matplotlib inline``, ``!pip ...``) are
skipped; an import that fails is skipped with a note.
"""
import argparse
import ast
import inspect
import re
import sys
import traceback
from pathlib import Path

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DEFAULT_FUNCTION = "backward_propagation"
DESCRIPTION = "Check your own backprop against jax.grad and say what is wrong with it."
EPILOG = "exit code: 0 when all four gradients pass, 1 when any fails, 2 for a usage error"


class UsageError(Exception):
    """The command line names no runnable function (exit 2)."""


class UserCodeError(Exception):
    """The user's file itself failed while loading (exit 1); the message is the labelled traceback."""


def add_arguments(p):
    p.add_argument("target", metavar="FILE.py[:FUNCTION]",
                   help=f"your Python file and the function in it (default {DEFAULT_FUNCTION})")
    p.add_argument("--activation", default="tanh",
                   help="hidden activation: tanh (default), sigmoid, relu, leaky_relu[:slope], identity")
    p.add_argument("--output", choices=("sigmoid", "identity"), default="sigmoid",
                   help="output unit: sigmoid with cross-entropy (default) or identity with squared error")
    p.add_argument("--form", choices=("auto", "backward", "grads"), default="auto",
                   help="backward: f(parameters, cache, X, Y), the course's; grads: f(parameters, X, Y); "
                        "auto (default): by the number of arguments")
    p.add_argument("--one-output", action="store_true",
                   help="check only the problems with one output unit (n_y = 1)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="dtype of the arrays given to your function (default float64)")


def register(subparsers):
    """Add the ``check`` subcommand to shallownet's CLI (its func returns the exit code)."""
    p = subparsers.add_parser("check", help="check your own backward_propagation and name the mistake",
                              description=DESCRIPTION, epilog=EPILOG)
    add_arguments(p)
    p.set_defaults(func=run)
    return p


def parse_target(target):
    """'bp.py:backward' -> (Path('bp.py'), 'backward'); no ':NAME' -> the course's function name."""
    path, sep, name = target.rpartition(":")
    if not sep or not name.isidentifier():
        path, name = target, DEFAULT_FUNCTION
    return Path(path), name


_MAGIC = re.compile(r"^(\s*)([%!].*)$", re.MULTILINE)


def _parse(source, path):
    """The file's syntax tree; IPython lines (%magic, !shell) are blanked, keeping line numbers, if needed."""
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError:
        return ast.parse(_MAGIC.sub(r"\1pass  # \2", source), filename=str(path))


def _definitions(tree):
    """The statements worth running to define the function: imports, defs, classes, call-free assignments."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and not _calls(node):
            yield node


def _calls(node):
    """Whether running ``node`` calls anything (a lambda's body runs later, so it does not count)."""
    if isinstance(node, ast.Call):
        return True
    return any(_calls(n) for n in ast.iter_child_nodes(node) if not isinstance(n, ast.Lambda))


def _user_traceback(e, what):
    """The user's traceback (without the loader's frame), labelled as theirs."""
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__.tb_next))
    return f"--- traceback from your code ({what}) ---\n{text.rstrip()}"


def load_function(path, name):
    """(function, notes): run the file's definitions and return ``name`` from it."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None
    try:
        tree = _parse(source, path)
    except SyntaxError as e:
        raise UserCodeError(f"{path} line {e.lineno}: SyntaxError: {e.msg}\n    {(e.text or '').rstrip()}") from None
    namespace = {"__name__": "__shallownet_check__", "__file__": str(path)}
    notes = []
    sys.path.insert(0, str(path.resolve().parent))   # the user's own helper modules, as in their notebook
    try:
        for node in _definitions(tree):
            code = compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec")
            try:
                exec(code, namespace)
            except Exception as e:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    raise UserCodeError(_user_traceback(e, f"loading {path.name}")) from None
                # An import of the course's helpers, or a global that needs the data: not needed here.
                if isinstance(e, ImportError):
                    notes.append(f"note: {path.name} line {node.lineno}: {type(e).__name__}: {e} (skipped)")
    finally:
        sys.path.remove(str(path.resolve().parent))
    fn = namespace.get(name)
    if fn is None:
        defined = [k for k, v in namespace.items() if inspect.isfunction(v)]
        raise UsageError(f"{path} defines no function {name!r}"
                         + (f"; it defines {', '.join(defined)}" if defined else ""))
    if not callable(fn):
        raise UsageError(f"{name!r} in {path} is a {type(fn).__name__}, not a function")
    return fn, notes


def detect_form(fn, name):
    """'backward' for f(parameters, cache, X, Y), 'grads' for f(parameters, X, Y)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return "backward"
    required = [p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    forms = {4: "backward", 3: "grads"}
    if len(required) not in forms:
        raise UsageError(f"{name} takes {len(required)} argument{'s' * (len(required) != 1)}; expected (parameters, cache, X, Y) "
                         "or (parameters, X, Y); name the form with --form")
    return forms[len(required)]


def run(args):
    """Check the function the arguments name; print the report; return the exit code."""
    from reference.checker import check_backprop, check_grads

    try:
        path, name = parse_target(args.target)
        fn, notes = load_function(path, name)
        form = detect_form(fn, name) if args.form == "auto" else args.form
    except UsageError as e:
        print(f"shallownet check: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except UserCodeError as e:
        print(e)
        return EXIT_FAIL
    check = check_backprop if form == "backward" else check_grads
    try:
        report = check(fn, args.activation, args.output, one_output=args.one_output, dtype=args.dtype,
                       name=f"{name} in {path.name}")
    except ValueError as e:   # unknown activation or output
        print(f"shallownet check: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    for note in notes:
        print(note)
    print(report)
    return EXIT_PASS if report.passed else EXIT_FAIL


def main(argv=None):
    """``shallownet check`` alone (the same as ``shallownet.cli.main(["check", ...])``)."""
    parser = argparse.ArgumentParser(prog="shallownet check", description=DESCRIPTION, epilog=EPILOG)
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:   # argparse's usage error (2) or --help (0)
        return e.code
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
