"""Self-checks for the course assignments: run a student's optimizer beside the package's.

A student implements, say, Adam as a function that returns a
:class:`~optimizers.base.GradientTransformation` and asks::

    from coursework.checks import check_adam

    check_adam(adam)  # adam(learning_rate, b1, b2, eps) -> GradientTransformation

The check feeds both optimizers the same gradients for several steps, on several
pytrees (a vector; a dict of a matrix, a vector and a scalar; a nested list) and
at several hyperparameter settings, and compares the updates step by step.  It
never raises because of the student's code: it returns a :class:`Report` that
says how many cases pass and, for the first that does not, the step, leaf and
coordinate where the updates first differ, expected against got, and the likely
cause when the updates match a known mistake (Adam without bias correction, ε
inside the square root, the sign, …) or a recognisable pattern (a constant
factor, a state that is not carried over).

The same reports grade the assignments (see ``coursework``): a question's score
is the fraction of its cases that pass.  :func:`check_optimizer` and
:func:`check_function` are the general forms, for new questions.

The references are the book's own, never retyped here: the library's optimizers
(``adam``, ``lamb``, ``scale_by_trust_ratio``, ``lookahead``), the teaching
variants of :mod:`lab.registry` (``plain_gradient_descent``, ``heavy_ball``,
``nesterov_momentum``) and the closed forms of :mod:`lab.analysis`.  They are
those functions themselves, not names looked up in the mutable
:data:`lab.registry.OPTIMIZERS`, so a student who registers their own ``adam``
there to try it in a widget is still checked against the library's.  Only the
*mistakes* are written here: each is a deliberately wrong version of a reference,
and a student whose updates match one gets its hint.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from lab import analysis, registry
from optimizers.adaptive import adam, scale_by_adam
from optimizers.base import GradientTransformation, apply_updates, chain
from optimizers.lookahead import lookahead
from optimizers.scaling import scale, scale_by_learning_rate
from optimizers.tree import global_norm
from optimizers.trust_ratio import lamb, scale_by_trust_ratio
from optimizers.weight_decay import add_decayed_weights

__all__ = [
    "Mistake",
    "Report",
    "check_adam",
    "check_convergence_rate",
    "check_function",
    "check_gradient_descent",
    "check_heavy_ball",
    "check_lamb",
    "check_lookahead",
    "check_nesterov",
    "check_optimal_learning_rate",
    "check_optimizer",
    "check_stable_learning_rate",
    "check_trust_ratio",
    "example_pytrees",
]

STEPS = 8
"""Steps per case: enough for a state that is not carried over, or a count off by one, to show."""

RTOL = 1e-4
"""Relative tolerance of the comparison (float32, and formulas that differ only in rounding)."""


# --------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Report:
    """What a check found: ``passed`` of ``total`` cases agree; ``feedback`` says what to fix."""

    question: str
    passed: int
    total: int
    feedback: str

    @property
    def ok(self) -> bool:
        """True when every case passes."""
        return self.total > 0 and self.passed == self.total

    @property
    def score(self) -> float:
        """The fraction of cases that pass, from 0 to 1, which is the question's share of its points."""
        return self.passed / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (what the grader stores)."""
        return {**dataclasses.asdict(self), "score": self.score}

    def __str__(self) -> str:
        mark = "✅" if self.ok else "❌"
        return f"{mark} {self.question}: {self.passed} of {self.total} cases pass.\n{self.feedback}"

    def _repr_markdown_(self) -> str:
        mark = "✅" if self.ok else "❌"
        head = f"{mark} **{self.question}: {self.passed} of {self.total} cases pass.**"
        return f"{head}\n\n{self.feedback}"


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A known wrong version of the reference: if the student's output matches it, say ``hint``.

    ``make`` takes the same arguments as the reference (an optimizer factory, or
    the function of :func:`check_function`).
    """

    description: str
    hint: str
    make: Callable[..., Any]


class _StudentError(Exception):
    """The student's code raised, or returned something of the wrong form, in ``phase``."""

    def __init__(self, phase: str, message: str):
        super().__init__(f"{phase}: {message}")
        self.phase = phase
        self.message = message


