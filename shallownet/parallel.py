"""Data-parallel training: the examples (columns of X, Y) sharded across devices.

A 1-D mesh of N devices, axis ``"data"``; X, Y and a 0/1 mask are split by
columns (each device holds m_pad / N examples), the parameters are replicated.
Each gradient step runs ``jax.shard_map`` inside the same compiled
``lax.while_loop`` as ``shallownet.loop.run_chunk``.

Where the 1/m lives. J = (1/m) sum_i L(i) over *all* m examples, so each
device computes *sums* over its own columns (no 1/m), ``lax.psum`` adds the N
partial sums (the all-reduce), and the sum is divided by the global m once,
after it. Dividing by the local m (m / N) instead gives N times the gradient;
averaging local means is right only when every shard has the same number of
real examples, which padding breaks.

m not divisible by N: X and Y are padded with zero columns up to a multiple of
N, and a mask (1, m_pad) is 1 on real examples, 0 on padding; the mask zeroes
the padding's loss and its dZ2 (hence its dW2, db2, dZ1, dW1, db1), and m counts
real examples only.

Several processes (hosts): call ``jax.distributed.initialize`` first; then
``jax.devices()`` lists every process's devices, the mesh spans them, and each
process must pass the same full X and Y (it keeps only its own columns).
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import DTypeLike

import manual
import reference
from manual.typing import AnyArray, Grads, Params, ParamsLike

from .loop import descend
from .train import Progress, check_arguments, check_gradients, drive

AXIS = "data"
# (params, X, Y, mask, m, activation=, output=) -> (J, grads), inside shard_map over AXIS
ShardValueAndGrads = Callable[..., tuple[jax.Array, Grads]]


def data_mesh(devices: int) -> jax.sharding.Mesh:
    """A 1-D mesh over the first ``devices`` devices (all processes'), axis "data".

    Raises ValueError naming how many devices exist when ``devices`` exceeds it.
    Auto axis type: the mesh only carries shard_map, which splits the columns itself.
    """
    available = jax.devices()
    if not isinstance(devices, (int, np.integer)) or isinstance(devices, bool) or devices < 1:
        raise ValueError(f"devices must be a positive integer, got {devices!r}")
    if devices > len(available):
        raise ValueError(
            f"asked for {devices} devices but only {len(available)} {available[0].platform} "
            f"device(s) exist; on CPU, simulate more with "
            f"XLA_FLAGS=--xla_force_host_platform_device_count={devices} set before JAX starts"
        )
    chosen = available[:devices]
    if not any(device.process_index == jax.process_index() for device in chosen):
        raise ValueError(
            f"the first {devices} of the {len(available)} devices belong to other processes; "
            f"every process must own one of them (use devices={len(available)})"
        )
    return jax.make_mesh((devices,), (AXIS,), axis_types=(jax.sharding.AxisType.Auto,), devices=chosen)


def pad_examples(X: np.ndarray, Y: np.ndarray, n_shards: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero-pad the columns to a multiple of n_shards: (X_pad, Y_pad, mask (1, m_pad)) numpy."""
    m = X.shape[1]
    m_pad = -(-m // n_shards) * n_shards
    mask = np.zeros((1, m_pad), X.dtype)
    mask[:, :m] = 1.0
    pad = ((0, 0), (0, m_pad - m))
    return np.pad(X, pad), np.pad(Y, pad), mask


def masked_loss_sum(Z2: jax.Array, Y: jax.Array, mask: jax.Array, output: str = "sigmoid") -> jax.Array:
    """sum_i mask(i) L(i) over this shard's columns: the padding adds nothing."""
    return jnp.sum(manual.loss(Z2, Y, output) * mask)


def manual_sums(
    params: Params, X: jax.Array, Y: jax.Array, mask: jax.Array, activation: str = "tanh", output: str = "sigmoid"
) -> tuple[jax.Array, Grads]:
    """The course's formulas on one shard, as *sums* over its columns: (sum L, grad sums).

    ``manual.backward_sums_unchecked``, the same sums ``manual.backward_unchecked``
    divides by m; here the caller divides by the global m after the all-reduce.
    The mask zeroes the padded columns of dZ2, and through it every gradient
    term of those columns.
    """
    _, cache = manual.forward_unchecked(params, X, activation, output)
    grad_sums = manual.backward_sums_unchecked(params, cache, X, Y, activation, mask)
    return masked_loss_sum(cache["Z2"], Y, mask, output), grad_sums


def manual_value_and_grads(
    params: Params,
    X: jax.Array,
    Y: jax.Array,
    mask: jax.Array,
    m: jax.Array,
    activation: str = "tanh",
    output: str = "sigmoid",
) -> tuple[jax.Array, Grads]:
    """Inside shard_map: (J, grads) by hand, with the all-reduce written out."""
    loss_sum, grad_sums = manual_sums(params, X, Y, mask, activation, output)
    loss_sum, grad_sums = lax.psum((loss_sum, grad_sums), AXIS)  # add the N shards' sums
    # The 1/m lives here: once, the GLOBAL m (real examples only), after the psum.
    return loss_sum / m, {k: v / m for k, v in grad_sums.items()}


def global_cost(
    params: Params,
    X: jax.Array,
    Y: jax.Array,
    mask: jax.Array,
    m: jax.Array,
    activation: str = "tanh",
    output: str = "sigmoid",
) -> jax.Array:
    """Inside shard_map: J = psum(this shard's masked sum of L) / m, the same on every device.

    Written with the reference's forward pass and loss, never manual's: jax.grad of it is the sharded
    reference path, so a slip in manual's forward or loss shows as a difference between the two paths.
    """
    Z2 = reference.predict_logits(params, X, activation)
    loss_sum = jnp.sum(reference.loss_unchecked(Z2, Y, output) * mask)
    return lax.psum(loss_sum, AXIS) / m  # the 1/m: global m, after the all-reduce


def reference_value_and_grads(
    params: Params,
    X: jax.Array,
    Y: jax.Array,
    mask: jax.Array,
    m: jax.Array,
    activation: str = "tanh",
    output: str = "sigmoid",
) -> tuple[jax.Array, Grads]:
    """Inside shard_map: jax.grad of ``global_cost``, the reference cost of the shards.

    No explicit psum of the gradients: params enter replicated, and the
    transpose of that replication is the all-reduce, which jax.grad inserts
    itself. (A psum of those already-summed grads would multiply them by N.)
    """
    J, grads = jax.value_and_grad(global_cost)(params, X, Y, mask, m, activation, output)
    return J, {"d" + k: v for k, v in grads.items()}


SHARD_PATHS = {"manual": manual_value_and_grads, "reference": reference_value_and_grads}


def shard_value_and_grads(gradients: str | ShardValueAndGrads) -> ShardValueAndGrads:
    """The per-shard (J, grads) function of a path name, or ``gradients`` itself if callable.

    A callable has the signature of ``manual_value_and_grads`` (it runs inside
    shard_map over axis "data"); it is how experiments such as the tests'
    planted local-m mistake run through the same loop.
    """
    if callable(gradients):
        return gradients
    check_gradients(gradients)
    return SHARD_PATHS[gradients]


@partial(jax.jit, static_argnames=("mesh", "activation", "output", "gradients", "capacity"))
def run_chunk(
    params: Params,
    X: jax.Array,
    Y: jax.Array,
    mask: jax.Array,
    m: jax.Array,
    lr: jax.Array,
    n_steps: jax.Array,
    *,
    mesh: jax.sharding.Mesh,
    activation: str,
    output: str,
    gradients: str | ShardValueAndGrads,
    capacity: int,
) -> tuple[Params, jax.Array, jax.Array, jax.Array]:
    """``shallownet.loop.run_chunk`` with each step's (J, grads) computed across the mesh.

    X, Y, mask are sharded by columns over ``mesh``; params, m, lr, n_steps
    replicated; the results are replicated.
    """
    columns = jax.P(None, AXIS)
    value_and_grads = jax.shard_map(
        partial(shard_value_and_grads(gradients), activation=activation, output=output),
        mesh=mesh,
        in_specs=(jax.P(), columns, columns, columns, jax.P()),
        out_specs=(jax.P(), jax.P()),
    )
    return descend(lambda theta: value_and_grads(theta, X, Y, mask, m), params, lr, n_steps, capacity, X.dtype)


def _global(x: np.ndarray, mesh: jax.sharding.Mesh, spec: jax.P) -> jax.Array:
    """A global jax.Array from the same numpy value on every process (each keeps its shards)."""
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, jax.NamedSharding(mesh, spec), lambda idx: x[idx])


def _local(x: jax.Array) -> jax.Array:
    """This process's copy of a replicated result, as a single-device array."""
    return x.addressable_data(0)


def train_parallel(
    params: ParamsLike,
    X: AnyArray,
    Y: AnyArray,
    *,
    devices: int,
    activation: str = "tanh",
    output: str = "sigmoid",
    gradients: str | ShardValueAndGrads = "manual",
    lr: float = 1.2,
    iterations: int = 10000,
    chunk: int = 1000,
    dtype: DTypeLike | None = None,
    progress: Progress | None = None,
    start_iteration: int = 0,
    **drive_options: Any,
) -> tuple[Params, np.ndarray]:
    """``shallownet.train.train`` with the examples sharded across ``devices`` devices.

    Same arguments and return, (params, costs (iterations,) numpy), same
    Diverged and Interrupted; params come back as single-device arrays.
    ``gradients`` is "manual" (explicit psum, then 1/m), "reference" (jax.grad of
    the global cost) or a per-shard function (see ``shard_value_and_grads``).
    Under jax.distributed every process calls this with the same arguments.
    ``drive_options`` (history, checkpoint, should_stop, ...) go to ``train.drive``.
    """
    if not callable(gradients):
        check_gradients(gradients)
    check_arguments(params, X, Y, activation=activation, output=output, iterations=iterations, chunk=chunk)
    mesh = data_mesh(devices)
    dtype = np.dtype(dtype or X.dtype)
    padded = pad_examples(np.asarray(X, dtype), np.asarray(Y, dtype), devices)
    X_pad, Y_pad, mask = (_global(array, mesh, jax.P(None, AXIS)) for array in padded)
    replicated = partial(_global, mesh=mesh, spec=jax.P())
    device_params = {k: replicated(np.asarray(params[k], dtype)) for k in ("W1", "b1", "W2", "b2")}
    m, learning_rate = replicated(np.asarray(X.shape[1], dtype)), replicated(np.asarray(lr, dtype))

    def run(params: Params, steps: int, cost_every: int = 1, offset: int = 0) -> tuple[Params, np.ndarray, int, bool]:
        # Every cost is computed (the sharded loop checks every step), whatever
        # the history keeps; capacity = chunk for every call, so a configuration compiles once.
        params, costs, done, ok = run_chunk(
            params,
            X_pad,
            Y_pad,
            mask,
            m,
            learning_rate,
            replicated(np.asarray(steps, np.int32)),
            mesh=mesh,
            activation=activation,
            output=output,
            gradients=gradients,
            capacity=chunk,
        )
        return params, np.asarray(_local(costs)), int(_local(done)), bool(_local(ok))

    return drive(
        run,
        device_params,
        iterations=iterations,
        chunk=chunk,
        progress=progress,
        start_iteration=start_iteration,
        dtype=dtype,
        to_host=lambda params: {k: _local(v) for k, v in params.items()},
        **drive_options,
    )
