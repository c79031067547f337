# %% [markdown]
# # 6. Check your own backprop / 检查你自己的反向传播
#
# **Lecture sections:** 1.9 *gradient descent for neural networks* and 1.10 *backpropagation intuition* (the six
# formulas you implement), with gradient checking, which the course teaches later (Course 2, week 1,
# *Practical aspects of deep learning*).
#
# In this week's assignment you write `backward_propagation(parameters, cache, X, Y)` yourself; here you write it
# first, in the next cells, and the checker judges it. A wrong backward pass does not always announce itself: the
# cost may still go down for a while. The remedy, gradient checking, compares your gradients with finite
# differences of the cost,
#
# $$\text{difference} = \frac{\lVert g - g_{\text{approx}} \rVert}{\lVert g \rVert + \lVert g_{\text{approx}} \rVert} < 2 \cdot 10^{-7}.$$
#
# `check_backprop` does this for you, and more: it runs your function on five random problems (weights of scale 1,
# all sizes different, one with 3 output units, a probe whose X has orthonormal columns so that your $dZ^{[1]}$
# can be read back from your $dW^{[1]}$, and one of the flower data's size), compares every gradient with `jax.grad` of the cost and with finite
# differences, and when a gradient is wrong it searches the known slips (a missing $1/m$, $1 - Z^2$ instead of
# $1 - A^2$, a wrong axis, a missing transpose, ...) for the one that reproduces your numbers. Below: a backward
# pass with planted mistakes, the checker's report, a worked answer, and what the mistakes do to training.
#
# **In Colab or on a JupyterHub:** first run `%pip install 'shallownet[notebooks]'` in a cell of its own (or the
# wheel or repository address your teacher gives you, followed by `[notebooks]`). No restart is needed: nothing
# of it is imported before the next cell, which says in one line what to install when something is missing.

# %%
import importlib.util

if importlib.util.find_spec("shallownet") is None:  # Colab, JupyterHub: one install, then run this cell again
    raise ModuleNotFoundError("shallownet is not installed: run  %pip install 'shallownet[notebooks]'  in a cell, then this cell again (no restart needed)")
import warnings

import jax

jax.config.update("jax_enable_x64", True)               # verify in float64: set before any array exists
import matplotlib.pyplot as plt
import numpy as np

import manual
from checker import check_backprop
from shallownet.data import flower
from shallownet.lessons import figures

figures.setup()

# %% [markdown]
# ## Try this first: write the six formulas
#
# The scaffold below receives what the forward pass computed: `parameters` (`W1` $(n_h, n_x)$, `b1`, `W2`
# $(n_y, n_h)$, `b2`), `cache` (`Z1`, `A1` $(n_h, m)$, `Z2`, `A2` $(n_y, m)$), `X` $(n_x, m)$ and `Y` $(n_y, m)$.
# The hidden units are tanh, the output unit a sigmoid. Replace each `None` with its formula from lecture 1.9, in
# numpy, for all $m$ examples at once. The check cell calls the checker on your function: it compares your four
# gradients with `jax.grad` of the cost and with finite differences on five problems (weights of scale 1, different
# sizes), and when one is wrong it names the mistake (a missing $1/m$, `Z1` where `A1` belongs, a sum over the wrong
# axis, ...). The rest of this notebook contains a worked answer: write yours before you scroll down.

# %%
def my_backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W1, W2 = parameters["W1"], parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = None        # (n_y, m)
    dW2 = None        # (n_y, n_h)
    db2 = None        # (n_y, 1)
    dZ1 = None        # (n_h, m): tanh'(Z1) written with A1
    dW1 = None        # (n_h, n_x)
    db1 = None        # (n_h, 1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

# %%
from shallownet.lessons.exercises import check_backward_formulas

check_backward_formulas(my_backward_propagation)

# %% [markdown]
# ## A backward pass with two planted mistakes
#
# Written in plain numpy, as in the course. Two lines are wrong; can you spot them before the checker does?

