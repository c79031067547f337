"""PNG plots of a run: the cost curve and, for 2-D data, the decision boundary.

matplotlib is imported only here, inside the functions (it costs about half a
second; ``preload`` lets a caller overlap that with other work), and drives the Agg canvas directly: no pyplot, no GUI, no global
figure state. Files are written atomically like the checkpoints.
"""
import numpy as np

from .checkpoint import atomic_write

GRID = 300  # points per axis of the decision-boundary grid


def preload():
    """Import matplotlib's Figure and Agg canvas (about 0.5 s), e.g. in a thread while JAX compiles."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    # Fixed margins: tight_layout would render the figure an extra time (~0.1 s each).
    fig.subplots_adjust(left=0.12, right=0.96, bottom=0.12, top=0.92)
    return fig


def _save(fig, path):
    atomic_write(path, lambda f: fig.savefig(f, format="png"))


def cost_curve(costs, path, title="Cost", iterations=None):
    """Cost J against iteration (costs[i] is J before step i, or before step iterations[i] when given)."""
    costs = np.asarray(costs)
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(np.arange(costs.shape[0]) if iterations is None else np.asarray(iterations), costs, lw=1.2)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _save(fig, path)


def grid(X, n=GRID, margin=1.0):
    """Points covering X's 2-D bounding box plus a margin: (xx, yy) each (n, n), and G (2, n*n)."""
    lo = X.min(axis=1) - margin
    hi = X.max(axis=1) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return xx, yy, np.stack([xx.ravel(), yy.ravel()])


def decision_boundary(xx, yy, grid_predictions, X, Y, path, title="Decision boundary"):
    """Filled regions of the 0/1 predictions on the grid, with the examples coloured by label."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.contourf(xx, yy, np.asarray(grid_predictions, np.float64).reshape(xx.shape),
                levels=[-0.5, 0.5, 1.5], cmap="Spectral", vmin=0, vmax=1, alpha=0.5)
    ax.scatter(X[0], X[1], c=np.asarray(Y).ravel(), s=12, cmap="Spectral", vmin=0, vmax=1,
               edgecolors="k", linewidths=0.3)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    _save(fig, path)
