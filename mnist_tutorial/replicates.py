"""Several seeds of one configuration: train them, summarise them, compare them.

One seed's numbers are not evidence: another seed, or another machine,
moves a final accuracy by a few test images. Every configuration that a
page draws a conclusion from is therefore trained with several seeds
(:func:`mnist_tutorial.config.seeds`). Seeds are paired across
configurations (the same seed gives the same initial weights, where the
architecture is the same, and the same shuffling), so two configurations
are compared seed by seed: ``first.at(metric) - second.at(metric)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import numpy.typing as npt

from mnist_tutorial import config, published, training
from mnist_tutorial.data import Dataset
from mnist_tutorial.models import check_learning_rate
from mnist_tutorial.progress import write_lines
from mnist_tutorial.records import METRICS, RunRecord

__all__ = [
    "LearningRateSearch",
    "Replicates",
    "highest_mean",
    "search_learning_rate",
    "train_replicates",
]


@dataclass(frozen=True)
class Replicates:
    """The runs of one configuration, one per seed.

    Parameters
    ----------
    label : str
        The configuration's name on the page.
    records : tuple of RunRecord
        One run per seed, in seed order.
    """

    label: str
    records: tuple[RunRecord, ...]

    def __post_init__(self) -> None:
        if not self.records or not all(isinstance(run, RunRecord) for run in self.records):
            raise TypeError("records must be a non-empty tuple of RunRecord")

    @property
    def first(self) -> RunRecord:
        """The first seed's run, whose full log the page shows."""
        return self.records[0]

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds, in order."""
        return tuple(int(run.settings["seed"]) for run in self.records)

    @property
    def histories(self) -> list[dict[str, list[float]]]:
        """Each seed's per-epoch history, for the plotting functions."""
        return [run.history for run in self.records]

    def curves(self, metric: str) -> npt.NDArray[np.float64]:
        """Return a metric per seed and epoch, shape ``(seeds, epochs)``."""
        _check_metric(metric)
        return np.array([run.history[metric] for run in self.records], dtype=np.float64)

    def at(self, metric: str, epoch: int = -1) -> npt.NDArray[np.float64]:
        """Return a metric after one epoch (default: the last), one value per seed.

        Parameters
        ----------
        metric : {'loss', 'accuracy', 'val_loss', 'val_accuracy'}
        epoch : int, default -1
            Index into the epochs: 0 is after the first, -1 after the last.
        """
        curves = self.curves(metric)
        if not -curves.shape[1] <= epoch < curves.shape[1]:
            raise ValueError(f"epoch must index one of {curves.shape[1]} epochs, got {epoch}")
        return curves[:, epoch]

    def mean(self, metric: str, epoch: int = -1) -> float:
        """Return the mean over seeds of a metric after one epoch (default: the last)."""
        return float(self.at(metric, epoch).mean())

    def low(self, metric: str, epoch: int = -1) -> float:
        """Return the lowest seed's value of a metric after one epoch."""
        return float(self.at(metric, epoch).min())

    def high(self, metric: str, epoch: int = -1) -> float:
        """Return the highest seed's value of a metric after one epoch."""
        return float(self.at(metric, epoch).max())

    def spread(self, metric: str, epoch: int = -1) -> float:
        """Return the seed-to-seed range (highest minus lowest) of a metric."""
        return self.high(metric, epoch) - self.low(metric, epoch)

    def load_models(self) -> list[keras.Model]:
        """Return each seed's trained model."""
        return [run.load_model() for run in self.records]


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")


def highest_mean(groups: Mapping[str, Replicates], metric: str, epoch: int = -1) -> str:
    """Return the label of the configuration with the highest mean over its seeds.

    This is a decision rule, not a ranking: the per-seed differences say
    whether the chosen configuration is ahead of the others by more than
    seeds alone move a result. Equal means go to the first in order.

    Parameters
    ----------
    groups : mapping of str to Replicates
        The candidates, by label.
    metric : {'loss', 'accuracy', 'val_loss', 'val_accuracy'}
    epoch : int, default -1
        Index into the epochs: 0 is after the first, -1 after the last.
    """
    given: object = groups
    if not isinstance(given, Mapping) or not given:
        raise ValueError("groups must be a non-empty mapping of labels to Replicates")
    for label, group in groups.items():
        if not isinstance(group, Replicates):
            raise TypeError(f"groups[{label!r}] must be Replicates, got {type(group).__name__}")
    means = {label: group.mean(metric, epoch) for label, group in groups.items()}
    return max(means, key=means.__getitem__)


def _seed_line(run: RunRecord) -> str:
    # Whether the run was trained now or replayed is a build fact: it goes to
    # the terminal (training.progress_line), not to the page.
    return (
        f"seed {run.settings['seed']}: {run.epochs} epochs, "
        f"accuracy {run.final('accuracy'):.4f}, "
        f"val_accuracy {run.final('val_accuracy'):.4f}"
    )


