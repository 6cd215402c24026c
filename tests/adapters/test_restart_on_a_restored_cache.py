"""A node restarted on a restored (Redis) cache is brought in line with the exchange by start-up
reconciliation, before any strategy starts:
- an order the cache holds as open that the exchange cancelled while the node was down is closed
  (review 4: the market maker adopted it and modified it twice a second for 30 s, each refused);
- a position the cache holds on a coin the exchange holds none of is closed (review 4: the node
  quoted for minutes on the phantom inventory, and a restart did not reconcile it)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import msgspec
import pytest
import redis
from nautilus_trader.config import CacheConfig
from nautilus_trader.config import DatabaseConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.identifiers import TraderId

from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import RecorderConfig
from tests.node_kit import cached_eth_position
from tests.node_kit import node_config
from tests.node_kit import run_node
from tests.node_kit import wait_for

TRADER = "RESTART-031"


@pytest.fixture
def clean_cache() -> Iterator[None]:
    """The Redis cache (database 0, keys under the trader id) empty before and after."""
    r = redis.Redis()

    def clear() -> None:
        for key in r.scan_iter(f"trader-{TRADER}*"):
            r.delete(key)

    clear()
    yield
    clear()


def _on_redis(config: TradingNodeConfig) -> TradingNodeConfig:
    return msgspec.structs.replace(config, trader_id=TraderId(TRADER), cache=CacheConfig(
        database=DatabaseConfig(type="redis", host="127.0.0.1", port=6379), buffer_interval_ms=None, flush_on_start=False))


def test_an_order_cancelled_while_the_node_was_down_is_closed_before_the_strategy_starts(sim, clean_cache) -> None:
    held: dict = {}

    async def before(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        gone, kept = rec.limit(OrderSide.BUY, "2990.0", "0.01"), rec.limit(OrderSide.BUY, "2980.0", "0.02")
        partly = rec.limit(OrderSide.BUY, "2970.0", "0.03")
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in (gone, kept, partly)), what="accepted")
        assert sim.fill_order(ACCOUNT, int(partly.venue_order_id.value), sz="0.01")
        await wait_for(lambda: partly.filled_qty.as_decimal() == Decimal("0.01"), what="partly filled")
        held.update(gone=gone.client_order_id, kept=kept.client_order_id, partly=partly.client_order_id,
                    gone_oid=int(gone.venue_order_id.value), partly_oid=int(partly.venue_order_id.value))

    run_node(_on_redis(node_config(sim)), before)  # stops without cancelling: the orders rest on hlsim
    assert sim.cancel_order(ACCOUNT, held["gone_oid"])  # while the node is down
    assert sim.cancel_order(ACCOUNT, held["partly_oid"])

    async def after(node, rec) -> None:
        cache = rec.cache
        # The strategy runs: reconciliation is over, and it has closed what the exchange cancelled.
        assert cache.order(held["gone"]).status == OrderStatus.CANCELED
        partly = cache.order(held["partly"])
        assert (partly.status, partly.filled_qty.as_decimal(), partly.quantity.as_decimal()) == (
            OrderStatus.CANCELED, Decimal("0.01"), Decimal("0.03"))
        assert [o.client_order_id for o in cache.orders_open(instrument_id=ETH_ID)] == [held["kept"]]
        assert cached_eth_position(cache) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.01")

    run_node(_on_redis(node_config(sim)), after, strategy_config=RecorderConfig(subscribe=False))


def test_a_position_gone_from_the_exchange_while_the_node_was_down_is_closed_at_start(sim, clean_cache) -> None:
    async def before(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        bid = rec.limit(OrderSide.BUY, "2990.0", "0.02")
        await wait_for(lambda: bid.status == OrderStatus.ACCEPTED, what="accepted")
        assert sim.fill_order(ACCOUNT, int(bid.venue_order_id.value))
        await wait_for(lambda: cached_eth_position(rec.cache) == Decimal("0.02"), what="long 0.02")

    run_node(_on_redis(node_config(sim)), before)
    # While the node is down the position goes, with no fill the node can read back (a liquidation,
    # or a close older than the reconciliation's lookback).
    engine, address = sim.engine, ACCOUNT.lower()
    sim.call(lambda: engine.account(address).positions.pop("ETH"))
    assert sim.position(ACCOUNT, "ETH")["szi"] == 0

    async def after(node, rec) -> None:
        # Reconciliation books the difference as Nautilus does: an EXTERNAL position that offsets
        # the restored one. What the strategies quote on, the instrument's net position, is flat.
        assert cached_eth_position(rec.cache) == Decimal("0")
        assert node.portfolio.net_position(ETH_ID) == 0

    run_node(_on_redis(node_config(sim)), after, strategy_config=RecorderConfig(subscribe=False))
