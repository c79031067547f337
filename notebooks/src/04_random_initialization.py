# %% [markdown]
# # 4. Random initialization / 随机初始化
#
# **Lecture section:** 1.11 *random initialization*.
#
# The notes: logistic regression can start from zero weights, a neural network cannot — with zeros
# "$a_1^{[1]} = a_2^{[1]}$, $dz_1^{[1]} = dz_2^{[1]}$", every row of $dW^{[1]}$ is equal, and "each neuron in the
# first hidden layer will perform the same computation ... even after multiple iterations of gradient
# descent". The fix: random $W$ (small, e.g. $0.01\,\mathcal N(0, 1)$, because large weights saturate
# tanh/sigmoid and learning slows), while $b$ may start at zero. Each claim is shown on data and asserted.
#
# **In Colab or on a JupyterHub:** first run `%pip install 'shallownet[notebooks]'` in a cell of its own (or the
# wheel or repository address your teacher gives you, followed by `[notebooks]`). No restart is needed: nothing
# of it is imported before the next cell, which says in one line what to install when something is missing.

# %%
import importlib.util

if importlib.util.find_spec("shallownet") is None:  # Colab, JupyterHub: one install, then run this cell again
    raise ModuleNotFoundError("shallownet is not installed: run  %pip install 'shallownet[notebooks]'  in a cell, then this cell again (no restart needed)")
import jax

jax.config.update("jax_enable_x64", True)               # verify in float64: set before any array exists
jax.config.update("jax_numpy_rank_promotion", "raise")  # a (n,) vector added to (n, m) is an error
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import manual
from shallownet.data import flower
from shallownet.train import accuracy, train
from shallownet.lessons import figures

figures.setup()
X, Y = flower()
Y = Y.astype(np.float64)
assert X.dtype == Y.dtype == jnp.float64


def rows_equal(V):
    """Every row of V equal to the first (exactly)."""
    return bool(jnp.all(V == V[:1]))


# %% [markdown]
# ## Zeros and tanh: nothing moves at all
#
# With every weight 0 and tanh hidden units, $A^{[1]} = \tanh(0) = 0$, so $dW^{[2]} = \frac1m dZ^{[2]} A^{[1]T} = 0$;
# and $W^{[2]} = 0$ makes $dZ^{[1]} = W^{[2]T} dZ^{[2]} * g'(Z^{[1]}) = 0$, so $dW^{[1]} = 0$. Only $b^{[2]}$ can
# move, and on the balanced flower data (200 of each class) its gradient is 0 as well. After 1000 steps:

# %%
zeros = manual.init_zeros(2, 4, 1, jnp.float64)
stuck, costs = train(zeros, X, Y, activation="tanh", lr=1.2, iterations=1000)
print({k: np.asarray(v).ravel().tolist() for k, v in stuck.items()})
print(f"cost {costs[0]:.6f} -> {costs[-1]:.6f} (ln 2 = {np.log(2):.6f}); accuracy {accuracy(stuck, X, Y):.1f}%")
assert all(bool(jnp.all(v == 0)) for v in stuck.values())

# %% [markdown]
# ## Zeros and sigmoid: the hidden units move, but as one
#
# The notes' picture needs units that do move: sigmoid hidden units ($\sigma(0) = \frac12$, so $A^{[1]} \ne 0$) on
# data that is not balanced (examples 100 to 399: 100 of class 0, 200 of class 1).
#
# * **Step 0.** $A^{[1]} = \frac12$ for every unit, so every entry of $dW^{[2]}$ is the same nonzero number. $dW^{[1]}$
#   is still 0 (it is multiplied by $W^{[2]} = 0$): equal rows, but trivially.
# * **Step 1.** Now $W^{[2]}$ has equal, nonzero entries, so the error reaches $W^{[1]}$: every row of $dW^{[1]}$ is
#   the same nonzero vector. The symmetry is now visible in a gradient that is not zero.
# * **After 2,000 steps** the rows of $W^{[1]}$ are still equal, every unit computes the same activation, and the
#   network is no better than one hidden unit. The same network from a small random start fits the data.

