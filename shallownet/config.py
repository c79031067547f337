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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self, cast

from .numbers import number_argument, number_problem, whole_argument

VERSION = 1  # of the dict written by to_dict (a checkpoint's "run" entry)

MUST_MATCH = "must match"
MAY_CHANGE = "may change"
COMMANDS = ("train", "sweep")
MAX_DEVICES = 64  # a single process: real accelerators per host, or CPU devices worth simulating
MAX_CHUNK = 2**31 - 1  # the compiled loop counts its steps in int32
MIN_CHECKPOINT_SECONDS = 0.1  # a save takes ~10 ms: more often, a run would mostly save (1e-9 s: 2 s became 180 s)
# The networks one sweep trains at once, checked before its grid is built: --seeds 1000000000 once spent
# a minute building configs, then died of MemoryError. The memory estimate judges what is below.
MAX_NETWORKS = 100_000


Check = Callable[[Any, str], Any]  # check(value, label) -> the normalized value, or ConfigError


class ConfigError(ValueError):
    """A setting has a bad value; the message names the setting and its command-line flag."""


# --------------------------------------------------------------------------- validators
# Each takes (value, label) and returns the normalized value or raises ConfigError.


def _whole(low: int, high: int | None = None) -> Check:
    def check(value: Any, label: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ConfigError(f"{label} must be a whole number, got {value!r}")
        value = int(value)
        if value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"between {low} and {high}"
            raise ConfigError(f"{label} must be a whole number {bound}, got {value}")
        return value

    return check


def _real(low: float, *, low_open: bool, high: float | None = None) -> Check:
    """A finite number above ``low`` (or at it, unless ``low_open``) and below ``high`` (never at it)."""

    def check(value: Any, label: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{label} must be a number, got {value!r}")
        value = float(value)
        above = value > low if low_open else value >= low
        below = high is None or value < high
        if not (math.isfinite(value) and above and below):
            if high is None:
                bound = f"{'>' if low_open else '>='} {low:g}"
                raise ConfigError(f"{label} must be a finite number {bound}, got {value}")
            raise ConfigError(f"{label} must be in {'(' if low_open else '['}{low:g}, {high:g}), got {value}")
        return value

    return check


def _text(value: Any, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{label} must be a non-empty string, got {value!r}")
    return value


def _choice(*options: str) -> Check:
    def check(value: Any, label: str) -> Any:
        if value not in options:
            raise ConfigError(f"{label} must be one of {', '.join(options)}, got {value!r}")
        return value

    return check


def _flag(value: Any, label: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{label} must be true or false, got {value!r}")
    return value


def _columns(value: Any, label: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(name, str) and name for name in value):
        raise ConfigError(f"{label} must be one or more column names, got {value!r}")
    repeated = sorted({name for name in value if value.count(name) > 1})
    if repeated:
        raise ConfigError(f"{label} names {', '.join(map(repr, repeated))} more than once")
    return tuple(value)


def _activation(value: Any, label: str) -> str:
    """A name manual.check_activation accepts, with a finite leaky_relu slope given as a plain number."""
    value = _text(value, label)
    base, _, slope = value.partition(":")
    if base == "leaky_relu" and slope:
        # manual's own parser reads the slope with float(), which takes "nan" and "1_0".
        problem = number_problem(slope)
        if problem is not None:
            raise ConfigError(f"{label}: the leaky_relu slope must be a finite number, got {slope!r}")
    import manual  # imports JAX: only when a configuration is built, never for --help

    try:
        manual.check_activation(value)
    except ValueError as e:
        raise ConfigError(f"{label}: {e}") from None
    return value


# --------------------------------------------------------------------------- the fields


def setting(
    default: Any, help: str, check: Check | None = None, *, on_resume: str = MUST_MATCH, flag: str | None = None,
    choices: tuple[str, ...] | None = None, metavar: str | None = None, commands: tuple[str, ...] = COMMANDS,
    sweep: bool = False,
) -> Any:  # fmt: skip
    """A RunConfig field: its default and the metadata everything else is derived from (every other argument).

    ``check`` defaults to one of ``choices``; ``sweep=True``: ``shallownet sweep`` takes a list of values.
    """
    metadata = {k: v for k, v in locals().items() if k != "default"}
    metadata["check"] = check or _choice(*cast(tuple[str, ...], choices))
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one training run, validated when constructed (ConfigError names the bad one)."""

    # A table, one setting per entry, its arguments on as few lines as they fit:
    # fmt: off
    data: str = setting("flower", "flower, noisy_circles, noisy_moons, blobs, gaussian_quantiles, or a .csv file",
                        _text)
    labels: tuple = setting(("label",), "label column(s) of a CSV; every other column is a feature", _columns,
                            flag="--label", metavar="COLUMN")
    hidden_units: int = setting(4, "hidden units n_h", _whole(1), metavar="N", sweep=True)
    activation: str = setting("tanh", "hidden activation: tanh, sigmoid, relu, leaky_relu[:slope], identity",
                              _activation, sweep=True)
    output: str = setting("sigmoid", "output unit: sigmoid (labels 0/1, cross-entropy) or identity (regression, "
                          "squared error)", choices=("sigmoid", "identity"), commands=("train",))
    gradients: str = setting("manual", "gradient path: manual (hand-derived backprop) or reference (jax.grad)",
                             choices=("manual", "reference"))
    dtype: str = setting("float32", "arithmetic: float32 (fast) or float64 (verification)",
                         choices=("float32", "float64"))
    init: str = setting("random", "initial weights: random (seeded) or course (the course's draw, legacy seed 2)",
                        choices=("random", "course"))
    seed: int = setting(0, "seed of the random init and of the test split (a sweep's --seeds K: seed .. seed+K-1)",
                        _whole(0), metavar="N")
    test_split: float = setting(0.0, "hold out this fraction of the examples as a test set (seeded)",
                                _real(0.0, low_open=False, high=1.0), metavar="FRACTION")
    standardize: bool = setting(False, "scale each feature to mean 0, std 1 (statistics of the training part, "
                                "saved in the model)", _flag)
    devices: int = setting(1, "train data-parallel over N devices (on CPU: N simulated devices); the sharded sums "
                           "round differently, so a run keeps its device count", _whole(1, MAX_DEVICES), metavar="N",
                           commands=("train",))
    lr: float = setting(1.2, "learning rate alpha of gradient descent", _real(0.0, low_open=True),
                        on_resume=MAY_CHANGE, metavar="ALPHA", sweep=True)
    iterations: int = setting(10000, "total gradient-descent iterations (a resumed run goes on up to this)",
                              _whole(1), on_resume=MAY_CHANGE, metavar="N")
    chunk: int = setting(1000, "most iterations per compiled call (its cost buffer); calls are shortened to ~0.5 s "
                         "each so checkpoints and signals are served on time", _whole(1, MAX_CHUNK),
                         on_resume=MAY_CHANGE, metavar="N")
    checkpoint_every: float = setting(10.0, "seconds between checkpoints of model.npz during training (at least "
                                      f"{MIN_CHECKPOINT_SECONDS:g})", _real(MIN_CHECKPOINT_SECONDS, low_open=False),
                                      on_resume=MAY_CHANGE, metavar="SECONDS", commands=("train", "sweep"))
    # fmt: on

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, field.metadata["check"](getattr(self, field.name), label(field)))

    @classmethod
    def of(cls, settings: Mapping[str, Any] | Self | None = None) -> Self:
        """A RunConfig from a RunConfig, or from a mapping of some settings (the others: defaults)."""
        if isinstance(settings, cls):
            return settings
        asked = dict(cast(Mapping[str, Any], settings or {}))  # a RunConfig returned above
        unknown = sorted(set(asked) - set(names()))
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(unknown)}; the settings are {', '.join(names())}")
        return cls(**asked)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: {"version": VERSION, name: value, ...} (tuples as lists)."""
        return {
            "version": VERSION,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()},
        }

    @classmethod
    def from_dict(cls, saved: Any) -> Self:
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

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


def default(name: str) -> Any:
    """A setting's default value, without building (and validating) a RunConfig."""
    return RunConfig.__dataclass_fields__[name].default


def names() -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(RunConfig))


def fields_of(command: str | None = None) -> list[dataclasses.Field[Any]]:
    """RunConfig's fields, or those a command (train, sweep) takes as flags."""
    return [
        field for field in dataclasses.fields(RunConfig) if command is None or command in field.metadata["commands"]
    ]


def flag(field: dataclasses.Field[Any]) -> str:
    return field.metadata["flag"] or "--" + field.name.replace("_", "-")


def label(field: dataclasses.Field[Any]) -> str:
    """How messages name a setting: its config name and its flag, e.g. 'seed (--seed)'."""
    return f"{field.name} ({flag(field)})"


def on_resume(name: str) -> str:
    return RunConfig.__dataclass_fields__[name].metadata["on_resume"]


# The sweep reproduces the course's hidden-size table by default: its sizes,
# 5,000 iterations, the course's init, float64. Every other default is RunConfig's.
SWEEP_DEFAULTS = {"hidden_units": (1, 2, 3, 4, 5, 20, 50), "iterations": 5000, "dtype": "float64", "init": "course"}


# --------------------------------------------------------------------------- command-line flags


def _argument_type(field: dataclasses.Field[Any]) -> Callable[[str], Any]:
    """The argparse type of a field: the strict number grammar above for numbers."""
    types: dict[Any, Callable[[str], Any]] = {int: whole_argument, float: number_argument}
    return types.get(field.type, str)


def _shown(value: Any) -> Any:
    return " ".join(map(str, value)) if isinstance(value, (tuple, list)) else value


def add_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """Add one flag per RunConfig field that ``command`` takes ("train" or "sweep"; sweep=True fields: lists).

    Every flag defaults to argparse.SUPPRESS, so the parsed namespace holds only the flags given (``given``):
    a resumed run tells "left at its default" (keep the saved value) from "asked for".
    """
    group = parser.add_argument_group("run configuration (see docs/training.md)")
    for field in fields_of(command):
        meta = field.metadata
        listed = field.type is tuple or (command == "sweep" and meta["sweep"])
        default = SWEEP_DEFAULTS.get(field.name, field.default) if command == "sweep" else field.default
        kwargs: dict[str, Any] = {
            "dest": field.name,
            "default": argparse.SUPPRESS,
            "help": f"{meta['help']} (default: {_shown(default)})",
        }
        if field.type is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs.update(type=_argument_type(field), metavar=meta["metavar"], choices=meta["choices"])
            if listed:
                kwargs["nargs"] = "+"
        group.add_argument(flag(field), **kwargs)


def given(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """The settings given on the command line: {name: value} (lists as tuples)."""
    found = {field.name: getattr(args, field.name) for field in fields_of(command) if hasattr(args, field.name)}
    return {name: tuple(value) if isinstance(value, list) else value for name, value in found.items()}


# --------------------------------------------------------------------------- sweeps


SWEEP_ORDER = ("hidden_units", "lr", "activation")  # the grid's axes, outermost first; seeds innermost


def sweep_lists() -> tuple[str, ...]:
    """The settings a sweep takes lists of, in the order its grid varies them (SWEEP_ORDER)."""
    listed = {field.name for field in dataclasses.fields(RunConfig) if field.metadata["sweep"]}
    return tuple(k for k in SWEEP_ORDER if k in listed)


def sweep_seeds(settings: Mapping[str, Any], seeds: int | None = None) -> tuple[str, list[int]]:
    """The inits of each configuration of a sweep: (init, [seed, ...]); ConfigError when they conflict.

    ``seeds`` K (``--seeds``): K random inits, seeds seed .. seed + K - 1; without it one init per
    configuration (by default the course's own draw).
    """
    merged = {**SWEEP_DEFAULTS, **settings}
    seed = merged.get("seed", default("seed"))
    if seeds is None:
        return merged["init"], [seed]
    if isinstance(seeds, bool) or not isinstance(seeds, numbers.Integral) or seeds < 1:
        raise ConfigError(f"seeds (--seeds) must be a whole number >= 1, got {seeds!r}")
    if seeds > 1 and merged["init"] == "course":
        raise ConfigError(f"seeds (--seeds) {seeds} needs --init random: the course's init is one fixed draw per size")
    return merged["init"], [seed + k for k in range(int(seeds))]


def check_grid_size(varied: Mapping[str, tuple], seeds: int | None) -> int:
    """The number of networks of a sweep, known before its grid is built; ConfigError for a repeated value
    (each value is one network per init: a repeat would train it twice) or more than MAX_NETWORKS."""
    for name, values in varied.items():
        repeated = [value for k, value in enumerate(values) if value in values[:k]]
        if repeated:
            field = RunConfig.__dataclass_fields__[name]
            raise ConfigError(f"{label(field)} lists {_shown(repeated)} more than once; give each value once")
    count = math.prod(len(values) for values in varied.values())
    inits = 1 if seeds is None or isinstance(seeds, bool) or not isinstance(seeds, int) else max(seeds, 1)
    if count * inits > MAX_NETWORKS:
        shape = " x ".join(f"{len(values)} {name}" for name, values in varied.items()) + f" x {inits} seeds"
        raise ConfigError(
            f"a sweep of {count * inits:,} networks ({shape}) is more than the {MAX_NETWORKS:,} one sweep "
            "trains at once; give fewer values or --seeds"
        )
    return count * inits


def sweep_grid(settings: Mapping[str, Any], seeds: int | None = None) -> list[RunConfig]:
    """One RunConfig per network of a sweep, each validated as train would validate it.

    ``settings``: what was given (the sweep's defaults fill in the rest); hidden_units, lr, activation may be
    one value or a sequence. The grid is their product in SWEEP_ORDER, each combination once per init
    (``sweep_seeds``; ``seeds`` given turns on init "random" unless asked otherwise). The first config
    carries the base seed (the test split's).
    """
    given = dict(settings)
    if seeds is not None and "init" not in given:
        given["init"] = "random"
    merged = {**SWEEP_DEFAULTS, **given}
    varied = {k: tuple(v) if isinstance(v, (list, tuple)) else (v,) for k, v in merged.items() if k in sweep_lists()}
    check_grid_size(varied, seeds)
    init, seed_list = sweep_seeds(given, seeds)
    merged["init"] = init
    fixed = {k: v for k, v in merged.items() if k not in varied}
    base = RunConfig.of(fixed)
    keys = [k for k in SWEEP_ORDER if k in varied]
    return [
        base.replace(**dict(zip(keys, combo)), seed=seed)
        for combo in itertools.product(*(varied[k] for k in keys))
        for seed in seed_list
    ]


# --------------------------------------------------------------------------- docs


def markdown_table() -> str:
    """The run-configuration table of docs/training.md (a test checks the page holds exactly this)."""
    rows = ["| setting | flag | default | on resume | commands | meaning |", "|---|---|---|---|---|---|"]
    for field in dataclasses.fields(RunConfig):
        meta = field.metadata
        default = _shown(field.default)
        if field.name in SWEEP_DEFAULTS:
            default = f"{default} (sweep: {_shown(SWEEP_DEFAULTS[field.name])})"
        shown_flag = f"`{flag(field)}`" + (f" / `--no-{flag(field)[2:]}`" if field.type is bool else "")
        commands = ", ".join(
            command + (" (list)" if command == "sweep" and meta["sweep"] else "") for command in meta["commands"]
        )
        rows.append(
            f"| `{field.name}` | {shown_flag} | `{default}` | {meta['on_resume']} | {commands} | {meta['help']} |"
        )
    return "\n".join(rows)
