"""A long phase that Python cannot interrupt, run apart: shown on a terminal, left at once on a stop request.

XLA's compile of a training program is one call into C++: the main thread
handles a signal only when that call returns, so a Ctrl-C during a sweep's
cold compile (most of the command's wall time) used to wait for it, and the
terminal showed nothing meanwhile. ``wait(work, label=...)`` runs ``work()`` in
a thread of its own while the calling thread

- asks ``should_stop()`` (``signals.recorded``'s Requests) every ``POLL``
  seconds and, on a request, raises ``signals.Stop`` at once; a signal that
  raises by itself (``signals.raising``, Python's default Ctrl-C) interrupts
  the wait the same way. The thread is left behind: it writes nothing of the
  run's (what it computes is dropped). The ``shallownet`` command then exits
  at once (``cli.console`` ends the process with ``os._exit``); a Python
  program that goes on to its ordinary exit waits there for the thread (a
  thread still inside XLA when the interpreter shuts down aborts the process,
  "FATAL: exception not rethrown", so it is not a daemon);
- shows ``<label>: N s`` on stderr once the phase has lasted ``SHOW_AFTER``
  seconds, only when stderr is a terminal (so a program loaded from the
  compile cache, a pipe, a log file or a notebook see nothing), and clears it
  when the phase ends.

``work``'s exception, if any, is raised in the caller.
"""

import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any, TypeVar

from . import signals

T = TypeVar("T")
POLL = 0.1  # seconds between two looks at the stop requests: a stop is served within this
SHOW_AFTER = 0.5  # seconds a phase lasts before it is shown


def _shown(text: str, file: IO[str]) -> Any:
    """A one-line tqdm display showing ``text`` (changed by the caller), cleared when closed."""
    from tqdm import tqdm

    return tqdm(total=None, desc=text, bar_format="{desc}", file=file, leave=False, mininterval=0)


def wait(
    work: Callable[[], T],
    *,
    label: str,
    should_stop: Callable[[], int | None] | None = None,
    show: bool | None = None,
    file: IO[str] | None = None,
) -> T:
    """``work()``'s result, computed in a thread of its own (the module docstring).

    ``show``: display the phase (default: when ``file``, stderr by default, is a
    terminal). Raises signals.Stop(signum) when ``should_stop()`` returns a
    signal number, without waiting for ``work``.
    """
    file = sys.stderr if file is None else file
    show = file.isatty() if show is None else show
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as e:  # handed to the caller, whatever it is
            outcome["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name=f"shallownet {label}").start()
    started, display, seconds = time.monotonic(), None, -1
    try:
        while not done.wait(POLL):
            signum = None if should_stop is None else should_stop()
            if signum is not None:
                raise signals.Stop(signum)
            elapsed = time.monotonic() - started
            if show and elapsed >= SHOW_AFTER and int(elapsed + 0.5) != seconds:
                seconds = int(elapsed + 0.5)
                text = f"{label}: {seconds} s"
                if display is None:
                    display = _shown(text, file)
                else:
                    display.set_description_str(text)
    finally:
        if display is not None:
            display.close()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
