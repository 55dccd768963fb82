/**
 * How the page shows a tag's health: `statusOf(t)` of a tag of `GET /monitor/state` is `[badge class, badge text,
 * rank, what the header says]`. The rank is the library's verdict and nothing else (0 down, 1 degraded, 2 up), so
 * the page and `/health` cannot disagree; the badge only adds what is under way within "up". Plain script, embedded
 * in the page below, and evaluated by the tests that compare it with `/health`.
 */
export const MONITOR_STATUS_SCRIPT = String.raw`  var THIS_PERIOD = { day: 'today', month: 'this month', year: 'this year' };
  function statusOf(t) {
    var health = t.health;
    if (health.status === 'down') return ['exhausted', 'Exhausted', 0, 'exhausted'];
    if (health.status === 'degraded') return ['degraded', 'Reservations failing', 1, 'reservations failing'];
    if (health.reason === 'not used this period yet') return ['idle', 'Unused ' + THIS_PERIOD[t.period], 2];
    // Failing, but the IDs in memory outlast the runway: not in trouble yet, which /health says too.
    if (health.reason === 'reservations failing, runway held') return ['held', 'Failing, runway held', 2];
    if (t.loading) return ['reserving', 'Reserving', 2];
    return ['healthy', 'Healthy', 2];
  }`;

/**
 * The monitor page: one document (inline CSS and script, no build step, no CDN) that polls `GET /monitor/state`
 * every second. IDs/s is computed here from the `idsIssued` deltas between polls; BigInt arithmetic keeps segment
 * bounds exact in the browser too. Tags in trouble come first, and the header names them: the library's health of
 * each tag (`LeafTagSnapshot.health`, what `/health` answers), down (exhausted) before degraded (reservations
 * failing, runway short). Each card charts its last 5 minutes (IDs/s, IDs in memory, runway) with uPlot, which the demo serves
 * from node_modules (`/monitor/vendor/`); without it the page works, chartless.
 */
