# %% [markdown]
# # 1. Why do some formulas carry 1/m and others not? / 为何有的有 1/m，有的没有
#
# The lecture notes derive backpropagation for the shallow network and end with an open question:
#
# > 问：为何有的有 $1/m$，有的没有。。。 (*Why do some formulas have $1/m$, and some don't?*)
#
# In the vectorized summary, $dZ^{[2]} = A^{[2]} - Y$ and $dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})$
# have no $1/m$, while $dW^{[2]}, db^{[2]}, dW^{[1]}, db^{[1]}$ all do. This notebook answers the question
# cell by cell, and every claim is checked by an `assert` (a wrong claim stops the notebook).
#
# **Short answer.** The cost is an *average*, $J = \frac{1}{m}\sum_i L^{(i)}$. Column $i$ of $dZ$ is the
# gradient of example $i$'s *own* loss $L^{(i)}$: it belongs to that example alone, so nothing is summed and
# nothing is averaged. $W$ and $b$ are *shared* by all $m$ examples: their gradient is the sum of $m$
# per-example contributions (the matrix product with $A^{T}$ or $X^{T}$, or `np.sum(..., axis=1)`, does the
# sum), and the average's $1/m$ is applied exactly once, there.
#
# 简答：代价 $J$ 是 $m$ 个样本损失的**平均**。$dZ$ 的第 $i$ 列只是第 $i$ 个样本自己的梯度，不求和，所以没有
# $1/m$；$W$、$b$ 被所有样本共享，它们的梯度要把 $m$ 个样本的贡献加起来，再乘一次平均的 $1/m$。

# %%
import jax

jax.config.update("jax_enable_x64", True)               # verify in float64: set before any array exists
jax.config.update("jax_numpy_rank_promotion", "raise")  # a (n,) vector added to (n, m) is an error
jax.config.update("jax_num_cpu_devices", 4)             # 4 simulated CPU devices, for the data-parallel section
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import manual
import reference
from shallownet import parallel
from shallownet.data import flower
from shallownet.train import train

plt.rcParams["figure.dpi"] = 72

# %% [markdown]
# ## The data and a network
#
# The course's "flower" data: $X$ is $(n_x, m) = (2, 400)$, one example per column, and $Y$ is $(1, 400)$.
# The network has 4 tanh hidden units and a sigmoid output. The weights are drawn at scale 1 (not the course's
# 0.01) so that every derivative below is far from zero and the checks have something to see.

# %%
X, Y = flower()
Y = Y.astype(np.float64)
m = X.shape[1]
params = manual.init_params(jax.random.key(0), n_x=2, n_h=4, n_y=1, scale=1.0, dtype=jnp.float64)
A2, cache = manual.forward(params, X)

assert X.dtype == Y.dtype == A2.dtype == params["W1"].dtype == jnp.float64
print("X", X.shape, " Y", Y.shape, " m =", m)
print({k: v.shape for k, v in cache.items()})

# %% [markdown]
# ## Loss $L$ versus cost $J$
#
# The **loss** $L(\hat y^{(i)}, y^{(i)})$ measures one example. The **cost** is their average:
#
# $$J = \frac{1}{m} \sum_{i=1}^{m} L(\hat y^{(i)}, y^{(i)}).$$
#
# `manual.loss` returns one loss per example, shape $(1, m)$; `manual.cost` returns the scalar $J$.

# %%
L = manual.loss(cache["Z2"], Y)   # (1, m): L(i) for every example i
J = manual.cost(cache["Z2"], Y)   # ()    : the average

assert L.shape == (1, m) and J.shape == ()
np.testing.assert_allclose(J, L.sum() / m, rtol=1e-14)
np.testing.assert_allclose(J, reference.cost(params, X, Y), rtol=1e-14)  # the independent jax.nn version
print(f"J = {float(J):.6f} = (1/{m}) * sum of the {m} losses")