def _describe_exception(error: BaseException) -> str:
    if isinstance(error, NotImplementedError):
        return "raised `NotImplementedError`: this part is not written yet."
    last = traceback.format_exception_only(type(error), error)[-1].strip()
    return f"raised `{last}`"


# --------------------------------------------------------------------------
# Pytrees and gradients the optimizers are run on
# --------------------------------------------------------------------------


def example_pytrees(seed: int = 0) -> dict[str, Any]:
    """Three parameter pytrees, by description: a vector, a dict, a nested list.

    The dict's bias ``b`` is zero, as a freshly initialised layer's is (a trust
    ratio must still move it).
    """
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return jnp.asarray(rng.normal(size=shape), jnp.float32)

    return {
        "a vector of 5": normal(5),
        "a dict {w: 3×2, b: 2 (zeros), s: scalar}": {
            "w": normal(3, 2),
            "b": jnp.zeros(2, jnp.float32),
            "s": normal(),
        },
        "a nested list [4, {x: 2×2}]": [normal(4), {"x": normal(2, 2)}],
    }


def _gradients(params: Any, steps: int, seed: int) -> list[Any]:
    """``steps`` gradient pytrees shaped like ``params``; leaf i is scaled by 10^(i mod 3 − 1)."""
    rng = np.random.default_rng(seed)
    leaves, treedef = jax.tree_util.tree_flatten(params)
    sequence = []
    for _ in range(steps):
        grads = [
            jnp.asarray(10.0 ** (i % 3 - 1) * rng.normal(size=np.shape(leaf)), jnp.float32)
            for i, leaf in enumerate(leaves)
        ]
        sequence.append(jax.tree_util.tree_unflatten(treedef, grads))
    return sequence


def _run(make: Callable, hyperparameters: dict, params: Any, gradients: list) -> list[Any]:
    """The updates of ``make(**hyperparameters)`` along the given gradients, one per step.

    Raises :class:`_StudentError` naming the phase that failed.
    """
    try:
        tx = make(**hyperparameters)
    except Exception as error:
        raise _StudentError("building the optimizer", _describe_exception(error)) from error
    if not (callable(getattr(tx, "init", None)) and callable(getattr(tx, "update", None))):
        raise _StudentError(
            "building the optimizer",
            f"returned a {type(tx).__name__}, not a GradientTransformation(init, update).",
        )
    try:
        state = tx.init(params)
    except Exception as error:
        raise _StudentError("init(params)", _describe_exception(error)) from error
    history = []
    for t, grads in enumerate(gradients, start=1):
        try:
            result = tx.update(grads, state, params)
        except Exception as error:
            raise _StudentError(f"update at step t = {t}", _describe_exception(error)) from error
        if not (isinstance(result, tuple) and len(result) == 2):
            raise _StudentError(
                f"update at step t = {t}", "must return the pair (updates, new_state)."
            )
        updates, state = result
        _check_shaped_like(updates, grads, t)
        params = apply_updates(params, updates)
        history.append(updates)
    return history


def _check_shaped_like(updates: Any, grads: Any, t: int) -> None:
    expected = jax.tree_util.tree_structure(grads)
    got = jax.tree_util.tree_structure(updates)
    if got != expected:
        raise _StudentError(
            f"update at step t = {t}",
            f"the updates must have the structure of the gradients, {expected}; got {got}.",
        )
    for g, u in zip(
        jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(updates), strict=True
    ):
        if np.shape(u) != np.shape(g):
            raise _StudentError(
                f"update at step t = {t}",
                f"an update leaf has shape {np.shape(u)}, its gradient {np.shape(g)}.",
            )


# --------------------------------------------------------------------------
# Comparing two runs
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Difference:
    step: int
    leaf: str
    index: tuple
    expected: float
    got: float


def _close(got, expected) -> np.ndarray:
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    scale = np.max(np.abs(expected), initial=0.0)
    return np.isclose(got, expected, rtol=RTOL, atol=RTOL * scale + 1e-7)


