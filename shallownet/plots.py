"""PNG plots of a run: the cost curve and, for 2-D data, the decision boundary.

matplotlib is imported inside the functions (its import is a noticeable part of a short run; ``preload`` overlaps
it with other work) and drives the Agg canvas directly: no pyplot, no GUI, no global figure state.
"""

import importlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .atomic import atomic_write

if TYPE_CHECKING:  # matplotlib is imported inside the functions, when a plot is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PathLike = str | os.PathLike[str]
Array = np.ndarray
Panel = tuple[str, Array, Array, ArrayLike]  # title, the grid's xx and yy (n, n), the 0/1 predictions on it
GRID = 300  # points per axis of the decision-boundary grid


def preload() -> None:
    """Import matplotlib's Figure and Agg canvas, e.g. in a thread while JAX compiles."""
    for module in ("matplotlib.backends.backend_agg", "matplotlib.figure"):
        importlib.import_module(module)


def _figure(width: float = 6.0, height: float = 4.5) -> "Figure":
    """A Figure on its own Agg canvas (no pyplot), with one plot's margins."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    # Fixed margins: tight_layout would render the figure an extra time.
    fig.subplots_adjust(left=0.12, right=0.96, bottom=0.12, top=0.92)
    return fig


def cost_curve(costs: ArrayLike, path: PathLike, title: str = "Cost", iterations: ArrayLike | None = None) -> None:
    """Cost J against iteration (costs[i] is J before step i, or before step iterations[i] when given)."""
    costs = np.asarray(costs)
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(np.arange(costs.shape[0]) if iterations is None else np.asarray(iterations), costs, lw=1.2)
    ax.set(xlabel="iteration", ylabel="cost J", title=title)
    ax.grid(alpha=0.3)
    atomic_write(path, lambda f: fig.savefig(f, format="png"))


def grid(X: np.ndarray, n: int = GRID, margin: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points covering X's 2-D bounding box plus a margin: (xx, yy) each (n, n), and G (2, n*n)."""
    low = X.min(axis=1) - margin
    high = X.max(axis=1) + margin
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], n), np.linspace(low[1], high[1], n))
    return xx, yy, np.stack([xx.ravel(), yy.ravel()])


def _boundary(ax: "Axes", panel: Panel, X: Array, Y: ArrayLike, size: float, edge: float) -> None:
    """Filled regions of the 0/1 predictions on the grid, and the examples coloured by label, on one axes."""
    _, xx, yy, predictions = panel
    filled = np.asarray(predictions, np.float64).reshape(xx.shape)
    ax.contourf(xx, yy, filled, levels=[-0.5, 0.5, 1.5], cmap="Spectral", vmin=0, vmax=1, alpha=0.5)
    Y = np.asarray(Y).ravel()
    ax.scatter(X[0], X[1], c=Y, s=size, cmap="Spectral", vmin=0, vmax=1, edgecolors="k", linewidths=edge)


def decision_boundary(
    xx: Array, yy: Array, grid_predictions: ArrayLike, X: Array, Y: ArrayLike, path: PathLike, title: str
) -> None:
    """Filled regions of the 0/1 predictions on the grid, with the examples coloured by label."""
    fig = _figure()
    ax = fig.add_subplot()
    _boundary(ax, (title, xx, yy, grid_predictions), X, Y, 12, 0.3)
    ax.set(xlabel="x1", ylabel="x2", title=title)
    atomic_write(path, lambda f: fig.savefig(f, format="png"))


def accuracy_vs_hidden_units(
    summary: list[dict[str, Any]], path: PathLike, vary: Sequence[str] = ("hidden_units",), baseline: Any = None
) -> None:
    """Accuracy (%) of ``SweepResult.summary()`` against hidden units (log axis), one line per other setting, train
    solid and test dashed, error bars the std over seeds; ``baseline``: the logistic regression's, a horizontal line."""
    fig = _figure()
    ax = fig.add_subplot()
    others = [k for k in vary if k != "hidden_units"]
    series: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in summary:
        series.setdefault(tuple(row[k] for k in others), []).append(row)
    for key, rows in series.items():
        rows.sort(key=lambda row: row["hidden_units"])
        label = ", ".join(f"lr {value:g}" if setting == "lr" else str(value) for setting, value in zip(others, key))
        for part, style in (("train", "-o"), ("test", "--s")):
            kept = [row for row in rows if row[f"{part}_mean"] is not None]
            n_h = np.array([row["hidden_units"] for row in kept])
            mean, std = (np.array([row[f"{part}_{k}"] or 0.0 for row in kept]) for k in ("mean", "std"))
            shown = f"{part}{': ' + label if label else ''}"
            if kept:
                ax.errorbar(
                    n_h, mean, std if np.any(std > 0) else None, fmt=style, ms=4, capsize=3, lw=1.2, label=shown
                )
    if baseline is not None:
        ax.axhline(baseline["train_accuracy"], color="grey", lw=1, ls=":", label="logistic regression (train)")
    ax.set_xscale("log")
    sizes = sorted({row["hidden_units"] for row in summary})
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.set(xlabel="hidden units n_h", ylabel="accuracy %", title="Accuracy against hidden size")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    atomic_write(path, lambda f: fig.savefig(f, format="png"))


def decision_boundary_grid(panels: Sequence[Panel], X: Array, Y: ArrayLike, path: PathLike) -> None:
    """The course's grid of decision boundaries: one panel per (title, xx, yy, grid predictions), 4 to a row."""
    columns = min(len(panels), 4)
    rows = -(-len(panels) // columns)
    fig = _figure(3.6 * columns, 3.2 * rows)
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.05, top=0.93, wspace=0.25, hspace=0.35)
    for i, panel in enumerate(panels):
        ax = fig.add_subplot(rows, columns, i + 1)
        _boundary(ax, panel, X, Y, 6, 0.2)
        ax.set_title(panel[0], fontsize=9)
        ax.tick_params(labelsize=7)
    atomic_write(path, lambda f: fig.savefig(f, format="png"))
