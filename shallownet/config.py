"""The run configuration: every setting of a training run, written once.

``RunConfig`` is the single source of each setting's name, default, help
text, validation and resume rule. Everything else is derived from it: the
flags of ``shallownet train`` and ``shallownet sweep`` (``add_flags``), the
settings a checkpoint stores and reloads (``to_dict`` / ``from_dict``), what a
resumed run may change (``on_resume``), the sweep's list-valued settings
(``sweep_grid``) and the table in docs/training.md (``markdown_table``).

Resume rules. A setting that changes the problem being solved (the data, the
network's shape, the arithmetic) is MUST_MATCH: a resumed run refuses a
different value. Iterations, learning rate, chunk and checkpoint interval are
MAY_CHANGE: they only say how to go on.

Importing this module imports neither JAX nor numpy, so ``--help`` stays fast.
"""
import argparse
import dataclasses
import itertools
import math
import numbers
import re
from dataclasses import dataclass, field

VERSION = 1  # of the dict written by to_dict (a checkpoint's "run" entry)

MUST_MATCH = "must match"
MAY_CHANGE = "may change"
COMMANDS = ("train", "sweep")
MAX_DEVICES = 64       # a single process: real accelerators per host, or CPU devices worth simulating
MAX_CHUNK = 2**31 - 1  # the compiled loop counts its steps in int32


class ConfigError(ValueError):
    """A setting has a bad value; the message names the setting and its command-line flag."""


# --------------------------------------------------------------------------- numbers
# One definition of a number, for the command line and for CSV cells: an
# optional sign, digits with an optional decimal point, an optional exponent;
# surrounding spaces allowed. Python's float() also takes "1_000", "infinity",
# "nan" and non-ASCII digits, none of which a data file means as a number.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAN_WORDS = {"nan", "+nan", "-nan"}
_INF_WORDS = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_MISSING_WORDS = {"na", "n/a", "null", "none", "nil", "?", "-", "#n/a"}


def number_problem(text):
    """Why ``text`` is not a finite number (a short phrase), or None when it is one."""
    cell = text.strip()
    if NUMBER.fullmatch(cell):
        return None if math.isfinite(float(cell)) else "infinite value (too large for float64)"
    low = cell.lower()
    if not cell:
        return "empty cell"
    if low in _NAN_WORDS:
        return "NaN"
    if low in _INF_WORDS:
        return "infinite value"
    if low in _MISSING_WORDS:
        return f"{cell!r} is a missing value, not a number"
    hint = ""
    if "_" in cell:
        hint = " (no '_' digit separators)"
    elif any(ch.isspace() for ch in cell):
        hint = " (no spaces inside a number)"
    elif "," in cell:
        hint = " (a decimal comma? write 1.5, not 1,5)"
    return f"{cell!r} is not a number{hint}"


def parse_number(text):
    """A finite float from ``text`` (see NUMBER); ValueError says why not."""
    problem = number_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return float(text.strip())


def parse_whole(text):
    """An int from ``text``: a number with no fractional part ("5000", "1e6"); ValueError otherwise."""
    value = parse_number(text)
    cell = text.strip()
    if re.fullmatch(r"[+-]?[0-9]+", cell):
        return int(cell)  # exact, however many digits
    if not value.is_integer():
        raise ValueError(f"{cell!r} is not a whole number")
    return int(value)


# --------------------------------------------------------------------------- validators
# Each takes (value, label) and returns the normalized value or raises ConfigError.

def _whole(low, high=None):
    def check(value, label):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConfigError(f"{label} must be a whole number, got {value!r}")
        value = int(value)
        if value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"between {low} and {high}"
            raise ConfigError(f"{label} must be a whole number {bound}, got {value}")
        return value
    check.bounds = (low, high)
    return check


def _real(low, *, low_open, high=None, high_open=True):
    def check(value, label):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{label} must be a number, got {value!r}")
        value = float(value)
        above = value > low if low_open else value >= low
        below = high is None or (value < high if high_open else value <= high)
        if not (math.isfinite(value) and above and below):
            if high is None:
                bound = f"{'>' if low_open else '>='} {low:g}"
                raise ConfigError(f"{label} must be a finite number {bound}, got {value}")
            raise ConfigError(f"{label} must be in {'(' if low_open else '['}{low:g}, {high:g}"
                              f"{')' if high_open else ']'}, got {value}")
        return value
    return check


