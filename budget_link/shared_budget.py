"""One account's limits shared by several live nodes through Redis: total inventory (capital at
risk), the number of coins held, and the address action budget.

Each node *claims* per coin the inventory notional it may hold (its position plus what its adding
side may still fill). A claim is granted atomically (one Lua script) against the claims of the
other live nodes: the sum of all claims never exceeds the account's cap, and a coin no node holds
yet is refused once `max_assets` coins are held. A claim never goes below `floor_usd`, the notional
the node already holds: what is held is held, and the node's soft exit reduces it.

A node proves it is alive with a lease (a key with a TTL it renews); the script drops the claims of
nodes whose lease expired, so a node that dies (kill -9) returns its share within the lease time.
What the dead node *held* (its last floor) is not returned: the position is still on the account,
so it stays counted as an orphan claim (node `~`) until a live node claims that coin (its floor is
the account's position in the coin, as the exchange reports it, which covers the orphan) or an
operator deletes it (`HDEL mm:budget:{account}:claims "~|COIN"`) once the position is closed.
A node that loses Redis must not add risk: `SharedBudget` reports it (`claim` returns the floor and
`healthy` is False) and the caller quotes reduce-only until Redis is back.

Keys, all under `mm:budget:{account}`: `:claims` (hash `node|coin` → usd; node `~` for what dead
nodes held), `:floors` (hash `node|coin` → the held usd of the last claim), `:lease:{node}` (TTL
key), `:actions` (hash node → actions), `:volume` (hash node → traded USDC).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

import redis

ORPHAN = "~"  # the claims' owner for what dead nodes held (not a valid node id)
_NODE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_COIN_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
_ACCOUNT_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")

# One round trip renews the node's lease and claims any number of its coins, atomically.
# KEYS: claims hash, lease prefix, floors hash. ARGV: node, cap, max_assets, lease_ms, then a
# (coin, want, floor) triple per coin. Returns the granted claims in the triples' order, as strings
# (Lua numbers would be truncated to integers).
_CLAIM = """
local claims, lease_prefix, floors = KEYS[1], KEYS[2], KEYS[3]
local node, cap, max_assets = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('SET', lease_prefix .. node, '1', 'PX', ARGV[4])
local wanted = {}
for i = 5, #ARGV, 3 do wanted[ARGV[i]] = true end
local function split(key)
  local sep = string.find(key, '|', 1, true)
  return string.sub(key, 1, sep - 1), string.sub(key, sep + 1)
end
-- Pass 1: the claims of dead nodes. Their headroom returns to the account; what they held stays
-- counted as an orphan of the coin. Our own floor is the account's position in a coin we claim (as
-- the exchange reports it), which covers any orphan of that coin: it goes.
local entries, alive = redis.call('HGETALL', claims), {}
for i = 1, #entries, 2 do
  local key = entries[i]
  local owner, owned = split(key)
  if owner == '~' then
    if wanted[owned] then redis.call('HDEL', claims, key) end
  else
    if alive[owner] == nil then alive[owner] = redis.call('EXISTS', lease_prefix .. owner) == 1 end
    if not alive[owner] then
      local held = tonumber(redis.call('HGET', floors, key) or '0')
      redis.call('HDEL', claims, key)
      redis.call('HDEL', floors, key)
      local orphan = '~|' .. owned
      if not wanted[owned] and held > tonumber(redis.call('HGET', claims, orphan) or '0') then
        redis.call('HSET', claims, orphan, tostring(held))
      end
    end
  end
