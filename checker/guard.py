"""What the child process refuses the learner's code, and what it records (standard library only; in the child).

- The checker's own packages (``manual``, ``reference``, ``checker``,
  ``shallownet``) cannot be imported: a one-line ``from manual.course import
  backward_propagation`` would otherwise pass. Inside a sandbox they are not
  in its file system at all; this import hook names the refusal in words
  (and is the only barrier without a sandbox).
- Signals: ``os.kill``, ``os.killpg`` and ``signal.pthread_kill``, and
  looking up the C library's ``kill``, ``killpg``, ``tgkill``, ``raise``,
  ``syscall`` ... through ctypes, are refused (PermissionError) and
  reported to the parent at once, through an audit hook, which Python code
  cannot remove. Machine code that signals without those (a C extension of
  the learner's) bypasses the hook; inside a sandbox it can reach only the
  file's own processes (PID namespace), and the parent names how the
  process ended.
- Starting processes (``subprocess``, ``os.system``, ``fork``, ``exec``) is
  recorded: inside a sandbox such a process ends with the check.
- Automatic differentiation: the gradient functions of jax, torch, autograd
  and tensorflow are wrapped, when the learner's code imports them, so that
  a call is recorded: "dW1 comes from jax.grad, not from a formula".
"""

import importlib.abc
import importlib.machinery
import sys

BLOCKED = ("manual", "reference", "checker", "shallownet")
KILLS = {"os.kill", "os.killpg", "signal.pthread_kill"}
# C functions that send signals (or make any system call), looked up through ctypes: refused by name.
C_SIGNALS = {"kill", "killpg", "tgkill", "tkill", "raise", "sigqueue", "pidfd_send_signal", "syscall"}
STARTS = {"subprocess.Popen", "os.system", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec"}
# module -> the names in it that compute gradients without a formula
AUTODIFF = {
    "jax": ("grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "jacobian", "hessian", "linearize"),
    "torch.autograd": ("grad", "backward"),
    "autograd": ("grad", "value_and_grad", "elementwise_grad", "jacobian", "grad_named", "holomorphic_grad"),
    "tensorflow": ("gradients",),
}


class Refused(ImportError):
    pass


class _Block(importlib.abc.MetaPathFinder):
    """Refuses the checker's own packages by name, before any other finder looks."""

    def __init__(self, record):
        self.record = record

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            self.record({"kind": "import", "what": fullname})
            raise Refused(
                f"No module named {fullname!r}: the checker's own packages cannot be imported by the code it checks "
                "(write the formulas yourself)"
            )
        return None


class _Watch(importlib.abc.MetaPathFinder):
    """Wraps the gradient functions of an autodiff library as its module finishes loading."""

    def __init__(self, record):
        self.record = record

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in AUTODIFF and fullname != "torch":
            return None
        for finder in sys.meta_path:
            if isinstance(finder, (_Watch, _Block)):
                continue
            spec = finder.find_spec(fullname, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _WatchingLoader(spec.loader, fullname, self.record)
                return spec
        return None


class _WatchingLoader(importlib.abc.Loader):
    def __init__(self, loader, name, record):
        self.loader, self.name, self.record = loader, name, record

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        wrap_autodiff(module, self.name, self.record)
        if self.name == "torch":
            tensor = getattr(module, "Tensor", None)
            backward = getattr(tensor, "backward", None)
            if tensor is not None and backward is not None:
                tensor.backward = _recording(backward, "torch.Tensor.backward", self.record)


def _recording(fn, label, record):
    def wrapper(*args, **kwargs):
        record({"kind": "autodiff", "what": label})
        return fn(*args, **kwargs)

    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    wrapper.__name__ = getattr(fn, "__name__", label)
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


def wrap_autodiff(module, name, record):
    for attribute in AUTODIFF.get(name, ()):
        fn = getattr(module, attribute, None)
        if callable(fn):
            setattr(module, attribute, _recording(fn, f"{name}.{attribute}", record))
    if name == "tensorflow":
        tape = getattr(module, "GradientTape", None)
        if tape is not None and callable(getattr(tape, "gradient", None)):
            tape.gradient = _recording(tape.gradient, "tensorflow.GradientTape.gradient", record)


def install(record):
    """Block our packages, watch autodiff, refuse and report kills, record process starts.

    ``record(event)`` gets {"kind": "kill" | "start" | "autodiff" | "import", "what": text}; it must not raise.
    """
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED:
            del sys.modules[name]  # the child's own modules stay referenced by the child; not by name
    sys.meta_path.insert(0, _Watch(record))
    sys.meta_path.insert(0, _Block(record))
    for name in AUTODIFF:  # already imported (by numpy? never, but be exact)
        if name in sys.modules:
            wrap_autodiff(sys.modules[name], name, record)

    def audit(event, args):
        if event in KILLS:
            *targets, sig = args
            what = f"{event}({', '.join([*(str(t)[:20] for t in targets), _signal_name(sig)])})"
            record({"kind": "kill", "what": what})
            raise PermissionError(f"the checker refuses {what}: code being checked may not send signals")
        if event == "ctypes.dlsym" and len(args) > 1 and str(args[1]) in C_SIGNALS:
            what = f"the C library's {args[1]}() through ctypes"
            record({"kind": "kill", "what": what})
            raise PermissionError(f"the checker refuses {what}: code being checked may not send signals")
        if event in STARTS or event.startswith("os.exec") or event.startswith("os.spawn"):
            record({"kind": "start", "what": _start_text(event, args)})

    sys.addaudithook(audit)


def _signal_name(number):
    import signal

    try:
        return signal.Signals(number).name
    except (ValueError, TypeError):
        return str(number)[:20]


def _start_text(event, args):
    try:
        shown = repr(args[1] if event == "subprocess.Popen" and len(args) > 1 else args[0] if args else "")
    except Exception:
        shown = "?"
    return f"{event} {shown[:80]}"
