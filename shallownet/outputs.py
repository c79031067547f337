"""The one output writer: what a run leaves behind, model.npz, its figures, summary.json.

``shallownet train`` saves its network into its folder; ``shallownet sweep`` every network into
``networks/<name>/`` and, once finished, its table beside them. Each save (a checkpoint, a stop, the end)
writes every model the same way (``write_model``) into a staging folder that replaces the folder's files
together (``save``: one ``atomic.replace_entries``), so every file describes one model, or one grid, even
after a kill -9. ``predict --model`` reads any of the models.
"""

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import atomic, checkpoint, signals
from .history import LIMIT
from .stack import param_count

MODEL, SUMMARY, COST_PNG, BOUNDARY_PNG = "model.npz", "summary.json", "cost.png", "decision_boundary.png"
LAST_FINITE = "last_finite.npz"
RUN_FILES = (MODEL, SUMMARY, COST_PNG, BOUNDARY_PNG, LAST_FINITE)
MODEL_FILES = (MODEL, SUMMARY, COST_PNG, BOUNDARY_PNG)  # what one save replaces together
FIGURES_BYTES = 512 << 10  # room for the figures beside a model's arrays (a PNG is ~50 KB)
NETWORKS = "networks"  # a sweep's folder of its networks' models
SWEEP_TABLE_FILES = ("sweep.csv", "sweep.json", "accuracy.png", "decision_boundaries.png")
SWEEP_FILES = (*SWEEP_TABLE_FILES, NETWORKS)  # what one sweep's save replaces together
LOCK = ".shallownet.lock"  # the run lock's file (run.Claim)
OWN_FILES = RUN_FILES + SWEEP_TABLE_FILES + (LOCK,)  # a run's or a sweep's own files: none but it writes them


class Occupied(ValueError):
    """A new run would replace a model (or a sweep's results) that the user did not ask to replace."""


def _held_text(folder: Path) -> str:
    """'a finished model (iteration 10000)': what summary.json says of the model in ``folder``."""
    try:
        content = json.loads((folder / SUMMARY).read_text())
        return f"a model ({content['status']}, iteration {int(content['iterations'])})"
    except (OSError, ValueError, KeyError, TypeError):
        return "a model"


def check_replaceable(folder: Path, overwrite: bool, command: str = "train") -> None:
    """Occupied when ``folder`` holds a model (train) or a sweep's results (sweep) and ``overwrite`` is False:
    a model is replaced only on purpose (--overwrite), or continued (--resume)."""
    found = [name for name in ((MODEL, SUMMARY) if command == "train" else SWEEP_FILES) if (folder / name).exists()]
    if found and not overwrite:
        held = _held_text(folder) if command == "train" else "a sweep's results"
        raise Occupied(
            f"{folder} already holds {held}: {', '.join(found)}; a new {command} would replace it: "
            "--resume continues it, --overwrite replaces it, or choose another --out"
        )


def model_bytes(n_x: int, n_h: int, n_y: int, dtype: str, figures: bool = True) -> int:
    """About how many bytes one save of a model writes (its arrays, history and summary; its figures)."""
    arrays = param_count(n_h, n_x, n_y) * np.dtype(dtype).itemsize + 2 * n_x * 8 + 48 * LIMIT
    return arrays + (FIGURES_BYTES if figures else 0)


def summary(model: checkpoint.Model, scores: Any, files: list[str], extra: Mapping[str, Any]) -> dict[str, Any]:
    """summary.json's content: what the model is and how it did; ``extra``: what the caller adds (timings ...)."""
    history, (iterations, costs) = model.history, model.history.arrays()
    head = {"status": model.status, "iterations": history.done, "config": model.config.to_dict()}
    head.update(features=list(model.features), labels=list(model.labels), data_fingerprint=model.fingerprint.to_dict())
    score = {("accuracy" if model.config.output == "sigmoid" else "mse"): None if scores is None else dict(scores)}
    points = [[int(i), float(c)] for i, c in zip(iterations, costs)]
    costs_record = {"stride": history.stride, "limit": LIMIT, "points": points}
    record = {**score, "last_cost": history.last_cost, "cost_history": costs_record}
    before, after = extra.get("before", {}), extra.get("after", {})
    return {**head, "segments": list(model.segments), **before, **record, **after, "files": files}


def summary_json(content: dict[str, Any]) -> str:
    """summary.json's text: indented, with the cost history's points one compact list (not a line each)."""
    points = content["cost_history"]["points"]
    marker = "@cost-history-points@"
    text = json.dumps({**content, "cost_history": {**content["cost_history"], "points": marker}}, indent=2)
    return text.replace(json.dumps(marker), json.dumps(points, separators=(",", ":"))) + "\n"


def write_model(
    folder: Path, model: checkpoint.Model, scores: Any = None, extra: Any = dict, figures: Any = None
) -> dict:
    """model.npz, then ``figures(folder)`` (the names it wrote), then summary.json into ``folder`` (a save's
    staging folder, ``save``); the summary. ``extra()`` is called last: its timings count the saves before it."""
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint.save(folder / MODEL, model)
    files = [MODEL] + ([] if figures is None else figures(folder)) + [SUMMARY]
    content = summary(model, scores, files, extra())
    (folder / SUMMARY).write_text(summary_json(content))
    return content


def save(folder: Path, sweep: bool, needed: int, write: Callable[[Path], Any]) -> Any:
    """``write(staging)``, replacing a run's MODEL_FILES or a sweep's SWEEP_FILES in ``folder`` together; its
    result. A full disk, a crash or a kill -9 at any instant leaves one whole set; stop signals wait meanwhile."""
    with signals.deferred(), atomic.replace_entries(folder, SWEEP_FILES if sweep else MODEL_FILES, needed) as staging:
        return write(staging)


def mark_failed(folder: Path, reason: str) -> bool:
    """After a failed save (a full disk), say in summary.json that the run stopped ("running" -> "failed"):
    written whole when there is room, else the status overwritten in place, same length; True if done."""
    path = folder / SUMMARY
    try:
        text = path.read_text()
        content = json.loads(text)
    except (OSError, ValueError):
        return False
    if not isinstance(content, dict) or content.get("status") != "running":
        return False
    with contextlib.suppress(OSError):
        failed = summary_json({**content, "status": "failed", "failure": reason})
        atomic.atomic_write(path, lambda f: f.write(failed.encode()))
        return True
    running, stopped = b'"status": "running"', b'"status": "failed" '  # equal lengths: JSON allows the space
    raw = text.encode()
    if raw.count(running) != 1:
        return False
    with contextlib.suppress(OSError), open(path, "r+b") as f:
        f.seek(raw.index(running))
        f.write(stopped)
        f.flush()
        os.fsync(f.fileno())
        return True
    return False


def model_of(params: Mapping[str, Any], config: Any, prepared: Any, *record: Any) -> checkpoint.Model:
    """A checkpoint.Model of ``params`` trained as ``config`` on ``prepared`` (data.Prepared); ``record``:
    its history, segments and status."""
    data = (prepared.features, prepared.labels, prepared.fingerprint, prepared.mean, prepared.std)
    return checkpoint.Model({k: np.asarray(v) for k, v in params.items()}, config, *data, *record)


def network_name(index: int, config: Any, seed: int | str) -> str:
    """A sweep network's folder name: its place in the table and what differs (e.g. 03-nh4-lr1.2-tanh-seed0)."""
    return f"{index:02d}-nh{config.hidden_units}-lr{config.lr:g}-{config.activation.replace(':', '')}-seed{seed}"