end
-- Pass 2: each coin in turn against everyone else's claims (ours of the coins before it included),
-- the cap and the coin count.
entries = redis.call('HGETALL', claims)
local usd_of = {}
for i = 1, #entries, 2 do usd_of[entries[i]] = tonumber(entries[i + 1]) end
local granted = {}
for i = 5, #ARGV, 3 do
  local coin, want, floor = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local mine = node .. '|' .. coin
  local others, coins, held = 0, {}, 0
  for key, usd in pairs(usd_of) do
    if key ~= mine then
      others = others + usd
      local _, owned = split(key)
      if usd > 0 then coins[owned] = true end
    end
  end
  for _ in pairs(coins) do held = held + 1 end
  local grant = math.min(want, cap - others)
  if want > 0 and not coins[coin] and held >= max_assets then grant = 0 end
  if grant < floor then grant = floor end
  if grant < 0 then grant = 0 end
  if grant > 0 then
    redis.call('HSET', claims, mine, tostring(grant))
    redis.call('HSET', floors, mine, tostring(floor))
    usd_of[mine] = grant
  else
    redis.call('HDEL', claims, mine)
    redis.call('HDEL', floors, mine)
    usd_of[mine] = nil
  end
  granted[#granted + 1] = tostring(grant)
end
return granted
"""

def check_node_id(node: str) -> str:
    """A node id as the keys hold it, or ValueError."""
    if not _NODE_RE.match(node):
        raise ValueError(f"node_id must be 1-64 of letters, digits, _ . : -, got {node!r}")
    return node


def check_account(account: str) -> str:
    """An account's 0x address, or ValueError."""
    if not _ACCOUNT_RE.match(account):
        raise ValueError(f"account must be 0x + 40 hex digits, got {account!r}")
    return account


@dataclass(frozen=True, slots=True)
class SharedLimits:
    max_total_inventory_usd: float
    max_assets: int
    lease_ms: int = 10_000

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_total_inventory_usd) and self.max_total_inventory_usd > 0):
            raise ValueError(f"max_total_inventory_usd must be > 0, got {self.max_total_inventory_usd!r}")
        if self.max_assets < 1:
            raise ValueError(f"max_assets must be >= 1, got {self.max_assets!r}")
        if not 1_000 <= self.lease_ms <= 600_000:
            raise ValueError(f"lease_ms must be within 1,000..600,000, got {self.lease_ms!r}")


@dataclass(frozen=True, slots=True)
class BudgetView:
    """The account as all live nodes claim it."""

    claims: dict[str, dict[str, float]]  # node → coin → usd
    actions_by_node: dict[str, int] = field(default_factory=dict)
    volume_by_node: dict[str, float] = field(default_factory=dict)

    @property
    def actions(self) -> int:
        return sum(self.actions_by_node.values())

    @property
    def volume_usd(self) -> float:
        return sum(self.volume_by_node.values())

    @property
    def total_usd(self) -> float:
        return sum(usd for coins in self.claims.values() for usd in coins.values())

    @property
    def coins(self) -> set[str]:
        return {coin for coins in self.claims.values() for coin, usd in coins.items() if usd > 0}

    @property
    def actions_per_usdc(self) -> float | None:
        return self.actions / self.volume_usd if self.volume_usd > 0 else None


