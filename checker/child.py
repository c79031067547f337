"""The child process that runs the learner's code: ``python -m checker.child REQUEST_FD REPLY_FD MEMORY_MB``.

It imports numpy and the standard library only (the package's __init__ is
lazy, so neither JAX nor the truth is ever loaded here), caps its own address
space (RLIMIT_AS, soft and hard, before any learner code runs), then answers
the parent's messages on two pipes of its own: stdout and stderr are the
learner's, captured by the parent, so nothing printed can pass for a
message. Every reply carries the token the parent sent. The parent enforces
the time limits and computes the verdict; this process only loads, calls
and describes.
"""

import contextlib
import os
import resource
import sys

CHILD_FAILED = 70  # the child's own code failed (EX_SOFTWARE), not the learner's


def _limit_memory(megabytes):
    if megabytes > 0:
        size = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind


def main(argv):
    request_fd, reply_fd, megabytes = (int(argument) for argument in argv[1:4])
    import numpy as np  # noqa: F401  (before the limit: numpy's own start-up is not the learner's memory)

    from checker import wire

    _limit_memory(megabytes)
    from checker import call, load

    load_request = wire.read_frame(request_fd)
    token = load_request["token"]

    def send(message):
        wire.write_frame(reply_fd, {**message, "token": token})

    send({"kind": "ready"})
    sys.path.insert(0, load_request["folder"])  # the learner's own helper modules, as in their notebook
    sys.argv = [load_request["path"]]
    cells = [_Cell(**cell) for cell in load_request["cells"]]
    user_files = {cell.filename for cell in cells}
    namespace = {"__name__": load.NAMESPACE, "__file__": load_request["path"], "__builtins__": __builtins__}
    notes, skipped = load.run_definitions(
        cells, namespace, on_statement=lambda where: send({"kind": "running", "where": where})
    )
    try:
        found = load.find_function(namespace, load_request["function"], user_files, skipped, load_request["form"])
    except load.NotFound as e:
        send({"kind": "loaded", "notes": notes, "not_found": str(e), "skipped": [entry.as_dict() for entry in skipped]})
        return
    except BaseException as e:  # a hostile __signature__ or class attribute
        send(
            {
                "kind": "loaded",
                "notes": notes,
                "not_found": f"reading the function raised {type(e).__name__}: {e}",
                "skipped": [entry.as_dict() for entry in skipped],
            }
        )
        return
    send(
        {
            "kind": "loaded",
            "notes": notes + found.notes,
            "function": found.name,
            "form": found.form,
            "order": list(found.order),
            "skipped": [entry.as_dict() for entry in skipped],
            "global_m": load.global_m(namespace, user_files),
        }
    )
    while True:
        request = wire.read_frame(request_fd)
        if request.get("kind") != "call":
            return
        result = call.call_user(found.fn, found.order, request["inputs"], user_files)
        _flush()  # the learner's prints of this call, before its result
        send({"kind": "result", "index": request["index"], "nonce": request["nonce"], **result})


def _flush():
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # the learner replaced or closed the stream
            stream.flush()


class _Cell:
    def __init__(self, where, filename, source):
        self.where, self.filename, self.source = where, filename, source


if __name__ == "__main__":
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
