"""The entries of a 2-D preconditioner as traced hyperparameters.

The preconditioned step ``θ_t = θ_{t−1} − α P ∇L(θ_{t−1})`` itself is
:func:`lab.registry.preconditioned_gd` (``chain(precondition(P), scale_by_learning_rate(α))``);
its 2-D form :func:`lab.registry.preconditioned_gd_2d` takes the entries of P as scalars, so
that :func:`~lab.trajectory.trajectory` traces them like the learning rate: one compiled
program serves every P, every α and every Q (passed as ``loss_args``), and no slider move
recompiles.  :func:`entries_2d` turns a 2×2 P into those scalars.
"""

from __future__ import annotations

import numpy as np

__all__ = ["entries_2d"]


def entries_2d(P: np.ndarray) -> dict[str, float]:
    """The hyperparameters ``p11, p12, p22`` of :func:`preconditioned_gd_2d` for a 2×2 P."""
    return {"p11": float(P[0, 0]), "p12": float(P[0, 1]), "p22": float(P[1, 1])}
