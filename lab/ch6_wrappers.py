"""The experiments of the chapter *Wrapper methods*: one function per figure or widget.

A wrapper takes any base optimizer A and changes what is done with A's step:
LARS and LAMB rescale it per layer (the trust ratio), Lookahead averages the
weights it produces, a schedule rescales it over time.  The chapter's sections
and the functions behind them:

* composition: :func:`composition_check` (one line per wrapper, checked);
* trust ratios: :func:`trust_ratios` (per-layer ‖θ‖/‖g‖ on the digits MLP),
  :func:`large_batch_runs`, :func:`large_batch_figure`, :func:`large_batch_widget`;
* Lookahead: :func:`lookahead_path`, :func:`lookahead_widget`,
  :func:`lookahead_variance_ratio`, :func:`lookahead_variance_figure`;
* schedules and warmup: :func:`schedules_figure` (with RAdam's rectifier r_t),
  :func:`warmup_runs`, :func:`warmup_figure`.

Compilations are the main cost: every digits run goes through ONE compiled
program, :func:`_train_many`, vectorised over 16 runs whose optimizer, batch
size, learning rate and warmup are all data (one-hot choices, masks, numbers), and the Lookahead experiments
pass k, α_s and α as traced numbers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import optimizers as opt
from lab import data, nn, plot, widgets
from lab.ch5_adaptive import radam_rectifier
from lab.nn import init_mlp_numpy
from optimizers.schedules import (
    constant_schedule,
    cosine_decay_schedule,
    exponential_decay,
    linear_schedule,
    step_decay,
    warmup_cosine_decay_schedule,
)
from optimizers.validation import as_positive as _positive
from optimizers.validation import as_whole as _whole

__all__ = [
    "BASE_BATCH",
    "BASE_LEARNING_RATES",
    "BATCH_SIZES",
    "BATCH_STEPS",
    "LOOKAHEAD_Q",
    "Experiment",
    "composition_check",
    "large_batch_figure",
    "large_batch_runs",
    "large_batch_widget",
    "lookahead_path",
    "lookahead_variance_figure",
    "lookahead_variance_ratio",
    "lookahead_widget",
    "schedules_figure",
    "trust_ratios",
    "warmup_figure",
    "warmup_runs",
]


class Experiment(NamedTuple):
    """A static figure and the numbers the chapter quotes from it (name → value)."""

    figure: Any
    numbers: dict[str, Any]


# --------------------------------------------------------------------------
# One line per wrapper
# --------------------------------------------------------------------------


def _run_eagerly(tx, params, steps: int = 12, seed: int = 0):
    """``steps`` updates of ``tx`` on fixed random gradients; the list of params after each."""
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


def _largest_difference(path_a, path_b) -> float:
    leaves = zip(jax.tree_util.tree_leaves(path_a), jax.tree_util.tree_leaves(path_b), strict=True)
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in leaves)


def composition_check(steps: int = 8) -> dict[str, float]:
    """Each named combination against its one-line composition: the largest difference.

    On a two-layer pytree with the same random gradients at every step (the
    gradients do not depend on θ, so both runs see identical inputs):

    * ``ranger(α)`` against ``lookahead(radam(α, b1=0.95, eps=1e-5), 6, 0.5)``;
    * ``ralamb(α)`` against ``chain(scale_by_radam(), scale_by_trust_ratio(),
      scale_by_learning_rate(α))``;
    * ``ranger_lars(α)`` against ``lookahead(ralamb(α), 6, 0.5)``;
    * ``lamb(α)`` against ``chain(scale_by_adam(eps=1e-6), scale_by_trust_ratio(),
      scale_by_learning_rate(α))``.
    """
    steps = _whole(steps, "steps")
    rng = np.random.default_rng(1)
    params = {
        "layer1": jnp.asarray(rng.normal(size=(4, 3)), jnp.float32),
        "layer2": jnp.asarray(rng.normal(size=(3,)), jnp.float32),
    }
    alpha = 0.01
    pairs = {
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
    }
    result = {
        name: _largest_difference(_run_eagerly(a, params, steps), _run_eagerly(b, params, steps))
        for name, (a, b) in pairs.items()
    }
    # and the wrapper really does something: Ranger differs from plain RAdam
    plain = _run_eagerly(opt.radam(alpha, b1=0.95, eps=1e-5), params, steps)
    result["ranger_vs_radam"] = _largest_difference(
        _run_eagerly(opt.ranger(alpha), params, steps), plain
    )
    result["steps"] = steps
    return result


# --------------------------------------------------------------------------
# The digits MLP, many runs per compilation
# --------------------------------------------------------------------------

SIZES = (64, 32, 10)
BATCH_SIZES = (8, 32, 128, 512)
"""The batch sizes B of the large-batch experiment."""
BASE_BATCH = 8
"""B₀: the batch size at which each optimizer's base learning rate α₀ is set."""
BATCH_STEPS = 200
"""Steps T of every digits run (the same for every B)."""

