"""Predictions of a saved model (``shallownet predict``): the model's feature columns by name, in any order, with
its saved standardization, and the score when the data also holds the label column(s)."""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import checkpoint, data, outputs
from .evaluate import forward_batched, score


@dataclass(frozen=True, eq=False)
class Predictions:
    """predictions (n_y, m): 0/1 uint8 (sigmoid output) or A2 (identity); score: accuracy %, MSE or None;
    notes: what the user should know, one line each (a model that diverged; why the score leaves rows out)."""

    predictions: np.ndarray
    labels: tuple
    output: str
    score: float | None
    notes: tuple[str, ...] = ()


def _examples(model: checkpoint.Model, source: str) -> tuple[np.ndarray, data.Examples | None]:
    """(X (n_x, m) in the model's feature order, the examples with labels or None) from a built-in set or a CSV."""
    if source in data.DATASETS:
        examples = data.load(source, seed=data.EXTRA_SEED)
        if examples.features != model.features:
            raise data.DataError(
                f"the model's features are {', '.join(model.features)}; {source}'s are {', '.join(examples.features)}"
            )
        return examples.X, examples
    table = data.read_table(source)
    if not set(model.labels) <= set(table.features):
        return table.columns(model.features), None
    labelled = table.select(model.features, model.labels)
    return labelled.X, labelled


def _score(P: np.ndarray, examples: data.Examples, output: str) -> tuple[float | None, str | None]:
    """The score over the rows whose labels can be scored, and a note naming those that cannot: one bad label
    does not cost the file its predictions, nor the other rows their score."""
    try:
        data.check_labels(examples, output)
    except data.DataError as e:
        Y = examples.Y
        scorable = np.all((Y == 0) | (Y == 1), axis=0)
        kept = int(scorable.sum())
        if not kept:
            return None, f"no score: {e}"
        return score(P[:, scorable], Y[:, scorable], output), f"scored {kept} of {Y.shape[1]} rows: {e}"
    return score(P, examples.Y, output), None


def predict_run(model: str | os.PathLike[str], source: str) -> Predictions:
    """Predictions of a saved model (a run folder or .npz) on a data set or CSV -> Predictions."""
    saved = checkpoint.load(model)
    X, labelled = _examples(saved, source)
    X_scaled = data.standardize(X, saved.feature_mean, saved.feature_std)
    config = saved.config
    P = forward_batched(saved.params, X_scaled, config.activation, config.output)
    measured, note = (None, None) if labelled is None else _score(P, labelled, config.output)
    diverged = f"the model diverged at iteration {saved.iteration}: predicting with its last finite parameters"
    # A sweep's network or a run's last_finite.npz: usable, but not what a finished run gives.
    notes = ([diverged] if saved.status == "diverged" else []) + ([note] if note is not None else [])
    return Predictions(P, saved.labels, config.output, measured, tuple(notes))


def check_predictions_path(out: str | os.PathLike[str], model: str, source: str) -> Path:
    """Where predictions may be written: not a folder, not the data, the model or another file a run writes beside
    a model (outputs.OWN_FILES), compared resolved (``./run/../run/model.npz`` is the model)."""
    path = Path(out)
    if path.is_dir():
        raise data.DataError(f"--out {out} is a folder; give a file name")
    target = path.resolve()
    model_path = Path(model).resolve()
    model_file = model_path / outputs.MODEL if model_path.is_dir() else model_path
    for given, what in ((model_file, "the model"), (Path(source).resolve(), "the data")):
        if target == given:
            raise data.DataError(f"--out {out} is {what}; it would be overwritten")
    folder = target.parent
    beside = (folder / outputs.MODEL).exists() or (folder / outputs.SWEEP_TABLE_FILES[1]).exists()
    if target.name in outputs.OWN_FILES and beside:
        raise data.DataError(
            f"--out {out} is {target.name}, one of the own files of the run in {folder}; name another file"
        )
    return path


def predictions_csv(result: Predictions) -> str:
    """CSV text: one row per example, one column per output unit (prediction, or prediction_<label>)."""
    P, labels = result.predictions, result.labels
    names = ["prediction"] if len(labels) == 1 else [f"prediction_{label}" for label in labels]
    # str() of a numpy scalar is the shortest text that reads back to the same value in its dtype.
    rows = [",".join(str(value) for value in example) for example in np.asarray(P).T]
    return "\n".join([",".join(names)] + rows) + "\n"
