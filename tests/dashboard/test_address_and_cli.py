"""`run_live.py --dashboard [HOST:]PORT`: off by default, loopback unless a host is given, and
anything else refused on the command line."""

from __future__ import annotations

import argparse

import pytest

from dashboard.address import ListenAddress
from dashboard.address import parse_listen_address
from live.cli import parse_args
from live.errors import ConfigError
from live.runner import start_dashboard


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080", ListenAddress("127.0.0.1", 8080)),
        ("localhost:9000", ListenAddress("localhost", 9000)),
        ("0.0.0.0:8080", ListenAddress("0.0.0.0", 8080)),
        ("[::1]:8080", ListenAddress("::1", 8080)),
        ("mm-box.internal:443", ListenAddress("mm-box.internal", 443)),
    ],
)
def test_accepted_addresses(text: str, expected: ListenAddress) -> None:
    assert parse_listen_address(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0", "65536", "-1", "80a", ":8080", "999.1.1.1:80", "[::1]8080", "[nope]:80", "host name:80",
             "a_b:80", "1.2.3:80", "localhost:", "http://localhost:80"],
)
def test_refused_addresses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_listen_address(text)


def test_the_dashboard_is_off_unless_asked_for_and_local_by_default() -> None:
    assert parse_args(["--config", "c.json"]).dashboard is None
    args = parse_args(["--config", "c.json", "--dashboard", "8765"])
    assert args.dashboard == ListenAddress("127.0.0.1", 8765) and args.dashboard.is_loopback
    assert not parse_args(["--config", "c.json", "--dashboard", "0.0.0.0:8765"]).dashboard.is_loopback


def test_a_bad_address_is_a_command_line_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--config", "c.json", "--dashboard", "localhost:99999"])
    assert exit_.value.code == 2
    assert "port must be 1..65535" in capsys.readouterr().err


def test_a_port_in_use_stops_the_start_with_a_config_error(built_node) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = argparse.Namespace(dashboard=ListenAddress("127.0.0.1", port), mode="live")
        with pytest.raises(ConfigError, match=f"--dashboard 127.0.0.1:{port}"):
            built_node.run(start_dashboard(built_node.node, args))
    assert built_node.run(start_dashboard(built_node.node, argparse.Namespace(dashboard=None, mode="live"))) is None
