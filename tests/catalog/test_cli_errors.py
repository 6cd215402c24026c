"""`python -m catalog ingest|harvest` with inputs that cannot work: one clear line and a non-zero exit,
never a traceback, and nothing written."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from catalog import shipped_data
from catalog.__main__ import main


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _run(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert "Traceback" not in text
    return code, text


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--coins", "BTC", "--meta", "{tmp}"], 2, "is a folder, not a file"),
        (["--from-config", "{tmp}"], 2, "is a folder, not a node config"),
        (["--coins", "BTC", "--meta", "{meta}", "--catalog", "{file}"], 2, "exists and is not a folder"),
        (["--coins", "BTC", "--base-url", "{refused}"], 1, "could not be reached"),
        (["--coins", "BTC", "--meta", "{meta}", "--base-url", "{refused}"], 1, "could not be reached"),
    ],
    ids=["meta_is_a_folder", "from_config_is_a_folder", "catalog_is_a_file", "unreachable", "unreachable_with_meta"],
)
def test_harvest_refuses_what_cannot_work_with_one_line(
    extra: list[str], code: int, message: str, tmp_path: Path, capsys
) -> None:
    (tmp_path / "file").write_text("")
    values = {"tmp": str(tmp_path), "file": str(tmp_path / "file"), "refused": _refused_url(),
              "meta": str(shipped_data.mainnet_meta())}
    argv = ["harvest", "--catalog", str(tmp_path / "cat"), *(a.format(**values) for a in extra)]
    got, err = _run(argv, capsys)
    assert got == code and message in err
    # No market data recorded (the instrument's definition may be).
    assert not [p for p in tmp_path.rglob("*.parquet") if "crypto_perpetual" not in p.parts]


def test_ingest_into_a_catalog_path_that_is_a_file_is_refused(tmp_path: Path, capsys) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    got, err = _run(["ingest", str(shipped_data.btc_capture()), "--catalog", str(a_file), "--no-progress"], capsys)
    assert got == 2 and "exists and is not a folder" in err


def test_a_folder_without_recordings_is_named_in_the_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    code, out = _run(["ingest", str(tmp_path / "empty"), "--catalog", str(tmp_path / "cat")], capsys)
    assert code == 2 and f"no capture or archive files in {tmp_path / 'empty'}" in out


def test_files_holding_no_market_data_fail_the_command(tmp_path: Path, capsys) -> None:
    # Review 6: an empty file exited 0, so a cron ingest that took nothing in looked successful.
    empty = tmp_path / "empty.ws.gz"
    empty.write_bytes(b"")
    code, out = _run(["ingest", str(empty), "--catalog", str(tmp_path / "cat")], capsys)
    assert code == 2 and "nothing was ingested" in out
