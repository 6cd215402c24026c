"""Backtest report: metrics per run from a finished `Session`, a terminal summary (rich), one PNG
of charts per run (matplotlib) and an HTML page with all of it."""

from __future__ import annotations

import base64
import html
import json
import statistics
import sys
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.events import OrderModifyRejected
from nautilus_trader.model.events import OrderRejected
from rich.console import Console
from rich.table import Table

from backtest.margin import INSUFFICIENT_MARGIN
from backtest.queue_fills import QUEUE_RULE_MEANING
from backtest.reporting.charts import chart_png
from backtest.reporting.metrics import MARKOUT_HORIZONS_S
from backtest.reporting.metrics import Fill
from backtest.reporting.metrics import RunMetrics
from backtest.reporting.metrics import compute
from backtest.runner import Session
from mm_strategy.quoting.ladder import min_edge_bps


@dataclass
class RunReport:
    name: str
    instrument: str
    metrics: RunMetrics
    fee_check: dict[str, Any]
    engine_pnl: float
    market: dict[str, Any]
    run: dict[str, Any]
    fills: list[Fill]
    times: list[int]
    mids: list[float]
    inventory: list[tuple[int, float]]
    # First line of the run's section: "stood down: no edge at tier N: ..." when the edge check
    # had it standing down at the end, else None.
    status: str | None = None


