"""The workshop pages' scripts (plain JavaScript, no libraries), served as ``/static/NAME.js``.

Every name and message a participant sent is put in the page as text (``textContent``), never as
HTML; only the server's own SVG drawings, whose names are escaped, are inserted as markup. The
participant's token lives in the page's address (``/play#t=...``, which browsers do not send to the
server) and in the browser's storage, so a reload or a reconnect finds the business again.
"""

from __future__ import annotations

COMMON = r"""
"use strict";
const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function fmt(v, digits) {
  if (v === null || v === undefined) return "–";
  return Number(v).toLocaleString("en-GB", {maximumFractionDigits: digits || 0});
}
function signed(v, digits) {
  if (v === null || v === undefined) return "";
  const s = fmt(Math.abs(v), digits);
  return v > 0 ? "▲ +" + s : v < 0 ? "▼ −" + s : "± 0";
}
async function api(path, options) {
  const o = options || {};
  const opts = {method: o.method || "GET", headers: Object.assign({}, o.headers || {}), cache: "no-store"};
  if (o.body !== undefined) {
    opts.body = JSON.stringify(o.body);
    opts.headers["content-type"] = "application/json";
  }
  const r = await fetch(path, opts);
  let data = {};
  try { data = await r.json(); } catch (e) { data = {error: "the server answered " + r.status}; }
  if (!r.ok) {
    const err = new Error(data.error || ("error " + r.status));
    err.status = r.status;
    throw err;
  }
  return data;
}
async function follow(path, headers, onView, onError) {
  let since = -1;
  for (;;) {
    try {
      const v = await api(path + "?since=" + since, {headers: headers});
      since = v.version;
      onView(v);
    } catch (e) {
      if (onError(e) === false) return;
      await sleep(2000);
    }
  }
}
function say(id, text, ok) {
  const m = $(id);
  m.textContent = text || "";
  m.className = "msg " + (text ? (ok ? "ok" : "error") : "");
}
const clock = {ends: null};
function setClock(left) {
  clock.ends = left === null || left === undefined ? null : Date.now() + 1000 * left;
}
setInterval(() => {
  const c = $("clock");
  if (!c) return;
  if (clock.ends === null) { c.textContent = ""; return; }
  const s = Math.max(0, Math.round((clock.ends - Date.now()) / 1000));
  c.textContent = "⏱ " + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}, 500);
function phaseText(v) {
  if (v.phase === "running") return "Round " + v.round + " running";
  if (v.phase === "ended") return "Ended";
  return "Deciding round " + v.round;
}
"""

JOIN = r"""
const stored = localStorage.getItem("commsim-token");
if (stored) location.replace("/play#t=" + encodeURIComponent(stored));
$("join-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("join-button").disabled = true;
  try {
    const r = await api("/api/join", {method: "POST", body: {name: $("name").value}});
    localStorage.setItem("commsim-token", r.token);
    location.replace("/play#t=" + encodeURIComponent(r.token));
  } catch (e) {
    say("message", e.message);
  } finally {
    $("join-button").disabled = false;
  }
});
"""

