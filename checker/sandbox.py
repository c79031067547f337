"""Where a learner's file runs: a bubblewrap sandbox, an ``unshare`` one, or (where neither starts) a plain process.

A sandbox here is the child process (checker.child) started inside its own
user, PID, network, mount, IPC and UTS namespaces:

- bubblewrap (``bwrap``, Debian/Ubuntu package ``bubblewrap``): a new root
  holding, read-only, only the system folders (/usr, /bin, /lib*, /etc), the
  Python installation and its site-packages (with the checker's own packages
  masked), and the child's own modules; an empty private tmpfs as working
  folder and /tmp; a fresh /proc showing only the sandbox's processes; no
  network. ``--die-with-parent`` and the PID namespace end every process of
  the file when the check ends.
- util-linux ``unshare`` (fallback): the same namespaces, the whole file
  system remounted read-only, empty tmpfs mounts over /tmp, the working
  folder, the submissions' folders, the checker's folder and the homes;
  ``--kill-child`` and the PID namespace end every process of the file.
- none: the child process as before (its own process group, a scrubbed
  environment, a private temporary working folder), and one line saying so.

Which one starts is probed once per process (``isolation(mode)``) by
running ``true`` inside it: a kernel without unprivileged user namespaces,
a container that forbids them, or macOS falls back (``mode="auto"``) or
refuses (``mode="required"``, SandboxUnavailable).
"""

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MODES = ("auto", "required", "none", "bubblewrap", "unshare")
# The checker's own packages: never visible to the learner's code.
OUR_PACKAGES = ("manual", "reference", "checker", "shallownet")
WORKDIR = "/submission"  # the learner's working folder inside a sandbox (a fresh tmpfs)
LIBDIR = "/opt/shallownet-checker"  # the child's own modules inside a sandbox (read-only)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
HIDDEN_ALWAYS = ("/home", "/root", "/tmp", "/var/tmp", "/run", "/srv", "/mnt", "/media")
TMPFS_BYTES = 256 * 1024 * 1024
PROCESSES = 64  # RLIMIT_NPROC inside a sandbox (a fresh count in its own user namespace)

NAMESPACES = "own PID, network, mount, IPC, UTS and user namespaces"
LINES = {
    "bubblewrap": (
        f"bubblewrap sandbox: {NAMESPACES}; read-only system, checker packages and other submissions "
        "not visible; private empty working folder; scrubbed environment; every process ended with the check"
    ),
    "unshare": (
        f"unshare sandbox: {NAMESPACES}; file system read-only, checker packages, homes and other submissions "
        "hidden; private empty working folder; scrubbed environment; every process ended with the check"
    ),
    "none": (
        "no sandbox: a plain child process with a scrubbed environment and a private temporary folder; "
        "it can read the file system, see other processes and use the network"
    ),
}


class SandboxUnavailable(Exception):
    """``--sandbox required`` where no sandbox starts (the message says why)."""


@dataclass(frozen=True)
class Isolation:
    """Which isolation runs the learner's code, the one line a report shows, and why a stronger one did not run."""

    kind: str  # "bubblewrap", "unshare" or "none"
    why_not: str = ""  # why bubblewrap (and unshare) did not start, for kind != "bubblewrap"

    @property
    def sandboxed(self) -> bool:
        return self.kind != "none"

    @property
    def line(self) -> str:
        return LINES[self.kind] + (f" ({self.why_not})" if self.why_not else "")


def isolation(mode: str = "auto") -> Isolation:
    """The isolation ``mode`` gives on this machine: the strongest that starts (auto), that or an error
    (required), none, or the one named (bubblewrap, unshare: SandboxUnavailable where it does not start).
    Probed once per process."""
    if mode not in MODES:
        raise ValueError(f"sandbox mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "none":
        return Isolation("none", "--sandbox none")
    if mode in ("bubblewrap", "unshare"):
        why = _why_not(mode)
        if why:
            raise SandboxUnavailable(why)
        return Isolation(mode)
    found = _probe()
    if mode == "required" and not found.sandboxed:
        raise SandboxUnavailable(f"no sandbox can start here: {found.why_not}")
    return found


@functools.lru_cache(maxsize=1)
def _probe() -> Isolation:
    reasons: list[str] = []
    for kind in ("bubblewrap", "unshare"):
        why = _why_not(kind)
        if not why:
            return Isolation(kind, "; ".join(reasons))
        reasons.append(why)
    return Isolation("none", "; ".join(reasons))


def _why_not(kind: str) -> str:
    """'' when ``true`` runs in a ``kind`` sandbox here, else why not, in a few words."""
    if not sys.platform.startswith("linux"):
        return f"{kind}: Linux namespaces are not available on {sys.platform}"
    tool = "bwrap" if kind == "bubblewrap" else "unshare"
    if shutil.which(tool) is None:
        return f"{kind}: {tool} is not installed" + (" (package bubblewrap)" if tool == "bwrap" else "")
    # The probe starts this Python, not just any program: a sandbox that hides the interpreter (unshare's
    # fresh /tmp over a venv that lives under /tmp) did not start for the checker's purposes.
    argv = [sys.executable, "-I", "-S", "-c", ""]
    probe = wrapped(kind, (), os.path.dirname(os.path.abspath(__file__))).command(argv)
    try:
        done = subprocess.run(probe, capture_output=True, timeout=20, env=clean_environment(), check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{kind}: {e}"
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"{kind} did not start: {said[-1] if said else f'exit status {done.returncode}'}"
    return ""


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The only variables the learner's process gets: none of the teacher's (secrets, tokens, paths)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": WORKDIR,
        # One BLAS thread: many children may run side by side, and the problems are tiny.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        # What the learner's code printed reaches the report even when it then ends with os._exit or a signal
        # (a block-buffered pipe would lose it; the child used to inherit this from the caller's environment).
        "PYTHONUNBUFFERED": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
    }
    return {**env, **(extra or {})}


def our_package_dirs() -> list[str]:
    """Where manual, reference, checker and shallownet live (folders), found without importing them."""
    found = []
    for name in OUR_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append(os.path.realpath(location))
    return found


def python_dirs() -> list[str]:
    """The Python installation and every folder on this process's sys.path (the site-packages numpy is in)."""
    dirs = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    dirs |= {os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)}
    ours = our_package_dirs()
    # A folder that holds one of our packages directly (a source checkout on sys.path) is left out whole.
    return sorted(d for d in dirs if not any(os.path.dirname(p) == d for p in ours))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@dataclass(frozen=True)
