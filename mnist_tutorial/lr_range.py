"""The learning-rate range test (Smith 2017; fastai's ``lr_find``).

Train for at most one epoch while the learning rate grows exponentially, one
step per batch, and record the loss. The loss first barely moves (the rate
is too small), then falls fast, then blows up (the rate is too large). A good
learning rate sits well inside the falling stretch.

Reference: L. N. Smith, "Cyclical Learning Rates for Training Neural
Networks", WACV 2017.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np

from mnist_tutorial import config, fitting, records, runcache, runner
from mnist_tutorial.data import Dataset

__all__ = [
    "RANGE_TEST_PATH",
    "SUGGESTION_RULE",
    "RangeTestResult",
    "lr_range_test",
    "range_test_sha256",
    "suggest_learning_rate",
]

#: The stated rule behind :attr:`RangeTestResult.suggestion`.
SUGGESTION_RULE = (
    "one tenth of the learning rate at which the smoothed loss is lowest, "
    "rounded down to 1 or 3 times a power of ten"
)


@dataclass(frozen=True)
class RangeTestResult:
    """What a learning-rate range test measured.

    Attributes
    ----------
    learning_rates : list
        The learning rate of each step, growing exponentially.
    losses : list
        The loss of each step's batch, before the update.
    smoothed_losses : list
        Exponentially smoothed, bias-corrected losses.
    stopped_early : bool
        True when the test stopped because the loss diverged.
    suggestion : float
        The suggested learning rate (see :data:`SUGGESTION_RULE`).
    replayed : bool
        True when the result came from the run cache.
    """

    learning_rates: list[float]
    losses: list[float]
    smoothed_losses: list[float]
    stopped_early: bool
    suggestion: float
    replayed: bool = False

    @property
    def lowest_loss_learning_rate(self) -> float:
        """The learning rate at the minimum of the smoothed loss (its finite values)."""
        return self.learning_rates[_lowest_finite(self.smoothed_losses)]


def _lowest_finite(values: list[float]) -> int:
    """Index of the first lowest finite value; NaN and infinity never count."""
    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array)
    if not finite.any():
        raise ValueError(
            "smoothed_losses has no finite value, so the curve has no lowest loss: "
            "the loss was not finite from the first step (lower min_lr)"
        )
    return int(np.argmin(np.where(finite, array, np.inf)))


def suggest_learning_rate(learning_rates: list[float], smoothed_losses: list[float]) -> float:
    """Apply :data:`SUGGESTION_RULE` to a range test's curve.

    Parameters
    ----------
    learning_rates, smoothed_losses : list of float
        The curve, of equal non-zero length. Values of ``smoothed_losses`` that
        are not finite (a diverged step) are ignored.

    Raises
    ------
    ValueError
        If the lists are empty or of different lengths, or no loss is finite.
    """
    if not learning_rates or len(learning_rates) != len(smoothed_losses):
        raise ValueError("learning_rates and smoothed_losses must be non-empty and of equal length")
    target = learning_rates[_lowest_finite(smoothed_losses)] / 10
    exponent = math.floor(math.log10(target))
    # Round down on the 1-3-10 grid, a conventional set of learning rates.
    mantissa = 3.0 if target >= 3 * 10.0**exponent else 1.0
    return float(f"{mantissa * 10.0**exponent:.1g}")


#: The code that produces a range test's result, each piece a pair of a
#: module and a top-level name.
RANGE_TEST_PATH = (
    ("mnist_tutorial.lr_range", "_run"),
    ("mnist_tutorial.lr_range", "suggest_learning_rate"),
    ("mnist_tutorial.lr_range", "_lowest_finite"),
)


@functools.cache
def range_test_sha256() -> str:
    """sha256 of the code that produces a range test's result, for its cache key.

    The test itself (``_run``), the suggestion rule and its helper: an edit
    to the smoothing, the stop rule or the rounding is a new range test, not
    a replay of the old result beside the new rule.
    """
    digest = hashlib.sha256()
    for module, name in RANGE_TEST_PATH:
        digest.update(fitting.source_of(module, name).encode())
    return digest.hexdigest()


@runner.one_task_at_a_time
def lr_range_test(
    model: keras.Model,
    dataset: Dataset,
    *,
    min_lr: float = 1e-6,
    max_lr: float = 10.0,
    batch_size: int = 32,
    smoothing: float = 0.98,
    divergence: float = 4.0,
    seed: int = 0,
) -> RangeTestResult:
    """Run the learning-rate range test on a compiled model, then restore it.

    Over at most one epoch, step ``i`` of ``n`` uses the learning rate
    ``min_lr * (max_lr / min_lr) ** (i / (n - 1))``. The test stops early
    once the smoothed loss exceeds ``divergence`` times its minimum, or is
    not finite. The model's weights, optimizer state and learning rate are
    restored afterwards. Results are cached like training runs.

    Parameters
    ----------
    model : keras.Model
        A compiled model, typically freshly built.
    dataset : Dataset
        Training data (the test set is not used).
    min_lr, max_lr : float
        The range of learning rates, ``0 < min_lr < max_lr``.
    batch_size : int, default 32
        Mini-batch size; one epoch has ``ceil(N / batch_size)`` steps.
    smoothing : float, default 0.98
        Exponential smoothing factor in ``[0, 1)``.
    divergence : float, default 4.0
        Stop once the smoothed loss exceeds this multiple (> 1) of its minimum.
    seed : int, default 0
        Seed of the batch order.

    Returns
    -------
    RangeTestResult

    Raises
    ------
    ValueError
        If a setting is outside its range, or the loss was not finite even at
        ``min_lr`` (then there is nothing to suggest).
    """
    if not 0 < min_lr < max_lr:
        raise ValueError(
            f"min_lr and max_lr must satisfy 0 < min_lr < max_lr, got {min_lr}, {max_lr}"
        )
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    if not divergence > 1:
        raise ValueError(f"divergence must be > 1, got {divergence}")
    # The test runs in this process: record the thread counts in effect here.
    threads = fitting.pin_threads(config.training_threads())
    key, settings = records.run_key(
        model, dataset, epochs=1, batch_size=batch_size, seed=seed, threads=threads
    )
    parameters = {
        "min_lr": min_lr,
        "max_lr": max_lr,
        "smoothing": smoothing,
        "divergence": divergence,
    }
    # A run's identity (identity.RUN_IDENTITY, one epoch of this batch size and
    # seed) and the test's own parameters.
    range_key = hashlib.sha256(
        json.dumps(
            {"run": key, "range_test": parameters, "code": range_test_sha256()}, sort_keys=True
        ).encode()
    ).hexdigest()
    del settings

    def compute() -> dict[str, Any]:
        return asdict(_run(model, dataset, batch_size, seed, **parameters))

    content, replayed = runcache.cached_result(range_key, compute)
    content["replayed"] = replayed
    return RangeTestResult(**content)


def _run(
    model: keras.Model,
    dataset: Dataset,
    batch_size: int,
    seed: int,
    *,
    min_lr: float,
    max_lr: float,
    smoothing: float,
    divergence: float,
) -> RangeTestResult:
    if not model.optimizer.built:
        # Create the optimizer's slots now, so its whole state can be restored.
        model.optimizer.build(model.trainable_variables)
    weights = model.get_weights()
    optimizer_state = [variable.numpy() for variable in model.optimizer.variables]
    initial_lr = float(model.optimizer.learning_rate.numpy())

    count = dataset.x_train.shape[0]
    steps = math.ceil(count / batch_size)
    order = np.random.default_rng(seed).permutation(count)
    rates = min_lr * (max_lr / min_lr) ** (np.arange(steps) / max(steps - 1, 1))
    learning_rates: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, best, stopped_early = 0.0, math.inf, False
    try:
        for step, rate in enumerate(rates):
            batch = order[step * batch_size : (step + 1) * batch_size]
            model.optimizer.learning_rate.assign(float(rate))
            logs = model.train_on_batch(
                dataset.x_train[batch], dataset.y_train[batch], return_dict=True
            )
            loss = float(logs["loss"])
            average = smoothing * average + (1 - smoothing) * loss
            value = average / (1 - smoothing ** (step + 1))
            learning_rates.append(float(rate))
            losses.append(loss)
            smoothed.append(value)
            best = min(best, value)
            if not math.isfinite(value) or value > divergence * best:
                stopped_early = True
                break
    finally:
        model.set_weights(weights)
        for variable, value in zip(model.optimizer.variables, optimizer_state, strict=True):
            variable.assign(value)
        model.optimizer.learning_rate.assign(initial_lr)
    return RangeTestResult(
        learning_rates=learning_rates,
        losses=losses,
        smoothed_losses=smoothed,
        stopped_early=stopped_early,
        suggestion=suggest_learning_rate(learning_rates, smoothed),
    )