def _first_difference(got: list, expected: list) -> _Difference | None:
    """The first (step, leaf, coordinate) where two update histories disagree, if any."""
    for t, (g_tree, e_tree) in enumerate(zip(got, expected, strict=True), start=1):
        e_leaves = jax.tree_util.tree_flatten_with_path(e_tree)[0]
        g_leaves = jax.tree_util.tree_leaves(g_tree)
        for (path, e), g in zip(e_leaves, g_leaves, strict=True):
            close = _close(g, e)
            if not np.all(close):
                index = tuple(int(i) for i in np.argwhere(~close)[0])
                return _Difference(
                    step=t,
                    leaf=jax.tree_util.keystr(path) or "(the array itself)",
                    index=index,
                    expected=float(np.asarray(e)[index]),
                    got=float(np.asarray(g)[index]),
                )
    return None


def _pattern(got: list, expected: list, difference: _Difference) -> str:
    """A likely cause read from the shape of the disagreement, when no known mistake matched."""
    if not np.isfinite(difference.got):
        return (
            "Your update is not finite there: look for a division by zero or the square root "
            "of a negative number (does the step count t start at 1 in 1 − βᵗ?)."
        )
    first_got = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(got[0])])
    first_expected = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(expected[0])])
    if difference.step > 1:
        return (
            f"The first {difference.step - 1} step(s) agree and step {difference.step} does not: "
            "the state is the suspect. Do you return the *new* state from `update`, and is "
            "every quantity that should persist (moments, a step count) kept in it?"
        )
    if np.allclose(first_got, -first_expected, rtol=RTOL, atol=1e-7):
        return (
            "Your first update is exactly the negative of the expected one: the sign. "
            "`apply_updates` *adds* the updates to the parameters, so a descent step is −α × …"
        )
    nonzero = np.abs(first_expected) > 1e-6
    if np.any(nonzero):
        ratios = first_got[nonzero] / first_expected[nonzero]
        if np.allclose(ratios, ratios[0], rtol=1e-3):
            return (
                f"Your first update is the expected one times {ratios[0]:.4g}, in every "
                "coordinate: a constant factor is off (the learning rate? a (1 − β) factor?)."
            )
    return "Compare your formula with the update equation in the assignment, term by term."


def _case_name(description: str, hyperparameters: dict) -> str:
    settings = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in hyperparameters.items())  # fmt: skip
    return f"{description}, {settings}" if settings else description


def check_optimizer(
    student: Callable[..., GradientTransformation],
    reference: Callable[..., GradientTransformation],
    settings: Sequence[dict],
    *,
    question: str,
    mistakes: Sequence[Mistake] = (),
    steps: int = STEPS,
    pytrees: dict[str, Any] | None = None,
) -> Report:
    """Compare ``student(**s)`` with ``reference(**s)`` for every setting s and pytree.

    Both see the same gradients (drawn once per case) for ``steps`` steps, each
    moving its own parameters; the updates are compared step by step.  A case
    passes when every update agrees to ``RTOL``.  The feedback describes the
    first failing case and, if the student's updates there match one of
    ``mistakes`` (over all steps), that mistake's hint.
    """
    if not callable(student):
        return Report(question, 0, 1, f"Pass your function itself, not {type(student).__name__}.")
    pytrees = example_pytrees() if pytrees is None else pytrees
    cases = [(d, p, s) for s in settings for d, p in pytrees.items()]
    passed, first_failure = 0, None
    for number, (description, params, hyperparameters) in enumerate(cases):
        gradients = _gradients(params, steps, seed=number)
        expected = _run(reference, hyperparameters, params, gradients)
        try:
            got = _run(student, hyperparameters, params, gradients)
        except _StudentError as error:
            feedback = (
                f"In the case *{_case_name(description, hyperparameters)}*, {error.phase} "
                f"{error.message}"
            )
            return Report(question, passed, len(cases), feedback)
        difference = _first_difference(got, expected)
        if difference is None:
            passed += 1
        elif first_failure is None:
            first_failure = (description, params, hyperparameters, gradients, got, expected,
                             difference)  # fmt: skip
    if first_failure is None:
        feedback = (
            f"Your updates agree with the package's for {steps} steps in every case "
            f"({len(pytrees)} pytrees × {len(settings)} setting(s))."
        )
        return Report(question, passed, len(cases), feedback)
    return Report(question, passed, len(cases), _explain(first_failure, mistakes))


