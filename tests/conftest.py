"""Test-wide JAX settings, applied before any array exists.

x64 on: verification runs in float64 (tests still assert dtypes, since JAX
downcasts silently when the flag is off). Rank promotion "raise": adding a
(n,) bias to an (n, m) matrix becomes an error instead of a silent broadcast,
the classic missing-keepdims bug; the course's (n, 1) + (n, m) still works.
"""

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")