def _text(value, label):
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{label} must be a non-empty string, got {value!r}")
    return value


def _choice(*options):
    def check(value, label):
        if value not in options:
            raise ConfigError(f"{label} must be one of {', '.join(options)}, got {value!r}")
        return value
    return check


def _flag(value, label):
    if not isinstance(value, bool):
        raise ConfigError(f"{label} must be true or false, got {value!r}")
    return value


def _columns(value, label):
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{label} must be one or more column names, got {value!r}")
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        raise ConfigError(f"{label} names {', '.join(map(repr, repeated))} more than once")
    return tuple(value)


def _activation(value, label):
    """A name manual.parse_activation knows, with a finite leaky_relu slope given as a plain number."""
    value = _text(value, label)
    base, _, slope = value.partition(":")
    if base == "leaky_relu" and slope:
        # manual's own parser reads the slope with float(), which takes "nan" and "1_0".
        problem = number_problem(slope)
        if problem is not None:
            raise ConfigError(f"{label}: the leaky_relu slope must be a finite number, got {slope!r}")
    import manual  # imports JAX: only when a configuration is built, never for --help

    try:
        manual.parse_activation(value)
    except ValueError as e:
        raise ConfigError(f"{label}: {e}") from None
    return value


# --------------------------------------------------------------------------- the fields

def setting(default, help, check, *, on_resume=MUST_MATCH, flag=None, choices=None, metavar=None,
            commands=COMMANDS, sweep=False):
    """A RunConfig field: its default and the metadata everything else is derived from.

    ``sweep=True``: ``shallownet sweep`` takes a list of values (one network each).
    """
    return field(default=default, metadata={
        "help": help, "check": check, "on_resume": on_resume, "flag": flag, "choices": choices,
        "metavar": metavar, "commands": commands, "sweep": sweep})


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one training run, validated when constructed (ConfigError names the bad one)."""

    data: str = setting("flower", "flower, noisy_circles, noisy_moons, blobs, gaussian_quantiles, or a .csv file",
                        _text)
    labels: tuple = setting(("label",), "label column(s) of a CSV; every other column is a feature", _columns,
                            flag="--label", metavar="COLUMN")
    hidden_units: int = setting(4, "hidden units n_h", _whole(1), metavar="N", sweep=True)
    activation: str = setting("tanh", "hidden activation: tanh, sigmoid, relu, leaky_relu[:slope], identity",
                              _activation, sweep=True)
    output: str = setting("sigmoid", "output unit: sigmoid (labels 0/1, cross-entropy) or identity "
                          "(regression, squared error)", _choice("sigmoid", "identity"),
                          choices=("sigmoid", "identity"), commands=("train",))
    gradients: str = setting("manual", "gradient path: manual (hand-derived backprop) or reference (jax.grad)",
                             _choice("manual", "reference"), choices=("manual", "reference"))
    dtype: str = setting("float32", "arithmetic: float32 (fast) or float64 (verification)",
                         _choice("float32", "float64"), choices=("float32", "float64"))
    init: str = setting("random", "initial weights: random (seeded) or course (the course's draw, legacy seed 2)",
                        _choice("random", "course"), choices=("random", "course"))
    seed: int = setting(0, "seed of the random init and of the test split (a sweep's --seeds K: seed .. seed+K-1)",
                        _whole(0), metavar="N")
    test_split: float = setting(0.0, "hold out this fraction of the examples as a test set (seeded)",
                                _real(0.0, low_open=False, high=1.0), metavar="FRACTION")
    standardize: bool = setting(False, "scale each feature to mean 0, std 1 (statistics of the training part, "
                                "saved in the model)", _flag)
    devices: int = setting(1, "train data-parallel over N devices (on CPU: N simulated devices); the sharded "
                           "sums round differently, so a run keeps its device count", _whole(1, MAX_DEVICES),
                           metavar="N", commands=("train",))
    lr: float = setting(1.2, "learning rate alpha of gradient descent", _real(0.0, low_open=True),
                        on_resume=MAY_CHANGE, metavar="ALPHA", sweep=True)
    iterations: int = setting(10000, "total gradient-descent iterations (a resumed run goes on up to this)",
                              _whole(1), on_resume=MAY_CHANGE, metavar="N")
    chunk: int = setting(1000, "most iterations per compiled call (its cost buffer); calls are shortened "
                         "to ~0.5 s each so checkpoints and signals are served on time", _whole(1, MAX_CHUNK),
                         on_resume=MAY_CHANGE, metavar="N")
    checkpoint_every: float = setting(10.0, "seconds between checkpoints of model.npz during training",
                                      _real(0.0, low_open=True), on_resume=MAY_CHANGE, metavar="SECONDS",
                                      commands=("train",))

    def __post_init__(self):
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, f.metadata["check"](getattr(self, f.name), label(f)))

    @classmethod
    def of(cls, settings=None):
        """A RunConfig from a RunConfig, or from a mapping of some settings (the others: defaults)."""
        if isinstance(settings, cls):
            return settings
        settings = dict(settings or {})
        unknown = sorted(set(settings) - set(names()))
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(unknown)}; the settings are {', '.join(names())}")
        return cls(**settings)

    def to_dict(self):
        """JSON-able: {"version": VERSION, name: value, ...} (tuples as lists)."""
        return {"version": VERSION, **{k: list(v) if isinstance(v, tuple) else v
                                       for k, v in dataclasses.asdict(self).items()}}

    @classmethod
    def from_dict(cls, saved):
        """The inverse of to_dict: every setting present, the same version; ConfigError otherwise."""
        if not isinstance(saved, dict):
            raise ConfigError(f"the run configuration must be a JSON object, got {type(saved).__name__}")
        version = saved.get("version")
        if version != VERSION:
            raise ConfigError(f"run configuration version {version!r}; this shallownet reads version {VERSION}")
        settings = {k: v for k, v in saved.items() if k != "version"}
        missing = sorted(set(names()) - set(settings))
        if missing:
            raise ConfigError(f"the run configuration lacks {', '.join(missing)}")
        return cls.of(settings)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def names():
    return tuple(f.name for f in dataclasses.fields(RunConfig))


def fields_of(command=None):
    """RunConfig's fields, or those a command (train, sweep) takes as flags."""
    return [f for f in dataclasses.fields(RunConfig) if command is None or command in f.metadata["commands"]]


