// The dashboard: reads the JSON endpoints, draws the fan chart and the target cards as SVG. No libraries, no build.
// Every GET is conditional (If-None-Match with the ETag last seen), so a poll of an unchanged page costs 304s only.
"use strict";

const POLL_MS = 10000;
const MONTHS_IN = { month: 1, quarter: 3, year: 12 };
const state = { series: [], targets: [], selected: null, freq: "month", asOf: "", drawn: "" };
const etags = new Map(); // url -> {etag, body}
const $ = (sel) => document.querySelector(sel);
const fmt = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });
const pct = (x) => (x == null ? "–" : `${(100 * x).toFixed(1)}%`);
const num = (x) => (x == null ? "–" : fmt.format(x));
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

class HttpError extends Error {
  constructor(status, body) { super((body && body.message) || `HTTP ${status}`); this.status = status; this.body = body; }
}

// GET with If-None-Match; returns {body, changed}. A 304 answers from the body kept with that ETag.
async function get(url) {
  const kept = etags.get(url);
  const headers = { Accept: "application/json" };
  if (kept) headers["If-None-Match"] = kept.etag;
  const response = await fetch(url, { headers, cache: "no-store" });
  if (response.status === 304 && kept) return { body: kept.body, changed: false };
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, body);
  const etag = response.headers.get("ETag");
  if (etag) etags.set(url, { etag, body });
  return { body, changed: true };
}

function setStatus(text, error = false) {
  const el = $("#status");
  el.textContent = text;
  el.classList.toggle("error", error);
}

// ---- series list ---------------------------------------------------------------------------------
function renderSeries() {
  const rows = state.series.map((s) => {
    const last = s.last_observation;
    const cls = s.id === state.selected ? "selected" : "";
    return `<tr data-series-id="${esc(s.id)}" class="${cls}" title="${esc(s.description || s.id)}">
      <td>${esc(s.entity)}</td><td>${esc(s.measure)}${s.segment ? ` (${esc(s.segment)})` : ""}</td><td>${esc(s.basis)}</td>
      <td>${esc(s.unit)}</td><td class="num">${last ? num(last.value) : "–"}</td>
      <td>${last ? `${esc(last.period_end)} <small>${esc(last.aggregation)}</small>` : ""}${s.forecast_available ? "" : ' <small title="' + esc(s.forecast_unavailable_reason) + '">no forecast</small>'}</td></tr>`;
  });
  $("#series-table tbody").innerHTML = rows.join("");
}

// ---- the fan chart -------------------------------------------------------------------------------
function monthsSpanned(start, end) {
  const [a, b] = [new Date(start), new Date(end)];
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth() + 1;
}

// as forecast/charts.py figure_shape: a point when the figure spans the view's period, a segment at its
// per-period average when it spans more (a year total in the month view), nothing when it spans less
function figureShape(obs, freq) {
  const months = monthsSpanned(obs.period_start, obs.period_end);
  const per = MONTHS_IN[freq];
  if (months < per) return null;
  if (months === per && ["month", "quarter", "year"].includes(obs.aggregation)) return { kind: "point", periods: 1 };
  return { kind: "segment", periods: months / per };
}

function chartData(forecast, observations) {
  const reported = [];
  for (const o of observations.observations) {
    if (!["level", "share"].includes(o.kind) || o.unit !== forecast.unit || o.value == null) continue;
    const shape = figureShape(o, forecast.freq);
    if (shape) reported.push({ ...o, shape: shape.kind, y: o.value / shape.periods });
  }
  return { reported, points: forecast.points };
}

