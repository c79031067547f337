"""Run a learner's file in a child process: time limits, a memory limit, captured output, a channel of its own.

The child (``checker.child``) starts with stdin closed, stdout and stderr on
pipes this process drains into bounded buffers (a flood of prints can
neither block the child nor fill this process's memory), and two more pipes
for the messages. It gets a fresh process group, so that a time limit kills
whatever it started too. Each reply must carry the token sent at start and
be the kind of message awaited; anything else is tampering and ends the run.
How the child ended when it ended early (exit status, signal, time limit) is
told in words; the verdict is never taken from the child, only the arrays.
"""

import contextlib
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import sandbox, wire
from .child import CHILD_FAILED

if TYPE_CHECKING:
    from .files import Source

ROOT = str(Path(__file__).resolve().parent.parent)  # the folder holding the checker package
EVENT_KINDS = ("kill", "start", "autodiff", "import")
NO_SANDBOX = sandbox.Isolation("none", "--sandbox none")
LIVE: "set[Child]" = set()  # children running now (stop_children ends them all on Ctrl-C)
LIVE_LOCK = threading.Lock()


def stop_children() -> None:
    """Kill every child running now (and, sandboxed, every process it started)."""
    with LIVE_LOCK:
        children = list(LIVE)
    for child in children:
        child.kill()


@dataclass(frozen=True)
class Place:
    """Where one file runs: the isolation, the folders it must not see, and the files it gets (name -> text)."""

    isolation: sandbox.Isolation = NO_SANDBOX
    hidden: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Limits:
    """What the learner's code may use: seconds per call, megabytes of address space, bytes of output kept."""

    timeout: float = 5.0
    memory_mb: int = 4096
    output_bytes: int = 64 * 1024
    start_timeout: float = 60.0  # Python and numpy starting up, on a busy machine
    load_seconds: float | None = None  # None: load_timeout's default

    @property
    def load_timeout(self) -> float:
        """Loading the file runs its imports (matplotlib, sklearn ...): more than a call, at least 20 s."""
        return self.load_seconds if self.load_seconds is not None else max(20.0, 4 * self.timeout)


class Captured:
    """The first ``limit`` bytes of a stream, and how much came in all."""

    def __init__(self, limit: int) -> None:
        self.limit, self.head, self.bytes, self.newlines, self.last = limit, bytearray(), 0, 0, b"\n"

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.bytes += len(chunk)
        self.newlines += chunk.count(b"\n")
        self.last = chunk[-1:]
        if len(self.head) < self.limit:
            self.head += chunk[: self.limit - len(self.head)]

    @property
    def lines(self) -> int:
        """Lines printed, the last one counted even without its newline."""
        return self.newlines + (self.last != b"\n")

    @property
    def text(self) -> str:
        return self.head.decode("utf-8", errors="replace")

    @property
    def truncated(self) -> bool:
        return self.bytes > len(self.head)