# %% [markdown]
# ## $dZ^{[2]} = A^{[2]} - Y$ is the per-example gradient, stacked
#
# $L^{(i)}$ depends on $z^{[2](i)}$ only. So the derivative of the **cost** with respect to column $i$ of $Z^{[2]}$ is
#
# $$\frac{\partial J}{\partial z^{[2](i)}} = \frac{1}{m}\,\frac{\partial L^{(i)}}{\partial z^{[2](i)}}
#   = \frac{1}{m}\,(a^{[2](i)} - y^{(i)}).$$
#
# Let JAX differentiate both and compare with the course's $dZ^{[2]} = A^{[2]} - Y$:
#
# * `jax.grad` of $J$ with respect to $Z^{[2]}$ is $(A^{[2]} - Y)/m$;
# * `jax.grad` of each example's own $L^{(i)}$ with respect to its own $z^{[2](i)}$, stacked column by column, is
#   exactly $A^{[2]} - Y$: the course's $dZ^{[2]}$ has no $1/m$ because it *is* the per-example gradient.

# %%
dZ2 = cache["A2"] - Y                                   # the course's dZ2

dJ_dZ2 = jax.jit(jax.grad(manual.cost_unchecked))(cache["Z2"], Y)   # gradient of the average J


def loss_of_one_example(z2, y):                         # L(i) as a function of its own z2(i)
    return manual.loss(z2, y).sum()


dL_dz2_stacked = jax.jit(jax.vmap(jax.grad(loss_of_one_example), in_axes=1, out_axes=1))(cache["Z2"], Y)

np.testing.assert_allclose(dJ_dZ2, dZ2 / m, rtol=1e-12)          # the cost's gradient carries 1/m
np.testing.assert_allclose(dL_dz2_stacked, dZ2, rtol=1e-12)      # the course's dZ2: per example, no 1/m
print("dJ/dZ2 == (A2 - Y)/m  and  [dL(i)/dz2(i) for each i] == A2 - Y == dZ2")

# %% [markdown]
# ## Why $dW$ and $db$ carry the $1/m$
#
# $W^{[2]}$ is used by *every* example, so the chain rule sums over all of them:
#
# $$\frac{\partial J}{\partial W^{[2]}} = \sum_{i=1}^{m} \frac{\partial J}{\partial z^{[2](i)}}\, a^{[1](i)T}
#   = \frac{1}{m}\sum_{i=1}^{m} dz^{[2](i)}\, a^{[1](i)T} = \frac{1}{m}\, dZ^{[2]} A^{[1]T}.$$
#
# The matrix product $dZ^{[2]} A^{[1]T}$ *is* the sum over examples (it contracts the $m$ axis), and the $1/m$
# is the average's. The same holds for $b^{[2]}$, whose sum is written `np.sum(dZ2, axis=1, keepdims=True)`.
#
# The $1/m$ can sit in either place: on $dZ^{[2]}$ (that is what `jax.grad` with respect to $Z^{[2]}$ gives,
# and then $dW^{[2]} = (\partial J/\partial Z^{[2]})\,A^{[1]T}$ has none) or on $dW$ and $db$ (the course's
# choice). The product is the same number. The course's choice keeps $dZ$ equal to the per-example column of
# the slide, so $dZ^{[1]} = W^{[2]T} dZ^{[2]} * g'(Z^{[1]})$, computed column by column with no sum over
# examples, needs no $1/m$ either.
#
# Three independent witnesses agree: the course's formulas by hand (`manual.grads`), `jax.grad` of $J$
# (`reference.grads`), and central finite differences of $J$ (`reference.finite_difference_grads`).

# %%
g_manual = manual.grads(params, X, Y)            # the course's six formulas (with 1/m on dW, db)
g_autodiff = reference.grads(params, X, Y)       # jax.grad of J, written independently
g_numeric = reference.finite_difference_grads(params, X, Y)

for k in ("dW1", "db1", "dW2", "db2"):
    assert g_manual[k].dtype == jnp.float64
    np.testing.assert_allclose(g_manual[k], g_autodiff[k], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g_manual[k], g_numeric[k], rtol=1e-7, atol=1e-10)

# the 1/m on dZ2 instead of on dW2: the same number
np.testing.assert_allclose(dJ_dZ2 @ cache["A1"].T, g_manual["dW2"], rtol=1e-12)
np.testing.assert_allclose(dZ2 @ cache["A1"].T / m, g_manual["dW2"], rtol=1e-12)
print("manual == jax.grad == finite differences; (dZ2/m) A1^T == (1/m)(dZ2 A1^T)")

