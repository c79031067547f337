"""The sharded gradient path: the examples (columns of X, Y) split across devices, inside the one step.

A 1-D mesh of N devices, axis ``"data"``: X, Y and a 0/1 column mask are split by columns, the
stack's parameters replicated; the step's vmapped (J, grads) runs per shard in ``jax.shard_map``.

Where the 1/m lives. J = (1/m) sum_i L(i) over *all* m examples, so each device computes *sums*
over its own columns, ``lax.psum`` adds the N partial sums (the all-reduce), and the sum is
divided by the global m once, after it. Dividing by the local m (m / N) gives N times the
gradient; averaging local means is right only when every shard holds as many real examples,
which padding breaks. m not divisible by N: X and Y are padded with zero columns, and the column
mask (1 on real examples) zeroes the padding's loss and its dZ2 (hence every gradient term).

Several processes (hosts): call ``jax.distributed.initialize`` first; each process then passes
the same full X and Y (it keeps its own columns) and the mesh spans every process's devices.
"""

from collections.abc import Callable
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
    """A 1-D mesh, axis "data", over the first ``devices`` devices of every process (Auto axis type:
    shard_map splits the columns itself). ValueError naming how many exist when there are fewer."""
    available = jax.devices()
    if not isinstance(devices, (int, np.integer)) or isinstance(devices, bool) or devices < 1:
        raise ValueError(f"devices must be a positive integer, got {devices!r}")
    if devices > len(available):
        raise ValueError(
            f"asked for {devices} devices but only {len(available)} {available[0].platform} device(s) exist; "
            f"on CPU, simulate more with XLA_FLAGS=--xla_force_host_platform_device_count={devices} "
            "set before JAX starts"
        )
    if not any(device.process_index == jax.process_index() for device in available[:devices]):
        raise ValueError(
            f"the first {devices} of the {len(available)} devices belong to other processes; "
            f"every process must own one of them (use devices={len(available)})"
        )
    return jax.make_mesh((devices,), (AXIS,), axis_types=(jax.sharding.AxisType.Auto,), devices=available[:devices])


def pad_examples(X: np.ndarray, Y: np.ndarray, n_shards: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero-pad the columns to a multiple of n_shards: (X_pad, Y_pad, mask (1, m_pad)) numpy."""
    m = X.shape[1]
    pad = ((0, 0), (0, -(-m // n_shards) * n_shards - m))
    return np.pad(X, pad), np.pad(Y, pad), np.pad(np.ones((1, m), X.dtype), pad)


def manual_sums(
    params: Params, X: jax.Array, Y: jax.Array, mask: jax.Array, activation: str = "tanh", output: str = "sigmoid"
) -> tuple[jax.Array, Grads]:
    """The course's formulas on one shard as *sums* over its columns, before any 1/m: (sum L, grad sums).

    The mask zeroes the padded columns of A2 and Y, so dZ2 = A2 - Y is exactly 0 there and so is
    every gradient term of those columns; the real columns' bits are unchanged (x * 1 is x).
    """
    _, cache = manual.forward_unchecked(params, X, activation, output)
    grad_sums = manual.backward_sums_unchecked(params, {**cache, "A2": cache["A2"] * mask}, X, Y * mask, activation)
    return jnp.sum(manual.loss(cache["Z2"], Y, output) * mask), grad_sums


def manual_value_and_grads(
    params: Params,
    X: jax.Array,
    Y: jax.Array,
    mask: jax.Array,
    m: jax.Array,
    activation: str = "tanh",
    output: str = "sigmoid",
) -> tuple[jax.Array, Grads]:
    """Inside shard_map: (J, grads) by hand, the all-reduce written out."""
    loss_sum, grad_sums = lax.psum(manual_sums(params, X, Y, mask, activation, output), AXIS)
    return loss_sum / m, {k: v / m for k, v in grad_sums.items()}  # the 1/m: global m, after the psum


def reference_value_and_grads(
    params: Params,
    X: jax.Array,
    Y: jax.Array,
    mask: jax.Array,
    m: jax.Array,
    activation: str = "tanh",
    output: str = "sigmoid",
) -> tuple[jax.Array, Grads]:
    """Inside shard_map: jax.grad of J = psum(this shard's masked sum of L) / m (the global m, after the
    all-reduce), with the reference's forward pass and loss, never manual's: a slip in manual's shows
    between the two paths. No psum of the gradients: params enter replicated, and the transpose of
    that replication is the all-reduce jax.grad inserts itself."""

    def global_cost(params: Params) -> jax.Array:
        Z2 = reference.predict_logits(params, X, activation)
        return lax.psum(jnp.sum(reference.loss_unchecked(Z2, Y, output) * mask), AXIS) / m

    J, grads = jax.value_and_grad(global_cost)(params)
    return J, {"d" + k: v for k, v in grads.items()}


# The one table of gradient paths: each one's per-shard form here; the step (``shallownet.step``) keys its
# one-device form by the same names.
SHARD_PATHS: dict[str, ShardValueAndGrads] = {"manual": manual_value_and_grads, "reference": reference_value_and_grads}
GRAD_PATHS = tuple(SHARD_PATHS)


def check_gradients(gradients: str) -> None:
    """Raise ValueError unless ``gradients`` names a gradient path: "manual" or "reference"."""
    if gradients not in GRAD_PATHS:
        raise ValueError(f"unknown gradient path {gradients!r}; choose {' or '.join(GRAD_PATHS)}")


def stack_value_and_grads(
    stacked: Callable[..., tuple[list, jax.Array]],
    gradients: str | ShardValueAndGrads,
    mesh: jax.sharding.Mesh,
    X: jax.Array,
    Y: jax.Array,
    columns: jax.Array,
    m: jax.Array,
) -> Callable[[jax.Array], tuple[list, jax.Array]]:
    """theta -> ([J (N,)], G (N, P)) across the mesh, J at every step: ``stacked`` (the step's
    vmap over the groups) per shard. ``gradients``: "manual", "reference" or a per-shard function
    with the signature of ``manual_value_and_grads`` (the tests' planted local-m mistake)."""
    if not callable(gradients):
        check_gradients(gradients)
    per_shard = gradients if callable(gradients) else SHARD_PATHS[gradients]

    def on_shard(theta: jax.Array, X: jax.Array, Y: jax.Array, columns: jax.Array, m: jax.Array) -> Any:
        def network(params: Params, X: jax.Array, Y: jax.Array, **kind: str) -> tuple[jax.Array, Grads]:
            return per_shard(params, X, Y, columns, m, **kind)

        firsts, G = stacked(theta, X, Y, network=network)
        return jnp.concatenate(firsts), G

    cols = jax.P(None, AXIS)
    in_specs = (jax.P(), cols, cols, cols, jax.P())
    sharded = jax.shard_map(on_shard, mesh=mesh, in_specs=in_specs, out_specs=(jax.P(), jax.P()))

    def on_mesh(theta: jax.Array) -> tuple[list, jax.Array]:
        J, G = sharded(theta, X, Y, columns, m)
        return [J], G

    return on_mesh


def put(x: Any, mesh: jax.sharding.Mesh, columns: bool = False) -> jax.Array:
    """A global jax.Array from the same numpy value on every process (each keeps its shards):
    replicated, or split by ``columns``."""
    x, spec = np.asarray(x), jax.P(None, AXIS) if columns else jax.P()
    return jax.make_array_from_callback(x.shape, jax.NamedSharding(mesh, spec), lambda idx: x[idx])