class ChildGone(Exception):
    """The child ended, timed out or broke the protocol before answering; the message says how."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def describe_end(returncode, memory_mb):
    """'exited with status 0', 'was killed by SIGKILL (...)': how a process ended, in words."""
    if returncode is None:
        return "is still running"
    if returncode == CHILD_FAILED:
        return f"failed inside the checker's own code (exit status {returncode})"
    if returncode >= 0:
        hint = " (os._exit() in your code, or an exit the checker could not catch)" if returncode == 0 else ""
        return f"exited with status {returncode}{hint}"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    hints = {
        "SIGKILL": "killed: out of memory, or from outside",
        "SIGSEGV": "a crash: segmentation fault",
        "SIGBUS": "a crash: bus error",
        "SIGABRT": "aborted",
        "SIGXCPU": "its CPU time limit",
    }
    hint = hints.get(name, "")
    if name in ("SIGKILL", "SIGABRT") and memory_mb:
        hint += f"; the memory limit is {memory_mb} MB (--memory)"
    return f"was ended by {name}" + (f" ({hint})" if hint else "")


class Child:
    """One child process and its pipes; ``request`` sends a message and waits for the awaited reply."""

    def __init__(self, limits, place):
        self.limits, self.place = limits, place
        self.token = secrets.token_hex(16)
        self.events: list[dict[str, str]] = []
        request_read, self.requests = os.pipe()
        self.replies, reply_write = os.pipe()
        kind = place.isolation.kind
        # -P: the working directory is not put first on sys.path, so a numpy.py or a checker.py of the learner's
        # cannot stand in for the child's own modules; the child adds its working folder after its imports.
        command = [
            sys.executable,
            "-P",
            "-m",
            "checker.child",
            str(request_read),
            str(reply_write),
            str(limits.memory_mb),
            str(sandbox.PROCESSES if place.isolation.sandboxed else 0),
        ]
        if place.isolation.sandboxed:
            workdir, lib = sandbox.WORKDIRS[kind], sandbox.LIBDIRS[kind]
            command = sandbox.wrapped(kind, place.hidden, str(Path(ROOT) / "checker")).command(command)
            self.scratch = None
        else:
            self.scratch = tempfile.mkdtemp(prefix="shallownet-check-")
            workdir, lib = self.scratch, ROOT
        env = sandbox.clean_environment({"HOME": workdir, "TMPDIR": workdir, "PYTHONPATH": lib})
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(request_read, reply_write),
                cwd=workdir if self.scratch else "/",
                env=env,
                start_new_session=True,
            )
        except BaseException:
            self._remove_scratch()
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
        with LIVE_LOCK:
            LIVE.add(self)
        stdout, stderr = self.process.stdout, self.process.stderr
        assert stdout is not None and stderr is not None  # both are pipes (subprocess.PIPE above)
        self.pipes = (stdout, stderr)
        self.stdout, self.stderr = Captured(limits.output_bytes), Captured(limits.output_bytes)
        self.streams = {stdout.fileno(): self.stdout, stderr.fileno(): self.stderr}
        self.selector = selectors.DefaultSelector()
        for fd in (self.replies, *self.streams):
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ)
        self.frames, self.where = wire.FrameBuffer(), ""
        self.pending: deque[dict[str, Any]] = deque()
        self.reply_closed = False

    def send(self, message):
        """Send a message; a child that is gone shows in the next ``receive``."""
        with contextlib.suppress(OSError):
            wire.write_frame(self.requests, {**message, "token": self.token})

    def receive(self, kind, timeout, doing):
        """The next message of ``kind``; ChildGone when the child ends, times out or sends anything else."""
        deadline = time.monotonic() + timeout
        while True:
            while self.pending:
                message = self.pending.popleft()
                if message.get("token") != self.token or message.get("kind") not in (kind, "running", "event"):
                    self.kill()
                    raise ChildGone(
                        f"the process running your code sent a message the checker did not write "
                        f"while {doing}: "
                        "its result channel was tampered with"
                    )
                if message["kind"] == "running":
                    self.where = str(message.get("where", ""))[:80]
                    continue
                if message["kind"] == "event":
                    self._event(message.get("event"))
                    continue
                return message
            at = f" (at {self.where})" if self.where and doing.startswith("loading") else ""
            if self.reply_closed:
                code = self._wait_for_end()
                end = (
                    "closed the checker's channel and kept running; it was stopped"
                    if code is None
                    else describe_end(code, self.limits.memory_mb)
                )
                raise ChildGone(f"the process running your code {end} while {doing}{at}")
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise ChildGone(
                    f"{doing}{at} took longer than {timeout:g} s, the time limit (--timeout); the process was stopped",
                    timed_out=True,
                )
            for key, _ in self.selector.select(left):
                self._read(key.fd)

    def _read(self, fd):
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if fd != self.replies:
            if chunk:
                self.streams[fd].feed(chunk)
            else:
                self.selector.unregister(fd)
            return
        if not chunk:
            self.reply_closed = True
            self.selector.unregister(fd)
            return
        self.frames.feed(chunk)
        try:
            self.pending.extend(wire.decode(payload) for payload in self.frames.frames())
        except wire.WireError as e:
            self.kill()
            raise ChildGone(
                f"the process running your code sent a message the checker cannot read ({e}): "
                "its result channel was tampered with"
            ) from None

    def _event(self, event):
        """Keep what the guard reported (a refused signal, a process started, an autodiff call), 50 at most."""
        if isinstance(event, dict) and event.get("kind") in EVENT_KINDS and len(self.events) < 50:
            self.events.append({"kind": str(event["kind"]), "what": str(event.get("what", ""))[:120]})

    def returncode(self, code):
        """The child's own exit status: bubblewrap exits 128 + N when its child was ended by signal N."""
        if self.place.isolation.kind == "bubblewrap" and code is not None and 128 < code < 128 + 65:
            return -(code - 128)
        return code

    def _remove_scratch(self):
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def _wait_for_end(self):
        """The exit status, or None when the child closed its channel but lived on (then it is killed)."""
        try:
            return self.returncode(self.process.wait(timeout=min(5.0, self.limits.timeout)))
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        """Kill the child's whole process group (what it started too)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def close(self):
        """Tell the child it is done, stop it, keep what it printed last, free the pipes."""
        if self.process.poll() is None:
            self.send({"kind": "done"})
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.5)
        self.kill()
        self._drain(deadline=time.monotonic() + 1.0)
        self.selector.close()
        for fd in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        for pipe in self.pipes:
            pipe.close()
        self._remove_scratch()
        with LIVE_LOCK:
            LIVE.discard(self)

    def _drain(self, deadline):
        """Read what is left in the output pipes (a stray grandchild may hold them: not past ``deadline``)."""
        while self.selector.get_map() and time.monotonic() < deadline:
            events = self.selector.select(max(0.0, deadline - time.monotonic()))
            if not events:
                break
            for key, _ in events:
                try:
                    self._read(key.fd)
                except ChildGone:
                    self.selector.unregister(key.fd)


# --- checking the messages -----------------------------------------------------------------


def _clean_value(value):
    if not isinstance(value, dict):
        raise ValueError("entry")
    if "array" in value:
        if not isinstance(value["array"], np.ndarray):
            raise ValueError("array")
        return {"array": value["array"], "matrix": bool(value.get("matrix"))}
    return {"type": str(value.get("type", "?"))[:80], "repr": str(value.get("repr", ""))[:80]}


def clean_result(message):
    """A call's result with only the fields and types the checker reads (ValueError otherwise)."""
    if "error" in message:
        error = message["error"]
        if not isinstance(error, dict):
            raise ValueError("error report")
        arrays = error.get("locals") or {}
        if not isinstance(arrays, dict) or not all(isinstance(array, np.ndarray) for array in arrays.values()):
            raise ValueError("error report")

        def text(key, limit):
            return None if error.get(key) is None else str(error[key])[:limit]

        return {
            "error": {
                "type": text("type", 80) or "?",
                "message": text("message", 1000) or "",
                "key": text("key", 80),
                "name": text("name", 80),
                "traceback": text("traceback", 20000) or "",
                "locals": {str(k): v for k, v in arrays.items()},
                "none_locals": [str(name)[:20] for name in (error.get("none_locals") or [])][:20],
                "line": text("line", 200) or "",
            }
        }
    output = message.get("output")
    if not isinstance(output, dict):
        raise ValueError("result")
    if output.get("kind") == "dict":
        entries = output.get("entries")
        if not isinstance(entries, dict):
            raise ValueError("result")
        return {"output": {"kind": "dict", "entries": {str(k)[:80]: _clean_value(v) for k, v in entries.items()}}}
    return {"output": {"kind": str(output.get("kind"))[:80], "holds_dict": bool(output.get("holds_dict"))}}


