"""The messages between the checker and the child process that runs the learner's code.

A message is one JSON object in a frame: 8 bytes of big-endian length, then
the UTF-8 JSON. Arrays travel as {"__array__": {"dtype", "shape", "data"}}
with the raw bytes in base64. Never pickle: unpickling what a hostile child
wrote would run its code in the checker. The decoder accepts numeric dtypes
only (bool, int, uint, float, complex), checks that the bytes fill the shape,
and refuses frames larger than MAX_FRAME.
"""

import base64
import json
import os
import struct

import numpy as np

HEADER = struct.Struct(">Q")
MAX_FRAME = 64 * 1024 * 1024
NUMERIC_KINDS = "biufc"


class WireError(Exception):
    """A frame that is not one of the checker's messages (malformed, too large, a refused dtype)."""


def _to_json(value):
    if isinstance(value, np.ndarray):
        # tobytes() writes C order whatever the layout; np.ascontiguousarray would make a 0-d array 1-d.
        return {
            "__array__": {
                "dtype": value.dtype.str,
                "shape": list(value.shape),
                "data": base64.b64encode(value.tobytes()).decode("ascii"),
            }
        }
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot send a {type(value).__name__}")


def _array(spec):
    try:
        dtype = np.dtype(spec["dtype"])
        shape = tuple(int(n) for n in spec["shape"])
        data = base64.b64decode(spec["data"], validate=True)
    except (KeyError, TypeError, ValueError) as e:
        raise WireError(f"malformed array: {e}") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or any(n < 0 for n in shape):
        raise WireError(f"refused array dtype {dtype} or shape {shape}")
    if len(data) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise WireError("array bytes do not fill its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _from_json(obj):
    if "__array__" in obj:
        if len(obj) != 1 or not isinstance(obj["__array__"], dict):
            raise WireError("malformed array")
        return _array(obj["__array__"])
    return obj


def encode(message):
    """One frame holding ``message`` (a dict of JSON values and numpy arrays)."""
    payload = json.dumps(message, default=_to_json, allow_nan=True).encode("utf-8")
    if len(payload) > MAX_FRAME:
        raise WireError(f"message of {len(payload)} bytes is over the {MAX_FRAME}-byte limit")
    return HEADER.pack(len(payload)) + payload


def decode(payload):
    """The message in one frame's payload; WireError when it is not a JSON object the checker sends."""
    try:
        message = json.loads(payload.decode("utf-8"), object_hook=_from_json)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise WireError(f"not a message: {e}") from None
    if not isinstance(message, dict):
        raise WireError("not a message: not a JSON object")
    return message


class FrameBuffer:
    """Bytes read so far from a stream of frames; ``frames()`` yields the complete payloads."""

    def __init__(self):
        self.data = bytearray()

    def feed(self, chunk):
        self.data += chunk

    def frames(self):
        while len(self.data) >= HEADER.size:
            (size,) = HEADER.unpack_from(self.data)
            if size > MAX_FRAME:
                raise WireError(f"frame of {size} bytes is over the {MAX_FRAME}-byte limit")
            if len(self.data) < HEADER.size + size:
                return
            payload = bytes(self.data[HEADER.size : HEADER.size + size])
            del self.data[: HEADER.size + size]
            yield payload


def write_frame(fd, message):
    """Write one message to a file descriptor (blocking, all of it)."""
    view = memoryview(encode(message))
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd):
    """Read one message from a file descriptor (blocking); EOFError when the other side closed it."""
    header = _read_exactly(fd, HEADER.size)
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise WireError(f"frame of {size} bytes is over the {MAX_FRAME}-byte limit")
    return decode(_read_exactly(fd, size))


def _read_exactly(fd, size):
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
