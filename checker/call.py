"""Call the learner's function on one problem and describe what came back (numpy only; runs in the child).

The description is plain data: arrays copied out of what the function
returned (as base numpy arrays: an np.matrix or a JAX array becomes an
ndarray), type names for what is not an array, and for a function that
raised, its traceback and the course-named arrays left in its frame. It
judges nothing: the parent process compares the arrays with the truth, so
nothing the learner's code changes in this process (np.linalg.norm, numpy's
printing, the arrays it was given) can change the verdict.
"""

import traceback
from collections.abc import Mapping

import numpy as np

# Arrays a course function names; when it raises, these in its frame are compared with the truth.
COURSE_LOCALS = ("X", "Y", "W1", "b1", "W2", "b2", "Z1", "A1", "Z2", "A2", "dZ2", "dZ1", "dW1", "db1", "dW2", "db2")
MAX_ARRAY = 1_000_000  # entries; a gradient here has a few dozen
MAX_KEYS = 40
MAX_TRACEBACK_LINES = 60


def arguments(order, inputs):
    """The positional arguments: ``inputs`` maps parameters, cache, X, Y to fresh arrays."""
    return [inputs[name] for name in order]


def describe_value(value):
    """{'array': ndarray} for anything numpy reads as a numeric array, else {'type': name, 'repr': text}."""
    if isinstance(value, (np.ndarray, np.generic)) or (hasattr(value, "__array__") and not isinstance(value, type)):
        try:
            array = np.array(value)  # a copy, and a base ndarray (np.matrix, JAX arrays)
        except Exception as e:  # a hostile __array__
            return {"type": type(value).__name__, "repr": f"cannot be read as an array: {type(e).__name__}"}
        if array.dtype.kind not in "biufc":
            return {"type": f"array of dtype {array.dtype}", "repr": ""}
        if array.size > MAX_ARRAY:
            return {"type": f"array of shape {array.shape}, too large", "repr": ""}
        return {"array": array, "matrix": isinstance(value, np.matrix)}
    try:
        text = repr(value)
    except Exception:
        text = "?"
    return {"type": type(value).__name__, "repr": text[:80]}


def describe_output(out):
    """What the function returned: a dict's entries described, or the type of anything else."""
    if isinstance(out, Mapping):
        entries = {}
        for key in list(out.keys())[:MAX_KEYS]:
            entries[str(key) if isinstance(key, str) else repr(key)] = describe_value(out[key])
        return {"kind": "dict", "entries": entries}
    holds_dict = isinstance(out, (tuple, list)) and any(isinstance(item, Mapping) for item in out)
    return {"kind": type(out).__name__, "holds_dict": holds_dict}


def _user_frames(tb, user_files):
    frames = []
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in user_files:
            frames.append(tb)
        tb = tb.tb_next
    return frames


def describe_error(e, user_files):
    """The exception as data: type, message, the learner's traceback and frame arrays."""
    tb = e.__traceback__
    ours = _user_frames(tb, user_files)
    # Start the traceback at the learner's first frame: the checker's own frames tell them nothing.
    start = ours[0] if ours else (tb.tb_next if tb is not None else None)
    lines = traceback.format_exception(type(e), e, start)
    text = "".join(lines).rstrip().splitlines()
    if len(text) > MAX_TRACEBACK_LINES:
        text = (
            text[: MAX_TRACEBACK_LINES // 2]
            + [f"... ({len(text) - MAX_TRACEBACK_LINES} lines)"]
            + text[-MAX_TRACEBACK_LINES // 2 :]
        )
    frame = ours[-1].tb_frame if ours else None
    arrays, nones = {}, []
    for name in COURSE_LOCALS:
        value = frame.f_locals.get(name) if frame is not None else None
        if value is None and frame is not None and name in frame.f_locals:
            nones.append(name)
        elif isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size <= MAX_ARRAY:
            arrays[name] = np.array(value)
    try:
        message = str(e)
    except Exception:
        message = "?"
    return {
        "type": type(e).__name__,
        "message": message[:1000],
        "key": repr(e.args[0])[:80] if isinstance(e, KeyError) and e.args else None,
        "name": getattr(e, "name", None) if isinstance(e, (NameError, AttributeError)) else None,
        "traceback": "\n".join(text),
        "locals": arrays,
        "none_locals": nones,
        "line": (f"{ours[-1].tb_frame.f_code.co_filename} line {ours[-1].tb_lineno}" if ours else ""),
    }


def call_user(fn, order, inputs, user_files):
    """{'output': ...} or {'error': ...} for one call of the learner's function."""
    try:
        out = fn(*arguments(order, inputs))
    except BaseException as e:  # SystemExit and KeyboardInterrupt too: they are the learner's code
        return {"error": describe_error(e, user_files)}
    try:
        return {"output": describe_output(out)}
    except BaseException as e:  # a returned object whose keys or __array__ raise
        return {"error": describe_error(e, user_files)}
