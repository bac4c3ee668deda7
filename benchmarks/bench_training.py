"""Training throughput: the package's training path against plain ``model.fit``.

Three measurements, each side by side in one process, with the two sides
alternated (plain first in even repeats, package first in odd ones) so that
drift in the machine's speed favours neither:

1. **One run**: the baseline model for ``--epochs`` epochs on full MNIST.
   Plain: ``model.fit`` on the NumPy arrays with TensorFlow's default
   threads, as a reader would write it. Package:
   :func:`mnist_tutorial.training.train`, which trains in a worker process
   with the same plain ``model.fit`` call, a fixed thread count and many
   steps per execution (and writes its run cache entry).
2. **A batch of runs**: ``--seeds`` seeds of the same run. Plain: one
   ``model.fit`` after the other. Package: one
   :func:`mnist_tutorial.training.train_many` call, which trains them in
   parallel worker processes (one per core by default).
3. **A cache hit**: the same call again.

Both sides get an untimed warm-up first (a plain fit in this process; a
package run, which also starts the worker processes, reused afterwards as
in a site build). Each package run writes to a fresh run cache, so it
trains. Throughput is training samples (examples x epochs) per second of
wall time.

Last, the package's epochs against the arithmetic floor of
``hardware_floor.py`` (the epoch's FLOPs over one core's peak): the median
epoch of a worker training alone (the one-run measurement) and of a worker
training beside others (the batch), and the batch's wall time per epoch
against the floor of all the workers' cores together.

Run with ``nox -s bench`` or ``python benchmarks/bench_training.py``;
``nox -s bench -- --breakdown`` also runs ``epoch_breakdown.py``, which
takes one epoch apart.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import keras
from hardware_floor import epoch_floor_seconds

from mnist_tutorial import config, data, models, training

BUILD = functools.partial(models.build_model, learning_rate=0.01)


def plain_fits(dataset: data.Dataset, epochs: int, seeds: range) -> None:
    """Train the runs with plain Keras, one after the other, in this process."""
    for seed in seeds:
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        model = BUILD()
        model.fit(
            dataset.x_train,
            dataset.y_train,
            batch_size=32,
            epochs=epochs,
            validation_data=(dataset.x_test, dataset.y_test),
            verbose=0,
        )


def package_runs(dataset: data.Dataset, epochs: int, seeds: range) -> list[training.RunRecord]:
    """Train (or replay) the runs with the package, without printing their logs."""
    runs = [training.RunConfig(BUILD, epochs=epochs, seed=seed) for seed in seeds]
    return training.train_many(runs, dataset, emit=lambda line: None)


def timed(function: Callable[[], object]) -> tuple[float, object]:
    """Return the wall time of a call, and what it returned."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def report_floor(
    dataset: data.Dataset,
    alone: list[training.RunRecord],
    beside: list[training.RunRecord],
    batch_seconds: float,
) -> None:
    """Print the workers' epochs against the arithmetic floor of an epoch."""
    floor = epoch_floor_seconds(BUILD(), dataset.x_train.shape[0], dataset.x_test.shape[0])
    for name, records in (("alone", alone), ("beside others", beside)):
        # A run's first epoch also traces the training function: left out.
        epochs = [seconds for record in records for seconds in record.epoch_seconds[1:]]
        if not epochs:
            print(f"  a worker's epoch, training {name}: needs --epochs 2 or more")
            continue
        median = statistics.median(epochs)
        print(
            f"  a worker's epoch, training {name}: median {median:.2f} s of {len(epochs)}"
            " (each run's first left out)"
            f" = {median / floor:.2f}x the one-core floor ({floor:.2f} s)"
        )
    cores = min(config.workers(), config.usable_cores())
    per_epoch = batch_seconds / sum(record.epochs for record in beside)
    print(
        f"  the batch: {per_epoch:.2f} s of wall time per epoch"
        f" = {per_epoch / (floor / cores):.2f}x the floor of {cores} cores ({floor / cores:.2f} s)"
    )


