"""Files replaced whole: one file (``atomic_write``) or a set that must agree (``replace_entries``), such as a
run's model, figures and summary, or a sweep's table and ``networks/``. Renamed one by one, a kill -9
between two renames would mix two saves, so a save is a small journal in the folder itself:

1. the new entries are written into ``.shallownet-save-*`` with a manifest (the family replaced, the names
   written) and flushed to the disk: one ``syncfs`` where Linux has it (not an fsync per file and folder);
2. that folder is renamed to ``.shallownet-commit``: the commit point;
3. the entries are moved into place, the family's names not written anew removed, the commit folder goes.

``recover`` deletes an uncommitted save and rolls a committed one forward (every step of 3 repeats safely):
the family is then the old set or the new one (tests/test_atomic.py kills a save at each step). A full disk
gives ``NoSpaceError`` (one line) and leaves the folder as it was. No JAX here.
"""

import contextlib
import ctypes
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


def check_space(folder: PathLike, needed: int) -> None:
    """NoSpaceError unless the filesystem that holds (or will hold) ``folder`` has ``needed`` bytes plus a margin."""
    path = Path(folder).absolute()
    free = shutil.disk_usage(next(p for p in (path, *path.parents) if p.exists())).free
    if needed + MARGIN_BYTES > free:
        raise NoSpaceError(
            errno.ENOSPC,
            f"not enough space for {folder}: its files need about {size_text(needed + MARGIN_BYTES)}, "
            f"{size_text(free)} free; nothing was written",
        )


def fsync_path(path: PathLike) -> None:
    """Flush a file's (or a folder's entries') bytes to the disk; where a system cannot, go on."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        with contextlib.suppress(OSError):
            os.fsync(fd)
        os.close(fd)


def _syncfs(folder: Path) -> bool:
    """Flush the whole filesystem that holds ``folder`` in one call (Linux's syncfs); False where unavailable."""
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
        fd = os.open(folder, os.O_RDONLY)
    except (OSError, AttributeError):
        return False
    try:
        return function(fd) == 0
    finally:
        os.close(fd)


def flush_tree(root: Path) -> None:
    """Every file and folder under ``root`` on the disk: one syncfs, else an fsync of each."""
    if not _syncfs(root):
        for parent, _, files in os.walk(root):
            for name in [*files, "."]:
                fsync_path(os.path.join(parent, name))


def atomic_write(path: PathLike, write: Callable[[BinaryIO], object]) -> None:
    """``write(file)`` on a temporary file next to ``path``, flushed, then renamed over ``path``.

    Readers see the old file or the new one; the stop signals wait meanwhile. A killed write leaves a
    hidden ``.NAME.*.tmp`` (``remove_leftovers``). Inside a save's staging folder nothing is flushed here:
    ``replace_entries`` flushes the whole save at once.
    """
    path = Path(path)
    staged = any(part.startswith(STAGING_PREFIX) for part in path.parent.parts)
    with signals.deferred():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            umask = os.umask(0)  # mkstemp makes the file owner-only: give it what open() would
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                if not staged:
                    os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        if not staged:
            fsync_path(path.parent)


def remove_leftovers(folder: PathLike, names: Iterable[str]) -> list[str]:
    """Delete the temporary files a killed ``atomic_write`` of one of ``names`` left in ``folder``; returns them."""
    prefixes = tuple(f".{name}." for name in names)
    removed = []
    for entry in os.scandir(folder):
        if entry.is_file() and entry.name.endswith(".tmp") and entry.name.startswith(prefixes):
            os.remove(entry.path)
            removed.append(entry.name)
    return removed


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


def recover(folder: PathLike) -> None:
    """Finish what a killed save left in ``folder`` (call it under the folder's lock): roll a commit forward,
    delete uncommitted saves (a commit without its manifest was killed mid-rename: never committed)."""
    folder = Path(folder)
    if (folder / COMMIT / MANIFEST).is_file():
        _roll_forward(folder)
    for entry in os.scandir(folder) if folder.is_dir() else ():
        if entry.name.startswith((STAGING_PREFIX, DONE_PREFIX)) or entry.name == COMMIT:
            _remove(Path(entry.path))


@contextlib.contextmanager
def replace_entries(folder: PathLike, family: Sequence[str], needed: int = 0) -> Iterator[Path]:
    """Yield an empty staging folder; on a clean exit what was written there replaces ``family`` in ``folder``.

    Write plainly into the staging folder: it is flushed here, once. ``family``: the names that must
    describe one thing; those not written anew are removed, other entries left alone. ``needed``: about how
    many bytes will be written (NoSpaceError first when short). An exception while writing leaves
    ``folder`` as it was; the stop signals wait while the save commits and moves into place.
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
        flush_tree(staging)
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
