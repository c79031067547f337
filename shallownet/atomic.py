"""A folder's files replaced all at once or not at all.

A run's files (model, plots, summary) must describe one model. Writing them one by one into the run's folder
leaves a mixture when the disk fills or the process dies between two of them: a new ``model.npz`` beside the
old ``summary.json``. Here they are written into a sibling temporary folder (same parent, so the same
filesystem) and swapped in with one rename. On Linux ``renameat2(RENAME_EXCHANGE)`` swaps the two folders in
one step; where it is missing (another OS, a filesystem without it) the old folder is renamed aside and the new
one renamed in, and a crash between the two renames leaves the old folder whole under ``.NAME.old-*`` and
``NAME`` absent, never a mixture.

The space is checked before anything is written, when the caller knows about how much it will write, and a
full disk while writing leaves the folder as it was. Both give ``NoSpaceError``, one line.

Nothing here imports JAX (memory.size_text prints the sizes); the engine calls ``replace_folder`` around its writes:

    with atomic.replace_folder(out, needed=estimated_bytes, carry=("checkpoint.npz",)) as staging:
        save_model(staging / "model.npz"); save_plots(staging); write_summary(staging / "summary.json")
"""

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from .memory import size_text

PathLike = str | os.PathLike[str]
MARGIN_BYTES = 64 << 10  # what a filesystem needs beyond the files' sizes (metadata, blocks partly filled)
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


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


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def swap_in(staging: Path, target: Path) -> None:
    """Make ``staging`` the folder at ``target`` (its old content removed), in one rename where possible."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging)  # the old folder, now at the staging path
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, aside / target.name)
    os.rename(staging, target)
    shutil.rmtree(aside)


def _carry(names: Sequence[str], source: Path, staging: Path) -> None:
    """Files of the old folder the new one keeps (hard links where possible: no bytes copied)."""
    for name in names:
        old = source / name
        if old.is_file() and not (staging / name).exists():
            try:
                os.link(old, staging / name)
            except OSError:
                shutil.copy2(old, staging / name)


@contextlib.contextmanager
def replace_folder(target: PathLike, needed: int = 0, carry: Sequence[str] = ()) -> Iterator[Path]:
    """Yield an empty sibling folder to write into; on a clean exit it replaces ``target`` whole.

    ``needed``: about how many bytes will be written (checked before, NoSpaceError when short).
    ``carry``: names of files in the old folder to keep in the new one unless written anew.
    On any exception (a full disk, a signal's exception) ``target`` is left as it was and the
    staging folder removed; a full disk is raised as NoSpaceError naming the folder.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"{target} exists and is not a folder")
    check_space(target, needed)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    with _undone_on_failure(staging, f"the disk filled while writing {target}'s files; {target} left as it was"):
        yield staging
        if target.is_dir():
            _carry(carry, target, staging)
        swap_in(staging, target)


@contextlib.contextmanager
def _undone_on_failure(staging: Path, full_disk: str) -> Iterator[None]:
    """On any exception the staging folder goes; a full disk (ENOSPC) is raised as NoSpaceError(full_disk)."""
    try:
        yield
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        if e.errno == errno.ENOSPC and not isinstance(e, NoSpaceError):
            raise NoSpaceError(errno.ENOSPC, full_disk) from None
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


STAGING_PREFIX = ".shallownet-save-"  # a save's staging folder inside the folder it replaces files of


def fsync_path(path: PathLike) -> None:
    """Flush a file's (or a folder's entries') bytes to the disk; where a system cannot, go on."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_staging(folder: PathLike, replaced: Sequence[str] = ()) -> list[str]:
    """Delete the staging folders a killed save left in ``folder``: replace_files', and replace_folder's
    for the subfolders named in ``replaced`` (``.NAME.new-*``; never ``.NAME.old-*``, which may be all of NAME)."""
    prefixes = (STAGING_PREFIX, *(f".{name}.new-" for name in replaced))
    removed = []
    for entry in os.scandir(folder):
        if entry.name.startswith(prefixes) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
    return removed


@contextlib.contextmanager
def replace_files(folder: PathLike, family: Sequence[str], needed: int = 0) -> Iterator[Path]:
    """Yield an empty staging folder; on a clean exit the files written there replace ``family`` in ``folder``.

    For a folder that may hold other things (a user's ``--out .``), which ``replace_folder`` would sweep
    away: every new file is written and flushed before the first one replaces its namesake, and the
    names of ``family`` not written anew are removed, so the family always describes one model. A full
    disk or an exception while writing leaves ``folder`` as it was (NoSpaceError for a full disk); the
    renames that follow need no space. ``needed``: about how many bytes will be written (checked first).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    check_space(folder, needed)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    with _undone_on_failure(staging, f"the disk filled while writing {folder}'s files; they were left as they were"):
        yield staging
        written = sorted(os.listdir(staging), key=lambda name: name.endswith(".json"))  # a summary last
        unknown = sorted(set(written) - set(family))
        if unknown:
            raise ValueError(f"replace_files: {', '.join(unknown)} not in the family {', '.join(family)}")
        for name in written:
            fsync_path(staging / name)
        for name in written:
            os.replace(staging / name, folder / name)
        for name in set(family) - set(written):
            with contextlib.suppress(FileNotFoundError):
                os.remove(folder / name)
        fsync_path(folder)
        os.rmdir(staging)
