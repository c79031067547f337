"""What the child (checker.child) does for the assignments' problems, after its one start-up.

``prepare`` gives learners' Python 2 its meaning before their definitions
run (``xrange``, ``raw_input``, ``unicode``, ``long`` and ``past.builtins``
get their Python 3 meaning; the ``future`` package need not be installed;
Python 2 helper modules are served as the parent rewrote them); ``loaded``
finds what an assignment defines: cs231n's ``TwoLayerNet.loss`` (a class
built with the checker's sizes, its ``params`` set to the draw's, then
``loss(X, y, reg)`` and ``loss(X)``) or the course's week-2 ``propagate(w, b,
X, Y)``, and how to call it. What comes back is described as data
(checker.call's reading of arrays; lists, tuples and Python numbers read by
value, their type kept); the parent judges.
"""

import inspect
import os
import sys
import types

from checker import call, guard

PY2_NAMES = {"xrange": range, "raw_input": input, "unicode": str, "basestring": str, "long": int}
MAX_ITEMS = 6
MAX_LOCALS = 30


def _install_past():
    """A ``past.builtins`` module with Python 2's names, unless the real one (the future package) is there."""
    import importlib.util

    if "past" in sys.modules or importlib.util.find_spec("past") is not None:
        return False
    past = types.ModuleType("past")
    builtins = types.ModuleType("past.builtins")
    for name, value in PY2_NAMES.items():
        setattr(builtins, name, value)
    past.builtins = builtins  # type: ignore[attr-defined]
    sys.modules["past"], sys.modules["past.builtins"] = past, builtins
    return True


class _Helpers:
    """Serves the learner's Python 2 helper modules, as the parent rewrote them (print statements as calls).

    A meta path finder and loader in one: ``import softmax`` beside the file finds the rewritten source
    here first; each module also gets Python 2's names (xrange ...).
    """

    def __init__(self, helpers):
        self.helpers = helpers  # module name -> {"filename", "source"}

    def find_spec(self, name, path=None, target=None):
        import importlib.util

        if name not in self.helpers or name.split(".")[0] in guard.BLOCKED:
            return None  # the checker's own names stay refused by the guard, whatever the learner's folder holds
        # A loader by exec_module (PEP 451); typeshed's LoaderProtocol still asks for load_module.
        return importlib.util.spec_from_loader(name, self, origin=self.helpers[name]["filename"])  # type: ignore[arg-type]

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        helper = self.helpers[module.__name__]
        module.__dict__.update(PY2_NAMES)
        filename = os.path.abspath(helper["filename"])  # in the private working folder, beside the file
        module.__file__ = filename
        exec(compile(helper["source"], filename, "exec"), module.__dict__)


def install_helpers(helpers):
    """Put the rewritten helper modules first on the import path (nothing when there are none)."""
    if helpers:
        sys.meta_path.insert(0, _Helpers(helpers))


def describe_value(value):
    """An array (its type kept in 'was') for numbers, lists of numbers and arrays; else a type name."""
    import numpy as np

    if isinstance(value, (bool, int, float, list, tuple)) and not isinstance(value, bool):
        try:
            array = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            return {"type": type(value).__name__, "repr": repr(value)[:80]}
        return {"array": array, "was": type(value).__name__}
    described = call.describe_value(value)
    if "array" in described:
        described["was"] = "np.matrix" if described.pop("matrix") else type(value).__name__
    return described


def describe_output(out):
    """A dict's entries, a tuple's or list's items (each a dict or a value), or one value."""
    from collections.abc import Mapping

    if isinstance(out, Mapping):
        return {"kind": "dict", "entries": {str(k): describe_value(out[k]) for k in list(out)[:40]}}
    if isinstance(out, (tuple, list)) and len(out) <= MAX_ITEMS and any(isinstance(i, Mapping) for i in out):
        return {"kind": type(out).__name__, "items": [describe_output(item) for item in out]}
    if isinstance(out, tuple):
        return {"kind": "tuple", "items": [describe_output(item) for item in out[:MAX_ITEMS]], "length": len(out)}
    return {"kind": "value", "value": describe_value(out)}