def _explain(failure: tuple, mistakes: Sequence[Mistake]) -> str:
    description, params, hyperparameters, gradients, got, expected, difference = failure
    where = (
        f"First difference: case *{_case_name(description, hyperparameters)}*, step "
        f"t = {difference.step}, leaf `{difference.leaf}`, index {difference.index}: "
        f"expected {difference.expected:.6g}, got {difference.got:.6g}."
    )
    for mistake in mistakes:
        try:
            wrong = _run(mistake.make, hyperparameters, params, gradients)
        except _StudentError:
            continue
        if _first_difference(got, wrong) is None:
            return f"{where}\n\nLikely cause: your updates match *{mistake.description}*. {mistake.hint}"
    return f"{where}\n\n{_pattern(got, expected, difference)}"


# --------------------------------------------------------------------------
# Functions of the eigenvalues (Part I)
# --------------------------------------------------------------------------

SPECTRA = (
    np.array([1.0, 10.0]),
    np.array([0.5, 2.0, 3.0, 8.0]),
    np.array([100.0, 1.0, 30.0]),  # not sorted
    np.geomspace(0.01, 1.0, 6),
)
"""The eigenvalue sets a function of the spectrum is checked on (one of them unsorted)."""


def check_function(
    student: Callable[[np.ndarray], float],
    reference: Callable[[np.ndarray], float],
    *,
    question: str,
    mistakes: Sequence[Mistake] = (),
    inputs: Sequence[np.ndarray] = SPECTRA,
) -> Report:
    """Compare ``student(x)`` with ``reference(x)`` for every x in ``inputs`` (to ``RTOL``)."""
    if not callable(student):
        return Report(question, 0, 1, f"Pass your function itself, not {type(student).__name__}.")
    passed, failure = 0, None
    for x in inputs:
        expected = float(reference(x))
        try:
            got = float(student(np.array(x)))
        except Exception as error:
            feedback = f"For the eigenvalues {_list(x)} your function {_describe_exception(error)}"
            return Report(question, passed, len(inputs), feedback)
        if np.isclose(got, expected, rtol=RTOL):
            passed += 1
        elif failure is None:
            failure = (x, expected, got)
    if failure is None:
        feedback = f"Right for all {len(inputs)} sets of eigenvalues."
        return Report(question, passed, len(inputs), feedback)
    x, expected, got = failure
    feedback = f"For the eigenvalues {_list(x)}: expected {expected:.6g}, got {got:.6g}."
    for mistake in mistakes:
        if all(np.isclose(float(student(np.array(y))), float(mistake.make(y)), rtol=RTOL)
               for y in inputs):  # fmt: skip
            feedback += f"\n\nLikely cause: your answer is *{mistake.description}*. {mistake.hint}"
            break
    return Report(question, passed, len(inputs), feedback)


def _list(x: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:g}" for v in x) + "]"


def _diagonal(eigenvalues: np.ndarray) -> np.ndarray:
    return np.diag(np.asarray(eigenvalues, np.float64))


def check_stable_learning_rate(student: Callable[[np.ndarray], float]) -> Report:
    """``student(λ)`` must be the largest α for which gradient descent converges, 2/λ_max."""
    return check_function(
        student,
        lambda lam: analysis.max_stable_learning_rate(_diagonal(lam)),
        question="stable learning rate",
        mistakes=(
            Mistake("1/λ_max", "Convergence needs |1 − αλ| < 1, which allows α up to 2/λ.",
                    lambda lam: 1 / np.max(lam)),
            Mistake("2/λ_min", "The *largest* eigenvalue is the first to go unstable.",
                    lambda lam: 2 / np.min(lam)),
            Mistake("2 over the last eigenvalue in the list",
                    "The eigenvalues are not sorted: use np.max.",
                    lambda lam: 2 / lam[-1]),
        ),
    )  # fmt: skip


