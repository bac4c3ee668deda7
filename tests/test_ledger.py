"""Tests for mnist_tutorial.ledger: reading, merging and the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_tutorial import claims, config, identity, ledger


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.97, "0.9700"),
        (0.0, "0.0000"),
        (-0.0004, "-0.0004"),
        (0.0001, "0.0001"),
        (0.00005, "5.000e-05"),
        (-1.234e-7, "-1.234e-07"),
        (19.0, "19.0000"),
    ],
)
def test_numbers_read_with_four_decimals(value: float, text: str) -> None:
    assert ledger.format_number(value) == text


def write_page(folder: Path, page: str, monkeypatch: pytest.MonkeyPatch, offset: str = "0") -> Path:
    """Record a page's ledger the way a build does; return its file."""
    target = folder / f"{page}.json"
    with monkeypatch.context() as patch:
        patch.setenv(config.ENV_CLAIMS_LEDGER, str(target))
        patch.setenv(config.ENV_SEED_OFFSET, offset)
        patch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
        claims.at_least([0.98, 0.99], 0.97, f"{page} is accurate")
        claims.within([0.5], 0.25, 0.75, f"{page} is half", spread=0.0)
        claims.check(condition=True, claim=f"{page} orders")
    return target


def test_merged_ledgers_read_back_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = write_page(tmp_path, "plot_02_learning_rates", monkeypatch)
    first = write_page(tmp_path, "plot_01_baseline", monkeypatch)
    merged = ledger.merge_ledgers([second, first])
    assert merged == {
        "format": 2,
        "seeds": [0, 1, 2],
        "pages": [ledger.read_ledger(first), ledger.read_ledger(second)],
    }
    target = tmp_path / "merged.json"
    target.write_text(json.dumps(merged))
    assert ledger.read_ledger(target) == merged
    assert ledger.read_ledger(str(target)) == merged
    assert ledger.merge_ledgers([]) == {"format": 2, "seeds": [], "pages": []}


def test_merging_refuses_what_is_not_one_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write_page(tmp_path / "a", "plot_01_baseline", monkeypatch)
    again = write_page(tmp_path / "b", "plot_01_baseline", monkeypatch)
    other_seeds = write_page(tmp_path / "c", "plot_03_momentum", monkeypatch, offset="100")
    with pytest.raises(ValueError, match="a second ledger of the page 'plot_01_baseline'"):
        ledger.merge_ledgers([first, again])
    with pytest.raises(
        ValueError,
        match=r"different seeds \(plot_01_baseline: \[0, 1, 2\], plot_03_momentum: \[100, ",
    ):
        ledger.merge_ledgers([first, other_seeds])
    merged = tmp_path / "merged.json"
    merged.write_text(json.dumps(ledger.merge_ledgers([first])))
    with pytest.raises(ValueError, match="a merged ledger, not a page's"):
        ledger.merge_ledgers([merged])


def valid_page() -> dict[str, object]:
    return {
        "format": 2,
        "page": "plot_01_baseline",
        "seeds": [0, 1, 2],
        "claims": [
            {
                "claim": "c",
                "kind": "within",
                "values": [0.5],
                "limit": [0.25, 0.75],
                "margin": 0.25,
                "spread": 0.0,
                "holds": True,
                "fragile": False,
                "line": 3,
                "seeds": [0, 1, 2],
                "draft": False,
            }
        ],
    }