# %%
X_u, Y_u = X[:, 100:], Y[:, 100:]
g0 = manual.grads(zeros, X_u, Y_u, activation="sigmoid")
after_one, _ = train(zeros, X_u, Y_u, activation="sigmoid", lr=1.2, iterations=1)
g1 = manual.grads(after_one, X_u, Y_u, activation="sigmoid")
print("step 0: dW2 =", np.asarray(g0["dW2"]).round(6), " |dW1| =", float(jnp.abs(g0["dW1"]).max()))
print("step 1: dW1 =\n", np.asarray(g1["dW1"]).round(6))

assert rows_equal(g0["dW2"].T) and float(jnp.abs(g0["dW2"]).min()) > 1e-3      # step 0: equal and nonzero
assert bool(jnp.all(g0["dW1"] == 0))                                          # ... dW1 is 0 because W2 is 0
for k in ("dW1", "db1"):                                                      # step 1: equal and nonzero rows
    assert rows_equal(g1[k]) and float(jnp.abs(g1[k]).min()) > 1e-6, k

symmetric, _ = train(zeros, X_u, Y_u, activation="sigmoid", lr=1.2, iterations=2000)
random_start = manual.init_params(jax.random.key(0), 2, 4, 1, scale=0.01, dtype=jnp.float64)
broken, _ = train(random_start, X_u, Y_u, activation="sigmoid", lr=1.2, iterations=2000)
_, cache = manual.forward(symmetric, X_u, activation="sigmoid")
acc_sym = accuracy(symmetric, X_u, Y_u, activation="sigmoid")
acc_rand = accuracy(broken, X_u, Y_u, activation="sigmoid")
print("W1 after 2000 steps from zeros:\n", np.asarray(symmetric["W1"]))
print(f"accuracy from zeros {acc_sym:.1f}%, from a random start {acc_rand:.1f}%")

for V in (symmetric["W1"], symmetric["b1"], symmetric["W2"].T, cache["A1"]):   # after training: still equal
    np.testing.assert_allclose(V, jnp.broadcast_to(V[:1], V.shape), rtol=1e-12, atol=0)
assert float(jnp.abs(symmetric["W1"]).min()) > 0.1          # ... and they did move
assert acc_rand > acc_sym + 15

# %% [markdown]
# ## Large weights saturate tanh
#
# With large $W^{[1]}$, $|Z^{[1]}|$ is large, $\tanh$ sits near $\pm 1$ (接近两端) and its slope $1 - a^2$ is near 0,
# so the error reaching $W^{[1]}$, $dZ^{[1]} = W^{[2]T} dZ^{[2]} * (1 - A^{[1]2})$, is multiplied by almost nothing.
# To see that effect alone, only $W^{[1]}$ is scaled: $W^{[1]} = s\,N_1$ for one fixed normal draw $N_1$ (the
# same directions at every scale), while $W^{[2]} = 0.01\,N_2$ stays at the course's scale. (Scaling $W^{[2]}$ as
# well would make the error reaching $W^{[1]}$ *larger*, and mix two effects.) At the start, three draws each:

# %%
scales = (0.01, 1.0, 10.0, 100.0)
draws = (0, 1, 2)


def start_at(s, k):
    unit = manual.init_params(jax.random.key(k), 2, 4, 1, scale=1.0, dtype=jnp.float64)
    return {**unit, "W1": s * unit["W1"], "W2": 0.01 * unit["W2"]}


print(f"{'scale':>6} {'draw':>5} {'|A1| > 0.99':>12} {'mean slope':>11} {'|dW1| at start':>15}")
saturated, slope, first_dW1 = {}, {}, {}
for s in scales:
    for k in draws:
        p = start_at(s, k)
        _, c = manual.forward(p, X)
        saturated[s, k] = float(jnp.mean(jnp.abs(c["A1"]) > 0.99))
        slope[s, k] = float(jnp.mean(manual.tanh_prime(c["Z1"], c["A1"])))
        first_dW1[s, k] = float(jnp.linalg.norm(manual.backward(p, c, X, Y)["dW1"]))
        print(f"{s:>6} {k:>5} {saturated[s, k]:>11.0%} {slope[s, k]:>11.3f} {first_dW1[s, k]:>15.2e}")

# %%
for k in draws:
    assert saturated[0.01, k] == 0 and saturated[100.0, k] > 0.9
    assert all(slope[a, k] > slope[b, k] for a, b in zip(scales, scales[1:]))    # slope falls as scale grows
    assert all(first_dW1[a, k] > first_dW1[b, k] for a, b in zip(scales, scales[1:]))   # and so does |dW1|