def check_optimal_learning_rate(student: Callable[[np.ndarray], float]) -> Report:
    """``student(λ)`` must be α* = 2/(λ_min + λ_max), which balances the two extreme directions."""
    return check_function(
        student,
        lambda lam: analysis.optimal_learning_rate(_diagonal(lam)),
        question="optimal learning rate",
        mistakes=(
            Mistake("1/λ_max", "α* balances |1 − αλ_min| = |1 − αλ_max|; solve that equation.",
                    lambda lam: 1 / np.max(lam)),
            Mistake("1/(λ_min + λ_max)",
                    "Balancing 1 − αλ_min = αλ_max − 1 gives a 2 in the numerator.",
                    lambda lam: 1 / (np.min(lam) + np.max(lam))),
            Mistake("2 over the sum of the first and last eigenvalues in the list",
                    "The eigenvalues are not sorted: use np.min and np.max.",
                    lambda lam: 2 / (lam[0] + lam[-1])),
        ),
    )  # fmt: skip


def check_convergence_rate(student: Callable[[np.ndarray], float]) -> Report:
    """``student(λ)`` must be ``max |1 − α* λᵢ| = (κ − 1)/(κ + 1)``, the error's contraction per step."""

    def kappa(lam):
        return np.max(lam) / np.min(lam)

    return check_function(
        student,
        lambda lam: analysis.gd_rate(_diagonal(lam), analysis.optimal_learning_rate(_diagonal(lam))),
        question="convergence rate",
        mistakes=(
            Mistake("((κ − 1)/(κ + 1))²",
                    "That is the rate of the *loss*; the question asks for the distance ‖θ_t − θ*‖.",
                    lambda lam: ((kappa(lam) - 1) / (kappa(lam) + 1)) ** 2),
            Mistake("1 − 1/κ", "That is the rate at α = 1/λ_max, not at α*.",
                    lambda lam: 1 - 1 / kappa(lam)),
        ),
    )  # fmt: skip


# --------------------------------------------------------------------------
# Optimizers, with the mistakes students make (Parts I and II)
# --------------------------------------------------------------------------


def _elementwise(init_leaf: Callable, step_leaf: Callable) -> GradientTransformation:
    """A transformation whose state is (t, per-leaf state) and whose step is leaf by leaf.

    ``step_leaf(g, state_leaf, p, t) -> (u, new_state_leaf)``; used to write the
    wrong versions of the optimizers in a few lines each.
    """

    def init(params):
        return 0, jax.tree_util.tree_map(init_leaf, params)

    def update(grads, state, params=None):
        t, leaves = state
        t += 1
        flat_g, treedef = jax.tree_util.tree_flatten(grads)
        flat_s = treedef.flatten_up_to(leaves)
        flat_p = jax.tree_util.tree_leaves(params)
        pairs = [step_leaf(g, s, p, t) for g, s, p in zip(flat_g, flat_s, flat_p, strict=True)]
        updates = treedef.unflatten([u for u, _ in pairs])
        return updates, (t, treedef.unflatten([s for _, s in pairs]))

    return GradientTransformation(init, update)


def check_gradient_descent(student: Callable[..., GradientTransformation]) -> Report:
    """``student(learning_rate)``: θ_t = θ_{t−1} − α g_t."""

    def ascent(learning_rate):
        return _elementwise(jnp.zeros_like, lambda g, s, p, t: (learning_rate * g, s))

    def unit_rate(learning_rate):
        return _elementwise(jnp.zeros_like, lambda g, s, p, t: (-g, s))

    return check_optimizer(
        student,
        registry.plain_gradient_descent,
        [{"learning_rate": 0.1}, {"learning_rate": 0.03}],
        question="gradient descent",
        mistakes=(
            Mistake("gradient *ascent*, +α g", "The update is −α g_t.", ascent),
            Mistake("a step of −g, without the learning rate", "Multiply by α.", unit_rate),
        ),
    )


