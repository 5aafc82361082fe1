"""optimizers: the small, exact optimizer library behind the book.

Every optimizer is a :class:`GradientTransformation` (optax's convention)::

    import optimizers as opt

    tx = opt.adam(learning_rate=1e-3)
    state = tx.init(params)
    updates, state = tx.update(grads, state, params)
    params = opt.apply_updates(params, updates)
"""

from optimizers import schedules
from optimizers.adabound import adabound, amsbound, scale_by_adabound
from optimizers.adaptive import (
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    amsgrad,
    nadam,
    radam,
    rmsprop,
    scale_by_adadelta,
    scale_by_adam,
    scale_by_adamax,
    scale_by_amsgrad,
    scale_by_nadam,
    scale_by_radam,
    scale_by_rms,
    scale_by_rss,
)
from optimizers.base import GradientTransformation, apply_updates, chain, identity
from optimizers.lookahead import lookahead, ranger, ranger_lars
from optimizers.momentum import sgd, trace
from optimizers.scaling import (
    precondition,
    scale,
    scale_by_learning_rate,
    scale_by_schedule,
)
from optimizers.trust_ratio import lamb, lars, ralamb, scale_by_trust_ratio
from optimizers.weight_decay import add_decayed_weights

__version__ = "0.1.0"

__all__ = [
    "GradientTransformation",
    "adabound",
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "add_decayed_weights",
    "amsbound",
    "amsgrad",
    "apply_updates",
    "chain",
    "identity",
    "lamb",
    "lars",
    "lookahead",
    "nadam",
    "precondition",
    "radam",
    "ralamb",
    "ranger",
    "ranger_lars",
    "rmsprop",
    "scale",
    "scale_by_adabound",
    "scale_by_adadelta",
    "scale_by_adam",
    "scale_by_adamax",
    "scale_by_amsgrad",
    "scale_by_learning_rate",
    "scale_by_nadam",
    "scale_by_radam",
    "scale_by_rms",
    "scale_by_rss",
    "scale_by_schedule",
    "scale_by_trust_ratio",
    "schedules",
    "sgd",
    "trace",
]
