"""Files replaced whole: one file (``atomic_write``) or a set of them that must agree (``replace_entries``).

A run's files (model, figures, summary) must describe one model, and a sweep's table and its ``networks/``
folder one grid. Renamed into place one by one they do not: a kill -9 between two renames leaves a new
``model.npz`` beside the old ``summary.json``. So a save is a small journal in the folder itself:

1. every new entry is written into ``.shallownet-save-*`` (same folder, so the same filesystem) and flushed,
   with a manifest naming the family of entries the save replaces and those it wrote;
2. that folder is renamed to ``.shallownet-commit``: the commit point, one atomic rename;
3. the entries are moved into place (files by ``os.replace``; a folder set aside, then renamed in), the
   family's names not written anew are removed, and the commit folder goes.

A kill before step 2 leaves the old entries untouched (and a staging folder, which ``recover`` deletes);
a kill after it leaves a commit that ``recover`` rolls forward: every step of 3 can be repeated. So once
``recover`` has run (a run's claim of its folder does, under the lock) the family is exactly the old set
or exactly the new one (tests/test_atomic.py kills a save at every step and at random instants). Readers
that do not recover (``predict --model``) read a model.npz that is always whole.

The space is checked before anything is written when the caller knows about how much it will write, and a
full disk while writing leaves the folder as it was; both give ``NoSpaceError``, one line. Nothing here
imports JAX.
"""

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from . import signals
from .memory import size_text

PathLike = str | os.PathLike[str]
MARGIN_BYTES = 64 << 10  # what a filesystem needs beyond the files' sizes (metadata, blocks partly filled)
STAGING_PREFIX = ".shallownet-save-"  # a save being written (deleted by recover: never committed)
COMMIT = ".shallownet-commit"  # a committed save being moved into place (rolled forward by recover)
DONE_PREFIX = ".shallownet-done-"  # a finished commit's leftovers (deleted by recover)
MANIFEST = ".manifest.json"  # in a save's folder: {"family": [...], "written": [...]}
ASIDE = ".replaced"  # in a save's folder: the entries it replaced, deleted with it


class NoSpaceError(OSError):
    """Not enough free space for a folder's files: refused before writing, or the disk filled while writing."""

    def __str__(self) -> str:
        return str(self.strerror)  # one line, without OSError's "[Errno 28]" prefix


def free_bytes(folder: PathLike) -> int:
    """Free bytes on the filesystem that holds ``folder`` (or would: its nearest existing ancestor)."""
    path = Path(folder).absolute()
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def check_space(folder: PathLike, needed: int) -> None:
    """NoSpaceError unless the filesystem that holds (or will hold) ``folder`` has ``needed`` bytes plus a margin."""
    free = free_bytes(folder)
    if needed + MARGIN_BYTES > free:
        raise NoSpaceError(
            errno.ENOSPC,
            f"not enough space for {folder}: its files need about {size_text(needed + MARGIN_BYTES)}, "
            f"{size_text(free)} free; nothing was written",
        )


def fsync_path(path: PathLike) -> None:
    """Flush a file's (or a folder's entries') bytes to the disk; where a system cannot, go on."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)


def temporary_prefix(name: str) -> str:
    return f".{name}."


def atomic_write(path: PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(file)`` on a temporary file next to ``path``, flush it, then rename it over ``path``.

    Readers see the old file or the new one, never a partial one; the stop signals wait until the
    write is complete (or undone). A killed write leaves a hidden ``.NAME.*.tmp`` (``remove_leftovers``).
    """
    path = Path(path)
    with signals.deferred():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path.name), suffix=".tmp")
        try:
            umask = os.umask(0)  # mkstemp makes the file owner-only: give it what open() would
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        fsync_path(path.parent)


def remove_leftovers(folder: PathLike, names: Iterable[str]) -> list[str]:
    """Delete the temporary files a killed ``atomic_write`` of one of ``names`` left in ``folder``; returns them."""
    prefixes = tuple(temporary_prefix(name) for name in names)
    removed = []
    for entry in os.scandir(folder):
        if entry.is_file() and entry.name.endswith(".tmp") and entry.name.startswith(prefixes):
            os.remove(entry.path)
            removed.append(entry.name)
    return removed


def _flush_tree(root: Path) -> None:
    for parent, _, files in os.walk(root):
        for name in files:
            fsync_path(os.path.join(parent, name))
        fsync_path(parent)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _roll_forward(folder: Path) -> None:
    """Move a committed save's entries into place (step 3); every step may be repeated after a kill."""
    commit = folder / COMMIT
    manifest = json.loads((commit / MANIFEST).read_text())
    for name in manifest["family"]:
        target, new, aside = folder / name, commit / name, commit / ASIDE / name
        written = name in manifest["written"]
        if os.path.lexists(target) and (not written or (os.path.lexists(new) and new.is_dir())):
            if os.path.lexists(aside):
                _remove(aside)  # set aside before, and the name taken again since: both are the old set's
            os.rename(target, aside)  # a folder cannot be renamed over a folder that holds files
        if written and os.path.lexists(new):
            os.replace(new, target)
    fsync_path(folder)
    done = folder / f"{DONE_PREFIX}{os.urandom(4).hex()}"
    os.rename(commit, done)
    _remove(done)


def recover(folder: PathLike) -> list[str]:
    """Finish what a killed save left in ``folder``: roll a commit forward, delete uncommitted saves.

    Call with the folder's lock held. Returns the names of the hidden entries it dealt with.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    if (folder / COMMIT / MANIFEST).is_file():
        _roll_forward(folder)
        found.append(COMMIT)
    for entry in os.scandir(folder):
        if entry.name.startswith((STAGING_PREFIX, DONE_PREFIX)) or entry.name == COMMIT:
            _remove(Path(entry.path))  # a commit without its manifest was never committed (killed mid-rename)
            found.append(entry.name)
    return found


@contextlib.contextmanager
def replace_entries(folder: PathLike, family: Sequence[str], needed: int = 0) -> Iterator[Path]:
    """Yield an empty staging folder; on a clean exit what was written there replaces ``family`` in ``folder``.

    ``family``: the names (files or folders) that must describe one thing; those not written anew are
    removed, the folder's other entries are left alone. ``needed``: about how many bytes will be written
    (NoSpaceError before anything is, when short). An exception while writing (a full disk, a signal's
    exception) leaves ``folder`` as it was and removes the staging folder; the stop signals wait while
    the save commits and moves into place.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    recover(folder)
    check_space(folder, needed)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        yield staging
        written = sorted(os.listdir(staging))
        unknown = sorted(set(written) - set(family))
        if unknown:
            raise ValueError(f"replace_entries: {', '.join(unknown)} not in the family {', '.join(family)}")
        (staging / ASIDE).mkdir()
        (staging / MANIFEST).write_text(json.dumps({"family": list(family), "written": written}))
        _flush_tree(staging)
    except BaseException as e:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(e, OSError) and e.errno == errno.ENOSPC and not isinstance(e, NoSpaceError):
            message = f"the disk filled while writing {folder}'s files; they were left as they were"
            raise NoSpaceError(errno.ENOSPC, message) from None
        raise
    with signals.deferred():
        os.rename(staging, folder / COMMIT)  # the commit point
        fsync_path(folder)
        _roll_forward(folder)