def flag(f):
    return f.metadata["flag"] or "--" + f.name.replace("_", "-")


def label(f):
    """How messages name a setting: its config name and its flag, e.g. 'seed (--seed)'."""
    return f"{f.name} ({flag(f)})"


def on_resume(name):
    return next(f for f in dataclasses.fields(RunConfig) if f.name == name).metadata["on_resume"]


DEFAULTS = RunConfig()
# The sweep reproduces the course's hidden-size table by default: its sizes,
# 5,000 iterations, the course's init, float64. Every other default is RunConfig's.
SWEEP_DEFAULTS = {"hidden_units": (1, 2, 3, 4, 5, 20, 50), "iterations": 5000, "dtype": "float64",
                  "init": "course"}


# --------------------------------------------------------------------------- command-line flags

def whole_argument(text):
    """argparse type: a whole number in the strict grammar above ("5000", "1e6"; not "1_000")."""
    try:
        return parse_whole(text)
    except ValueError as e:
        said = str(e) if repr(text.strip()) in str(e) else f"{text.strip()!r} is not a whole number ({e})"
        raise argparse.ArgumentTypeError(said) from None


def _argument_type(f):
    """The argparse type of a field: the strict number grammar above for numbers."""
    whole = whole_argument

    def real(text):
        try:
            return parse_number(text)
        except ValueError as e:
            said = str(e) if repr(text.strip()) in str(e) else f"{text.strip()!r} is not a finite number ({e})"
            raise argparse.ArgumentTypeError(said) from None

    return {int: whole, float: real}.get(f.type, str)


def _shown(value):
    if isinstance(value, (tuple, list)):
        return " ".join(map(str, value))
    return value


def add_flags(parser, command):
    """Add one flag per RunConfig field that ``command`` takes ("train" or "sweep").

    Every flag defaults to argparse.SUPPRESS, so the parsed namespace holds only
    the flags actually given (``given``): a resumed run tells "left at its
    default" (keep the saved value) from "asked for". In a sweep, fields marked
    sweep=True take one or more values.
    """
    group = parser.add_argument_group("run configuration (see docs/training.md)")
    for f in fields_of(command):
        meta = f.metadata
        listed = f.type is tuple or (command == "sweep" and meta["sweep"])
        default = SWEEP_DEFAULTS.get(f.name, f.default) if command == "sweep" else f.default
        kwargs = {"dest": f.name, "default": argparse.SUPPRESS,
                  "help": f"{meta['help']} (default: {_shown(default)})"}
        if f.type is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs.update(type=_argument_type(f), metavar=meta["metavar"], choices=meta["choices"])
            if listed:
                kwargs["nargs"] = "+"
        group.add_argument(flag(f), **kwargs)


