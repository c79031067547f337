# %% [markdown]
# # 2. Activation functions and their derivatives / 激活函数及其导数
#
# **Lecture sections:** 1.6 *activation functions*, 1.7 *why do you need non-linear activation functions*,
# 1.8 *derivatives of activation functions*.
#
# The five activations of the notes — sigmoid, tanh, ReLU, leaky ReLU and the identity ("linear") — with the
# derivatives the backward pass uses, each checked against `jax.grad`. Then the notes' claims, each examined on
# data: tanh against sigmoid (一般来说，tanh 效果比 sigmoid 好，因为均值是 0), the notes' reason for ReLU
# (corrected below), a linear hidden layer is no hidden layer at all (不要在 hidden layer 用 linear
# activation), and the convention at ReLU's kink (z = 0 时不可导，但在工程上，直接归入 z > 0 部分).
# Every claim is an `assert`: a wrong claim stops the notebook.
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
import reference
from shallownet import logistic
from shallownet.data import flower
from shallownet.train import accuracy, init_params, predict, train
from shallownet.lessons import figures

figures.setup()
NAMES = ("sigmoid", "tanh", "relu", "leaky_relu:0.1", "identity")   # leaky slope 0.1 so it is visible
X, Y = flower()
Y = Y.astype(np.float64)

# %% [markdown]
# ## $g$ and $g'$
#
# | $g(z)$ | $g'(z)$, as the backward pass computes it from $a = g(z)$ |
# |---|---|
# | sigmoid $\sigma(z) = 1/(1 + e^{-z})$ | $a(1 - a)$ |
# | $\tanh z$ | $1 - a^2$ |
# | ReLU $\max(0, z)$ | $1$ if $z \ge 0$ else $0$ |
# | leaky ReLU $\max(0.01 z, z)$ | $1$ if $z \ge 0$ else $0.01$ (the slope; 0.1 in the plots) |
# | identity $z$ | $1$ |
#
# The derivatives share one $y$-axis, so their sizes compare at a glance: sigmoid's slope never exceeds
# $\frac14$, tanh's reaches 1.

# %%
z = jnp.linspace(-5.0, 5.0, 400)          # an even count: the grid does not contain z = 0 (see the kink below)
assert z.dtype == jnp.float64 and not bool(jnp.any(z == 0))

fig, axes = plt.subplots(2, len(NAMES), figsize=(15, 5.5), sharex=True, sharey="row")
for col, name in enumerate(NAMES):
    g, g_prime = manual.get_activation(name)
    a = g(z)
    color = figures.activation_color(name)
    axes[0, col].plot(z, a, color=color)
    axes[0, col].set_title(f"g = {name}")
    axes[1, col].plot(z, g_prime(z, a), color=color)
    axes[1, col].set_title(f"g' ({name})")
    axes[1, col].set_xlabel("z")
    for ax in axes[:, col]:
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
axes[0, 0].set_ylabel("g(z)")
axes[1, 0].set_ylabel("g'(z)")
axes[0, 0].set_ylim(-2, 2)                # the identity and ReLU grow to 5; the others live in [-1, 1]
fig.tight_layout()
plt.show()

# %% [markdown]
# Each hand-written derivative against `jax.grad` of its $g$, on the grid:

# %%
for name in NAMES:
    g, g_prime = manual.get_activation(name)
    by_hand = g_prime(z, g(z))
    by_autodiff = jax.jit(jax.vmap(jax.grad(g)))(z)
    assert by_hand.dtype == jnp.float64
    np.testing.assert_allclose(by_hand, by_autodiff, rtol=1e-12, atol=1e-15, err_msg=name)
    print(f"{name:>15}: g' == jax.grad(g) at {z.size} points; max |difference| "
          f"{float(jnp.max(jnp.abs(by_hand - by_autodiff))):.1e}")

# the classic slip: tanh' written in terms of z instead of a = tanh(z)
assert float(jnp.max(jnp.abs((1 - z ** 2) - manual.tanh_prime(z, manual.tanh(z))))) > 1.0