export const MONITOR_PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nest-leaf · segment monitor</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/monitor/vendor/uPlot.min.css">
<style>
  :root {
    --bg: #f4f6fb; --card: #ffffff; --ink: #1b2333; --muted: #6b7588; --line: #e3e7ef;
    --accent: #3b5bdb; --ok: #2f9e44; --ok-bg: #e6f6ea; --warn: #e67700; --warn-bg: #fff4e0;
    --bad: #e03131; --bad-bg: #ffe9e9; --info: #1c7ed6; --info-bg: #e7f1fc;
    --mono: ui-monospace, SFMono-Regular, "JetBrains Mono", Menlo, Consolas, monospace;
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
         background: var(--bg); color: var(--ink); }
  header { background: #151b2c; color: #fff; padding: 14px 28px; display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
  header h1 { margin: 0; font-size: 18px; font-weight: 650; letter-spacing: .2px; }
  header h1 span { color: #9fb3ff; font-weight: 500; }
  header .spacer { flex: 1; }
  header .meta { color: #aab3c5; font-size: 12.5px; }
  .pill { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; }
  .pill::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
  .pill.ok { color: #69db7c; background: rgba(105,219,124,.12); }
  .pill.bad { color: #ff8787; background: rgba(255,135,135,.14); }
  .pill.wait { color: #ffd43b; background: rgba(255,212,59,.12); }
  .pill.warn { color: #ffc078; background: rgba(255,192,120,.16); }
  .pill.bad, .pill.warn { max-width: 60vw; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  main { padding: 22px 28px 36px; max-width: 1440px; margin: 0 auto; }
  .summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin-bottom: 20px; }
  .summary div { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; }
  .summary b { display: block; font: 600 20px/1.3 var(--mono); }
  .summary small, .stat small, .label { color: var(--muted); font-size: 12px; font-weight: 600; letter-spacing: .2px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 18px; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 14px; padding: 18px 20px; box-shadow: 0 1px 2px rgba(20,30,60,.04); }
  .card-head { display: flex; align-items: center; gap: 10px; margin-bottom: 14px; }
  .card-head h2 { margin: 0; font: 650 19px/1.2 var(--mono); }
  .badge { font-size: 11.5px; font-weight: 650; padding: 2px 9px; border-radius: 6px; }
  .badge.healthy { color: var(--ok); background: var(--ok-bg); }
  .badge.degraded { color: var(--warn); background: var(--warn-bg); }
  .badge.exhausted { color: var(--bad); background: var(--bad-bg); }
  .badge.reserving { color: var(--info); background: var(--info-bg); }
  .badge.idle { color: var(--muted); background: #f1f3f8; }
  .badge.held { color: var(--warn); background: var(--ok-bg); }
  .period { font: 600 11.5px var(--mono); color: var(--accent); background: #eef1ff; border: 1px solid #d5dcff; padding: 1px 8px; border-radius: 6px; }
  .period[hidden], .row[hidden] { display: none; }
  .row { font-family: var(--mono); }
  .kind { color: var(--muted); font-size: 12px; margin-left: auto; }
  .segment { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; flex-wrap: wrap; }
  .range { font: 600 16px/1.3 var(--mono); }
  .range .arrow { color: var(--muted); font-weight: 400; padding: 0 4px; }
  .position { font: 13px var(--mono); color: var(--muted); }
  .position b { color: var(--ink); }
  .bar { position: relative; height: 14px; background: #edf0f6; border-radius: 7px; margin: 10px 0 4px; overflow: hidden; }
  .bar .fill { position: absolute; inset: 0 auto 0 0; width: 0; border-radius: 7px;
               background: linear-gradient(90deg, #4c6ef5, #748ffc); transition: width .45s ease; }
  .bar .fill.late { background: linear-gradient(90deg, #f08c00, #ffa94d); }
  .bar .fill.empty { background: linear-gradient(90deg, #e03131, #ff6b6b); }
  .bar .mark { position: absolute; top: -2px; bottom: -2px; width: 2px; background: #1b2333; opacity: .35; }
  .bar-legend { display: flex; justify-content: space-between; font-size: 12px; color: var(--muted); }
  .next { margin: 12px 0 14px; padding: 8px 12px; border-radius: 8px; background: #f7f8fb; border: 1px dashed var(--line);
          display: flex; align-items: center; gap: 8px; font-size: 13px; }
  .next .dot { width: 9px; height: 9px; border-radius: 50%; background: #adb5bd; flex: none; }
  .next.ready .dot { background: var(--ok); }
  .next.loading .dot { background: var(--info); animation: pulse 1s infinite; }
  .next .range { font-size: 13px; }
  @keyframes pulse { 50% { opacity: .3; } }
  .stats { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px 14px; }
  .stat b { display: block; font: 600 16px/1.35 var(--mono); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .stat .sub { font-size: 12px; color: var(--muted); font-family: var(--mono); }
  .triggers { margin-top: 12px; display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
  .chip { font: 12px var(--mono); padding: 2px 8px; border-radius: 999px; background: #f1f3f8; border: 1px solid var(--line); }
  .chip b { font-weight: 650; }
  .error { margin-top: 14px; padding: 9px 12px; border-radius: 8px; background: var(--bad-bg); color: #a61e1e; font-size: 12.5px; word-break: break-word; }
  .error[hidden] { display: none; }
  .actions { margin-top: 14px; display: flex; align-items: center; gap: 8px; flex-wrap: wrap; border-top: 1px solid var(--line); padding-top: 12px; }
  .actions button { font: 600 12.5px system-ui, sans-serif; border: 1px solid #c5cdf7; background: #f0f3ff; color: var(--accent);
                    border-radius: 7px; padding: 5px 11px; cursor: pointer; }
  .actions button:hover { background: #e2e8ff; }
  .actions output { font: 12.5px var(--mono); color: var(--muted); margin-left: 4px; }
  .empty-state { padding: 40px; text-align: center; color: var(--muted); background: var(--card); border: 1px dashed var(--line); border-radius: 14px; }
  .chart { margin-top: 14px; border-top: 1px solid var(--line); padding-top: 10px; }
  .chart .plot { min-height: 150px; }
  .chart .uplot { font-family: system-ui, sans-serif; }
  .chart .u-legend { font-size: 11.5px; text-align: left; }
  .chart .u-legend .u-series th, .chart .u-legend .u-series td { padding: 0 6px 0 0; }
  footer { margin-top: 22px; color: var(--muted); font-size: 12.5px; }
  footer a { color: var(--accent); text-decoration: none; margin-right: 14px; }
</style>
</head>
<body>
<header>
  <h1>nest-leaf <span>· segment monitor</span></h1>
  <span id="generator" class="pill wait">connecting</span>
  <span class="spacer"></span>
  <span class="meta" id="updated">waiting for the first snapshot…</span>
</header>
<main>
  <section class="summary">
    <div><small>Biz tags</small><b id="sum-tags">–</b></div>
    <div><small>IDs issued</small><b id="sum-issued">–</b></div>
    <div><small>IDs per second</small><b id="sum-rate">–</b></div>
    <div><small>Reservations</small><b id="sum-reservations">–</b></div>
    <div><small>Reservation errors</small><b id="sum-errors">–</b></div>
  </section>
  <section class="cards" id="cards"></section>
  <footer>
    Polls <code>GET /monitor/state</code> every second ·
    <a href="/docs">API docs</a><a href="/metrics">Prometheus metrics</a><a href="/health/ready">Readiness</a>
  </footer>
</main>
<template id="card-template">
  <article class="card">
    <div class="card-head"><h2 data-field="tag"></h2><span class="period" data-field="period" hidden></span><span class="badge" data-field="status"></span><span class="kind" data-field="kind"></span></div>
    <div class="label">Current segment<span class="row" data-field="row" hidden></span></div>
    <div class="segment">
      <span class="range" data-field="current"></span>
      <span class="position">next ID <b data-field="position"></b></span>
    </div>
    <div class="bar"><div class="fill" data-field="fill"></div><div class="mark" data-field="mark" title="Prefetch point"></div></div>
    <div class="bar-legend"><span data-field="used"></span><span data-field="remaining"></span></div>
    <div class="next" data-field="next-box"><span class="dot"></span><span class="label">Next segment</span><span data-field="next"></span></div>
    <div class="stats">
      <div class="stat"><small>IDs per second</small><b data-field="rate">–</b><span class="sub">over the last 5 s</span></div>
      <div class="stat"><small>IDs issued</small><b data-field="issued"></b><span class="sub" data-field="available"></span></div>
      <div class="stat"><small>Step in use</small><b data-field="step"></b><span class="sub" data-field="base-step"></span></div>
      <div class="stat"><small>Reservations</small><b data-field="reservations"></b><span class="sub" data-field="failed"></span></div>
      <div class="stat"><small>Last reservation</small><b data-field="latency"></b><span class="sub" data-field="reserved-at"></span></div>
      <div class="stat"><small>Waits</small><b data-field="waits"></b><span class="sub" data-field="waiting"></span></div>
      <div class="stat"><small>Runway</small><b data-field="runway"></b><span class="sub" data-field="runway-target"></span></div>
      <div class="stat"><small>Failed calls</small><b data-field="failed-calls"></b><span class="sub">errors instead of IDs</span></div>
    </div>
    <div class="triggers"><span class="label">By trigger</span>
      <span class="chip">startup <b data-field="by-startup"></b></span>
      <span class="chip">prefetch <b data-field="by-prefetch"></b></span>
      <span class="chip">on-demand <b data-field="by-on-demand"></b></span>
    </div>
    <div class="chart"><span class="label">Last 5 minutes</span><div class="plot" data-field="plot"></div></div>
    <div class="error" data-field="error" hidden></div>
    <div class="actions">
      <span class="label">Take IDs</span>
      <button type="button" data-take="1">1</button>
      <button type="button" data-take="100">100</button>
      <button type="button" data-take="1000">1,000</button>
      <output data-field="taken"></output>
    </div>
  </article>
</template>
<script src="/monitor/vendor/uPlot.iife.min.js"></script>
<script>
(function () {
  'use strict';
  var POLL_MS = 1000;
  var WINDOW_MS = 5000;
  var HISTORY_S = 300;
  var cards = {};
  var samples = {};
  var charts = {};
  var timer = null;

  function fmt(value) {
    if (value === null || value === undefined) return '–';
    try { return BigInt(value).toLocaleString('en-US'); } catch (e) { return String(value); }
  }
  function num(value, digits) {
    return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits || 0 });
  }
  function ago(iso, now) {
    if (!iso) return 'never';
    var s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    return Math.floor(s / 3600) + ' h ago';
  }
  function range(segment) {
    if (!segment) return '–';
    return '[' + fmt(segment.start) + '<span class="arrow">→</span>' + fmt(segment.end) + ')';
  }
  function field(card, name) { return card.querySelector('[data-field="' + name + '"]'); }
  function text(card, name, value) { field(card, name).textContent = value; }

  // A period tag serves one leaf_alloc row per period; in a new period its first call reserves.
  var PERIOD_NAMES = { day: 'daily', month: 'monthly', year: 'yearly' };

${MONITOR_STATUS_SCRIPT}
  function seconds(ms) {
    if (ms === null) return '–';
    var s = ms / 1000;
    if (s < 120) return num(s, s < 10 ? 1 : 0) + ' s';
    if (s < 7200) return num(s / 60, 1) + ' min';
    return num(s / 3600, 1) + ' h';
  }

  // The chart of one card: the last HISTORY_S seconds of IDs/s, IDs in memory and runway, one scale each.
  function chartOf(tag, card) {
    if (charts[tag] || typeof uPlot === 'undefined') return charts[tag];
    var box = field(card, 'plot');
    var value = function (digits) { return function (u, v) { return v === null || v === undefined ? '–' : num(v, digits); }; };
    var axis = { stroke: '#6b7588', grid: { stroke: '#eef0f5' }, ticks: { stroke: '#e3e7ef' }, size: 46, font: '11px system-ui, sans-serif' };
    var data = [[], [], [], [], []];
    var chart = new uPlot({
      width: Math.max(box.clientWidth, 240),
      height: 150,
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        rate: { range: function (u, min, max) { return [0, Math.max(1, max || 0) * 1.1]; } },
        ids: { range: function (u, min, max) { return [0, Math.max(1, max || 0) * 1.1]; } },
        s: { range: function (u, min, max) { return [0, Math.max(1, max || 0) * 1.1]; } },
      },
      series: [
        { label: 'at' },
        { label: 'IDs/s', scale: 'rate', stroke: '#3b5bdb', width: 2, value: value(1) },
        { label: 'IDs in memory', scale: 'ids', stroke: '#2f9e44', fill: 'rgba(47,158,68,.08)', width: 1.5, value: value(0) },
        { label: 'runway s', scale: 's', stroke: '#e67700', width: 1.5, value: value(0) },
        { label: 'target s', scale: 's', stroke: '#e67700', width: 1, dash: [4, 4], value: value(0) },
      ],
      axes: [
        Object.assign({}, axis, { size: 28 }),
        Object.assign({}, axis, { scale: 'rate', label: 'IDs/s', labelSize: 14, labelFont: '11px system-ui, sans-serif' }),
        Object.assign({}, axis, { scale: 's', side: 1, grid: { show: false }, label: 'runway s', labelSize: 14, labelFont: '11px system-ui, sans-serif' }),
      ],
    }, data, box);
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(function () { chart.setSize({ width: Math.max(box.clientWidth, 240), height: 150 }); }).observe(box);
    }
    charts[tag] = { chart: chart, data: data, last: null };
    return charts[tag];
  }

  function plot(t, at, card) {
    var c = chartOf(t.tag, card);
    if (!c) return;
    var now = at / 1000;
    var d = c.data;
    var rate = c.last && now > c.last.at ? Math.max(0, (t.idsIssued - c.last.issued) / (now - c.last.at)) : null;
    c.last = { at: now, issued: t.idsIssued };
    d[0].push(now);
    d[1].push(rate);
    d[2].push(Number(t.available));
    d[3].push(t.runwayMs === null ? null : t.runwayMs / 1000);
    d[4].push(t.runwayTargetMs > 0 ? t.runwayTargetMs / 1000 : null);
    while (d[0].length > 1 && d[0][0] < now - HISTORY_S) d.forEach(function (column) { column.shift(); });
    c.chart.setData(d);
    // The legend shows the newest values unless the pointer is on the chart.
    if (c.chart.cursor.left === undefined || c.chart.cursor.left < 0) c.chart.setLegend({ idx: d[0].length - 1 });
  }

  function rateOf(tag, at, issued) {
    var list = samples[tag] || (samples[tag] = []);
    list.push({ at: at, issued: issued });
    while (list.length > 2 && at - list[0].at > WINDOW_MS) list.shift();
    if (list.length < 2) return null;
    var first = list[0];
    var seconds = (at - first.at) / 1000;
    return seconds > 0 ? (issued - first.issued) / seconds : null;
  }

  function cardFor(tag) {
    if (cards[tag]) return cards[tag];
    var card = document.getElementById('card-template').content.firstElementChild.cloneNode(true);
    card.dataset.tag = tag;
    text(card, 'tag', tag);
    card.querySelectorAll('[data-take]').forEach(function (button) {
      button.addEventListener('click', function () { take(card, tag, Number(button.dataset.take)); });
    });
    document.getElementById('cards').appendChild(card);
    cards[tag] = card;
    return card;
  }

  function take(card, tag, count) {
    var out = field(card, 'taken');
    out.textContent = 'taking ' + count + '…';
    var url = '/ids/' + encodeURIComponent(tag) + (count > 1 ? '?count=' + count : '');
    fetch(url, { cache: 'no-store' })
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (result) {
        if (!result.ok) { out.textContent = 'error: ' + result.body.message; return; }
        var ids = result.body.ids || [result.body.id];
        out.textContent = ids.length === 1 ? 'got ' + fmt(ids[0]) : 'got ' + fmt(ids[0]) + ' … ' + fmt(ids[ids.length - 1]);
        poll();
      })
      .catch(function (error) { out.textContent = 'error: ' + error.message; });
  }

  function renderTag(t, at, threshold, timeZone) {
    var card = cardFor(t.tag);
    var period = field(card, 'period');
    var row = field(card, 'row');
    period.hidden = row.hidden = t.period === 'none';
    period.textContent = t.period === 'none' ? '' : PERIOD_NAMES[t.period] + ' · ' + timeZone;
    period.title = t.period === 'none' ? '' : 'The sequence restarts every ' + t.period + ' (' + timeZone + '), one leaf_alloc row per ' + t.period;
    row.textContent = t.period === 'none' ? '' : ' · row ' + t.row;
    var status = statusOf(t);
    var badge = field(card, 'status');
    badge.className = 'badge ' + status[0];
    badge.textContent = status[1];
    badge.title = t.health.status + ': ' + t.health.reason;
    card.dataset.rank = status[2];
    text(card, 'kind', t.configured ? 'configured' : 'found in leaf_alloc');
    field(card, 'current').innerHTML = range(t.current);
    text(card, 'position', t.nextPosition === null ? '–' : fmt(t.nextPosition));

    var fill = field(card, 'fill');
    var used = 0;
    if (t.current) {
      var size = BigInt(t.current.end) - BigInt(t.current.start);
      var taken = BigInt(t.nextPosition) - BigInt(t.current.start);
      used = size > 0n ? Number((taken * 10000n) / size) / 100 : 100;
    }
    fill.style.width = used + '%';
    fill.className = 'fill' + (BigInt(t.remaining) === 0n ? ' empty' : used >= (1 - threshold) * 100 ? ' late' : '');
    field(card, 'mark').style.left = ((1 - threshold) * 100) + '%';
    text(card, 'used', num(used, 1) + '% used');
    text(card, 'remaining', fmt(t.remaining) + ' left in segment');

    var box = field(card, 'next-box');
    box.className = 'next' + (t.nextReady ? ' ready' : t.loading ? ' loading' : '');
    field(card, 'next').innerHTML = t.nextReady ? 'ready <span class="range">' + range(t.next) + '</span>'
      : t.loading ? 'reserving…' : 'not reserved yet (reserved at the prefetch point)';

    var rate = rateOf(t.tag, at, t.idsIssued);
    text(card, 'rate', rate === null ? '–' : num(rate, rate < 10 ? 1 : 0));
    text(card, 'issued', num(t.idsIssued));
    text(card, 'available', fmt(t.available) + ' in memory');
    text(card, 'step', num(t.step));
    text(card, 'base-step', 'base ' + num(t.baseStep) + (t.step > t.baseStep ? ' · grown' : ''));
    text(card, 'reservations', num(t.reservations));
    text(card, 'failed', t.errors === 1 ? '1 failed' : num(t.errors) + ' failed');
    text(card, 'by-startup', num(t.reservationsByTrigger.startup));
    text(card, 'by-prefetch', num(t.reservationsByTrigger.prefetch));
    text(card, 'by-on-demand', num(t.reservationsByTrigger['on-demand']));
    text(card, 'latency', t.lastReservationLatencyMs === null ? '–' : num(t.lastReservationLatencyMs, 2) + ' ms');
    text(card, 'reserved-at', ago(t.lastReservationAt, at));
    text(card, 'waits', num(t.waits));
    text(card, 'waiting', t.waiting + ' waiting now');
    text(card, 'runway', seconds(t.runwayMs));
    text(card, 'runway-target', t.runwayTargetMs > 0 ? 'target ' + seconds(t.runwayTargetMs) : 'no target');
    text(card, 'failed-calls', num(t.failedCalls));
    plot(t, at, card);

    var error = field(card, 'error');
    if (t.lastError) {
      error.hidden = false;
      error.textContent = (t.lastReservationOk ? 'Last error (recovered) ' : 'Failing (' + t.consecutiveFailures + ' in a row) ') +
        ago(t.lastError.at, at) + ', ' + t.errors + ' in total: ' + t.lastError.message;
    } else {
      error.hidden = true;
    }
    return { rate: rate, status: status };
  }

  // What the header says: the tags in trouble, worst first; green only when there is none.
  function renderGenerator(state, troubles) {
    var pill = document.getElementById('generator');
    var text = !state.running ? 'generator stopped'
      : troubles.length === 0 ? 'generator running'
      : troubles.map(function (trouble) { return trouble.tag + ': ' + trouble.status[3]; }).join(' · ');
    var worst = troubles.length === 0 ? 2 : troubles[0].status[2];
    pill.className = 'pill ' + (!state.running || worst === 0 ? 'bad' : worst === 1 ? 'warn' : 'ok');
    pill.textContent = text;
    pill.title = text;
  }

  // Cards in trouble first (exhausted, then reservations failing), then by name; moved only when the order changes.
  function orderCards(tags, container) {
    var order = tags.slice().sort(function (a, b) {
      return cards[a].dataset.rank - cards[b].dataset.rank || (a < b ? -1 : a > b ? 1 : 0);
    });
    var shown = Array.prototype.map.call(container.querySelectorAll('.card'), function (card) { return card.dataset.tag; });
    if (JSON.stringify(shown) === JSON.stringify(order)) return;
    order.forEach(function (tag) { container.appendChild(cards[tag]); });
  }

  function render(state) {
    document.getElementById('updated').textContent = 'updated ' + new Date(state.at).toLocaleTimeString();

    var seen = {};
    var troubles = [];
    var totalRate = 0, anyRate = false, issued = 0, reservations = 0, errors = 0;
    state.tags.forEach(function (t) {
      seen[t.tag] = true;
      var shown = renderTag(t, state.at, state.threshold, state.timeZone);
      if (shown.rate !== null) { totalRate += shown.rate; anyRate = true; }
      if (shown.status[2] < 2) troubles.push({ tag: t.tag, status: shown.status });
      issued += t.idsIssued; reservations += t.reservations; errors += t.errors;
    });
    troubles.sort(function (a, b) { return a.status[2] - b.status[2] || (a.tag < b.tag ? -1 : 1); });
    renderGenerator(state, troubles);
    Object.keys(cards).forEach(function (tag) {
      if (!seen[tag]) {
        cards[tag].remove();
        if (charts[tag]) charts[tag].chart.destroy();
        delete cards[tag]; delete samples[tag]; delete charts[tag];
      }
    });
    var container = document.getElementById('cards');
    orderCards(Object.keys(seen), container);
    var empty = container.querySelector('.empty-state');
    if (state.tags.length === 0 && !empty) {
      empty = document.createElement('div');
      empty.className = 'empty-state';
      empty.textContent = 'No biz tag is being served: the generator is starting or shutting down.';
      container.appendChild(empty);
    } else if (state.tags.length > 0 && empty) {
      empty.remove();
    }
    document.getElementById('sum-tags').textContent = state.tags.length;
    document.getElementById('sum-issued').textContent = num(issued);
    document.getElementById('sum-rate').textContent = anyRate ? num(totalRate, totalRate < 10 ? 1 : 0) : '–';
    document.getElementById('sum-reservations').textContent = num(reservations);
    document.getElementById('sum-errors').textContent = num(errors);
  }

  function poll() {
    clearTimeout(timer);
    fetch('/monitor/state', { cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(render)
      .catch(function (error) {
        var pill = document.getElementById('generator');
        pill.className = 'pill bad';
        pill.textContent = 'disconnected';
        document.getElementById('updated').textContent = 'last poll failed: ' + error.message;
      })
      .finally(function () { timer = setTimeout(poll, POLL_MS); });
  }

  poll();
})();
</script>
</body>
</html>
`;
