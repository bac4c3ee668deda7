"""The site's published run records, and a reader's runs compared with them.

For every run a page shows, the site publishes a small JSON record: the
run's key and every setting the key covers (architecture, initial weights,
optimizer, epochs, batch size, seed, data fingerprint, thread counts,
library versions), its per-epoch history at full precision, and the sha256
of its final weights. No model is published. The records serve three uses:

- anyone can read what a page's numbers came from;
- ``nox -s verify`` retrains published runs from scratch and compares
  (:mod:`mnist_tutorial.verification`);
- a downloaded notebook carries its page's records, and each training call
  then says how the reader's runs compare with the site's
  (:func:`use_site_records`, :func:`compare_with_site`).

The site build names a file for each page as it runs
(:func:`mnist_tutorial.config.published_runs_file`), and
:func:`mnist_tutorial.training.train_records` adds the page's runs to it
(:func:`publish`).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mnist_tutorial import config, identity
from mnist_tutorial._files import replaced_whole

__all__ = [
    "FORMAT_VERSION",
    "METRICS",
    "SITE_DIR",
    "Difference",
    "carried",
    "compare_histories",
    "compare_with_site",
    "configuration_id",
    "parse_page",
    "publish",
    "read_page",
    "record_of",
    "site_records",
    "use_site_records",
]

#: Version of the published layout.
FORMAT_VERSION = 1
#: The site's folder of record files, one per page, with an ``index.json``.
SITE_DIR = "runs"
#: The per-epoch quantities of a run's history, in log order, published or
#: in a run record (``mnist_tutorial.records`` imports them from here).
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
_SITE_RECORDS: list[dict[str, Any]] = []


class _Run(Protocol):
    """What a run record (:class:`mnist_tutorial.records.RunRecord`) offers here."""

    key: str
    settings: dict[str, Any]
    history: dict[str, list[float]]

    @property
    def final_weights_sha256(self) -> str: ...  # pragma: no cover


def configuration_id(settings: Mapping[str, Any]) -> str:
    """Return an identifier shared by the runs of one configuration.

    Two runs of the same model, optimizer, epochs, batch size and data have
    the same identifier, whatever their seed, machine or library versions.

    Parameters
    ----------
    settings : mapping
        A run's settings (:func:`mnist_tutorial.records.run_key`).
    """
    kept = identity.configuration_settings(settings)
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]


#: What is trained: a run with all of these is the same training, whatever
#: else its settings say (how its fit was written, the trainer's code, the
#: machine): the configuration and seed settings of the run's identity.
TRAINED = identity.names_of("configuration") + identity.names_of("seed")


def trained_twice(pages: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[str]:
    """Return one line for each training that a build's records hold under two keys or more.

    The same model, compile settings, seed, epochs and data (:data:`TRAINED`)
    under two keys was trained twice: a build that gives it one key trains
    it once and replays it wherever else it is shown.

    Parameters
    ----------
    pages : mapping of str to records
        Each page's published records (:func:`read_page`), by page name.
    """
    keys: dict[str, dict[str, list[str]]] = {}
    for page, page_records in pages.items():
        for record in page_records:
            settings = record["settings"]
            trained = json.dumps({name: settings.get(name) for name in TRAINED}, sort_keys=True)
            keys.setdefault(trained, {}).setdefault(record["key"], []).append(page)
    lines = []
    for by_key in keys.values():
        if len(by_key) > 1:
            where = "; ".join(
                f"{key[:12]} on {', '.join(sorted(set(on)))}" for key, on in sorted(by_key.items())
            )
            lines.append(f"one training under {len(by_key)} keys: {where}")
    return lines


def record_of(run: _Run) -> dict[str, Any]:
    """Return the published form of a run.

    Parameters
    ----------
    run : RunRecord
        A trained or replayed run.
    """
    return {
        "format": FORMAT_VERSION,
        "key": run.key,
        "configuration": configuration_id(run.settings),
        "settings": run.settings,
        "history": {name: list(run.history[name]) for name in METRICS},
        "final_weights_sha256": run.final_weights_sha256,
    }


def publish(runs: Iterable[_Run], target: Path | None = None) -> Path | None:
    """Add runs to the published records of the page being built.

    A run already there is kept once. Outside a site build, where no file
    is named, nothing is written.

    Parameters
    ----------
    runs : iterable of RunRecord
        The runs the page shows.
    target : Path, optional
        The page's record file; defaults to
        :func:`mnist_tutorial.config.published_runs_file`.

    Returns
    -------
    Path or None
        The file written, or None.
    """
    target = target if target is not None else config.published_runs_file()
    if target is None:
        return None
    records = read_page(target) if target.is_file() else []
    known = {record["key"] for record in records}
    for run in runs:
        if run.key not in known:
            records.append(record_of(run))
            known.add(run.key)
    # Full precision: json writes the shortest repr that reads back exactly.
    content = {"format": FORMAT_VERSION, "records": records}
    # Whole or not at all: a build killed mid-write must not leave a page's
    # records unreadable.
    with replaced_whole(target) as stream:
        stream.write(json.dumps(content, separators=(",", ":")) + "\n")
    return target


def read_page(path: Path) -> list[dict[str, Any]]:
    """Return the records of one published page file.

    Parameters
    ----------
    path : Path
        A file written by :func:`publish`.

    Raises
    ------
    ValueError
        If the file is not a published record file of this format.
    """
    return parse_page(path.read_text(), origin=str(path))


def parse_page(text: str, *, origin: str) -> list[dict[str, Any]]:
    """Return the records of a published page file's text.

    Parameters
    ----------
    text : str
        The file's JSON.
    origin : str
        Where it came from, for the error message.

    Raises
    ------
    ValueError
        If the text is not a published record file of this format.
    """
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{origin}: not JSON ({error})") from error
    return _records(content, origin=origin)


def _records(content: object, *, origin: str) -> list[dict[str, Any]]:
    if (
        not isinstance(content, dict)
        or content.get("format") != FORMAT_VERSION
        or not isinstance(content.get("records"), list)
    ):
        raise ValueError(f"{origin}: not a published run record file (format {FORMAT_VERSION})")
    return list(content["records"])


@dataclass(frozen=True)
class Difference:
    """How far one history is from another (see :func:`compare_histories`).

    Attributes
    ----------
    largest : float
        The largest absolute difference of any metric at any epoch; 0.0 when
        the histories are identical.
    metric : str or None
        The metric where it is, or None when identical.
    epoch : int or None
        The epoch (from 1) where it is, or None when identical.
    """

    largest: float
    metric: str | None
    epoch: int | None

    @property
    def identical(self) -> bool:
        """True when every value of every metric is the same."""
        return self.metric is None

    def __str__(self) -> str:
        if self.identical:
            return "identical"
        return f"largest difference {self.largest:.3g} in {self.metric} at epoch {self.epoch}"


def compare_histories(
    expected: Mapping[str, Sequence[float]], actual: Mapping[str, Sequence[float]]
) -> Difference:
    """Compare two per-epoch histories, value by value.

    Parameters
    ----------
    expected, actual : mapping of str to sequence of float
        Histories with the metrics of :data:`METRICS`.

    Returns
    -------
    Difference
        The largest difference, where it is; a history of another length
        differs at the first epoch one of them lacks.
    """
    largest = 0.0
    where: tuple[str, int] | None = None
    for metric in METRICS:
        first, second = list(expected[metric]), list(actual[metric])
        if len(first) != len(second):
            return Difference(math.inf, metric, min(len(first), len(second)) + 1)
        for epoch, (a, b) in enumerate(zip(first, second, strict=True), start=1):
            # A NaN differs from everything but a NaN.
            same = a == b or (math.isnan(a) and math.isnan(b))
            gap = 0.0 if same else abs(a - b)
            if not same and (where is None or gap > largest or math.isnan(gap)):
                largest, where = gap, (metric, epoch)
    if where is None:
        return Difference(0.0, None, None)
    return Difference(largest, where[0], where[1])


def carried(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return what a notebook carries of a published record: what the comparison needs.

    Each run's key, configuration, seed, number of validation examples and
    history (:func:`compare_with_site` reads nothing else).

    Parameters
    ----------
    record : mapping
        A published record (:func:`record_of`).
    """
    return {
        "key": record["key"],
        "configuration": record["configuration"],
        "settings": {
            "seed": record["settings"]["seed"],
            "validation_examples": record["settings"]["validation_examples"],
        },
        "history": record["history"],
    }


