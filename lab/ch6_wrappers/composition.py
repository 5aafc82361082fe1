"""Each named wrapper against its one-line composition (section "A wrapper is one line").

:func:`composition_check` runs a named optimizer and the composition the chapter
writes for it side by side on the same random gradients; :func:`run_eagerly` and
:func:`largest_difference` are the two halves of that check, for tests and exercises.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import optimizers as opt


def run_eagerly(tx: opt.GradientTransformation, params, steps: int = 12, seed: int = 0) -> list:
    """``steps`` updates of ``tx`` on fixed random gradients; the list of params after each.

    The gradients do not depend on θ: two optimizers run with the same ``seed``
    see identical inputs.
    """
    rng = np.random.default_rng(seed)
    state = tx.init(params)
    path = []
    for _ in range(steps):
        grads = jax.tree_util.tree_map(
            lambda p: jnp.asarray(rng.normal(size=p.shape), jnp.float32), params
        )
        updates, state = tx.update(grads, state, params)
        params = opt.apply_updates(params, updates)
        path.append(params)
    return path


def largest_difference(path_a, path_b) -> float:
    """max |a − b| over every step and every leaf of two parameter paths."""
    leaves = zip(jax.tree_util.tree_leaves(path_a), jax.tree_util.tree_leaves(path_b), strict=True)
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in leaves)


class CompositionCheck(NamedTuple):
    """Largest parameter difference between each named optimizer and its composition.

    All differences are max |θ_named − θ_composed| over every step and entry
    (α = 0.01, on a two-layer pytree); 0.0 means the two are the same computation.

    Fields:
        ranger: ``ranger(α)`` against ``lookahead(radam(α, b1=0.95, eps=1e-5), 6, 0.5)``.
        ralamb: ``ralamb(α)`` against ``chain(scale_by_radam(), scale_by_trust_ratio(),
            scale_by_learning_rate(α))``.
        ranger_lars: ``ranger_lars(α)`` against ``lookahead(ralamb(α), 6, 0.5)``.
        lamb: ``lamb(α)`` against ``chain(scale_by_adam(eps=1e-6), scale_by_trust_ratio(),
            scale_by_learning_rate(α))``.
        ranger_vs_radam: ``ranger(α)`` against plain ``radam(α, b1=0.95, eps=1e-5)``:
            how much the Lookahead wrapper changes the path (> 0).
        steps: the number of steps compared.
    """

    ranger: float
    ralamb: float
    ranger_lars: float
    lamb: float
    ranger_vs_radam: float
    steps: int


def _pairs(alpha: float) -> dict[str, tuple[opt.GradientTransformation, ...]]:
    """Field of :class:`CompositionCheck` → (named optimizer, its one-line composition)."""
    return {
        "ranger": (
            opt.ranger(alpha),
            opt.lookahead(opt.radam(alpha, b1=0.95, eps=1e-5), 6, 0.5),
        ),
        "ralamb": (
            opt.ralamb(alpha),
            opt.chain(
                opt.scale_by_radam(),
                opt.scale_by_trust_ratio(),
                opt.scale_by_learning_rate(alpha),
            ),
        ),
        "ranger_lars": (opt.ranger_lars(alpha), opt.lookahead(opt.ralamb(alpha), 6, 0.5)),
        "lamb": (
            opt.lamb(alpha),
            opt.chain(
                opt.scale_by_adam(eps=1e-6),
                opt.scale_by_trust_ratio(),
                opt.scale_by_learning_rate(alpha),
            ),
        ),
        # and the wrapper really does something: Ranger differs from plain RAdam
        "ranger_vs_radam": (opt.ranger(alpha), opt.radam(alpha, b1=0.95, eps=1e-5)),
    }


def composition_check(steps: int = 8) -> CompositionCheck:
    """Each named combination against its one-line composition over ``steps`` steps.

    On a two-layer pytree with the same random gradients at every step (see
    :func:`run_eagerly`); the fields of :class:`CompositionCheck` list the pairs.
    """
    rng = np.random.default_rng(1)
    params = {
        "layer1": jnp.asarray(rng.normal(size=(4, 3)), jnp.float32),
        "layer2": jnp.asarray(rng.normal(size=(3,)), jnp.float32),
    }
    differences = {
        name: largest_difference(run_eagerly(a, params, steps), run_eagerly(b, params, steps))
        for name, (a, b) in _pairs(0.01).items()
    }
    return CompositionCheck(**differences, steps=steps)
