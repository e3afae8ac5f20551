// The review page: POST /v1/extract with the pasted article, the proposals highlighted in the text and listed
// as editable rows; the accepted rows go to POST /v1/observations. No libraries, no build.
"use strict";

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const FIELDS = ["series_id", "period_start", "period_end", "aggregation", "kind", "value", "unit", "qualifier", "yoy_pct", "mom_pct"];
const CHOICES = {
  aggregation: ["month", "ytd", "quarter", "half", "year", "window"],
  kind: ["level", "yoy_pct", "mom_pct", "share"],
  qualifier: ["exact", "approx", "lower_bound", "upper_bound"],
};
const state = { text: "", proposals: [], decisions: [], series: [] };

function setStatus(text, error = false) {
  $("#status").textContent = text;
  $("#status").classList.toggle("error", error);
}

function headers() {
  const key = $("#key").value.trim();
  sessionStorage.setItem("forecast-key", key);
  const found = { "Content-Type": "application/json", Accept: "application/json" };
  if (key) found.Authorization = `Bearer ${key}`;
  return found;
}

async function call(method, url, body) {
  const response = await fetch(url, { method, headers: headers(), body: body ? JSON.stringify(body) : undefined });
  const parsed = await response.json().catch(() => null);
  if (!response.ok) {
    const where = parsed && parsed.field ? ` (field ${parsed.field})` : "";
    throw new Error(`${response.status} ${(parsed && parsed.message) || response.statusText}${where}`);
  }
  return parsed;
}

// which fields were guessed: "period" covers both ends of the period
function guessed(proposal, field) {
  const names = field.startsWith("period") ? ["period", field] : [field];
  return proposal.uncertain.filter((g) => names.includes(g.field)).map((g) => g.why);
}

function cell(proposal, index, field) {
  const value = proposal.row[field] ?? "";
  const why = guessed(proposal, field);
  const cls = why.length ? ' class="guessed"' : "";
  const title = why.length ? ` title="${esc(why.join("; "))}"` : "";
  const name = `data-i="${index}" data-field="${field}"`;
  if (CHOICES[field]) {
    const options = CHOICES[field].map((c) => `<option${c === value ? " selected" : ""}>${c}</option>`).join("");
    return `<td${cls}${title}><select ${name}>${options}</select></td>`;
  }
  if (field === "series_id") {
    const ids = state.series.map((s) => s.id);
    if (value && !ids.includes(value)) ids.unshift(value);
    const options = ['<option value="">choose…</option>', ...ids.map((id) => `<option${id === value ? " selected" : ""}>${esc(id)}</option>`)];
    return `<td${cls}${title}><select ${name}>${options.join("")}</select></td>`;
  }
  return `<td${cls}${title}><input ${name} value="${esc(value)}"></td>`;
}

function renderProposals() {
  const rows = state.proposals.map((p, i) => {
    const decision = state.decisions[i];
    const choose = ["accept", "reject"].map((d) => `<label><input type="radio" name="d${i}" value="${d}"${decision === d ? " checked" : ""} data-decide="${i}"> ${d}</label>`).join(" ");
    const cells = FIELDS.map((f) => (f === "period_end" ? "" : f === "period_start" ? periodCell(p, i) : cell(p, i, f))).join("");
    return `<tr data-i="${i}" class="${decision === "reject" ? "rejected" : ""}"><td>${i + 1}</td><td>${choose}</td>${cells}
      <td class="review review-${esc(p.review.status)}" title="${esc(p.review.detail)}">${esc(p.review.status)}: ${esc(p.review.detail)}</td></tr>`;
  });
  $("#proposals tbody").innerHTML = rows.join("") || '<tr><td colspan="12" class="note">no figures found</td></tr>';
  $("#send").disabled = !state.decisions.includes("accept");
}

function periodCell(p, i) {
  const start = cell(p, i, "period_start").replace(/^<td[^>]*>|<\/td>$/g, "");
  const end = cell(p, i, "period_end").replace(/^<td[^>]*>|<\/td>$/g, "");
  const why = guessed(p, "period_start");
  return `<td${why.length ? ` class="guessed" title="${esc(why.join("; "))}"` : ""}>${start}${end}</td>`;
}

