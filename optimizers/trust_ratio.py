"""Layer-wise trust ratios: LARS, LAMB and Ralamb.

Large-batch training scales the learning rate up, and a single global step
then is too large for some layers and too small for others.  A *trust ratio*
rescales each layer's (each pytree leaf's) update so that its norm is a fixed
fraction of that layer's weight norm.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from optimizers.adaptive import scale_by_adam, scale_by_radam
from optimizers.base import GradientTransformation, chain
from optimizers.momentum import trace
from optimizers.scaling import scale_by_learning_rate
from optimizers.tree import tree_map
from optimizers.validation import check_decay, check_non_negative, check_same_tree
from optimizers.weight_decay import add_decayed_weights, masked_where

__all__ = ["lamb", "lars", "ralamb", "scale_by_trust_ratio"]


def _layer_norm(x, min_norm):
    norm = jnp.linalg.norm(jnp.ravel(x))
    return jnp.maximum(norm, min_norm)


def scale_by_trust_ratio(
    min_norm: Any = 0.0, trust_coefficient: Any = 1.0, eps: Any = 0.0, mask: Any = None
) -> GradientTransformation:
    """Rescale each leaf's update by its trust ratio.

    .. math::

        u^{(l)} \\leftarrow η\\, \\frac{\\lVert θ^{(l)} \\rVert}{\\lVert u^{(l)} \\rVert + ε}\\, u^{(l)}

    for each leaf (layer) l, with η = ``trust_coefficient``; the ratio is 1
    where either norm is 0 (a zero-initialised layer still moves).  Norms below
    ``min_norm`` are raised to it.  Matches optax.scale_by_trust_ratio; ``mask``
    selects the leaves it applies to (see
    :func:`~optimizers.weight_decay.masked_where`).
    """
    check_non_negative(min_norm, "min_norm")
    check_non_negative(trust_coefficient, "trust_coefficient")
    check_non_negative(eps, "eps")

    def init(params):
        del params
        return ()

    def scale_leaf(u, p):
        param_norm = _layer_norm(p, min_norm)
        update_norm = _layer_norm(u, min_norm)
        ratio = trust_coefficient * param_norm / (update_norm + eps)
        ratio = jnp.where((param_norm == 0) | (update_norm == 0), 1.0, ratio)
        return u * ratio.astype(u.dtype)

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("scale_by_trust_ratio needs params: call update(grads, state, params)")
        check_same_tree(updates, params)
        scaled = tree_map(scale_leaf, updates, params)
        return masked_where(mask, params, scaled, updates), state

    return GradientTransformation(init, update)


def lars(
    learning_rate: Any,
    weight_decay: Any = 0.0,
    weight_decay_mask: Any = True,
    trust_coefficient: Any = 0.001,
    eps: Any = 0.0,
    trust_ratio_mask: Any = True,
    momentum: Any = 0.9,
    nesterov: bool = False,
) -> GradientTransformation:
    """LARS, layer-wise adaptive rate scaling (You, Gitman and Ginsburg 2017).

    For each layer l, with η = ``trust_coefficient``:

    .. math::

        d^{(l)}_t &= g^{(l)}_t + λ_{wd} θ^{(l)}_{t−1}, \\qquad
        r^{(l)}_t = η\\, \\frac{\\lVert θ^{(l)}_{t−1} \\rVert}{\\lVert d^{(l)}_t \\rVert + ε}, \\\\
        v^{(l)}_t &= β v^{(l)}_{t−1} + α\\, r^{(l)}_t d^{(l)}_t, \\qquad
        θ^{(l)}_t = θ^{(l)}_{t−1} − v^{(l)}_t .

    The momentum acts on the already-scaled step, as in the paper's Algorithm 1
    and optax.lars, which this matches exactly.  Masks exclude leaves (typically
    biases) from the weight decay or the trust ratio.
    """
    check_decay(momentum, "momentum")
    return chain(
        add_decayed_weights(weight_decay, mask=weight_decay_mask),
        scale_by_trust_ratio(trust_coefficient=trust_coefficient, eps=eps, mask=trust_ratio_mask),
        scale_by_learning_rate(learning_rate),
        trace(momentum, nesterov),
    )


def lamb(
    learning_rate: Any,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-6,
    eps_root: Any = 0.0,
    weight_decay: Any = 0.0,
    mask: Any = None,
) -> GradientTransformation:
    """LAMB, layer-wise adaptive moments for batch training (You et al. 2020).

    Adam's direction plus decoupled weight decay, rescaled per layer:

    .. math::

        d^{(l)}_t = \\frac{\\hat m^{(l)}_t}{\\sqrt{\\hat s^{(l)}_t} + ε} + λ_{wd} θ^{(l)}_{t−1},
        \\qquad
        θ^{(l)}_t = θ^{(l)}_{t−1} − α\\, \\frac{\\lVert θ^{(l)}_{t−1} \\rVert}{\\lVert d^{(l)}_t \\rVert}\\, d^{(l)}_t .

    The paper allows a scaling function φ(‖θ‖); like optax.lamb (matched
    exactly) we take φ the identity and the ratio 1 where a norm is 0.
    """
    return chain(
        scale_by_adam(b1, b2, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_trust_ratio(),
        scale_by_learning_rate(learning_rate),
    )


def ralamb(
    learning_rate: Any = 1e-3,
    b1: Any = 0.9,
    b2: Any = 0.999,
    eps: Any = 1e-8,
    eps_root: Any = 0.0,
    threshold: Any = 5.0,
    weight_decay: Any = 0.0,
    mask: Any = None,
) -> GradientTransformation:
    """Ralamb: LAMB's layer-wise trust ratio around RAdam's rectified step.

    :func:`lamb` with Adam's direction replaced by :func:`~optimizers.adaptive.radam`'s
    (a combination of Liu et al. 2020 and You et al. 2020 that circulated in
    the fast.ai community in 2019; it has no paper of its own).  Some public implementations
    also clip the trust ratio at 10; we do not, so that it is exactly
    ``chain(scale_by_radam, add_decayed_weights, scale_by_trust_ratio, −α)``.
    """
    return chain(
        scale_by_radam(b1, b2, eps, eps_root, threshold),
        add_decayed_weights(weight_decay, mask),
        scale_by_trust_ratio(),
        scale_by_learning_rate(learning_rate),
    )
