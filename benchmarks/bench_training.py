"""Overhead of :func:`mnist_tutorial.training.train` against a plain ``model.fit``.

Both sides train the same baseline model, on the same full MNIST data, with
the same seed and batch size, in one process. The order alternates
(plain, package, package, plain, ...) so that drift in the machine's speed
does not favour either side. The package side writes its run cache, as it
does in real use; a final identical call measures a cache hit.

Run with ``nox -s bench`` or ``python benchmarks/bench_training.py``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import keras

from mnist_tutorial import data, models, training


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


def package_fit(dataset: data.Dataset, epochs: int, seed: int) -> float:
    """Train with the package (cache write included) and return the wall time."""
    start = time.perf_counter()
    training.train(
        lambda: models.build_model(learning_rate=0.01),
        dataset,
        epochs=epochs,
        batch_size=32,
        seed=seed,
        emit=lambda line: None,
    )
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and print samples per second and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="pairs of runs per side")
    arguments = parser.parse_args()

    dataset = data.load_dataset()
    samples = arguments.epochs * dataset.x_train.shape[0]
    plain_seconds: list[float] = []
    package_seconds: list[float] = []
    # Untimed warm-up: the first fit in a process runs at a different speed
    # from later ones, which would otherwise favour whichever side goes first.
    plain_fit(dataset, 1, seed=99)
    with tempfile.TemporaryDirectory(prefix="mnist-bench-") as cache:
        for repeat in range(arguments.repeats):
            # Each package run needs a cache miss: a fresh cache folder per run.
            os.environ[training.ENV_RUN_CACHE] = str(Path(cache) / f"run-{repeat}")
            order = ("plain", "package") if repeat % 2 == 0 else ("package", "plain")
            for side in order:
                if side == "plain":
                    plain_seconds.append(plain_fit(dataset, arguments.epochs, seed=repeat))
                else:
                    package_seconds.append(package_fit(dataset, arguments.epochs, seed=repeat))
                print(
                    f"  {side:7s} run {repeat}: {(plain_seconds if side == 'plain' else package_seconds)[-1]:.1f} s",
                    flush=True,
                )

        start = time.perf_counter()
        record = training.train(
            lambda: models.build_model(learning_rate=0.01),
            dataset,
            epochs=arguments.epochs,
            batch_size=32,
            seed=arguments.repeats - 1,
            emit=lambda line: None,
        )
        hit_seconds = time.perf_counter() - start
        if not record.replayed:
            raise RuntimeError("the final call was expected to be a cache hit")

    plain_rate = samples * len(plain_seconds) / sum(plain_seconds)
    package_rate = samples * len(package_seconds) / sum(package_seconds)
    print(f"Data: {dataset}, {arguments.epochs} epochs, batch 32, {arguments.repeats} runs a side")
    print(f"Plain model.fit:        {plain_rate:8.0f} samples/s")
    print(f"mnist_tutorial.train:   {package_rate:8.0f} samples/s")
    print(f"Ratio (package/plain):  {package_rate / plain_rate:8.3f}  (target >= 0.97)")
    print(f"Cache hit:              {hit_seconds:8.2f} s  (target <= 2 s)")


if __name__ == "__main__":
    main()