# %% [markdown]
# Training from each start, 3,000 steps at learning rate 1.2. For each run: the final cost and accuracy, how far
# $W^{[1]}$ moved (in absolute terms, $\lVert W^{[1]} - W^{[1]}_0 \rVert$, and relative to its start), and how far
# each hidden unit's line $W^{[1]}_j x + b^{[1]}_j = 0$ turned (the largest angle of the four).

# %%
def line_turn_degrees(W_start, W_end):
    """Angle between each unit's weight row at the start and at the end (its line turns by as much)."""
    W_start, W_end = np.asarray(W_start), np.asarray(W_end)
    cos = np.sum(W_start * W_end, axis=1) / np.linalg.norm(W_start, axis=1) / np.linalg.norm(W_end, axis=1)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


runs = {}
for s in scales:
    for k in draws:
        p0 = start_at(s, k)
        p, costs = train(p0, X, Y, activation="tanh", lr=1.2, iterations=3000)
        moved = float(jnp.linalg.norm(p["W1"] - p0["W1"]))
        runs[s, k] = {"start": p0, "end": p, "costs": costs, "accuracy": accuracy(p, X, Y), "moved": moved,
                      "relative": moved / float(jnp.linalg.norm(p0["W1"])),
                      "turn": float(line_turn_degrees(p0["W1"], p["W1"]).max())}

fig, axes = plt.subplots(1, len(scales), figsize=(15, 3.6), sharey=True)
for ax, s in zip(axes, scales):
    for k in draws:
        ax.plot(runs[s, k]["costs"], color=f"C{k}", label=f"draw {k}")
    figures.cost_axes(ax, f"W1 scale {s}")
    ax.legend()
plt.show()

print(f"{'scale':>6} {'draw':>5} {'J(3000)':>8} {'accuracy':>9} {'|W1 - W1(0)|':>13} {'relative':>9} {'max turn':>9}")
for (s, k), r in runs.items():
    print(f"{s:>6} {k:>5} {r['costs'][-1]:>8.3f} {r['accuracy']:>8.2f}% {r['moved']:>13.2f} {r['relative']:>9.2f}"
          f" {r['turn']:>8.1f}°")

# %% [markdown]
# Each hidden unit's line at the start (dashed) and after training (solid), for one draw at scale 1 and at scale
# 100: at scale 1 the lines move to where the petals need them; at scale 100 they stay where the random draw put
# them.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
for ax, s in zip(axes, (1.0, 100.0)):
    r = runs[s, 0]
    figures.data(ax, X, Y, f"W1 scale {s:g}")
    figures.unit_lines(ax, r["start"]["W1"], r["start"]["b1"], X, ls="--", label=None, alpha=0.6)
    figures.unit_lines(ax, r["end"]["W1"], r["end"]["b1"], X, label="unit")
    ax.legend(loc="lower left")
fig.suptitle("each unit's line at the start (dashed) and after 3,000 steps (solid), draw 0")
fig.tight_layout()
plt.show()

# %% [markdown]
# What the numbers say.
#
# * **Scale 100: the first layer is stuck.** Every draw ends below 70% accuracy; no unit's line turns by more than
#   5 degrees, and $W^{[1]}$ moves by 3 to 7 in absolute terms, less than half of what it moves at the scales
#   that train (about 14 to 16), and 1–2% of its own size. The hidden units stay on the random lines they
#   started on.
# * **Scale 10 (1,000 times the course's 0.01): slowed, not always stopped.** The slope at the start is already small (0.05–0.07) and
#   $|dW^{[1]}|$ at the first step is about 10 times smaller than at scale 0.01; two of the three draws still fit
#   the flower within 3,000 steps, one is stuck at 68%.
# * **Scales 0.01 and 1** fit the flower from every draw.
#
# So "large weights slow learning" is a matter of degree, and the degree depends on the data: $Z^{[1]} = W^{[1]}X$
# grows with the size of $X$ as much as with the size of $W^{[1]}$ (the flower's coordinates reach about 4).
# Note also that "moved relative to its own size" is no measure of learning: at scale 0.01, $W^{[1]}$ moves by
# several hundred times its starting size simply because that size is tiny. Deeper networks need a scale chosen
# per layer, which the course treats later — 对于浅层的网络，0.01 就可以了.

