# %% [markdown]
# # 3. Why do some formulas carry 1/m and others not? / 为何有的有 1/m，有的没有
#
# **Lecture sections:** 1.9 *gradient descent for neural networks* and 1.10 *backpropagation intuition*.
# The notes derive backpropagation for the shallow network and end 1.10 with an open question:
#
# > 问：为何有的有 $1/m$，有的没有。。。 (*Why do some formulas have $1/m$, and some don't?*)
#
# In the vectorized summary, $dZ^{[2]} = A^{[2]} - Y$ and $dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})$
# have no $1/m$, while $dW^{[2]}, db^{[2]}, dW^{[1]}, db^{[1]}$ all do. This notebook first derives the six
# formulas with the chain rule, as lecture 1.10 does, then checks every step of the derivation on numbers,
# then answers the question. Every claim is checked by an `assert`: a wrong claim stops the notebook.
#
# **Short answer.** The cost is an *average*, $J = \frac{1}{m}\sum_i L^{(i)}$. Column $i$ of $dZ$ is the
# gradient of example $i$'s *own* loss $L^{(i)}$: nothing is summed, so nothing is averaged. $W$ and $b$ are
# *shared* by all $m$ examples: their gradient is the sum of $m$ per-example contributions, and the
# average's $1/m$ is applied exactly once, there.
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
# This notebook runs on the CPU whatever the machine has (its arrays are tiny), as 4 simulated CPU
# devices: the optional data-parallel section at the end shards the examples across them.
jax.config.update("jax_platforms", "cpu")
jax.config.update("jax_num_cpu_devices", 4)
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import manual
import reference
from shallownet.data import flower
from shallownet.train import train
from shallownet.lessons import figures

figures.setup()

# %% [markdown]
# ## The chain rule, one example at a time (lecture 1.10)
#
# **Logistic regression first**, as the lecture does. One example $x$ with label $y \in \{0, 1\}$:
#
# $$z = w^T x + b, \qquad a = \sigma(z), \qquad L(a, y) = -y \log a - (1 - y) \log(1 - a).$$
#
# Backward, one link of the chain at a time:
#
# $$da = \frac{\partial L}{\partial a} = -\frac{y}{a} + \frac{1 - y}{1 - a}, \qquad
#   \frac{da}{dz} = \sigma'(z) = a(1 - a),$$
#
# $$dz = \frac{\partial L}{\partial z} = da \cdot a(1 - a) = -y(1 - a) + (1 - y)\,a = a - y, \qquad
#   dw = dz\,x, \qquad db = dz.$$
#
# **The two-layer network** is a logistic regression on $a^{[1]}$ stacked on a hidden layer. For one example:
#
# $$dz^{[2]} = a^{[2]} - y, \qquad dW^{[2]} = dz^{[2]} a^{[1]T}, \qquad db^{[2]} = dz^{[2]},$$
#
# and since $z^{[2]} = W^{[2]} a^{[1]} + b^{[2]}$, the error reaching $a^{[1]}$ is $da^{[1]} = W^{[2]T} dz^{[2]}$;
# through $a^{[1]} = g^{[1]}(z^{[1]})$, element by element:
#
# $$dz^{[1]} = W^{[2]T} dz^{[2]} * g^{[1]\prime}(z^{[1]}), \qquad dW^{[1]} = dz^{[1]} x^{T}, \qquad db^{[1]} = dz^{[1]}.$$
#
# That is the left column of the notes' "Summary of gradient descent". Each step, on numbers, against
# `jax.grad`:

# %%
a = jnp.array([0.1, 0.3, 0.5, 0.8, 0.95])
y = jnp.array([0.0, 1.0, 1.0, 0.0, 1.0])
z = jnp.log(a / (1 - a))                                        # the z with sigmoid(z) = a


def L_of_a(a, y):                                               # the loss as a function of a
    return -y * jnp.log(a) - (1 - y) * jnp.log(1 - a)


def L_of_z(z, y):                                               # the loss as a function of z
    return L_of_a(manual.sigmoid(z), y)


da = -y / a + (1 - y) / (1 - a)                                 # the lecture's da
dz = a - y                                                      # the lecture's dz
np.testing.assert_allclose(jax.vmap(jax.grad(L_of_a))(a, y), da, rtol=1e-12)
np.testing.assert_allclose(da * a * (1 - a), dz, rtol=1e-12)      # da * sigma'(z) simplifies to a - y
np.testing.assert_allclose(jax.vmap(jax.grad(L_of_z))(z, y), dz, rtol=1e-10, atol=1e-15)
print("da = -y/a + (1-y)/(1-a), and da * a(1-a) = a - y = dz: both equal to jax.grad at", a.size, "points")

