"""run_live.py's reading of node configs and command-line overrides (no node is started)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import run_live
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.factories import HyperliquidLiveExecClientFactory
from catalog import shipped_data
from live.gc_schedule import schedule_of
from shadow.config import ShadowExecClientConfig
from shadow.factory import ShadowExecClientFactory
from tests.node_kit import refused_url

ROOT = shipped_data.PROJECT_ROOT
ACCOUNT = "0x" + "ab" * 20


def args(*extra: str, config: Path = ROOT / "configs" / "live.json"):
    return run_live.parse_args(["--config", str(config), *extra])


def edited_live_config(tmp_path: Path, edit) -> Path:
    """configs/live.json after `edit(raw)`, written to a file of its own."""
    raw = json.loads((ROOT / "configs" / "live.json").read_text())
    edit(raw)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(raw))
    return path


def clients(config, section: str) -> list:
    return [spec.create() for spec in getattr(config, section).values()]


def test_shipped_live_config_builds_one_market_maker_per_asset_with_the_actors() -> None:
    config, options, factories = run_live.prepare(args("--account", ACCOUNT))
    assert [s.config["instrument_id"] for s in config.strategies] == [
        "ETH-USD-PERP.HYPERLIQUID", "BTC-USD-PERP.HYPERLIQUID",
    ]
    assert {a.actor_path for a in config.actors} == {
        "mm_strategy.governor:RegimeGovernor", "mm_strategy.risk_guard:RiskGuard",
    }
    assert factories["exec_clients"] == {"HYPERLIQUID": HyperliquidLiveExecClientFactory}
    (exec_cfg,) = clients(config, "exec_clients")
    assert isinstance(exec_cfg, HyperliquidExecClientConfig) and exec_cfg.account_address == ACCOUNT
    assert options.mode == "live" and options.sweep_on_start


def test_network_url_points_every_client_at_it() -> None:
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, "--network", "http://127.0.0.1:9999/"))
    for cfg in clients(config, "data_clients") + clients(config, "exec_clients"):
        assert cfg.base_url == "http://127.0.0.1:9999" and cfg.ws_url is None


def test_network_preset_replaces_explicit_urls(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["data_clients"]["HYPERLIQUID"]["config"]["base_url"] = "http://127.0.0.1:1"

    path = edited_live_config(tmp_path, edit)
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, "--network", "testnet", config=path))
    (data_cfg,) = clients(config, "data_clients")
    assert isinstance(data_cfg, HyperliquidDataClientConfig)
    assert data_cfg.network == "testnet" and data_cfg.base_url is None


def test_backup_urls_are_added_to_every_client() -> None:
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, "--backup-url", "http://127.0.0.1:2"))
    for cfg in clients(config, "data_clients") + clients(config, "exec_clients"):
        assert tuple(cfg.backup_base_urls) == ("http://127.0.0.1:2",)


def test_shadow_mode_swaps_in_the_shadow_client_for_every_strategy_instrument() -> None:
    config, _, factories = run_live.prepare(args("--mode", "shadow", "--shadow-latency-ms", "7"))
    (exec_cfg,) = clients(config, "exec_clients")
    assert isinstance(exec_cfg, ShadowExecClientConfig)
    assert exec_cfg.latency_ms == 7.0
    assert set(exec_cfg.instrument_ids) == {"ETH-USD-PERP.HYPERLIQUID", "BTC-USD-PERP.HYPERLIQUID"}
    assert factories["exec_clients"] == {"HYPERLIQUID": ShadowExecClientFactory}


def test_shipped_shadow_config_defaults_to_shadow_mode() -> None:
    parsed = args(config=ROOT / "configs" / "shadow.json")
    config, options, _ = run_live.prepare(parsed)
    assert parsed.mode == "shadow" and options.mode == "shadow"
    assert isinstance(clients(config, "exec_clients")[0], ShadowExecClientConfig)


def test_live_mode_without_an_account_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(run_live.ACCOUNT_ENV, raising=False)
    with pytest.raises(run_live.ConfigError, match="no account address"):
        run_live.prepare(args())


def test_keep_orders_makes_each_market_maker_claim_its_instrument_s_open_orders() -> None:
    def claims(*extra: str) -> list:
        config, _, _ = run_live.prepare(args("--account", ACCOUNT, *extra))
        return [(s.config["instrument_id"], s.config.get("external_order_claims")) for s in config.strategies]

    assert claims("--keep-orders") == [
        ("ETH-USD-PERP.HYPERLIQUID", ["ETH-USD-PERP.HYPERLIQUID"]),
        ("BTC-USD-PERP.HYPERLIQUID", ["BTC-USD-PERP.HYPERLIQUID"]),
    ]
    assert {claim for _, claim in claims()} == {None}  # without it, orders placed outside stay outside


def test_redis_cache_is_configured_from_the_url() -> None:
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, "--redis-cache", "redis://127.0.0.1:6390"))
    assert config.cache.database.type == "redis" and config.cache.database.port == 6390


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"data_clients": {"X": {}}, "strategies": []}', "'strategies' is missing or empty"),
        ('{"data_clients": {"X": {}}, "strategies": [{"config": {}}]}', "instrument_id"),
        ('{"data_clients": {"X": {}}, "strategies": 5}', "'strategies' must be a list"),
        ('{"data_clients": [1], "strategies": [{"config": {"instrument_id": "X"}}]}', "'data_clients' must be an object"),
        ('{"data_clients": {"X": {}}, "strategies": [{"config": 5}]}', "instrument_id"),
        ('{"data_clients": {"X": {}}, "strategies": [{"config": {"instrument_id": 5}}]}', "instrument_id"),
        (
            '{"data_clients": {"X": {}}, "exec_clients": {"X": {}}, "exec_engine": [], '
            '"strategies": [{"config": {"instrument_id": "ETH-USD-PERP.HYPERLIQUID"}}]}',
            "'exec_engine' section must be an object",
        ),
    ],
)
def test_bad_config_files_get_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(run_live.ConfigError, match=message):
        run_live.prepare(args("--account", ACCOUNT, config=path))


def test_bad_overrides_get_a_clear_error() -> None:
    with pytest.raises(run_live.ConfigError, match="--network"):
        run_live.prepare(args("--account", ACCOUNT, "--network", "moon"))
    with pytest.raises(run_live.ConfigError, match="redis"):
        run_live.prepare(args("--account", ACCOUNT, "--redis-cache", "http://x"))
    with pytest.raises(run_live.ConfigError, match="redis"):
        run_live.prepare(args("--account", ACCOUNT, "--redis-cache", "redis://127.0.0.1:99999"))
    with pytest.raises(SystemExit):
        args("--log-level", "BOGUS")  # Nautilus's logger would abort the process on it


def test_a_folder_or_a_binary_file_as_config_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(run_live.ConfigError, match="is a folder"):
        run_live.prepare(args("--account", ACCOUNT, config=tmp_path))
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(run_live.ConfigError, match="not a text"):
        run_live.prepare(args("--account", ACCOUNT, config=binary))


@pytest.mark.parametrize(
    ("section", "index", "field", "value", "message"),
    [
        ("strategies", 0, "base_spread_bps", -5, "strategies[0]"),
        ("actors", 1, "daily_drawdown_cap", 5, "actors[1]"),
        # Issue 17 item 3: this url passed the check and failed only when the actor started.
        ("actors", 0, "redis_url", "http://x", "actors[0] (mm_strategy.governor:RegimeGovernor): bad Redis url 'http://x'"),
        # Issue 17 item 8: silently capped at max_inventory_usd before.
        ("strategies", 0, "order_size_usd", 1e12, "strategies[0] (mm_strategy.market_maker:MarketMaker): "
         "order_size_usd 1e+12 exceeds max_inventory_usd 1500"),
    ],
)
def test_a_bad_strategy_or_actor_setting_is_refused_before_anything_starts(
    tmp_path: Path, section: str, index: int, field: str, value: object, message: str,
) -> None:
    def edit(raw: dict) -> None:
        raw[section][index]["config"][field] = value

    path = edited_live_config(tmp_path, edit)
    with pytest.raises(run_live.ConfigError, match=re.escape(message)):
        run_live.prepare(args("--account", ACCOUNT, config=path))


def _quotes_sol_too(raw: dict) -> None:
    sol = json.loads(json.dumps(raw["strategies"][0]))
    sol["config"].update(instrument_id="SOL-USD-PERP.HYPERLIQUID", order_id_tag="SOL")
    raw["strategies"].append(sol)
    for actor in raw["actors"]:
        actor["config"]["instrument_ids"].append("SOL-USD-PERP.HYPERLIQUID")
    for section in ("data_clients", "exec_clients"):
        for spec in raw[section].values():
            spec["config"]["coins"] = ["ETH", "BTC", "SOL"]


def test_a_coin_quoted_in_step_with_the_clients_and_both_guards_builds(tmp_path: Path) -> None:
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, config=edited_live_config(tmp_path, _quotes_sol_too)))
    assert "SOL-USD-PERP.HYPERLIQUID" in [s.config["instrument_id"] for s in config.strategies]


@pytest.mark.parametrize(("actor", "kind", "without"), [
    (1, "RiskGuard", "without the daily loss cap"),
    (0, "RegimeGovernor", "without the edge check and the action rate"),
])
def test_a_quoted_coin_a_guard_does_not_watch_is_refused_before_anything_starts(
    tmp_path: Path, actor: int, kind: str, without: str,
) -> None:
    # Review 3: SOL quoted, filled and held a position outside the RiskGuard's loss cap, silently.
    def edit(raw: dict) -> None:
        _quotes_sol_too(raw)
        raw["actors"][actor]["config"]["instrument_ids"].remove("SOL-USD-PERP.HYPERLIQUID")

    path = edited_live_config(tmp_path, edit)
    with pytest.raises(run_live.ConfigError, match=re.escape(
        f"strategies[2] quotes SOL-USD-PERP.HYPERLIQUID but no {kind} watches it "
        f"(actors[{actor}].config.instrument_ids): it would trade {without}",
    )):
        run_live.prepare(args("--account", ACCOUNT, config=path))


@pytest.mark.parametrize("section", ["data_clients", "exec_clients"])
def test_a_quoted_coin_the_clients_leave_out_is_refused_before_anything_starts(tmp_path: Path, section: str) -> None:
    # Review 3: the strategy stopped only once the node ran (exit 1, restarted by a supervisor for ever).
    def edit(raw: dict) -> None:
        _quotes_sol_too(raw)
        for spec in raw[section].values():
            spec["config"]["coins"] = ["ETH", "BTC"]

    path = edited_live_config(tmp_path, edit)
    with pytest.raises(run_live.ConfigError, match=re.escape(
        f"strategies[2] quotes SOL-USD-PERP.HYPERLIQUID but {section}.HYPERLIQUID.coins ['ETH', 'BTC'] leaves out SOL",
    )):
        run_live.prepare(args("--account", ACCOUNT, config=path))


def test_flatten_on_breach_without_the_market_makers_hard_exit_is_refused(tmp_path: Path) -> None:
    # Review 4: the halt cancelled the orders and kept the 0.25 ETH long it was asked to flatten.
    def edit(raw: dict) -> None:
        raw["actors"][1]["config"]["flatten_on_breach"] = True

    with pytest.raises(run_live.ConfigError, match=re.escape(
        "actors[1].config.flatten_on_breach needs the market makers' hard exit, and strategies[0] "
        "(ETH-USD-PERP.HYPERLIQUID) has hard_exit_enabled off",
    )):
        run_live.prepare(args("--account", ACCOUNT, config=edited_live_config(tmp_path, edit)))

    def both(raw: dict) -> None:
        edit(raw)
        for strategy in raw["strategies"]:
            strategy["config"]["hard_exit_enabled"] = True

    run_live.prepare(args("--account", ACCOUNT, config=edited_live_config(tmp_path, both)))


def test_a_market_maker_on_an_instrument_of_another_venue_is_refused_naming_it(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["strategies"][0]["config"]["instrument_id"] = "ETHUSDT-PERP.BINANCE"

    with pytest.raises(run_live.ConfigError, match=re.escape("strategies[0]: not a Hyperliquid perp instrument id: ETHUSDT-PERP.BINANCE")):
        run_live.prepare(args("--account", ACCOUNT, config=edited_live_config(tmp_path, edit)))


def test_output_paths_are_checked_before_the_node_starts(tmp_path: Path, capsys) -> None:
    shadow = ["--config", str(ROOT / "configs" / "shadow.json")]
    assert run_live.main([*shadow, "--state-file", str(tmp_path)]) == 2
    assert "--state-file" in capsys.readouterr().err
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    assert run_live.main([*shadow, "--report-dir", str(not_a_dir)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert run_live.main([*shadow, "--report-dir", str(not_a_dir / "below")]) == 2
    assert "a part of that path is a file" in capsys.readouterr().err


def test_an_unreachable_exchange_at_start_up_is_a_clear_error_and_nothing_runs(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HYPERLIQUID_AGENT_KEY", "0x" + "44" * 32)
    rc = run_live.main(
        ["--config", str(ROOT / "configs" / "live.json"), "--account", ACCOUNT, "--network", refused_url()]
    )
    assert rc == 1
    assert "the exchange could not be reached" in capsys.readouterr().err


def test_a_missing_config_file_exits_with_status_2(tmp_path: Path) -> None:
    assert run_live.main(["--config", str(tmp_path / "nope.json")]) == 2


def test_a_screener_generated_config_builds(tmp_path: Path) -> None:
    from screener.node_config import NodeConfigOptions
    from screener.node_config import write_node_config
    from screener_link.payload import AssetParams
    from screener_link.payload import make_snapshot

    assets = [AssetParams(asset=a, base_spread_bps=9.0, max_inventory_usd=500.0, level_spacing_ticks=2,
                          order_size_usd=20.0, score=1.0) for a in ("kPEPE", "WIF")]
    path = write_node_config(tmp_path / "live.generated.json", make_snapshot(1_795_000_000_000, assets),
                             NodeConfigOptions(network="testnet"))
    config, _, factories = run_live.prepare(args("--account", ACCOUNT, config=path))
    assert [s.config["instrument_id"] for s in config.strategies] == [
        "kPEPE-USD-PERP.HYPERLIQUID", "WIF-USD-PERP.HYPERLIQUID",
    ]
    assert clients(config, "exec_clients")[0].account_address == ACCOUNT
    assert factories["exec_clients"] == {"HYPERLIQUID": HyperliquidLiveExecClientFactory}


def test_a_live_run_keeps_checking_orders_even_when_the_config_does_not_say(tmp_path: Path) -> None:
    path = edited_live_config(tmp_path, lambda raw: raw.pop("exec_engine"))
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, config=path))
    engine = config.exec_engine
    assert engine.reconciliation and engine.open_check_interval_secs == 10.0
    assert engine.inflight_check_interval_ms == 1000
    assert engine.position_check_interval_secs is None  # see LIVE_EXEC_ENGINE_DEFAULTS


def test_a_config_s_own_engine_settings_are_kept(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["exec_engine"]["open_check_interval_secs"] = 15.0

    path = edited_live_config(tmp_path, edit)
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, config=path))
    assert config.exec_engine.open_check_interval_secs == 15.0


def test_shadow_mode_turns_the_position_check_off(tmp_path: Path) -> None:
    # The exchange does not know the shadow's positions: a check would flatten them in the cache.
    def edit(raw: dict) -> None:
        raw["exec_engine"]["position_check_interval_secs"] = 30.0

    path = edited_live_config(tmp_path, edit)
    live, _, _ = run_live.prepare(args("--account", ACCOUNT, config=path))
    shadow, _, _ = run_live.prepare(args("--mode", "shadow", config=path))
    assert live.exec_engine.position_check_interval_secs == 30.0
    assert shadow.exec_engine.position_check_interval_secs is None


def test_shadow_mode_tells_the_market_makers_the_book_holds_none_of_their_orders() -> None:
    # Live, Hyperliquid's book shows our resting orders, and the strategy takes them out of its touch;
    # a shadow run rests nothing, so a level at one of its virtual prices is the market's own.
    live, _, _ = run_live.prepare(args("--account", ACCOUNT))
    shadow, _, _ = run_live.prepare(args("--mode", "shadow"))
    assert {s.config.get("book_shows_own_orders", True) for s in live.strategies} == {True}
    assert {s.config["book_shows_own_orders"] for s in shadow.strategies} == {False}


# -- shared_budget: several nodes on one account -------------------------------------------------------

SHARED = {"redis_url": "redis://127.0.0.1:6379/0", "max_total_inventory_usd": 300.0}


def _with_shared(tmp_path: Path, **fields) -> Path:
    return edited_live_config(tmp_path, lambda raw: raw.__setitem__("shared_budget", {**SHARED, **fields}))


def test_without_a_shared_budget_section_no_budget_guard_runs_and_the_sweeps_take_the_whole_account() -> None:
    config, options, _ = run_live.prepare(args("--account", ACCOUNT))
    assert "mm_strategy.budget_guard:BudgetGuard" not in {a.actor_path for a in config.actors}
    assert not options.own_coins_only
    assert not any(s.config.get("await_inventory_cap") for s in config.strategies)


def test_a_shared_budget_adds_the_budget_guard_for_every_market_maker_and_scopes_the_sweeps(tmp_path: Path) -> None:
    config, options, _ = run_live.prepare(args("--account", ACCOUNT, config=_with_shared(tmp_path, lease_secs=4.0)))
    (guard,) = [a for a in config.actors if a.actor_path == "mm_strategy.budget_guard:BudgetGuard"]
    assert guard.config["instrument_ids"] == ["ETH-USD-PERP.HYPERLIQUID", "BTC-USD-PERP.HYPERLIQUID"]
    assert guard.config["account"] == ACCOUNT and guard.config["max_total_inventory_usd"] == 300.0
    assert guard.config["lease_ms"] == 4_000
    assert guard.config["headroom_usd"] == [350.0, 350.0]  # one side's ladder: 50 USD × (1 + 2 + 4)
    assert guard.config["max_inventory_usd"] == [1500.0, 1500.0]
    assert all(s.config["await_inventory_cap"] for s in config.strategies)  # reduce-only until the first claim
    assert options.own_coins_only


def test_a_coin_whose_flat_claim_takes_the_whole_shared_cap_is_warned_of_at_start(tmp_path: Path, caplog) -> None:
    # Review 3: a flat ETH node's 350 USD claim took all of a 300 USD cap; the BTC node quoted nothing.
    with caplog.at_level("WARNING", logger="run_live"):
        run_live.prepare(args("--account", ACCOUNT, config=_with_shared(tmp_path, max_total_inventory_usd=300.0)))
    warned = [r.getMessage() for r in caplog.records if "shared_budget:" in r.getMessage()]
    assert len(warned) == 2  # ETH and BTC, 350 USD each
    assert warned[0].startswith("shared_budget: ETH-USD-PERP.HYPERLIQUID claims 350 USD when flat")
    assert "the whole shared cap of 300" in warned[0]

    caplog.clear()
    with caplog.at_level("WARNING", logger="run_live"):
        run_live.prepare(args("--account", ACCOUNT, config=_with_shared(tmp_path, max_total_inventory_usd=1000.0)))
    assert not [r for r in caplog.records if "shared_budget:" in r.getMessage()]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"redis_url": "http://127.0.0.1:6379"}, "redis_url must be redis://[user:password@]host:port"),
        ({"redis_url": "redis://127.0.0.1:99999"}, "redis_url must be redis://[user:password@]host:port"),
        ({"max_total_inventory_usd": 0.0}, "max_total_inventory_usd must be > 0"),
        ({"max_total_inventory_usd": -5.0}, "max_total_inventory_usd must be > 0"),
        ({"max_assets": 0}, "max_assets must be >= 1"),
        ({"lease_secs": 0.5}, "lease_secs must be within 1..600"),
        ({"lease_secs": 2.0, "check_interval_secs": 1.5}, "at most half of lease_secs"),
        ({"node_id": "a node"}, "node_id must be"),
        ({"account": "nobody"}, "shared_budget.account must be"),
        ({"typo_field": 1}, "unknown field"),
    ],
)
def test_a_bad_shared_budget_is_refused_with_what_is_wrong(tmp_path: Path, fields: dict, message: str) -> None:
    with pytest.raises(run_live.ConfigError, match=re.escape(message)):
        run_live.prepare(args("--account", ACCOUNT, config=_with_shared(tmp_path, **fields)))


def test_a_shared_budget_needs_the_nodes_coins_listed(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["shared_budget"] = SHARED
        del raw["exec_clients"]["HYPERLIQUID"]["config"]["coins"]

    with pytest.raises(run_live.ConfigError, match="must list its coins"):
        run_live.prepare(args("--account", ACCOUNT, config=edited_live_config(tmp_path, edit)))


def test_a_disabled_shared_budget_section_is_off(tmp_path: Path) -> None:
    config, options, _ = run_live.prepare(args("--account", ACCOUNT, config=_with_shared(tmp_path, enabled=False)))
    assert "mm_strategy.budget_guard:BudgetGuard" not in {a.actor_path for a in config.actors}
    assert not options.own_coins_only


def test_the_shipped_scale_out_configs_are_two_nodes_on_disjoint_coins_sharing_one_budget() -> None:
    coins: dict[str, str] = {}
    trader_ids = set()
    for name in ("eth", "btc"):
        config, options, _ = run_live.prepare(args("--account", ACCOUNT, config=ROOT / "configs" / "scale_out" / f"{name}.json"))
        (guard,) = [a for a in config.actors if a.actor_path == "mm_strategy.budget_guard:BudgetGuard"]
        (exec_cfg,) = clients(config, "exec_clients")
        assert options.own_coins_only and guard.config["instrument_ids"] == [s.config["instrument_id"] for s in config.strategies]
        for coin in exec_cfg.coins:
            assert coin not in coins, f"{coin} is traded by {coins.get(coin)} and {name}"
            coins[coin] = name
        trader_ids.add(str(config.trader_id))  # one each: a shared Redis cache keeps the nodes apart by it
    assert set(coins) == {"ETH", "BTC"} and len(trader_ids) == 2


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ({"gc_interval_secs": -1}, "gc_interval_secs"),
        ({"gc_interval_secs": 61}, "gc_interval_secs"),
        ({"gc_interval_secs": "often"}, "gc_interval_secs"),
        ({"gc_interval_secs": 5, "gc_full_interval_secs": 1}, "gc_full_interval_secs"),
    ],
)
def test_a_bad_collection_schedule_in_the_run_section_is_refused_with_what_is_wrong(
    tmp_path: Path, run: dict, message: str,
) -> None:
    path = edited_live_config(tmp_path, lambda raw: raw["run"].update(run))
    with pytest.raises(run_live.ConfigError, match=message):
        run_live.prepare(args("--account", ACCOUNT, config=path))


def test_the_shipped_config_collects_on_a_one_second_timer_and_zero_leaves_it_to_python(tmp_path: Path) -> None:
    _, options, _ = run_live.prepare(args("--account", ACCOUNT))
    schedule = schedule_of(options)
    assert schedule is not None and (schedule.interval_secs, schedule.full_every) == (1.0, 600)
    path = edited_live_config(tmp_path, lambda raw: raw["run"].update({"gc_interval_secs": 0}))
    _, options, _ = run_live.prepare(args("--account", ACCOUNT, config=path))
    assert schedule_of(options) is None


def test_a_live_run_drops_orders_closed_an_hour_ago_from_memory_even_when_the_config_does_not_say(
    tmp_path: Path,
) -> None:
    path = edited_live_config(tmp_path, lambda raw: raw.pop("exec_engine"))
    engine = run_live.prepare(args("--account", ACCOUNT, config=path))[0].exec_engine
    assert (engine.purge_closed_orders_interval_mins, engine.purge_closed_orders_buffer_mins) == (10, 60)
    assert (engine.purge_account_events_interval_mins, engine.purge_account_events_lookback_mins) == (10, 60)
    assert not engine.purge_from_database  # a Redis-backed cache keeps them


def test_a_purge_interval_below_one_minute_is_refused_naming_the_field(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["exec_engine"]["purge_closed_orders_interval_mins"] = 0

    with pytest.raises(run_live.ConfigError, match=r"exec_engine\.purge_closed_orders_interval_mins"):
        run_live.prepare(args("--account", ACCOUNT, config=edited_live_config(tmp_path, edit)))


def test_a_redis_cache_url_naming_a_database_other_than_0_is_refused() -> None:
    # Nautilus's Redis cache has no database setting: the run would write to database 0 unasked.
    with pytest.raises(run_live.ConfigError, match="always uses Redis database 0"):
        run_live.prepare(args("--account", ACCOUNT, "--redis-cache", "redis://127.0.0.1:6379/9"))
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, "--redis-cache", "redis://127.0.0.1:6379/0"))
    assert config.cache.database.port == 6379


def test_a_redis_cache_urls_credentials_reach_the_cache_and_its_password_no_error() -> None:
    config, _, _ = run_live.prepare(args("--account", ACCOUNT, "--redis-cache", "redis://mm:s3cret@127.0.0.1:6379"))
    assert (config.cache.database.username, config.cache.database.password) == ("mm", "s3cret")
    with pytest.raises(run_live.ConfigError) as info:
        run_live.prepare(args("--account", ACCOUNT, "--redis-cache", "redis://mm:s3cret@127.0.0.1:6379/3"))
    assert "s3cret" not in str(info.value) and "mm:***@" in str(info.value)


def test_the_start_up_checks_reach_the_redis_cache_with_its_credentials() -> None:
    # Without them a password-protected Redis refuses the PING, and the start fails as "not reachable".
    from live.preflight import cache_url
    from live.preflight import redis_urls

    config, _, _ = run_live.prepare(args("--account", ACCOUNT, "--redis-cache", "redis://mm:s3cr%40t@127.0.0.1:6379"))
    assert config.cache.database.password == "s3cr%40t"  # as Nautilus hands it to its Redis client, which decodes it
    assert cache_url(config) == "redis://mm:s3cr%40t@127.0.0.1:6379"
    assert redis_urls(config) == [("redis://mm:s3cr%40t@127.0.0.1:6379", "the Redis cache")]
    assert cache_url(run_live.prepare(args("--account", ACCOUNT))[0]) is None


def test_a_shadow_run_keeps_no_day_state_so_its_virtual_losses_never_halt_a_live_run() -> None:
    def day_state_files(config) -> list:
        return [a.config.get("day_state_file") for a in config.actors if a.actor_path.endswith(":RiskGuard")]

    live, _, _ = run_live.prepare(args("--account", ACCOUNT))
    shadow, _, _ = run_live.prepare(args("--mode", "shadow"))
    assert day_state_files(live) == [str(ROOT / "state" / "risk_guard_day.json")]
    assert day_state_files(shadow) == [None]


def test_a_live_risk_guard_without_a_day_state_file_keeps_its_day_per_trader(tmp_path: Path) -> None:
    # A screener-generated config names none: the loss cap must hold across restarts all the same.
    def edit(raw: dict) -> None:
        for actor in raw["actors"]:
            actor["config"].pop("day_state_file", None)

    config, _, _ = run_live.prepare(args("--account", ACCOUNT, config=edited_live_config(tmp_path, edit)))
    (guard,) = [a.config for a in config.actors if a.actor_path.endswith(":RiskGuard")]
    assert guard["day_state_file"] == str(ROOT / "state" / "risk_guard_day_MM-001.json")


def test_a_relative_day_state_file_is_the_projects_wherever_the_node_starts(tmp_path: Path, monkeypatch) -> None:
    # Review 6: it was read from the current folder, so a restart from another one found no day
    # and quoted again the same day after a loss-cap halt.
    monkeypatch.chdir(tmp_path)
    config, _, _ = run_live.prepare(args("--account", ACCOUNT))
    (guard,) = [a.config for a in config.actors if a.actor_path.endswith(":RiskGuard")]
    assert guard["day_state_file"] == str(ROOT / "state" / "risk_guard_day.json")
