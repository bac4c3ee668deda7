"""Tests for mnist_tutorial.lr_range on tiny synthetic data."""

from __future__ import annotations

import dataclasses
import math
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_tutorial import config, data, fitting, lr_range, models, records, runner


def make_dataset(n_train: int = 96) -> data.Dataset:
    rng = np.random.default_rng(0)
    return data.preprocess(
        rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_train),
        rng.integers(0, 256, size=(16, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=16),
    )


@pytest.mark.parametrize(
    ("rates", "losses", "expected"),
    [
        ([1e-3, 1e-2, 1e-1, 1.0], [2.3, 2.0, 1.0, 5.0], 0.01),  # min at 0.1 -> 0.01
        ([1e-3, 0.5, 2.0], [2.3, 1.0, 9.0], 0.03),  # min at 0.5 -> 0.05 -> 0.03
        ([1e-4, 2e-3], [3.0, 2.0], 1e-4),  # min at 0.002 -> 0.0002 -> 0.0001
        ([30.0], [1.0], 3.0),  # exactly 3 x 10**0 stays 3
        ([300.0], [1.0], 30.0),  # exactly 3 x 10**1 stays 30
        ([0.1, 1.0, 10.0], [2.0, math.nan, math.inf], 0.01),  # only finite losses count
    ],
)
def test_suggestion_rule(rates: list[float], losses: list[float], expected: float) -> None:
    assert lr_range.suggest_learning_rate(rates, losses) == pytest.approx(expected)


CURVE_MESSAGE = r"^learning_rates and smoothed_losses must be non-empty and of equal length$"


def test_suggestion_rejects_mismatched_curves() -> None:
    with pytest.raises(ValueError, match=CURVE_MESSAGE):
        lr_range.suggest_learning_rate([0.1, 1.0], [1.0])


@pytest.mark.parametrize("losses", [[math.nan], [math.inf, math.nan]])
def test_a_curve_without_a_finite_loss_has_no_suggestion(losses: list[float]) -> None:
    rates = [1e-3 * 10**index for index in range(len(losses))]
    with pytest.raises(ValueError, match=r"^smoothed_losses has no finite value"):
        lr_range.suggest_learning_rate(rates, losses)
    result = lr_range.RangeTestResult(rates, losses, losses, stopped_early=True, suggestion=0.0)
    with pytest.raises(ValueError, match=r"^smoothed_losses has no finite value"):
        result.lowest_loss_learning_rate  # noqa: B018


@pytest.mark.training
def test_range_test_grows_exponentially_restores_and_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(tmp_path / "runs"))
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    dataset = make_dataset()
    keras.utils.set_random_seed(0)
    model = models.build_model(learning_rate=0.01, momentum=0.5)
    before = [weight.copy() for weight in model.get_weights()]

    # 96 examples in batches of 16: at most 6 steps, from 1e-4 up to 1e-1.
    result = lr_range.lr_range_test(
        model, dataset, min_lr=1e-4, max_lr=1e-1, batch_size=16, divergence=100.0
    )
    assert not result.replayed
    assert not result.stopped_early
    np.testing.assert_allclose(result.learning_rates, np.geomspace(1e-4, 1e-1, 6), rtol=1e-9)
    assert len(result.losses) == len(result.smoothed_losses) == 6
    assert result.smoothed_losses[0] == pytest.approx(result.losses[0])
    for restored, original in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(restored, original)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)

    again = lr_range.lr_range_test(
        model, dataset, min_lr=1e-4, max_lr=1e-1, batch_size=16, divergence=100.0
    )
    assert again.replayed
    assert again.learning_rates == result.learning_rates
    assert again.losses == result.losses


