"""`/info` sources: saved replies (offline) and HTTP against a local server (never Hyperliquid)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from screener.info_client import HttpInfoClient
from screener.info_client import InfoError
from screener.info_client import InfoUnavailable
from screener.info_client import OfflineInfoClient
from screener.info_client import decode_candles
from screener.info_client import decode_l2_book
from screener.info_client import decode_universe
from screener.info_client import resolve_base_url


def test_offline_universe_is_the_full_mainnet_reply(info_dir: Path) -> None:
    uni = OfflineInfoClient(info_dir).universe()
    assert len(uni.assets) == len(uni.ctxs) == 227
    assert sum(a.isDelisted for a in uni.assets) == 38
    btc = uni.assets[0]
    assert btc.name == "BTC" and btc.szDecimals == 5
    assert uni.ctxs[0].impactPxs == (91026.0, 91030.2)
    assert uni.ctxs[3].midPx is None  # MATIC, delisted: no book


def test_offline_l2_book_and_candles_match_by_coin(info_dir: Path) -> None:
    source = OfflineInfoClient(info_dir)
    book = source.l2_book("DYDX")
    assert book.coin == "DYDX" and book.levels[0][0].px == "2.111" and book.levels[1][0].px == "2.1124"
    candles = source.candles("kPEPE", "1h", 0, 1)
    assert len(candles) > 20 and all(c.s == "kPEPE" and c.i == "1h" for c in candles)


def test_offline_missing_replies_raise_info_unavailable(info_dir: Path) -> None:
    source = OfflineInfoClient(info_dir)
    with pytest.raises(InfoUnavailable, match="l2Book BTC"):
        source.l2_book("BTC")
    with pytest.raises(InfoUnavailable):
        source.candles("kPEPE", "5m", 0, 1)
    with pytest.raises(InfoUnavailable):
        source.candles("BTC", "1h", 0, 1)


def test_offline_folder_with_a_foreign_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(InfoError, match=r"x\.json"):
        OfflineInfoClient(tmp_path)
    with pytest.raises(InfoError, match="does not exist"):
        OfflineInfoClient(tmp_path / "nope")


def test_offline_folder_holding_a_json_subfolder_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "replies.json").mkdir()
    with pytest.raises(InfoError, match=r"cannot read saved reply .*replies\.json: Is a directory"):
        OfflineInfoClient(tmp_path)


def test_an_empty_universe_is_rejected() -> None:
    with pytest.raises(InfoError, match="universe is empty"):
        decode_universe(b'[{"universe": []}, []]')


def test_universe_with_mismatched_lengths_is_rejected(info_dir: Path) -> None:
    meta, ctxs = json.loads((info_dir / "metaAndAssetCtxs_mainnet.json").read_text())["response"]
    with pytest.raises(InfoError, match="227 assets but 226"):
        decode_universe(json.dumps([meta, ctxs[:-1]]).encode())
    ctxs[0] = {**ctxs[0], "markPx": "-1"}
    with pytest.raises(InfoError, match="markPx"):
        decode_universe(json.dumps([meta, ctxs]).encode())


def _book(bids: list[str], asks: list[str], coin: str = "ETH") -> bytes:
    side = lambda pxs: [{"px": p, "sz": "1.0", "n": 1} for p in pxs]  # noqa: E731
    return json.dumps({"coin": coin, "time": 1, "levels": [side(bids), side(asks)]}).encode()


def test_l2_book_validation_rejects_crossed_unsorted_and_wrong_coin() -> None:
    assert decode_l2_book(_book(["100.0", "99.9"], ["100.1", "100.2"]), "ETH").levels[0][0].px == "100.0"
    with pytest.raises(InfoError, match="crossed"):
        decode_l2_book(_book(["100.2"], ["100.1"]), "ETH")
    with pytest.raises(InfoError, match="bids"):
        decode_l2_book(_book(["99.9", "100.0"], ["100.1"]), "ETH")
    with pytest.raises(InfoError, match="asked for BTC"):
        decode_l2_book(_book(["100.0"], ["100.1"]), "BTC")


@pytest.mark.parametrize(
    ("bids", "match"), [(["abc"], r"bids\[0\] is not a number"), (["0"], r"bids\[0\] needs a positive price")]
)
def test_l2_book_validation_rejects_levels_that_are_not_positive_numbers(bids: list[str], match: str) -> None:
    with pytest.raises(InfoError, match=match):
        decode_l2_book(_book(bids, ["100.1"]), "ETH")


def test_l2_book_validation_rejects_a_zero_size() -> None:
    raw = json.dumps({"coin": "ETH", "time": 1, "levels": [[{"px": "100", "sz": "0"}], []]}).encode()
    with pytest.raises(InfoError, match="positive price and size"):
        decode_l2_book(raw, "ETH")


def test_candle_validation_rejects_close_outside_range() -> None:
    candle = {
        "t": 0,
        "T": 59999,
        "s": "ETH",
        "i": "1m",
        "o": "1",
        "c": "3",
        "h": "2",
        "l": "1",
        "v": "5",
        "n": 1,
    }
    with pytest.raises(InfoError, match="outside"):
        decode_candles(json.dumps([candle]).encode(), "ETH")


def test_base_url_presets_and_validation() -> None:
    assert resolve_base_url("mainnet") == "https://api.hyperliquid.xyz"
    assert resolve_base_url("testnet") == "https://api.hyperliquid-testnet.xyz"
    assert resolve_base_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    for bad in ("ftp://x", "api.hyperliquid.xyz", "http://"):
        with pytest.raises(ValueError, match="base url must be"):
            resolve_base_url(bad)


class _InfoServer:
    """A local `/info` server answering from the shipped replies; `mode` injects failures."""

    def __init__(self, info_dir: Path) -> None:
        self.replies: dict[str, bytes] = {}
        for path in info_dir.glob("*.json"):
            saved = json.loads(path.read_text())
            req = saved["request"]
            coin = req.get("coin") or (req.get("req") or {}).get("coin") or ""
            self.replies[f"{req['type']}:{coin}"] = json.dumps(saved["response"]).encode()
        self.mode = "ok"
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append(body)
                if self.path != "/info":
                    self._send(404, b"not found")
                elif owner.mode == "slow":
                    time.sleep(1.0)
                    self._send(200, b"null")
                elif owner.mode == "429":
                    self._send(429, b"")
                elif owner.mode == "429 once":
                    owner.mode = "ok"
                    self._send(429, b"")
                elif owner.mode == "500":
                    self._send(500, b"boom")
                elif owner.mode == "garbage":
                    self._send(200, b"<html>")
                else:
                    coin = body.get("coin") or (body.get("req") or {}).get("coin") or ""
                    self._send(200, owner.replies.get(f"{body['type']}:{coin}", b"null"))

            def _send(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _InfoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def info_server(info_dir: Path) -> Iterator[_InfoServer]:
    with _InfoServer(info_dir) as server:
        yield server


def test_http_client_reads_and_validates_replies(info_server: _InfoServer) -> None:
    with HttpInfoClient(info_server.url) as client:
        assert len(client.universe().assets) == 227
        assert client.l2_book("DYDX").coin == "DYDX"
        assert len(client.candles("kPEPE", "1h", 1, 2)) > 20
        assert info_server.requests[0] == {"type": "metaAndAssetCtxs"}
        assert info_server.requests[2] == {
            "type": "candleSnapshot",
            "req": {"coin": "kPEPE", "interval": "1h", "startTime": 1, "endTime": 2},
        }
        with pytest.raises(InfoUnavailable):
            client.l2_book("NOPE")  # the exchange answers null


def test_http_client_counts_the_weight_of_each_request(info_server: _InfoServer) -> None:
    with HttpInfoClient(info_server.url) as client:
        client.universe()  # weight 20
        client.l2_book("DYDX")  # weight 2
        assert client.weights.ip_weight_last_minute(time.time_ns()) == 22


@pytest.mark.parametrize(
    ("mode", "match"), [("429", "rate limited"), ("500", "HTTP 500"), ("garbage", "not JSON")]
)
def test_http_client_turns_bad_answers_into_info_errors(
    info_server: _InfoServer, mode: str, match: str
) -> None:
    info_server.mode = mode
    client = HttpInfoClient(info_server.url, max_429_retries=1, backoff_initial_s=0.01, backoff_max_s=0.01)
    with client, pytest.raises(InfoError, match=match):
        client.universe()


def test_http_client_retries_a_429_after_a_backoff(info_server: _InfoServer) -> None:
    info_server.mode = "429 once"
    with HttpInfoClient(info_server.url, backoff_initial_s=0.05, backoff_max_s=0.05) as client:
        assert len(client.universe().assets) == 227
    assert len(info_server.requests) == 2


def test_http_client_times_out(info_server: _InfoServer) -> None:
    info_server.mode = "slow"
    started = time.monotonic()
    client = HttpInfoClient(info_server.url, timeout_s=0.2)
    with client, pytest.raises(InfoError, match="failed"):
        client.universe()
    assert time.monotonic() - started < 1.0


def test_http_client_paces_requests_within_its_weight_budget(info_server: _InfoServer) -> None:
    with HttpInfoClient(info_server.url, weight_budget_per_min=24) as client:
        # 20 weight spent 59.6 s ago: it leaves the one-minute window in 0.4 s.
        client.weights.add_ip_weight(20, time.time_ns() - 59_600_000_000)
        started = time.monotonic()
        client.l2_book("DYDX")  # 22
        client.l2_book("DYDX")  # 24: still within the budget
        assert time.monotonic() - started < 0.3
        client.l2_book("DYDX")  # would make 26: waits until the old weight leaves the minute
        assert 0.3 < time.monotonic() - started < 1.5
        assert client.weights.ip_weight_last_minute(time.time_ns()) == 6


def test_closed_http_client_refuses_requests_and_closes_once(info_server: _InfoServer) -> None:
    client = HttpInfoClient(info_server.url)
    client.universe()
    client.close()
    assert client.closed
    client.close()  # a second close does nothing
    with pytest.raises(InfoError, match="closed"):
        client.universe()
