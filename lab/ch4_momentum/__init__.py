"""Chapter 4, "Momentum" (the module ``lab/ch4_momentum.py`` moved into this package)."""

from lab.ch4_momentum.eigendirection import *  # noqa: F403
from lab.ch4_momentum.eigendirection import (  # noqa: F401
    EIGEN_STEPS,
    LEFT_START,
    NOISE_BATCH,
    NOISE_BURN_IN,
    NOISE_STEPS,
    RATE_STEPS,
    SADDLE_SHOWN,
    STEPS,
    TOLERANCE,
    __all__,
)
