"""The child process that runs the learner's code: ``python -m checker.child REQUEST_FD REPLY_FD MEMORY_MB [N]``.

It imports numpy and the standard library only (the package's __init__ is
lazy, so neither JAX nor the truth is ever loaded here), caps its own address
space (RLIMIT_AS, soft and hard, before any learner code runs), then answers
the parent's messages on two pipes of its own: stdout and stderr are the
learner's, captured by the parent, so nothing printed can pass for a
message. Every reply carries the token the parent sent. The parent enforces
the time limits and computes the verdict; this process only loads, calls
and describes.

Before any learner code runs it writes the files the parent sent (the
learner's own file, their helper modules) into its working folder (a fresh
one: the sandbox's tmpfs, or a private temporary folder), takes its own
modules' folder off sys.path, and installs checker.guard: the checker's
packages cannot be imported, signals are refused and reported, process
starts and autodiff calls are reported. ``N`` > 0 caps the processes it may
start (RLIMIT_NPROC; only inside a sandbox, where the count is its own).
"""

import contextlib
import os
import resource
import sys

CHILD_FAILED = 70  # the child's own code failed (EX_SOFTWARE), not the learner's


FILE_BYTES = 256 * 1024 * 1024  # the largest file the learner's code may write


def _limit(megabytes, processes):
    if megabytes > 0:
        size = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    if processes > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def _private_files(files):
    """Write the learner's own file and helper modules into the (empty, private) working folder."""
    folder = os.getcwd()
    for name, text in files.items():
        if os.path.basename(name) != name or name.startswith("."):
            continue  # only plain names: nothing outside the working folder
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)
    return folder


class Started:
    """What start() set up: the load request, the reply channel, the learner's cells and a fresh namespace."""

    def __init__(self, request_fd, request, send, path, cells, namespace):
        self.request_fd, self.request, self.send, self.path = request_fd, request, send, path
        self.token = request["token"]
        self.cells, self.namespace = cells, namespace
        self.user_files = {cell.filename for cell in cells}


def start(argv):
    """The child's start-up, for every problem, before any learner code runs.

    Limits set, its own modules' folder off sys.path, the load request read, "ready" sent, the learner's
    files written into the private working folder (first on sys.path), the guard installed. The caller
    imports what it needs of the checker before this: the guard refuses the checker's packages by name.
    """
    request_fd, reply_fd, megabytes = (int(argument) for argument in argv[1:4])
    processes = int(argv[4]) if len(argv) > 4 else 0
    import numpy as np  # noqa: F401  (before the limit: numpy's own start-up is not the learner's memory)

    from checker import guard, load, wire

    # The child's own modules are loaded: their folder leaves sys.path, and the guard refuses them by name.
    here = os.path.dirname(os.path.dirname(os.path.abspath(wire.__file__)))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    _limit(megabytes, processes)

    request = wire.read_frame(request_fd)
    token = request["token"]

    def send(message):
        wire.write_frame(reply_fd, {**message, "token": token})

    def record(event):
        with contextlib.suppress(BaseException):
            send({"kind": "event", "event": event})

    send({"kind": "ready"})
    folder = _private_files(request.get("files") or {})
    sys.path.insert(0, folder)  # the learner's own helper modules, as in their notebook
    path = os.path.join(folder, request["name"])
    sys.argv = [path]
    guard.install(record)
    cells = [_Cell(**cell) for cell in request["cells"]]
    namespace = {"__name__": load.NAMESPACE, "__file__": path, "__builtins__": __builtins__}
    return Started(request_fd, request, send, path, cells, namespace)


def main(argv):
    # Before start(): the guard refuses the checker's modules by name after it.
    from checker import assignment_child, call, load, wire

    started = start(argv)
    load_request, send, cells, namespace = started.request, started.send, started.cells, started.namespace
    # In this frame, as before start() was shared: no secret from code that can read frames and closures (the
    # isolation tests' forger finds it here); what stops a forged result is the parent's checks (nonce, kind,
    # one reply per call), not the token's secrecy.
    token, user_files = started.token, started.user_files  # noqa: F841  (token: see above)
    week3 = "problem" not in load_request  # an assignment's load names its problem (cs231n, week 2)
    prepared = [] if week3 else assignment_child.prepare(load_request, namespace, cells)
    notes, skipped = load.run_definitions(
        cells, namespace, on_statement=lambda where: send({"kind": "running", "where": where})
    )
    notes += prepared
    skipped_entries = [entry.as_dict() for entry in skipped]
    try:
        if week3:
            loaded, answer = _week3(load_request, namespace, user_files, skipped, call, load)
        else:
            loaded, answer = assignment_child.loaded(load_request, namespace, user_files)
    except BaseException as e:  # not found; or a hostile __signature__ or class attribute
        found = isinstance(e, (LookupError, load.NotFound))
        message = str(e) if found else f"reading the function raised {type(e).__name__}: {e}"
        send({"kind": "loaded", "notes": notes, "not_found": message, "skipped": skipped_entries})
        return
    send({"kind": "loaded", **loaded, "notes": notes + loaded.get("notes", []), "skipped": skipped_entries})
    while True:
        request = wire.read_frame(started.request_fd)
        if request.get("kind") != "call":
            return
        result = answer(request)
        _flush()  # the learner's prints of this call, before its result
        send({"kind": "result", "index": request["index"], "nonce": request["nonce"], **result})


def _week3(load_request, namespace, user_files, skipped, call, load):
    """(the load report, how to answer a call) for week 3's function; load.NotFound when there is none."""
    found = load.find_function(namespace, load_request["function"], user_files, skipped, load_request["form"])
    loaded = {
        "notes": found.notes,
        "function": found.name,
        "form": found.form,
        "order": list(found.order),
        "global_m": load.global_m(namespace, user_files),
    }
    return loaded, lambda request: call.call_user(found.fn, found.order, request["inputs"], user_files)


def _flush():
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # the learner replaced or closed the stream
            stream.flush()


class _Cell:
    def __init__(self, where, filename, source):
        self.where, self.filename, self.source = where, filename, source


def serve(main):
    """Run ``main(sys.argv)`` as a child's whole life: its own failure is exit status CHILD_FAILED, never more."""
    status = 0
    try:
        main(sys.argv)
    except EOFError:  # the parent went away or is done
        pass
    except BaseException:
        import traceback

        traceback.print_exc()
        status = CHILD_FAILED
    finally:
        # Not sys.exit: the learner's atexit handlers and threads must not run on after the check.
        _flush()
        os._exit(status)


if __name__ == "__main__":
    serve(main)