def build(session: Session) -> RunReport:
    mm = session.strategy
    fills = [Fill(*f) for f in mm.fills if f[0] >= session.quote_from_ns]
    times = [m[0] for m in mm.mids]
    mids = [m[1] for m in mm.mids]
    spreads = [m[2] for m in mm.mids]
    # Only this run's ladder orders: one engine (or a live node) may hold several instruments.
    cache = session.engine.cache
    orders = [
        o for o in cache.orders(instrument_id=mm.instrument_id, strategy_id=mm.id)
        if o.tags and o.tags[0].startswith("L")
    ]
    firings: dict[str, int] = {}
    for e in mm.guard_events:
        if e.ts_ns < session.quote_from_ns:
            continue  # actors warming up before quoting starts
        key = f"{e.source}.{e.guard}"
        firings[key] = firings.get(key, 0) + 1
    metrics = compute(
        fills, times, mids,
        orders_submitted=len(orders),
        orders_filled=sum(1 for o in orders if float(o.filled_qty) > 0),
        actions=sum(mm.actions.values()),
        guard_firings=firings,
    )
    spec = mm.spec
    need = min_edge_bps(spec, mm.ladder) if spec is not None else 0.0
    step_bps = statistics.median(
        [(10.0 ** -spec.price_precision) / m * 1e4 for m in mids[:: max(1, len(mids) // 200)]]
    ) if mids and spec else 0.0
    fee_check = {
        "maker_fee_bps": spec.maker_fee * 1e4 if spec else None,
        "adverse_selection_allowance_bps": mm.ladder.adverse_selection_bps,
        "required_edge_bps": need,
        "l1_half_spread_bps": mm.ladder.base_spread_bps / 2,
        "edge_check_enforced": mm.config.enforce_fee_edge,
        "median_market_spread_bps": statistics.median(spreads) if spreads else None,
        "quoting_at_the_touch_would_pay_fee": (statistics.median(spreads) / 2 < need) if spreads else None,
        # What the governor's edge check (the one that stands a run down) last estimated: from the
        # market's spread, then from the run's own fills; the ladder's check above is fixed.
        "governor_edge_check": governor_edge_text(session),
    }
    # Cross-check against the engine's own records: the cash flow of every fill the engine holds
    # for this instrument (fees included) plus the net position marked at the last mid. With one
    # instrument per account this equals the balance change; with several (a shadow node) the
    # shared account's balance would mix them, so it is not used.
    engine_pnl = engine_fill_pnl(cache, session.instrument.id, mids[-1] if mids else None)
    market = {
        "start_mid": mids[0] if mids else None,
        "end_mid": mids[-1] if mids else None,
        "move_bps": (mids[-1] / mids[0] - 1) * 1e4 if mids else None,
        "price_step_bps": step_bps,
    }
    run = {
        "data_events": session.data_events,
        "wall_s": round(session.wall_s, 3),
        "events_per_s": round(session.data_events / session.wall_s) if session.wall_s else None,
        "actions": dict(mm.actions),
        "post_only_rejects": mm.post_only_rejects,
        "latency_ms": session.settings.latency_ms,
        "fee_tier": session.settings.fee_tier,
        "queue_rule": session.queue_rule,
        "leverage": session.leverage,
        "margin_refusals": margin_refusals(cache, mm.instrument_id, mm.id),
        "quote_from": _iso(session.quote_from_ns),
        "end": _iso(times[-1]) if times else None,
    }
    end_ns = times[-1] if times else session.quote_from_ns
    status, stood_down_s = edge_status(session, end_ns)
    for said in (halt_status(session), stop_status(session)):
        if said is not None:
            status = said if status is None else f"{said}; {status}"
    run["stood_down_s"] = round(stood_down_s, 1)
    return RunReport(session.spec.name, session.spec.instrument, metrics, fee_check, engine_pnl, market, run,
                     fills, times, mids, list(mm.inventory), status)


def halt_status(session: Session) -> str | None:
    """"halted by the daily loss cap at <time>: <reason>" when the RiskGuard's drawdown halt fired
    after quoting started (it holds to the end of the UTC day), else None."""
    for e in session.strategy.guard_events:
        if e.source == "RiskGuard" and e.guard == "drawdown" and e.ts_ns >= session.quote_from_ns:
            return f"halted by the daily loss cap at {_iso(e.ts_ns)}: {e.reason}"
    return None


def stop_status(session: Session) -> str | None:
    """What the rejection breaker did, when it tripped: "stopped quoting at <time>: <reason>; ..." (what
    was held then stays in the PnL, marked to the run's end), or "reduce-only from <time>: ..."
    (margin: only the reducing side quoted from then on); else None."""
    mm = session.strategy
    stopped, reducing = mm.quoting_stopped, mm.reduce_only_for_good
    parts = []
    if reducing is not None:
        parts.append(f"reduce-only from {_iso(mm.reduce_only_since_ns)}: {reducing}")
        if stopped is None:
            parts.append("only what reduced the position was quoted after")
    if stopped is not None:
        why = stopped.removeprefix(f"{reducing}; ") if reducing is not None else stopped
        parts.append(f"stopped quoting at {_iso(mm.quoting_stopped_ns)}: {why}")
        if mm.held_at_stop:
            parts.append(f"what it held then ({mm.held_at_stop:+g}) is marked to the end of the run")
    return "; ".join(parts) or None


def edge_status(session: Session, end_ns: int) -> tuple[str | None, float]:
    """The run's edge verdict: ("stood down: no edge at tier N: <figures>", seconds stood down
    after quoting started) when the governor's edge check stood it down and it still was at the end."""
    gov = session.governor
    if gov is None:
        return None, 0.0
    stood = False
    since = session.quote_from_ns
    total = 0
    for e in session.strategy.guard_events:
        if e.source != "RegimeGovernor" or e.guard not in ("edge", "edge_resume"):
            continue
        if e.guard == "edge" and not stood:
            stood, since = True, max(e.ts_ns, session.quote_from_ns)
        elif e.guard == "edge_resume" and stood:
            stood = False
            total += max(0, e.ts_ns - since)  # since ≥ quote_from_ns: nothing before quoting counts
    if stood:
        total += max(0, end_ns - since)
    down_now, describe = gov.edge_status(session.spec.instrument)
    if not down_now or describe is None:
        return None, total / 1e9
    span = max(1, end_ns - session.quote_from_ns)
    line = (f"stood down: no edge at tier {session.settings.fee_tier}: {describe}; "
            f"stood down {total / 1e9 / 60:.1f} of {span / 1e9 / 60:.1f} min")
    return line, total / 1e9


def governor_edge_text(session: Session) -> str:
    """The governor's last edge estimate in words; "off" without a governor or with its check off."""
    gov = session.governor
    if gov is None or not gov.config.edge_check_enabled:
        return "off"
    _, describe = gov.edge_status(session.spec.instrument)
    return describe or "no estimate yet (too few spread samples)"


def margin_refusals(cache, instrument_id, strategy_id) -> int:
    """Orders and modifies of the strategy on `instrument_id` refused because the account could not
    margin them: the backtest venue's refusals (`backtest.margin_venue`) and the exchange's, which
    use the same words."""
    count = 0
    for order in cache.orders(instrument_id=instrument_id, strategy_id=strategy_id):
        for ev in order.events:
            if isinstance(ev, (OrderRejected, OrderModifyRejected)) and ev.reason.startswith(MARGIN_REASON):
                count += 1
    return count


def engine_fill_pnl(cache, instrument_id, mark: float | None) -> float:
    """Cash flow of the engine's fills of `instrument_id` (commissions deducted) + position × `mark`."""
    cash = 0.0
    position = 0.0
    for order in cache.orders(instrument_id=instrument_id):
        for ev in order.events:
            if not isinstance(ev, OrderFilled):
                continue
            qty = float(ev.last_qty)
            signed = qty if ev.order_side == OrderSide.BUY else -qty
            cash -= signed * float(ev.last_px) + float(ev.commission)
            position += signed
    if position and mark is not None:
        cash += position * mark
    return cash


# The exchange adds the asset after these words ("... order. asset=4"); the backtest venue says them alone.
MARGIN_REASON = INSUFFICIENT_MARGIN.rstrip(".")


def margin_text(run: dict[str, Any]) -> str:
    """The run's leverage and how many orders it could not margin, in a line."""
    leverage = run.get("leverage")
    refused = run.get("margin_refusals", 0)
    return f"{'–' if leverage is None else f'{leverage}x'}; {refused} order(s)/modify(s) refused for margin"


def _iso(ns: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC).isoformat(timespec="seconds")


def _fmt(x: float | None, spec: str = ",.2f") -> str:
    return "–" if x is None else format(x, spec)


OVERVIEW_COLUMNS = (
    ("run", "run"), ("instrument", "instrument"), ("queue", "queue_rule"), ("net PnL", "net_pnl"), ("spread capture", "spread_capture"),
    ("inventory", "inventory"), ("fees", "fees"), ("fills", "fills"), ("traded $", "volume_usd"),
    ("actions/USDC", "actions_per_usdc"), ("1s markout buy", "markout_1s_buy_bps"),
    ("1s markout sell", "markout_1s_sell_bps"), ("5s edge after fees", "edge_after_fees"),
    ("5s edge pays fee", "edge_pays_fee"),
)


def overview(reports: list[RunReport]) -> list[dict[str, Any]]:
    """One line per run, the figures a trader reads first: where making pays the fee (the fills' edge
    5 s on, fees paid) and where not.
    Money in USDC (fees as a cost, negative), markouts in bps (+ = good for us)."""
    rows = []
    for r in reports:
        m = r.metrics
        rows.append({
            "run": r.name,
            "instrument": r.instrument.split("-")[0],
            "queue_rule": r.run.get("queue_rule"),
            "net_pnl": m.total_pnl,
            "spread_capture": m.spread_capture,
            "inventory": m.inventory_pnl,
            "fees": -m.fees or 0.0,  # no fees: 0.0, not -0.0
            "fills": m.fills,
            "volume_usd": m.volume_usd,
            "actions_per_usdc": m.actions_per_usdc,
            "markout_1s_buy_bps": m.markouts_bps.get("BUY", {}).get(1),
            "markout_1s_sell_bps": m.markouts_bps.get("SELL", {}).get(1),
            # On the fills' edge 5 s on, fees paid: the capture against the mid before the fill
            # credits each fill of a resting order with the half-spread the market then moved through.
            "edge_pays_fee": None if m.edge_after_fees is None else m.edge_after_fees > 0,
            "edge_after_fees": m.edge_after_fees,
            "status": r.status,
        })
    return rows


def overview_cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key == "edge_pays_fee":
        return "yes" if value else "no"
    if key in ("net_pnl", "spread_capture", "inventory", "fees", "edge_after_fees"):
        return f"{value:+,.2f}"
    if key == "volume_usd":
        return f"{value:,.0f}"
    if key == "actions_per_usdc":
        return f"{value:.2f}"
    if key.startswith("markout"):
        return f"{value:+.2f}"
    return str(value)


def queue_rule_text(rule: str | None) -> str:
    """What filled the run's resting orders, in a line (`backtest.queue_fills`)."""
    return "–" if rule is None else f"{rule}: {QUEUE_RULE_MEANING.get(rule, 'unknown rule')}"


def summary_console() -> Console:
    """The console of the summaries: on a terminal its width; elsewhere (a log, CI, a service's log
    file) wide enough that the one-line-per-run (or per-cell) table is not squeezed into "…"."""
    return Console() if sys.stdout.isatty() else Console(width=220)


def print_summary(reports: list[RunReport], console: Console | None = None) -> None:
    console = console or summary_console()
    table = Table(title="All runs (USDC; markouts in bps, + = good for us)")
    for title, key in OVERVIEW_COLUMNS:
        # Never cut a run's name or rule short (two runs differing by their rule would look alike):
        # when the table is too wide, headers of the other columns wrap or shorten instead.
        table.add_column(title, justify="left" if key in ("run", "instrument", "queue_rule") else "right",
                         no_wrap=key in ("run", "queue_rule"))
    for row in overview(reports):
        table.add_row(*(overview_cell(key, row[key]) for _, key in OVERVIEW_COLUMNS))
    console.print(table)
    for r in reports:
        m = r.metrics
        t = Table(title=f"{r.name}  ({r.instrument}, from {r.run['quote_from']} to {r.run['end']})", show_header=False)
        t.add_column(style="bold")
        t.add_column(justify="right")
        if r.status:
            console.print(r.status)  # the run's first line: why it did not quote
            t.add_row("status", r.status)
        fc = r.fee_check
        t.add_row("ladder fee edge", f"L1 half-spread {fc['l1_half_spread_bps']:.2f} bps vs required "
                  f"{fc['required_edge_bps']:.2f} (fee {fc['maker_fee_bps']:.2f} + AS {fc['adverse_selection_allowance_bps']:.2f}); "
                  f"median market spread {_fmt(fc['median_market_spread_bps'])} bps")
        t.add_row("governor edge check", fc.get("governor_edge_check", "–"))
        t.add_row("market move", f"{_fmt(r.market['move_bps'], '+.1f')} bps")
        t.add_row("queue rule", queue_rule_text(r.run.get("queue_rule")))
        t.add_row("leverage / margin", margin_text(r.run))
        t.add_row("PnL total (USDC)", _fmt(m.total_pnl, "+,.4f") + f"   (engine fills: {r.engine_pnl:+,.4f})")
        t.add_row("  spread capture", _fmt(m.spread_capture, "+,.4f"))
        t.add_row("  inventory (mark-to-market)", _fmt(m.inventory_pnl, "+,.4f"))
        t.add_row("  fees", _fmt(-m.fees, "+,.4f"))
        t.add_row("fills / volume", f"{m.fills} / ${m.volume_usd:,.0f}")
        t.add_row("maker share", "–" if m.maker_share is None else f"{m.maker_share:.1%}")
        t.add_row("fills per level", ", ".join(f"L{k}: {v}" for k, v in sorted(m.fills_per_level.items())) or "–")
        t.add_row("fill rate (orders with a fill)", "–" if m.fill_rate is None else f"{m.fill_rate:.1%} of {m.orders_submitted}")
        for side in ("BUY", "SELL"):
            t.add_row(f"markout {side} (bps)", "  ".join(f"{h}s: {_fmt(m.markouts_bps[side][h], '+.2f')}" for h in MARKOUT_HORIZONS_S))
        t.add_row("actions (submit/modify/cancel)", "/".join(str(v) for v in r.run["actions"].values()))
        t.add_row("cancel-to-fill", _fmt(m.cancel_to_fill, ".1f") + " actions per fill")
        t.add_row("actions per USDC", _fmt(m.actions_per_usdc, ".3f") + "  (address budget: 1 per USDC + 10,000)")
        t.add_row("max drawdown (USDC)", _fmt(m.max_drawdown, ",.4f"))
        t.add_row("final position", _fmt(m.final_position, "+.5f"))
        t.add_row("guard firings", ", ".join(f"{k}: {v}" for k, v in sorted(m.guard_firings.items())) or "none")
        t.add_row("replay", f"{r.run['data_events']:,} events in {r.run['wall_s']:.2f} s")
        console.print(t)


def write(reports: list[RunReport], report_dir: Path) -> dict[str, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    sections = []
    summary = []
    for r in reports:
        png = chart_png(r, report_dir / f"backtest_{r.name}.png")
        out[r.name] = png
        data = base64.b64encode(png.read_bytes()).decode()
        row = {"name": r.name, "instrument": r.instrument, "status": r.status, "metrics": asdict(r.metrics),
               "fee_check": r.fee_check,
               "engine_pnl": r.engine_pnl, "market": r.market, "run": r.run}
        summary.append(row)
        m = r.metrics
        items = [("status", r.status)] if r.status else []
        items += [
            ("PnL total", f"{m.total_pnl:+,.4f} USDC (engine fills {r.engine_pnl:+,.4f})"),
            ("spread capture", f"{m.spread_capture:+,.4f}"), ("inventory", f"{m.inventory_pnl:+,.4f}"),
            ("fees", f"{-m.fees:+,.4f}"), ("maker share", "–" if m.maker_share is None else f"{m.maker_share:.1%}"),
            ("fills", f"{m.fills} (${m.volume_usd:,.0f})"),
            ("queue rule", queue_rule_text(r.run.get("queue_rule"))),
            ("leverage / margin", margin_text(r.run)),
            ("fills per level", ", ".join(f"L{k}: {v}" for k, v in sorted(m.fills_per_level.items()))),
            ("fill rate", "–" if m.fill_rate is None else f"{m.fill_rate:.1%} of {m.orders_submitted} orders"),
            ("cancel-to-fill", _fmt(m.cancel_to_fill, ".1f")), ("actions per USDC", _fmt(m.actions_per_usdc, ".3f")),
            ("max drawdown", f"{m.max_drawdown:,.4f} USDC"),
            ("guard firings", ", ".join(f"{k}: {v}" for k, v in sorted(m.guard_firings.items())) or "none"),
            ("edge check", json.dumps(r.fee_check)),
        ]
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in items)
        sections.append(f"<h2>{html.escape(r.name)} — {html.escape(r.instrument)}</h2><table>{rows}</table>"
                        f'<img src="data:image/png;base64,{data}" width="100%">')
    head = "".join(f"<th>{html.escape(title)}</th>" for title, _ in OVERVIEW_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(overview_cell(key, row[key]))}</td>" for _, key in OVERVIEW_COLUMNS) + "</tr>"
        for row in overview(reports)
    )
    first = f"<h2>All runs</h2><table class='overview'><tr>{head}</tr>{body}</table>"
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Backtest report</title><style>"
            "body{font-family:sans-serif;max-width:1300px;margin:auto}th{text-align:left;padding-right:1em}"
            "td,th{border-bottom:1px solid #ddd;font-size:14px}.overview td{text-align:right;padding:0 .6em}"
            "</style></head><body><h1>Backtest report</h1>" + first
            + "".join(sections) + "</body></html>")
    (report_dir / "backtest.html").write_text(page)
    (report_dir / "backtest_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (report_dir / "backtest_overview.json").write_text(json.dumps(overview(reports), indent=2))
    out["html"] = report_dir / "backtest.html"
    out["json"] = report_dir / "backtest_summary.json"
    out["overview"] = report_dir / "backtest_overview.json"
    return out