# %% [markdown]
# ## From one example to $m$: the sum, then the $1/m$
#
# The cost averages the $m$ losses, $J = \frac{1}{m} \sum_{i=1}^{m} L^{(i)}$, and $L^{(i)}$ depends on
# $z^{[2](i)}$ only. Two different things are now called "$d$" in the course's notation:
#
# * $dZ^{[2]}$ and $dZ^{[1]}$ **stack** the per-example derivatives: column $i$ is $\partial L^{(i)} / \partial
#   z^{(i)}$, the derivative of example $i$'s *own loss*. No sum over examples, so no $1/m$.
# * $dW$ and $db$ are $\partial J / \partial W$ and $\partial J / \partial b$: derivatives of the *cost*.
#   **$W$ is shared by all $m$ examples, so its gradient sums over them**:
#
# $$\frac{\partial J}{\partial W^{[2]}} = \frac{1}{m}\sum_{i=1}^{m} \frac{\partial L^{(i)}}{\partial W^{[2]}}
#   = \frac{1}{m}\sum_{i=1}^{m} dz^{[2](i)}\, a^{[1](i)T} = \frac{1}{m}\, dZ^{[2]} A^{[1]T}.$$
#
# The matrix product $dZ^{[2]} A^{[1]T}$ *is* the sum over examples (it contracts the $m$ axis), and
# `np.sum(dZ2, axis=1, keepdims=True)` is the sum for $b^{[2]}$. The same holds for $W^{[1]}$, $b^{[1]}$.
# The six formulas of the right column, written out in numpy on the flower data (2 inputs, 400 examples),
# with 4 tanh hidden units whose weights are drawn at scale 1 (not the course's 0.01) so that no derivative is
# near zero and the checks have something to see:

# %%
X, Y = flower()
Y = Y.astype(np.float64)
m = X.shape[1]
params = manual.init_params(jax.random.key(0), n_x=2, n_h=4, n_y=1, scale=1.0, dtype=jnp.float64)
A2, cache = manual.forward(params, X)
assert X.dtype == Y.dtype == A2.dtype == params["W1"].dtype == jnp.float64

W2 = np.asarray(params["W2"])
A1, A2 = np.asarray(cache["A1"]), np.asarray(cache["A2"])

dZ2 = A2 - Y                                            # (1, m)   per example: no 1/m
dW2 = (1 / m) * np.dot(dZ2, A1.T)                       # (1, 4)   sum over the m examples, then 1/m
db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)      # (1, 1)
dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))         # (4, m)   per example: no 1/m; tanh' = 1 - a^2
dW1 = (1 / m) * np.dot(dZ1, X.T)                        # (4, 2)
db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)      # (4, 1)
six = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

# %% [markdown]
# Three independent witnesses of those numbers: the library's hand-derived backward pass (`manual.grads`),
# `jax.grad` of the cost written independently (`reference.grads`), and central finite differences of the cost
# (`reference.finite_difference_grads`), which know nothing about derivatives at all.

# %%
g_manual = manual.grads(params, X, Y)
g_autodiff = reference.grads(params, X, Y)
g_numeric = reference.finite_difference_grads(params, X, Y)