// the article with one <mark> per proposal (overlapping spans: the first one wins)
function renderMarked() {
  const order = state.proposals.map((p, i) => [p.span.start, p.span.end, i]).sort((a, b) => a[0] - b[0]);
  let html = "", at = 0;
  for (const [start, end, i] of order) {
    if (start < at) continue;
    const cls = state.decisions[i] === "accept" ? "accepted" : state.decisions[i] === "reject" ? "rejected" : "";
    html += esc(state.text.slice(at, start)) + `<mark data-i="${i}" class="${cls}" title="#${i + 1}: ${esc(state.proposals[i].review.detail)}">${esc(state.text.slice(start, end))}</mark>`;
    at = end;
  }
  $("#marked").innerHTML = html + esc(state.text.slice(at));
}

function renderTargets(targets) {
  if (!targets.length) { $("#targets").innerHTML = '<p class="note">none</p>'; return; }
  const cols = Object.keys(targets[0].row);
  const lines = [cols.join(","), ...targets.map((t) => cols.map((c) => JSON.stringify(t.row[c] ?? "")).join(","))];
  $("#targets").innerHTML = targets.map((t) => `<p>${esc(t.entity)}: ${esc(t.metric)} ${esc(t.comparator)} ${esc(t.threshold)} ${esc(t.unit)} by ${t.deadline_year}
    <small class="note">“${esc(t.span.sentence)}”</small></p>`).join("") +
    `<p class="note">Targets are not sent from this page: give each row its id and series_id after review, then send it with POST /v1/targets (or add it to data/targets.csv).</p><pre>${esc(lines.join("\n"))}</pre>`;
}

function focus(i) {
  document.querySelectorAll(".focus").forEach((el) => el.classList.remove("focus"));
  document.querySelectorAll(`[data-i="${i}"]`).forEach((el) => { if (el.tagName === "MARK" || el.tagName === "TR") el.classList.add("focus"); });
  const mark = document.querySelector(`mark[data-i="${i}"]`);
  if (mark) mark.scrollIntoView({ block: "nearest" });
}

async function propose(event) {
  event.preventDefault();
  state.text = $("#text").value;
  setStatus("reading…");
  try {
    const body = await call("POST", "/v1/extract", {
      text: state.text, publisher: $("#publisher").value, url: $("#url").value, published_date: $("#published-date").value || null,
    });
    state.proposals = body.proposals;
    state.decisions = body.proposals.map(() => "");
    renderMarked(); renderProposals(); renderTargets(body.targets);
    setStatus(body.not_read || `${body.proposals.length} figures proposed`, Boolean(body.not_read));
  } catch (error) { setStatus(error.message, true); }
}

function edit(event) {
  const { i, field } = event.target.dataset;
  if (field === undefined) return;
  const raw = event.target.value.trim();
  const numeric = ["value", "yoy_pct", "mom_pct"].includes(field);
  state.proposals[i].row[field] = numeric ? (raw === "" ? null : Number(raw)) : raw;
  if (state.decisions[i] === "") { state.decisions[i] = "accept"; renderProposals(); renderMarked(); }
}

async function send() {
  const rows = state.proposals.filter((_, i) => state.decisions[i] === "accept").map((p) => p.row);
  const missing = rows.findIndex((r) => !r.series_id);
  if (missing >= 0) { setStatus(`choose a series for accepted figure ${missing + 1}`, true); return; }
  setStatus("sending…");
  try {
    const job = await call("POST", "/v1/observations", { observations: rows });
    setStatus(`${rows.length} figures accepted: job ${job.job_id} ${job.status} (the series refit in the background)`);
  } catch (error) { setStatus(error.message, true); }
}

async function loadSeries() {
  try { state.series = await call("GET", "/v1/series"); } catch (error) { state.series = []; }
}

document.addEventListener("DOMContentLoaded", () => {
  $("#key").value = sessionStorage.getItem("forecast-key") || "";
  $("#article-form").addEventListener("submit", propose);
  $("#proposals").addEventListener("change", (event) => {
    if (event.target.dataset.decide !== undefined) {
      state.decisions[event.target.dataset.decide] = event.target.value;
      renderProposals(); renderMarked();
    } else edit(event);
  });
  $("#proposals").addEventListener("click", (event) => { const row = event.target.closest("tr[data-i]"); if (row) focus(row.dataset.i); });
  $("#marked").addEventListener("click", (event) => { if (event.target.dataset.i !== undefined) focus(event.target.dataset.i); });
  $("#send").addEventListener("click", send);
  loadSeries();
});
