"""The command lines' argument types: a bad value is refused with a message saying what was expected."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import cli_types
from adapters.hyperliquid.common.fees import parse_fee_tier

FEE_TIER = cli_types.checked(parse_fee_tier)


@pytest.mark.parametrize(
    ("parse", "text", "value"),
    [
        (cli_types.finite_float, "-0.5", -0.5),
        (cli_types.non_negative_float, "0", 0.0),
        (cli_types.positive_float, "1e-3", 0.001),
        (cli_types.non_negative_int, "0", 0),
        (cli_types.positive_int, "3", 3),
        (cli_types.port, "65535", 65535),
        (FEE_TIER, "6", 6),
    ],
)
def test_a_good_value_is_parsed(parse, text: str, value: float) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (cli_types.finite_float, "nan", "finite"),
        (cli_types.finite_float, "abc", "expected a number"),
        (cli_types.non_negative_float, "inf", "finite"),
        (cli_types.non_negative_float, "-1", ">= 0"),
        (cli_types.positive_float, "0", "> 0"),
        (cli_types.non_negative_int, "-1", ">= 0"),
        (cli_types.positive_int, "0", ">= 1"),
        (cli_types.positive_int, "1.5", "expected an integer"),
        (cli_types.port, "70000", "0..65535"),
        (FEE_TIER, "7", "0..6"),
        (FEE_TIER, "x", "0..6"),
    ],
)
def test_a_bad_value_is_refused_saying_what_was_expected(parse, text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse(text)


@pytest.mark.parametrize(
    "argv",
    [
        ["run_backtest.py", "--latency-ms", "nan"],
        ["run_backtest.py", "--fee-tier", "9"],
        ["run_live.py", "--config", "configs/live.json", "--run-secs", "-1"],
        ["run_live.py", "--config", "configs/live.json", "--shadow-latency-ms", "nan"],
    ],
)
def test_the_entry_points_refuse_bad_numbers_before_doing_anything(argv: list[str], capsys) -> None:
    import run_backtest
    import run_live

    parse = {"run_backtest.py": run_backtest.parse_args, "run_live.py": run_live.parse_args}[argv[0]]
    with pytest.raises(SystemExit) as exc:
        parse(argv[1:])
    assert exc.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_a_writable_folder_is_created_when_missing(tmp_path) -> None:
    target = tmp_path / "a" / "b"
    assert cli_types.check_writable_dir(target, "report dir") == target and target.is_dir()


@pytest.mark.parametrize(("where", "message"), [("file", "is not a folder"), ("file/below", "a part of that path is a file")])
def test_a_file_or_a_path_under_a_file_is_refused_as_an_output_folder(tmp_path, where: str, message: str) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=message):
        cli_types.check_writable_dir(tmp_path / where, "report dir")


def test_an_output_folder_checked_without_creating_is_left_missing(tmp_path) -> None:
    target = tmp_path / "later" / "catalog"
    assert cli_types.check_writable_dir(target, "catalog", create=False) == target
    assert not (tmp_path / "later").exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="a part of that path is a file"):
        cli_types.check_writable_dir(tmp_path / "file" / "catalog", "catalog", create=False)


def test_a_writable_file_path_is_accepted_without_creating_anything(tmp_path) -> None:
    target = tmp_path / "new" / "out.json"
    assert cli_types.check_writable_file(target, "--write-config") == target
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(("where", "message"), [
    ("", "is a folder, not a file"),
    ("file/out.json", "is a file, not a folder"),
])
def test_a_folder_or_a_path_under_a_file_is_refused_as_an_output_file(tmp_path, where: str, message: str) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=f"--write-config .*{message}"):
        cli_types.check_writable_file(tmp_path / where, "--write-config")


def test_an_output_file_in_a_folder_that_cannot_take_files_is_refused() -> None:
    # /proc takes no new files, even for root (the tests may run as root, for whom modes do not bind).
    with pytest.raises(ValueError, match="folder /proc is not writable"):
        cli_types.check_writable_file(Path("/proc/out.json"), "--write-config")
