"""What a trained network leaves behind, written once: model.npz, its figures, summary.json.

``shallownet train`` writes one network into its folder (at every checkpoint,
on a stop and at the end); ``shallownet sweep`` writes every network of its
grid into ``networks/<name>/`` beside its table. Both go through ``write``:
model.npz first, then the figures, then summary.json describing them, each
file replaced atomically, with the stop signals held off until all are
written, so every file in a folder describes its model.npz. ``predict
--model`` reads any of them.
"""

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import checkpoint, signals
from .history import LIMIT

MODEL, SUMMARY, COST_PNG, BOUNDARY_PNG = "model.npz", "summary.json", "cost.png", "decision_boundary.png"
LAST_FINITE = "last_finite.npz"
RUN_FILES = (MODEL, SUMMARY, COST_PNG, BOUNDARY_PNG, LAST_FINITE)
NETWORKS = "networks"  # a sweep's folder of its networks' models


def summary(
    model: checkpoint.Model, scores: Mapping[str, float | None] | None, files: list[str], extra: Mapping[str, Any]
) -> dict[str, Any]:
    """summary.json's content: what the model is and how it did; ``extra``: what the caller adds (timings ...)."""
    config, history = model.config, model.history
    iterations, costs = history.arrays()
    score_key = "accuracy" if config.output == "sigmoid" else "mse"
    head = {
        "status": model.status,
        "iterations": history.done,
        "config": config.to_dict(),
        "features": list(model.features),
        "labels": list(model.labels),
        "data_fingerprint": model.fingerprint.to_dict(),
        "segments": list(model.segments),
    }
    record = {
        score_key: None if scores is None else dict(scores),
        "last_cost": history.last_cost,
        "cost_history": {
            "stride": history.stride,
            "limit": LIMIT,
            "points": [[int(i), float(c)] for i, c in zip(iterations, costs)],
        },
    }
    return {**head, **extra.get("before", {}), **record, **extra.get("after", {}), "files": files}


def summary_json(content: dict[str, Any]) -> str:
    """summary.json's text: indented, with the cost history's points one compact list (not a line each)."""
    points = content["cost_history"]["points"]
    marker = "@cost-history-points@"
    text = json.dumps({**content, "cost_history": {**content["cost_history"], "points": marker}}, indent=2)
    return text.replace(json.dumps(marker), json.dumps(points, separators=(",", ":"))) + "\n"


def write(
    folder: Path,
    model: checkpoint.Model,
    scores: Mapping[str, float | None] | None = None,
    extra: Callable[[], Mapping[str, Any]] = dict,
    figures: Callable[[Path], list[str]] | None = None,
) -> dict[str, Any]:
    """model.npz, then ``figures(folder)`` (the names it wrote), then summary.json; returns the summary.

    ``extra()`` is called last (its timings then count the saves before it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    with signals.deferred():
        checkpoint.save(folder / MODEL, model)
        files = [MODEL] + ([] if figures is None else figures(folder)) + [SUMMARY]
        content = summary(model, scores, files, extra())
        text = summary_json(content)
        checkpoint.atomic_write(folder / SUMMARY, lambda f: f.write(text.encode()))
    return content


def model_of(
    params: Mapping[str, Any],
    config: Any,
    prepared: Any,
    history: Any,
    segments: tuple,
    status: str,
) -> checkpoint.Model:
    """A checkpoint.Model of ``params`` trained as ``config`` on ``prepared`` (data.Prepared)."""
    import numpy as np

    return checkpoint.Model(
        {k: np.asarray(v) for k, v in params.items()},
        config,
        prepared.features,
        prepared.labels,
        prepared.fingerprint,
        prepared.mean,
        prepared.std,
        history,
        segments,
        status,
    )


def network_name(index: int, hidden_units: int, lr: float, activation: str, seed: int | str) -> str:
    """A sweep network's folder name: its place in the table and what differs (e.g. 03-nh4-lr1.2-tanh-seed0)."""
    safe = activation.replace(":", "")
    return f"{index:02d}-nh{hidden_units}-lr{lr:g}-{safe}-seed{seed}"