def _momentum_mistakes(nesterov: bool) -> tuple[Mistake, ...]:
    """The wrong versions of heavy ball (or of Nesterov): damped, stale, the other one, ascent."""

    def dampened(learning_rate, momentum):
        def step(g, v, p, t):
            v = momentum * v + (1 - momentum) * g
            return -learning_rate * (g + momentum * v if nesterov else v), v

        return _elementwise(jnp.zeros_like, step)

    def stale(learning_rate, momentum):
        def step(g, v, p, t):
            return -learning_rate * v, momentum * v + g

        return _elementwise(jnp.zeros_like, step)

    reference, other = (
        (registry.nesterov_momentum, registry.heavy_ball)
        if nesterov
        else (registry.heavy_ball, registry.nesterov_momentum)
    )

    def ascent(learning_rate, momentum):
        return chain(reference(learning_rate, momentum), scale(-1.0))

    this, that = ("Nesterov", "heavy ball") if nesterov else ("heavy ball", "Nesterov")
    formula = "θ_t = θ_{t−1} − α (g_t + β v_t)" if nesterov else "θ_t = θ_{t−1} − α v_t"
    return (
        Mistake(
            "an exponential moving average, v_t = β v_{t−1} + (1 − β) g_t",
            f"The book's {this} *adds* the gradient: v_t = β v_{{t−1}} + g_t (no 1 − β).",
            dampened,
        ),
        Mistake(
            "a step with the previous velocity v_{t−1}",
            f"Update the velocity first, v_t = β v_{{t−1}} + g_t, then {formula}.",
            stale,
        ),
        Mistake(f"{that} momentum", f"{this} steps with {formula}.", other),
        Mistake("an ascent step", "`apply_updates` adds the updates: descend with −α.", ascent),
    )


def check_heavy_ball(student: Callable[..., GradientTransformation]) -> Report:
    """``student(learning_rate, momentum)``: v_t = β v_{t−1} + g_t, θ_t = θ_{t−1} − α v_t."""
    return check_optimizer(
        student,
        registry.heavy_ball,
        [{"learning_rate": 0.1, "momentum": 0.9}, {"learning_rate": 0.02, "momentum": 0.5}],
        question="heavy-ball momentum",
        mistakes=_momentum_mistakes(nesterov=False),
    )


def check_nesterov(student: Callable[..., GradientTransformation]) -> Report:
    """``student(learning_rate, momentum)``: v_t = β v_{t−1} + g_t, θ_t = θ_{t−1} − α (g_t + β v_t)."""
    return check_optimizer(
        student,
        registry.nesterov_momentum,
        [{"learning_rate": 0.1, "momentum": 0.9}, {"learning_rate": 0.02, "momentum": 0.5}],
        question="Nesterov momentum",
        mistakes=_momentum_mistakes(nesterov=True),
    )


def _adam_like(correction: Callable, eps_inside: bool = False, sign: float = -1.0) -> Callable:
    """Adam with the bias correction ``correction(β, t)`` and ε placed inside or outside the root."""

    def make(learning_rate, b1, b2, eps):
        def step(g, state, p, t):
            m, s = state
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g**2
            m_hat, s_hat = m / correction(b1, t), s / correction(b2, t)
            root = jnp.sqrt(s_hat + eps) if eps_inside else jnp.sqrt(s_hat) + eps
            return sign * learning_rate * m_hat / root, (m, s)

        return _elementwise(lambda p: (jnp.zeros_like(p), jnp.zeros_like(p)), step)

    return make