# %% [markdown]
# ## tanh against sigmoid: the notes' claim, examined
#
# The notes: tanh usually works better than sigmoid in the hidden layer "because its mean is 0". Two facts first.
#
# * **tanh is a shifted, stretched sigmoid**: $\tanh(z) = 2\sigma(2z) - 1$. Its outputs lie in $(-1, 1)$ and are
#   centred on 0; sigmoid's lie in $(0, 1)$, centred on $\frac12$.
# * **Their slopes at 0 differ by a factor 4**: $\sigma'(z) = a(1 - a) = \frac14 - (a - \frac12)^2 \le \frac14$,
#   with equality only at $z = 0$; by the chain rule $\tanh'(z) = 4\sigma'(2z)$, so $\tanh'(0) = 1$.
#
# Checked with `jax.nn`'s functions and `jax.grad`, which know nothing of these identities:

# %%
sigmoid_slope = jax.vmap(jax.grad(jax.nn.sigmoid))
tanh_slope = jax.vmap(jax.grad(jnp.tanh))
np.testing.assert_allclose(jnp.tanh(z), 2 * jax.nn.sigmoid(2 * z) - 1, rtol=1e-12, atol=1e-15)
np.testing.assert_allclose(tanh_slope(z), 4 * sigmoid_slope(2 * z), rtol=1e-12, atol=1e-15)
assert float(jax.grad(jax.nn.sigmoid)(0.0)) == 0.25 and float(jax.grad(jnp.tanh)(0.0)) == 1.0
assert float(jnp.max(sigmoid_slope(z))) < 0.25          # below 1/4 everywhere else (z = 0 is not on the grid)

start = init_params(2, 4, 1, seed=0)                    # the course's scale: W ~ 0.01 N(0, 1), b = 0
for name in ("tanh", "sigmoid"):
    _, cache = manual.forward(start, X, activation=name)
    print(f"{name:>7} hidden units at the start: mean activation {float(cache['A1'].mean()):+.3f}")
_, cache_tanh = manual.forward(start, X, activation="tanh")
_, cache_sigmoid = manual.forward(start, X, activation="sigmoid")
assert abs(float(cache_tanh["A1"].mean())) < 0.01 and abs(float(cache_sigmoid["A1"].mean()) - 0.5) < 0.01

# %% [markdown]
# Does it train better? The same network on the flower data, from the same three small random starts, 3,000 steps
# at the course's learning rate 1.2, once with tanh and once with sigmoid hidden units; and, to tell the two
# reasons apart, sigmoid once more with 4 times the learning rate (which makes up for the factor 4 in the slope
# but not for the mean of $\frac12$). Measured: the first iteration at which the cost is below 0.4.

# %%
variants = (("tanh", 1.2), ("sigmoid", 1.2), ("sigmoid", 4.8), ("relu", 1.2), ("leaky_relu", 1.2))
seeds = (0, 1, 2)
curves, reached, final_accuracy = {}, {}, {}
for seed in seeds:
    p0 = init_params(2, 4, 1, seed=seed)
    for name, lr in variants:
        p, curves[name, lr, seed] = train(p0, X, Y, activation=name, lr=lr, iterations=3000)
        below = np.flatnonzero(curves[name, lr, seed] < 0.4)
        reached[name, lr, seed] = int(below[0]) if below.size else None
        final_accuracy[name, lr, seed] = accuracy(p, X, Y, activation=name)

fig, axes = plt.subplots(1, len(seeds), figsize=(15, 3.8), sharey=True)
for ax, seed in zip(axes, seeds):
    for name, lr in variants:
        ax.plot(curves[name, lr, seed], color=figures.activation_color(name), ls="--" if lr != 1.2 else "-",
                label=f"{name}, lr {lr}")
    figures.cost_axes(ax, f"start {seed}")
    ax.legend()
plt.show()

