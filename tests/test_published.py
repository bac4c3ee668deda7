"""Tests for mnist_tutorial.published."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mnist_tutorial import config, identity, published

SETTINGS: dict[str, Any] = {
    "architecture": {"layers": ["conv", "dense"]},
    "compile": {"optimizer": {"learning_rate": 0.1}},
    "epochs": 3,
    "batch_size": 32,
    "seed": 0,
    "train_examples": 60000,
    "validation_examples": 10000,
    "data_fingerprint": "abc",
    "initial_weights_sha256": "w0",
    "threads": {"intra_op": 1, "inter_op": 2},
    "steps_per_execution": 64,
    "trainer_sha256": "t",
    "versions": {"tensorflow": "2.21.0"},
    "format": 2,
}


def history(final_val_accuracy: float = 0.9762) -> dict[str, list[float]]:
    return {
        "loss": [0.5, 0.25, 0.125],
        "accuracy": [0.9, 0.95, 0.97],
        "val_loss": [0.3, 0.2, 0.1],
        "val_accuracy": [0.95, 0.97, final_val_accuracy],
    }


@dataclass
class Run:
    """A stand-in RunRecord."""

    key: str
    settings: dict[str, Any] = field(default_factory=lambda: dict(SETTINGS))
    history: dict[str, list[float]] = field(default_factory=history)
    final_weights_sha256: str = "final"


def run(seed: int, final_val_accuracy: float = 0.9762, **changes: Any) -> Run:
    return Run(
        key=f"key-{seed}-{final_val_accuracy}-{sorted(changes.items())}",
        settings={**SETTINGS, "seed": seed, **changes},
        history=history(final_val_accuracy),
    )


@pytest.fixture(autouse=True)
def no_site_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(published, "_SITE_RECORDS", [])


@pytest.mark.parametrize(
    "name",
    [
        "seed",
        "initial_weights_sha256",
        "threads",
        "versions",
        "trainer_sha256",
        "fit",
        "steps_per_execution",
        "format",
    ],
)
def test_a_configuration_is_the_same_whatever_the_seed_machine_or_versions(name: str) -> None:
    other = {**SETTINGS, name: "something else"}
    assert published.configuration_id(other) == published.configuration_id(SETTINGS)


@pytest.mark.parametrize(
    "name",
    [
        "architecture",
        "compile",
        "epochs",
        "batch_size",
        "train_examples",
        "validation_examples",
        "data_fingerprint",
    ],
)
def test_a_configuration_changes_with_the_experiment(name: str) -> None:
    other = {**SETTINGS, name: "something else"}
    assert published.configuration_id(other) != published.configuration_id(SETTINGS)


def test_a_published_record_holds_identity_history_and_final_weights() -> None:
    record = published.record_of(run(1))
    assert record == {
        "format": published.FORMAT_VERSION,
        "key": run(1).key,
        "configuration": published.configuration_id(SETTINGS),
        "settings": {**SETTINGS, "seed": 1},
        "history": history(),
        "final_weights_sha256": "final",
    }


def test_publish_appends_each_run_once_and_reads_back_exactly(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "plot_01.json"
    # A value whose shortest repr has 17 digits must come back bit for bit.
    precise = run(0, final_val_accuracy=0.1 + 0.2)
    assert published.publish([precise, run(1)], target) == target
    published.publish([run(1), run(2)], target)
    records = published.read_page(target)
    assert [record["settings"]["seed"] for record in records] == [0, 1, 2]
    assert records[0]["history"]["val_accuracy"][-1] == 0.1 + 0.2


def test_publish_outside_a_site_build_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(config.ENV_PUBLISH_RUNS, raising=False)
    assert published.publish([run(0)]) is None
    monkeypatch.setenv(config.ENV_PUBLISH_RUNS, str(tmp_path / "page.json"))
    assert published.publish([run(0)]) == tmp_path / "page.json"
    assert len(published.read_page(tmp_path / "page.json")) == 1


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", '{"format": 99, "records": []}', '{"format": 1, "records": {}}'],
)
def test_a_file_that_is_not_a_record_file_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="here: not"):
        published.parse_page(text, origin="here")


def test_identical_histories_are_identical() -> None:
    difference = published.compare_histories(history(), history())
    assert difference.identical
    assert (difference.largest, difference.metric, difference.epoch) == (0.0, None, None)
    assert str(difference) == "identical"


def test_one_unit_in_the_last_place_is_a_difference() -> None:
    changed = history()
    changed["val_loss"][1] = float(np.nextafter(changed["val_loss"][1], 1.0))
    difference = published.compare_histories(history(), changed)
    assert not difference.identical
    assert (difference.metric, difference.epoch) == ("val_loss", 2)
    assert difference.largest == pytest.approx(2.7755575615628914e-17)
    assert str(difference) == "largest difference 2.78e-17 in val_loss at epoch 2"


def test_the_largest_difference_is_reported() -> None:
    changed = history()
    changed["loss"][0] += 0.01
    changed["accuracy"][2] -= 0.02
    difference = published.compare_histories(history(), changed)
    assert (difference.metric, difference.epoch) == ("accuracy", 3)
    assert difference.largest == pytest.approx(0.02)


def test_nan_matches_only_nan() -> None:
    with_nan = history()
    with_nan["loss"][2] = math.nan
    assert published.compare_histories(with_nan, with_nan).identical
    difference = published.compare_histories(history(), with_nan)
    assert (difference.metric, difference.epoch) == ("loss", 3)


def test_a_shorter_history_differs_where_it_stops() -> None:
    shorter = {name: values[:2] for name, values in history().items()}
    difference = published.compare_histories(history(), shorter)
    assert (difference.largest, difference.metric, difference.epoch) == (math.inf, "loss", 3)


def site(*runs: Run) -> str:
    content = {
        "format": published.FORMAT_VERSION,
        "records": [published.record_of(each) for each in runs],
    }
    return json.dumps(content)


def test_site_records_are_remembered_once_and_bad_text_is_ignored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert published.use_site_records(site(run(0), run(1))) == 2
    assert published.use_site_records(site(run(1))) == 2
    assert published.use_site_records("not json") == 2
    assert [record["settings"]["seed"] for record in published.site_records()] == [0, 1]
    assert capsys.readouterr().err.startswith("site records skipped: site records: not JSON")


@pytest.mark.parametrize(
    "damage",
    [
        lambda record: record.pop("configuration"),
        lambda record: record["settings"].pop("seed"),
        lambda record: record["settings"].update(seed="0"),
        lambda record: record["history"].pop("val_accuracy"),
        lambda record: record["history"].update(val_accuracy=[]),
        lambda record: record["history"].update(val_accuracy=["0.9"]),
        lambda record: record.update(settings=None),
    ],
)
def test_a_bad_record_is_skipped_with_one_line_never_a_traceback(
    damage: Callable[[dict[str, Any]], object], capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = (published.carried(published.record_of(each)) for each in (run(0), run(1)))
    damage(bad)
    text = json.dumps({"format": published.FORMAT_VERSION, "records": [good, bad]})
    assert published.use_site_records(text) == 1
    err = capsys.readouterr().err
    assert err == (
        "site records: skipped 1 that cannot be compared (fields missing or of the wrong type)\n"
    )
    assert published.compare_with_site([run(0), run(1, 0.97)]) == [
        "Compared with the site: your seed 0 matches the site's exactly."
    ]
    # Records handed in directly are screened the same way.
    assert published.compare_with_site([run(1, 0.97)], [good, bad]) == []


def test_the_records_a_notebook_carries_pair_and_compare_like_the_full_ones() -> None:
    # A notebook carries too few settings to recompute a configuration's id:
    # pairing must use the one the site published.
    full = [published.record_of(each) for each in (run(0), run(1, 0.9747), run(2, 0.9770))]
    trimmed = [published.carried(record) for record in full]
    assert set(trimmed[0]["settings"]) == {"seed", "validation_examples"}
    mine = [run(0, 0.9766), run(1, 0.9747)]
    lines = published.compare_with_site(mine, trimmed)
    assert lines == published.compare_with_site(mine, full)
    assert lines == [
        (
            "Compared with the site: your seed 0 differs by 0.0004 in final validation accuracy "
            "(4 test images), well inside the site's spread over seeds (0.0023)."
        ),
        "Compared with the site: your seed 1 matches the site's exactly.",
    ]


def test_the_spread_is_over_the_seeds_of_the_runs_configuration_alone() -> None:
    # A page with two configurations: the other one's seeds spread far wider.
    other = {"compile": {"optimizer": {"learning_rate": 1.0}}}
    site_runs = [run(0), run(1, 0.9760), run(0, 0.10, **other), run(1, 0.99, **other)]
    records = [published.record_of(each) for each in site_runs]
    [line] = published.compare_with_site([run(0, 0.9700)], records)
    assert line.endswith(
        "more than the site's spread over seeds (0.0002): check your "
        "library versions against the site's Reproducibility page."
    )
    [line] = published.compare_with_site([run(1, 0.5, **other)], records)
    assert line.endswith("well inside the site's spread over seeds (0.8900).")


def test_a_record_listed_twice_is_one_seed() -> None:
    record = published.record_of(run(0))
    [line] = published.compare_with_site([run(0, 0.9700)], [record, dict(record)])
    assert line.endswith(
        "the site ran one seed of this configuration, so it has no spread to compare."
    )


def test_a_run_that_matches_the_site_says_so() -> None:
    published.use_site_records(site(run(0), run(1, 0.9747)))
    assert published.compare_with_site([run(0)]) == [
        "Compared with the site: your seed 0 matches the site's exactly."
    ]


def test_a_difference_inside_the_spread_over_seeds_is_called_so() -> None:
    records = [published.record_of(each) for each in (run(0), run(1, 0.9747), run(2, 0.9770))]
    [line] = published.compare_with_site([run(0, 0.9766)], records)
    assert line == (
        "Compared with the site: your seed 0 differs by 0.0004 in final validation accuracy "
        "(4 test images), well inside the site's spread over seeds (0.0023)."
    )


def test_a_difference_beyond_the_spread_points_at_the_versions() -> None:
    records = [published.record_of(each) for each in (run(0), run(1, 0.9760))]
    [line] = published.compare_with_site([run(0, 0.9700)], records)
    assert line == (
        "Compared with the site: your seed 0 differs by 0.0062 in final validation accuracy "
        "(62 test images), more than the site's spread over seeds (0.0002): check your "
        "library versions against the site's Reproducibility page."
    )


def test_a_difference_in_the_last_digits_only_keeps_the_accuracy() -> None:
    records = [published.record_of(run(0))]
    mine = run(0)
    mine.history["loss"][0] = 0.5000001
    [line] = published.compare_with_site([mine], records)
    assert line.startswith("Compared with the site: your seed 0 differs from the site's only in")
    assert "in loss at epoch 1" in line
    assert line.endswith("its final validation accuracy is the same.")


def test_one_seed_on_the_site_gives_no_spread() -> None:
    records = [published.record_of(run(0))]
    [line] = published.compare_with_site([run(0, 0.9700)], records)
    assert line.endswith(
        "the site ran one seed of this configuration, so it has no spread to compare."
    )


def test_runs_the_site_did_not_make_get_no_line() -> None:
    published.use_site_records(site(run(0)))
    # Another seed, and a draft build's few epochs.
    assert published.compare_with_site([run(5), run(0, epochs=2)]) == []
    published._SITE_RECORDS.clear()
    assert published.compare_with_site([run(0)]) == []


def test_a_configuration_is_its_runs_configuration_settings() -> None:
    # Every setting of another kind (seed, machine, library, code, format)
    # leaves the identifier alone; a configuration setting changes it.
    settings = {name: f"value of {name}" for name in identity.RUN_IDENTITY}
    for name, setting in identity.RUN_IDENTITY.items():
        changed = {**settings, name: "another value"}
        same = published.configuration_id(changed) == published.configuration_id(settings)
        assert same == (setting.kind != "configuration"), name


def test_trained_twice_compares_the_configuration_and_the_seed() -> None:
    assert set(published.TRAINED) == {
        name
        for name, setting in identity.RUN_IDENTITY.items()
        if setting.kind in {"configuration", "seed"}
    }


def _record(key: str, **changes: object) -> dict[str, object]:
    return {"key": key, "settings": {**SETTINGS, **changes}}


def test_one_training_under_two_keys_is_reported_once_with_its_pages() -> None:
    pages = {
        "plot_01": [_record("a" * 64), _record("c" * 64, seed=1)],
        # Part 2's copy of the same training, keyed otherwise (another fit's code).
        "plot_02": [_record("b" * 64, trainer_sha256="other"), _record("c" * 64, seed=1)],
    }
    assert published.trained_twice(pages) == [
        f"one training under 2 keys: {'a' * 12} on plot_01; {'b' * 12} on plot_02"
    ]


@pytest.mark.parametrize("name", published.TRAINED)
def test_runs_that_differ_in_what_is_trained_are_not_reported(name: str) -> None:
    pages = {"plot_01": [_record("a" * 64)], "plot_02": [_record("b" * 64, **{name: "other"})]}
    assert published.trained_twice(pages) == []


def test_the_same_run_shown_on_two_pages_is_not_reported() -> None:
    pages = {"plot_01": [_record("a" * 64)], "plot_02": [_record("a" * 64)]}
    assert published.trained_twice(pages) == []