PLAY = r"""
let token = null;
const m = /[#&]t=([^&]+)/.exec(location.hash);
if (m) { token = decodeURIComponent(m[1]); localStorage.setItem("commsim-token", token); }
else { token = localStorage.getItem("commsim-token"); }
if (!token) location.replace("/");
const headers = {"x-participant-token": token};
let formRound = null, built = false, last = null;

function buildForm(v) {
  const f = $("levers");
  for (const lv of v.levers) {
    const box = el("div", null, "lever");
    const lab = el("label", lv.label);
    lab.htmlFor = "n-" + lv.name;
    const bounds = " (" + lv.unit + ", " + fmt(lv.low, 1) + " to " + fmt(lv.high, 1) + ")";
    lab.appendChild(el("span", bounds, "hint"));
    const row = el("div", null, "row");
    const range = document.createElement("input");
    const num = document.createElement("input");
    range.type = "range"; num.type = "number";
    for (const i of [range, num]) { i.min = lv.low; i.max = lv.high; i.step = lv.step; }
    range.id = "r-" + lv.name; num.id = "n-" + lv.name; num.name = lv.name;
    range.setAttribute("aria-label", lv.label);
    range.addEventListener("input", () => { num.value = range.value; });
    num.addEventListener("input", () => { range.value = num.value; });
    row.append(range, num);
    box.append(lab, row);
    f.appendChild(box);
  }
  const c = el("label", null, "check");
  const cb = document.createElement("input");
  cb.type = "checkbox"; cb.id = "seeks_partners";
  c.append(cb, document.createTextNode("Take part in partnerships (with complementary businesses)"));
  f.appendChild(c);
  built = true;
}

function setForm(v) {
  for (const lv of v.levers) {
    $("n-" + lv.name).value = v.decision[lv.name];
    $("r-" + lv.name).value = v.decision[lv.name];
  }
  $("seeks_partners").checked = v.decision.seeks_partners;
  formRound = v.round;
}

function readForm() {
  const out = {};
  for (const lv of last.levers) {
    const raw = $("n-" + lv.name).value.trim();
    out[lv.name] = raw === "" ? raw : Number(raw);
  }
  out.seeks_partners = $("seeks_partners").checked;
  return out;
}

function figure(label, value, change, digits) {
  const d = el("div", null, "figure");
  d.appendChild(el("div", label, "hint"));
  d.appendChild(el("div", value, "v"));
  if (change !== undefined) {
    d.appendChild(el("div", signed(change, digits) + (change === null ? "" : " since last round"),
                     "d " + (change > 0 ? "up" : change < 0 ? "down" : "")));
  }
  return d;
}

function render(v) {
  if (last && last.round !== v.round) say("message", "");  // a new round: last round's note is old
  last = v;
  if (!built) buildForm(v);
  if (formRound !== v.round) setForm(v);
  $("title").textContent = v.business;
  $("phase").textContent = phaseText(v);
  $("phase").className = "pill " + v.phase;
  setClock(v.phase === "deciding" ? v.timer_left : null);
  $("who").textContent = v.name + " runs " + v.business + " (" + v.category + ")."
    + " Built-in strategy before you: " + v.built_in + ". Week " + v.week + " of " + v.horizon + ", "
    + v.weeks_per_round + " weeks a round.";
  $("status").textContent = (v.now.open ? "Open" : "Closed") + (v.rank ? " · rank " + v.rank + " of " + v.of
    + " by cash" : "") + " · demand " + v.demand + "% of normal";
  const g = $("figures");
  g.replaceChildren(
    figure("Cash (currency)", fmt(v.now.cash), v.change.cash),
    figure("Active customers", fmt(v.now.customers), v.change.customers),
    figure("Promoter score (−100 to 100)", fmt(v.now.promoter_score, 1), v.change.promoter_score, 1),
    figure("Revenue (currency a week, last round's mean)", fmt(v.now.revenue_per_week)),
    figure("Profit (currency, last round)", fmt(v.now.profit)),
    figure("New customers (last round)", fmt(v.now.new_customers)),
  );
  const ch = v.now.new_by_channel;
  $("channels").textContent = "New customers last round by channel: " + Object.keys(ch).map(
    (k) => k.replace(/_/g, " ") + " " + ch[k]).join(", ") + ". Price now " + fmt(v.now.price, 2)
    + " a purchase.";
  const h = v.hours;
  $("hours").textContent = "Your sent levers ask about " + fmt(h.total, 1) + " of the owner's "
    + fmt(h.available, 1) + " hours a week (community work " + fmt(h.community, 1)
    + ", personal service " + fmt(h.personal_service, 1) + ", partnerships " + fmt(h.partnerships, 1)
    + ", from last week's trade); planned spend "
    + fmt(v.weekly_spend) + " a week (ads plus the owner's hours at their value); the business can spend "
    + fmt(v.can_spend) + " before it reaches its credit line.";
  const locked = v.locked || v.phase === "ended" || !v.now.open;
  for (const i of $("levers").querySelectorAll("input")) i.disabled = locked;
  $("send").disabled = locked;
  $("send").textContent = "Send for round " + v.round;
  const why = v.phase === "running" ? "the round is running"
    : v.phase === "ended" ? "the workshop has ended" : "your business has closed";
  $("form-title").textContent = locked ? "Your levers (locked: " + why + ")"
    : "Your levers for round " + v.round;
  $("sent").textContent = v.decided ? "✓ sent for round " + v.round : "";
  $("sent").className = v.decided ? "up" : "";
  const t = el("table");
  const hr = el("tr");
  for (const c of ["round", "weeks", "ads/wk", "comm. h", "cash", "cust."]) hr.appendChild(el("th", c));
  t.appendChild(hr);
  for (const r of v.history) {
    const tr = el("tr");
    const lv = r.levers || {};
    for (const c of [r.round, r.weeks, r.levers ? fmt(lv.ad_budget) : "built-in",
                     r.levers ? fmt(lv.community_hours, 1) : "", fmt(r.cash), fmt(r.customers)]) {
      tr.appendChild(el("td", c));
    }
    t.appendChild(tr);
  }
  $("history").replaceChildren(t);
  if (v.debrief) {
    $("debrief-card").hidden = false;
    const d = el("table");
    const head = el("tr");
    for (const c of ["run", "cash", "cust.", "revenue"]) head.appendChild(el("th", c));
    d.appendChild(head);
    for (const arm of ["as_played", "all_transactional", "all_community"]) {
      const r = v.debrief[arm];
      const tr = el("tr");
      const shut = r.open ? "" : " (closed)";
      const name = (arm === "as_played" ? "as played" : arm.replace("all_", "")) + shut;
      const cells = [name, fmt(r.cash), fmt(r.customers_active), fmt(r.revenue)];
      for (const c of cells) tr.appendChild(el("td", c));
      d.appendChild(tr);
    }
    const wrap = el("div", null, "scroll");
    wrap.appendChild(d);
    $("debrief").replaceChildren(wrap, el("p", "The same town and seed: as you played it, and with your "
      + "business on the built-in transactional strategy, then the community one. Cash and customers at "
      + "the end; revenue summed over the session (currency).", "hint"));
  }
  $("rejoin").textContent = location.origin + "/play#t=" + token;
}

$("send").addEventListener("click", async () => {
  say("message", "");
  $("send").disabled = true;
  try {
    await api("/api/decide", {method: "POST", headers: headers, body: readForm()});
    formRound = null;
    say("message", "Sent: your levers apply from the next round.", true);
  } catch (e) {
    say("message", e.message);
  } finally {
    $("send").disabled = false;
  }
});

follow("/api/me", headers, render, (e) => {
  if (e.status === 403) {
    localStorage.removeItem("commsim-token");
    say("message", e.message + " (open the join page again)");
    return false;
  }
  say("message", "connection lost: retrying…");
});
"""

