"""An offline data set for real learning tasks: scikit-learn's bundled handwritten digits.

The 1797 images of 8×8 pixels (64 features, grey levels 0–16) with labels
0–9 ship inside scikit-learn, so nothing is downloaded.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from pathlib import Path
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
    features, labels = _bundled_digits()
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


def _bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """``sklearn.datasets.load_digits(return_X_y=True)``, read from the file scikit-learn ships.

    Importing ``sklearn.datasets`` takes 1.6 s, which every chapter on the digits
    paid; the data are one CSV of 1797 rows (64 pixels, then the label), 30 ms to
    read.  ``tests/test_nn_data.py`` checks the arrays against ``load_digits``.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the digits ship with scikit-learn: pip install scikit-learn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    table = np.loadtxt(path, delimiter=",")
    return table[:, :-1], table[:, -1].astype(int)