# %% [markdown]
# ## $dZ^{[1]}$: per example again, no $1/m$
#
# Hidden layer, same story. Column $i$ of $dZ^{[1]}$ is $dz^{[1](i)}$ of the single-example column of the
# slide; `jax.grad` of $J$ with respect to $Z^{[1]}$ is that divided by $m$. For one example the slide says
# $db^{[1]} = dz^{[1]}$, so `manual.grads_one_example` hands us $dz^{[1](i)}$ as its `db1`.

# %%
def one_example(x, y):                                  # the slide's left column for one column x, y
    return manual.grads_one_example(params, x[:, None], y[:, None])


per_example = jax.jit(jax.vmap(one_example, in_axes=1))(X, Y)   # each entry has a leading axis of length m
per_example = {k: np.asarray(v) for k, v in per_example.items()}
dz1_stacked = per_example["db1"][:, :, 0].T             # (n_h, m): dz1(i) as column i


def cost_from_Z1(Z1):                                   # J as a function of Z1 (forward from layer 1 on)
    Z2 = manual.linear(params["W2"], manual.tanh(Z1), params["b2"])
    return manual.cost_unchecked(Z2, Y)


dJ_dZ1 = jax.jit(jax.grad(cost_from_Z1))(cache["Z1"])
np.testing.assert_allclose(dJ_dZ1 * m, dz1_stacked, rtol=1e-10, atol=1e-15)
print("stacked per-example dz1 == m * dJ/dZ1: the course's dZ1 carries no 1/m")

# %% [markdown]
# ## The notes' two "Summary of gradient descent" columns, side by side
#
# | one example (left column) | $m$ examples, vectorized (right column) | relation |
# |---|---|---|
# | $dz^{[2]} = a^{[2]} - y$ | $dZ^{[2]} = A^{[2]} - Y$ | column $i$ = example $i$ (stacked, no $1/m$) |
# | $dW^{[2]} = dz^{[2]} a^{[1]T}$ | $dW^{[2]} = \frac1m dZ^{[2]} A^{[1]T}$ | average of the per-example $dW^{[2]}$ |
# | $db^{[2]} = dz^{[2]}$ | $db^{[2]} = \frac1m$ `np.sum(dZ2, axis=1, keepdims=True)` | average |
# | $dz^{[1]} = W^{[2]T} dz^{[2]} * g^{[1]\prime}(z^{[1]})$ | $dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})$ | column $i$ = example $i$ (stacked, no $1/m$) |
# | $dW^{[1]} = dz^{[1]} x^{T}$ | $dW^{[1]} = \frac1m dZ^{[1]} X^{T}$ | average |
# | $db^{[1]} = dz^{[1]}$ | $db^{[1]} = \frac1m$ `np.sum(dZ1, axis=1, keepdims=True)` | average |
#
# Computed: the left column for every example (`manual.grads_one_example`), the slide's for-loop that adds
# them up and divides by $m$ once (`manual.backward_per_example`), and the right column (`manual.backward`).

# %%
right = manual.backward(params, cache, X, Y)                 # vectorized, the right column
loop = manual.backward_per_example(params, X, Y)             # for i in 1..m: add the left column; then / m

rows = [
    ("dZ2 column i", "dz2 of example i", per_example["db2"][:, :, 0].T, dZ2),
    ("dW2", "mean of per-example dW2", per_example["dW2"].mean(axis=0), right["dW2"]),
    ("db2", "mean of per-example db2", per_example["db2"].mean(axis=0), right["db2"]),
    ("dZ1 column i", "dz1 of example i", dz1_stacked, dJ_dZ1 * m),
    ("dW1", "mean of per-example dW1", per_example["dW1"].mean(axis=0), right["dW1"]),
    ("db1", "mean of per-example db1", per_example["db1"].mean(axis=0), right["db1"]),
]
print(f"{'right column':>14} | {'= from the left column':<26} | max |difference|")
for name, relation, left_value, right_value in rows:
    diff = float(np.max(np.abs(np.asarray(left_value) - np.asarray(right_value))))
    print(f"{name:>14} | {relation:<26} | {diff:.1e}")
    np.testing.assert_allclose(left_value, right_value, rtol=1e-10, atol=1e-15)
for k in right:
    np.testing.assert_allclose(loop[k], right[k], rtol=1e-12, atol=1e-15)
print("the for-loop over examples (sum, then /m once) == the vectorized right column")