def train_replicates(
    builds: Mapping[str, Callable[[], keras.Model]],
    dataset: Dataset,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    seeds: Sequence[int] | None = None,
    log: bool = True,
    emit: Callable[[str], None] | None = None,
    fit: training.FitFunction | None = None,
) -> dict[str, Replicates]:
    """Train every configuration with every seed, in parallel, or replay them.

    All runs go to :func:`mnist_tutorial.training.train_records` in one
    call, so independent runs train at the same time in worker processes.
    The lines are printed by :func:`mnist_tutorial.progress.write_lines`.

    Parameters
    ----------
    builds : mapping of str to callable
        Configuration label to a callable that returns a new compiled
        model, for example
        ``{"lr = 0.1": functools.partial(models.build_model, learning_rate=0.1)}``.
    dataset : Dataset
        Preprocessed data; the test set serves as validation data.
    epochs : int, default 10
        Epochs of every run (capped in draft mode).
    batch_size : int, default 32
        Mini-batch size.
    seeds : sequence of int, optional
        Defaults to :func:`mnist_tutorial.config.seeds`.
    log : bool, default True
        Emit, for each configuration, its first seed's per-epoch log and
        one line for each other seed. When False, one line per seed only.
    emit : callable, optional
        Receives each line; prints to standard output by default.
    fit : function, optional
        The page's own ``fit(model, x_train, y_train, x_test, y_test,
        callbacks)`` for every run of the call, which must train ``epochs``
        epochs of ``batch_size`` (see :class:`mnist_tutorial.runner.RunConfig`);
        :func:`mnist_tutorial.fitting.fit_model` by default.

    Returns
    -------
    dict of str to Replicates
        In the order of ``builds``.
    """
    given: object = builds
    if not isinstance(given, Mapping) or not given:
        raise ValueError("builds must be a non-empty mapping of labels to model builders")
    chosen = tuple(config.seeds() if seeds is None else seeds)
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"seeds must be distinct and at least one, got {chosen!r}")
    runs = [
        training.RunConfig(build, epochs=epochs, batch_size=batch_size, seed=seed, fit=fit)
        for build in builds.values()
        for seed in chosen
    ]
    records = training.train_records(runs, dataset)
    result: dict[str, Replicates] = {}
    lines: list[str] = []
    for index, label in enumerate(builds):
        group = tuple(records[index * len(chosen) : (index + 1) * len(chosen)])
        result[label] = Replicates(label, group)
        lines.append(f"{label}:")
        for position, run in enumerate(group):
            if log and position == 0:
                lines.append(f"seed {run.settings['seed']}:")
                lines.extend(run.log_lines)
            else:
                lines.append(_seed_line(run))
    # Only where the site's records are known: a downloaded notebook.
    lines.extend(published.compare_with_site(records))
    write_lines(lines, emit)
    return result


@dataclass(frozen=True)
class LearningRateSearch:
    """The outcome of :func:`search_learning_rate`.

    Attributes
    ----------
    runs : dict
        Each candidate's runs (:class:`Replicates`), by label, in the order
        of the rates.
    rates : dict
        Each label's learning rate.
    chosen : str
        The label that the rule chose.
    """

    runs: dict[str, Replicates]
    rates: dict[str, float]
    chosen: str

    @property
    def chosen_rate(self) -> float:
        """The learning rate that the rule chose."""
        return self.rates[self.chosen]


def search_learning_rate(
    build: Callable[..., keras.Model],
    rates: Sequence[float],
    dataset: Dataset,
    *,
    epochs: int,
    label: str = "lr = {rate:g}",
    log: bool = True,
    emit: Callable[[str], None] | None = None,
) -> LearningRateSearch:
    """Train every candidate learning rate on every seed, and choose one by a stated rule.

    The rule: the highest mean validation accuracy after the last epoch
    (:func:`highest_mean`). The runs are those of :func:`train_replicates` with
    ``functools.partial(build, learning_rate=rate)`` for each rate, so a
    page that trained the same candidates replays them.

    Parameters
    ----------
    build : callable
        Builds a compiled model; takes the keyword ``learning_rate``, as
        :func:`mnist_tutorial.models.build_model` does.
    rates : sequence of float
        The candidate learning rates, each > 0, at least one.
    dataset : Dataset
        Preprocessed data; the test set serves as validation data.
    epochs : int
        Epochs of every run (capped in draft mode).
    label : str, default ``"lr = {rate:g}"``
        Format of each candidate's label; it must name ``{rate}`` and give
        each rate its own label.
    log, emit
        As for :func:`train_replicates`.

    Returns
    -------
    LearningRateSearch
    """
    given: object = rates
    if isinstance(given, str) or not isinstance(given, Sequence):
        raise TypeError(f"rates must be a sequence of learning rates > 0, got {rates!r}")
    if not given:
        raise ValueError("rates must hold at least one learning rate, got an empty sequence")
    checked = [
        check_learning_rate(rate, name=f"rates[{index}]") for index, rate in enumerate(given)
    ]
    format_given: object = label
    if not isinstance(format_given, str):
        raise TypeError(f"label must be a format string that names {{rate}}, got {label!r}")
    if "{rate" not in format_given:
        raise ValueError(f"label must be a format string that names {{rate}}, got {label!r}")
    candidates = {
        label.format(rate=rate): number for rate, number in zip(given, checked, strict=True)
    }
    if len(candidates) != len(rates):
        raise ValueError(f"label must give each rate its own label, got {list(candidates)}")
    runs = train_replicates(
        {name: functools.partial(build, learning_rate=rate) for name, rate in candidates.items()},
        dataset,
        epochs=epochs,
        log=log,
        emit=emit,
    )
    return LearningRateSearch(runs, candidates, highest_mean(runs, "val_accuracy"))