BASE_LEARNING_RATES = {"sgd": 0.05, "adam": 2e-3, "lars": 0.5, "lamb": 4e-3}
"""α₀ at B₀ = 8; linear scaling uses α = α₀ B / B₀."""

_LABELS = {"sgd": "SGD + momentum", "adam": "Adam", "lars": "LARS", "lamb": "LAMB"}


def _factory(name: str) -> Callable[[Any], opt.GradientTransformation]:
    if name == "sgd":
        return lambda lr: opt.sgd(lr, momentum=0.9)
    if name == "adam":
        return lambda lr: opt.adam(lr)
    if name == "lars":
        # the trust ratio on the weight matrices, not on the biases (You et al. 2017)
        return lambda lr: opt.lars(lr, momentum=0.9, trust_ratio_mask=_weights_only)
    if name == "lamb":
        return lambda lr: opt.lamb(lr)
    raise ValueError(f"name must be one of {', '.join(_LABELS)}; got {name!r}")


def _weights_only(params):
    return [{"w": True, "b": False} for _ in params]


@functools.cache
def _digits():
    digits = data.digits()
    params = init_mlp_numpy(SIZES)
    rng = np.random.default_rng(0)
    n = digits.x_train.shape[0]
    batches = jnp.asarray(rng.integers(0, n, size=(BATCH_STEPS, max(BATCH_SIZES))), jnp.int32)
    return digits, params, batches


def _weighted_loss(params, x, y, weights):
    """``Σᵢ wᵢ ℓᵢ``: with wᵢ = 1/B on the first B rows and 0 elsewhere, the mean over a batch of B."""
    log_p = jax.nn.log_softmax(nn.mlp_apply(params, x))
    return -jnp.sum(weights * jnp.take_along_axis(log_p, y[:, None], axis=1)[:, 0])


_NAMES = ("sgd", "adam", "lars", "lamb")


def _all_four(learning_rate, choice) -> opt.GradientTransformation:
    """The four optimizers side by side; the update is the chosen one's ``uᵢ`` (``choice`` one-hot).

    With a one-hot ``choice`` this is exactly the chosen optimizer (the others'
    states advance but are never used): the choice is data, so one compiled
    program trains all four.
    """
    txs = [_factory(name)(learning_rate) for name in _NAMES]

    def init(params):
        return tuple(tx.init(params) for tx in txs)

    def update(grads, state, params=None):
        results = [tx.update(grads, s, params) for tx, s in zip(txs, state, strict=True)]
        updates = jax.tree_util.tree_map(
            lambda *us: sum(jnp.where(c > 0, u, 0.0) for c, u in zip(choice, us, strict=True)),
            *[u for u, _ in results],
        )
        return updates, tuple(s for _, s in results)

    return opt.GradientTransformation(init, update)


@jax.jit
def _train_many(params, learning_rates, warmups, choices, weights, batches, arrays):
    """Train one MLP per row of (``learning_rates``, ``choices``, ``weights``), with ``vmap``.

    Step t uses the rows ``batches[t]`` of the training set, weighted by
    ``weights`` (1/B on the first B, 0 elsewhere): a batch of B examples, with
    the batch size as data; ``choices`` picks the optimizer (see :func:`_all_four`).
    Returns each run's mini-batch losses and validation accuracy.
    """
    x_train, y_train, x_val, y_val = arrays

    def one_run(lr, warmup, choice, w):
        # α_t rises linearly from α/w to α over w steps (w = 1: constant α)
        tx = _all_four(linear_schedule(lr / warmup, lr, warmup), choice)

        def step(carry, rows):
            p, state = carry
            loss, grads = jax.value_and_grad(_weighted_loss)(p, x_train[rows], y_train[rows], w)
            updates, state = tx.update(grads, state, p)
            return (opt.apply_updates(p, updates), state), loss

        (p, _), losses = jax.lax.scan(step, (params, tx.init(params)), batches)
        correct = jnp.argmax(nn.mlp_apply(p, x_val), axis=1) == y_val
        return losses, jnp.mean(correct)

    return jax.vmap(one_run)(learning_rates, warmups, choices, weights)


