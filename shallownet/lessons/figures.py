"""The pictures' common style, so that a colour means the same thing in every notebook.

- the two classes: the course's ``Spectral`` colour map, red = 0, blue = 1;
- an activation, a gradient path, a hidden unit: always the same colour and line style;
- every axis labelled, every line that needs one in a legend.

Plotting is not the lesson, so it lives here; the notebooks call these with the arrays they compute.
"""

import matplotlib.pyplot as plt
import numpy as np

CLASSES = "Spectral"
ACTIVATION_COLORS = {"sigmoid": "C0", "tanh": "C1", "relu": "C2", "leaky_relu": "C3", "identity": "C4"}
PATH_STYLES = {"manual": {"color": "C0", "ls": "-"}, "reference": {"color": "C3", "ls": "--"}}
WITH_1_OVER_M, WITHOUT_1_OVER_M = "C0", "C3"
# Hidden unit j. C3 (red) is left to the classes; units 3 and 4 are black and magenta, apart from each other and
# from both regions' colours (green C2 and purple C4 looked alike over the blue region).
UNIT_COLORS = ("C0", "C1", "k", "m", "C5", "C6", "C8", "C9")


def setup():
    """Small inline figures with a light grid."""
    plt.rcParams.update({"figure.dpi": 72, "axes.grid": True, "grid.alpha": 0.3, "legend.fontsize": 8})


def activation_color(name):
    """The colour of an activation, "leaky_relu:0.1" included."""
    return ACTIVATION_COLORS[name.split(":")[0]]


def cost_axes(ax, title, log=False):
    """Label a cost-against-iteration panel."""
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title(title)
    if log:
        ax.set_yscale("log")


def grid(X, n=200, margin=1.0):
    """Points covering X's 2-D bounding box plus a margin: (xx, yy) each (n, n), and G (2, n*n)."""
    lo, hi = X.min(axis=1) - margin, X.max(axis=1) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return xx, yy, np.stack([xx.ravel(), yy.ravel()])


def data(ax, X, Y, title=None, s=10):
    """The examples as points coloured by their label, axes x1 and x2."""
    ax.scatter(X[0], X[1], c=np.asarray(Y).ravel(), s=s, cmap=CLASSES, vmin=0, vmax=1, edgecolors="k", linewidths=0.2)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_aspect("equal", adjustable="box")
    if title:
        ax.set_title(title)


def boundary(ax, xx, yy, predictions, X, Y, title):
    """Regions predicted 0 and 1 on the grid (xx, yy), with the examples on top."""
    ax.contourf(
        xx,
        yy,
        np.asarray(predictions, np.float64).reshape(xx.shape),
        levels=[-0.5, 0.5, 1.5],
        cmap=CLASSES,
        vmin=0,
        vmax=1,
        alpha=0.45,
    )
    data(ax, X, Y, title)


def unit_lines(ax, W1, b1, X, ls="-", label="unit", alpha=1.0):
    """Each hidden unit's line z1_j = W1[j] x + b1[j] = 0 (where its tanh changes sign), clipped to X's box.

    Unit j is drawn in UNIT_COLORS[j]; ``label`` None leaves the lines out of the legend.
    """
    W1, b1 = np.asarray(W1), np.asarray(b1).ravel()
    lo, hi = X.min(axis=1) - 0.5, X.max(axis=1) + 0.5
    t = np.linspace(0.0, 1.0, 200)
    for j, (w, b) in enumerate(zip(W1, b1)):
        if abs(w[1]) >= abs(w[0]):  # solve for x2 along x1 (or the other way round)
            x1 = lo[0] + t * (hi[0] - lo[0])
            x2 = -(w[0] * x1 + b) / w[1]
        else:
            x2 = lo[1] + t * (hi[1] - lo[1])
            x1 = -(w[1] * x2 + b) / w[0]
        inside = (x1 >= lo[0]) & (x1 <= hi[0]) & (x2 >= lo[1]) & (x2 <= hi[1])
        ax.plot(
            x1[inside],
            x2[inside],
            ls=ls,
            lw=2.0,
            alpha=alpha,
            color=UNIT_COLORS[j % len(UNIT_COLORS)],
            label=None if label is None else f"{label} {j + 1}",
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
