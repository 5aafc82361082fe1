"""How fast is one optimizer step on a large model, against optax and against memory?

For each optimizer, the jitted step ``update`` + ``apply_updates`` (params and
state donated, so both update in place) on a dict of four float32 leaves
totalling 1M and 10M parameters, and the same step of the equivalent optax
optimizer, measured in the same run, interleaved (a block of our steps, a
block of optax's, the order alternating from round to round) so that drift on
a shared machine hits both.

Two ratios ours/optax, each against the target 1.05:

- **measured time**: the median over rounds of the paired ratio (our block over
  optax's block of the same round), with a 90% bootstrap interval. The target
  is met when the whole interval is at or below 1.05, missed when the whole
  interval is above it, and the measurement cannot tell ("noise") otherwise.
  An A/A control, optax's SGD against itself, shows how far two identical
  programs drift apart on this machine.
- **XLA's cost model**: the bytes accessed and the flops the compiler counts in
  the two compiled steps. Deterministic, so it is free of the machine's noise;
  a step on this scale is memory-bound, so equal bytes mean equal work.

And how close the step is to the memory-bandwidth bound: a step must at least
read params, grads and every state buffer and write params and state back
(:func:`bytes_moved`), and the bound is that many bytes at the best bandwidth of a
jitted ``x + 1`` on the same number of parameters.

    python benchmarks/throughput.py
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from common import median, summarize, summary_row, table

import optimizers as opt

SIZES = (1_000_000, 10_000_000)
ROUNDS = 21
BOOTSTRAP = 2000
TARGET_RATIO = 1.05
LR = 1e-3


def optax_ralamb(learning_rate):
    """RAdam's step through LAMB's trust ratio, from optax's building blocks (no ralamb in optax)."""
    return optax.chain(
        optax.scale_by_radam(),
        optax.scale_by_trust_ratio(),
        optax.scale_by_learning_rate(learning_rate),
    )


CONTROL = "A/A control"
"""optax's SGD against itself: the ratio two identical programs get, i.e. the noise floor."""

# name -> (ours, optax's, how optax's is made); None: no optax equivalent, with the reason
PAIRS = {
    CONTROL: (optax.sgd(LR), optax.sgd(LR), "sgd (itself)"),
    "sgd": (opt.sgd(LR), optax.sgd(LR), "sgd"),
    "momentum": (opt.sgd(LR, momentum=0.9), optax.sgd(LR, momentum=0.9), "sgd"),
    "nesterov": (
        opt.sgd(LR, momentum=0.9, nesterov=True),
        optax.sgd(LR, momentum=0.9, nesterov=True),
        "sgd",
    ),
    "adagrad": (opt.adagrad(LR), optax.adagrad(LR), "adagrad"),
    "rmsprop": (opt.rmsprop(LR), optax.rmsprop(LR), "rmsprop"),
    "adadelta": (opt.adadelta(LR), optax.adadelta(LR), "adadelta"),
    "adam": (opt.adam(LR), optax.adam(LR), "adam"),
    "adamax": (opt.adamax(LR), optax.adamax(LR), "adamax"),
    "nadam": (opt.nadam(LR), optax.nadam(LR), "nadam"),
    "amsgrad": (opt.amsgrad(LR), optax.amsgrad(LR), "amsgrad"),
    "adamw": (opt.adamw(LR), optax.adamw(LR), "adamw"),
    "radam": (opt.radam(LR), optax.radam(LR), "radam"),
    "adabound": None,
    "amsbound": None,
    "lars": (opt.lars(LR), optax.lars(LR), "lars"),
    "lamb": (opt.lamb(LR), optax.lamb(LR), "lamb"),
    "lookahead": (
        opt.lookahead(opt.sgd(LR), 5, 0.5),
        optax.lookahead(optax.sgd(LR), 5, 0.5),
        "lookahead(sgd)",
    ),
    "ranger": (
        opt.ranger(LR),
        optax.lookahead(optax.radam(LR, b1=0.95, eps=1e-5), 6, 0.5),
        "lookahead(radam)",
    ),
    "ralamb": (opt.ralamb(LR), optax_ralamb(LR), "chain(radam, trust ratio)"),
    "ranger_lars": (
        opt.ranger_lars(LR),
        optax.lookahead(optax_ralamb(LR), 6, 0.5),
        "lookahead(chain(...))",
    ),
}
SKIPPED = "optax has no AdaBound/AMSBound (dynamic bounds on the step)"


