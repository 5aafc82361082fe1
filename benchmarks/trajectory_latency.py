"""How fast does `trajectory` answer a new learning rate?  (A benchmark, not a test.)

Runs 200 steps of gradient descent with momentum on the 2-D Rosenbrock function
for many different learning rates, as a slider would, and prints the median and
95th percentile of the wall time per call after the first, the number of
compilations those calls caused, and, for scale, the same measurement for the
naive alternative that closes over the learning rate and recompiles per move.

    python benchmarks/trajectory_latency.py
"""

from __future__ import annotations

import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import optimizers as opt
from lab import problems
from lab.trajectory import compilation_count

STEPS = 200
MOVES = 200


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def traced_latencies(problem, rates):
    first = timed(lambda: problem.run(opt.sgd, STEPS, learning_rate=1e-4, momentum=0.9))
    before = compilation_count()
    latencies = [
        timed(lambda lr=lr: problem.run(opt.sgd, STEPS, learning_rate=lr, momentum=0.9).losses)
        for lr in rates
    ]
    return first, latencies, compilation_count() - before


def recompiling_latencies(problem, rates):
    """The anti-pattern: a new closure over the learning rate, jitted per move."""

    def run(lr):
        tx = opt.sgd(lr, momentum=0.9)

        @jax.jit
        def loop(x0):
            def step(carry, _):
                x, state = carry
                updates, state = tx.update(jax.grad(problem.loss)(x), state, x)
                x = opt.apply_updates(x, updates)
                return (x, state), problem.loss(x)

            return jax.lax.scan(step, (x0, tx.init(x0)), None, length=STEPS)[1]

        return loop(jnp.asarray(problem.start)).block_until_ready()

    return [timed(lambda lr=lr: run(lr)) for lr in rates]


def main() -> None:
    problem = problems.rosenbrock()
    rates = np.geomspace(1e-5, 2e-3, MOVES).tolist()
    first, latencies, compilations = traced_latencies(problem, rates)
    naive = recompiling_latencies(problem, rates[:20])
    ms = [1e3 * t for t in latencies]
    naive_ms = [1e3 * t for t in naive]
    print(
        f"trajectory: {STEPS} steps of sgd+momentum on 2-D Rosenbrock, {MOVES} new learning rates"
    )
    print(f"  first call (compiles)      {1e3 * first:8.1f} ms")
    print(f"  later calls, median        {statistics.median(ms):8.3f} ms")
    print(f"  later calls, 95th pct      {percentile(ms, 95):8.3f} ms")
    print(f"  compilations after warm-up {compilations:8d}")
    print(f"  recompiling closure, median{statistics.median(naive_ms):8.1f} ms (20 moves)")
    print(
        f"  speed-up of traced hyperparameters: {statistics.median(naive_ms) / statistics.median(ms):.0f}x"
    )


if __name__ == "__main__":
    main()
