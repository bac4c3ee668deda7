"""Tests for mnist_tutorial.verification (``nox -s verify``)."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mnist_tutorial import (
    config,
    data,
    identity,
    models,
    published,
    runner,
    training,
    verification,
)
from mnist_tutorial.records import weights_sha256


def make_dataset(n_train: int = 64, n_test: int = 32) -> data.Dataset:
    rng = np.random.default_rng(0)
    return data.preprocess(
        rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_train),
        rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_test),
    )


def record(key: str) -> dict[str, Any]:
    return {"key": key, "settings": {"seed": 0}}


PAGES = {
    "plot_01_baseline": [record("aaa1"), record("aaa2")],
    "plot_02_learning_rates": [record("bbb1"), record("abc9")],
}


def keys(records: list[dict[str, Any]]) -> list[str]:
    return [each["key"] for each in records]


def test_choose_every_run_by_default() -> None:
    assert keys(verification.choose(PAGES)) == ["aaa1", "aaa2", "bbb1", "abc9"]


def test_choose_pages_and_key_prefixes() -> None:
    assert keys(verification.choose(PAGES, ["plot_02_learning_rates"])) == ["bbb1", "abc9"]
    assert keys(verification.choose(PAGES, ["aaa"])) == ["aaa1", "aaa2"]
    assert keys(verification.choose(PAGES, ["ab", "aaa2"])) == ["abc9", "aaa2"]


def test_choose_a_seeded_sample() -> None:
    first = keys(verification.choose(PAGES, sample=2, seed=3))
    assert len(first) == len(set(first)) == 2
    assert keys(verification.choose(PAGES, sample=2, seed=3)) == first
    assert len(verification.choose(PAGES, sample=10)) == 4


@pytest.mark.parametrize(
    ("names", "sample", "message"),
    [
        (["plot_99"], None, r"'plot_99' is neither a page \(plot_01_baseline, plot_02_learning"),
        ([], 0, "sample must be at least 1, got 0"),
    ],
)
def test_choose_rejects_what_it_cannot_find(
    names: list[str], sample: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        verification.choose(PAGES, names, sample=sample)


@pytest.mark.parametrize(
    "build",
    [
        functools.partial(models.build_model, learning_rate=0.1, momentum=0.9),
        functools.partial(models.build_model, conv_filters=(32, 64)),
    ],
)
def test_a_model_rebuilt_from_its_settings_has_the_same_key(build: Any) -> None:
    dataset = make_dataset()
    original = training.RunConfig(build, epochs=1, batch_size=16, seed=3)
    built = runner.build_run(original, dataset, 1, (1, 2))
    again = training.RunConfig(
        functools.partial(verification.rebuild, built.settings), epochs=1, batch_size=16, seed=3
    )
    assert runner.build_run(again, dataset, 1, (1, 2)).key == built.key


def test_verify_retrains_in_a_fresh_cache_whatever_the_users_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user's cache may hold the very runs being verified, and their draft
    # setting would cut the epochs: verify must see neither.
    dataset = make_dataset()
    built = runner.build_run(
        training.RunConfig(models.build_model, epochs=2, batch_size=16), dataset, 2, (1, 2)
    )
    published_record = {"key": built.key, "settings": built.settings, "history": {}}
    users_cache = tmp_path / "users-cache"
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(users_cache))
    monkeypatch.setenv(config.ENV_DRAFT, "1")
    seen: list[tuple[Path | None, bool, list[Path]]] = []

    def train_records(runs: list[training.RunConfig], chosen: data.Dataset) -> list[object]:
        cache = config.run_cache_dir()
        contents = sorted(cache.iterdir()) if cache is not None else []
        seen.append((cache, config.draft_mode(), contents))
        assert [run.epochs for run in runs] == [2]
        raise RuntimeError("stop here: what verify trains with is seen")

    monkeypatch.setattr(training, "train_records", train_records)
    with pytest.raises(RuntimeError, match="stop here"):
        verification.verify([published_record], dataset)
    [(cache, draft, contents)] = seen
    assert cache is not None
    assert cache != users_cache
    assert contents == []
    assert draft is False
    # And the user's settings are back.
    assert config.run_cache_dir() == users_cache
    assert config.draft_mode()
    assert not cache.exists()


def test_a_site_without_records_says_how_to_make_them(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="build the site first"):
        verification.load_site(tmp_path)


def test_the_machine_is_described() -> None:
    described = verification.machine()
    assert described["threads"] == "{} intra-op, {} inter-op".format(*config.training_threads())
    assert described["instruction set"] == identity.instruction_set()
    assert set(described) >= {"GPUs", "TensorFlow", "Keras"}


def test_a_hosted_site_is_read_like_a_local_one(tmp_path: Path) -> None:
    records = [{"key": "k1", "settings": {"seed": 0}}]
    site = write_site(tmp_path / "site", records)
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        assert verification.load_site(url) == verification.load_site(site) == {"page": records}
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        del format, args


def write_site(folder: Path, records: list[dict[str, Any]]) -> Path:
    runs = folder / published.SITE_DIR
    runs.mkdir(parents=True)
    (runs / "page.json").write_text(json.dumps({"format": 1, "records": records}))
    (runs / "index.json").write_text(json.dumps({"format": 1, "pages": {"page": "page.json"}}))
    return folder


@pytest.mark.training
def test_verify_retrains_published_runs_and_fails_on_one_unit_in_the_last_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = make_dataset()
    page = tmp_path / "published.json"
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(tmp_path / "cache"))
    monkeypatch.setenv(config.ENV_PUBLISH_RUNS, str(page))
    monkeypatch.delenv(config.ENV_DRAFT, raising=False)
    runs = [
        training.RunConfig(models.build_model, epochs=2, batch_size=16, seed=seed)
        for seed in (0, 1)
    ]
    trained = training.train_many(runs, dataset, emit=lambda line: None)
    monkeypatch.delenv(config.ENV_PUBLISH_RUNS)
    records = published.read_page(page)
    # The hash is of the trained weights, not the initial ones.
    final = weights_sha256(trained[0].load_model())
    assert final == trained[0].final_weights_sha256 != trained[0].settings["initial_weights_sha256"]
    assert [each["final_weights_sha256"] for each in records] == [
        run.final_weights_sha256 for run in trained
    ]

    verdicts = verification.verify(records, dataset)
    assert [verdict.passes(0) for verdict in verdicts] == [True, True]
    assert str(verdicts[0]).endswith(
        "conv (32,), SGD lr=0.01, seed 0: identical, same final weights"
    )

    monkeypatch.setattr(verification, "_dataset", lambda settings: dataset)
    assert verification.main(["--site", str(write_site(tmp_path / "good", records))]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 of 2 runs match their records"

    altered = json.loads(json.dumps(records))
    value = altered[1]["history"]["val_loss"][1]
    altered[1]["history"]["val_loss"][1] = float(np.nextafter(value, np.inf))
    site = write_site(tmp_path / "altered", altered)
    assert verification.main(["--site", str(site)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "1 of 2 runs match their records"
    assert any(
        line.startswith(f"  FAIL {records[1]['key'][:12]} ")
        and "in val_loss at epoch 2, same final weights" in line
        for line in out
    )


@pytest.mark.training
def test_a_run_trained_with_a_pages_own_fit_is_verified_with_fit_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = make_dataset()
    page = tmp_path / "published.json"
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(tmp_path / "cache"))
    monkeypatch.setenv(config.ENV_PUBLISH_RUNS, str(page))
    monkeypatch.delenv(config.ENV_DRAFT, raising=False)

    def fit(model, x_train, y_train, x_test, y_test, callbacks):  # type: ignore[no-untyped-def]
        return model.fit(
            x_train,
            y_train,
            batch_size=16,
            epochs=2,
            validation_data=(x_test, y_test),
            callbacks=callbacks,
            verbose=0,
        )

    run = training.RunConfig(models.build_model, epochs=2, batch_size=16, seed=0, fit=fit)
    training.train_many([run], dataset, emit=lambda line: None)
    monkeypatch.delenv(config.ENV_PUBLISH_RUNS)
    (record,) = published.read_page(page)
    assert record["settings"]["fit"][0]["validation_data"] == [
        {"data": "x_test"},
        {"data": "y_test"},
    ]

    # The page's fit makes fit_model's call: the retrained run has its key.
    (verdict,) = verification.verify([record], dataset)
    assert verdict.same_key
    assert verdict.passes(0)
    # A run published under another key (another call) is another run.
    other = json.loads(json.dumps(record))
    other["key"] = "0" * 64
    (verdict,) = verification.verify([other], dataset)
    assert not verdict.same_key
    assert verdict.differing == ()
    # One published on another instruction set says so.
    other["settings"]["instruction_set"] = "x86_64 sse41"
    (verdict,) = verification.verify([other], dataset)
    assert verdict.differing == ("instruction_set",)
    assert "another key (instruction_set differs)" in str(verdict)


def _verdict(*, same_key: bool = True, largest: float = 0.0, same_weights: bool | None = True):
    difference = published.Difference(
        largest, None if largest == 0 else "val_loss", None if largest == 0 else 2
    )
    return verification.Verdict("k" * 64, "a run", same_key, difference, same_weights)


@pytest.mark.parametrize("tolerance", [0.0, 1e-6, 1.0])
def test_another_key_or_other_weights_fail_at_any_tolerance(tolerance: float) -> None:
    assert _verdict().passes(tolerance)
    assert not _verdict(same_key=False).passes(tolerance)
    assert not _verdict(same_weights=False).passes(tolerance)
    # A record without a weights hash is judged by its history alone.
    assert _verdict(same_weights=None).passes(tolerance)


def test_the_tolerance_bounds_the_history_only_when_above_zero() -> None:
    close = _verdict(largest=1e-7)
    assert not close.passes(0)
    assert close.passes(1e-7)
    assert not close.passes(1e-8)


@pytest.mark.parametrize(
    ("tolerance", "error"),
    [(-1e-9, ValueError), (float("nan"), ValueError), (float("inf"), ValueError), ("0", TypeError)],
)
def test_a_tolerance_must_be_a_finite_number_at_least_zero(
    tolerance: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"^tolerance must be a (finite )?number >= 0, got "):
        _verdict().passes(tolerance)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["-0.1", "nan", "inf"])
def test_the_command_line_refuses_a_bad_tolerance(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        verification.main(["--tolerance", text])
    assert exit_info.value.code == 2
    assert "tolerance must be a finite number >= 0" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "code"), [("0.001", 0), ("0.0001", 1), ("0", 1)])
def test_the_command_line_reads_the_tolerance_as_a_difference_in_the_metrics(
    text: str, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A retrained run 0.0005 away from its record: within 0.001, not within 0.0001.
    site = write_site(tmp_path / "site", [record("a" * 64)])
    monkeypatch.setattr(verification, "verify", lambda runs: [_verdict(largest=0.0005)])
    monkeypatch.setattr(verification, "machine", dict)
    assert verification.main(["--site", str(site), "--tolerance", text]) == code