print(f"{'hidden units':>14} {'lr':>4}  first iteration with J < 0.4    accuracy after 3000 steps")
for name, lr in variants:
    steps = "  ".join(f"{str(reached[name, lr, s]):>5}" for s in seeds)
    accs = "  ".join(f"{final_accuracy[name, lr, s]:5.1f}%" for s in seeds)
    print(f"{name:>14} {lr:>4}  {steps:<30}  {accs}")

# %% [markdown]
# On this data, from these starts: tanh gets below 0.4 between 2.5 and 6 times sooner than sigmoid at the same
# learning rate, and sigmoid with 4 times the learning rate gets there about as soon as tanh. So the notes' claim
# holds here, but the reason that carries it is the slope ($\tanh'(0) = 1$ against $\sigma'(0) = \frac14$),
# which a larger learning rate makes up; the zero mean adds little on a network this small. (Deeper networks,
# where each layer's inputs are the previous layer's outputs, feel the mean more.)
#
# ReLU and leaky ReLU (4 units) do much worse than tanh on this problem: none of them gets below 0.4 within
# 3,000 steps. The notes' preference for ReLU is a rule of thumb for larger networks, not a law.

# %%
for seed in seeds:
    assert reached["sigmoid", 1.2, seed] > 2.5 * reached["tanh", 1.2, seed]          # tanh: much sooner
    assert reached["sigmoid", 4.8, seed] < 1.5 * reached["tanh", 1.2, seed]          # 4x lr: about as soon
    assert final_accuracy["tanh", 1.2, seed] > 88
    for name in ("relu", "leaky_relu"):
        assert reached[name, 1.2, seed] is None and final_accuracy[name, 1.2, seed] < 75

# %% [markdown]
# ## ReLU: the notes' reason, corrected
#
# The notes (1.6): "ReLU 比 tanh 好，因为当 $x \le 0$ 时，梯度为 0" (*ReLU is better than tanh because its gradient
# is 0 for $x \le 0$*). The zero gradient is ReLU's **weakness**, not its strength: a unit whose $z$ is negative on
# every example gets exactly no gradient, so it never changes again (a "dead" unit). What ReLU has over tanh is
# the other half: for $z > 0$ its slope is exactly 1, however large $z$ gets, while sigmoid's and tanh's slopes
# vanish for large $|z|$ (saturation). Leaky ReLU keeps a small slope for $z < 0$, so its units cannot die.
#
# Both halves on numbers: the slopes at $z = 5$, then a network whose first hidden unit starts dead
# ($b^{[1]}_1 = -5$, so $z^{[1]}_1 < 0$ on every flower point), trained 2,000 steps with ReLU and with leaky ReLU.

# %%
sig, sig_prime = manual.get_activation("sigmoid")
tanh, tanh_prime = manual.get_activation("tanh")
relu, relu_prime = manual.get_activation("relu")
big = jnp.array([5.0])
print(f"at z = 5: sigmoid' = {float(sig_prime(big, sig(big))[0]):.4f}, "
      f"tanh' = {float(tanh_prime(big, tanh(big))[0]):.6f}, relu' = {float(relu_prime(big, relu(big))[0]):.0f}")
assert float(jax.grad(jnp.tanh)(5.0)) < 1e-3 and float(jax.grad(jax.nn.sigmoid)(5.0)) < 1e-2
assert float(relu_prime(big, relu(big))[0]) == 1.0

dead_unit = {k: np.array(v) for k, v in init_params(2, 4, 1, seed=0).items()}
dead_unit["b1"][0] = -5.0
assert float(jnp.max(manual.linear(dead_unit["W1"], X, dead_unit["b1"])[0])) < 0      # z1 < 0 on every example
trained = {name: train(dead_unit, X, Y, activation=name, lr=1.2, iterations=2000)[0]
           for name in ("relu", "leaky_relu")}
for name, p in trained.items():
    change = float(np.abs(np.asarray(p["W1"][0]) - dead_unit["W1"][0]).max() + abs(float(p["b1"][0, 0]) + 5.0))
    print(f"{name:>10}: unit 1's weights and bias moved by {change:.2e}")