def entry_with(**changes: object) -> dict[str, object]:
    page = valid_page()
    page["claims"] = [{**page["claims"][0], **changes}]  # type: ignore[index]
    return page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([], r"not a claims ledger \(format 2\)"),
        ({"format": 2, "seeds": [-1], "pages": []}, "invalid seeds: \\[-1\\]"),
        ({"format": 2, "seeds": [0], "pages": {}}, "invalid pages: {}"),
        (
            {"format": 2, "seeds": [0], "pages": [], "extra": 1},
            "expected an object with the fields",
        ),
        (entry_with(limit=[0.25, 0.5, 0.75]), "invalid limit"),
        (entry_with(kind="at_least", limit=[0.25]), "invalid limit"),
        ({**valid_page(), "format": 1}, "not a claims ledger"),
        ({**valid_page(), "extra": 1}, "expected an object with the fields"),
        ({**valid_page(), "page": "a/b"}, "invalid page"),
        ({**valid_page(), "seeds": [-1]}, "invalid seeds"),
        ({**valid_page(), "claims": {}}, "invalid claims"),
        ({"format": 2, "seeds": [0], "pages": [{"format": 2}]}, r"pages\[0\]: expected"),
        ({"format": 2, "seeds": [0], "pages": [{**valid_page(), "format": 1}]}, "invalid format"),
        (entry_with(kind="between"), r"claims\[0\]: invalid kind"),
        (entry_with(claim=" "), "invalid claim"),
        (entry_with(holds=1), "invalid holds"),
        (entry_with(line=True), "invalid line"),
        (entry_with(limit=0.25), "invalid limit"),
        (entry_with(kind="at_least"), "invalid limit"),
        (entry_with(values=[]), "invalid values"),
        (entry_with(margin=None), "invalid margin"),
        (entry_with(spread="0"), "invalid spread"),
        (entry_with(kind="check"), "invalid values"),
        (entry_with(draft=None), "invalid draft"),
        ({**entry_with(), "claims": [3]}, r"claims\[0\]: expected an object"),
    ],
)
def test_reading_a_ledger_checks_it(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match=message) as raised:
        ledger.read_ledger(path)
    # The message starts with the file that is wrong.
    assert str(raised.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ({**valid_page(), "extra": 1}, "['claims', 'extra', 'format', 'page', 'seeds']"),
        ({"format": 2, "seeds": [0], "pages": [3]}, "int"),
    ],
)
def test_a_ledger_with_other_fields_says_which_it_has(
    tmp_path: Path, content: object, found: str
) -> None:
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match="expected an object with the fields") as raised:
        ledger.read_ledger(path)
    assert str(raised.value).endswith(f", got {found}")


def test_a_ledger_is_written_whole_through_a_hidden_file_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "claims" / "seeds-0.json"
    renamed: list[Path] = []
    replace = Path.replace

    def recording_replace(self: Path, other: Path) -> Path:
        renamed.append(self)
        return replace(self, other)

    monkeypatch.setattr(Path, "replace", recording_replace)
    ledger.write_ledger(target, valid_page())
    # Renamed from the same folder (one file system, so the rename is atomic),
    # under a hidden name that no glob for *.json picks up half-written.
    (source,) = renamed
    assert source.parent == target.parent
    assert source.name.startswith(".seeds-0.json.")
    assert source.suffix == ".tmp"
    assert sorted(path.name for path in target.parent.iterdir()) == ["seeds-0.json"]
    # One key per line, for readable diffs of the committed ledgers.
    assert target.read_text() == json.dumps(valid_page(), indent=1) + "\n"


def test_the_command_line_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_code:
        ledger.main(["--help"])
    assert exit_code.value.code == 0
    # Lines joined: argparse wraps the help to the terminal's width.
    usage = " ".join(capsys.readouterr().out.split())
    assert usage.startswith("usage: python -m mnist_tutorial.ledger ")
    assert " Work with claims ledgers. " in usage
    assert " merge merge the page ledgers of one build into one file" in usage
    with pytest.raises(SystemExit):
        ledger.main(["merge", "--help"])
    usage = " ".join(capsys.readouterr().out.split())
    assert usage.startswith(
        "usage: python -m mnist_tutorial.ledger merge [-h] -o OUTPUT directory "
    )
    assert " directory folder of page ledgers (*.json) " in usage
    assert " --output OUTPUT the merged file" in usage


@pytest.mark.parametrize(
    ("arguments", "missing"), [([], "command"), (["merge", "folder"], "-o/--output")]
)
def test_the_command_line_needs_a_command_and_an_output(
    capsys: pytest.CaptureFixture[str], arguments: list[str], missing: str
) -> None:
    with pytest.raises(SystemExit) as exit_code:
        ledger.main(arguments)
    assert exit_code.value.code == 2
    assert f"the following arguments are required: {missing}" in capsys.readouterr().err


def test_reading_needs_json_at_a_path(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(valid_page()))
    assert ledger.read_ledger(path) == valid_page()
    path.write_text("{")
    with pytest.raises(ValueError, match=r"ledger\.json: not JSON"):
        ledger.read_ledger(path)
    with pytest.raises(TypeError, match="path must be a str or a Path, got 3"):
        ledger.read_ledger(3)  # type: ignore[arg-type]


