"""Data sets in the course's convention: X (n_x, m), Y (n_y, m), examples are columns."""
import numpy as np


def flower(seed=1, m=400):
    """The course's planar "flower": X (2, 400) float64, Y (1, 400) uint8 (200 zeros then 200 ones).

    Generated exactly as the course's ``load_planar_dataset`` does (legacy
    np.random.seed(1), petals r = 4 sin(4t) + noise), so its published numbers
    can be reproduced. The global legacy RNG state is saved and restored.
    """
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        N, a = m // 2, 4
        X = np.zeros((m, 2))
        Y = np.zeros((m, 1), dtype="uint8")
        for j in range(2):
            ix = range(N * j, N * (j + 1))
            t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
            r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
            X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
            Y[ix] = j
    finally:
        np.random.set_state(state)
    return X.T, Y.T