np.testing.assert_array_equal(trained["relu"]["W1"][0], dead_unit["W1"][0])               # dead: not a bit moved
assert float(trained["relu"]["b1"][0, 0]) == -5.0
assert float(np.abs(np.asarray(trained["leaky_relu"]["W1"][0]) - dead_unit["W1"][0]).max()) > 1e-3   # alive

# %% [markdown]
# ## A linear hidden layer collapses to a linear model
#
# With $g^{[1]}(z) = z$:
#
# $$Z^{[2]} = W^{[2]}(W^{[1]} X + b^{[1]}) + b^{[2]} = \underbrace{W^{[2]} W^{[1]}}_{W'} X + \underbrace{W^{[2]} b^{[1]} + b^{[2]}}_{b'}$$
#
# so the network computes $\sigma(W' X + b')$: logistic regression, whatever the number of hidden units.
# Numerically, with random weights *and random biases* (with zero biases the $b'$ part would be checked only as
# $0 = 0$):

# %%
key_w, key_b1, key_b2 = jax.random.split(jax.random.key(2), 3)
params = {**manual.init_params(key_w, 2, 4, 1, scale=1.0, dtype=jnp.float64),
          "b1": jax.random.normal(key_b1, (4, 1), jnp.float64),
          "b2": jax.random.normal(key_b2, (1, 1), jnp.float64)}
_, cache = manual.forward(params, X, activation="identity")
W_prime = params["W2"] @ params["W1"]                     # (1, 2)
b_prime = params["W2"] @ params["b1"] + params["b2"]      # (1, 1)
# both parts of b' are far from 0, so a wrong W2 b1 or a dropped b2 shows
assert abs(float((params["W2"] @ params["b1"])[0, 0])) > 0.1 and abs(float(params["b2"][0, 0])) > 0.1
np.testing.assert_allclose(cache["Z2"], W_prime @ X + b_prime, rtol=1e-12, atol=1e-14)
print("W2 (W1 X + b1) + b2 == W' X + b' with W' =", np.round(np.asarray(W_prime), 3),
      " b' =", np.round(np.asarray(b_prime), 3))

# %% [markdown]
# On the flower data it therefore draws a straight line, like logistic regression (the course reports 47% for
# scikit-learn's), while 4 tanh units fit the petals. All three trained here, from the same start:

# %%
nets = {name: train(start, X, Y, activation=name, lr=1.2, iterations=2000)[0] for name in ("identity", "tanh")}
log_reg = logistic.fit(X, Y)

acc = {name: accuracy(p, X, Y, activation=name) for name, p in nets.items()}
acc["logistic regression"] = logistic.accuracy(log_reg, X, Y)
for name, value in acc.items():
    print(f"{name:>20}: {value:.2f}% training accuracy")

xx, yy, G = figures.grid(X, n=150)
fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
regions = {
    "identity hidden layer": predict(nets["identity"], G, activation="identity"),
    "logistic regression": np.asarray(manual.linear(log_reg["W"], G, log_reg["b"]) > 0),
    "tanh hidden layer": predict(nets["tanh"], G, activation="tanh"),
}
accuracy_of = {"identity hidden layer": acc["identity"], "logistic regression": acc["logistic regression"],
               "tanh hidden layer": acc["tanh"]}
for ax, (title, pred) in zip(axes, regions.items()):
    figures.boundary(ax, xx, yy, pred, X, Y, f"{title}: {accuracy_of[title]:.2f}%")
plt.show()

# %%
assert abs(acc["identity"] - acc["logistic regression"]) <= 2.0   # no better than logistic regression
assert acc["identity"] < 60 and acc["tanh"] > 85