def test_the_command_line_merges_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "_generated" / "claims"
    write_page(folder, "plot_01_baseline", monkeypatch, offset="100")
    write_page(folder, "plot_05_lr_range_test", monkeypatch, offset="100")
    target = tmp_path / "claims" / "seeds-100.json"
    assert ledger.main(["merge", str(folder), "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"{target}: 6 claims of 2 pages, seeds [100, 101, 102]\n"
    merged = ledger.read_ledger(target)
    assert merged == ledger.merge_ledgers(sorted(folder.glob("*.json")))
    assert [page["page"] for page in merged["pages"]] == [
        "plot_01_baseline",
        "plot_05_lr_range_test",
    ]


def test_the_command_line_says_what_it_cannot_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_code:
        ledger.main(["merge", str(tmp_path), "-o", str(tmp_path / "out.json")])
    assert exit_code.value.code == 2
    assert f"no ledger (*.json) in {tmp_path}" in capsys.readouterr().err
    write_page(tmp_path, "plot_01_baseline", monkeypatch)
    write_page(tmp_path, "plot_02_learning_rates", monkeypatch, offset="3")
    with pytest.raises(SystemExit):
        ledger.main(["merge", str(tmp_path), "-o", str(tmp_path / "out.json")])
    assert "different seeds" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()


def test_the_module_runs_as_a_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_page(tmp_path / "in", "plot_01_baseline", monkeypatch)
    target = tmp_path / "out.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mnist_tutorial.ledger",
            "merge",
            str(tmp_path / "in"),
            "-o",
            str(target),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert ledger.read_ledger(target)["pages"][0]["page"] == "plot_01_baseline"


def a_page(*entries: tuple[str, list[float] | None, float | None]) -> dict[str, object]:
    """A page's ledger with rows of (kind, values, limit)."""
    rows = [
        {"claim": f"row {index}", "kind": kind, "values": values, "limit": limit}
        for index, (kind, values, limit) in enumerate(entries)
    ]
    return {"page": "plot_07_results", "claims": rows}


def test_a_page_may_not_call_a_gap_a_result_and_a_wider_one_a_tie() -> None:
    tie = ("tied", [0.001, 0.004], claims.TIE)
    wide_lead = ("ahead", [0.006, 0.01], 0.0)
    narrow_lead = ("ahead", [0.004, 0.01], 0.0)
    assert ledger.tie_conflicts(a_page(tie, wide_lead)) == []
    # Without a tie on the page, a narrow lead is only a direction.
    assert ledger.tie_conflicts(a_page(narrow_lead)) == []
    [conflict] = ledger.tie_conflicts(a_page(tie, narrow_lead, wide_lead))
    assert "'row 1'" in conflict
    assert "smallest difference 0.0040" in conflict
    # A lead exactly as wide as the tie is not wider.
    assert ledger.tie_conflicts(a_page(tie, ("ahead", [claims.TIE], 0.0)))


def test_one_measurement_on_two_rows_is_reported_once_per_repeat() -> None:
    lead = ("ahead", [0.01, 0.02, 0.015], 0.0)
    first = a_page(lead, ("at_least", [0.5], 0.4), ("check", None, None))
    second = {**a_page(("at_most", [0.01, 0.02, 0.015], 0.0), lead), "page": "plot_05"}
    [repeat] = ledger.repeated_measurements([first, second])
    assert repeat == "plot_05: 'row 1' repeats plot_07_results: 'row 0'"
    # Another kind, another limit or one other seed's value is another measurement.
    for other in (("tied", lead[1], 0.0), ("ahead", lead[1], 0.005), ("ahead", [0.01, 0.02], 0.0)):
        assert ledger.repeated_measurements([first, a_page(other)]) == []
    # Rows without values (claims.check) are not compared, nor equal rows on one page
    # (two seeds' points on a coarse grid can coincide).
    checks = a_page(("check", None, None), ("check", None, None))
    assert ledger.repeated_measurements([checks, {**checks, "page": "plot_05"}]) == []
    assert ledger.repeated_measurements([a_page(lead, lead, lead)]) == []
    # A third page repeating it is reported against the first page that recorded it.
    third = {**a_page(lead), "page": "plot_06"}
    assert ledger.repeated_measurements([first, second, third])[1] == (
        "plot_06: 'row 0' repeats plot_07_results: 'row 0'"
    )


def git(folder: Path, *arguments: str) -> str:
    result = subprocess.run(
        [shutil.which("git") or "git", "-C", str(folder), *arguments],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def commit(folder: Path, *arguments: str) -> None:
    """Commit in ``folder`` as a throwaway author: ``git commit ARGUMENTS``."""
    git(folder, "-c", "user.name=t", "-c", "user.email=t@t", "commit", *arguments)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A committed project with one example page."""
    folder = tmp_path / "project"
    (folder / "examples" / "beyond").mkdir(parents=True)
    (folder / "examples" / "beyond" / "plot_01_baseline.py").write_text("x = 1\n")
    git(folder.parent, "init", "-q", str(folder))
    git(folder, "add", ".")
    commit(folder, "-q", "-m", "one page")
    return folder


def test_a_column_names_its_commit_and_goes_stale_when_a_page_changes(
    tmp_path: Path, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = tmp_path / "claims"
    write_page(pages, "plot_01_baseline", monkeypatch, offset="13")
    target = tmp_path / "seeds-13.json"
    assert (
        ledger.main(["column", str(pages), "-o", str(target), "--repository", str(checkout)]) == 0
    )
    column = ledger.read_ledger(target)
    measured = column["provenance"]
    assert measured["commit"] == git(checkout, "rev-parse", "HEAD")
    assert set(measured["versions"]) == {"python", "tensorflow", "keras", "numpy"}
    # The instruction set changes a run's last digits: the column names it.
    assert measured["machine"].startswith(f"{identity.instruction_set()}, ")
    assert column["seeds"] == [13, 14, 15]
    examples = checkout / "examples"
    assert ledger.stale_pages(column, examples) == []
    (examples / "beyond" / "plot_01_baseline.py").write_text("x = 2\n")
    assert ledger.stale_pages(column, examples) == ["plot_01_baseline"]
    # The package's own code is part of what a column measured.
    column["provenance"]["package"] = "0" * 64
    assert ledger.stale_pages(column, examples) == ["plot_01_baseline", "the package"]
    # A page that has left the gallery is stale too, and named.
    (examples / "beyond" / "plot_01_baseline.py").unlink()
    assert ledger.stale_pages(column, examples) == [
        "plot_01_baseline (not one script in the gallery)",
        "the package",
    ]


def test_a_column_refuses_a_commit_made_during_its_build(
    tmp_path: Path,
    checkout: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pages = tmp_path / "claims"
    write_page(pages, "plot_01_baseline", monkeypatch)
    started = git(checkout, "rev-parse", "HEAD")
    (checkout / "examples" / "beyond" / "plot_01_baseline.py").write_text("x = 2\n")
    commit(checkout, "-qam", "during")
    target = tmp_path / "c.json"
    arguments = ["column", str(pages), "-o", str(target), "--repository", str(checkout)]
    with pytest.raises(SystemExit):
        ledger.main([*arguments, "--built-at", started])
    assert "but the build started at" in capsys.readouterr().err
    assert not target.exists()
    assert ledger.main([*arguments, "--built-at", git(checkout, "rev-parse", "HEAD")]) == 0


def test_a_column_refuses_uncommitted_code_and_draft_ledgers(
    tmp_path: Path,
    checkout: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pages = tmp_path / "claims"
    write_page(pages, "plot_01_baseline", monkeypatch)
    (checkout / "examples" / "beyond" / "plot_01_baseline.py").write_text("edited\n")
    arguments = [
        "column",
        str(pages),
        "-o",
        str(tmp_path / "c.json"),
        "--repository",
        str(checkout),
    ]
    with pytest.raises(SystemExit):
        ledger.main(arguments)
    assert "uncommitted changes" in capsys.readouterr().err
    git(checkout, "checkout", "-q", ".")
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    with monkeypatch.context() as patch:
        patch.setenv(config.ENV_CLAIMS_LEDGER, str(pages / "plot_01_baseline.json"))
        claims.at_least([1.0, 2.0], 0.0, "a draft row")
    with pytest.raises(SystemExit):
        ledger.main(arguments)
    assert "a column needs a full build" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()


def test_show_prints_the_closest_calls_first_and_fails_on_a_failing_claim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "plot_08_dropout.json"
    with monkeypatch.context() as patch:
        patch.setenv(config.ENV_CLAIMS_LEDGER, str(target))
        patch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
        patch.delenv("MNIST_TUTORIAL_STRICT_CLAIMS", raising=False)
        claims.at_least([0.99, 0.98], 0.97, "far")
        claims.at_least([0.975, 0.971], 0.97, "close")
    assert ledger.main(["show", str(target)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "close" in lines[0]
    assert lines[0].startswith("fragile")
    assert "far" in lines[1]
    assert lines[-1] == "2 claims, 1 fragile, 0 failing, seeds [0, 1, 2]"
    with monkeypatch.context() as patch:
        patch.setenv(config.ENV_CLAIMS_LEDGER, str(target))
        patch.delenv("MNIST_TUTORIAL_STRICT_CLAIMS", raising=False)
        with pytest.warns(claims.ClaimWarning):
            claims.at_least([0.96, 0.99], 0.97, "fails")
    assert ledger.main(["show", str(target)]) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith("FAILS")