def _batch_weights(batch_sizes) -> jnp.ndarray:
    largest = max(BATCH_SIZES)
    rows = np.arange(largest)
    return jnp.asarray([(rows < b) / b for b in batch_sizes], jnp.float32)


class BatchRuns(NamedTuple):
    """Digits runs of one optimizer: losses (B × T) and validation accuracy (B) per batch size."""

    batch_sizes: tuple[int, ...]
    learning_rates: np.ndarray
    losses: np.ndarray
    accuracy: np.ndarray


def _check_batch_sizes(batch_sizes) -> tuple[int, ...]:
    sizes = tuple(int(b) for b in batch_sizes)
    if not sizes or any(b < 1 or b > max(BATCH_SIZES) for b in sizes):
        raise ValueError(f"batch_sizes must lie between 1 and {max(BATCH_SIZES)}, got {sizes}")
    return sizes


def large_batch_runs(
    name: str, base_learning_rate: float | None = None, batch_sizes=BATCH_SIZES
) -> BatchRuns:
    """Optimizer ``name`` on the digits MLP for each batch size, α scaled linearly with B.

    α_B = α₀ B / B₀ with α₀ = ``base_learning_rate`` (default
    :data:`BASE_LEARNING_RATES`) and B₀ = :data:`BASE_BATCH`: the linear scaling
    rule (Goyal et al. 2017).  :data:`BATCH_STEPS` steps each, the same batches'
    first B rows for every B; one compiled program per optimizer.
    """
    _factory(name)
    alpha0 = _positive(
        BASE_LEARNING_RATES[name] if base_learning_rate is None else base_learning_rate,
        "base_learning_rate",
    )
    sizes = _check_batch_sizes(batch_sizes)
    result = _all_runs(((name, alpha0, 1.0),), sizes)[0]
    return BatchRuns(sizes, *result)