function drawChart(forecast, observations) {
  const { reported, points } = chartData(forecast, observations);
  const W = 820, H = 380, L = 70, R = 16, T = 14, B = 54;
  const t = (d) => new Date(d).getTime();
  const lastEnd = points.length ? t(points[points.length - 1].period_end) : Date.now();
  const span = { month: 4, quarter: 6, year: 40 }[forecast.freq] * 365.25 * 864e5;
  const firstShown = Math.max(Math.min(...reported.map((o) => t(o.period_start)), lastEnd), lastEnd - span - (points.length ? lastEnd - t(points[0].period_start) : 0));
  const shown = reported.filter((o) => t(o.period_end) >= firstShown);
  const highs = [...shown.map((o) => o.y), ...points.flatMap((p) => p.intervals.map((i) => i.upper)), ...points.map((p) => p.median)];
  const yMax = Math.max(...highs, 1) * 1.05;
  const x = (d) => L + ((t(d) - firstShown) / Math.max(lastEnd - firstShown, 1)) * (W - L - R);
  const y = (v) => T + (1 - v / yMax) * (H - T - B);
  const parts = [];
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}"/><text x="${L - 6}" y="${y(v) + 3}" text-anchor="end">${num(v)}</text>`);
  }
  const y0 = new Date(firstShown).getUTCFullYear(), y1 = new Date(lastEnd).getUTCFullYear();
  const step = Math.max(1, Math.ceil((y1 - y0 + 1) / 12));
  for (let yr = y0 + 1; yr <= y1; yr += step) {
    const xx = x(`${yr}-01-01`);
    parts.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${T}" y2="${H - B}"/><text x="${xx}" y="${H - B + 14}" text-anchor="middle">${yr}</text>`);
  }
  const levels = points.length ? points[0].intervals.map((i) => i.level).sort((a, b) => b - a) : [];
  for (const level of levels) {
    const band = points.map((p) => p.intervals.find((i) => i.level === level));
    const upper = points.map((p, k) => `${x(p.period_end)},${y(band[k].upper)}`);
    const lower = points.map((p, k) => `${x(p.period_end)},${y(band[k].lower)}`).reverse();
    const data = JSON.stringify(points.map((p, k) => [p.period_end, band[k].lower, band[k].upper]));
    parts.push(`<polygon class="band band-${level}" data-level="${level}" data-points='${esc(data)}' points="${[...upper, ...lower].join(" ")}"><title>${level}% interval</title></polygon>`);
  }
  if (points.length) {
    const data = JSON.stringify(points.map((p) => [p.period_end, p.median]));
    parts.push(`<polyline class="median" data-points='${esc(data)}' points="${points.map((p) => `${x(p.period_end)},${y(p.median)}`).join(" ")}"><title>median forecast</title></polyline>`);
  }
  shown.forEach((o, k) => {
    const cls = `reported ${o.aggregation}${o.derived ? " derived" : ""}`;
    const attrs = `data-index="${k}" data-aggregation="${esc(o.aggregation)}" data-period-end="${esc(o.period_end)}" data-value="${o.value}" tabindex="0"`;
    if (o.shape === "point") {
      const r = o.aggregation === "month" ? 3 : 4.5;
      const shapeSvg = o.aggregation === "month" ? `<circle class="${cls}" ${attrs} cx="${x(o.period_end)}" cy="${y(o.y)}" r="${r}"/>`
        : `<rect class="${cls}" ${attrs} x="${x(o.period_end) - r}" y="${y(o.y) - r}" width="${2 * r}" height="${2 * r}"${o.aggregation === "year" ? ` transform="rotate(45 ${x(o.period_end)} ${y(o.y)})"` : ""}/>`;
      parts.push(shapeSvg);
    } else {
      parts.push(`<line class="${cls} total" ${attrs} x1="${x(o.period_start)}" x2="${x(o.period_end)}" y1="${y(o.y)}" y2="${y(o.y)}"/>`);
    }
    if (o.disputed) parts.push(`<circle class="disputed" cx="${x(o.period_end)}" cy="${y(o.y)}" r="8"/>`);
  });
  parts.push(`<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`);
  parts.push(legend(forecast.freq, H - 22, levels));
  $("#chart").innerHTML = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="fan chart of ${esc(forecast.series_id)}">${parts.join("")}</svg>`;
  $("#chart").dataset.reported = String(shown.length);
  $("#chart svg").addEventListener("mouseover", (e) => showSource(e, shown));
  $("#chart svg").addEventListener("click", (e) => showSource(e, shown, true));
  $("#chart svg").addEventListener("mouseout", (e) => { if (e.target.classList.contains("reported") && !$("#tooltip").dataset.pinned) $("#tooltip").hidden = true; });
}

function legend(freq, yy, levels) {
  const unit = { month: "month", quarter: "quarter", year: "year" }[freq];
  const items = [
    `<circle class="reported" cx="80" cy="${yy}" r="3"/><text x="88" y="${yy + 3}">reported ${unit}</text>`,
    `<line class="reported total" x1="190" x2="215" y1="${yy}" y2="${yy}"/><text x="220" y="${yy + 3}">total over a longer span, per ${unit}</text>`,
    `<circle class="disputed" cx="440" cy="${yy}" r="6"/><text x="450" y="${yy + 3}">disputed</text>`,
    `<line class="median" x1="540" x2="565" y1="${yy}" y2="${yy}"/><text x="570" y="${yy + 3}">median</text>`,
    ...levels.map((l, k) => `<rect class="band-${l}" x="${625 + k * 60}" y="${yy - 5}" width="14" height="10"/><text x="${643 + k * 60}" y="${yy + 3}">${l}%</text>`),
  ];
  return `<g class="legend">${items.join("")}</g>`;
}

function showSource(event, shown, pin = false) {
  const el = event.target;
  if (!el.classList || !el.classList.contains("reported") || el.dataset.index == null) return;
  const o = shown[Number(el.dataset.index)];
  const s = o.source || {};
  const where = s.url ? `<a href="${esc(s.url)}" target="_blank" rel="noopener">${esc(s.url)}</a>` : `seed file ${esc(s.seed_file || "–")}`;
  const tip = $("#tooltip");
  tip.innerHTML = `<b>${num(o.value)} ${esc(o.unit)}</b> · ${esc(o.aggregation)} ${esc(o.period_start)} – ${esc(o.period_end)}
    ${o.disputed ? ' · <span class="error">disputed</span>' : ""}${o.derived ? " · derived from a growth rate" : ""}<br>
    <span class="source">${esc(s.publisher)}</span>, ${where}<br>published ${esc(s.published_date || "–")}${s.published_date_estimated ? " (estimated)" : ""}
    ${o.conflicts && o.conflicts.length ? `<br>conflict: ${esc(o.conflicts.map((c) => c.resolution || c.check).join("; "))}` : ""}`;
  tip.hidden = false;
  tip.dataset.pinned = pin ? "1" : "";
  tip.style.left = `${Math.min(event.clientX + 12, window.innerWidth - 380)}px`;
  tip.style.top = `${event.clientY + 12}px`;
}

async function loadChart() {
  const id = state.selected;
  if (!id) return false;
  const asOf = state.asOf ? `&as_of=${state.asOf}` : "";
  const fcUrl = `/v1/series/${encodeURIComponent(id)}/forecast?freq=${state.freq}&levels=80,95${asOf}`;
  const obsUrl = `/v1/series/${encodeURIComponent(id)}/observations${state.asOf ? `?as_of=${state.asOf}` : ""}`;
  const key = `${fcUrl}|${obsUrl}`;
  try {
    const [fc, obs] = await Promise.all([get(fcUrl), get(obsUrl)]);
    if (!fc.changed && !obs.changed && state.drawn === key) return false;
    drawChart(fc.body, obs.body);
    state.drawn = key;
    const series = state.series.find((s) => s.id === id) || {};
    $("#chart-title").textContent = `${series.entity || id}: ${series.measure || ""} (${series.basis || ""}, ${fc.body.unit})`;
    $("#chart-note").textContent = `Forecast from ${fc.body.points.length ? fc.body.points[0].period_start : "–"}; figures known ${fc.body.data_as_of || "today"}. Hover or click a reported figure for its source.`;
    $("#model-note").textContent = `model: ${fc.body.model.name}, fitted ${fc.body.model.fitted_at}`;
    return true;
  } catch (error) {
    $("#chart").innerHTML = `<p class="error">${esc(error.message)}</p>`;
    $("#chart").dataset.reported = "0";
    state.drawn = "";
    return true;
  }
}

// ---- target cards --------------------------------------------------------------------------------
// As of a day, a card shows the latest entry of its history made by then (the assessment recomputed on the
// figures known that day); without a day, today's assessment.
function asStood(target) {
  if (!state.asOf) return { ...target, note: "" };
  const past = (target.history || []).filter((h) => h.as_of <= state.asOf);
  if (!past.length) return { ...target, probability: null, status: "not yet assessed", note: `no assessment by ${state.asOf}`, latest_actual: null };
  const h = past[past.length - 1];
  return { ...target, probability: h.probability, status: h.status, latest_actual: h.latest_actual, note: `as of ${h.as_of}`, projection: { median: h.projection_median } };
}

function sparkline(history, probability) {
  const values = [...(history || []).map((h) => h.probability), probability].filter((p) => p != null);
  if (!values.length) return "";
  const x = (k) => (values.length === 1 ? 50 : 2 + (k / (values.length - 1)) * 96);
  const y = (p) => 40 - p * 36;
  const pts = values.map((p, k) => `${x(k)},${y(p)}`).join(" ");
  return `<svg class="spark" viewBox="0 0 100 44" preserveAspectRatio="none" data-points='${esc(JSON.stringify(values))}'>
    <line x1="0" x2="100" y1="${y(0.7)}" y2="${y(0.7)}"/><line x1="0" x2="100" y1="${y(0.3)}" y2="${y(0.3)}"/>
    <polyline points="${pts}"/><circle cx="${x(values.length - 1)}" cy="${y(values[values.length - 1])}" r="2"/><title>probability over time</title></svg>`;
}

function card(target) {
  const shown = asStood(target);
  const base = String(shown.status).replace(/^superseded \((.*)\)$/, "$1");
  const superseded = String(shown.status).startsWith("superseded");
  const latest = shown.latest_actual;
  const source = target.source || {};
  const revisions = (target.revisions || []).map((r) => `${esc(r.relation.replace("_", " "))} <code>${esc(r.id)}</code>${r.threshold != null ? ` (${num(r.threshold)} by ${esc(r.deadline_year)})` : ""}`);
  return `<article class="target-card${superseded ? " superseded" : ""}" data-target-id="${esc(target.id)}">
    <h3>${esc(target.description)}</h3>
    <span class="badge status ${esc(base)}">${esc(shown.status)}</span> <span class="asof-note">${esc(shown.note)}</span>
    <dl>
      <dt>probability</dt><dd class="probability">${pct(shown.probability)}</dd>
      <dt>threshold</dt><dd>${esc(target.comparator)} ${num(target.threshold)} ${esc(target.unit)} by ${esc(target.deadline_year)}</dd>
      <dt>growth</dt><dd>required ${pct(target.required_cagr)} / projected ${pct(target.projected_cagr)} a year</dd>
      <dt>latest actual</dt><dd class="latest">${latest ? `${num(latest.value)} (${esc(latest.year)}, ${esc(latest.origin)})` : "–"} <span class="latest-source"></span></dd>
      <dt>attains</dt><dd>${esc(target.attainment_year ?? "–")}</dd>
    </dl>
    ${sparkline(state.asOf ? (target.history || []).filter((h) => h.as_of <= state.asOf) : target.history, state.asOf ? null : target.probability)}
    ${revisions.length ? `<p class="revisions">${revisions.join("; ")}</p>` : ""}
    <details><summary>details</summary>
      <p>stated ${esc(target.stated_on)} by ${source.url ? `<a href="${esc(source.url)}" target="_blank" rel="noopener">${esc(source.publisher)}</a>` : esc(source.publisher || source.seed_file || "–")}; series <code>${esc(target.series_id || "none")}</code></p>
      <ul>${(target.assumptions || []).map((a) => `<li>${esc(a)}</li>`).join("")}</ul>
    </details>
  </article>`;
}

function renderTargets() {
  $("#targets").innerHTML = state.targets.map(card).join("");
  for (const el of document.querySelectorAll(".target-card details")) el.addEventListener("toggle", () => latestSource(el.closest(".target-card")), { once: true });
}

// the source of a card's latest actual: the reported figure of that year in its series' observations
async function latestSource(cardEl) {
  const target = state.targets.find((t) => t.id === cardEl.dataset.targetId);
  const latest = target && asStood(target).latest_actual;
  if (!latest || !target.series_id) return;
  try {
    const { body } = await get(`/v1/series/${encodeURIComponent(target.series_id)}/observations`);
    const year = body.observations.filter((o) => o.period_end.startsWith(String(latest.year)) && o.kind === "level").pop();
    if (year) cardEl.querySelector(".latest-source").innerHTML = `· ${esc(year.source.publisher)}, ${esc(year.source.published_date || year.source.seed_file || "")}`;
  } catch (_) { /* the card stays without it */ }
}

// ---- loading and polling -------------------------------------------------------------------------
async function refresh() {
  try {
    const [series, targets] = await Promise.all([get("/v1/series"), get("/v1/targets")]);
    if (series.changed) { state.series = series.body; renderSeries(); }
    if (!state.selected && state.series.length) selectSeries((state.series.find((s) => s.forecast_available) || state.series[0]).id, false);
    const chartChanged = await loadChart();
    if (targets.changed || chartChanged) { state.targets = targets.body; renderTargets(); }
    setStatus(`${state.series.length} series, ${state.targets.length} targets · checked ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    if (error.status === 503) setStatus("fitting models: the first start takes about two minutes…");
    else setStatus(error.status === 401 ? "reads need a key (FORECAST_READ_KEY)" : `error: ${error.message}`, true);
  }
}

function selectSeries(id, load = true) {
  state.selected = id;
  state.drawn = "";
  renderSeries();
  if (load) loadChart();
}

function wire() {
  $("#series-table tbody").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-series-id]");
    if (row) selectSeries(row.dataset.seriesId);
  });
  for (const button of document.querySelectorAll(".freq button")) {
    button.addEventListener("click", () => {
      state.freq = button.dataset.freq;
      document.querySelectorAll(".freq button").forEach((b) => b.classList.toggle("on", b === button));
      loadChart();
    });
  }
  $("#as-of").addEventListener("change", (e) => { state.asOf = e.target.value; loadChart(); renderTargets(); });
  $("#as-of-clear").addEventListener("click", () => { $("#as-of").value = ""; state.asOf = ""; loadChart(); renderTargets(); });
  document.addEventListener("click", (e) => { if (!e.target.closest("#chart svg") && !e.target.closest("#tooltip")) { $("#tooltip").hidden = true; $("#tooltip").dataset.pinned = ""; } });
}

wire();
refresh();
setInterval(refresh, POLL_MS);