def _clean_loaded(message):
    def texts(key):
        value = message.get(key) or []
        return [str(t)[:500] for t in value][:200] if isinstance(value, list) else []

    skipped = [entry for entry in (message.get("skipped") or []) if isinstance(entry, dict)][:500]
    loaded = {
        "notes": texts("notes"),
        "skipped": [
            {
                "where": str(entry.get("where", ""))[:80],
                "names": [str(name)[:80] for name in entry.get("names", [])],
                "why": str(entry.get("why", ""))[:300],
            }
            for entry in skipped
        ],
    }
    if "not_found" in message:
        return {**loaded, "not_found": str(message["not_found"])[:1000]}
    order = [str(n) for n in message.get("order") or []]
    if message.get("form") not in ("backward", "grads") or not set(order) <= {"parameters", "cache", "X", "Y"}:
        raise ValueError("load report")
    global_m = message.get("global_m") if isinstance(message.get("global_m"), dict) else {}
    return {
        **loaded,
        "function": str(message.get("function", "?"))[:120],
        "form": message["form"],
        "order": order,
        "global_m": {
            "functions": [str(name)[:80] for name in global_m.get("functions") or []][:20],
            "value": None if global_m.get("value") is None else str(global_m["value"])[:40],
        },
    }


# --- one file -------------------------------------------------------------------------------