print(f"{'':>4} {'vs manual.grads':>16} {'vs jax.grad':>12} {'vs finite differences':>22}")
for k in ("dW1", "db1", "dW2", "db2"):
    assert six[k].dtype == g_manual[k].dtype == jnp.float64
    errors = [float(np.max(np.abs(six[k] - np.asarray(w[k])))) for w in (g_manual, g_autodiff, g_numeric)]
    print(f"{k:>4} {errors[0]:>16.1e} {errors[1]:>12.1e} {errors[2]:>22.1e}")
    np.testing.assert_allclose(six[k], g_manual[k], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(six[k], g_autodiff[k], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(six[k], g_numeric[k], rtol=1e-7, atol=1e-10)

# %% [markdown]
# ## $dZ^{[2]} = A^{[2]} - Y$ is the per-example gradient, stacked
#
# Now the two meanings of "$d$" on numbers. `jax.grad` of each example's own $L^{(i)}$ with respect to its own
# $z^{[2](i)}$, stacked column by column, is exactly $A^{[2]} - Y$; `jax.grad` of the *cost* $J$ with respect to
# $Z^{[2]}$ is that divided by $m$:
#
# $$\frac{\partial J}{\partial z^{[2](i)}} = \frac{1}{m}\,\frac{\partial L^{(i)}}{\partial z^{[2](i)}}
#   = \frac{1}{m}\,(a^{[2](i)} - y^{(i)}).$$

# %%
dJ_dZ2 = jax.jit(jax.grad(manual.cost_unchecked))(cache["Z2"], Y)   # gradient of the average J


def loss_of_one_example(z2, y):                         # L(i) as a function of its own z2(i)
    return manual.loss(z2, y).sum()


dL_dz2_stacked = jax.jit(jax.vmap(jax.grad(loss_of_one_example), in_axes=1, out_axes=1))(cache["Z2"], Y)

np.testing.assert_allclose(dL_dz2_stacked, dZ2, rtol=1e-12)      # the course's dZ2: per example, no 1/m
np.testing.assert_allclose(dJ_dZ2, dZ2 / m, rtol=1e-12)          # the cost's gradient carries 1/m
# where the 1/m sits does not change dW2: on dZ2 (jax.grad's choice) or on dW2 (the course's)
np.testing.assert_allclose(dJ_dZ2 @ cache["A1"].T, dW2, rtol=1e-12)
print("[dL(i)/dz2(i) for each i] == A2 - Y == dZ2;  dJ/dZ2 == dZ2 / m;  (dZ2/m) A1^T == (1/m) dZ2 A1^T")

# %% [markdown]
# ## $dZ^{[1]}$: per example again, no $1/m$
#
# Column $i$ of $dZ^{[1]}$ is the single example's $dz^{[1](i)}$; for one example the slide says
# $db^{[1]} = dz^{[1]}$, so `manual.grads_one_example` hands us $dz^{[1](i)}$ as its `db1`. `jax.grad` of $J$ with
# respect to $Z^{[1]}$ is $dZ^{[1]}/m$.

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
np.testing.assert_allclose(dz1_stacked, dZ1, rtol=1e-10, atol=1e-15)
np.testing.assert_allclose(dJ_dZ1 * m, dZ1, rtol=1e-10, atol=1e-15)
print("stacked per-example dz1 == dZ1 == m * dJ/dZ1: the course's dZ1 carries no 1/m")

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
# Computed: the left column for every example (`manual.grads_one_example`, above), and the slide's for-loop
# that adds them up and divides by $m$ once (`manual.backward_per_example`), against the six numpy formulas.

# %%
loop = manual.backward_per_example(params, X, Y)             # for i in 1..m: add the left column; then / m
rows = [
    ("dZ2 column i", "dz2 of example i", per_example["db2"][:, :, 0].T, dZ2),
    ("dW2", "mean of per-example dW2", per_example["dW2"].mean(axis=0), dW2),
    ("db2", "mean of per-example db2", per_example["db2"].mean(axis=0), db2),
    ("dZ1 column i", "dz1 of example i", dz1_stacked, dZ1),
    ("dW1", "mean of per-example dW1", per_example["dW1"].mean(axis=0), dW1),
    ("db1", "mean of per-example db1", per_example["db1"].mean(axis=0), db1),
]
print(f"{'right column':>14} | {'= from the left column':<26} | max |difference|")
for name, relation, left_value, right_value in rows:
    diff = float(np.max(np.abs(np.asarray(left_value) - np.asarray(right_value))))
    print(f"{name:>14} | {relation:<26} | {diff:.1e}")
    np.testing.assert_allclose(left_value, right_value, rtol=1e-10, atol=1e-15)
for k in six:
    np.testing.assert_allclose(loop[k], six[k], rtol=1e-12, atol=1e-15)
print("the for-loop over examples (sum, then /m once) == the vectorized right column")

# %% [markdown]
# ## Dropping the $1/m$ multiplies the learning rate by $m$
#
# Forget the $1/m$ in $dW$ and $db$ and the gradient becomes the *sum* $\sum_i$ instead of the average: $m$ times
# larger. A step with learning rate $\alpha$ on the sum is exactly a step with learning rate $\alpha m$ on the
# average:
#
# $$\theta - \alpha \sum_i g^{(i)} = \theta - (\alpha m)\,\frac{1}{m}\sum_i g^{(i)}.$$
#
# So the "right" learning rate would depend on how much data you have. Checked on one step, with the sums
# computed twice without the library: this cell's own numpy formulas without their $1/m$, and `jax.grad` of
# $m \times J$ (the summed loss) written independently (`reference.cost`). The step on the average uses
# `jax.grad` of $J$. Only then is the library's `manual.backward_sums` (the backward pass without its $1/m$, which
# the training below uses) held to the same sums, so a slip in it stops this cell.

# %%
alpha = 0.01
own_sums = {"dW2": np.dot(dZ2, A1.T), "db2": np.sum(dZ2, axis=1, keepdims=True),       # the formulas above,
            "dW1": np.dot(dZ1, X.T), "db1": np.sum(dZ1, axis=1, keepdims=True)}       # without their 1/m
summed_loss_grads = jax.grad(lambda p: m * reference.cost(p, X, Y))(params)          # d(m J)/d(W, b)
for k in own_sums:
    np.testing.assert_allclose(own_sums[k], summed_loss_grads[k[1:]], rtol=1e-11, atol=1e-12)
step_sum = {k: params[k] - alpha * own_sums["d" + k] for k in params}
step_mean = {k: params[k] - (alpha * m) * g_autodiff["d" + k] for k in params}
for k in params:
    np.testing.assert_allclose(step_sum[k], step_mean[k], rtol=1e-12, atol=1e-15)
    assert not np.allclose(step_sum[k], params[k] - alpha * g_autodiff["d" + k])   # and not a step of alpha
library_sums = manual.backward_sums(params, cache, X, Y)       # the library's sums, used from here on
for k in own_sums:
    np.testing.assert_allclose(library_sums[k], own_sums[k], rtol=1e-11, atol=1e-12, err_msg=f"library's {k}")
print(f"one step on the sums with lr {alpha} == one step on the average with lr {alpha} * {m} = {alpha * m:g}")
print("the sums: this cell's formulas == jax.grad of m * J == manual.backward_sums")

# %% [markdown]
# **When this holds.** The identity is about *plain full-batch gradient descent*: the update is the learning
# rate times the gradient, so a factor $m$ on the gradient is a factor $m$ on the learning rate. It fails
# elsewhere:
#
# * **Adam, RMSprop** (Course 2): they divide the gradient by a running estimate of its own size, so a constant
#   factor cancels: dropping the $1/m$ changes almost nothing (only the tiny $\varepsilon$ in the denominator sees it).
# * **Weight decay added to the average**, $J_{wd} = \frac1m\sum_i L^{(i)} + \frac{\lambda}{2}\lVert W\rVert^2$: dropping the
#   $1/m$ multiplies the data term's gradient by $m$ but not the penalty's $\lambda W$, so the step is no longer
#   "lr $\times m$" of anything: the balance between data and penalty changes. (The other way round is harmless:
#   $\frac{\lambda}{2}\lVert W\rVert^2$ added to the *sum* of the losses is exactly $m$ times the course's
#   $\frac1m\sum_i L^{(i)} + \frac{\lambda}{2m}\lVert W\rVert^2$, so its gradient is $m$ times the course's and the rule holds.)
# * **Mini-batches of unequal sizes**: each batch's sum scales with its own size, so the step length changes from
#   batch to batch (a last, smaller batch takes a shorter step); the average does not.
#
# Both L2 cases on numbers ($\lambda = 0.7$), with `jax.grad`:

# %%
lam = 0.7


def penalty(p):                                          # ||W1||^2 + ||W2||^2
    return jnp.sum(p["W1"] ** 2) + jnp.sum(p["W2"] ** 2)


# the data term without its 1/m, plus lambda/2 ||W||^2: which regularized average is it m times?
dropped = jax.grad(lambda p: m * reference.cost(p, X, Y) + lam / 2 * penalty(p))(params)
course_l2 = jax.grad(lambda p: reference.cost(p, X, Y) + lam / (2 * m) * penalty(p))(params)
weight_decay = jax.grad(lambda p: reference.cost(p, X, Y) + lam / 2 * penalty(p))(params)
for k in params:                                         # m times the course's L2 cost: the rule holds
    np.testing.assert_allclose(dropped[k], m * course_l2[k], rtol=1e-11, atol=1e-12)
ratio = float(jnp.linalg.norm(dropped["W1"]) / jnp.linalg.norm(weight_decay["W1"]))
print(f"sum + lambda/2 ||W||^2: gradient == {m} x the course's (average + lambda/(2m) ||W||^2)")
print(f"against weight decay on the average (average + lambda/2 ||W||^2): dW1 is {ratio:.1f} times it, not {m}")
assert abs(ratio - m) > 0.1 * m

# %% [markdown]
# ### The same question in cs231n's two-layer net
#
# cs231n's assignment writes the network with one example per *row* (X is $(N, D)$, `W1` is $(D, H)$), a ReLU
# hidden layer and a softmax output, and its cost is an average too:
# $L = -\frac1N\sum_i \log \mathrm{softmax}(s_i)_{y_i} + \mathrm{reg}\,(\lVert W_1\rVert^2 + \lVert W_2\rVert^2)$
# (the 2017–2019 template; the 2016 one writes $\frac12\mathrm{reg}$). So the answer is the same: the gradient of
# the scores is $dS = (P - \mathrm{onehot}(y))/N$, the $\frac1N$ enters once, there, and $dW_2 = H^\top dS$,
# $db_2 = \sum_{\text{rows}} dS$ need no second one. The L2 term carries **no** $\frac1N$: it is a property of the
# weights, not a mean over examples, so its gradient $2\,\mathrm{reg}\,W$ is the same whatever $N$ is. The
# course's Course 2 writes the same penalty as $\frac{\lambda}{2m}\lVert W\rVert^2$, on the per-example scale, so
# the two are one family with $\mathrm{reg} = \lambda/(2m)$: moving between them rescales $\lambda$; it does not
# add or drop a $1/m$ in the gradient alone. On numbers, with the cell's own cost and `jax.grad`:

# %%
def cs231n_loss(p, X_rows, y, reg):
    """cs231n's loss: X_rows (N, D), y (N,) integer labels; the average over N plus reg * sum of W^2."""
    # cs231n's biases are (H,) and (C,); this notebook raises on implicit rank promotion, so add a row axis
    hidden = jnp.maximum(X_rows @ p["W1"] + p["b1"][None, :], 0.0)            # (N, H)
    scores = hidden @ p["W2"] + p["b2"][None, :]                               # (N, C)
    log_p = scores - jax.scipy.special.logsumexp(scores, axis=1, keepdims=True)
    return -jnp.mean(log_p[jnp.arange(X_rows.shape[0]), y]) + reg * (jnp.sum(p["W1"] ** 2) + jnp.sum(p["W2"] ** 2))


rows_rng = np.random.default_rng(3)
D, H, C, reg_cs = 4, 6, 3, 0.05
net = {"W1": rows_rng.standard_normal((D, H)), "b1": rows_rng.standard_normal(H),
       "W2": rows_rng.standard_normal((H, C)), "b2": rows_rng.standard_normal(C)}
X_small = rows_rng.standard_normal((5, D))
y_small = rows_rng.integers(0, C, 5)
X_big, y_big = np.tile(X_small, (40, 1)), np.tile(y_small, 40)               # the same 5 rows, 40 times: N = 200
data_small = jax.grad(cs231n_loss)(net, X_small, y_small, 0.0)
data_big = jax.grad(cs231n_loss)(net, X_big, y_big, 0.0)
reg_small = {k: jax.grad(cs231n_loss)(net, X_small, y_small, reg_cs)[k] - data_small[k] for k in net}
reg_big = {k: jax.grad(cs231n_loss)(net, X_big, y_big, reg_cs)[k] - data_big[k] for k in net}
for k in net:
    assert data_small[k].dtype == jnp.float64
    np.testing.assert_allclose(data_big[k], data_small[k], rtol=1e-10, atol=1e-12)   # an average: N does not matter
    np.testing.assert_allclose(reg_big[k], reg_small[k], rtol=1e-10, atol=1e-12)     # and the penalty has no 1/N
for k in ("W1", "W2"):
    np.testing.assert_allclose(reg_small[k], 2 * reg_cs * net[k], rtol=1e-10, atol=1e-12)
print("cs231n: N = 5 and N = 200 (the same rows repeated) give the same gradient; the penalty's is 2 * reg * W")

# %% [markdown]
# ### Optional: Adam (beyond week 3)
#
# *Adam is taught in Course 2, week 2; skip this on a first reading.* 20 Adam steps on the average and on the
# sums land in the same place, while plain gradient descent with the same two gradients does not.

# %%
def adam(grads_of, p, lr=0.01, steps=20, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam (Kingma & Ba) in a few lines; grads_of(p) gives dW1 db1 dW2 db2."""
    first = {k: jnp.zeros_like(v) for k, v in p.items()}
    second = {k: jnp.zeros_like(v) for k, v in p.items()}
    for t in range(1, steps + 1):
        g = grads_of(p)
        first = {k: beta1 * first[k] + (1 - beta1) * g["d" + k] for k in p}
        second = {k: beta2 * second[k] + (1 - beta2) * g["d" + k] ** 2 for k in p}
        p = {k: p[k] - lr * (first[k] / (1 - beta1 ** t)) / (jnp.sqrt(second[k] / (1 - beta2 ** t)) + eps)
             for k in p}
    return p


def sums_of(p):
    return manual.backward_sums(p, manual.forward(p, X)[1], X, Y)


adam_mean = adam(lambda p: manual.grads(p, X, Y), params)
adam_sum = adam(sums_of, params)
adam_gap = max(float(jnp.max(jnp.abs(adam_mean[k] - adam_sum[k]))) for k in params)
moved = max(float(jnp.max(jnp.abs(adam_mean[k] - params[k]))) for k in params)
print(f"Adam, 20 steps: moved up to {moved:.3f}; average vs sums differ by at most {adam_gap:.1e}")
assert adam_gap < 1e-3 * moved                        # Adam does not see the factor m ...
gd_mean = {k: params[k] - 0.01 * g_manual["d" + k] for k in params}
assert max(float(jnp.max(jnp.abs(step_sum[k] - gd_mean[k]))) for k in params) > 100 * adam_gap   # ... GD does

# %% [markdown]
# ## On data: the same learning rate for every $m$?
#
# The flower data at four sizes $m$ (drawn by the same recipe, so 20 points are a sparse flower and 20,000 a
# dense one), 300 steps of gradient descent each from the same initial weights (the course's scale 0.01):
#
# * **with** the $1/m$: learning rate 1.2, the course's, for every size (`shallownet.train.train`);
# * **without** it: $\alpha = 0.01$ on the sums (`descend_on_sums` below, which calls `manual.backward_sums`
#   and never divides by $m$), i.e. an effective learning rate $0.01\,m$ on the average: 0.2 at $m = 20$, 200 at
#   $m = 20000$.
#
# The gradient's size at the start tells the story before any training: with the $1/m$ it is about the same for
# every $m$; without it, it grows in proportion to $m$.

# %%
@jax.jit
def descend_on_sums(p, X, Y, alpha):
    """300 steps of gradient descent on the summed gradients (no 1/m); returns the cost before each step."""
    def step(p, _):
        _, c = manual.forward_unchecked(p, X)
        sums = manual.backward_sums_unchecked(p, c, X, Y)
        return {k: p[k] - alpha * sums["d" + k] for k in p}, manual.cost_unchecked(c["Z2"], Y)
    return jax.lax.scan(step, p, length=300)[1]


def norm(g):
    return float(np.sqrt(sum(np.sum(np.asarray(v) ** 2) for v in g.values())))


sizes = (20, 200, 2000, 20000)
start = manual.init_params(jax.random.key(0), 2, 4, 1, scale=0.01, dtype=jnp.float64)
with_1_over_m, without_1_over_m, grad_norm, sum_norm = {}, {}, {}, {}
for size in sizes:
    Xs, Ys = flower(m=size)
    Ys = Ys.astype(np.float64)
    _, with_1_over_m[size] = train(start, Xs, Ys, lr=1.2, iterations=300)
    without_1_over_m[size] = np.asarray(descend_on_sums(start, Xs, Ys, alpha))
    _, c = manual.forward(params, Xs)
    grad_norm[size] = norm(manual.backward(params, c, Xs, Ys))     # at the scale-1 weights of above
    sum_norm[size] = norm(manual.backward_sums(params, c, Xs, Ys))

# dropping the 1/m IS the learning rate alpha * m: the two descents agree wherever they are stable
for size in (20, 200):
    Xs, Ys = flower(m=size)
    _, same = train(start, Xs, Ys.astype(np.float64), lr=alpha * size, iterations=300)
    np.testing.assert_allclose(without_1_over_m[size], same, rtol=1e-10)

fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for i, size in enumerate(sizes):
    axes[0].plot(with_1_over_m[size], color=f"C{i}", label=f"m = {size}")
    axes[1].plot(without_1_over_m[size], color=f"C{i}", label=f"m = {size} (effective lr {alpha * size:g})")
figures.cost_axes(axes[0], "with 1/m: lr 1.2 for every m", log=True)
figures.cost_axes(axes[1], f"without 1/m: lr {alpha} on the sums", log=True)
for ax in axes:
    ax.axhline(np.log(2), color="gray", lw=0.8, ls=":", label="ln 2 (a coin flip)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)   # below the panel: no curve covered
fig.tight_layout()
plt.show()

print(f"{'m':>6} {'|grad| with 1/m':>16} {'|grad| without':>15} {'final J with':>13} {'final J without':>16}"
      f" {'max J without':>14}")
for size in sizes:
    print(f"{size:>6} {grad_norm[size]:>16.3f} {sum_norm[size]:>15.1f} {with_1_over_m[size][-1]:>13.3f}"
          f" {without_1_over_m[size][-1]:>16.3f} {without_1_over_m[size].max():>14.3f}")

# %% [markdown]
# What the table says, in numbers:
#
# * **With the $1/m$** the gradient's size does not depend on $m$ (within a factor 1.2 from $m = 20$ to
#   20,000), so one learning rate serves every size: all four runs fall at every step. The three larger data sets
#   end within 0.06 of each other (0.24–0.29); $m = 20$ ends higher, at 0.42, because 20 points are a different,
#   sparser problem, not because its step is different (its gradient is the same size as the others').
# * **Without it** the gradient grows in proportion to $m$, and so does the effective learning rate. At
#   $m = 20$ (effective 0.2) the run crawls: it gains less than half of what the 1/m run gains. At $m = 200$
#   (effective 2.0) it happens to end a little *lower* than the $1/m$ run with 1.2: a larger step suits this
#   data at this size. At $m = 2000$ (effective 20) the cost jumps far above its start (to 7.4), again and
#   again, between stretches near 0.3; at $m = 20000$ (effective 200) it never comes down.
#   No single $\alpha$ serves both ends: the learning rate would have to shrink as the data grows.

# %%
for size in sizes:                          # with 1/m: the cost falls at every step, for every m
    assert np.all(np.diff(with_1_over_m[size]) < 0), size
assert max(grad_norm.values()) < 1.2 * min(grad_norm.values())           # |grad| is independent of m
for size in sizes:                                                       # ... and the sums grow with m
    assert abs(sum_norm[size] / grad_norm[size] - size) < 1e-6 * size
finals = [with_1_over_m[s][-1] for s in (200, 2000, 20000)]
assert max(finals) - min(finals) < 0.06 and max(finals) < 0.3 and 0.4 < with_1_over_m[20][-1] < 0.45
# without it: m = 20 crawls (gains less than half of what the 1/m run gains) ...
assert np.log(2) - without_1_over_m[20][-1] < 0.5 * (np.log(2) - with_1_over_m[20][-1])
# ... m = 200 ends a little lower than with 1/m and lr 1.2 ...
assert with_1_over_m[200][-1] - 0.05 < without_1_over_m[200][-1] < with_1_over_m[200][-1]
# ... m = 2000 jumps far above its start, m = 20000 never comes down
jumps_above_1 = np.sum((without_1_over_m[2000][1:] > 1) & (without_1_over_m[2000][:-1] <= 1))
assert without_1_over_m[2000].max() > 5 * np.log(2) and jumps_above_1 >= 2 and without_1_over_m[2000][-1] < 0.5
assert without_1_over_m[20000][-100:].mean() > 2 * np.log(2) and without_1_over_m[20000].max() > 10

# %% [markdown]
# ## Try this: a learning rate without the $1/m$
#
# Keep the sums (no $1/m$) and find a learning rate $\alpha$ that trains the flower data at $m = 2000$ as well
# as the $1/m$ version does: the cost must fall at *every* one of 300 steps and end below 0.30. Experiment with
# `descend_on_sums(start, X2000, Y2000, alpha)` (with `X2000, Y2000 = flower(m=2000)`), then set `my_alpha`
# and run the check cell. Then ask yourself: what would your $\alpha$ be at $m = 20000$?

# %%
my_alpha = None       # your learning rate for the summed gradients, e.g. 0.1

# %%
from shallownet.lessons.exercises import check_learning_rate_without_one_over_m

check_learning_rate_without_one_over_m(my_alpha)

# %% [markdown]
# ## The answer / 答
#
# * $dZ^{[2]}$ and $dZ^{[1]}$ have one column per example, and column $i$ is the gradient of example $i$'s own
#   loss $L^{(i)}$ with respect to its own $z^{(i)}$. Nothing is summed over examples, so there is no $1/m$. (The
#   gradient of the *cost* with respect to $Z$ would be $dZ/m$; the course moves that $1/m$ to the next step.)
# * $dW$ and $db$ are gradients of the cost with respect to parameters that all $m$ examples share. The matrix
#   product ($dZ\,A^{T}$, $dZ\,X^{T}$) or `np.sum(..., axis=1)` adds the $m$ per-example contributions, and because
#   $J$ is the *average* loss, the sum is divided by $m$ once.
# * Without the $1/m$ you would follow the *summed* loss: the same direction, a step $m$ times longer. In plain
#   full-batch gradient descent that is the learning rate times $m$, so the learning rate would have to shrink as
#   the data grows (not so for Adam, RMSprop, or weight decay added to the average cost: see above).
#
# **小结。** 代价 $J = \frac{1}{m}\sum_i L^{(i)}$ 是 $m$ 个样本损失的平均。
#
# * $dZ^{[2]}$、$dZ^{[1]}$ 的第 $i$ 列是第 $i$ 个样本的损失 $L^{(i)}$ 对 $z^{(i)}$ 的梯度，只属于这一个样本，
#   不对样本求和，所以没有 $1/m$。
# * $W$、$b$ 被所有 $m$ 个样本共享：矩阵乘法（或 `np.sum(..., axis=1)`）先把 $m$ 个样本的贡献加起来，
#   最后除以 $m$ 取平均，这就是 $dW$、$db$ 里的 $1/m$。
# * 去掉 $1/m$ 相当于把学习率乘以 $m$（只对普通的全批量梯度下降成立；对 Adam、RMSprop、加在平均代价上的
#   权重衰减 $\frac{\lambda}{2}\lVert W\rVert^2$、大小不等的 mini-batch 都不成立；而加在总和上的
#   $\frac{\lambda}{2}\lVert W\rVert^2$ 正好是课程代价的 $m$ 倍，仍成立），于是数据越多，学习率就得越小。

# %% [markdown]
# ## Optional: where the $1/m$ lives under data parallelism
#
# *This section goes beyond the lecture; skip it on a first reading.* `shallownet.parallel` trains with the $m$
# columns split across $N$ devices. The cost is still the average over **all** $m$ examples, so each device
# computes *sums* over its own columns (the right column without its $1/m$, `parallel.manual_sums`), an
# all-reduce (`lax.psum`) adds the $N$ partial sums, and the total is divided by the **global** $m$ once, after
# the all-reduce. Two tempting mistakes, checked with $m = 398$ examples on $N = 4$ shards (padded with
# zero-weight columns to $4 \times 100$, so the shards hold 100, 100, 100 and 98 real examples):
#
# * dividing each shard by its *local* $m$ and then adding: $N$ times the gradient (learning rate $\times N$);
# * averaging the $N$ local means: right only when every shard holds the same number of real examples.

# %%
from shallownet import parallel

X_odd, Y_odd = flower(m=398)
Y_odd = Y_odd.astype(np.float64)
N = 4
X_pad, Y_pad, mask = parallel.pad_examples(X_odd, Y_odd, N)
shards = np.split(np.arange(X_pad.shape[1]), N)
local_m = [float(mask[:, s].sum()) for s in shards]
shard_sums = jax.jit(parallel.manual_sums)                                    # (sum of L, gradient sums)
local_sums = [shard_sums(params, X_pad[:, s], Y_pad[:, s], mask[:, s])[1] for s in shards]
local_sums = [{k: np.asarray(v) for k, v in g.items()} for g in local_sums]     # add them up in numpy

all_reduced = {k: sum(g[k] for g in local_sums) for k in six}                 # what lax.psum computes
once_global = {k: v / X_odd.shape[1] for k, v in all_reduced.items()}           # then 1/m, global m
local_then_add = {k: sum(g[k] / n for g, n in zip(local_sums, local_m)) for k in six}
mean_of_means = {k: v / N for k, v in local_then_add.items()}

truth = {k: np.asarray(v) for k, v in manual.grads(params, X_odd, Y_odd).items()}
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
# The same on real (simulated) devices: `train(..., devices=N)` shards the columns across 4 CPU devices and
# runs the all-reduce inside the compiled loop; its cost history equals single-device training. (The device
# count is asserted, so the check cannot quietly run on one device.)

# %%
devices = jax.devices()
assert len(devices) == N and all(d.platform == "cpu" for d in devices), devices
start_odd = manual.init_params(jax.random.key(0), 2, 4, 1, dtype=jnp.float64)
_, costs_one = train(start_odd, X_odd, Y_odd, iterations=200)
_, costs_sharded = train(start_odd, X_odd, Y_odd, devices=N, iterations=200)
print(f"{N} devices; max |cost difference| over 200 steps: {np.max(np.abs(costs_one - costs_sharded)):.1e}")
np.testing.assert_allclose(costs_sharded, costs_one, rtol=1e-10)