def _all_runs(settings, sizes) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(rates, losses, accuracy) for each (name, α₀, w) of ``settings``, in one vectorised call.

    w is the length of a linear warmup (1: none).

    Runs are padded to :data:`_RUNS` rows, so every call has the same shapes and
    reuses the one compiled :func:`_train_many`.
    """
    digits, params, batches = _digits()
    rows = [
        (name, alpha0 * b / BASE_BATCH, b, float(warmup))
        for name, alpha0, warmup in settings
        for b in sizes
    ]
    if len(rows) > _RUNS:
        raise ValueError(f"at most {_RUNS} runs per call, got {len(rows)}")
    padded = rows + [rows[-1]] * (_RUNS - len(rows))
    rates = jnp.asarray([r[1] for r in padded], jnp.float32)
    choices = jnp.asarray([[float(r[0] == n) for n in _NAMES] for r in padded], jnp.float32)
    weights = _batch_weights([r[2] for r in padded])
    warmups = jnp.asarray([r[3] for r in padded], jnp.float32)
    losses, accuracy = _train_many(params, rates, warmups, choices, weights, batches, tuple(digits))
    losses, accuracy = np.asarray(losses), np.asarray(accuracy)
    out = []
    for i in range(len(settings)):
        block = slice(i * len(sizes), (i + 1) * len(sizes))
        rates_i = np.asarray([r[1] for r in rows[block]], np.float32)
        out.append((rates_i, losses[block], accuracy[block]))
    return out


_RUNS = 16
"""Rows of every call of the compiled training program: 4 optimizers × 4 batch sizes."""


@functools.lru_cache(maxsize=64)
def _cached_runs(alphas: tuple[float, ...]) -> dict[str, BatchRuns]:
    """All four optimizers (α₀ in the order of ``_NAMES``) over :data:`BATCH_SIZES`, remembered."""
    results = _all_runs(
        tuple((n, a, 1.0) for n, a in zip(_NAMES, alphas, strict=True)), BATCH_SIZES
    )
    return {name: BatchRuns(BATCH_SIZES, *r) for name, r in zip(_NAMES, results, strict=True)}


_DEFAULT_ALPHAS = tuple(BASE_LEARNING_RATES[name] for name in _NAMES)


def trust_ratios() -> dict[str, Any]:
    """Per layer of the digits MLP at initialisation: ‖θ‖, ‖g‖ and ‖θ‖/‖g‖ (full-batch g).

    One global α moves layer l by α‖g^(l)‖, a fraction α‖g^(l)‖/‖θ^(l)‖ of its
    weights; the spread of ‖θ‖/‖g‖ across layers is what LARS's trust ratio
    equalises.
    """
    digits, params, _ = _digits()
    grads = jax.grad(nn.cross_entropy_loss)(params, digits.x_train, digits.y_train)
    rows = []
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        for kind in ("w", "b"):
            theta = float(np.linalg.norm(np.asarray(p[kind])))
            grad = float(np.linalg.norm(np.asarray(g[kind])))
            rows.append((f"layer {i + 1} {kind}", theta, grad, theta / grad if theta else math.nan))
    weights = [r[3] for r in rows if r[0].endswith("w")]
    return {"rows": rows, "weight_ratio_spread": max(weights) / min(weights)}


def _final_loss(losses: np.ndarray, window: int = 20) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        tail = np.mean(losses[:, -window:], axis=1)
    return np.where(np.isfinite(tail), tail, np.inf)


def large_batch_figure(names=("sgd", "adam", "lars", "lamb")) -> Experiment:
    """Validation accuracy after :data:`BATCH_STEPS` steps against B, α scaled linearly.

    Returns the figure and ``numbers[name]`` = the list of accuracies over
    :data:`BATCH_SIZES` (and the final training losses under ``"loss_<name>"``).
    """
    fig, ax = plot.figure(ncols=1, width=6.0, height=3.4)
    numbers: dict[str, Any] = {"batch_sizes": list(BATCH_SIZES)}
    for i, name in enumerate(names):
        runs = _cached_runs(_DEFAULT_ALPHAS)[name]
        ax.plot(
            BATCH_SIZES,
            runs.accuracy,
            "o-",
            color=plot.color(i),
            lw=1.6,
            label=f"{_LABELS[name]} (α₀ = {BASE_LEARNING_RATES[name]:g})",
        )
        numbers[name] = [float(a) for a in runs.accuracy]
        numbers[f"loss_{name}"] = [float(v) for v in _final_loss(runs.losses)]
    ax.set_xscale("log", base=2)
    ax.set_xticks(BATCH_SIZES, [str(b) for b in BATCH_SIZES])
    ax.set_ylim(0, 1.02)
    ax.axhline(0.1, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel(f"batch size B (α = α₀ B / {BASE_BATCH})")
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"digits MLP after {BATCH_STEPS} steps, linear scaling rule", fontsize=10)
    ax.legend(fontsize=8, loc="lower left")
    return Experiment(fig, numbers)


class _BatchPanels:
    def __init__(self, names):
        self.figure, self.ax = plot.figure(ncols=1, width=6.4, height=3.4)
        self.lines = {}
        for i, name in enumerate(names):
            (self.lines[name],) = self.ax.plot([], [], color=plot.color(i), lw=1.3)
        self.ax.set_yscale("log")
        self.ax.set_xlim(0, BATCH_STEPS)
        self.ax.set_ylim(1e-3, 30)
        self.ax.set_xlabel("step t")
        self.ax.set_ylabel("mini-batch loss (clipped at 30)")
        self.title = self.ax.set_title("", fontsize=10)

    def draw(self, result):
        batch, curves = result
        t = np.arange(1, BATCH_STEPS + 1)
        for name, (alpha, losses, accuracy) in curves.items():
            shown = np.where(np.isfinite(losses), np.clip(losses, 1e-3, 30), 30)
            self.lines[name].set_data(t, shown)
            self.lines[name].set_label(
                f"{_LABELS[name]}: α = {alpha:.3g}, val. acc. {accuracy:.2f}"
            )
        self.ax.legend(fontsize=8, loc="center right", framealpha=0.9)
        self.title.set_text(f"B = {batch}, α = α₀ · {batch}/{BASE_BATCH}")


def large_batch_widget(names=("sgd", "adam", "lars", "lamb"), frames: int | None = 9):
    """Training curves of the four optimizers at one batch size, with α₀ sliders.

    Controls: ``log2_batch`` (log₂ B, from 3 to 9) and one log slider per
    optimizer for α₀ (at B₀ = 8).  Every move reruns the compiled
    :func:`_train_many` programs; B and α are data.  The site explores log₂ B.
    """
    for name in names:
        _factory(name)
    panels = _BatchPanels(names)

    def compute(log2_batch, **alphas):
        batch = int(2 ** round(float(log2_batch)))
        if batch not in BATCH_SIZES:
            batch = min(BATCH_SIZES, key=lambda b: abs(b - batch))
        row = BATCH_SIZES.index(batch)
        curves = {}
        chosen = tuple(float(alphas.get(f"alpha_{n}", BASE_LEARNING_RATES[n])) for n in _NAMES)
        all_runs = _cached_runs(chosen)
        for name in names:
            runs = all_runs[name]
            curves[name] = (
                float(runs.learning_rates[row]),
                runs.losses[row],
                float(runs.accuracy[row]),
            )
        return batch, curves

    controls = {"log2_batch": widgets.slider("log₂ B", 9.0, 3.0, 9.0, 2.0)}
    for name in names:
        value = BASE_LEARNING_RATES[name]
        exponent = math.log10(value)
        controls[f"alpha_{name}"] = widgets.log_slider(
            f"α₀ {_LABELS[name]}", value, math.floor(exponent) - 1, math.floor(exponent) + 2
        )
    widget = widgets.interactive(compute, panels.draw, controls, panels.figure, static="log2_batch")
    widget.panels = panels
    if frames is not None:
        widget.static_html(frames=_whole(frames, "frames", 2))
    return widget


# --------------------------------------------------------------------------
# Lookahead
# --------------------------------------------------------------------------

LOOKAHEAD_Q = np.diag([1.0, 10.0])
"""Q of the noisy quadratic ½θᵀQθ of the Lookahead widget (κ = 10)."""
LOOKAHEAD_STEPS = 120
_LOOKAHEAD_NOISE = 1.0


@functools.cache
def _lookahead_noise(steps: int = LOOKAHEAD_STEPS, seed: int = 0) -> jnp.ndarray:
    rng = np.random.default_rng(seed)
    return jnp.asarray(rng.normal(size=(steps, 2)), jnp.float32)


@jax.jit
def _lookahead_scan(theta0, Q, noise, learning_rate, sync_period, slow_step_size, sigma):
    """SGD inside Lookahead on ½θᵀQθ with gradient noise σξ_t: fast and slow weights per step.

    g_t = Qφ_{t−1} + σ ξ_t.  ``sync_period`` is a traced number (rounded), so
    moving k does not recompile.
    """
    k = jnp.maximum(jnp.round(sync_period), 1.0)
    tx = opt.lookahead(opt.sgd(learning_rate), k, slow_step_size)

    def step(carry, xi):
        phi, state = carry
        grads = Q @ phi + sigma * xi
        inner, inner_state = tx.update(grads, state, phi)
        fast = phi - learning_rate * grads  # the inner SGD step, before any sync
        new_phi = opt.apply_updates(phi, inner)
        return (new_phi, inner_state), (fast, inner_state.slow, new_phi)

    _, (fast, slow, params) = jax.lax.scan(step, (theta0, tx.init(theta0)), noise)
    return fast, slow, params


def lookahead_path(
    sync_period: float = 5.0,
    slow_step_size: float = 0.5,
    learning_rate: float = 0.1,
    sigma: float = _LOOKAHEAD_NOISE,
) -> dict[str, np.ndarray]:
    """Fast weights φ_t (before any sync), slow weights θ and params, step by step.

    ``fast[t]`` is φ after the inner SGD step t, ``slow[t]`` the slow weights after
    step t, ``params[t]`` what the caller holds (= ``slow[t]`` at syncs).
    """
    theta0 = jnp.asarray([2.0, 1.5], jnp.float32)
    fast, slow, params = _lookahead_scan(
        theta0,
        jnp.asarray(LOOKAHEAD_Q, jnp.float32),
        _lookahead_noise(),
        jnp.float32(learning_rate),
        jnp.float32(sync_period),
        jnp.float32(slow_step_size),
        jnp.float32(sigma),
    )
    start = np.asarray(theta0)[None]
    return {
        "fast": np.concatenate([start, np.asarray(fast)]),
        "slow": np.concatenate([start, np.asarray(slow)]),
        "params": np.concatenate([start, np.asarray(params)]),
        "k": max(round(float(sync_period)), 1),
    }


class _LookaheadPanels:
    def __init__(self):
        self.figure, (self.plane, self.dist) = plot.figure(ncols=2, width=4.3, height=3.6)
        x = np.linspace(-2.5, 2.5, 101)
        X, Y = np.meshgrid(x, x)
        Z = 0.5 * (LOOKAHEAD_Q[0, 0] * X**2 + LOOKAHEAD_Q[1, 1] * Y**2)
        self.plane.contour(X, Y, Z, levels=np.geomspace(0.05, 30, 10), colors="0.8", linewidths=0.7)
        (self.sgd,) = self.plane.plot([], [], color="0.6", lw=0.7, label="plain SGD")
        (self.fast,) = self.plane.plot([], [], color=plot.color(0), lw=0.9, label="fast weights φ")
        (self.slow,) = self.plane.plot(
            [], [], "o-", color=plot.color(1), lw=1.8, ms=4, label="slow weights θ"
        )
        self.plane.plot([0], [0], "k*", ms=9)
        self.plane.set_xlim(-2.5, 2.5)
        self.plane.set_ylim(-2.5, 2.5)
        self.plane.set_aspect("equal")
        self.plane.legend(fontsize=8, loc="lower left")
        self.plane.set_title("½θᵀQθ, Q = diag(1, 10), noisy gradients", fontsize=10)
        t = np.arange(LOOKAHEAD_STEPS + 1)
        (self.sgd_dist,) = self.dist.plot(t, t * 0.0 + 1, color="0.6", lw=1.0, label="plain SGD")
        (self.la_dist,) = self.dist.plot(
            t, t * 0.0 + 1, color=plot.color(1), lw=1.5, label="Lookahead"
        )
        self.dist.set_yscale("log")
        self.dist.set_ylim(1e-3, 10)
        self.dist.set_xlim(0, LOOKAHEAD_STEPS)
        self.dist.set_xlabel("step t")
        self.dist.set_title("L(θ_t) of the held params", fontsize=10)
        self.dist.legend(fontsize=8, loc="upper right")

    def draw(self, result):
        run, sgd = result
        k = run["k"]
        self.sgd.set_data(sgd["params"][:, 0], sgd["params"][:, 1])
        self.fast.set_data(run["fast"][:, 0], run["fast"][:, 1])
        syncs = run["slow"][::k]
        self.slow.set_data(syncs[:, 0], syncs[:, 1])

        def loss(p):
            return 0.5 * np.einsum("ti,ij,tj->t", p, LOOKAHEAD_Q, p)

        self.sgd_dist.set_ydata(np.clip(loss(sgd["params"]), 1e-3, 10))
        self.la_dist.set_ydata(np.clip(loss(run["params"]), 1e-3, 10))


def lookahead_widget(frames: int | None = 9) -> widgets.Interactive:
    """Fast and slow weights of SGD inside Lookahead on a noisy quadratic.

    Controls: k (a float slider, rounded inside: the sync period stays a traced
    number), α_s and α.  Plain SGD (α_s = 1, which makes Lookahead the identity)
    runs on the same noise for comparison.  The site explores α_s.
    """
    panels = _LookaheadPanels()

    def compute(sync_period, slow_step_size, learning_rate):
        run = lookahead_path(sync_period, slow_step_size, learning_rate)
        sgd = lookahead_path(sync_period, 1.0, learning_rate)
        return run, sgd

    controls = {
        "sync_period": widgets.slider("k", 5.0, 1.0, 20.0, 1.0),
        "slow_step_size": widgets.slider("α_s", 0.5, 0.05, 1.0, 0.05),
        "learning_rate": widgets.slider("α", 0.1, 0.01, 0.19, 0.01),
    }
    widget = widgets.interactive(
        compute, panels.draw, controls, panels.figure, static="slow_step_size"
    )
    widget.panels = panels
    if frames is not None:
        widget.static_html(frames=_whole(frames, "frames", 2))
    return widget


def lookahead_variance_ratio(
    slow_step_size: Any, sync_period: int, learning_rate: float, curvature: float
) -> Any:
    """Predicted stationary Var[θ]/Var[SGD] on ½λθ² with gradient noise (a = 1 − αλ):

    ``α_s (1 + a^k) / (2 − α_s (1 − a^k))``; equal to 1 at α_s = 1.
    """
    a = 1.0 - learning_rate * curvature
    ak = a**sync_period
    return slow_step_size * (1 + ak) / (2 - slow_step_size * (1 - ak))


@functools.partial(jax.jit, static_argnames=("steps",))
def _stationary_variance(slow_step_size, sync_period, learning_rate, curvature, noise, steps):
    """Variance over chains of the held params at the syncs of the second half of the run."""

    def one_chain(alpha_s, xi):
        tx = opt.lookahead(opt.sgd(learning_rate), sync_period, alpha_s)
        theta0 = jnp.zeros(1, jnp.float32)

        def step(carry, x):
            p, state = carry
            updates, state = tx.update(curvature * p + x, state, p)
            p = opt.apply_updates(p, updates)
            return (p, state), p[0]

        _, path = jax.lax.scan(step, (theta0, tx.init(theta0)), xi[:, None])
        return path

    paths = jax.vmap(lambda s: jax.vmap(lambda x: one_chain(s, x))(noise))(slow_step_size)
    t = jnp.arange(1, steps + 1)
    keep = ((t % sync_period) == 0) & (t > steps // 2)
    mean = jnp.sum(jnp.where(keep, paths, 0.0), axis=(1, 2)) / (jnp.sum(keep) * noise.shape[0])
    return jnp.sum(jnp.where(keep, (paths - mean[:, None, None]) ** 2, 0.0), axis=(1, 2)) / (
        jnp.sum(keep) * noise.shape[0]
    )


def lookahead_variance_figure(
    learning_rate: float = 0.2, curvature: float = 1.0, chains: int = 400, steps: int = 600
) -> Experiment:
    """Measured and predicted Var[θ]/Var[SGD] against α_s for k = 5 and k = 20.

    On L = ½λθ² with g_t = λθ + ξ_t, ξ_t ~ N(0, 1): SGD's stationary variance is
    ``α²/(1 − a²)``, a = 1 − αλ; Lookahead's slow weights have
    :func:`lookahead_variance_ratio` times it.  Measured over ``chains``
    independent chains, at the syncs of the second half of ``steps`` steps.
    """
    learning_rate = _positive(learning_rate, "learning_rate")
    curvature = _positive(curvature, "curvature")
    rng = np.random.default_rng(3)
    noise = jnp.asarray(rng.normal(size=(_whole(chains, "chains", 2), steps)), jnp.float32)
    slow = np.array([0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0], np.float32)
    a = 1 - learning_rate * curvature
    sgd_variance = learning_rate**2 / (1 - a**2)
    fig, ax = plot.figure(ncols=1, width=5.6, height=3.4)
    grid = np.linspace(0.02, 1.0, 100)
    numbers: dict[str, Any] = {"sgd_variance": sgd_variance, "alpha": learning_rate}
    for i, k in enumerate((5, 20)):
        measured = np.asarray(
            _stationary_variance(
                jnp.asarray(slow),
                jnp.float32(k),
                jnp.float32(learning_rate),
                jnp.float32(curvature),
                noise,
                _whole(steps, "steps", 2),
            )
        )
        ratio = measured / sgd_variance
        predicted = lookahead_variance_ratio(slow, k, learning_rate, curvature)
        ax.plot(
            grid,
            lookahead_variance_ratio(grid, k, learning_rate, curvature),
            color=plot.color(i),
            lw=1.4,
            label=f"predicted, k = {k}",
        )
        ax.plot(slow, ratio, "o", color=plot.color(i), ms=5, label=f"measured, k = {k}")
        numbers[f"measured_k{k}"] = ratio.tolist()
        numbers[f"predicted_k{k}"] = predicted.tolist()
        numbers[f"relative_error_k{k}"] = float(np.max(np.abs(ratio / predicted - 1)))
    numbers["slow_step_sizes"] = slow.tolist()
    ax.set_xlabel("slow step size α_s")
    ax.set_ylabel("Var[θ] / Var[SGD]")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.1)
    ax.set_title(
        f"½λθ² with noisy gradients, α = {learning_rate:g}, λ = {curvature:g}", fontsize=10
    )
    ax.legend(fontsize=8, loc="upper left")
    return Experiment(fig, numbers)


# --------------------------------------------------------------------------
# Schedules and warmup
# --------------------------------------------------------------------------


def schedules_figure(total_steps: int = 1000, b2: float = 0.999) -> Experiment:
    """Left: the package's schedules over ``total_steps``.  Right: RAdam's r_t against warmups.

    The right panel draws r_t for β₂ = ``b2`` (0 before the rectifier switches
    on) beside a linear warmup of 2/(1 − β₂) steps.  ``numbers["equivalent_warmup"]``
    is the length w of the linear warmup with the same total deficit
    Σ_t (1 − r_t) = w/2.
    """
    total = _whole(total_steps, "total_steps", 10)
    t = np.arange(total)
    peak = 1.0
    schedules = {
        "constant": constant_schedule(peak),
        "exponential, ×0.5 per 200": exponential_decay(peak, 200, 0.5),
        "step, ×0.1 every 400": step_decay(peak, 400, 0.1),
        "cosine": cosine_decay_schedule(peak, total),
        "warmup 100 + cosine": warmup_cosine_decay_schedule(0.0, peak, 100, total),
        "linear warmup 200": linear_schedule(0.0, peak, 200),
    }
    fig, (left, right) = plot.figure(ncols=2, width=4.6, height=3.4)
    values = {}
    for i, (label, schedule) in enumerate(schedules.items()):
        values[label] = np.asarray(jax.vmap(schedule)(jnp.asarray(t)))
        left.plot(t, values[label], color=plot.color(i), lw=1.4, label=label)
    left.set_xlabel("step t")
    left.set_ylabel("α_t / α")
    left.set_title("opt.schedules", fontsize=10)
    left.legend(fontsize=7.5, loc="upper right")
    left.set_ylim(0, 1.1)
    horizon = int(6 / (1 - b2))
    steps = np.arange(1, horizon + 1)
    r = np.nan_to_num(radam_rectifier(steps, b2), nan=0.0)
    length = 2 / (1 - b2)
    deficit = float(np.sum(1 - r))
    equivalent = 2 * deficit
    right.plot(steps, r, color=plot.color(1), lw=1.6, label=f"RAdam's r_t, β₂ = {b2:g}")
    right.plot(
        steps,
        np.minimum(steps / length, 1),
        color="0.3",
        lw=1.2,
        ls="--",
        label=f"linear warmup, 2/(1 − β₂) = {length:.0f} steps",
    )
    right.plot(
        steps,
        np.minimum(steps / equivalent, 1),
        color=plot.color(0),
        lw=1.8,
        ls=":",
        label=f"linear warmup, same deficit: {equivalent:.0f} steps",
    )
    right.set_xlabel("step t")
    right.set_title("the rectifier is a warmup", fontsize=10)
    right.legend(fontsize=7.5, loc="lower right")
    right.set_ylim(0, 1.05)
    right.set_xlim(0, horizon)
    numbers = {
        "b2": b2,
        "warmup_length": length,
        "equivalent_warmup": equivalent,
        "r_at_length": float(r[int(length) - 1]),
        "r_half_step": int(steps[np.argmax(r >= 0.5)]),
        "step_value_500": float(values["step, ×0.1 every 400"][500]),
        "cosine_mid": float(values["cosine"][total // 2]),
        "warmup_first": float(values["warmup 100 + cosine"][0]),
    }
    return Experiment(fig, numbers)


WARMUP_BATCH = 32
"""The batch size of the warmup experiment."""


def warmup_runs(
    learning_rates=(0.01, 0.03, 0.1), warmup: float = 50.0
) -> dict[tuple[float, float], tuple[np.ndarray, float]]:
    """Adam on the digits MLP at B = :data:`WARMUP_BATCH`, with and without a linear warmup.

    Returns ``(α, w) → (mini-batch losses, validation accuracy)`` for w = 1 (no
    warmup) and w = ``warmup``: α_t rises from α/w to α over w steps
    (``opt.schedules.linear_schedule``).  The same compiled program as the
    large-batch experiment.
    """
    rates = [_positive(a, "learning_rates") for a in learning_rates]
    warmup = _positive(warmup, "warmup")
    if not 1 <= len(rates) <= _RUNS // 2:
        raise ValueError(f"learning_rates must hold 1 to {_RUNS // 2} values, got {len(rates)}")
    settings = tuple(
        ("adam", a * BASE_BATCH / WARMUP_BATCH, w) for a in rates for w in (1.0, warmup)
    )
    results = _all_runs(settings, (WARMUP_BATCH,))
    return {
        (a, w): (r[1][0], float(r[2][0]))
        for (_, _, w), a, r in zip(
            settings, [a for a in rates for _ in (0, 1)], results, strict=True
        )
    }


def warmup_figure(learning_rates=(0.01, 0.03, 0.1), warmup: float = 50.0) -> Experiment:
    """Adam's training loss with and without warmup for a few α (see :func:`warmup_runs`)."""
    runs = warmup_runs(learning_rates, warmup)
    fig, ax = plot.figure(ncols=1, width=6.0, height=3.4)
    t = np.arange(1, BATCH_STEPS + 1)
    numbers: dict[str, Any] = {"warmup": warmup, "batch": WARMUP_BATCH}
    for i, a in enumerate(learning_rates):
        for w, style in ((1.0, "-"), (warmup, "--")):
            losses, accuracy = runs[(float(a), float(w))]
            smooth = np.convolve(np.nan_to_num(losses, nan=30.0), np.ones(10) / 10, mode="valid")
            label = f"α = {a:g}, " + ("no warmup" if w == 1.0 else f"warmup {w:g}")
            ax.plot(
                t[9:],
                np.clip(smooth, 1e-4, 30),
                style,
                color=plot.color(i),
                lw=1.4,
                label=f"{label}: val. acc. {accuracy:.2f}",
            )
            numbers[f"accuracy_{a:g}_{'warmup' if w != 1.0 else 'none'}"] = accuracy
            numbers[f"loss_{a:g}_{'warmup' if w != 1.0 else 'none'}"] = float(np.mean(losses[-20:]))
    ax.set_yscale("log")
    ax.set_xlim(0, BATCH_STEPS)
    ax.set_xlabel("step t")
    ax.set_ylabel("mini-batch loss (mean of 10)")
    ax.set_title(f"Adam on the digits MLP, B = {WARMUP_BATCH}", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper right", ncols=1)
    return Experiment(fig, numbers)