def describe_error(e, user_files):
    """checker.call's description, with every small float array left in the learner's last frame."""
    import numpy as np

    error = call.describe_error(e, user_files)
    tb, frame = e.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in user_files:
            frame = tb.tb_frame
        tb = tb.tb_next
    if frame is not None:
        for name, value in list(frame.f_locals.items())[:200]:
            if len(error["locals"]) >= MAX_LOCALS:
                break
            small = isinstance(value, (np.ndarray, float)) and np.asarray(value).size <= call.MAX_ARRAY
            if small and np.asarray(value).dtype.kind == "f":
                error["locals"][name] = np.array(value)
    error["assertion"] = isinstance(e, AssertionError)
    return error


def _attempt(fn, user_files):
    try:
        return {"output": describe_output(fn())}
    except BaseException as e:  # the learner's code: SystemExit and KeyboardInterrupt too
        try:
            return {"error": describe_error(e, user_files)}
        except BaseException:
            return {"error": {"type": type(e).__name__, "message": "", "traceback": "", "locals": {}}}


def find(namespace, problem, klass, function, user_files):
    """(the callable's description, notes) or raises LookupError with the message to show."""
    if problem == "cs231n":
        classes = [
            value
            for value in namespace.values()
            if isinstance(value, type)
            and callable(getattr(value, function, None))
            and getattr(getattr(value, function), "__code__", None) is not None
            and value.__dict__.get(function) is not None
        ]
        named = [cls for cls in classes if cls.__name__ == klass] or classes
        if not named:
            raise LookupError(f"defines no class with a {function} method (cs231n's {klass}.{function})")
        return named[0], []
    fn = namespace.get(function)
    if not callable(fn) or getattr(fn, "__code__", None) is None or fn.__code__.co_filename not in user_files:
        raise LookupError(f"defines no function {function} (the course's week-2 {function}(w, b, X, Y))")
    return fn, []


def build_net(cls, sizes):
    """An instance of the learner's class: cls(D, H, C) as the notebook builds it, else without __init__."""
    _, D, H, C = sizes
    reasons = []
    for build in (lambda: cls(D, H, C), lambda: cls(input_size=D, hidden_size=H, output_size=C)):
        try:
            return build(), None
        except BaseException as e:  # the learner's constructor
            reasons.append(f"{type(e).__name__}: {e}")
    return object.__new__(cls), f"{cls.__name__}(D, H, C) raised {reasons[0]}; built without __init__"


def call_problem(problem, found, inputs, user_files):
    """One draw: cs231n's two calls (with y, then without) or one propagate call."""
    import numpy as np

    if problem == "week2":
        w, b, X, Y = (inputs[k] for k in ("w", "b", "X", "Y"))
        return {"main": _attempt(lambda: found(w, float(b), X, Y), user_files)}
    params, X, y, reg = inputs["params"], inputs["X"], inputs["y"], float(inputs["reg"])
    N, D = X.shape
    sizes = (N, D, params["W1"].shape[1], params["W2"].shape[1])
    net, note = build_net(found, sizes)
    results = {}
    for key, args in (("main", (X, y.astype(np.int64), reg)), ("scores", (X,))):
        try:
            net.params = {k: np.array(v) for k, v in params.items()}
        except BaseException as e:  # a class that forbids the attribute
            results[key] = {"error": describe_error(e, user_files)}
            continue
        results[key] = _attempt(lambda args=args: net.loss(*(np.array(a) for a in args)), user_files)
    if note:
        results["note"] = note
    return results


def prepare(request, namespace, cells):
    """Before the learner's definitions run: Python 2's names and ``past.builtins``, the rewritten Python 2 helper
    modules; the note saying so (a list)."""
    _install_past()
    install_helpers(request.get("helpers") or {})
    namespace.update(PY2_NAMES)  # Python 2's built-in names, read as Python 3's
    python2 = any(word in cell.source for cell in cells for word in ("xrange", "past.builtins", "raw_input"))
    return ["Python 2 names (xrange, past.builtins ...) read with their Python 3 meanings"] if python2 else []


def loaded(request, namespace, user_files):
    """(the load report, how to answer a call) for an assignment's class or function; LookupError when none."""
    found, _ = find(namespace, request["problem"], request["klass"], request["function"], user_files)
    name = f"{found.__name__}.{request['function']}" if isinstance(found, type) else found.__name__
    signature = str(inspect.signature(getattr(found, request["function"]) if isinstance(found, type) else found))
    report = {"function": name, "signature": signature}
    return report, lambda call: {"calls": call_problem(call["problem"], found, call["inputs"], user_files)}