# %% [markdown]
# ## Dropping the $1/m$ multiplies the learning rate by $m$
#
# Forget the $1/m$ in $dW$ and $db$ and the gradient becomes the *sum* $\sum_i$ instead of the average: $m$
# times larger. A step with learning rate $\alpha$ on the sum is exactly a step with learning rate $\alpha m$ on
# the average:
#
# $$\theta - \alpha \sum_i g^{(i)} = \theta - (\alpha m)\,\frac{1}{m}\sum_i g^{(i)}.$$
#
# So the "right" learning rate would depend on how much data you have. Check the identity on one step:

# %%
alpha = 0.01
g_sum = {k: m * v for k, v in g_manual.items()}                 # the formulas without their 1/m
step_sum = {k: params[k] - alpha * g_sum["d" + k] for k in params}
step_mean = {k: params[k] - (alpha * m) * g_manual["d" + k] for k in params}
for k in params:
    np.testing.assert_allclose(step_sum[k], step_mean[k], rtol=1e-13)
print(f"one step on the sum with lr {alpha} == one step on the average with lr {alpha} * {m} = {alpha * m:g}")

# %% [markdown]
# On data: the flower data at four sizes $m$, 300 steps of gradient descent each, from the same initial weights
# (the course's scale 0.01). With the $1/m$ (learning rate 1.2, the course's), every size trains alike. Without
# it (learning rate $\alpha = 0.01$ on the sum, i.e. $0.01\,m$ on the average), small data sets crawl and large
# ones blow up: at $m = 20000$ the effective learning rate is 200 and the cost jumps far above its starting value
# $\ln 2 \approx 0.693$ (the prediction for a network that knows nothing).

# %%
sizes = (20, 200, 2000, 20000)
start = manual.init_params(jax.random.key(0), 2, 4, 1, scale=0.01, dtype=jnp.float64)
with_1_over_m, without_1_over_m = {}, {}
for size in sizes:
    Xs, Ys = flower(m=size)
    Ys = Ys.astype(np.float64)
    _, with_1_over_m[size] = train(start, Xs, Ys, lr=1.2, iterations=300)
    _, without_1_over_m[size] = train(start, Xs, Ys, lr=alpha * size, iterations=300)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for size in sizes:
    axes[0].plot(with_1_over_m[size], label=f"m = {size}")
    axes[1].plot(without_1_over_m[size], label=f"m = {size} (effective lr {alpha * size:g})")
axes[0].set_title("with 1/m, lr 1.2")
axes[1].set_title(f"without 1/m, lr {alpha}")
for ax in axes:
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.axhline(np.log(2), color="gray", lw=0.8, ls=":")
    ax.legend(fontsize=8)
axes[0].set_ylabel("cost J")
plt.show()

print(f"{'m':>6} {'final J with 1/m':>17} {'final J without':>16} {'max J without':>14}")
for size in sizes:
    print(f"{size:>6} {with_1_over_m[size][-1]:>17.3f} {without_1_over_m[size][-1]:>16.3f}"
          f" {without_1_over_m[size].max():>14.3f}")

# %%
# With 1/m the same learning rate works for every m: each run ends well below ln 2.
assert all(with_1_over_m[s][-1] < 0.6 for s in sizes)
# Without it, the smallest data set crawls (effective lr 0.2): it gains less than half of what the 1/m run gains ...
assert np.log(2) - without_1_over_m[20][-1] < 0.5 * (np.log(2) - with_1_over_m[20][-1])
# ... and the largest one blows up (effective lr 200): its cost jumps around far above where it started.
assert without_1_over_m[20000][-100:].mean() > 2 * np.log(2) and without_1_over_m[20000].max() > 10

# %% [markdown]
# ## Where the 1/m lives under data parallelism
#
# `shallownet.parallel` trains with the $m$ columns split across $N$ devices. The cost is still the average
# over **all** $m$ examples, so each device computes *sums* over its own columns (the right column without
# its $1/m$, `parallel.manual_sums`), an all-reduce (`lax.psum`) adds the $N$ partial sums, and the total is
# divided by the **global** $m$ once, after the all-reduce.
#
# Two tempting mistakes, checked below with $m = 398$ examples on $N = 4$ shards (padded with zero-weight
# columns to $4 \times 100$, so the shards hold 100, 100, 100 and 98 real examples):
#
# * dividing each shard by its *local* $m$ and then adding: $N$ times the gradient (learning rate $\times N$);
# * averaging the $N$ local means: right only when every shard holds the same number of real examples.

