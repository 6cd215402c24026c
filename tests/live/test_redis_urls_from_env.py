"""A Redis url written `env:NAME` in a config or on a command line is the url the environment variable
NAME holds: the cache's, the governor's screener feed's and the shared budget's passwords stay out
of config files, and the governor's and budget's out of the node's config objects too."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import msgspec
import pytest
import redis

import run_live
from catalog.shipped_data import PROJECT_ROOT
from live.node_config import parse_redis_url
from mm_strategy.budget_guard import BudgetGuard
from mm_strategy.budget_guard import BudgetGuardConfig
from screener.node_config import NodeConfigOptions
from screener_link.feed import ScreenerFeed
from screener_link.publish import ScreenerPublisher
from screener_link.redis_target import check_redis_url
from screener_link.redis_target import url_from_env
from tests.redis_kit import URL_BREAKING_PASSWORD
from tests.redis_kit import URL_BREAKING_PASSWORD_ENCODED
from tests.redis_kit import RedisServer
from tests.redis_kit import snapshot_of
from tests.redis_kit import wait_until

ACCOUNT = "0x" + "ab" * 20
PASSWORD = URL_BREAKING_PASSWORD
ENCODED = URL_BREAKING_PASSWORD_ENCODED
VAR = "MM_TEST_REDIS_URL"


def _url(server: RedisServer) -> str:
    return f"redis://:{ENCODED}@127.0.0.1:{server.port}/0"


def _config_naming_the_variable(tmp_path: Path) -> Path:
    raw = json.loads((PROJECT_ROOT / "configs" / "live.json").read_text())
    raw["run"]["redis_cache_url"] = f"env:{VAR}"
    for actor in raw["actors"]:
        if "redis_url" in actor["config"]:
            actor["config"]["redis_url"] = f"env:{VAR}"
    raw["shared_budget"] = {"redis_url": f"env:{VAR}", "max_total_inventory_usd": 5_000.0}
    path = tmp_path / "live.json"
    path.write_text(json.dumps(raw))
    return path


def _prepare(config: Path):
    return run_live.prepare(run_live.parse_args(["--config", str(config), "--account", ACCOUNT]))


def test_an_env_url_is_the_url_its_variable_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, " redis://:pw@10.0.0.5:6380/2 ")
    assert url_from_env(f"env:{VAR}") == "redis://:pw@10.0.0.5:6380/2"
    assert check_redis_url(f"env:{VAR}") == "redis://:pw@10.0.0.5:6380/2"
    assert url_from_env("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379"


def test_an_env_url_whose_variable_is_unset_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VAR, raising=False)
    with pytest.raises(ValueError, match=f"the environment variable {VAR} is not set"):
        url_from_env(f"env:{VAR}")


@pytest.mark.parametrize("url", ["env:", "env:1ABC", "env:MM URL", "env:$X"])
def test_an_env_url_must_name_a_variable(url: str) -> None:
    with pytest.raises(ValueError, match="must name an environment variable"):
        url_from_env(url)


def test_a_bad_url_in_the_variable_is_refused_naming_the_variable_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(VAR, "redis://:hunter2@127.0.0.1:99999")
    with pytest.raises(ValueError, match=f"from env:{VAR}") as info:
        check_redis_url(f"env:{VAR}")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("mistyped", [":hunter2@10.0.0.5:6379", "redis//:hunter2@10.0.0.5:6379", "hunter2@10.0.0.5"])
def test_a_mistyped_url_in_the_variable_is_refused_without_its_password(
    monkeypatch: pytest.MonkeyPatch, mistyped: str,
) -> None:
    # Review 9: a URL without a scheme the redaction knew was echoed whole, password and all.
    monkeypatch.setenv(VAR, mistyped)
    for check in (check_redis_url, lambda url: parse_redis_url(url, "shared_budget.redis_url")):
        with pytest.raises(ValueError) as info:
            check(f"env:{VAR}")
        assert "hunter2" not in str(info.value) and "***@10.0.0.5" in str(info.value)


@pytest.mark.redis
def test_a_config_naming_the_variable_runs_the_cache_the_feed_and_the_budget_on_its_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protected_redis: RedisServer,
) -> None:
    monkeypatch.setenv(VAR, _url(protected_redis))
    config = _prepare(_config_naming_the_variable(tmp_path))[0]

    database = config.cache.database
    assert (database.port, database.password) == (protected_redis.port, ENCODED)
    # Only the cache's settings hold the password (Nautilus takes them as such); nothing else does.
    text = repr(msgspec.structs.replace(config, cache=None))
    assert ENCODED not in text and "s3cr" not in text
    governor = next(a for a in config.actors if a.actor_path.endswith(":RegimeGovernor"))
    budget = next(a for a in config.actors if a.actor_path.endswith(":BudgetGuard"))
    assert governor.config["redis_url"] == budget.config["redis_url"] == f"env:{VAR}"

    # The governor's feed reads the screener's snapshot from the protected Redis.
    channel, key = f"t:{secrets.token_hex(4)}", f"t:{secrets.token_hex(4)}:latest"
    with ScreenerPublisher(f"env:{VAR}", channel, key) as publisher:
        publisher.publish(snapshot_of(("ETH", 6.0)))
    feed = ScreenerFeed(f"env:{VAR}", channel=channel, key=key)
    feed.start()
    try:
        assert wait_until(lambda: feed.params_for("ETH") is not None, 5.0)
    finally:
        feed.stop()

    # The budget guard claims its share on it.
    guard = BudgetGuard(BudgetGuardConfig(**{**budget.config, "account": "0x" + secrets.token_hex(20)}))
    guard.budget.record_activity(3, 0.0)
    assert guard.budget.view() is not None and guard.budget.healthy
    guard.budget.close()
    assert redis.Redis(port=protected_redis.port, password=PASSWORD).ping()


@pytest.mark.parametrize("where", ["run", "governor", "shared_budget"])
def test_a_config_naming_an_unset_variable_is_refused_before_anything_starts_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, where: str,
) -> None:
    monkeypatch.setenv(VAR, "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("MM_UNSET_URL", raising=False)
    config = _config_naming_the_variable(tmp_path)
    raw = json.loads(config.read_text())
    if where == "run":
        raw["run"]["redis_cache_url"] = "env:MM_UNSET_URL"
    elif where == "shared_budget":
        raw["shared_budget"]["redis_url"] = "env:MM_UNSET_URL"
    else:
        next(a for a in raw["actors"] if "redis_url" in a["config"])["config"]["redis_url"] = "env:MM_UNSET_URL"
    config.write_text(json.dumps(raw))
    assert run_live.main(["--config", str(config), "--account", ACCOUNT]) == 2
    assert "the environment variable MM_UNSET_URL is not set" in capsys.readouterr().err


def test_the_redis_cache_option_takes_an_env_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, f"redis://mm:{ENCODED}@127.0.0.1:6391")
    parsed = run_live.parse_args(["--config", str(PROJECT_ROOT / "configs" / "live.json"), "--account", ACCOUNT,
                                  "--redis-cache", f"env:{VAR}"])
    database = run_live.prepare(parsed)[0].cache.database
    assert (database.username, database.password, database.port) == ("mm", ENCODED, 6391)


def test_a_screener_written_config_keeps_the_variables_name_not_its_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VAR, raising=False)  # read where the node runs, not where the screener writes
    assert NodeConfigOptions(redis_url=f"env:{VAR}").redis_url == f"env:{VAR}"
    with pytest.raises(ValueError, match="must name an environment variable"):
        NodeConfigOptions(redis_url="env:not a name")
