"""An offline data set for real learning tasks: scikit-learn's bundled handwritten digits.

The 1797 images of 8×8 pixels (64 features, grey levels 0–16) with labels
0–9 ship inside scikit-learn, so nothing is downloaded.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Dataset", "digits"]


class Dataset(NamedTuple):
    """A training / validation split: features float32 (n, d), labels int32 (n,)."""

    x_train: jax.Array
    y_train: jax.Array
    x_val: jax.Array
    y_val: jax.Array


@functools.lru_cache(maxsize=8)
def digits(validation_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The digits, shuffled with ``seed`` and split into training and validation sets.

    Each feature is standardised with the *training* set's statistics,
    ``x ← (x − μ_train) / σ_train`` (σ = 1 for the always-blank corner
    pixels), so no information leaks from the validation set.  The result is
    cached: the same arguments return the same object.
    """
    if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, (int, float)):
        raise TypeError(f"validation_fraction must be a number, got {validation_fraction!r}")
    if not (math.isfinite(validation_fraction) and 0 < validation_fraction < 1):
        raise ValueError(f"validation_fraction must lie in (0, 1), got {validation_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    from sklearn.datasets import load_digits  # imported here: scikit-learn is slow to import

    features, labels = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_val = max(1, round(validation_fraction * len(labels)))
    val, train = order[:n_val], order[n_val:]
    mean = features[train].mean(axis=0)
    std = features[train].std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def standardised(rows):
        return jnp.asarray((features[rows] - mean) / std, jnp.float32)

    return Dataset(
        x_train=standardised(train),
        y_train=jnp.asarray(labels[train], jnp.int32),
        x_val=standardised(val),
        y_val=jnp.asarray(labels[val], jnp.int32),
    )