# %% [markdown]
# ## The ReLU kink at $z = 0$
#
# ReLU has no derivative at $z = 0$: any slope $s \in [0, 1]$ is a *subgradient* there (the line $s z$ stays
# below $\max(0, z)$). The notes put $z = 0$ in the $z > 0$ branch, so $g'(0) = 1$; that is `manual.relu_prime` and
# the reference model's `where(z >= 0, z, 0)`. Other code chooses differently, and each value below is computed,
# the course's included: not this week's assignment (its network has no ReLU), but week 4's *Building your Deep
# Neural Network: Step by Step*, whose `relu_backward` sets `dZ[Z <= 0] = 0`:

# %%
for s in (0.0, 0.5, 1.0):                               # a subgradient: s * z <= relu(z) for every z
    assert bool(jnp.all(s * z <= manual.relu(z)))
for s in (-0.1, 1.1):                                   # outside [0, 1] it is not
    assert not bool(jnp.all(s * z <= manual.relu(z)))


def course_relu_backward(dA, Z):                        # week 4's relu_backward, in numpy as the course writes it
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


zero = jnp.zeros((1,))
kink = {
    "manual.relu_prime (the notes)": float(manual.relu_prime(zero, manual.relu(zero))[0]),
    "jax.grad of reference's relu": float(jax.grad(lambda t: reference.hidden_activation("relu")(t).sum())(zero)[0]),
    "jax.grad(jax.nn.relu)": float(jax.grad(jax.nn.relu)(0.0)),
    "jax.grad of jnp.maximum(z, 0)": float(jax.grad(lambda t: jnp.maximum(t, 0.0))(0.0)),
    "week 4 relu_backward: dZ[Z <= 0] = 0": float(course_relu_backward(np.ones((1, 1)), np.zeros((1, 1)))[0, 0]),
}
for name, value in kink.items():
    print(f"{name:>36}: g'(0) = {value:g}")
assert kink["manual.relu_prime (the notes)"] == kink["jax.grad of reference's relu"] == 1.0
assert kink["jax.grad(jax.nn.relu)"] == 0.0 and kink["jax.grad of jnp.maximum(z, 0)"] == 0.5
assert kink["week 4 relu_backward: dZ[Z <= 0] = 0"] == 0.0

# %% [markdown]
# Does it matter? For continuous inputs and continuous random weights, $z$ is exactly 0 with probability zero,
# so almost never. Not so with **sparse inputs and $b = 0$**: an example whose features are all 0 (an empty
# document in a bag of words, a padded row) gives $z = W x + b = 0$ exactly, in every unit:

# %%
rng = np.random.default_rng(0)
X_sparse = rng.standard_normal((5, 1000)) * (rng.random((5, 1000)) < 0.1)      # 90% of the entries are 0
Z_sparse = manual.linear(init_params(5, 4, 1, seed=0)["W1"], X_sparse, np.zeros((4, 1)))
exactly_zero = float(jnp.mean(Z_sparse == 0))
print(f"sparse inputs, b = 0: {exactly_zero:.0%} of the z's are exactly 0 (all-zero examples: "
      f"{np.mean(~X_sparse.any(axis=0)):.0%})")
assert exactly_zero > 0.5

# %% [markdown]
# And it decides everything when $z$ is 0 *by construction*. Start with $W^{[1]} = 0$, $b^{[1]} = 0$ (and a random
# $W^{[2]}$): then $Z^{[1]} = 0$ for every example. With $g'(0) = 1$ the error reaches $W^{[1]}$ and the network
# learns (a little: the hidden units start identical up to the scale of $W^{[2]}$, see notebook 4); with
# $g'(0) = 0$ (`jax.nn.relu`) $dZ^{[1]} = 0$, $A^{[1]} = 0$ makes $dW^{[2]} = 0$ too, and $W^{[1]}$ stays exactly
# zero forever.

# %%
dead_start = {**manual.init_zeros(2, 4, 1, jnp.float64),
              "W2": manual.init_params(jax.random.key(3), 2, 4, 1, scale=1.0, dtype=jnp.float64)["W2"]}


