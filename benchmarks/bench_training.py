"""Overhead of :func:`mnist_tutorial.training.train` against a plain ``model.fit``.

Both sides train the same baseline model, on the same full MNIST data, with
the same seed and batch size, in one process. The order alternates
(plain, package, package, plain, ...) so that drift in the machine's speed
does not favour either side. The package side writes its run cache, as it
does in real use; a final identical call measures a cache hit.

Both sides keep their ``tf.data`` iterators alive until the process exits
(``--no-keep-iterators`` turns this off). With TensorFlow 2.21, destroying
the autotuned iterator that ``model.fit`` builds from NumPy arrays blocks
until tf.data's autotuning thread next wakes up: about half of all fits,
plain or not, then sit idle for ~16 s at the end of an epoch (seen in gdb
as ``RootDataset::Iterator::~Iterator`` waiting on ``Model::OptimizeLoop``;
CPU time is unchanged). That stall is the same code path on both sides and
would swamp the few tenths of a second the package adds.

Run with ``nox -s bench`` or ``python benchmarks/bench_training.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from mnist_tutorial import data, models, training


@contextlib.contextmanager
def keep_iterators() -> Iterator[list[Any]]:
    """Keep every ``tf.data`` iterator alive, so none is destroyed while timing."""
    kept: list[Any] = []
    original = tf.data.Dataset.__iter__

    def keeping_iter(dataset: tf.data.Dataset) -> Any:
        iterator = original(dataset)
        kept.append(iterator)
        return iterator

    tf.data.Dataset.__iter__ = keeping_iter
    try:
        yield kept
    finally:
        tf.data.Dataset.__iter__ = original


def plain_fit(dataset: data.Dataset, epochs: int, seed: int) -> float:
    """Train with plain Keras and return the wall time of build + fit."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model = models.build_model(learning_rate=0.01)
    model.fit(
        dataset.x_train,
        dataset.y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(dataset.x_test, dataset.y_test),
        verbose=0,
    )
    return time.perf_counter() - start


def package_train(dataset: data.Dataset, epochs: int, seed: int) -> training.RunRecord:
    """Train (or replay) the same run with the package, without printing its log."""
    return training.train(
        lambda: models.build_model(learning_rate=0.01),
        dataset,
        epochs=epochs,
        batch_size=32,
        seed=seed,
        emit=lambda line: None,
    )


def package_fit(dataset: data.Dataset, epochs: int, seed: int) -> float:
    """Train with the package (cache write included) and return the wall time."""
    start = time.perf_counter()
    package_train(dataset, epochs, seed)
    return time.perf_counter() - start


def measure(epochs: int, repeats: int) -> None:
    """Time both sides, alternating, and print the rates, their ratio and a cache hit."""
    dataset = data.load_dataset()
    samples = epochs * dataset.x_train.shape[0]
    plain_seconds: list[float] = []
    package_seconds: list[float] = []
    # Untimed warm-up: the first fit in a process runs at a different speed
    # from later ones, which would otherwise favour whichever side goes first.
    plain_fit(dataset, 1, seed=99)
    with tempfile.TemporaryDirectory(prefix="mnist-bench-") as cache:
        for repeat in range(repeats):
            # Each package run needs a cache miss: a fresh cache folder per run.
            os.environ[training.ENV_RUN_CACHE] = str(Path(cache) / f"run-{repeat}")
            order = ("plain", "package") if repeat % 2 == 0 else ("package", "plain")
            for side in order:
                fit, times = (
                    (plain_fit, plain_seconds)
                    if side == "plain"
                    else (package_fit, package_seconds)
                )
                times.append(fit(dataset, epochs, seed=repeat))
                print(f"  {side:7s} run {repeat}: {times[-1]:.1f} s", flush=True)

        start = time.perf_counter()
        record = package_train(dataset, epochs, seed=repeats - 1)
        hit_seconds = time.perf_counter() - start
        if not record.replayed:
            raise RuntimeError("the final call was expected to be a cache hit")

    plain_rate = samples * len(plain_seconds) / sum(plain_seconds)
    package_rate = samples * len(package_seconds) / sum(package_seconds)
    for side, seconds in (("plain", plain_seconds), ("package", package_seconds)):
        print(
            f"{side:7s} runs: median {statistics.median(seconds):.1f} s, "
            f"range {min(seconds):.1f}-{max(seconds):.1f} s"
        )
    print(f"Data: {dataset}, {epochs} epochs, batch 32, {repeats} runs a side")
    print(f"Plain model.fit:        {plain_rate:8.0f} samples/s")
    print(f"mnist_tutorial.train:   {package_rate:8.0f} samples/s")
    print(f"Ratio (package/plain):  {package_rate / plain_rate:8.3f}  (target >= 0.97)")
    print(f"Cache hit:              {hit_seconds:8.2f} s  (target <= 2 s)")


def positive_int(text: str) -> int:
    """Parse a command-line count that must be at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def main() -> None:
    """Run the benchmark and print samples per second and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive_int, default=2)
    parser.add_argument("--repeats", type=positive_int, default=2, help="pairs of runs per side")
    parser.add_argument(
        "--keep-iterators",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep tf.data iterators alive on both sides (see the module docstring)",
    )
    arguments = parser.parse_args()
    with keep_iterators() if arguments.keep_iterators else contextlib.nullcontext([]) as kept:
        measure(arguments.epochs, arguments.repeats)
        if arguments.keep_iterators:
            print(f"tf.data iterators kept alive on both sides: {len(kept)}")


if __name__ == "__main__":
    main()