# %%
def backward_propagation_buggy(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2, Z1 = cache["A1"], cache["A2"], cache["Z1"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(Z1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


report = check_backprop(backward_propagation_buggy)
print(report)
print("in one line:", report.headline)

# %% [markdown]
# The report: $dW^{[2]}$ and $db^{[2]}$ pass (their formulas are right); $dW^{[1]}$ and $db^{[1]}$ fail by far
# more than round-off. The diagnosis names both mistakes:
#
# 1. the tanh derivative was written in terms of $Z^{[1]}$: $1 - (Z^{[1]})^2$, but
#    $\tanh'(z) = 1 - \tanh^2(z) = 1 - (A^{[1]})^2$. (At the course's initial scale 0.01, $Z^{[1]} \approx A^{[1]}$ and
#    this slip is almost invisible; the checker's weights of scale 1 expose it.)
# 2. $db^{[1]}$ lacks its $1/m$: it is the *sum* of the per-example gradients, not their average — the
#    question of notebook 3. The checker tells "off by a factor $m$" apart from any other constant because $m$
#    differs between its problems.

# %%
assert not report.passed and set(report.failing) == {"dW1", "db1"}   # dW2 and db2 pass
assert "Z1" in str(report) and "1/m" in str(report)                 # both mistakes named

# %% [markdown]
# ## The fix (a worked answer to the exercise above)
#
# $1 - A^{[1]2}$ for the derivative, and the $1/m$ on $db^{[1]}$:

# %%
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


fixed = check_backprop(backward_propagation)
print(fixed)
assert fixed.passed
assert check_backward_formulas(backward_propagation).right     # the exercise's check accepts it

# %% [markdown]
# ## What the mistakes do to training
#
# The course's gradient-descent loop (`manual.forward_propagation`, `manual.compute_cost`,
# `manual.update_parameters`, learning rate 1.2, the course's init) on the flower data, with your backward pass
# plugged in: the fixed one, each of the two slips alone, and both together. Beside the cost, each run records the
# largest weight $\max |W|$ at each step; a run stops when its parameters stop being finite numbers (they
# overflow to infinity, then NaN: not a number).

# %%
def slip_z1(parameters, cache, X, Y):              # only the 1 - Z1^2 slip: the buggy pass with db1's 1/m back
    grads = backward_propagation_buggy(parameters, cache, X, Y)
    return {**grads, "db1": grads["db1"] / X.shape[1]}


def slip_db1(parameters, cache, X, Y):             # only the missing 1/m on db1
    grads = backward_propagation(parameters, cache, X, Y)
    return {**grads, "db1": grads["db1"] * X.shape[1]}


def course_gradient_descent(backward, X, Y, iterations=2000, learning_rate=1.2):
    """The course's loop with ``backward`` plugged in: (costs, largest |weight|) per step, until the weights go non-finite."""
    parameters = manual.initialize_parameters(X.shape[0], 4, Y.shape[0])
    costs, largest = [], []
    with warnings.catch_warnings(), np.errstate(all="ignore"):     # a diverging run overflows: that is the point
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(iterations):
            A2, cache = manual.forward_propagation(X, parameters)
            costs.append(manual.compute_cost(A2, Y))
            largest.append(max(float(np.max(np.abs(parameters[k]))) for k in ("W1", "W2")))
            grads = backward(parameters, {k: np.asarray(v) for k, v in cache.items()}, X, Y)
            if not all(np.all(np.isfinite(v)) for v in grads.values()):
                break                      # this step would make the weights NaN (update_parameters refuses it)
            parameters = manual.update_parameters(parameters, grads, learning_rate)
            if not all(np.all(np.isfinite(v)) for v in parameters.values()):
                break
    return np.array(costs), np.array(largest)


X, Y = flower()
Y = Y.astype(np.float64)
variants = {"fixed": backward_propagation, "1 - Z1^2 only": slip_z1, "db1 without 1/m only": slip_db1,
            "both slips": backward_propagation_buggy}
runs = {name: course_gradient_descent(backward, X, Y) for name, backward in variants.items()}
training = {name: costs for name, (costs, _) in runs.items()}

fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
for i, (name, (costs, largest)) in enumerate(runs.items()):
    ended = "" if len(costs) == 2000 else f": weights NaN after step {len(costs)}, run stopped"
    steps = np.arange(1, len(costs) + 1)
    axes[0].plot(steps, costs, color=f"C{i}", label=f"{name}{ended}")
    axes[1].plot(steps, largest, color=f"C{i}", label=name)
axes[0].axhline(np.log(2), color="gray", lw=0.8, ls=":", label="ln 2 (a coin flip)")
figures.cost_axes(axes[0], "cost J with each backward pass", log=True)
axes[1].set(yscale="log", ylabel="largest |weight| in W1, W2", title="the weights with each backward pass")
for ax, corner in zip(axes, ("lower left", "upper left")):   # where no curve runs
    ax.set_xscale("log")                           # the wrong runs are short: spread the first steps out
    ax.set_xlabel("iteration (log scale)")
    ax.legend(loc=corner)
fig.tight_layout()
plt.show()
for name, (costs, largest) in runs.items():
    print(f"{name:>22}: {len(costs):>4} steps, cost {costs[0]:.4f} -> lowest {costs.min():.4f} -> last {costs[-1]:.4f}"
          f"; largest |weight| at the last step {largest[-1]:.2g}")

costs_z1, largest_z1 = runs["1 - Z1^2 only"]
first_big = int(np.argmax(largest_z1 > 5))                    # the first step with a weight beyond 5
print(f"1 - Z1^2 only: largest |weight| {largest_z1[first_big]:.2g} at step {first_big + 1}, "
      f"{largest_z1[-1]:.2g} at step {len(largest_z1)}; the cost meanwhile: "
      f"{costs_z1[first_big]:.3f} -> {costs_z1[-1]:.3f}; then the weights are NaN")

# %% [markdown]
# Every wrong version *starts* well: its cost falls below the starting $\ln 2$ within the first steps, which is all
# "the cost goes down" can tell you. The $1 - Z^2$ slip, whose "derivative" turns negative once $|Z^{[1]}| > 1$,
# does not show in its cost at all: the cost stays below its start until the run ends. What blows
# up is the weights (right panel, and the line printed above): within a few steps they grow from a handful to
# numbers with more than a hundred digits, then overflow to NaN, and the run has to stop. The missing $1/m$ (a step
# on $b^{[1]}$ 400 times too long) never gets away from a coin flip. Only the fixed pass trains. The checker told all
# of this apart in one call, before any training.

# %%
assert len(training["fixed"]) == 2000 and training["fixed"][-1] < 0.3
for name in ("1 - Z1^2 only", "db1 without 1/m only", "both slips"):
    costs = training[name]
    assert costs[1:10].min() < costs[0], name                         # it starts by going down ...
assert len(training["1 - Z1^2 only"]) < 100 and len(training["both slips"]) < 100     # ... the weights overflow
assert costs_z1.max() <= costs_z1[0] and costs_z1[-1] < np.log(2) - 0.03        # while its cost never rises above the start
assert largest_z1[first_big] < 10 and largest_z1[-1] > 1e100 and len(largest_z1) - first_big < 15
assert len(training["db1 without 1/m only"]) == 2000 and training["db1 without 1/m only"][-1] > 0.6  # or stalls

# %% [markdown]
# ## A mistake only some networks see
#
# The course's network has one output unit, and code such as `W2.T * dZ2` (element-wise where a matrix product
# belongs) is *right* there: with $n_y = 1$, $W^{[2]T}$ is $(n_h, 1)$ and $dZ^{[2]}$ is $(1, m)$, and broadcasting
# their element-wise product gives the $(n_h, m)$ outer product, which is exactly what the matrix product of an
# $(n_h, 1)$ and a $(1, m)$ array is. With three output units the same line raises, because $(n_h, 3)$ and $(3, m)$
# do not broadcast. On numbers:

# %%
rng = np.random.default_rng(0)
for n_y in (1, 3):
    W2, dZ2 = rng.standard_normal((n_y, 4)), rng.standard_normal((n_y, 7))
    try:
        same = np.array_equal(W2.T * dZ2, W2.T @ dZ2)
        print(f"n_y = {n_y}: W2.T * dZ2 == W2.T @ dZ2: {same}")
        assert n_y == 1 and same
    except ValueError as e:
        print(f"n_y = {n_y}: W2.T * dZ2 raises: {e}")
        assert n_y == 3

# %% [markdown]
# The checker's third problem has $n_y = 3$, so it sees this. Read its report as what it is: the table shows all
# four gradients equal to `jax.grad` (errors of about $10^{-16}$) on the four problems where the function ran
# (1, 2, 4 and 5, each with one output unit), and the function raised on problem 3, the one with $n_y = 3$; the result
# line says so ("4 of 4 gradients right only on the problems where your code returned them"). The diagnosis says what
# happened and where, and `one_output=True` checks only one-output problems, if that is all your network will
# ever have.

# %%
def backward_propagation_one_output(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T * dZ2 * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


one_output = check_backprop(backward_propagation_one_output)
print(one_output)
assert not one_output.passed and "raised" in str(one_output)              # it raised on a problem ...
assert check_backprop(backward_propagation_one_output, one_output=True).passed   # ... none of the one-output ones

# %% [markdown]
# ## Try this: plant your own slip
#
# Copy `backward_propagation` above into `my_backward_propagation_with_a_slip` and change one thing the way a tired learner
# might: drop a $1/m$, use `Z1` where `A1` belongs, sum over `axis=0`, forget `keepdims=True`, swap a transpose,
# use the sigmoid derivative for tanh... Before you run the checker, predict which of `dW1`, `db1`, `dW2`, `db2`
# it will flag, as a set in `my_predicted_wrong`. The check cell runs the checker and compares; then read its
# diagnosis and see whether it names your slip.

# %%
my_backward_propagation_with_a_slip = None      # def my_backward_propagation_with_a_slip(parameters, cache, X, Y): ...
my_predicted_wrong = None                       # e.g. {"dW2"}

# %%
from shallownet.lessons.exercises import check_planted_slip

check_planted_slip(my_backward_propagation_with_a_slip, my_predicted_wrong)

# %% [markdown]
# ## 小结
#
# * 先自己写出六个公式：检查器在笔记本里判定，并指出是哪一种错误（漏了 $1/m$、用了 `Z1`、求和的轴不对……）。
# * "代价在下降"证明不了反向传播是对的：两处笔误（用 $1 - Z^2$ 代替 $1 - A^2$，$db^{[1]}$ 漏了 $1/m$）开始时代价都在下降。
#   $1 - Z^2$ 这一处的代价始终没有超过起点，溢出的是权重：几步之内从几增长到超过一百位的数，随后成为 NaN，训练只能停止；
#   漏了 $1/m$ 的那一处则停在 $\ln 2$ 附近。
# * 梯度检验（课程第二门课第 1 周的内容；与有限差分比较，阈值 $2 \cdot 10^{-7}$）一次调用就能发现错误；`check_backprop` 还与 `jax.grad` 比较，
#   用尺度为 1 的权重和不同的 $m$，并指出是哪一种常见笔误。
# * `W2.T * dZ2` 在 $n_y = 1$ 时是对的（广播正好就是外积），在 $n_y = 3$ 时报错；只用单输出网络时可用 `one_output=True`。