def check_adam(student: Callable[..., GradientTransformation]) -> Report:
    """``student(learning_rate, b1, b2, eps)``: Adam, with ε outside the root.

    m_t = β₁ m_{t−1} + (1 − β₁) g_t,  s_t = β₂ s_{t−1} + (1 − β₂) g_t²,
    θ_t = θ_{t−1} − α m̂_t / (√ŝ_t + ε) with m̂_t = m_t/(1 − β₁ᵗ), ŝ_t = s_t/(1 − β₂ᵗ).
    """
    return check_optimizer(
        student,
        adam,
        [
            {"learning_rate": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8},
            {"learning_rate": 0.1, "b1": 0.5, "b2": 0.9, "eps": 0.1},
        ],
        question="Adam",
        mistakes=(
            Mistake(
                "Adam without bias correction",
                "Divide m_t by 1 − β₁ᵗ and s_t by 1 − β₂ᵗ before the step: both moments start "
                "at zero and are biased towards it in the first steps.",
                _adam_like(lambda b, t: 1.0),
            ),
            Mistake(
                "Adam with the bias correction 1 − β (no exponent t)",
                "The correction is 1 − βᵗ: it depends on the step t (counted from 1) and tends to 1.",
                _adam_like(lambda b, t: 1 - b),
            ),
            Mistake(
                "Adam with the step count off by one, 1 − β^(t+1)",
                "Count steps from t = 1: after the first update, 1 − β₁ᵗ = 1 − β₁.",
                _adam_like(lambda b, t: 1 - b ** (t + 1)),
            ),
            Mistake(
                "Adam with ε inside the square root, √(ŝ_t + ε)",
                "The book (like the paper and optax) adds ε *after* the root: √ŝ_t + ε.",
                _adam_like(lambda b, t: 1 - b**t, eps_inside=True),
            ),
            Mistake(
                "Adam with the sign flipped (an ascent step)",
                "`apply_updates` adds the updates: the step is −α m̂_t/(√ŝ_t + ε).",
                _adam_like(lambda b, t: 1 - b**t, sign=1.0),
            ),
        ),
    )


# --------------------------------------------------------------------------
# Wrappers (Part III)
# --------------------------------------------------------------------------


_LOOKAHEAD_INNER = {"sgd": (registry.plain_gradient_descent, 0.1), "adam": (adam, 0.05)}
"""The optimizers Lookahead is checked around: name → (factory, learning rate α)."""


def _lookahead_reference(inner: str):
    """``(base, make)``: the ``inner`` optimizer, and the library's Lookahead around it."""
    factory, learning_rate = _LOOKAHEAD_INNER[inner]

    def base():
        return factory(learning_rate)

    def make(sync_period, slow_step_size):
        return lookahead(base(), sync_period, slow_step_size)

    return base, make


def _lookahead_mistake(base: Callable, *, direction=1.0, reset_fast=True, offset=0) -> Callable:
    """Lookahead with the slow step's direction, the fast reset or the sync step changed."""

    def make(sync_period, slow_step_size):
        inner = base()

        def init(params):
            return inner.init(params), params, 0

        def update(grads, state, params=None):
            inner_state, slow, count = state
            updates, inner_state = inner.update(grads, inner_state, params)
            fast = apply_updates(params, updates)
            count += 1
            if (count + offset) % sync_period == 0:
                slow = jax.tree_util.tree_map(
                    lambda s, f: s + direction * slow_step_size * (f - s), slow, fast
                )
                if reset_fast:
                    updates = jax.tree_util.tree_map(lambda s, p: s - p, slow, params)
            return updates, (inner_state, slow, count)

        return GradientTransformation(init, update)

    return make


def check_lookahead(student: Callable[..., GradientTransformation]) -> Report:
    """``student(inner, sync_period, slow_step_size)`` wraps any ``inner`` optimizer in Lookahead.

    Checked around SGD and around Adam: every k-th step θ ← θ + α_s(φ − θ), φ ← θ;
    the inner state is kept across syncs.
    """
    reports = []
    for inner in _LOOKAHEAD_INNER:
        base, reference = _lookahead_reference(inner)

        def wrapped(sync_period, slow_step_size, base=base):
            return student(base(), sync_period=sync_period, slow_step_size=slow_step_size)

        reports.append(
            check_optimizer(
                wrapped,
                reference,
                [
                    {"sync_period": 3, "slow_step_size": 0.5},
                    {"sync_period": 2, "slow_step_size": 0.8},
                ],
                question=f"Lookahead around {inner}",
                steps=9,
                mistakes=(
                    Mistake(
                        "slow weights that move away from the fast ones, θ + α_s(θ − φ)",
                        "The slow weights step *towards* the fast ones: θ ← θ + α_s(φ − θ).",
                        _lookahead_mistake(base, direction=-1.0),
                    ),
                    Mistake(
                        "Lookahead that never resets the fast weights to the slow ones",
                        "After the slow step, return updates that move the params to θ (φ ← θ).",
                        _lookahead_mistake(base, reset_fast=False),
                    ),
                    Mistake(
                        "a sync one step early (the count starts at 1 instead of 0)",
                        "Sync after k fast steps: at t = k, 2k, …",
                        _lookahead_mistake(base, offset=1),
                    ),
                ),
            )
        )
    return _combine("Lookahead", reports)


