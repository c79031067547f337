# %% [markdown]
# # 4. Random initialization / 随机初始化
#
# The notes (1.11): logistic regression can start from zero weights, a neural network cannot — with zeros
# "$a_1^{[1]} = a_2^{[1]}$, $dz_1^{[1]} = dz_2^{[1]}$", every row of $dW^{[1]}$ is equal, and "each neuron in the
# first hidden layer will perform the same computation ... even after multiple iterations of gradient
# descent". The fix: random $W$ (small, e.g. $0.01\,\mathcal N(0, 1)$, because large weights saturate
# tanh/sigmoid and learning slows), while $b$ may start at zero. Each claim is shown on data and asserted.

# %%
import jax

jax.config.update("jax_enable_x64", True)               # verify in float64: set before any array exists
jax.config.update("jax_numpy_rank_promotion", "raise")  # a (n,) vector added to (n, m) is an error
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import manual
from shallownet.data import flower
from shallownet.train import accuracy, train

plt.rcParams["figure.dpi"] = 72
X, Y = flower()
Y = Y.astype(np.float64)
assert X.dtype == Y.dtype == jnp.float64

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
# The notes' picture needs units that do move: sigmoid hidden units ($\sigma(0) = 0.5$, so $A^{[1]} \ne 0$) on
# data that is not balanced (examples 100 to 399: 100 of class 0, 200 of class 1). Now all four units receive
# exactly the same update at every step — the same row of $dW^{[1]}$, the same entry of $dW^{[2]}$ — so after
# 2000 steps the rows of $W^{[1]}$ are equal (nonzero), every unit computes the same activation, and the
# network is no better than one hidden unit. The same network from a small random start fits the data.

# %%
X_u, Y_u = X[:, 100:], Y[:, 100:]
first_grads = manual.grads(zeros, X_u, Y_u, activation="sigmoid")
symmetric, _ = train(zeros, X_u, Y_u, activation="sigmoid", lr=1.2, iterations=2000)
random_start = manual.init_params(jax.random.key(0), 2, 4, 1, scale=0.01, dtype=jnp.float64)
broken, _ = train(random_start, X_u, Y_u, activation="sigmoid", lr=1.2, iterations=2000)
_, cache = manual.forward(symmetric, X_u, activation="sigmoid")

print("W1 after training from zeros:\n", np.asarray(symmetric["W1"]))
print("W2 after training from zeros:", np.asarray(symmetric["W2"]))
acc_sym = accuracy(symmetric, X_u, Y_u, activation="sigmoid")
acc_rand = accuracy(broken, X_u, Y_u, activation="sigmoid")
print(f"accuracy from zeros {acc_sym:.1f}%, from a random start {acc_rand:.1f}%")

for k in ("dW1", "db1"):                                   # step 0: every row of dW1 (and db1) is equal
    np.testing.assert_array_equal(first_grads[k], jnp.broadcast_to(first_grads[k][:1], first_grads[k].shape))
for V in (symmetric["W1"], symmetric["b1"], symmetric["W2"].T, cache["A1"]):   # after training: still equal
    np.testing.assert_allclose(V, jnp.broadcast_to(V[:1], V.shape), rtol=1e-12, atol=0)
assert float(jnp.abs(symmetric["W1"]).min()) > 0.1          # ... and they did move
assert acc_rand > acc_sym + 15

# %% [markdown]
# ## Large weights saturate tanh
#
# `manual.init_params(key, ..., scale=s)` draws $W \sim s\,\mathcal N(0, 1)$. With large $s$, $|Z^{[1]}|$ is
# large, $\tanh$ sits near $\pm 1$ (接近两端) and its slope $1 - a^2$ is near 0, so the error reaching $W^{[1]}$
# is multiplied by almost nothing. At the start, for four scales:

