"""The run configuration: every setting of a training run, written once.

``RunConfig`` is the one source of each setting's name, default, help, validation and resume rule: the flags of
``shallownet train`` and ``sweep``, a checkpoint's saved settings, what a resumed run may change, the sweep's grid
and the table in docs/training.md are derived from it. A setting that changes the problem solved (the data, the
shape, the arithmetic) is MUST_MATCH on resume; one that only says how to go on is MAY_CHANGE.
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

from checker.numbers import number_argument, number_problem, whole_argument

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


# The settings' help, for their flags and for docs/training.md.
HELP = {
    "data": "flower, noisy_circles, noisy_moons, blobs, gaussian_quantiles, or a .csv file",
    "labels": "label column(s) of a CSV; every other column is a feature",
    "hidden_units": "hidden units n_h",
    "activation": "hidden activation: tanh, sigmoid, relu, leaky_relu[:slope], identity",
    "output": "output unit: sigmoid (labels 0/1, cross-entropy) or identity (regression, squared error)",
    "gradients": "gradient path: manual (hand-derived backprop) or reference (jax.grad)",
    "dtype": "arithmetic: float32 (fast) or float64 (verification)",
    "init": "initial weights: random (seeded) or course (the course's draw, legacy seed 2)",
    "seed": "seed of the random init and of the test split (a sweep's --seeds K: seed .. seed+K-1)",
    "test_split": "hold out this fraction of the examples as a test set (seeded)",
    "standardize": "scale each feature to mean 0, std 1 (statistics of the training part, saved in the model)",
    "devices": "train data-parallel over N devices (on CPU: N simulated devices); the sharded sums round "
    "differently, so a run keeps its device count",
    "lr": "learning rate alpha of gradient descent",
    "iterations": "total gradient-descent iterations (a resumed run goes on up to this)",
    "chunk": "most iterations per compiled call (its cost buffer); calls are shortened to ~0.5 s each so "
    "checkpoints and signals are served on time",
    "checkpoint_every": "seconds between checkpoints of model.npz during training "
    f"(at least {MIN_CHECKPOINT_SECONDS:g})",
}


class ConfigError(ValueError):
    """A setting has a bad value; the message names the setting and its command-line flag."""


def setting(
    default: Any,
    *,
    low: float = 0,
    high: float | None = None,
    above: bool = False,
    on_resume: str = MUST_MATCH,
    flag: str | None = None,
    choices: tuple[str, ...] | None = None,
    metavar: str | None = None,
    commands: tuple[str, ...] = COMMANDS,
    sweep: bool = False,
) -> Any:
    """A RunConfig field: its default and the metadata everything else is derived from (its help: HELP). Numbers lie
    in [low, high] (floats: [low, high), or (low, ... with ``above``); ``sweep``: ``shallownet sweep`` takes lists."""
    return dataclasses.field(default=default, metadata={k: v for k, v in locals().items() if k != "default"})


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one training run, validated when constructed (ConfigError names the bad one)."""

    data: str = setting("flower")
    labels: tuple = setting(("label",), flag="--label", metavar="COLUMN")
    hidden_units: int = setting(4, low=1, metavar="N", sweep=True)
    activation: str = setting("tanh", sweep=True)
    output: str = setting("sigmoid", choices=("sigmoid", "identity"), commands=("train",))
    gradients: str = setting("manual", choices=("manual", "reference"))
    dtype: str = setting("float32", choices=("float32", "float64"))
    init: str = setting("random", choices=("random", "course"))
    seed: int = setting(0, metavar="N")
    test_split: float = setting(0.0, high=1.0, metavar="FRACTION")
    standardize: bool = setting(False)
    devices: int = setting(1, low=1, high=MAX_DEVICES, metavar="N", commands=("train",))
    lr: float = setting(1.2, above=True, on_resume=MAY_CHANGE, metavar="ALPHA", sweep=True)
    iterations: int = setting(10000, low=1, on_resume=MAY_CHANGE, metavar="N")
    chunk: int = setting(1000, low=1, high=MAX_CHUNK, on_resume=MAY_CHANGE, metavar="N")
    checkpoint_every: float = setting(
        10.0, low=MIN_CHECKPOINT_SECONDS, on_resume=MAY_CHANGE, metavar="SECONDS", commands=("train", "sweep")
    )

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, _checked(field, getattr(self, field.name)))

    @classmethod
    def of(cls, settings: Mapping[str, Any] | Self | None = None) -> Self:
        """A RunConfig from a RunConfig, or from a mapping of some settings (the others: defaults)."""
        if isinstance(settings, cls):
            return settings
        asked = dict(cast(Mapping[str, Any], settings or {}))  # a RunConfig returned above
        unknown = sorted(set(asked) - set(NAMES))
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(unknown)}; the settings are {', '.join(NAMES)}")
        return cls(**asked)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: {"version": VERSION, name: value, ...} (tuples as lists)."""
        settings = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}
        return {"version": VERSION, **settings}

    @classmethod
    def from_dict(cls, saved: Any) -> Self:
        """The inverse of to_dict: every setting present, the same version; ConfigError otherwise."""
        if not isinstance(saved, dict):
            raise ConfigError(f"the run configuration must be a JSON object, got {type(saved).__name__}")
        if saved.get("version") != VERSION:
            raise ConfigError(
                f"run configuration version {saved.get('version')!r}; this shallownet reads version {VERSION}"
            )
        missing = sorted(set(NAMES) - set(saved))
        if missing:
            raise ConfigError(f"the run configuration lacks {', '.join(missing)}")
        return cls.of({k: v for k, v in saved.items() if k != "version"})

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


def _checked(field: dataclasses.Field[Any], value: Any) -> Any:
    """A setting's value normalized (an int for a whole number, a tuple of columns), or ConfigError naming it."""
    meta, name, kind = field.metadata, label(field), field.type
    refuse = (kind is int or kind is float) and (isinstance(value, bool) or not isinstance(value, numbers.Real))
    if kind is int and (refuse or not isinstance(value, numbers.Integral)):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if refuse:
        raise ConfigError(f"{name} must be a number, got {value!r}")
    if kind is int or kind is float:
        value, low, high = kind(value), meta["low"], meta["high"]
        inside = (value > low if meta["above"] else value >= low) and (high is None or value <= high)
        if kind is int and not inside:
            bound = f">= {low}" if high is None else f"between {low} and {high}"
            raise ConfigError(f"{name} must be a whole number {bound}, got {value}")
        if kind is float and not (math.isfinite(value) and inside and value != high):
            if high is None:
                raise ConfigError(
                    f"{name} must be a finite number {'>' if meta['above'] else '>='} {low:g}, got {value}"
                )
            raise ConfigError(f"{name} must be in [{low:g}, {high:g}), got {value}")
    elif kind is bool and not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    elif meta["choices"] and value not in meta["choices"]:
        raise ConfigError(f"{name} must be one of {', '.join(meta['choices'])}, got {value!r}")
    elif kind is str and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"{name} must be a non-empty string, got {value!r}")
    elif kind is tuple:
        value = (value,) if isinstance(value, str) else value
        if not isinstance(value, (list, tuple)) or not value or not all(isinstance(c, str) and c for c in value):
            raise ConfigError(f"{name} must be one or more column names, got {value!r}")
        repeated = sorted({column for column in value if value.count(column) > 1})
        if repeated:
            raise ConfigError(f"{name} names {', '.join(map(repr, repeated))} more than once")
        value = tuple(value)
    return _activation(value, name) if field.name == "activation" else value


