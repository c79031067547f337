"""SIGINT, SIGTERM and SIGHUP as requests to stop ("stop now, keep what you have"; Python alone turns only Ctrl-C
into an exception), in three context managers that restore the handlers they replaced: ``raising()``, ``recorded()``
(only noted, polled at chunk boundaries) and ``deferred()`` (around a save, delivered after it).
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
# The first stop request this process has seen (reset by raising()): once the
# program is on its way out, saving and reporting, later requests change nothing.
_first: int | None = None


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


@contextlib.contextmanager
def _handling(handler: Handler) -> Iterator[None]:
    """``handler`` on the three signals inside the block (main thread only); the previous ones after it."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            old = signal.getsignal(signum)
            if old is not None:  # installed from C, not from Python: leave that signal alone
                previous[signum] = old
                signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


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
        # An exception raised while an extension module initialises can crash the interpreter (a SIGINT inside
        # jaxlib's import ended the process with SIGSEGV, 1 try in 8 at 0.2 s): there the request only waits.
        if not _importing(frame):
            raise Stop(signum)


def pending() -> int | None:
    """The signal of this process's first stop request (under raising() or recorded()), or None."""
    return _first


def check() -> None:
    """Raise Stop for a request that raising() noted but that did not end the program (see above)."""
    if _first is not None:
        raise Stop(_first)


@contextlib.contextmanager
def raising() -> Iterator[None]:
    """Inside, the first request raises Stop(signum) (later ones are ignored: a second Ctrl-C cannot cut the clean-up
    short). One Python can only print (in a destructor) or that lands in an import stays pending(): check()."""
    global _first
    _first = None
    hook = sys.unraisablehook

    def unraisable(unraisable: Any) -> None:  # a Stop Python could only print stays pending, silently
        if not isinstance(unraisable.exc_value, Stop):
            hook(unraisable)

    sys.unraisablehook = unraisable
    try:
        with _handling(_raise_stop):
            yield
    finally:
        sys.unraisablehook = hook


class Requests:
    """The first stop request seen: ``requests()`` is its signal number, or None. ``first``: the request is also
    this process's first (see raising()), so a signal while the caller saves and reports is ignored."""

    def __init__(self, first: bool = False) -> None:
        self.signum: int | None = None
        self.first = first

    def __call__(self) -> int | None:
        return self.signum

    def note(self, signum: int, frame: FrameType | None = None) -> None:
        global _first
        if self.signum is None:
            self.signum = signum
        if self.first and _first is None:
            _first = signum


@contextlib.contextmanager
def recorded() -> Iterator[Requests]:
    """Inside, the signals are only noted in the Requests yielded; a request already pending is raised on entry."""
    check()
    requests = Requests(first=True)
    with _handling(requests.note):
        yield requests


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Inside, the signals wait; at the end the first one is delivered to the handler outside."""
    waiting = Requests()
    try:
        with _handling(waiting.note):
            yield
    finally:
        if waiting.signum is not None:
            signal.raise_signal(waiting.signum)


def ignore_further() -> None:
    """From now on the three signals are ignored: the process is already on its way out."""
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