# %%
scales = (0.01, 0.1, 1.0, 10.0)
draws = (0, 1, 2)
print(f"{'scale':>6} {'|A1| > 0.99':>12} {'mean slope':>12}")
saturated, slope = {}, {}
for s in scales:
    p = manual.init_params(jax.random.key(0), 2, 4, 1, scale=s, dtype=jnp.float64)
    _, c = manual.forward(p, X)
    saturated[s] = float(jnp.mean(jnp.abs(c["A1"]) > 0.99))
    slope[s] = float(jnp.mean(manual.tanh_prime(c["Z1"], c["A1"])))
    print(f"{s:>6} {saturated[s]:>11.0%} {slope[s]:>12.3f}")
assert saturated[0.01] == 0 and saturated[10.0] > 0.5
assert all(slope[a] > slope[b] for a, b in zip(scales, scales[1:]))     # the slope falls as the scale grows

# %% [markdown]
# Training from each scale, three random draws each (3000 steps, learning rate 1.2):

# %%
runs = {}
for s in scales:
    for k in draws:
        p0 = manual.init_params(jax.random.key(k), 2, 4, 1, scale=s, dtype=jnp.float64)
        p, costs = train(p0, X, Y, activation="tanh", lr=1.2, iterations=3000)
        moved = float(jnp.linalg.norm(p["W1"] - p0["W1"]) / jnp.linalg.norm(p0["W1"]))
        runs[s, k] = {"costs": costs, "accuracy": accuracy(p, X, Y), "W1 moved": moved}

fig, axes = plt.subplots(1, len(scales), figsize=(15, 3.6), sharey=True)
for ax, s in zip(axes, scales):
    for k in draws:
        ax.plot(runs[s, k]["costs"], label=f"draw {k}")
    ax.set_title(f"scale {s}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.legend(fontsize=8)
axes[0].set_ylabel("cost J")
plt.show()

print(f"{'scale':>6} {'draw':>5} {'J(0)':>7} {'J(3000)':>8} {'accuracy':>9} {'|W1 - W1(0)| / |W1(0)|':>24}")
for (s, k), r in runs.items():
    print(f"{s:>6} {k:>5} {r['costs'][0]:>7.3f} {r['costs'][-1]:>8.3f} {r['accuracy']:>8.2f}% {r['W1 moved']:>24.2f}")

# %% [markdown]
# What the curves show: from small weights every draw reaches the same low cost. From large weights the
# network starts out confidently wrong (a high $J(0)$), its first layer hardly changes (the hidden units stay
# close to the random lines they started on: $W^{[1]}$ moves by less than its own size), and whether it
# fits the flower depends on the luck of the draw — some draws stay stuck on a plateau. (Very small weights
# have a slow start of their own, near the all-zero point of the previous section; deeper networks need a
# scale chosen per layer, which the course treats later — 对于浅层的网络，0.01 就可以了.)

# %%
for k in draws:
    assert runs[0.01, k]["costs"][-1] < 0.3 and runs[0.01, k]["accuracy"] > 85
    assert runs[0.1, k]["costs"][-1] < 0.3 and runs[0.1, k]["accuracy"] > 85
    assert runs[10.0, k]["W1 moved"] < 1.0
assert max(runs[10.0, k]["costs"][-1] for k in draws) > 0.45           # a draw stuck on a plateau
assert min(runs[10.0, k]["accuracy"] for k in draws) < 75

# %% [markdown]
# ## Why $b$ may start at zero
#
# The symmetry is broken by $W^{[1]}$ alone: once its rows differ, the units compute different $Z^{[1]}$ rows
# and receive different gradients, whatever $b$ is. From random $W$ and zero $b$, the rows of $dW^{[1]}$ already
# differ at the first step, and training goes just as well as from a random $b$:

# %%
w_random_b_zero = manual.init_params(jax.random.key(0), 2, 4, 1, scale=0.01, dtype=jnp.float64)
assert all(bool(jnp.all(w_random_b_zero[b] == 0)) for b in ("b1", "b2"))
g0 = manual.grads(w_random_b_zero, X, Y)
distinct_rows = len({tuple(np.round(np.asarray(row), 15)) for row in g0["dW1"]})
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