@dataclass
class ChildRun:
    """What the child did with one file: the load, one result per problem (None: not run), how it ended."""

    loaded: dict | None = None
    results: list = field(default_factory=list)
    ended: str | None = None  # set when the child ended, timed out or was stopped early
    timed_out: bool = False
    stdout: Captured | None = None
    stderr: Captured | None = None
    seconds: float = 0.0
    events: list = field(default_factory=list)  # what the guard reported: {"kind", "what"}


def load_message(source: "Source", place: Place, **extra: Any) -> dict[str, Any]:
    """The first message every child (checker.child.start) reads: the cells to run, the files its private
    working folder gets (the learner's own file and ``place.files``), the file's name; ``extra`` for its kind."""
    return {
        "kind": "load",
        "cells": [{"where": cell.where, "filename": cell.filename, "source": cell.source} for cell in source.cells],
        "files": {**dict(place.files), source.path.name: source.text},
        "name": source.path.name,
        **extra,
    }


def run_file(
    source: "Source",
    function: str | None,
    form: str,
    inputs: list[dict[str, Any]],
    limits: Limits,
    place: Place = Place(),
) -> ChildRun:
    """Load ``source`` (checker.files.Source) in a child and call its week-3 function on each of ``inputs``."""
    calls = [{"inputs": problem_inputs} for problem_inputs in inputs]
    return run_child(source, {"function": function, "form": form}, calls, limits, place)


def run_child(
    source: "Source",
    request: dict[str, Any],
    calls: list[dict[str, Any]],
    limits: Limits,
    place: Place = Place(),
    read: tuple[Any, Any] = (_clean_loaded, clean_result),
    call_seconds: float | None = None,
) -> ChildRun:
    """Load ``source`` in a child (the load message gets ``request``: the problem, the function) and send it each
    of ``calls``; every problem's file runs through here. ``read``: how the load report and each result are
    checked (ValueError: tampered); ``call_seconds``: the time limit of one call (default ``limits.timeout``).

    The child gets a copy of the learner's own file and ``place.files`` (their helper modules) in an empty
    working folder of its own, and runs in ``place.isolation``.
    """
    started = time.monotonic()
    run = ChildRun(results=[None] * len(calls))
    child = Child(limits, place)
    read_loaded, read_result = read
    try:
        child.send(load_message(source, place, **request))
        child.receive("ready", limits.start_timeout, "starting Python and numpy")
        run.loaded = read_loaded(child.receive("loaded", limits.load_timeout, f"loading {source.path.name}"))
        if "not_found" not in run.loaded:
            for i, call in enumerate(calls):
                # A fresh nonce per call: no result can be written before its call was made.
                nonce = secrets.token_hex(8)
                child.send({"kind": "call", "index": i, "nonce": nonce, **call})
                doing = f"calling {run.loaded.get('function')} on {request.get('what', 'problem')} {i + 1}"
                result = child.receive("result", call_seconds or limits.timeout, doing)
                if result.get("index") != i or result.get("nonce") != nonce:
                    raise ChildGone(
                        "the process running your code answered a call the checker did not make: "
                        "its result channel was tampered with"
                    )
                run.results[i] = read_result(result)
    except ChildGone as e:
        run.ended, run.timed_out = str(e), e.timed_out
    except ValueError as e:  # a message with the token but not the checker's fields
        run.ended = f"the process running your code sent a malformed {e}: its result channel was tampered with"
    except TypeError as e:  # the token, the checker's fields, but values of another type (a number for a list)
        run.ended = (
            f"the process running your code sent a malformed message ({e}): its result channel was tampered with"
        )
    finally:
        child.close()
    run.stdout, run.stderr, run.events = child.stdout, child.stderr, child.events
    run.seconds = time.monotonic() - started
    return run