class Wrapped:
    """How to start a command in a sandbox of ``kind``: what it may read, what is hidden from it."""

    kind: str
    readable: Sequence[str]  # folders bound read-only at the same path (Python, site-packages)
    hidden: Sequence[str]  # folders the sandbox must not show (submissions, our packages, the report's folder)
    lib: dict[str, str]  # path inside -> path outside, bound read-only (the child's own modules)

    def command(self, argv: Sequence[str]) -> list[str]:
        if self.kind == "bubblewrap":
            return self._bubblewrap(argv)
        if self.kind == "unshare":
            return self._unshare(argv)
        return list(argv)

    def _bubblewrap(self, argv: Sequence[str]) -> list[str]:
        command = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
        command += ["--cap-drop", "ALL"]
        # /tmp first: a Python installation under /tmp (a venv in a clone there) is then bound on top of it.
        command += ["--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
        for folder in [*SYSTEM_DIRS, *self.readable]:
            command += ["--ro-bind-try", folder, folder]
        # Our packages inside a bound folder (an installed wheel in site-packages): an empty folder over each.
        for folder in self.hidden:
            if any(_inside(folder, bound) for bound in [*SYSTEM_DIRS, *self.readable]):
                command += ["--perms", "0555", "--tmpfs", folder]
        for inside, outside in self.lib.items():
            command += ["--ro-bind", outside, inside]
        command += ["--proc", "/proc", "--dev", "/dev"]
        command += ["--size", str(TMPFS_BYTES), "--tmpfs", WORKDIR, "--chdir", WORKDIR]
        return command + ["--", *argv]

    def _unshare(self, argv: Sequence[str]) -> list[str]:
        # Inside, as the namespace's root: a fresh /tmp holding the child's modules (bound before their folder
        # is hidden), every mount remounted read-only, empty tmpfs mounts over what must not be seen, then a
        # writable working folder. Paths travel as arguments, never as code.
        script = r"""
set -e
src=$1; shift
mount -t tmpfs -o size=4m tmpfs /tmp
mkdir -p /tmp/.lib/checker /tmp/work
mount --bind "$src" /tmp/.lib/checker
awk '{print $5}' /proc/self/mountinfo | sort -r | while read -r point; do
  mount -o remount,bind,ro "$(printf '%b' "$point")" 2>/dev/null || true
done
while [ "$1" != "--" ]; do mount -t tmpfs -o ro,size=4k tmpfs "$1" 2>/dev/null || true; shift; done
shift
mount -t tmpfs -o size=256m tmpfs /tmp/work
cd /tmp/work
exec "$@"
"""
        # Not a folder that holds Python itself (a pyenv under /root, a venv under /home).
        hidden = [
            f
            for f in [*self.hidden, *HIDDEN_ALWAYS]
            if f != "/tmp" and os.path.isdir(f) and not any(_inside(d, f) for d in self.readable)
        ]
        namespaces = ["--user", "--map-root-user", "--pid", "--net", "--mount", "--ipc", "--uts"]
        source = self.lib.get(f"{LIBDIR}/checker", "/nonexistent")
        return ["unshare", *namespaces, "--kill-child", "--mount-proc", "sh", "-c", script, "sh", source] + [
            *hidden,
            "--",
            *argv,
        ]


WORKDIRS = {"bubblewrap": WORKDIR, "unshare": "/tmp/work"}
LIBDIRS = {"bubblewrap": LIBDIR, "unshare": "/tmp/.lib"}


def wrapped(kind: str, hidden: Iterable[str], checker_dir: str) -> Wrapped:
    """The Wrapped for one file: our packages and ``hidden`` (the submissions' folders...) not visible."""
    hidden = sorted({os.path.realpath(h) for h in hidden} | set(our_package_dirs()))
    readable = [d for d in python_dirs() if not any(_inside(d, h) for h in hidden)]
    return Wrapped(kind, readable, hidden, {f"{LIBDIR}/checker": checker_dir})
