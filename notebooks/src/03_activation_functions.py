# %% [markdown]
# # 3. Activation functions and their derivatives / 激活函数及其导数
#
# The five activations of the notes — sigmoid, tanh, ReLU, leaky ReLU and the identity ("linear") — with the
# derivatives the backward pass uses, each checked against `jax.grad`. Then the notes' two claims: a linear
# hidden layer is no hidden layer at all (不要在 hidden layer 用 linear activation), and the convention at
# ReLU's kink (z = 0 时不可导，但在工程上，直接归入 z > 0 部分). Every claim is an `assert`.

# %%
import jax

jax.config.update("jax_enable_x64", True)               # verify in float64: set before any array exists
jax.config.update("jax_numpy_rank_promotion", "raise")  # a (n,) vector added to (n, m) is an error
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import manual
import reference
from shallownet import logistic, plots
from shallownet.data import flower
from shallownet.train import accuracy, predict, train

plt.rcParams["figure.dpi"] = 72
NAMES = ("sigmoid", "tanh", "relu", "leaky_relu:0.1", "identity")   # leaky slope 0.1 so it is visible

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

# %%
z = jnp.linspace(-5.0, 5.0, 400)          # an even count: the grid does not contain z = 0 (see the kink below)
assert z.dtype == jnp.float64 and not bool(jnp.any(z == 0))

fig, axes = plt.subplots(2, len(NAMES), figsize=(15, 5.5), sharex=True)
for col, name in enumerate(NAMES):
    g, g_prime = manual.get_activation(name)
    a = g(z)
    axes[0, col].plot(z, a)
    axes[0, col].set_title(f"g = {name}")
    axes[1, col].plot(z, g_prime(z, a), color="C1")
    axes[1, col].set_title(f"g' ({name})")
    axes[1, col].set_xlabel("z")
    for ax in axes[:, col]:
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
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
# Why the notes prefer ReLU for hidden layers: sigmoid's slope is at most $1/4$, and sigmoid's and tanh's
# slopes vanish for large $|z|$ (saturation), while ReLU's slope is exactly 1 for every $z > 0$.

# %%
sig, sig_prime = manual.get_activation("sigmoid")
tanh_, tanh_prime = manual.get_activation("tanh")
relu, relu_prime = manual.get_activation("relu")
assert float(jnp.max(sig_prime(z, sig(z)))) <= 0.25
big = jnp.array([5.0])
print(f"at z = 5: sigmoid' = {float(sig_prime(big, sig(big))[0]):.4f}, "
      f"tanh' = {float(tanh_prime(big, tanh_(big))[0]):.6f}, relu' = {float(relu_prime(big, relu(big))[0]):.0f}")
assert float(tanh_prime(big, tanh_(big))[0]) < 1e-3 and float(relu_prime(big, relu(big))[0]) == 1.0

# %% [markdown]
# ## A linear hidden layer collapses to a linear model
#
# With $g^{[1]}(z) = z$:
#
# $$Z^{[2]} = W^{[2]}(W^{[1]} X + b^{[1]}) + b^{[2]} = \underbrace{W^{[2]} W^{[1]}}_{W'} X + \underbrace{W^{[2]} b^{[1]} + b^{[2]}}_{b'}$$
#
# so the network computes $\sigma(W' X + b')$: logistic regression, whatever the number of hidden units.
# Numerically, with random weights:

# %%
X, Y = flower()
Y = Y.astype(np.float64)
params = manual.init_params(jax.random.key(0), 2, 4, 1, scale=1.0, dtype=jnp.float64)
_, cache = manual.forward(params, X, activation="identity")
W_prime = params["W2"] @ params["W1"]                     # (1, 2)
b_prime = params["W2"] @ params["b1"] + params["b2"]      # (1, 1)
np.testing.assert_allclose(cache["Z2"], W_prime @ X + b_prime, rtol=1e-12, atol=1e-14)
print("W2 (W1 X + b1) + b2 == W' X + b' with W' =", np.round(np.asarray(W_prime), 3), " b' =", np.round(np.asarray(b_prime), 3))