def make_params(size: int) -> dict:
    """Four leaves, three matrices and a bias, ``size`` float32 numbers in all."""
    cols = 1000
    rows = size // cols
    shapes = {"w1": (rows // 2, cols), "w2": (rows * 3 // 10, cols)}
    shapes["w3"] = (rows - shapes["w1"][0] - shapes["w2"][0] - 1, cols)
    shapes["b"] = (cols,)
    keys = jax.random.split(jax.random.PRNGKey(0), len(shapes))
    return {
        name: 0.1 * jax.random.normal(key, shape)
        for key, (name, shape) in zip(keys, shapes.items(), strict=True)
    }


def nbytes(tree) -> int:
    """Bytes of all arrays in a pytree."""
    return sum(np.asarray(leaf).nbytes for leaf in jax.tree_util.tree_leaves(tree))


def bytes_moved(params, state) -> int:
    """The least a step must move: read params, grads and state; write params and state."""
    return 3 * nbytes(params) + 2 * nbytes(state)


def stepper(tx, apply_updates):
    """``step(params, state, grads) -> (params, state)``, jitted, params and state donated."""

    def step(params, state, grads):
        updates, state = tx.update(grads, state, params)
        return apply_updates(params, updates), state

    return jax.jit(step, donate_argnums=(0, 1))


class Runner:
    """One optimizer's step and its own copy of params and state, to be stepped in blocks."""

    def __init__(self, tx, apply_updates, params, grads):
        self.step = stepper(tx, apply_updates)
        self.params = jax.tree_util.tree_map(jnp.copy, params)
        # distinct buffers: an init may share one array of zeros between leaves, which
        # cannot be donated twice
        self.state = jax.tree_util.tree_map(jnp.copy, tx.init(self.params))
        self.grads = grads
        self.run(2)  # compile and warm up

    def run(self, calls: int) -> float:
        """Seconds per step over ``calls`` steps."""
        start = time.perf_counter()
        for _ in range(calls):
            self.params, self.state = self.step(self.params, self.state, self.grads)
        jax.block_until_ready((self.params, self.state))
        return (time.perf_counter() - start) / calls


def optax_params(pair_name: str, params):
    """optax's Lookahead keeps fast and slow weights in the params (``LookaheadParams``)."""
    if pair_name in ("lookahead", "ranger", "ranger_lars"):
        return optax.LookaheadParams.init_synced(params)
    return params


def copy_bandwidth(size: int, rounds: int = ROUNDS) -> float:
    """Bytes per second of a jitted, donated ``x + 1`` on ``size`` float32 (reads and writes x)."""
    add_one = jax.jit(lambda x: x + 1, donate_argnums=0)
    x = add_one(jnp.zeros(size, jnp.float32))
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(10):
            x = add_one(x)
        x.block_until_ready()
        times.append((time.perf_counter() - start) / 10)
    return 2 * 4 * size / min(times)  # the best round: the bound is what the memory can do


def xla_cost(runner: Runner) -> tuple[float, float]:
    """(bytes accessed, flops) of the compiled step, as XLA's cost model counts them."""
    compiled = runner.step.lower(runner.params, runner.state, runner.grads).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost  # a list of one dict in older JAX
    return cost["bytes accessed"], cost["flops"]


def median_interval(ratios: list[float], level: float = 0.9) -> tuple[float, float, float]:
    """The median of ``ratios`` and a bootstrap interval for it (fixed seed: reproducible)."""
    samples = np.random.default_rng(0).choice(ratios, size=(BOOTSTRAP, len(ratios)))
    medians = np.median(samples, axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(medians, [tail, 100 - tail])
    return median(ratios), float(low), float(high)


def compare(name: str, size: int, params, grads, bandwidth: float) -> dict:
    ours_tx, optax_tx, _ = PAIRS[name]
    ours = Runner(ours_tx, opt.apply_updates, params, grads)
    theirs = Runner(optax_tx, optax.apply_updates, optax_params(name, params), grads)
    (ours_bytes, ours_flops), (optax_bytes, optax_flops) = xla_cost(ours), xla_cost(theirs)
    calls = max(2, int(1e8 // size))  # about 100M parameters' worth of steps per block
    ours_times, optax_times = [], []
    for round_number in range(ROUNDS):
        # alternate which goes first: the first block after a switch pays for the other's traffic
        if round_number % 2 == 0:
            ours_times.append(ours.run(calls))
            optax_times.append(theirs.run(calls))
        else:
            optax_times.append(theirs.run(calls))
            ours_times.append(ours.run(calls))
    ratio, low, high = median_interval(
        [a / b for a, b in zip(ours_times, optax_times, strict=True)]
    )
    moved = bytes_moved(ours.params, ours.state)
    ours_time = median(ours_times)
    return {
        "name": name,
        "size": size,
        "ours ms": 1e3 * ours_time,
        "optax ms": 1e3 * median(optax_times),
        "ratio": ratio,
        "low": low,
        "high": high,
        "xla bytes": ours_bytes / optax_bytes,
        "xla flops": ours_flops / optax_flops,
        "MB moved": moved / 1e6,
        "GB/s": moved / ours_time / 1e9,
        "of bound": moved / bandwidth / ours_time,
    }


def time_verdict(result: dict) -> bool | str:
    """Met if the whole interval is within the target, missed if it is all above."""
    if result["high"] <= TARGET_RATIO:
        return True
    if result["low"] > TARGET_RATIO:
        return False
    return "noise"


def main() -> None:
    rows, results = [], []
    for size in SIZES:
        params = make_params(size)
        grads = jax.tree_util.tree_map(lambda p: 1e-3 * jnp.ones_like(p), params)
        bandwidth = copy_bandwidth(size)
        print(
            f"{size / 1e6:g}M parameters: copy bandwidth (jitted x + 1) {bandwidth / 1e9:.1f} GB/s"
        )
        for name, pair in PAIRS.items():
            if pair is None:
                continue
            result = compare(name, size, params, grads, bandwidth)
            results.append(result)
            rows.append(
                (
                    name,
                    f"{size / 1e6:g}M",
                    pair[2],
                    result["ours ms"],
                    result["optax ms"],
                    f"{result['ratio']:.2f}",
                    f"{result['low']:.2f}-{result['high']:.2f}",
                    f"{result['xla bytes']:.2f}",
                    f"{result['xla flops']:.2f}",
                    result["MB moved"],
                    result["GB/s"],
                    f"{100 * result['of bound']:.0f}%",
                )
            )
    print(
        f"\njitted update + apply_updates, donated buffers; {ROUNDS} interleaved blocks each,"
        " (order alternating); ms: median; ratio: median of the paired ratios, with its 90%"
        " bootstrap interval; XLA: ours/optax in bytes accessed and flops, XLA's cost model"
    )
    print(
        table(
            [
                "optimizer",
                "params",
                "optax",
                "ours ms",
                "optax ms",
                "ratio",
                "90% interval",
                "XLA bytes",
                "XLA flops",
                "MB",
                "GB/s",
                "of bound",
            ],
            rows,
        )
    )
    print(f"skipped adabound, amsbound: {SKIPPED}")
    summarize(summary_rows(results))


def summary_rows(results: list[dict]) -> list[dict]:
    out = []
    for size in SIZES:
        at = f"at {size / 1e6:g}M"
        control = next(r for r in results if r["size"] == size and r["name"] == CONTROL)
        here = [r for r in results if r["size"] == size and r["name"] != CONTROL]
        worst = max(here, key=lambda r: r["ratio"])
        slower = [r["name"] for r in here if time_verdict(r) is False]
        unsure = [r["name"] for r in here if time_verdict(r) == "noise"]
        verdicts = [time_verdict(r) for r in here]
        met = False if False in verdicts else ("noise" if "noise" in verdicts else True)
        notes = (f"; slower: {', '.join(slower)}" if slower else "") + (
            f"; within noise: {len(unsure)}" if unsure else ""
        )
        out.append(
            summary_row(
                "throughput",
                f"ours/optax time {at}, worst median of {len(here)} ({worst['name']}){notes}",
                f"{worst['ratio']:.2f} ({worst['low']:.2f}-{worst['high']:.2f})",
                f"<= {TARGET_RATIO}",
                met,
            )
        )
        out.append(
            summary_row(
                "throughput",
                f"A/A control {at}: optax sgd against itself (noise floor)",
                f"{control['ratio']:.2f} ({control['low']:.2f}-{control['high']:.2f})",
                "none",
                None,
            )
        )
        worst_bytes = max(here, key=lambda r: r["xla bytes"])
        out.append(
            summary_row(
                "throughput",
                f"ours/optax bytes accessed {at}, XLA's count, worst of {len(here)}"
                f" ({worst_bytes['name']})",
                f"{worst_bytes['xla bytes']:.2f}",
                f"<= {TARGET_RATIO}",
                worst_bytes["xla bytes"] <= TARGET_RATIO,
            )
        )
        fractions = [r["of bound"] for r in here]
        out.append(
            summary_row(
                "throughput",
                f"share of the bandwidth bound {at} (median; worst)",
                f"{100 * median(fractions):.0f}%; {100 * min(fractions):.0f}%",
                "none",
                None,
            )
        )
    return out


if __name__ == "__main__":
    main()