def _comparable(record: Any) -> bool:
    """Whether a record has what :func:`compare_with_site` reads, of the right types."""
    try:
        settings, history = record["settings"], record["history"]
        return (
            isinstance(record["key"], str)
            and isinstance(record["configuration"], str)
            and all(
                isinstance(settings[name], int) and not isinstance(settings[name], bool)
                for name in ("seed", "validation_examples")
            )
            and all(
                isinstance(history[metric], list)
                and history[metric]
                and all(isinstance(value, (int, float)) for value in history[metric])
                for metric in METRICS
            )
        )
    except (KeyError, TypeError):
        return False


def _comparable_once(records: Iterable[Any]) -> tuple[list[dict[str, Any]], int]:
    """Return the records the comparison can read, each key once, and how many were skipped."""
    kept: dict[str, dict[str, Any]] = {}
    skipped = 0
    for record in records:
        if not _comparable(record):
            skipped += 1
            continue
        kept.setdefault(record["key"], record)
    return list(kept.values()), skipped


def use_site_records(text: str) -> int:
    """Remember the site's records of a page, to compare the reader's runs with.

    A downloaded notebook calls this in its set-up cell with the records
    its page published. What cannot be read is skipped, with one line on
    standard error: the comparison is a courtesy and never stops a notebook.

    Parameters
    ----------
    text : str
        The page's published record file, as JSON.

    Returns
    -------
    int
        How many records are now remembered.
    """
    try:
        records = parse_page(text, origin="site records")
    except ValueError as error:
        sys.stderr.write(f"site records skipped: {error}\n")
        return len(_SITE_RECORDS)
    readable, skipped = _comparable_once([*_SITE_RECORDS, *records])
    if skipped:
        sys.stderr.write(
            f"site records: skipped {skipped} that cannot be compared (fields missing or "
            "of the wrong type)\n"
        )
    _SITE_RECORDS[:] = readable
    return len(_SITE_RECORDS)