def _combine(question: str, reports: list[Report]) -> Report:
    passed = sum(r.passed for r in reports)
    total = sum(r.total for r in reports)
    feedback = "\n\n".join(f"*{r.question}*: {r.feedback}" for r in reports)
    return Report(question, passed, total, feedback)


def _trust_ratio_mistake(kind: str) -> Callable:
    def make():
        def update(updates, state, params=None):
            if kind == "global":
                p_norm, u_norm = global_norm(params), global_norm(updates)
                scaled = jax.tree_util.tree_map(lambda u: u * p_norm / u_norm, updates)
                return scaled, state

            def leaf(u, p):
                p_norm, u_norm = jnp.linalg.norm(jnp.ravel(p)), jnp.linalg.norm(jnp.ravel(u))
                if kind == "inverted":
                    ratio = jnp.where((p_norm == 0) | (u_norm == 0), 1.0, u_norm / p_norm)
                else:  # "unguarded": a zero-norm layer gets ratio 0 (or nan)
                    ratio = p_norm / u_norm
                return u * ratio

            return jax.tree_util.tree_map(leaf, updates, params), state

        return GradientTransformation(lambda params: (), update)

    return make


def check_trust_ratio(student: Callable[[], GradientTransformation]) -> Report:
    """``student()``: each leaf's update u rescaled to ‖θ‖/‖u‖ · u (ratio 1 if a norm is 0)."""
    return check_optimizer(
        student,
        scale_by_trust_ratio,
        [{}],
        question="trust ratio",
        steps=4,
        mistakes=(
            Mistake(
                "one ratio for the whole model, ‖θ‖/‖u‖ over all leaves",
                "The trust ratio is *layer-wise*: compute the norms of each leaf separately.",
                _trust_ratio_mistake("global"),
            ),
            Mistake(
                "the ratio upside down, ‖u‖/‖θ‖",
                "The update's norm should become the weight's: multiply by ‖θ‖/‖u‖.",
                _trust_ratio_mistake("inverted"),
            ),
            Mistake(
                "a ratio without the zero-norm guard",
                "A zero-initialised layer (‖θ‖ = 0) would never move: use a ratio of 1 where "
                "either norm is 0 (`jnp.where`).",
                _trust_ratio_mistake("unguarded"),
            ),
        ),
    )


def check_lamb(student: Callable[..., GradientTransformation]) -> Report:
    """``student(learning_rate, weight_decay)``: Adam's direction + λθ, trust ratio, −α.

    With the package's defaults for the rest (β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁶).
    """

    def without_decay_in_ratio(learning_rate, weight_decay):
        return chain(
            scale_by_adam(eps=1e-6),
            scale_by_trust_ratio(),
            add_decayed_weights(weight_decay),
            scale_by_learning_rate(learning_rate),
        )

    return check_optimizer(
        student,
        lamb,
        [
            {"learning_rate": 0.01, "weight_decay": 0.0},
            {"learning_rate": 0.05, "weight_decay": 0.1},
        ],
        question="LAMB",
        mistakes=(
            Mistake(
                "LAMB with the weight decay added after the trust ratio",
                "Add λθ to Adam's direction *before* the trust ratio, so the ratio sees it.",
                without_decay_in_ratio,
            ),
        ),
    )