def _activation(value: str, name: str) -> str:
    """A name manual.check_activation accepts, with a finite leaky_relu slope given as a plain number."""
    base, _, slope = value.partition(":")
    # manual's own parser reads the slope with float(), which takes "nan" and "1_0".
    if base == "leaky_relu" and slope and number_problem(slope) is not None:
        raise ConfigError(f"{name}: the leaky_relu slope must be a finite number, got {slope!r}")
    import manual  # imports JAX: only when a configuration is built, never for --help

    try:
        manual.check_activation(value)
    except ValueError as e:
        raise ConfigError(f"{name}: {e}") from None
    return value


NAMES = tuple(RunConfig.__dataclass_fields__)  # the settings, in the table's order


def default(name: str) -> Any:
    """A setting's default value, without building (and validating) a RunConfig."""
    return RunConfig.__dataclass_fields__[name].default


def fields_of(command: str | None = None) -> list[dataclasses.Field[Any]]:
    """RunConfig's fields, or those a command (train, sweep) takes as flags."""
    return [f for f in dataclasses.fields(RunConfig) if command is None or command in f.metadata["commands"]]


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


ARGUMENT_TYPES: dict[Any, Callable[[str], Any]] = {int: whole_argument, float: number_argument}


def _shown(value: Any) -> Any:
    return " ".join(map(str, value)) if isinstance(value, (tuple, list)) else value