# %%
X_odd, Y_odd = flower(m=398)
Y_odd = Y_odd.astype(np.float64)
N = 4
X_pad, Y_pad, mask = parallel.pad_examples(X_odd, Y_odd, N)
shards = np.split(np.arange(X_pad.shape[1]), N)
local_m = [float(mask[:, s].sum()) for s in shards]
shard_sums = jax.jit(parallel.manual_sums)                                    # (sum of L, gradient sums)
local_sums = [shard_sums(params, X_pad[:, s], Y_pad[:, s], mask[:, s])[1] for s in shards]
local_sums = [{k: np.asarray(v) for k, v in g.items()} for g in local_sums]     # add them up in numpy

all_reduced = {k: sum(g[k] for g in local_sums) for k in g_manual}            # what lax.psum computes
once_global = {k: v / X_odd.shape[1] for k, v in all_reduced.items()}           # then 1/m, global m
local_then_add = {k: sum(g[k] / n for g, n in zip(local_sums, local_m)) for k in g_manual}
mean_of_means = {k: v / N for k, v in local_then_add.items()}

truth = {k: np.asarray(v) for k, v in manual.grads(params, X_odd, Y_odd).items()}
norm = lambda g: float(np.sqrt(sum(np.sum(np.asarray(v) ** 2) for v in g.values())))  # noqa: E731
print("real examples per shard:", local_m)
print(f"|psum / global m| / |truth|        = {norm(once_global) / norm(truth):.6f}")
print(f"|sum of local means| / |truth|     = {norm(local_then_add) / norm(truth):.6f}")
mean_of_means_error = max(float(np.max(np.abs(mean_of_means[k] - truth[k]))) for k in truth)
print(f"max |mean of local means - truth| = {mean_of_means_error:.1e}")

for k in truth:
    np.testing.assert_allclose(once_global[k], truth[k], rtol=1e-12, atol=1e-15)
assert abs(norm(local_then_add) / norm(truth) - N) < 0.05 * N                   # ~N times too large
assert mean_of_means_error > 1e-6

# %% [markdown]
# The same on real (simulated) devices: `parallel.train_parallel` shards the columns across the devices and
# runs the all-reduce inside the compiled loop; its cost history equals single-device training.

# %%
n_devices = min(N, len(jax.devices()))
start_odd = manual.init_params(jax.random.key(0), 2, 4, 1, dtype=jnp.float64)
_, costs_one = train(start_odd, X_odd, Y_odd, iterations=200)
_, costs_sharded = parallel.train_parallel(start_odd, X_odd, Y_odd, devices=n_devices, iterations=200)
print(f"{n_devices} devices; max |cost difference| over 200 steps: {np.max(np.abs(costs_one - costs_sharded)):.1e}")
np.testing.assert_allclose(costs_sharded, costs_one, rtol=1e-10)

# %% [markdown]
# ## The answer / 答
#
# * $dZ^{[2]}$ and $dZ^{[1]}$ have one column per example, and column $i$ is the gradient of example $i$'s own
#   loss $L^{(i)}$. Nothing is summed over examples, so there is no $1/m$. (The gradient of the *cost* with
#   respect to $Z$ would be $dZ/m$; the course moves that $1/m$ to the next step.)
# * $dW$ and $db$ are gradients with respect to parameters that all $m$ examples share. The matrix product
#   ($dZ\,A^{T}$, $dZ\,X^{T}$) or `np.sum(..., axis=1)` adds the $m$ per-example contributions, and because
#   $J$ is the *average* loss, the sum is divided by $m$ once.
# * Without the $1/m$ you would be following the *summed* loss: the same direction, but a step $m$ times
#   larger, so the learning rate would have to shrink as the data set grows.
#
# 答：$dZ$ 的每一列是一个样本自己的损失 $L^{(i)}$ 的梯度，不对样本求和，所以没有 $1/m$；
# $dW$、$db$ 是所有样本共享的参数的梯度，矩阵乘法（或 `np.sum(axis=1)`）把 $m$ 个样本的贡献加起来，
# 而 $J$ 是平均损失，所以要乘一次 $1/m$。去掉 $1/m$ 等于把学习率乘以 $m$。