# %% [markdown]
# On the flower data it therefore draws a straight line, like logistic regression (the course reports 47% for
# scikit-learn's), while 4 tanh units fit the petals. All three trained here, from the same start:

# %%
start = manual.init_params(jax.random.key(0), 2, 4, 1, dtype=jnp.float64)
nets = {}
for activation in ("identity", "tanh"):
    nets[activation], _ = train(start, X, Y, activation=activation, lr=1.2, iterations=2000)
log_reg = logistic.fit(X, Y)

acc = {h: accuracy(p, X, Y, activation=h) for h, p in nets.items()}
acc["logistic regression"] = logistic.accuracy(log_reg, X, Y)
for name, value in acc.items():
    print(f"{name:>20}: {value:.2f}% training accuracy")

xx, yy, G = plots.grid(X, n=150)
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
regions = {
    "identity hidden layer": predict(nets["identity"], G, activation="identity"),
    "logistic regression": np.asarray(manual.linear(log_reg["W"], G, log_reg["b"]) > 0),
    "tanh hidden layer": predict(nets["tanh"], G, activation="tanh"),
}
for ax, (title, pred) in zip(axes, regions.items()):
    ax.contourf(xx, yy, pred.reshape(xx.shape).astype(float), levels=[-0.5, 0.5, 1.5], cmap="Spectral", alpha=0.7)
    ax.scatter(X[0], X[1], c=Y.ravel(), s=8, cmap="Spectral", edgecolors="k", linewidths=0.2)
    ax.set_title(title)
plt.show()

# %%
assert abs(acc["identity"] - acc["logistic regression"]) <= 2.0   # no better than logistic regression
assert acc["identity"] < 60 and acc["tanh"] > 85

# %% [markdown]
# ## The ReLU kink at $z = 0$
#
# ReLU has no derivative at $z = 0$. The notes put $z = 0$ in the $z > 0$ branch, so $g'(0) = 1$; that is
# `manual.relu_prime` and the reference model's `where(z >= 0, z, 0)`. Other code chooses differently:

# %%
zero = jnp.zeros((1,))
kink = {
    "manual.relu_prime (the notes)": float(manual.relu_prime(zero, manual.relu(zero))[0]),
    "jax.grad of reference's relu": float(jax.grad(lambda t: reference.hidden_activation("relu")(t).sum())(zero)[0]),
    "jax.grad(jax.nn.relu)": float(jax.grad(jax.nn.relu)(0.0)),
    "jax.grad of jnp.maximum(z, 0)": float(jax.grad(lambda t: jnp.maximum(t, 0.0))(0.0)),
    "course assignment: dZ[Z <= 0] = 0": 0.0,
}
for name, value in kink.items():
    print(f"{name:>36}: g'(0) = {value:g}")
assert kink["manual.relu_prime (the notes)"] == kink["jax.grad of reference's relu"] == 1.0
assert kink["jax.grad(jax.nn.relu)"] == 0.0 and kink["jax.grad of jnp.maximum(z, 0)"] == 0.5

# %% [markdown]
# Does it matter? Almost never: a real-valued $z$ is exactly 0 with probability zero. But it decides
# everything when $z$ is 0 *by construction*. Start with $W^{[1]} = 0$, $b^{[1]} = 0$ (and a random
# $W^{[2]}$): then $Z^{[1]} = 0$ for every example. With $g'(0) = 1$ the error reaches $W^{[1]}$ and the
# network learns (a little: the hidden units start identical up to the scale of $W^{[2]}$, see notebook 4);
# with $g'(0) = 0$ (`jax.nn.relu`) $dZ^{[1]} = 0$, $A^{[1]} = 0$ makes $dW^{[2]} = 0$ too,
# and $W^{[1]}$ stays exactly zero forever.

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
