"""SIGINT, SIGTERM and SIGHUP as requests to stop: raised, recorded, or held off during a save.

Ctrl-C, ``kill``, ``timeout``, a batch system's time limit, ``docker stop`` and
a closed terminal all mean "stop now, keep what you have". Python turns only
Ctrl-C into an exception; the others kill the process on the spot. Three
modes, each a context manager that restores the handlers it replaced:

- ``raising()``: the first of the three raises ``Stop`` (a KeyboardInterrupt)
  wherever the program is, as Ctrl-C does; later ones are ignored, so a
  second Ctrl-C cannot cut the clean-up short. The command line enters it
  first thing, before anything heavy is imported. An exception raised in a
  garbage-collection callback or a destructor is only printed by Python
  ("Exception ignored in ...") and the program goes on: during JAX's import
  an early Ctrl-C landed there and the run went on to replace a model. So
  the request stays ``pending()`` (the print is silenced) and ``recorded()``
  raises it on entry, before anything is written; ``check()`` does the same.
- ``recorded()``: they are only noted (the first one wins); the training loop
  polls the note at chunk boundaries and stops with the last finished chunk.
- ``deferred()``: around a save; a signal waits until the block has finished
  and is then handed to the handler outside it (as if it arrived just then),
  so a second Ctrl-C cannot abort the save of the first.

Handlers can be installed from the main thread only; elsewhere the modes do
nothing (signals are delivered to the main thread anyway). Python runs a
handler between bytecodes: signals that arrive while the main thread waits
in a compiled call are handled when it returns, in signal-number order.
"""

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

Handler = Callable[[int, FrameType | None], None]
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stop(KeyboardInterrupt):
    """A stop request by signal ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {name(signum)}")
        self.signum = signum


def name(signum: int) -> str:
    return signal.Signals(signum).name


def exit_code(signum: int) -> int:
    """The shell's convention for a process ended by a signal: 128 + its number."""
    return 128 + int(signum)


def _install(handler: Handler) -> dict[int, Any] | None:
    """Put ``handler`` on the three signals; returns the previous handlers (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = {}
    for signum in SIGNALS:
        old = signal.getsignal(signum)
        if old is None:  # installed from C, not from Python: leave that signal alone
            continue
        previous[signum] = old
        signal.signal(signum, handler)
    return previous


def _restore(previous: dict[int, Any] | None) -> None:
    for signum, old in (previous or {}).items():
        signal.signal(signum, old)


# The first stop request this process has seen (reset by raising()): once the
# program is on its way out, saving and reporting, later requests change nothing.
_first: int | None = None


def _importing(frame: FrameType | None) -> bool:
    """Whether the interrupted code is inside an import (importlib's frames are on the stack)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    global _first
    if _first is None:
        _first = signum
        # An exception raised while an extension module initialises can crash the interpreter (a SIGINT
        # inside jaxlib's import ended the process with SIGSEGV, 1 try in 8 at 0.2 s): during an import the
        # request only waits, and check() raises it at the next safe point, before any data is read or
        # any file is written (run.train_run/sweep_run, predict, recorded()).
        if not _importing(frame):
            raise Stop(signum)


def pending() -> int | None:
    """The signal of this process's first stop request (under raising() or recorded()), or None."""
    return _first


def check() -> None:
    """Raise Stop for a request that raising() noted but that did not end the program (see above)."""
    if _first is not None:
        raise Stop(_first)


def _quiet_stop(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    """sys.unraisablehook that drops a Stop (it stays pending) and passes anything else to ``hook``."""

    def unraisable(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, Stop):
            hook(unraisable)

    return unraisable


@contextlib.contextmanager
def raising() -> Iterator[None]:
    """Inside, the first of SIGINT, SIGTERM and SIGHUP raises Stop(signum); later ones are ignored."""
    global _first
    _first = None
    previous = _install(_raise_stop)
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_stop(hook)
    try:
        yield
    finally:
        sys.unraisablehook = hook
        _restore(previous)


class Requests:
    """The first stop request seen: ``requests()`` is its signal number, or None."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self) -> int | None:
        return self.signum

    def note(self, signum: int, frame: FrameType | None = None) -> None:
        if self.signum is None:
            self.signum = signum


def _note_first(requests: Requests) -> Handler:
    def note(signum: int, frame: FrameType | None = None) -> None:
        global _first
        requests.note(signum)
        if _first is None:
            _first = signum

    return note


@contextlib.contextmanager
def recorded() -> Iterator[Requests]:
    """Inside, the signals are only noted in the Requests yielded; the caller acts on them.

    The request also counts as this process's first (see raising()), so a
    second signal after the block, while the caller saves and reports, is ignored.
    A request raising() noted but that did not end the program is raised here (Stop), on entry.
    """
    check()
    requests = Requests()
    previous = _install(_note_first(requests))
    try:
        yield requests
    finally:
        _restore(previous)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Inside, the signals wait; at the end the first one is delivered to the handler outside."""
    pending = Requests()
    previous = _install(pending.note)
    try:
        yield
    finally:
        _restore(previous)
        if pending.signum is not None:
            signal.raise_signal(pending.signum)


def ignore_further() -> None:
    """From now on the three signals are ignored: the process is already on its way out."""
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
