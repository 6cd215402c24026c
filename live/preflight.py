"""Start-up checks, before anything is sent: every outside service the run needs answers, the agent key
may act for the account, and every configured coin is listed.

Each failure is one clear line: a `ConfigError` (exit 2) for what the config or the command line got
wrong, a `StartupError` (exit 1) for what the outside world refused. Every wait has a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from nautilus_trader.config import TradingNodeConfig

from adapters.hyperliquid.common.credentials import load_agent_key
from adapters.hyperliquid.common.credentials import looks_like_a_key
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.execution.queries import exchange_meta
from adapters.hyperliquid.factories import http_client_for
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.http.errors import REST_ERRORS
from adapters.hyperliquid.parsing.instruments import coin_of
from adapters.hyperliquid.signing import L1Signer
from live.errors import ConfigError
from live.errors import StartupError

REDIS_TIMEOUT_S = 3.0
EXCHANGE_TIMEOUT_S = 15.0
_EXCHANGE_ERRORS = (*REST_ERRORS, OSError, asyncio.TimeoutError)


def agent_address(config: HyperliquidExecClientConfig) -> str:
    """The address of the exec client's agent key; a missing or malformed key is a ConfigError
    (the key itself is never shown)."""
    source = (f"--key-file {config.key_file}" if config.key_file
              else "agent_key_env" if looks_like_a_key(config.agent_key_env) else f"${config.agent_key_env}")
    try:
        key = load_agent_key(config.agent_key_env, config.key_file)
    except (KeyError, FileNotFoundError) as exc:
        raise ConfigError(str(exc).strip("'\"")) from None
    except ValueError as exc:
        raise ConfigError(f"agent key from {source}: {exc}") from None
    return L1Signer(key.reveal()).address.lower()


def redis_answers(url: str) -> bool:
    """Whether the Redis at `url` answers a PING within `REDIS_TIMEOUT_S`."""
    try:
        check_redis_reachable(url, "")
    except (StartupError, ConfigError):
        return False
    return True


def check_redis_reachable(url: str, what: str) -> None:
    """A Redis the run depends on answers a PING within `REDIS_TIMEOUT_S` (Nautilus's own connection
    retries for minutes without a word)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.AuthenticationError, redis.AuthenticationWrongNumberOfArgsError) as exc:
        raise _refused_credentials(what, url, exc) from None
    except redis.ResponseError as exc:
        if "auth" in str(exc).lower():  # NOAUTH, or a HELLO before authenticating
            raise _refused_credentials(what, url, exc) from None
        raise StartupError(f"{what} {_redacted(url)} answered with an error ({exc})") from None
    except (redis.RedisError, OSError, ValueError) as exc:
        raise StartupError(f"{what} {_redacted(url)} is not reachable ({exc}); start it or leave it out") from None


def _refused_credentials(what: str, url: str, exc: Exception) -> ConfigError:
    # Not a restart matter: the Redis is there and says no until the URL changes.
    return ConfigError(
        f"{what} {_redacted(url)} refused the credentials ({exc}): give its user and password in the URL, "
        "redis://[user]:password@host:port, percent-encoded")


def _redacted(url: str) -> str:
    from screener_link.redis_target import redact_url

    return redact_url(url)


async def _ask[T](what: str, query: Awaitable[T]) -> T:
    """A typed `/info` query within `EXCHANGE_TIMEOUT_S`; a failure is a `StartupError` naming it."""
    try:
        return await asyncio.wait_for(query, EXCHANGE_TIMEOUT_S)
    except _EXCHANGE_ERRORS as exc:
        raise StartupError(f"the exchange could not be reached ({what}: {exc or type(exc).__name__}); nothing was sent") from None
    except ValueError as exc:  # msgspec's decode and validation errors
        raise StartupError(f"the exchange's {what} reply is not what was expected ({exc}); nothing was sent") from None


async def check_key_acts_for_account(http: HyperliquidHttpClient, agent: str, account: str) -> None:
    """The key is the account's own, or an agent (API wallet) the account approved. Otherwise every
    order would be refused with "User or API Wallet ... does not exist", forever."""
    account = account.lower()
    role = await _ask("userRole", AccountQueries(http, agent).role())
    if agent == account and role.role in ("user", "vault", "subAccount"):
        return
    if role.role == "agent" and role.data is not None and role.data.user.lower() == account:
        return
    found = f"an agent of {role.data.user}" if role.role == "agent" and role.data is not None else role.role
    raise StartupError(
        f"the agent key (address {agent}) may not act for account {account}: the exchange knows it as {found!r}. "
        "Approve it as an API wallet of that account, or use that account's key; nothing was sent"
    )