def given(args, command):
    """The settings given on the command line: {name: value} (lists as tuples)."""
    found = {}
    for f in fields_of(command):
        if hasattr(args, f.name):
            value = getattr(args, f.name)
            found[f.name] = tuple(value) if isinstance(value, list) else value
    return found


# --------------------------------------------------------------------------- sweeps

SWEEP_ORDER = ("hidden_units", "lr", "activation")  # the grid's axes, outermost first; seeds innermost


def sweep_lists():
    """The settings a sweep takes lists of, in the order its grid varies them (SWEEP_ORDER)."""
    listed = {f.name for f in dataclasses.fields(RunConfig) if f.metadata["sweep"]}
    return tuple(k for k in SWEEP_ORDER if k in listed)


def sweep_seeds(settings, seeds=None):
    """The inits of each configuration of a sweep: (init, [seed, ...]); ConfigError when they conflict.

    ``seeds`` K (``--seeds``): K random inits, seeds seed .. seed + K - 1,
    which turns on init "random" unless --init says otherwise; without it one
    init per configuration (by default the course's own draw).
    """
    settings = {**SWEEP_DEFAULTS, **settings}
    if seeds is None:
        return settings["init"], [settings.get("seed", DEFAULTS.seed)]
    if isinstance(seeds, bool) or not isinstance(seeds, numbers.Integral) or seeds < 1:
        raise ConfigError(f"seeds (--seeds) must be a whole number >= 1, got {seeds!r}")
    init = settings["init"]
    if seeds > 1 and init == "course":
        raise ConfigError(f"seeds (--seeds) {seeds} needs --init random: the course's init is one fixed draw "
                          "per size")
    seed = settings.get("seed", DEFAULTS.seed)
    return init, [seed + k for k in range(int(seeds))]


def sweep_grid(settings, seeds=None):
    """One RunConfig per network of a sweep, each validated as train would validate it.

    ``settings``: what was given (the sweep's defaults fill in the rest);
    list-valued entries (hidden_units, lr, activation) may be a single value
    or a sequence. The grid is their product in SWEEP_ORDER, each combination
    once per init (``sweep_seeds``; ``seeds`` K given, init "random" unless
    asked otherwise). The first config carries the base seed (the test split's).
    """
    given = dict(settings)
    if seeds is not None and "init" not in given:
        given["init"] = "random"
    init, seed_list = sweep_seeds(given, seeds)
    settings = {**SWEEP_DEFAULTS, **given, "init": init}
    varied = {k: tuple(v) if isinstance(v, (list, tuple)) else (v,)
              for k, v in settings.items() if k in sweep_lists()}
    fixed = {k: v for k, v in settings.items() if k not in varied}
    base = RunConfig.of(fixed)
    keys = [k for k in SWEEP_ORDER if k in varied]
    return [base.replace(**dict(zip(keys, combo)), seed=seed)
            for combo in itertools.product(*(varied[k] for k in keys)) for seed in seed_list]


# --------------------------------------------------------------------------- docs

def markdown_table():
    """The run-configuration table of docs/training.md (a test checks the page holds exactly this)."""
    rows = ["| setting | flag | default | on resume | commands | meaning |", "|---|---|---|---|---|---|"]
    for f in dataclasses.fields(RunConfig):
        meta = f.metadata
        default = _shown(f.default)
        if f.name in SWEEP_DEFAULTS:
            default = f"{default} (sweep: {_shown(SWEEP_DEFAULTS[f.name])})"
        shown_flag = f"`{flag(f)}`" + (f" / `--no-{flag(f)[2:]}`" if f.type is bool else "")
        commands = ", ".join(c + (" (list)" if c == "sweep" and meta["sweep"] else "") for c in meta["commands"])
        rows.append(f"| `{f.name}` | {shown_flag} | `{default}` | {meta['on_resume']} | {commands} | {meta['help']} |")
    return "\n".join(rows)