# %%
trained_moves = [runs[s, k]["moved"] for s in (0.01, 1.0) for k in draws]
for k in draws:
    assert first_dW1[10.0, k] < first_dW1[0.01, k] / 5                               # the error is damped
    r = runs[100.0, k]
    assert r["accuracy"] < 70 and r["turn"] < 5 and r["moved"] < 0.5 * min(trained_moves)   # stuck
    assert runs[0.01, k]["accuracy"] > 85 and runs[1.0, k]["accuracy"] > 85
fitted_at_10 = [runs[10.0, k]["accuracy"] > 85 for k in draws]
assert sum(fitted_at_10) == 2 and min(runs[10.0, k]["accuracy"] for k in draws) < 70   # slowed, not stopped
assert max(trained_moves) < 1.5 * min(trained_moves)          # absolute moves: alike where it trains

# %% [markdown]
# ## Why $b$ may start at zero
#
# The symmetry is broken by $W^{[1]}$ alone: once its rows differ, the units compute different $Z^{[1]}$ rows
# and receive different gradients, whatever $b$ is. From random $W$ and zero $b$, the rows of $dW^{[1]}$ already
# differ at the first step, and training goes just as well as from a random $b$:

# %%
w_random_b_zero = manual.init_params(jax.random.key(1), 2, 4, 1, scale=0.01, dtype=jnp.float64)
assert all(bool(jnp.all(w_random_b_zero[b] == 0)) for b in ("b1", "b2"))
g_first = manual.grads(w_random_b_zero, X, Y)
distinct_rows = len({tuple(np.round(np.asarray(row), 15)) for row in g_first["dW1"]})
print("distinct rows of dW1 at the first step:", distinct_rows)
assert distinct_rows == 4

b_key1, b_key2 = jax.random.split(jax.random.key(7))
w_random_b_random = {**w_random_b_zero,
                     "b1": 0.01 * jax.random.normal(b_key1, (4, 1), jnp.float64),
                     "b2": 0.01 * jax.random.normal(b_key2, (1, 1), jnp.float64)}
results = {}
for name, p0 in (("b = 0", w_random_b_zero), ("b random", w_random_b_random)):
    p, costs = train(p0, X, Y, activation="tanh", lr=1.2, iterations=3000)
    results[name] = (costs[-1], accuracy(p, X, Y))
    print(f"{name:>9}: final cost {costs[-1]:.3f}, accuracy {results[name][1]:.2f}%")
assert abs(results["b = 0"][0] - results["b random"][0]) < 0.05
assert min(acc for _, acc in results.values()) > 85

# %% [markdown]
# ## Try this: a constant, nonzero start
#
# Zeros fail; what about starting every weight at the same *nonzero* value? Build parameters with
# $W^{[1]} = 0.5$ and $W^{[2]} = 0.5$ everywhere and $b = 0$ (`exercises.constant_init(0.5)` builds them), train
# 2,000 steps of tanh at learning rate 1.2 on the flower data, and count how many *different* hidden units you end
# up with (units whose rows of $W^{[1]}$, $b^{[1]}$ and column of $W^{[2]}$ differ). Predict first, then run.

# %%
my_distinct_units = None      # a whole number from 1 to 4

# %%
from shallownet.lessons.exercises import check_constant_init

check_constant_init(my_distinct_units)

# %% [markdown]
# ## 小结
#
# * 全零初始化：tanh 单元完全不动；sigmoid 单元会动，但四个单元始终相同（第 0 步 $dW^{[2]}$ 各项相等且非零，
#   第 1 步起 $dW^{[1]}$ 各行相等且非零），网络等于只有一个隐藏单元。
# * 随机的 $W$ 打破对称；$b$ 可以从 0 开始。
# * 只放大 $W^{[1]}$：tanh 饱和，斜率 $1 - a^2$ 趋近 0，传到 $W^{[1]}$ 的误差被大幅缩小
#   （这里的尺度 $s$ 指 $W^{[1]} = s\,N_1$）：$s = 10$（课程 0.01 的 1,000 倍）时三次抽样中两次仍能学好，一次停在 68%；
#   $s = 100$ 时三次都低于 70%：$W^{[1]}$ 仍移动了 3 到 7，但每个单元的直线转动不到 5 度，隐藏单元停在随机的直线上。
#   所以"权重小一点"是程度问题；浅层网络用 0.01 即可。
