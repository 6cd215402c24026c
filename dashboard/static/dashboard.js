// The dashboard page: reads server-sent events from /events and draws them. It only reads: no
// request it makes changes anything on the node. Text from the node goes in through textContent.
"use strict";

const MAX_POINTS = 1800;
const SERIES = ["spread_capture", "inventory", "fees", "total"];
const COLORS = { spread_capture: "#3fb27f", inventory: "#5da0e0", fees: "#e05d5d", total: "#f0c24b" };
const charts = {};   // instrument id -> { plot, data }
const views = {};    // instrument id -> the instrument's DOM nodes
let lastFrameAt = 0;
const drawn = {};    // section key -> the JSON it was last drawn from: unchanged sections are not redrawn

function unchanged(key, value) {
  const text = JSON.stringify(value);
  if (drawn[key] === text) return true;
  drawn[key] = text;
  return false;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    // Styles through the CSSOM: the page's content security policy refuses inline style attributes.
    if (k === "class") node.className = v; else if (k === "style") Object.assign(node.style, v); else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function fmt(x, digits = 4) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return Number(x).toFixed(digits);
}
function num(x) {  // a quantity or price as the venue shows it (no trailing zeros)
  if (x === null || x === undefined) return "–";
  return String(Number(x.toPrecision(12)));
}
function clock(tsNs) {
  return new Date(tsNs / 1e6).toISOString().slice(11, 23);
}
function tag(id, text, level) {
  const node = document.getElementById(id);
  node.textContent = text;
  node.className = "tag " + (level || "");
}
function kv(pairs) {
  const box = el("div", { class: "kv" });
  for (const [k, v, cls, attrs] of pairs) {
    box.append(el("span", {}, k), el("span", { class: cls || "", ...(attrs || {}) }, v));
  }
  return box;
}
function fillBody(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// -- node-wide ---------------------------------------------------------------------------------

function drawNode(snap) {
  tag("trader", snap.trader_id);
  tag("mode", snap.mode, snap.mode === "live" ? "warn" : "");
  tag("running", snap.running ? "running" : "not running", snap.running ? "good" : "bad");
  const node = snap.node;
  if (!unchanged("clients", node.clients)) fillBody(document.querySelector("#clients tbody"), node.clients.map((c) => el("tr", { "data-client": c.id + "/" + c.kind },
    el("td", { class: "l", title: c.type }, `${c.id} ${c.kind}`),
    el("td", { class: c.connected ? "good" : "bad" }, c.connected ? "yes" : "no"),
    el("td", { class: c.ws_connected === null ? "muted" : c.ws_connected ? "good" : "bad" },
      c.ws_connected === null ? "n/a" : c.ws_connected ? "open" : "down"),
    el("td", { class: "l" }, c.stalled_coins === null ? "n/a" : c.stalled_coins.join(" ") || "none"))));

  const us = node.user_stream;
  document.getElementById("user-stream").replaceChildren(kv([
    ["socket", !us.applies ? "n/a (no user stream: shadow)" : us.connected ? "connected" : "DOWN",
      !us.applies ? "muted" : us.connected ? "good" : "bad", { "data-user-stream": String(us.connected) }],
    ["user-stream halt", us.halted || "no", us.halted ? "bad" : "good"],
  ]));
  drawControls(node.controls, node.day);
  const stall = node.stall;
  document.getElementById("stall").replaceChildren(kv([
    ["stalled", stall.stalled.length ? stall.stalled.map((c) => `${c} (${fmt(stall.since_ms[c] / 1000, 1)} s)`).join(", ") : "none",
      stall.stalled.length ? "bad" : "good"],
  ]));

  const b = node.budget;
  const budget = document.getElementById("budget");
  const pairs = [
    ["used / cap", b.used === null ? "no report yet" : `${b.used} / ${b.cap}`, "", { "data-budget-used": b.used ?? "" }],
    ["left", b.left === null ? "–" : String(b.left), b.left !== null && b.left < 2000 ? "bad" : "", { "data-budget-left": b.left ?? "" }],
    [`actions/USDC, ${fmt(b.window_s, 0)} s`, fmt(b.actions_per_usdc_window, 3)],
    ["actions/USDC, lifetime", fmt(b.actions_per_usdc_lifetime, 3)],
    [`actions ${fmt(b.window_s, 0)} s / run`, `${b.actions_in_window} / ${b.actions_since_start}`],
    ["IP weight / min", b.ip_weight_used === null ? "–" : `${b.ip_weight_used} / ${b.ip_weight_cap}`],
    ["report age", b.age_s === null ? "–" : `${fmt(b.age_s, 1)} s`],
  ];
  const children = [kv(pairs)];
  if (b.cap) {
    const bar = el("div", { class: "bar" }, el("div", { class: "fill", style: { left: "0", width: `${Math.min(100, 100 * b.used / b.cap)}%` } }));
    children.unshift(bar);
  }
  budget.replaceChildren(...children);

  const s = node.screener;
  const screener = document.getElementById("screener");
  if (!s) {
    screener.replaceChildren(el("span", { class: "muted" }, "no screener feed (the governor has no redis_url)"));
  } else {
    const table = el("table", {}, el("thead", {}, el("tr", {}, ...["asset", "spread bps", "max inv $", "spacing", "size $", "score"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...s.assets.map((a) => el("tr", {}, el("td", { class: "l" }, a.asset), el("td", {}, fmt(a.base_spread_bps, 2)),
        el("td", {}, fmt(a.max_inventory_usd, 0)), el("td", {}, a.level_spacing_ticks), el("td", {}, fmt(a.order_size_usd, 0)), el("td", {}, fmt(a.score, 3))))));
    screener.replaceChildren(kv([
      ["redis", s.connected ? "connected" : "disconnected", s.connected ? "good" : "bad"],
      ["snapshot age", s.age_s === null ? "none yet" : `${fmt(s.age_s, 0)} s`, s.stale ? "bad" : "good", { "data-screener-age": s.age_s ?? "" }],
      ["stale", s.stale ? "yes (spreads widened)" : "no", s.stale ? "bad" : "good"],
      ["rejected payloads", String(s.rejected)],
    ]), table);
  }

  if (unchanged("timeline", [snap.guard_counts, snap.timeline])) return;
  document.getElementById("guard-counts").textContent =
    Object.entries(snap.guard_counts).map(([k, v]) => `${k}: ${v}`).join("  ·  ") || "no guard has fired";
  fillBody(document.querySelector("#timeline tbody"), snap.timeline.slice().reverse().map((e) => el("tr", { "data-timeline": e.what },
    el("td", {}, clock(e.ts_ns)), el("td", { class: "l" }, e.kind), el("td", { class: "l" }, e.source),
    el("td", { class: "l " + (e.kind === "guard" ? "warn" : "") }, e.what), el("td", { class: "l" }, e.instrument || "all"),
    el("td", { class: "reason" }, e.reason))));
}

function drawControls(controls, day) {
  // Every halt and pause in force with its reason and end: what stops the quoting, beside the timeline's history.
  const held = [...controls.halts.map((c) => ["halt", c]), ...controls.pauses.map((c) => ["pause", c])];
  tag("halted", controls.halts.length ? `HALTED: ${controls.halts.map((c) => c.source).join(", ")}` : "", "bad");
  document.getElementById("controls").replaceChildren(held.length
    ? el("table", {}, el("tbody", {}, ...held.map(([kind, c]) => el("tr", { "data-control": kind, "data-source": c.source },
      el("td", { class: "l " + (kind === "halt" ? "bad" : "warn") }, `${kind} · ${c.source}`),
      el("td", { class: "l" }, c.scope),
      el("td", { class: "l" }, c.until_ns ? `until ${new Date(c.until_ns / 1e6).toISOString().replace(".000Z", "Z")}` : "until resumed"),
      el("td", { class: "reason" }, c.reason)))))
    : el("span", { class: "good", "data-control": "none" }, "none: quoting as configured"));
  document.getElementById("day").replaceChildren(day
    ? kv([
      ["PnL today", fmt(day.pnl, 2), day.pnl < 0 ? "bad" : "good", { "data-day-pnl": day.pnl }],
      ["loss cap", `${fmt(day.loss_cap, 2)} of ${fmt(day.start_equity, 2)} day-start equity`, -day.pnl >= day.loss_cap ? "bad" : ""],
    ])
    : el("span", { class: "muted" }, "no RiskGuard reading yet"));
}

// -- per instrument ----------------------------------------------------------------------------

function instrumentView(inst) {
  if (views[inst.id]) return views[inst.id];
  const v = {
    title: el("h3", {}, inst.symbol),
    status: el("span", { class: "muted" }),
    ladder: el("tbody"),
    orders: el("tbody"),
    inventory: el("div", { "data-inventory": inst.id }),
    pnl: el("div"),
    chart: el("div", { class: "chart" }),
    fills: el("tbody"),
    fillInfo: el("div", { class: "muted" }),
  };
  const th = (...names) => el("thead", {}, el("tr", {}, ...names.map((n) => el("th", {}, n))));
  const section = el("div", { class: "card instrument", "data-instrument": inst.id },
    el("div", { class: "head" }, v.title, v.status),
    el("div", {},
      el("h2", {}, "book and our orders"),
      el("table", { class: "ladder" }, th("our orders (level size · ahead)", "size", "price", "size"), v.ladder),
      el("h2", {}, "resting orders"),
      el("table", { class: "orders" }, th("side", "level", "price", "size", "status", "ahead (est.)", "venue oid"), v.orders)),
    el("div", {},
      el("h2", {}, "inventory"), v.inventory,
      el("h2", {}, "PnL split (quote ccy)"), v.pnl, v.chart,
      el("h2", {}, "fills and markouts (bps, + = good for us)"), v.fillInfo,
      el("table", { class: "fills" }, th("time", "side", "level", "price", "qty", "fee", "maker", "1 s", "5 s", "30 s"), v.fills)));
  document.getElementById("instruments").append(section);
  views[inst.id] = v;
  return v;
}

function drawLadder(v, inst) {
  if (unchanged(inst.id + "/book", [inst.book.bids, inst.book.asks, inst.orders])) return;
  const mine = new Map();  // "BUY|px" -> [orders]
  for (const o of inst.orders) {
    const key = o.side + "|" + o.px;
    if (!mine.has(key)) mine.set(key, []);
    mine.get(key).push(o);
  }
  const askPx = new Set(inst.book.asks.map((l) => l[0]));
  const bidPx = new Set(inst.book.bids.map((l) => l[0]));
  // Our orders outside the shown depth still get a row (size "–": not in the shown levels).
  const asks = inst.book.asks.map((l) => [l[0], l[1]]);
  const bids = inst.book.bids.map((l) => [l[0], l[1]]);
  for (const o of inst.orders) {
    if (o.side === "SELL" && !askPx.has(o.px)) { asks.push([o.px, null]); askPx.add(o.px); }
    if (o.side === "BUY" && !bidPx.has(o.px)) { bids.push([o.px, null]); bidPx.add(o.px); }
  }
  asks.sort((a, b) => b[0] - a[0]);
  bids.sort((a, b) => b[0] - a[0]);
  const row = (side, px, size) => {
    const ours = mine.get((side === "ask" ? "SELL" : "BUY") + "|" + px) || [];
    const text = ours.map((o) => `${o.level} ${num(o.size)} · ahead ${o.ahead === null ? "?" : num(o.ahead)}`).join("; ");
    return el("tr", { class: side + (ours.length ? " mine" : ""), "data-ladder-px": px, "data-ours": ours.length || null },
      el("td", { class: "ours" }, text),
      el("td", {}, side === "bid" && size !== null ? num(size) : ""),
      el("td", { class: "px" }, num(px)),
      el("td", {}, side === "ask" && size !== null ? num(size) : ""));
  };
  const spread = el("tr", { class: "spread" }, el("td", { colspan: "4" },
    `mid ${num(inst.book.mid)} · spread ${fmt(inst.book.spread_bps, 2)} bps`));
  fillBody(v.ladder, [...asks.map((l) => row("ask", l[0], l[1])), spread, ...bids.map((l) => row("bid", l[0], l[1]))]);
  fillBody(v.orders, inst.orders.slice().sort((a, b) => b.px - a.px).map((o) => el("tr",
    { "data-order": o.cid, "data-side": o.side, "data-px": o.px },
    el("td", { class: "l " + (o.side === "BUY" ? "good" : "bad") }, o.side), el("td", {}, o.level), el("td", {}, num(o.px)),
    el("td", {}, num(o.size)), el("td", { class: "l" }, o.status),
    el("td", { "data-ahead": o.ahead === null ? "" : o.ahead }, o.ahead === null ? "unknown" : num(o.ahead)),
    el("td", {}, o.voi || "–"))));
}

function drawInventory(v, inst) {
  if (unchanged(inst.id + "/inventory", inst.inventory)) return;
  const inv = inst.inventory;
  const q = inv.q === null ? 0 : inv.q;
  const span = Math.max(inv.hard_limit, Math.abs(q)) * 1.1;
  const at = (x) => `${50 + 50 * x / span}%`;
  const bar = el("div", { class: "bar" },
    el("div", { class: "fill", style: q >= 0 ? { left: "50%", width: `${50 * q / span}%` } : { left: at(q), width: `${-50 * q / span}%` } }),
    el("div", { class: "zero" }),
    ...[-inv.soft_limit, inv.soft_limit].map((x) => el("div", { class: "mark", style: { left: at(x) } })),
    ...[-inv.hard_limit, inv.hard_limit].map((x) => el("div", { class: "mark hard", style: { left: at(x) } })));
  v.inventory.replaceChildren(kv([
    ["position", num(inv.position), "", { "data-position": inv.position }],
    ["notional", `${fmt(inv.notional_usd, 2)} of max ${fmt(inv.max_usd, 0)} USD`],
    ["q (soft / hard)", `${fmt(inv.q, 3)} (±${inv.soft_limit} / ±${inv.hard_limit})`,
      Math.abs(q) >= inv.hard_limit ? "bad" : Math.abs(q) >= inv.soft_limit ? "warn" : ""],
  ]), bar);
}

function drawPnl(v, inst) {
  const p = inst.pnl;
  const sign = (x) => (x === undefined || x === null ? "" : x >= 0 ? "good" : "bad");
  v.pnl.replaceChildren(kv([
    ["spread capture", fmt(p.spread_capture), sign(p.spread_capture), { "data-pnl": "spread_capture" }],
    ["inventory", fmt(p.inventory), sign(p.inventory), { "data-pnl": "inventory" }],
    ["fees", fmt(p.fees), "bad", { "data-pnl": "fees" }],
    ["total", fmt(p.total), sign(p.total), { "data-pnl": "total" }],
    ["Nautilus realized / unrealized at mid", `${fmt(p.realized)} / ${fmt(p.unrealized)}`],
    // Since the page's first sample: a position the node held before then counts from that mid on.
    ["carried in", p.carried_in && p.carried_in.position ? `${num(p.carried_in.position)} at mid ${num(p.carried_in.mid)}` : "none",
      "muted", { "data-carried-in": p.carried_in ? p.carried_in.position : "" }],
  ]));
  const chart = ensureChart(v, inst.id);
  if (inst.point && chart) {
    const last = chart.data[0].length ? chart.data[0][chart.data[0].length - 1] : -Infinity;
    if (inst.point[0] > last) {
      chart.data.forEach((col, i) => col.push(i === 3 ? -inst.point[i] : inst.point[i]));
      if (chart.data[0].length > MAX_POINTS) chart.data.forEach((col) => col.splice(0, col.length - MAX_POINTS));
      chart.plot.setData(chart.data);
    }
  }
}

function ensureChart(v, id) {
  if (charts[id]) return charts[id];
  if (typeof uPlot === "undefined") return null;
  const width = Math.max(300, v.chart.clientWidth || 500);
  const series = [{}, ...SERIES.map((name) => ({ label: name === "fees" ? "−fees" : name.replace("_", " "), stroke: COLORS[name], width: name === "total" ? 2 : 1 }))];
  const data = [[], [], [], [], []];
  const plot = new uPlot({ width, height: 200, series, axes: [{ stroke: "#8a96a3" }, { stroke: "#8a96a3", size: 70 }],
    scales: { x: { time: true } }, legend: { live: false } }, data, v.chart);
  charts[id] = { plot, data };
  return charts[id];
}

function loadHistory(history) {
  for (const [id, cols] of Object.entries(history)) {
    pendingHistory[id] = cols;
  }
}
const pendingHistory = {};

function applyHistory(v, id) {
  const cols = pendingHistory[id];
  const chart = ensureChart(v, id);
  if (!cols || !chart) return;
  delete pendingHistory[id];
  chart.data = [cols.t, cols.spread_capture, cols.inventory, cols.fees.map((x) => -x), cols.total].map((c) => c.slice(-MAX_POINTS));
  chart.plot.setData(chart.data);
}

function drawFills(v, inst) {
  if (unchanged(inst.id + "/fills", [inst.fills, inst.fill_count])) return;
  v.fillInfo.textContent = inst.journal ? `${inst.fill_count} fills this run (latest first)` : "the strategy's journal is off: no fills or PnL split";
  fillBody(v.fills, inst.fills.map((f) => el("tr", { "data-fill": f.ts_ns, "data-side": f.side, "data-px": f.px, "data-qty": f.qty },
    el("td", {}, clock(f.ts_ns)), el("td", { class: "l " + (f.side === "BUY" ? "good" : "bad") }, f.side),
    el("td", {}, f.level ? "L" + f.level : "exit"), el("td", {}, num(f.px)), el("td", {}, num(f.qty)), el("td", {}, fmt(f.fee, 5)),
    el("td", {}, f.maker ? "yes" : "no"),
    ...["1", "5", "30"].map((h) => {
      const m = f.markouts_bps[h];
      return el("td", { class: m === null ? "muted" : m >= 0 ? "good" : "bad", "data-markout": h }, m === null ? "…" : fmt(m, 2));
    }))));
}

function drawInstrument(inst) {
  const v = instrumentView(inst);
  applyHistory(v, inst.id);
  const regime = inst.regime ? inst.regime.reason : "no regime yet";
  const adjust = Object.entries(inst.spread_adjustments).map(([k, m]) => `${k}×${fmt(m, 2)}`).join(" ");
  const budgetHeld = inst.shared_budget && inst.shared_budget.reduce_only;
  const heldBy = inst.held_by.length ? ` (${inst.held_by.join("; ")})` : "";
  v.status.textContent = `${inst.state}${inst.breaker ? ` · REJECTION BREAKER: ${inst.breaker}` : ""}${inst.blocked ? ` · QUOTING BLOCKED${heldBy}` : ""}${budgetHeld ? ` · SHARED BUDGET: REDUCE-ONLY (${inst.shared_budget.reason})` : ""} · book ${fmt(inst.book.age_ms, 0)} ms old · exit ${inst.exit_mode} · ${regime} · spread ×${fmt(inst.spread_mult, 2)} (${adjust || "no adjustments"}) · actions ${JSON.stringify(inst.actions)}`;
  v.status.className = inst.blocked || budgetHeld || inst.breaker ? "bad" : "muted";
  drawLadder(v, inst);
  drawInventory(v, inst);
  drawPnl(v, inst);
  drawFills(v, inst);
}

function draw(snap) {
  lastFrameAt = Date.now();
  drawNode(snap);
  for (const inst of snap.instruments) drawInstrument(inst);
  document.getElementById("updated").textContent = "node time " + clock(snap.ts_ns);
  document.body.setAttribute("data-updated", String(snap.ts_ns));
}

function connect() {
  const source = new EventSource("/events");
  source.addEventListener("open", () => tag("stream", "live", "good"));
  source.addEventListener("error", () => tag("stream", "reconnecting…", "bad"));
  source.addEventListener("history", (e) => loadHistory(JSON.parse(e.data)));
  source.addEventListener("snapshot", (e) => draw(JSON.parse(e.data)));
}

setInterval(() => {
  if (lastFrameAt && Date.now() - lastFrameAt > 5000) tag("stream", "no update for " + Math.round((Date.now() - lastFrameAt) / 1000) + " s", "bad");
}, 1000);
connect();
