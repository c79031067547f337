"""How much memory a run needs, estimated from the shapes before anything is compiled, and how much there is.

Unchecked, ``--hidden-units 10000000`` on flower is a 50-line RESOURCE_EXHAUSTED traceback (or the OOM killer) after
the start-up cost. The estimate is plain arithmetic, right to within a small factor: enough to refuse a run that
cannot fit, naming the sizes.
"""

import contextlib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .history import LIMIT
from .stack import param_count

ACTIVATION_COPIES = 4  # Z1, A1, dZ1 and g'(Z1) of one step, each (n_h, m)
PARAMETER_COPIES = 4  # the parameters, the updated ones, the gradients, the kept finite ones
EVALUATION_BYTES = 256 * 2**20  # predict's forward pass runs over column batches of about this size
HOST_DATA_COPIES = 3  # the loaded values, the standardized copy, the copy cast for the device
CGROUP = "/sys/fs/cgroup/memory"  # cgroup v2's memory.max and memory.current
Sizes = dict[str, tuple[int, str, str]]  # part -> (bytes, "device" or "host", how it is counted)


class TooLarge(ValueError):
    """The run would not fit in memory; the message names the sizes."""


def evaluation_batch(n_h: int, n_y: int, itemsize: int, columns: int) -> int:
    """Columns per forward call of the evaluation: all of them, or as many as fit EVALUATION_BYTES."""
    per_column = 2 * (n_h + n_y) * itemsize
    return int(max(1, min(columns, EVALUATION_BYTES // per_column)))


def estimate(
    *,
    n_x: int,
    n_y: int,
    n_h: int | Sequence[int],
    m: int,
    m_test: int = 0,
    evaluated: int = 0,
    capacity: int,
    dtype: DTypeLike,
    devices: int = 1,
) -> Sizes:
    """Bytes a run holds at once, by part: {name: (bytes, where, how)} (where: "device" or "host"). ``n_h``: one
    network's hidden units, or each network's of a stack (as padded in its group). ``evaluated``: the columns the
    training's program predicts on after its last step (training and test examples, a boundary's grid), all at
    once and, with ``devices``, on every device (they are replicated, not sharded)."""
    hidden = [n_h] if isinstance(n_h, int) else list(n_h)
    count, units, item = len(hidden), sum(hidden), np.dtype(dtype).itemsize
    m_pad = -(-m // devices) * devices
    params = sum(param_count(n, n_x, n_y) for n in hidden)
    networks = "" if count == 1 else f" of {count} networks"
    outputs, examples = count * n_y, f"{m_pad} examples"
    in_item = f"x {item} B"
    copies = f"{devices} devices x " if devices > 1 else ""
    return {
        "activations": (
            ACTIVATION_COPIES * (units + outputs) * m_pad * item,
            "device",
            f"{ACTIVATION_COPIES} x ({units} hidden + {outputs} output units{networks}) x {examples} {in_item}",
        ),
        "parameters": (
            PARAMETER_COPIES * params * item,
            "device",
            f"{PARAMETER_COPIES} copies x {params} parameters{networks} {in_item}",
        ),
        "data": (
            ((n_x + n_y + (devices > 1)) * m_pad + devices * n_x * evaluated) * item,
            "device",
            f"({n_x} features + {n_y} labels) x {examples} + {copies}{n_x} features x {evaluated} evaluated {in_item}",
        ),
        "cost buffer": (
            capacity * count * (item + 8 + 16),
            "device",
            f"{capacity} iterations per chunk x ({item} B on the device + 24 B on the host){networks}",
        ),
        "evaluation": (
            devices * 2 * (units + outputs) * evaluated * item,
            "device",
            f"{copies}2 x ({units} + {outputs}) units x {evaluated} evaluated {in_item}",
        ),
        "host data": (
            HOST_DATA_COPIES * 8 * (n_x + n_y) * (m + m_test),
            "host",
            f"{HOST_DATA_COPIES} x ({n_x} + {n_y}) x {m + m_test} examples x 8 B",
        ),
        "cost history": (16 * (LIMIT + 1) * count, "host", f"{LIMIT + 1} points x 16 B{networks}"),
    }


def host_available() -> int | None:
    """Bytes of host memory a new allocation can get: MemAvailable (or free pages), capped by a cgroup v2 limit."""
    room = None
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        room = next((int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:")), None)
    if room is None:
        with contextlib.suppress(ValueError, OSError, AttributeError):
            room = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if room is not None:  # a cgroup's memory.max is "max" (a ValueError here) when it sets no limit
        with contextlib.suppress(OSError, ValueError), open(f"{CGROUP}.max") as f, open(f"{CGROUP}.current") as g:
            room = min(room, int(f.read()) - int(g.read()))
    return room


def device_available() -> tuple[int, str] | None:
    """(bytes, name) free on JAX's first device when it is an accelerator reporting it, else None."""
    import jax

    device = jax.devices()[0]
    stats = {} if device.platform == "cpu" else device.memory_stats() or {}
    if "bytes_limit" not in stats:
        return None
    return stats["bytes_limit"] - stats.get("bytes_in_use", 0), f"{device.platform} memory"


def size_text(size: float) -> str:
    """'1.5 GiB', '12.0 KiB', '512 B' for a number of bytes."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


_QUERY = object()


def check(sizes: Sizes, host: int | None = None, device: Any = _QUERY) -> int:
    """The total of ``sizes``, or TooLarge when the parts exceed the memory where they live: ``host`` bytes, and
    ``device`` (bytes, name) of an accelerator, or None on CPU (defaults: host_available(), device_available())."""
    host_room = (host_available() if host is None else host, "available host memory")
    device = device_available() if device is _QUERY else device
    places = {"host": host_room} if device is None else {"device": device, "host": host_room}
    for where, (room, name) in places.items():
        parts = {k: v for k, v in sizes.items() if device is None or v[1] == where}
        total = sum(size for size, _, _ in parts.values())
        if room is not None and total > room:
            largest = sorted(parts.items(), key=lambda part: -part[1][0])
            listed = ", ".join(f"{k} {size_text(size)} ({how})" for k, (size, _, how) in largest if size >= total / 100)
            raise TooLarge(
                f"the run needs about {size_text(total)} but only {size_text(room)} of {name} is "
                f"left: {listed}; use fewer hidden units, fewer examples or float32"
            )
    return sum(size for size, _, _ in sizes.values())