def site_records() -> list[dict[str, Any]]:
    """Return the site's records remembered by :func:`use_site_records`."""
    return list(_SITE_RECORDS)


def compare_with_site(
    runs: Iterable[_Run], records: Sequence[Mapping[str, Any]] | None = None
) -> list[str]:
    """Say how each run compares with the site's run of the same configuration and seed.

    Parameters
    ----------
    runs : iterable of RunRecord
        The reader's runs.
    records : sequence of mapping, optional
        The site's published records; defaults to :func:`site_records`.

    Returns
    -------
    list of str
        One line per run the site also ran; none for the others (another
        configuration, or a draft build's few epochs on a subset).
    """
    # Each run once (a record listed twice is one seed, not two), and only
    # records it can read: a bad one is skipped, never a traceback.
    records, _ = _comparable_once(site_records() if records is None else records)
    # Paired by the configuration the site published: a notebook's records
    # carry too few settings to recompute it (carried).
    by_run = {(record["configuration"], record["settings"]["seed"]): record for record in records}
    lines = []
    for run in runs:
        configuration = configuration_id(run.settings)
        seed = run.settings["seed"]
        site = by_run.get((configuration, seed))
        if site is None:
            continue
        difference = compare_histories(site["history"], run.history)
        if difference.identical:
            lines.append(f"Compared with the site: your seed {seed} matches the site's exactly.")
            continue
        gap = abs(run.history["val_accuracy"][-1] - site["history"]["val_accuracy"][-1])
        if gap == 0:
            lines.append(
                f"Compared with the site: your seed {seed} differs from the site's only in the "
                f"last digits ({difference}); its final validation accuracy is the same."
            )
            continue
        finals = [
            record["history"]["val_accuracy"][-1]
            for record in records
            if record["configuration"] == configuration
        ]
        images = round(gap * int(run.settings["validation_examples"]))
        unit = "test image" if images == 1 else "test images"
        spread = max(finals) - min(finals)
        if len(finals) < 2:
            verdict = "the site ran one seed of this configuration, so it has no spread to compare"
        elif gap <= spread:
            verdict = f"well inside the site's spread over seeds ({spread:.4f})"
        else:
            verdict = (
                f"more than the site's spread over seeds ({spread:.4f}): check your library "
                "versions against the site's Reproducibility page"
            )
        lines.append(
            f"Compared with the site: your seed {seed} differs by {gap:.4f} in final validation "
            f"accuracy ({images} {unit}), {verdict}."
        )
    return lines
