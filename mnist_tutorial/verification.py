"""Retrain published runs from scratch and compare them with the site's records.

``nox -s verify -- [PAGE | RUN-ID ... | --sample N] [--site SITE]`` runs
:func:`main`: it reads the run records a build published
(:mod:`mnist_tutorial.published`), from a built site folder or the hosted
site's URL, retrains the chosen runs in a fresh run cache with the recorded
settings, and prints one line per run: identical, or the largest difference
and at which epoch. It exits with 1 when a run differs by more than
``--tolerance`` (default 0: bit for bit), or gets another key or other
final weights, at any tolerance. So that a
mismatch can be explained, it also prints what this machine computes with
(:func:`machine`).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import random
import sys
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from mnist_tutorial import config, data, identity, published, training
from mnist_tutorial.records import describe

__all__ = [
    "Verdict",
    "check_tolerance",
    "choose",
    "load_site",
    "machine",
    "main",
    "rebuild",
    "verify",
]

#: Where ``nox -s docs`` puts the built site.
DEFAULT_SITE = Path("docs") / "_build" / "html"


def load_site(site: str | os.PathLike[str]) -> dict[str, list[dict[str, Any]]]:
    """Return the published records of a built site, page by page.

    Parameters
    ----------
    site : str or path-like
        A built site folder, or the URL of a published site (``https://...``).

    Raises
    ------
    FileNotFoundError
        If the site has published no run records.
    """
    text = str(site)
    pages: dict[str, list[dict[str, Any]]] = {}
    if text.startswith(("https://", "http://")):
        base = text.rstrip("/") + f"/{published.SITE_DIR}/"
        index = json.loads(_fetch(base + "index.json"))
        for page, name in index["pages"].items():
            pages[page] = published.parse_page(_fetch(base + name), origin=base + name)
        return pages
    folder = Path(site) / published.SITE_DIR
    if not (folder / "index.json").is_file():
        raise FileNotFoundError(
            f"{folder / 'index.json'} not found: build the site first (nox -s docs)"
        )
    index = json.loads((folder / "index.json").read_text())
    for page, name in index["pages"].items():
        pages[page] = published.read_page(folder / name)
    return pages


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  (https or http only)
        return str(response.read().decode())


def choose(
    pages: Mapping[str, Sequence[dict[str, Any]]],
    names: Sequence[str] = (),
    *,
    sample: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Return the records to verify.

    Parameters
    ----------
    pages : mapping of str to sequence of dict
        The published records, page by page (:func:`load_site`).
    names : sequence of str
        Pages (``plot_01_baseline``) or the start of run keys; empty means
        every run.
    sample : int, optional
        Verify this many of the chosen runs, picked at random.
    seed : int, default 0
        Seed of the random pick.

    Raises
    ------
    ValueError
        If a name matches no page and no run, or ``sample`` is not positive.
    """
    every = {record["key"]: record for records in pages.values() for record in records}
    chosen: dict[str, dict[str, Any]] = {}
    for name in names:
        matches = [record["key"] for record in pages.get(name, ())] or [
            key for key in every if key.startswith(name)
        ]
        if not matches:
            raise ValueError(
                f"{name!r} is neither a page ({', '.join(sorted(pages))}) nor the start of a run key"
            )
        chosen.update((key, every[key]) for key in matches)
    runs = list(chosen.values()) if names else list(every.values())
    if sample is not None:
        if sample < 1:
            raise ValueError(f"sample must be at least 1, got {sample}")
        runs = random.Random(seed).sample(runs, min(sample, len(runs)))  # noqa: S311  (a pick, not a secret)
    return runs


def rebuild(settings: Mapping[str, Any]) -> keras.Model:
    """Build and compile a run's model again from its recorded settings.

    Seeded as the run was (:func:`mnist_tutorial.records.run_key` checks
    the initial weights), this gives the model the run started from.

    Parameters
    ----------
    settings : mapping
        A published record's settings.
    """
    architecture = dict(settings["architecture"])
    # Names are left out of the key; Sequential.from_config wants one.
    model = keras.Sequential.from_config({"name": "verified", **architecture})
    model.compile_from_config(settings["compile"])
    return model


@dataclass(frozen=True)
class Verdict:
    """The outcome of one verified run.

    Attributes
    ----------
    key : str
        The published run's key.
    label : str
        A short description of the run.
    same_key : bool
        Whether the retrained run has the published key (same settings,
        initial weights, thread counts, instruction set, code and library
        versions).
    difference : published.Difference
        How far the retrained history is from the published one.
    same_weights : bool or None
        Whether the final weights hash the same; None when the record has
        no hash.
    differing : tuple of str
        The settings of the run's identity whose values differ from the
        record's (empty when the keys are the same).
    """

    key: str
    label: str
    same_key: bool
    difference: published.Difference
    same_weights: bool | None
    differing: tuple[str, ...] = ()

    def passes(self, tolerance: float) -> bool:
        """Whether the run is its record's run, within ``tolerance`` (0: bit for bit).

        A run with another key, or other final weights, is another run and
        fails at any tolerance; the tolerance loosens only how far the
        history's numbers may be from the record's.

        Parameters
        ----------
        tolerance : float
            The largest difference allowed in any metric at any epoch: a
            finite number >= 0.
        """
        tolerance = check_tolerance(tolerance)
        if not self.same_key or self.same_weights is False:
            return False
        if tolerance == 0:
            return self.difference.identical
        return self.difference.largest <= tolerance

    def __str__(self) -> str:
        parts = [str(self.difference)]
        if self.same_weights is not None:
            parts.append("same final weights" if self.same_weights else "other final weights")
        if not self.same_key:
            if self.differing:
                verb = "differs" if len(self.differing) == 1 else "differ"
                parts.append(f"another key ({', '.join(self.differing)} {verb})")
            else:
                parts.append("another key (settings, code or versions differ)")
        return f"{self.key[:12]} {self.label}: {', '.join(parts)}"


def check_tolerance(tolerance: float) -> float:
    """Return ``tolerance`` if it is a finite number >= 0, else raise ValueError or TypeError."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        raise TypeError(f"tolerance must be a number >= 0, got {tolerance!r}")
    if not math.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    return float(tolerance)


def _tolerance_argument(text: str) -> float:
    """Parse ``--tolerance``: a finite number >= 0."""
    try:
        return check_tolerance(float(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _dataset(settings: Mapping[str, Any]) -> data.Dataset:
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    dataset = data.preprocess(
        x_train,
        y_train,
        x_test,
        y_test,
        n_train=int(settings["train_examples"]),
        n_test=int(settings["validation_examples"]),
    )
    if dataset.fingerprint != settings["data_fingerprint"]:
        raise ValueError("the recorded data fingerprint is not that of MNIST's first examples")
    return dataset


def verify(
    records: Sequence[Mapping[str, Any]], dataset: data.Dataset | None = None
) -> list[Verdict]:
    """Retrain each recorded run from scratch and compare it with its record.

    The runs train side by side in worker processes
    (:func:`mnist_tutorial.training.train_records`), in a fresh, temporary run
    cache, so nothing is replayed.

    Parameters
    ----------
    records : sequence of mapping
        Published records (:func:`choose`).
    dataset : Dataset, optional
        The data; by default MNIST, cut to the records' split sizes, which
        must then be the same for every record.

    Returns
    -------
    list of Verdict
        In the order of ``records``.
    """
    if not records:
        return []
    if dataset is None:
        sizes = {
            (record["settings"]["train_examples"], record["settings"]["validation_examples"])
            for record in records
        }
        if len(sizes) != 1:
            raise ValueError("records of full and draft builds cannot be verified together")
        dataset = _dataset(records[0]["settings"])
    runs = [
        training.RunConfig(
            functools.partial(rebuild, record["settings"]),
            epochs=int(record["settings"]["epochs"]),
            batch_size=int(record["settings"]["batch_size"]),
            seed=int(record["settings"]["seed"]),
        )
        for record in records
    ]
    saved = {name: os.environ.get(name) for name in (config.ENV_RUN_CACHE, config.ENV_DRAFT)}
    with tempfile.TemporaryDirectory(prefix="mnist-tutorial-verify-") as cache:
        # A draft build's records carry their few epochs in their settings.
        os.environ[config.ENV_RUN_CACHE] = cache
        os.environ[config.ENV_DRAFT] = "0"
        try:
            results = training.train_records(runs, dataset)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    verdicts = []
    for record, result in zip(records, results, strict=True):
        expected_weights = record.get("final_weights_sha256") or None
        verdicts.append(
            Verdict(
                key=record["key"],
                label=describe(record["settings"]),
                # A page's fit that made the same model.fit call as the
                # package's has the same key (fitting.fit_call).
                same_key=result.key == record["key"],
                difference=published.compare_histories(record["history"], result.history),
                same_weights=None
                if expected_weights is None
                else expected_weights == result.final_weights_sha256,
                differing=_differing(record["settings"], result.settings),
            )
        )
    return verdicts


def _differing(
    published_settings: Mapping[str, Any], settings: Mapping[str, Any]
) -> tuple[str, ...]:
    """Name the settings of a run's identity whose values differ between two runs."""
    return tuple(
        name for name in identity.RUN_IDENTITY if published_settings.get(name) != settings.get(name)
    )


def machine() -> dict[str, str]:
    """Describe what this machine computes with: what can change a run's last digits."""
    import tensorflow as tf  # noqa: PLC0415  (already imported by training)

    threads = config.training_threads()
    return {
        "processor": platform.processor() or platform.machine(),
        # In every run's key: another instruction set computes other last digits.
        "instruction set": identity.instruction_set(),
        "GPUs": str(len(tf.config.list_physical_devices("GPU"))),
        "TensorFlow": tf.__version__,
        "Keras": keras.__version__,
        "threads": f"{threads[0]} intra-op, {threads[1]} inter-op",
    }


def main(arguments: Sequence[str] | None = None) -> int:
    """Verify published runs; see the module's description.

    Parameters
    ----------
    arguments : sequence of str, optional
        The command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when every run is within the tolerance, else 1.
    """
    parser = argparse.ArgumentParser(
        prog="nox -s verify --",
        description="Retrain published runs from scratch and compare them with their records.",
    )
    parser.add_argument("names", nargs="*", help="pages (plot_01_baseline) or run keys (a prefix)")
    parser.add_argument("--sample", type=int, help="verify this many runs, picked at random")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random pick")
    parser.add_argument(
        "--site",
        default=str(DEFAULT_SITE),
        help=f"a built site folder or a published site's URL (default: {DEFAULT_SITE})",
    )
    parser.add_argument(
        "--tolerance",
        type=_tolerance_argument,
        default=0.0,
        help="largest difference allowed in any metric at any epoch (default 0: bit for bit)",
    )
    options = parser.parse_args(arguments)
    try:
        runs = choose(
            load_site(options.site), options.names, sample=options.sample, seed=options.seed
        )
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    print(f"Retraining {len(runs)} published runs from scratch:", flush=True)
    verdicts = verify(runs)
    # After training: asking TensorFlow about devices starts its runtime here.
    print("This machine:")
    for name, value in machine().items():
        print(f"  {name}: {value}")
    failed = 0
    for verdict in verdicts:
        ok = verdict.passes(options.tolerance)
        failed += not ok
        print(f"  {'ok  ' if ok else 'FAIL'} {verdict}")
    print(f"{len(runs) - failed} of {len(runs)} runs match their records", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