def cost_with_jax_nn_relu(p):              # the same network, but jax.nn.relu's derivative (0 at z = 0)
    Z2 = manual.linear(p["W2"], jax.nn.relu(manual.linear(p["W1"], X, p["b1"])), p["b2"])
    return manual.cost_unchecked(Z2, Y)


@jax.jit
def descend_with_jax_nn_relu(p):           # 500 gradient-descent steps, lr 1.2
    step = lambda _, q: jax.tree.map(lambda v, d: v - 1.2 * d, q, jax.grad(cost_with_jax_nn_relu)(q))  # noqa: E731
    return jax.lax.fori_loop(0, 500, step, p)


notes_convention, _ = train(dead_start, X, Y, activation="relu", lr=1.2, iterations=500)
zero_convention = descend_with_jax_nn_relu(dead_start)
J = {"g'(0) = 1": reference.cost(notes_convention, X, Y, activation="relu"),
     "g'(0) = 0": cost_with_jax_nn_relu(zero_convention)}
for name, p in (("g'(0) = 1", notes_convention), ("g'(0) = 0", zero_convention)):
    print(f"{name}: |W1| = {float(jnp.abs(p['W1']).sum()):.3f}, cost {float(J[name]):.4f}"
          f" (ln 2 = {np.log(2):.4f}), accuracy {accuracy(p, X, Y, activation='relu'):.1f}%")
assert float(jnp.abs(notes_convention["W1"]).sum()) > 0.1 and J["g'(0) = 1"] < np.log(2) - 0.03
assert bool(jnp.all(zero_convention["W1"] == 0)) and bool(jnp.all(zero_convention["W2"] == dead_start["W2"]))
assert J["g'(0) = 0"] > np.log(2) - 1e-9                  # it can only move b2: no better than a coin

# %% [markdown]
# ## Try this: the derivative of softplus
#
# Softplus, $g(z) = \log(1 + e^{z})$, is a smooth ReLU. Derive $g'(z)$ by hand and write it as a function of
# `(z, a)` with `a = g(z)`, the way `manual` writes every $g'$ (you may use either argument, or both).
# The check cell compares it with `jax.grad` of softplus at 101 points.

# %%
my_softplus_prime = None      # e.g. def my_softplus_prime(z, a): return ...

# %%
from shallownet.lessons.exercises import check_softplus_prime

check_softplus_prime(my_softplus_prime)

# %% [markdown]
# ## 小结
#
# * 五个激活函数的导数 $g'$ 都与 `jax.grad` 一致。sigmoid 的导数 $a(1-a) = \frac14 - (a-\frac12)^2 \le \frac14$，
#   tanh 的导数在 0 处为 1；$\tanh(z) = 2\sigma(2z) - 1$。
# * 笔记说 tanh 比 sigmoid 好"因为均值是 0"。在本数据上 tanh 确实快得多，但主要原因是斜率（1 对 $\frac14$）：
#   把 sigmoid 的学习率乘 4，它就和 tanh 差不多快。
# * 笔记说"ReLU 比 tanh 好，因为当 $x \le 0$ 时，梯度为 0"——这是 ReLU 的**缺点**（单元可能"死掉"，永远不再更新）；
#   ReLU 的优点是 $z > 0$ 时斜率恒为 1，不会饱和。leaky ReLU 的单元不会死。
# * 隐藏层用线性激活，整个网络就退化为逻辑回归（$W' = W^{[2]}W^{[1]}$，$b' = W^{[2]}b^{[1]} + b^{[2]}$）。
# * ReLU 在 $z = 0$ 处不可导，$[0, 1]$ 中任何值都是次梯度；笔记取 1，`jax.nn.relu` 和第 4 周作业的
#   `relu_backward`（`dZ[Z <= 0] = 0`）取 0。对连续输入几乎不会遇到 $z = 0$，但稀疏输入且 $b = 0$ 时经常遇到；
#   从 $W^{[1]} = 0$、$b^{[1]} = 0$（$W^{[2]}$ 随机）开始时 $Z^{[1]}$ 处处为 0，这个取值决定网络能否学习。