FACILITATOR = r"""
let key = null;
const km = /[#&]key=([^&]+)/.exec(location.hash);
if (km) {
  key = decodeURIComponent(km[1]);
  sessionStorage.setItem("commsim-key", key);
  history.replaceState(null, "", "/facilitator");  // the key leaves the address bar (and the projector)
}
else { key = sessionStorage.getItem("commsim-key"); }
let drawnVersion = -1, last = null, qrDone = false, started = false;
const LEVER_COLS = [["ad_budget", "ads", 0], ["community_hours", "comm. h", 1],
                    ["personalisation", "pers. %", 0], ["partner_referrals", "ref. %", 0],
                    ["price", "price %", 0]];

function headers() { return {"x-facilitator-key": key || ""}; }

async function post(action, body) {
  say("message", "");
  try {
    const r = await api("/api/" + action, {method: "POST", headers: headers(), body: body || {}});
    if (action === "round") say("message", "Round " + r.round + " (weeks " + r.weeks[0] + "-" + r.weeks[1]
      + ") simulated in " + r.seconds + " s", true);
    return r;
  } catch (e) {
    say("message", e.message);
    return null;
  }
}

function renderBoard(v) {
  const t = $("board");
  const head = el("tr");
  const cols = ["#", "business", "run by", "cash", "cust.", "score"];
  cols.push(...LEVER_COLS.map((x) => x[1]), "partners");
  for (const c of cols) head.appendChild(el("th", c, ["business", "run by"].includes(c) ? "left" : ""));
  const rows = [head];
  for (const r of v.leaderboard) {
    const tr = el("tr", null, r.open ? "" : "closed");
    tr.dataset.business = r.business;
    tr.appendChild(el("td", r.rank));
    tr.appendChild(el("td", r.business + (r.open ? "" : " (closed)"), "left"));
    tr.appendChild(el("td", r.runner + (r.decided ? " ✓" : ""), r.participant ? "left you" : "left"));
    tr.appendChild(el("td", fmt(r.cash)));
    tr.appendChild(el("td", fmt(r.customers)));
    tr.appendChild(el("td", fmt(r.promoter_score, 1)));
    for (const [k, , d] of LEVER_COLS) tr.appendChild(el("td", fmt(r.levers[k], d)));
    tr.appendChild(el("td", r.levers.seeks_partners ? "yes" : "no"));
    rows.push(tr);
  }
  t.replaceChildren(...rows);
}

function renderDebrief(d) {
  const box = $("debrief");
  if (!d || !d.status) { box.hidden = true; return; }
  box.hidden = false;
  const kids = [el("h2", "Debrief")];
  if (d.status === "writing") kids.push(el("p", "Replaying the town and writing the results folder…"));
  if (d.status === "failed") kids.push(el("p", "The debrief failed: " + d.error, "msg error"));
  if (d.status === "done") {
    kids.push(el("p", "Results folder: " + d.folder, "link"));
    const t = el("table");
    const head = el("tr");
    for (const c of ["participants' businesses", "cash at the end (sum)", "active customers (sum)",
                     "revenue over the session (sum)", "still open"]) head.appendChild(el("th", c));
    t.appendChild(head);
    for (const arm of ["as_played", "all_transactional", "all_community"]) {
      const r = d.totals[arm];
      const tr = el("tr");
      const cells = [arm.replace(/_/g, " "), fmt(r.cash), fmt(r.customers_active), fmt(r.revenue), r.open];
      for (const c of cells) {
        tr.appendChild(el("td", c));
      }
      t.appendChild(tr);
    }
    kids.push(t, el("p", "The same town and seeds, replayed with every participant's business on the "
      + "built-in transactional strategy, then the community one (currency; customers counted at the end).",
      "hint"));
  }
  box.replaceChildren(...kids);
}

function fillSelects(v) {
  if (started) return;
  const kind = $("kind");
  for (const k of v.shock_kinds) {
    const o = el("option", k.replace(/_/g, " "));
    o.value = k;
    kind.appendChild(o);
  }
  kind.addEventListener("change", () => fillTargets(last));
  started = true;
  fillTargets(v);
}

function fillTargets(v) {
  const k = $("kind").value;
  const opts = k === "chain_store" ? v.categories : k === "viral_bad_review" ? v.businesses : ["whole town"];
  $("target").replaceChildren(...opts.map((x) => { const o = el("option", x); o.value = x; return o; }));
  $("depth").disabled = k === "chain_store";
}

async function draw(version) {
  if (version === drawnVersion) return;
  drawnVersion = version;
  try {
    const d = await api("/api/drawings", {headers: headers()});
    $("town").innerHTML = d.town;
    $("charts").innerHTML = d.charts.join("");
    if (!qrDone) { $("qr").innerHTML = d.qr; $("qr-big-code").innerHTML = d.qr; qrDone = true; }
  } catch (e) { drawnVersion = -1; }
}

function render(v) {
  last = v;
  $("keybox").hidden = true;
  fillSelects(v);
  $("phase").textContent = phaseText(v);
  $("phase").className = "pill " + v.phase;
  $("roundweek").textContent = "Week " + v.week + " of " + v.horizon + " · " + v.rounds_done + " rounds done";
  $("demand").textContent = "Demand " + v.demand + "%";
  $("people").textContent = v.participants + " of " + v.capacity + " businesses taken";
  $("joinurl").textContent = v.join_url;
  $("qr-big-url").textContent = v.join_url;
  setClock(v.phase === "deciding" ? v.timer_left : null);
  $("joining").textContent = v.joining_open ? "Close joining" : "Open joining";
  $("joining").dataset.open = v.joining_open ? "1" : "0";
  $("joining").disabled = v.phase === "ended";
  if (document.activeElement !== $("weeks")) $("weeks").value = v.weeks_per_round;
  const busy = v.phase !== "deciding";
  for (const id of ["round", "timer", "shock"]) $(id).disabled = busy;
  $("end").disabled = busy && !(v.debrief && v.debrief.status === "failed");  // a failed debrief: retry
  renderBoard(v);
  renderDebrief(v.debrief);
  $("log").replaceChildren(...v.messages.map((x) => el("div", x)));
  draw(v.version);
}

$("joining").addEventListener("click", () => post("joining", {open: $("joining").dataset.open !== "1"}));
$("round").addEventListener("click", () => post("round", {weeks: Number($("weeks").value)}));
$("timer").addEventListener("click", () => post("timer", {seconds: Number($("seconds").value)}));
$("timer-stop").addEventListener("click", () => post("timer", {seconds: 0}));
$("shock").addEventListener("click", () => {
  const k = $("kind").value;
  const body = {kind: k, duration: Number($("duration").value)};
  if (k !== "chain_store") body.depth = Number($("depth").value) / 100;
  if (k === "chain_store" || k === "viral_bad_review") body.target = $("target").value;
  post("shock", body);
});
$("end").addEventListener("click", () => {
  if (confirm("End the workshop and write the debrief?")) post("end", {});
});
$("present").addEventListener("click", () => document.body.classList.toggle("present"));
for (const id of ["qr", "qr-show"]) $(id).addEventListener("click", () => { $("qr-big").hidden = false; });
$("qr-big").addEventListener("click", () => { $("qr-big").hidden = true; });
$("keysave").addEventListener("click", () => {
  key = $("key").value.trim();
  sessionStorage.setItem("commsim-key", key);
  location.reload();
});

follow("/api/room", headers(), render, (e) => {
  if (e.status === 403) {
    $("keybox").hidden = false;
    say("message", e.message);
    return false;
  }
  say("message", "connection lost: retrying…");
});
"""

SCRIPTS = {"common": COMMON, "join": JOIN, "play": PLAY, "facilitator": FACILITATOR}
"""The scripts by name (``/static/NAME.js``)."""
