"""The conventions appendix re-implements torch.optim's rules in NumPy (torch is not
a book dependency).  Here each re-implementation is replayed against torch itself,
in float64 on the same gradient sequence, so the appendix's "torch does X" claims
rest on torch, not on our reading of its documentation.
"""

import numpy as np
import pytest
import torch

from lab import appendix_conventions as cv

GRADS = cv.example_gradients(steps=40, dim=3, scale=2.0, seed=3)
ATOL = 1e-9  # float64 replays; torch orders a few products differently (NAdam: ~5e-11)


def torch_history(make_optimizer, grads=GRADS):
    """Parameters after each step of a torch optimizer fed the gradients ``grads``."""
    theta = torch.zeros(grads.shape[1], dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([theta])
    history = []
    for g in grads:
        theta.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        history.append(theta.detach().numpy().copy())
    return np.array(history)


CASES = {
    "rmsprop": (
        lambda: cv.torch_rmsprop(GRADS, 0.01, alpha=0.9, eps=1e-3),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-3),
    ),
    "adagrad": (
        lambda: cv.torch_adagrad(GRADS, 0.1, eps=1e-3, initial_accumulator_value=0.5),
        lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-3, initial_accumulator_value=0.5),
    ),
    "nadam": (
        lambda: cv.torch_nadam(GRADS, 0.01, eps=1e-3, psi=0.04),
        lambda p: torch.optim.NAdam(p, lr=0.01, eps=1e-3, momentum_decay=0.04),
    ),
    "amsgrad": (
        lambda: cv.torch_amsgrad(GRADS, 0.01, eps=1e-3),
        lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-3, amsgrad=True),
    ),
    "radam": (
        lambda: cv.torch_radam(GRADS, 0.01, eps=1e-3),
        lambda p: torch.optim.RAdam(p, lr=0.01, eps=1e-3),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_numpy_replay_matches_torch(name):
    ours, reference = CASES[name]
    np.testing.assert_allclose(ours(), torch_history(reference), rtol=0, atol=ATOL)


def test_amsgrad_case_exercises_the_maximum():
    """With shrinking gradients s^max differs from s, and the replay still matches torch:
    the AMSGrad comparison tests the maximum, by a margin far above the tolerance."""
    shrinking = GRADS * np.linspace(1.0, 0.05, len(GRADS))[:, None]
    ours = cv.torch_amsgrad(shrinking, 0.01, eps=1e-3)
    plain = torch_history(lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-3), shrinking)
    reference = torch_history(
        lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-3, amsgrad=True), shrinking
    )
    np.testing.assert_allclose(ours, reference, rtol=0, atol=ATOL)
    assert np.max(np.abs(reference - plain)) > 1e4 * ATOL
