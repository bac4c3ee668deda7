"""Tests for mnist_tutorial.lr_range on tiny synthetic data."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from mnist_tutorial import config, data, lr_range, models


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
    ],
)
def test_suggestion_rule(rates: list[float], losses: list[float], expected: float) -> None:
    assert lr_range.suggest_learning_rate(rates, losses) == pytest.approx(expected)


def test_suggestion_rejects_mismatched_curves() -> None:
    with pytest.raises(ValueError, match="equal length"):
        lr_range.suggest_learning_rate([0.1, 1.0], [1.0])


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
        ({"smoothing": 1.0}, "smoothing"),
        ({"divergence": 1.0}, "divergence"),
    ],
)
def test_range_test_rejects_bad_settings(options: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        lr_range.lr_range_test(models.build_model(), make_dataset(), **options)  # type: ignore[arg-type]