def report(name: str, samples: int, times: dict[str, list[float]], target: float) -> float:
    """Print each side's median and range and return the throughput ratio."""
    for side, seconds in times.items():
        print(
            f"  {name}, {side:7s}: median {statistics.median(seconds):6.1f} s, "
            f"range {min(seconds):.1f}-{max(seconds):.1f} s, "
            f"{samples * len(seconds) / sum(seconds):7.0f} samples/s"
        )
    ratio = sum(times["plain"]) / sum(times["package"])
    print(f"  {name}: package/plain throughput {ratio:.2f}x (target >= {target}x)")
    return ratio


def measure(epochs: int, seeds: int, repeats: int) -> None:
    """Run the three measurements and print the ratios on the last line."""
    dataset = data.load_dataset()
    samples = epochs * dataset.x_train.shape[0]
    one: dict[str, list[float]] = {"plain": [], "package": []}
    batch: dict[str, list[float]] = {"plain": [], "package": []}
    with tempfile.TemporaryDirectory(prefix="mnist-bench-") as cache:
        counter = iter(range(10_000))

        def fresh_cache() -> None:
            # Each package run must train: a new, empty run cache.
            os.environ[config.ENV_RUN_CACHE] = str(Path(cache) / f"run-{next(counter)}")

        fresh_cache()
        plain_fits(dataset, 1, range(99, 100))
        package_runs(dataset, 1, range(99, 99 + config.workers()))
        print(
            f"Warm-up done; {config.workers()} workers, {config.training_threads()} thread(s) each"
        )

        sides = {"plain": plain_fits, "package": package_runs}
        last_package_cache = ""
        package_records: dict[str, list[training.RunRecord]] = {"one run": [], "batch": []}
        for repeat in range(repeats):
            order = ("plain", "package") if repeat % 2 == 0 else ("package", "plain")
            for name, times, count in (("one run", one, 1), (f"{seeds} runs", batch, seeds)):
                for side in order:
                    fresh_cache()
                    if side == "package":
                        last_package_cache = os.environ[config.ENV_RUN_CACHE]
                    call = functools.partial(sides[side], dataset, epochs, range(count))
                    seconds, records = timed(call)
                    times[side].append(seconds)
                    if side == "package":
                        package_records["one run" if count == 1 else "batch"] += records
                    print(f"  {name}, {side:7s} (repeat {repeat}): {times[side][-1]:.1f} s")

        os.environ[config.ENV_RUN_CACHE] = last_package_cache
        start = time.perf_counter()
        records = package_runs(dataset, epochs, range(seeds))
        hit_seconds = time.perf_counter() - start
        if not all(record.replayed for record in records):
            raise RuntimeError("the final call was expected to replay every run")

    print(f"Data: {dataset}, {epochs} epochs, batch 32, {repeats} repeats a side")
    one_ratio = report("one run", samples, one, 1.3)
    batch_ratio = report(f"{seeds} runs", samples * seeds, batch, 1.8)
    print(f"  cache hit ({seeds} runs): {hit_seconds:.2f} s")
    print(
        f"Ratios: one run {one_ratio:.2f}x (target 1.3x), "
        f"{seeds} runs {batch_ratio:.2f}x (target 1.8x), cache hit {hit_seconds:.2f} s"
    )
    report_floor(
        dataset, package_records["one run"], package_records["batch"], sum(batch["package"])
    )


def positive_int(text: str) -> int:
    """Parse a command-line count that must be at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive_int, default=2)
    parser.add_argument("--seeds", type=positive_int, default=3, help="runs in the batch")
    parser.add_argument("--repeats", type=positive_int, default=2, help="repeats per side")
    arguments = parser.parse_args()
    measure(arguments.epochs, arguments.seeds, arguments.repeats)


if __name__ == "__main__":
    main()