async def check_coins_listed(http: HyperliquidHttpClient, coins: set[str]) -> None:
    universe = (await _ask("meta", exchange_meta(http))).universe
    listed = {asset.name for asset in universe if not asset.isDelisted}
    delisted = {asset.name for asset in universe if asset.isDelisted}
    missing = sorted(coins - listed)
    if missing:
        why = ", ".join(f"{c} (delisted)" if c in delisted else c for c in missing)
        raise StartupError(f"not listed on the exchange: {why}; remove them from the config; nothing was sent")


def quoted_coins(config: TradingNodeConfig) -> list[str]:
    """The coins the node's strategies quote."""
    return sorted({coin_of(s.config["instrument_id"]) for s in config.strategies if "instrument_id" in s.config})


def configured_coins(config: TradingNodeConfig) -> set[str]:
    """Every coin a strategy quotes or a Hyperliquid client is told to take."""
    coins = set(quoted_coins(config))
    for section in (config.data_clients, config.exec_clients):
        for spec in section.values():
            cfg = spec.create() if hasattr(spec, "create") else spec
            if isinstance(cfg, HyperliquidDataClientConfig | HyperliquidExecClientConfig) and cfg.coins:
                coins.update(cfg.coins)
    return coins


def _hl_configs(config: TradingNodeConfig) -> list[HyperliquidDataClientConfig | HyperliquidExecClientConfig]:
    out = []
    for section in (config.exec_clients, config.data_clients):
        for spec in section.values():
            cfg = spec.create() if hasattr(spec, "create") else spec
            if isinstance(cfg, HyperliquidDataClientConfig | HyperliquidExecClientConfig):
                out.append(cfg)
    return out


def redis_urls(config: TradingNodeConfig) -> list[tuple[str, str]]:
    """(url, what needs it) of every Redis the node cannot run without: the cache database. (The
    governor's screener feed is not one: while its Redis is away the last parameters stay in force.)"""
    url = cache_url(config)
    return [(url, "the Redis cache")] if url is not None else []


def cache_url(config: TradingNodeConfig) -> str | None:
    """The node's Redis cache as a URL, with the user and password the cache connects with (a
    password-protected Redis refuses a PING without them; the config holds them percent-encoded,
    `encode_database_credentials`); None without a Redis cache."""
    database = config.cache.database if config.cache is not None else None
    if database is None or database.type != "redis":
        return None
    auth = ""
    if database.password is not None:
        auth = f"{database.username or ''}:{database.password}@"
    elif database.username:
        auth = f"{database.username}@"
    return f"redis://{auth}{database.host}:{database.port}"


def check_cache_holds_this_account(config: TradingNodeConfig, exec_configs: list[HyperliquidExecClientConfig]) -> None:
    """A Redis cache restores what it holds under the trader id, whichever account that was: another
    account's orders and positions would be taken for this one's (a testnet or hlsim practice run
    with the shipped trader id, then the real account). Refused, saying how to get out."""
    import redis

    url = cache_url(config)
    if url is None or not exec_configs:
        return
    ours = {f"HYPERLIQUID-{cfg.account_address}".lower() for cfg in exec_configs if cfg.account_address}
    prefix = f"trader-{config.trader_id}:accounts:"
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S)
    try:
        held = {key.decode()[len(prefix):] for key in client.scan_iter(match=f"{prefix}*", count=1000)}
    except (redis.RedisError, OSError) as exc:
        raise StartupError(f"the Redis cache could not be read ({exc})") from None
    finally:
        client.close()
    others = sorted(a for a in held if a.lower().startswith("hyperliquid-") and a.lower() not in ours)
    if others:
        database = config.cache.database
        cli = f"redis-cli -h {database.host} -p {database.port}"
        auth = " (its password in REDISCLI_AUTH)" if database.password is not None else ""
        raise ConfigError(
            f"the Redis cache of trader {config.trader_id} holds the state of {', '.join(others)}, not this run's "
            f"account ({', '.join(sorted(ours))}): its orders and positions would be taken for this account's; give "
            f"each account its own trader_id, or remove that trader's keys "
            f"({cli} --scan --pattern 'trader-{config.trader_id}:*' | xargs {cli} del){auth}")


async def preflight(config: TradingNodeConfig, exec_configs: list[HyperliquidExecClientConfig]) -> None:
    """All start-up checks; `exec_configs` are the live Hyperliquid exec clients (none in shadow mode)."""
    agents = [(cfg, agent_address(cfg)) for cfg in exec_configs]  # key problems first: they need no network
    for url, what in redis_urls(config):
        await asyncio.to_thread(check_redis_reachable, url, what)
    await asyncio.to_thread(check_cache_holds_this_account, config, exec_configs)
    hl = _hl_configs(config)
    if not hl:
        return
    http = http_client_for(hl[0])
    try:
        await check_coins_listed(http, configured_coins(config))
        for cfg, agent in agents:
            assert cfg.account_address is not None  # apply_credentials made sure
            await check_key_acts_for_account(http, agent, cfg.account_address)
    finally:
        await http.close()
