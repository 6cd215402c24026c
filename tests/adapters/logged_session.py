"""A whole trading session at DEBUG log level, run as a subprocess by `test_key_not_logged.py`.

Prints every log line (Nautilus's and Python's) to stdout/stderr and `SESSION OK` at the end.
The agent key comes from the environment, as in production.
"""

from __future__ import annotations

import logging
import sys

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus

from tests.node_kit import ACCOUNT
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import prepared_sim
from tests.node_kit import run_node
from tests.node_kit import wait_for


def main() -> None:
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    with prepared_sim() as sim:

        async def scenario(node, rec) -> None:
            await wait_for(lambda: rec.quotes, what="quotes")
            order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
            await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
            rec.modify_order(order, price=rec.cache.instrument(order.instrument_id).make_price(2991.0))
            crossing = rec.limit(OrderSide.BUY, "3001.0", "0.01")
            await wait_for(lambda: crossing.status == OrderStatus.REJECTED, what="rejected")
            sim.faults.drop_user_ws(ACCOUNT)
            sim.fill_order(ACCOUNT, int(order.venue_order_id.value))
            await wait_for(lambda: order.status == OrderStatus.FILLED, timeout=10.0, what="dark fill")
            await exec_client(node).refresh_schedule_cancel()  # refused by the volume gate: logged
            rec.cancel_all_orders(rec.instrument_id)

        run_node(node_config(sim, log_level="DEBUG", schedule_cancel=True), scenario)
    print("SESSION OK", flush=True)


if __name__ == "__main__":
    main()
