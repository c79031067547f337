"""The sharded gradient path: the examples (columns of X, Y) split across devices, inside the one step.

A 1-D mesh of N devices, axis ``"data"``; X, Y and a 0/1 column mask are split
by columns (each device holds m_pad / N examples), the stack's parameters are
replicated. ``stack_value_and_grads`` wraps the step's vmapped (J, grads) in
``jax.shard_map``: it runs on each device's columns and the results are added
across devices.

Where the 1/m lives. J = (1/m) sum_i L(i) over *all* m examples, so each
device computes *sums* over its own columns (no 1/m), ``lax.psum`` adds the N
partial sums (the all-reduce), and the sum is divided by the global m once,
after it. Dividing by the local m (m / N) instead gives N times the gradient;
averaging local means is right only when every shard has the same number of
real examples, which padding breaks.

m not divisible by N: X and Y are padded with zero columns up to a multiple of
N, and the column mask (1, m_pad) is 1 on real examples, 0 on padding; it
zeroes the padding's loss and its dZ2 (hence its dW2, db2, dZ1, dW1, db1), and
m counts real examples only.

Several processes (hosts): call ``jax.distributed.initialize`` first; then
``jax.devices()`` lists every process's devices, the mesh spans them, and each
process passes the same full X and Y (it keeps only its own columns).
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import manual
import reference
from manual.typing import Grads, Params

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

    ``manual.backward_sums_unchecked``: the sums ``manual.backward_unchecked``
    divides by m; here the caller divides by the global m after the all-reduce.
    The mask (1, m), 1 on real examples and 0 on padding, zeroes the padded
    columns of A2 and Y, so dZ2 = A2 - Y is exactly 0 there and every
    gradient term of those columns with it; the real columns' bits are
    unchanged (x * 1 is x).
    """
    _, cache = manual.forward_unchecked(params, X, activation, output)
    masked = {**cache, "A2": cache["A2"] * mask}
    grad_sums = manual.backward_sums_unchecked(params, masked, X, Y * mask, activation)
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
    planted local-m mistake run through the same step.
    """
    if callable(gradients):
        return gradients
    if gradients not in SHARD_PATHS:
        raise ValueError(f"unknown gradient path {gradients!r}; choose manual or reference")
    return SHARD_PATHS[gradients]


def stack_value_and_grads(
    stacked: Callable[..., tuple[jax.Array, jax.Array]],
    gradients: str | ShardValueAndGrads,
    mesh: jax.sharding.Mesh,
    X: jax.Array,
    Y: jax.Array,
    columns: jax.Array,
    m: jax.Array,
) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    """theta -> (J (N,), G (N, P)) across the mesh: ``stacked`` (the step's vmap over the groups) per shard.

    ``stacked(theta, X, Y, network=...)`` is given, as its one network's
    function, the per-shard path with this shard's column mask and the global m.
    """
    per_shard = shard_value_and_grads(gradients)

    def on_shard(theta: jax.Array, X: jax.Array, Y: jax.Array, columns: jax.Array, m: jax.Array) -> Any:
        def network(params: Params, X: jax.Array, Y: jax.Array, **kind: str) -> tuple[jax.Array, Grads]:
            return per_shard(params, X, Y, columns, m, **kind)

        return stacked(theta, X, Y, network=network)

    cols = jax.P(None, AXIS)
    sharded = jax.shard_map(
        on_shard, mesh=mesh, in_specs=(jax.P(), cols, cols, cols, jax.P()), out_specs=(jax.P(), jax.P())
    )
    return lambda theta: sharded(theta, X, Y, columns, m)


def put_global(x: Any, mesh: jax.sharding.Mesh, spec: jax.P) -> jax.Array:
    """A global jax.Array from the same numpy value on every process (each keeps its shards)."""
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, jax.NamedSharding(mesh, spec), lambda idx: x[idx])


def put_columns(x: Any, mesh: jax.sharding.Mesh) -> jax.Array:
    return put_global(x, mesh, jax.P(None, AXIS))


put_replicated = partial(put_global, spec=jax.P())


def train_parallel(params: Any, X: Any, Y: Any, *, devices: int, **options: Any) -> tuple[dict[str, Any], np.ndarray]:
    """``shallownet.train.train`` with the examples sharded across ``devices`` devices (same arguments, same errors).

    ``gradients`` may also be a per-shard function (``shard_value_and_grads``).
    Under jax.distributed every process calls this with the same arguments.
    """
    from .train import train  # the one-network entry point sits above the step that imports this module

    return train(params, X, Y, devices=devices, **options)