@pytest.mark.training
def test_range_test_stops_when_the_loss_diverges(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.ENV_RUN_CACHE, "off")
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    keras.utils.set_random_seed(0)
    model = models.build_model()
    result = lr_range.lr_range_test(
        model, make_dataset(n_train=320), min_lr=1.0, max_lr=1e6, batch_size=16, divergence=1.5
    )
    assert result.stopped_early
    assert len(result.learning_rates) < 20
    assert result.smoothed_losses[-1] > 1.5 * min(result.smoothed_losses[:-1]) or not np.isfinite(
        result.smoothed_losses[-1]
    )


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"min_lr": 0.0}, "min_lr and max_lr"),
        ({"min_lr": 1.0, "max_lr": 0.1}, "min_lr and max_lr"),
        ({"min_lr": 0.1, "max_lr": 0.1}, "min_lr and max_lr"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"divergence": 1.0}, "divergence"),
    ],
)
def test_range_test_rejects_bad_settings(options: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lr_range.lr_range_test(models.build_model(), make_dataset(), **options)  # type: ignore[arg-type]


def test_suggestion_rejects_an_empty_curve() -> None:
    with pytest.raises(ValueError, match=CURVE_MESSAGE):
        lr_range.suggest_learning_rate([], [])


@given(
    st.lists(
        st.tuples(
            st.floats(1e-7, 1e3, allow_nan=False),
            st.one_of(st.floats(0.0, 10.0, allow_nan=False), st.just(math.nan)),
        ),
        min_size=1,
        max_size=20,
    ).filter(lambda points: any(not math.isnan(loss) for _rate, loss in points))
)
def test_suggestion_is_a_tenth_of_the_best_rate_rounded_down_to_1_or_3(
    points: list[tuple[float, float]],
) -> None:
    rates = [rate for rate, _loss in points]
    losses = [loss for _rate, loss in points]
    # NaN losses are ignored; the first lowest loss wins.
    best = min(
        (index for index in range(len(losses)) if not math.isnan(losses[index])),
        key=lambda index: losses[index],
    )
    target = rates[best] / 10

    suggestion = lr_range.suggest_learning_rate(rates, losses)

    decade = 10.0 ** math.floor(math.log10(suggestion) + 1e-9)
    assert round(suggestion / decade, 6) in {1.0, 3.0}
    assert suggestion <= target * (1 + 1e-9)
    # The next value up on the 1-3-10 grid is above the target: no rounding down too far.
    next_up = 3 * decade if round(suggestion / decade, 6) == 1.0 else 10 * decade
    assert next_up > target * (1 - 1e-9)


def test_lowest_loss_learning_rate_is_at_the_smoothed_minimum() -> None:
    result = lr_range.RangeTestResult(
        learning_rates=[0.1, 0.2, 0.3, 0.4],
        losses=[9.0, 0.1, 9.0, 9.0],  # the raw minimum does not count
        smoothed_losses=[3.0, 2.0, 1.0, 1.0],
        stopped_early=False,
        suggestion=0.03,
    )
    assert result.lowest_loss_learning_rate == 0.3
    assert result.replayed is False


# --------------------------------------------------------------------------- the test's loop


class _Variable:
    """A stand-in for a Keras variable: a value with ``numpy()`` and ``assign()``."""

    def __init__(self, value: float | np.ndarray) -> None:
        self.value = np.array(value, dtype=np.float64)

    def numpy(self) -> np.ndarray:
        return self.value.copy()

    def assign(self, value: float | np.ndarray) -> None:
        self.value = np.array(value, dtype=np.float64)


class _Optimizer:
    """SGD with momentum, as far as the range test can tell: a rate, an iteration count, slots."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _Variable(learning_rate)
        self.iterations = _Variable(0)
        self.built = False
        self.slots: list[_Variable] = []
        self.built_for: list[object] = []

    def build(self, variables: list[object]) -> None:
        self.built_for = list(variables)
        self.slots = [_Variable(np.zeros(2)) for _ in variables]
        self.built = True

    @property
    def variables(self) -> list[_Variable]:
        return [self.iterations, self.learning_rate, *self.slots]


class _Model:
    """Trains by script: each batch returns the next of ``losses`` and changes every state.

    It records the rows of each batch and the learning rate each step used, and can be
    told to raise at a given step.
    """

    def __init__(self, losses: list[float], *, fail_at: int | None = None) -> None:
        self.losses = list(losses)
        self.fail_at = fail_at
        self.optimizer = _Optimizer(learning_rate=0.05)
        self.weights = [np.ones(2), np.full(3, 2.0)]
        self.trainable_variables = ["kernel", "bias"]
        self.batches: list[list[int]] = []
        self.rates: list[float] = []

    def get_weights(self) -> list[np.ndarray]:
        return [weight.copy() for weight in self.weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.weights = [np.array(weight) for weight in weights]

    def train_on_batch(
        self, x: np.ndarray, y: np.ndarray, *, return_dict: bool
    ) -> dict[str, float]:
        assert return_dict
        step = len(self.batches)
        if step == self.fail_at:
            raise RuntimeError("interrupted")
        assert x.shape[0] == y.shape[0]
        self.batches.append(x[:, 0].astype(int).tolist())
        self.rates.append(float(self.optimizer.learning_rate.numpy()))
        self.weights = [weight + 1 for weight in self.weights]
        self.optimizer.iterations.assign(self.optimizer.iterations.numpy() + 1)
        for slot in self.optimizer.slots:
            slot.assign(slot.numpy() + 0.5)
        return {"loss": self.losses[step]}


def _rows(count: int) -> SimpleNamespace:
    """A dataset whose training row i holds the number i, to follow the batch order."""
    x_train = np.arange(count, dtype=np.float32).reshape(count, 1)
    return SimpleNamespace(x_train=x_train, y_train=x_train * 2)


def _run(model: _Model, count: int, **options: Any) -> lr_range.RangeTestResult:
    settings: dict[str, Any] = {
        "batch_size": 4,
        "seed": 0,
        "min_lr": 1e-3,
        "max_lr": 1.0,
        "smoothing": 0.0,
        "divergence": 100.0,
    }
    settings.update(options)
    batch_size, seed = settings.pop("batch_size"), settings.pop("seed")
    return lr_range._run(model, _rows(count), batch_size, seed, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("count", "batch_size", "steps"), [(8, 4, 2), (10, 4, 3), (12, 4, 3), (13, 4, 4)]
)
def test_one_epoch_in_seeded_order_with_exponentially_growing_rates(
    count: int, batch_size: int, steps: int
) -> None:
    model = _Model([1.0] * steps)
    result = _run(model, count, batch_size=batch_size, seed=7, min_lr=1e-3, max_lr=1.0)

    order = np.random.default_rng(7).permutation(count).tolist()
    assert model.batches == [order[i : i + batch_size] for i in range(0, count, batch_size)]
    expected = np.geomspace(1e-3, 1.0, steps)
    np.testing.assert_allclose(model.rates, expected, rtol=1e-12)
    np.testing.assert_allclose(result.learning_rates, expected, rtol=1e-12)
    assert result.losses == [1.0] * steps
    assert not result.stopped_early


def test_a_single_batch_uses_the_smallest_rate() -> None:
    model = _Model([2.0])
    result = _run(model, 3, batch_size=8, min_lr=1e-4, max_lr=1.0)
    assert model.rates == [pytest.approx(1e-4)]
    assert result.learning_rates == [pytest.approx(1e-4)]
    assert result.suggestion == pytest.approx(1e-5)


@pytest.mark.parametrize("smoothing", [0.0, 0.5, 0.9, 0.98])
def test_smoothed_losses_are_the_bias_corrected_moving_average(smoothing: float) -> None:
    losses = [2.3, 2.2, 1.9, 1.5, 1.4, 1.45, 1.6]
    model = _Model(losses)
    result = _run(model, 28, batch_size=4, smoothing=smoothing)

    average, expected = 0.0, []
    for step, loss in enumerate(losses, start=1):
        average = smoothing * average + (1 - smoothing) * loss
        expected.append(average / (1 - smoothing**step))
    np.testing.assert_allclose(result.smoothed_losses, expected, rtol=1e-12)
    assert result.losses == losses
    best = int(np.argmin(expected))
    assert result.lowest_loss_learning_rate == result.learning_rates[best]


@pytest.mark.parametrize(
    ("losses", "divergence", "steps"),
    [
        ([3.0, 2.0, 1.0, 4.0, 4.1, 1.0], 4.0, 5),  # 4.1 > 4 x 1.0 stops; 4.0 does not
        ([3.0, 2.0, 1.0, 2.5, 1.0, 1.0], 2.0, 4),  # 2.5 > 2 x 1.0
        ([3.0, 2.0, math.inf, 1.0, 1.0, 1.0], 4.0, 3),  # not finite
        ([3.0, math.nan, 1.0, 1.0, 1.0, 1.0], 4.0, 2),  # not a number
        ([3.0, 2.0, 1.0, 3.9, 1.0, 1.0], 4.0, 6),  # never diverges
    ],
)
def test_stops_once_the_loss_diverges(losses: list[float], divergence: float, steps: int) -> None:
    model = _Model(losses)
    result = _run(model, 24, batch_size=4, divergence=divergence, smoothing=0.0)
    assert len(model.batches) == steps
    assert len(result.learning_rates) == len(result.losses) == len(result.smoothed_losses) == steps
    assert result.stopped_early == (steps < len(losses))
    # The suggestion comes from the finite part of the curve: the lowest loss, 1.0 or 2.0.
    finite = [loss for loss in result.smoothed_losses if math.isfinite(loss)]
    best = result.learning_rates[result.smoothed_losses.index(min(finite))]
    assert result.lowest_loss_learning_rate == best
    assert result.suggestion == lr_range.suggest_learning_rate([best], [1.0])


# The tests above use smoothing=0, where the raw and the smoothed curve are one.
# These two hold the two rules to the smoothed curve (issue 19).


@pytest.mark.parametrize(
    ("losses", "smoothing", "divergence", "steps"),
    [
        # One raw spike, 5 > 4 x 1, stops nothing: smoothed, 2.38 < 4 x 1.30.
        ([2.0, 1.0, 1.0, 5.0, 1.0, 1.0, 1.0, 1.0], 0.9, 4.0, 8),
        # Raw, 5 > 3 x 1 at step 4; smoothed, 3.20 < 3 x 1.14 there and 4.13 > 3 x 1.14 at 5.
        ([2.0, 1.0, 1.0, 5.0, 5.0, 5.0, 5.0, 5.0], 0.5, 3.0, 5),
    ],
)
def test_divergence_is_judged_on_the_smoothed_loss(
    losses: list[float], smoothing: float, divergence: float, steps: int
) -> None:
    model = _Model(losses)
    result = _run(model, 32, batch_size=4, smoothing=smoothing, divergence=divergence)
    assert len(model.batches) == steps
    assert result.stopped_early == (steps < len(losses))


def test_the_suggestion_comes_from_the_smoothed_curve() -> None:
    # One lucky batch (0.5 at step 2, rate 2.7e-3) is the raw minimum; smoothed
    # (1.67 there), the curve is lowest at the last step, rate 1.0, where the loss
    # has stayed low.
    losses = [4.0, 0.5, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    result = _run(_Model(losses), 32, batch_size=4, min_lr=1e-3, max_lr=1.0, smoothing=0.5)
    assert not result.stopped_early
    assert result.learning_rates[-1] == pytest.approx(1.0)
    assert result.lowest_loss_learning_rate == pytest.approx(1.0)
    assert result.suggestion == pytest.approx(0.1)  # the raw minimum would give 1e-4


def test_a_loss_not_finite_at_the_first_step_is_an_error() -> None:
    model = _Model([math.nan, 1.0])
    with pytest.raises(ValueError, match=r"not finite from the first step \(lower min_lr\)$"):
        _run(model, 8, batch_size=4)
    assert len(model.batches) == 1
    assert model.weights[0].tolist() == [1.0, 1.0]  # restored all the same


def _state(model: _Model) -> list[np.ndarray]:
    return [*model.get_weights(), *(variable.numpy() for variable in model.optimizer.variables)]


@pytest.mark.parametrize(
    ("losses", "fail_at"),
    [([1.0] * 6, None), ([1.0, 1.0, 50.0, 1.0, 1.0, 1.0], None), ([1.0] * 6, 3)],
    ids=["whole-epoch", "stopped-early", "interrupted"],
)
def test_weights_and_optimizer_state_are_restored(losses: list[float], fail_at: int | None) -> None:
    model = _Model(losses, fail_at=fail_at)
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(17)  # an optimizer that has trained before
    for slot in model.optimizer.slots:
        slot.assign(np.array([0.25, -0.5]))
    before = _state(model)

    if fail_at is None:
        _run(model, 24, batch_size=4, divergence=4.0)
    else:
        with pytest.raises(RuntimeError, match="interrupted"):
            _run(model, 24, batch_size=4)

    assert model.batches  # it did train, and so did change every state
    after = _state(model)
    assert len(after) == len(before)
    for restored, original in zip(after, before, strict=True):
        np.testing.assert_array_equal(restored, original)
    assert float(model.optimizer.learning_rate.numpy()) == 0.05


def test_an_unbuilt_optimizer_is_built_first_so_its_slots_are_restored() -> None:
    model = _Model([1.0] * 3)
    assert not model.optimizer.built
    _run(model, 12, batch_size=4)
    assert model.optimizer.built
    assert model.optimizer.built_for == model.trainable_variables
    for slot in model.optimizer.slots:
        np.testing.assert_array_equal(slot.numpy(), np.zeros(2))
    assert float(model.optimizer.iterations.numpy()) == 0


# --------------------------------------------------------------------------- the cache key


@pytest.fixture
def received() -> list[tuple[object, object]]:
    """The (model, dataset) each stand-in run of ``counted_runs`` was given."""
    return []


@pytest.fixture
def counted_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, received: list[tuple[object, object]]
) -> list[dict[str, Any]]:
    """Cache range tests under tmp_path; replace the loop by a stand-in that logs its inputs."""
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", str(tmp_path / "runs"))
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    calls: list[dict[str, Any]] = []

    def run(
        model: object, dataset: object, batch_size: int, seed: int, **parameters: float
    ) -> lr_range.RangeTestResult:
        calls.append({"batch_size": batch_size, "seed": seed, **parameters})
        received.append((model, dataset))
        rate = float(parameters["min_lr"])
        return lr_range.RangeTestResult(
            learning_rates=[rate, rate * 10],
            losses=[2.0, float(len(calls))],
            smoothed_losses=[2.0, 1.5],
            stopped_early=True,
            suggestion=rate,
        )

    monkeypatch.setattr(lr_range, "_run", run)
    return calls


_DEFAULTS: dict[str, float] = {
    "min_lr": 1e-6,
    "max_lr": 10.0,
    "batch_size": 32,
    "smoothing": 0.98,
    "divergence": 4.0,
    "seed": 0,
}


def test_a_repeated_range_test_is_replayed(
    counted_runs: list[dict[str, Any]], received: list[tuple[object, object]]
) -> None:
    dataset = make_dataset(n_train=8)
    keras.utils.set_random_seed(0)
    model = models.build_model()
    first = lr_range.lr_range_test(model, dataset)
    keras.utils.set_random_seed(0)
    again = lr_range.lr_range_test(models.build_model(), dataset)

    assert counted_runs == [_DEFAULTS]  # computed once, with the defaults
    assert len(received) == 1
    assert received[0][0] is model
    assert received[0][1] is dataset
    assert (first.replayed, again.replayed) == (False, True)
    assert dataclasses.replace(again, replayed=False) == first


@pytest.mark.parametrize(
    "change",
    [
        {"min_lr": 1e-5},
        {"max_lr": 1.0},
        {"batch_size": 16},
        {"smoothing": 0.9},
        {"smoothing": 0.0},  # no smoothing is allowed
        {"divergence": 5.0},
        {"divergence": 1.5},
        {"seed": 1},
        {"initial_weights": 1},
        {"learning_rate": 0.02},
        {"data": 9},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_changed_input_is_a_new_range_test(
    counted_runs: list[dict[str, Any]], change: dict[str, float]
) -> None:
    def range_test(**options: float) -> lr_range.RangeTestResult:
        keras.utils.set_random_seed(int(options.pop("initial_weights", 0)))
        model = models.build_model(learning_rate=options.pop("learning_rate", 0.01))
        dataset = make_dataset(n_train=int(options.pop("data", 8)))
        return lr_range.lr_range_test(model, dataset, **options)  # type: ignore[arg-type]

    reference = range_test()
    changed = range_test(**change)

    assert not reference.replayed
    assert not changed.replayed
    assert len(counted_runs) == 2
    settings = {key: value for key, value in change.items() if key in _DEFAULTS}
    assert counted_runs[1] == {**_DEFAULTS, **settings}
    # And the original is still there, under its own key.
    assert range_test().replayed


@pytest.mark.parametrize("piece", ["_run", "suggest_learning_rate", "_lowest_finite"])
def test_an_edit_to_the_range_tests_code_is_a_new_range_test(
    counted_runs: list[dict[str, Any]], piece: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The smoothing, the stop rule or the rounding decide the suggestion: an
    # edit must not replay the old result beside the new rule.
    def range_test() -> lr_range.RangeTestResult:
        keras.utils.set_random_seed(0)
        return lr_range.lr_range_test(models.build_model(), make_dataset(n_train=8))

    assert not range_test().replayed
    assert range_test().replayed
    real_source_of = fitting.source_of

    def source_after_an_edit(module: str, name: str) -> str:
        source = real_source_of(module, name)
        return (
            f"{source}# edited\n"
            if (module, name) == ("mnist_tutorial.lr_range", piece)
            else source
        )

    monkeypatch.setattr(fitting, "source_of", source_after_an_edit)
    lr_range.range_test_sha256.cache_clear()
    try:
        assert not range_test().replayed
    finally:
        monkeypatch.undo()
        lr_range.range_test_sha256.cache_clear()
    assert len(counted_runs) == 2


@pytest.mark.training
def test_range_test_restores_a_keras_optimizers_whole_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(config.ENV_RUN_CACHE, "off")
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    dataset = make_dataset(n_train=64)
    keras.utils.set_random_seed(0)
    model = models.build_model(learning_rate=0.01, momentum=0.9)
    # A model that has trained a step: its momentum slots and iteration count are not zero.
    model.train_on_batch(dataset.x_train[:8], dataset.y_train[:8])
    before = {variable.path: variable.numpy().copy() for variable in model.optimizer.variables}
    assert int(before[model.optimizer.iterations.path]) == 1
    assert any(np.any(value != 0) for path, value in before.items() if "momentum" in path)

    lr_range.lr_range_test(model, dataset, min_lr=1e-3, max_lr=1.0, batch_size=16)

    after = {variable.path: variable.numpy() for variable in model.optimizer.variables}
    assert after.keys() == before.keys()
    for path, value in before.items():
        np.testing.assert_array_equal(after[path], value, err_msg=path)


def test_the_thread_counts_in_effect_are_part_of_the_key(
    counted_runs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = make_dataset(n_train=8)

    def range_test(threads: tuple[int, int]) -> lr_range.RangeTestResult:
        monkeypatch.setattr(fitting, "pin_threads", lambda wanted: threads)
        keras.utils.set_random_seed(0)
        return lr_range.lr_range_test(models.build_model(), dataset)

    assert not range_test((1, 2)).replayed
    assert range_test((1, 2)).replayed
    assert not range_test((2, 2)).replayed  # other rounding: another range test
    assert len(counted_runs) == 2


@pytest.mark.training
def test_a_range_test_is_keyed_with_the_threads_tensorflow_really_runs_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tensorflow as tf

    # No stub of pin_threads: this process imported the package before
    # TensorFlow ran, as a page does, so the key holds the training counts.
    keyed: list[object] = []
    real_run_key = records.run_key

    def run_key(*args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        keyed.append(kwargs["threads"])
        return real_run_key(*args, **kwargs)

    monkeypatch.setattr(records, "run_key", run_key)
    monkeypatch.setenv(config.ENV_RUN_CACHE, "off")
    keras.utils.set_random_seed(0)
    lr_range.lr_range_test(models.build_model(), make_dataset(n_train=8))
    in_effect = (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )
    assert keyed == [in_effect]
    assert in_effect == config.training_threads()


@pytest.mark.training
def test_a_range_test_waits_for_a_training_task_of_another_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A range test fits the model in this process, as a run does: it takes its turn.
    monkeypatch.setenv(config.ENV_RUN_CACHE, "off")
    dataset = make_dataset()
    keras.utils.set_random_seed(0)
    model = models.build_model()
    finished = threading.Event()

    def range_test() -> None:
        lr_range.lr_range_test(model, dataset, min_lr=1e-4, max_lr=1e-1, batch_size=16)
        finished.set()

    with runner._TRAINING:
        thread = threading.Thread(target=range_test)
        thread.start()
        assert not finished.wait(timeout=2.0)
    thread.join(timeout=60)
    assert finished.is_set()