class SharedBudget:
    """One node's handle on the account's shared budget (blocking redis-py calls with short timeouts:
    call it from a timer, not from the book-event path)."""

    def __init__(self, url: str, account: str, node: str, limits: SharedLimits, *, timeout_s: float = 0.5) -> None:
        check_account(account)
        self.node = check_node_id(node)
        self.limits = limits
        prefix = f"mm:budget:{account.lower()}"
        self._claims_key = f"{prefix}:claims"
        self._floors_key = f"{prefix}:floors"
        self._lease_prefix = f"{prefix}:lease:"
        self._actions_key = f"{prefix}:actions"
        self._volume_key = f"{prefix}:volume"
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        self._claim = self._redis.register_script(_CLAIM)
        self.healthy = False
        self.last_error: str | None = None

    def _ok(self) -> None:
        self.healthy = True
        self.last_error = None

    def _failed(self, exc: Exception) -> None:
        self.healthy = False
        self.last_error = f"{type(exc).__name__}: {exc}"

    def claim(self, coin: str, want_usd: float, floor_usd: float) -> float:
        """The inventory notional this node may hold in `coin`: `want_usd` if the account's cap and
        coin count allow it, less if not, never below `floor_usd` (what the node already holds).
        Without Redis: `floor_usd` (reduce-only) and `healthy` False."""
        granted = self.claim_many({coin: (want_usd, floor_usd)})
        return floor_usd if granted is None else granted[coin]

    def claim_many(self, requests: Mapping[str, tuple[float, float]]) -> dict[str, float] | None:
        """`claim` for several coins (coin → (want_usd, floor_usd)) and the lease's renewal, in one
        atomic round trip. Without Redis: None and `healthy` False (the caller holds the floors)."""
        args: list[str | int] = [self.node, repr(float(self.limits.max_total_inventory_usd)),
                                 self.limits.max_assets, self.limits.lease_ms]
        for coin, (want_usd, floor_usd) in requests.items():
            if not _COIN_RE.match(coin):
                raise ValueError(f"invalid coin {coin!r}")
            if not (math.isfinite(want_usd) and math.isfinite(floor_usd)) or want_usd < 0 or floor_usd < 0:
                raise ValueError(f"claims are finite and >= 0, got want={want_usd!r} floor={floor_usd!r}")
            args += [coin, repr(float(want_usd)), repr(float(floor_usd))]
        try:
            granted = self._claim(keys=[self._claims_key, self._lease_prefix, self._floors_key], args=args)
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)
            return None
        self._ok()
        return {coin: float(usd) for coin, usd in zip(requests, granted, strict=True)}

    def record_activity(self, actions: int, traded_usd: float) -> None:
        """Add this node's actions (each order, cancel and modify of a batch counts) and traded notional
        to the account's totals, which every node reads to hold the address budget's rate."""
        if actions < 0 or not math.isfinite(traded_usd) or traded_usd < 0:
            raise ValueError("actions and traded_usd must be >= 0")
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.hincrby(self._actions_key, self.node, actions)
            pipe.hincrbyfloat(self._volume_key, self.node, traded_usd)
            pipe.execute()
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)

    def view(self) -> BudgetView | None:
        """Every live node's claims, what dead nodes held (node `~`, as of the last claim), and the
        account's activity; None without Redis. Two round trips: the hashes, then the leases."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hgetall(self._claims_key)
            pipe.hgetall(self._actions_key)
            pipe.hgetall(self._volume_key)
            raw_claims, actions, volume = pipe.execute()
            by_key = {key.decode(): float(usd) for key, usd in raw_claims.items()}
            owners = sorted({key.split("|", 1)[0] for key in by_key} - {ORPHAN})
            pipe = self._redis.pipeline(transaction=False)
            for owner in owners:
                pipe.exists(self._lease_prefix + owner)
            live = {owner for owner, exists in zip(owners, pipe.execute(), strict=True) if exists} | {ORPHAN}
        except (redis.RedisError, OSError, ValueError) as exc:
            self._failed(exc)
            return None
        self._ok()
        claims: dict[str, dict[str, float]] = {}
        for key, usd in by_key.items():
            node, coin = key.split("|", 1)
            if node in live:
                claims.setdefault(node, {})[coin] = usd
        by_node = {k.decode(): int(v) for k, v in actions.items()}
        volume_by_node = {k.decode(): float(v) for k, v in volume.items()}
        return BudgetView(claims, by_node, volume_by_node)

    def release(self) -> None:
        """Give back every claim of this node (a clean stop)."""
        try:
            keys = [k for k in self._redis.hkeys(self._claims_key) if k.decode().startswith(self.node + "|")]
            if keys:
                self._redis.hdel(self._claims_key, *keys)
                self._redis.hdel(self._floors_key, *keys)
            self._redis.delete(self._lease_prefix + self.node)
        except (redis.RedisError, OSError) as exc:
            self._failed(exc)

    def close(self) -> None:
        self._redis.close()
