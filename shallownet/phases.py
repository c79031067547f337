"""A long phase that Python cannot interrupt, run apart: shown on a terminal, left at once on a stop request.

XLA's compile is one call into C++: the main thread handles a signal only when it returns, so a
Ctrl-C during a cold compile used to wait for it, and the terminal showed nothing. ``wait(work,
label=...)`` runs ``work()`` in a thread of its own while the caller asks ``should_stop()`` every
``POLL`` seconds (a request raises ``signals.Stop`` at once; so does a signal that raises by
itself) and, on a terminal only, shows ``<label>: N s`` once the phase has lasted ``SHOW_AFTER``.
The thread left behind writes nothing of the run's; it is not a daemon, since a thread still in
XLA at interpreter shutdown aborts the process (the ``shallownet`` command ends with os._exit).
``work``'s exception, if any, is raised in the caller.
"""

import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any, TypeVar

from tqdm import tqdm

from . import signals

T = TypeVar("T")
POLL = 0.1  # seconds between two looks at the stop requests: a stop is served within this
SHOW_AFTER = 0.5  # seconds a phase lasts before it is shown


def wait(
    work: Callable[[], T],
    *,
    label: str,
    should_stop: Callable[[], int | None] | None = None,
    show: bool | None = None,
    file: IO[str] | None = None,
) -> T:
    """``work()``'s result, computed in a thread of its own (the module docstring); ``show``: display
    the phase (default: when ``file``, stderr by default, is a terminal)."""
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
    started, display = time.monotonic(), None
    try:
        while not done.wait(POLL):
            signum = None if should_stop is None else should_stop()
            if signum is not None:
                raise signals.Stop(signum)
            text = f"{label}: {int(time.monotonic() - started + 0.5)} s"
            if show and time.monotonic() - started >= SHOW_AFTER and (display is None or display.desc != text):
                if display is None:  # a one-line display, cleared when closed
                    display = tqdm(total=None, desc=text, bar_format="{desc}", file=file, leave=False, mininterval=0)
                display.set_description_str(text)
    finally:
        if display is not None:
            display.close()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