def add_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """One flag per RunConfig field that ``command`` takes ("train" or "sweep"; sweep=True fields: lists). Each
    defaults to argparse.SUPPRESS, so a resumed run tells "left at its default" from "asked for" (``given``)."""
    group = parser.add_argument_group("run configuration (see docs/training.md)")
    for field in fields_of(command):
        meta = field.metadata
        listed = field.type is tuple or (command == "sweep" and meta["sweep"])
        default = SWEEP_DEFAULTS.get(field.name, field.default) if command == "sweep" else field.default
        kwargs: dict[str, Any] = {
            "dest": field.name,
            "default": argparse.SUPPRESS,
            "help": f"{HELP[field.name]} (default: {_shown(default)})",
        }
        if field.type is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs.update(type=ARGUMENT_TYPES.get(field.type, str), metavar=meta["metavar"], choices=meta["choices"])
            if listed:
                kwargs["nargs"] = "+"
        group.add_argument(flag(field), **kwargs)


def given(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """The settings given on the command line: {name: value} (lists as tuples)."""
    found = {field.name: getattr(args, field.name) for field in fields_of(command) if hasattr(args, field.name)}
    return {name: tuple(value) if isinstance(value, list) else value for name, value in found.items()}


SWEEP_ORDER = ("hidden_units", "lr", "activation")  # the grid's axes, outermost first; seeds innermost


def sweep_lists() -> tuple[str, ...]:
    """The settings a sweep takes lists of, in the order its grid varies them (SWEEP_ORDER)."""
    listed = {field.name for field in dataclasses.fields(RunConfig) if field.metadata["sweep"]}
    return tuple(k for k in SWEEP_ORDER if k in listed)


def sweep_grid(settings: Mapping[str, Any], seeds: int | None = None) -> list[RunConfig]:
    """One RunConfig per network: the product of the lists given (SWEEP_DEFAULTS fill in) in SWEEP_ORDER, then
    ``seeds`` K random inits each (seed .. seed + K - 1), or the one init; sized before any config is built."""
    merged = {**SWEEP_DEFAULTS, **({} if seeds is None else {"init": "random"}), **settings}
    varied = {k: tuple(v) if isinstance(v, (list, tuple)) else (v,) for k, v in merged.items() if k in sweep_lists()}
    for name, values in varied.items():  # each value is one network per init: a repeat would train it twice
        repeated = [value for k, value in enumerate(values) if value in values[:k]]
        if repeated:
            field = RunConfig.__dataclass_fields__[name]
            raise ConfigError(f"{label(field)} lists {_shown(repeated)} more than once; give each value once")
    count = math.prod(len(values) for values in varied.values())
    inits = max(seeds, 1) if isinstance(seeds, int) and not isinstance(seeds, bool) else 1
    if count * inits > MAX_NETWORKS:
        shape = " x ".join(f"{len(values)} {name}" for name, values in varied.items()) + f" x {inits} seeds"
        raise ConfigError(
            f"a sweep of {count * inits:,} networks ({shape}) is more than the {MAX_NETWORKS:,} one sweep "
            "trains at once; give fewer values or --seeds"
        )
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, numbers.Integral) or seeds < 1):
        raise ConfigError(f"seeds (--seeds) must be a whole number >= 1, got {seeds!r}")
    if seeds is not None and seeds > 1 and merged["init"] == "course":
        raise ConfigError(f"seeds (--seeds) {seeds} needs --init random: the course's init is one fixed draw per size")
    seed = merged.get("seed", default("seed"))
    base = RunConfig.of({k: v for k, v in merged.items() if k not in varied})
    keys = [k for k in SWEEP_ORDER if k in varied]
    return [
        base.replace(**dict(zip(keys, combo)), seed=seed + offset)
        for combo in itertools.product(*(varied[k] for k in keys))
        for offset in range(int(seeds or 1))
    ]


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
            f"| `{field.name}` | {shown_flag} | `{default}` | {meta['on_resume']} | {commands} | {HELP[field.name]} |"
        )
    return "\n".join(rows)
