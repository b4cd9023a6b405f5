"""The workshop's three pages (join, a participant's business, the facilitator's) and their style sheet.

Plain HTML whose content the page's script (:mod:`.scripts`) fills from the API; no file is read
from disk and nothing is fetched from the internet, so the pages work offline. Text is at least
16 px; the participant's page is laid out for a phone of 360 x 640 px and up, the facilitator's
for a projector of 1280 x 720 and up.
"""

from __future__ import annotations

from sim.dashboard.room.scripts import SCRIPTS

CSS = """
:root { --ink:#1d1d1d; --muted:#555; --line:#d8d8d8; --bg:#f6f7f5; --accent:#1f78b4; --bad:#b00020;
        --good:#1b7a3a; }
* { box-sizing: border-box; }
[hidden] { display:none !important; }
body { margin:0; font:18px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink);
       background:var(--bg); }
header { display:flex; flex-wrap:wrap; align-items:center; gap:8px 18px; padding:8px 14px; background:#fff;
         border-bottom:1px solid var(--line); }
header h1 { font-size:20px; margin:0; }
.pill { padding:2px 10px; border-radius:999px; background:#e8eef5; font-weight:600; }
.pill.running { background:#fff1c9; } .pill.ended { background:#e2e2e2; }
main { padding:12px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px;
margin-bottom:12px; }
.card h2 { font-size:18px; margin:0 0 8px; }
.msg { min-height:1.4em; font-weight:600; }
.msg.error { color:var(--bad); } .msg.ok { color:var(--good); }
button { font:inherit; font-weight:600; padding:10px 16px; border-radius:8px; border:1px solid #999;
         background:#fff; cursor:pointer; }
button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
button:disabled { opacity:.5; cursor:not-allowed; }
input, select { font:inherit; padding:6px 8px; border:1px solid #999; border-radius:6px; }
label { display:block; font-weight:600; }
.hint { color:var(--muted); font-size:16px; font-weight:400; }
.up { color:var(--good); } .down { color:var(--bad); }
table { border-collapse:collapse; width:100%; }
th, td { padding:4px 6px; border-bottom:1px solid var(--line); text-align:right; }
th:first-child, td:first-child, td.left, th.left { text-align:left; }

/* participant (phone first) */
.play main { max-width:560px; margin:0 auto; }
.play table { font-size:16px; } .play th, .play td { padding:4px 3px; }
.figures { display:grid; grid-template-columns:1fr 1fr; gap:8px; }
.figure { background:var(--bg); border-radius:6px; padding:6px 8px; }
.figure .v { font-size:24px; font-weight:700; }
.figure .d { font-size:16px; }
.lever { margin:10px 0 14px; }
.lever .row { display:flex; gap:8px; align-items:center; }
.lever input[type=range] { flex:1; min-width:0; height:32px; }
.lever input[type=number] { width:96px; }
.check { display:flex; gap:8px; align-items:center; font-weight:600; }
.check input { width:24px; height:24px; }
.sendrow { display:flex; gap:10px; align-items:center; flex-wrap:wrap; }
.join main { max-width:480px; margin:0 auto; }
.join input[type=text] { width:100%; font-size:20px; margin:8px 0; }
.link { word-break:break-all; font-size:16px; }

/* facilitator (projector) */
.fac header { font-size:20px; padding:6px 12px; }
.fac .join { display:flex; gap:10px; align-items:center; margin-left:auto; }
.fac .join svg { width:64px; height:64px; display:block; }
.fac .joinurl { font-size:22px; font-weight:700; }
.fac main { display:grid; grid-template-columns:minmax(0,1.75fr) minmax(0,1fr); gap:10px; padding:10px; }
.fac .card { margin-bottom:0; }
.fac .board { font-size:17px; overflow-x:auto; }
.fac .board th, .fac .board td { white-space:nowrap; padding:3px 6px; }
.fac .board .hint { margin:6px 0 0; }
.fac .board td.you { font-weight:700; color:var(--accent); }
.fac .board tr.closed td { color:#888; text-decoration:line-through; }
.fac .town svg { width:100%; height:auto; max-height:calc(100vh - 150px); display:block; margin:0 auto; }
.fac .charts { grid-column:1 / -1; display:grid; grid-template-columns:repeat(3, minmax(0,1fr)); gap:10px; }
.fac .charts svg { width:100%; height:auto; background:#fff; border:1px solid var(--line);
border-radius:8px; }
.fac .controls { grid-column:1 / -1; display:flex; flex-wrap:wrap; gap:10px 22px; align-items:flex-end; }
.fac .controls .group { display:flex; gap:8px; align-items:flex-end; flex-wrap:wrap; }
.fac .controls input[type=number] { width:90px; }
.fac.present .controls, .fac.present .log { display:none; }
.fac .log { grid-column:1 / -1; font-size:16px; color:var(--muted); }
.fac .debrief { grid-column:1 / -1; }
#qr-big { position:fixed; inset:0; background:#fff; display:flex; flex-direction:column; align-items:center;
          justify-content:center; gap:16px; z-index:10; cursor:pointer; }
#qr-big svg { width:min(70vh, 80vw); height:auto; }
#qr-big .joinurl { font-size:min(6vw, 48px); font-weight:700; }
@media (max-width: 1000px) { .fac main { grid-template-columns:1fr; } .fac .charts {
grid-template-columns:1fr; } }
.scroll { overflow-x:auto; }
"""

_HEAD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title>"
    '<link rel="stylesheet" href="/static/room.css"></head>'
)

PAGES = {
    "join": (
        "commsim workshop: join",
        """<body class="join"><header><h1>commsim workshop</h1></header><main>
<div class="card"><h2>Join the town</h2>
<p>You will run one business of a shared town. Type the name the room will see.</p>
<form id="join-form" autocomplete="off">
<label for="name">Your name</label>
<input type="text" id="name" name="name" maxlength="24" required>
<button class="primary" id="join-button" type="submit">Join</button></form>
<p id="message" class="msg" role="alert"></p></div></main>
<script src="/static/common.js"></script><script src="/static/join.js"></script></body>""",
    ),
    "play": (
        "commsim workshop: your business",
        """<body class="play"><header><h1 id="title">Your business</h1>
<span id="phase" class="pill"></span><span id="clock"></span></header><main>
<div class="card"><div id="who"></div><div id="status" class="hint"></div></div>
<div class="card"><h2>How it is going</h2><div id="figures" class="figures"></div>
<p id="channels" class="hint"></p></div>
<div class="card"><h2 id="form-title">Your levers</h2><form id="levers" autocomplete="off"></form>
<div id="hours" class="hint"></div>
<div class="sendrow"><button class="primary" id="send" type="button">Send</button><span
id="sent"></span></div>
<p id="message" class="msg" role="alert"></p></div>
<div class="card" id="debrief-card" hidden><h2>Debrief: your business three ways</h2><div
id="debrief"></div></div>
<div class="card"><h2>Rounds so far</h2><div id="history" class="scroll"></div></div>
<div class="card"><p class="hint">To get back to your business from another device, open:</p>
<p class="link" id="rejoin"></p></div></main>
<script src="/static/common.js"></script><script src="/static/play.js"></script></body>""",
    ),
    "facilitator": (
        "commsim workshop: facilitator",
        """<body class="fac"><header><h1>commsim workshop</h1>
<span id="phase" class="pill"></span><span id="roundweek"></span><span id="demand"></span>
<span id="clock"></span><span id="people"></span>
<div class="join"><div><div class="hint">Join at</div><div class="joinurl" id="joinurl"></div></div>
<div id="qr" title="show the QR code large"></div><button id="qr-show" type="button">Show
QR</button></div></header>
<div id="qr-big" hidden><div id="qr-big-code"></div><div class="joinurl" id="qr-big-url"></div>
<div class="hint">Scan or type the address, then join with your name (click to close)</div></div>
<div id="keybox" class="card" hidden><label for="key">Facilitator key (printed in the terminal)</label>
<input type="password" id="key"><button id="keysave" type="button">Use key</button></div>
<main>
<section class="card board"><h2>Leaderboard (by cash)</h2><table id="board"></table>
<p class="hint">cash: currency, now · cust.: active customers · score: promoter score (−100 to 100) ·
levers in force: ads (currency a week), comm. h (community work, hours a week), pers. (personal
service), ref. (customers referred to partners), price (% of the usual) · ✓: sent for the next
round</p></section>
<section class="card town"><h2>The town</h2><div id="town"></div></section>
<section class="charts" id="charts"></section>
<section class="card controls" id="controls">
<div class="group"><button id="joining" type="button"></button></div>
<div class="group"><label>Weeks<input type="number" id="weeks" min="1" max="26" step="1"></label>
<button class="primary" id="round" type="button">Next round</button></div>
<div class="group"><label>Timer (s)<input type="number" id="seconds" min="10" max="1800" step="10"
value="120">
</label><button id="timer" type="button">Start timer</button>
<button id="timer-stop" type="button">Stop timer</button></div>
<div class="group"><label>Shock<select id="kind"></select></label>
<label>Depth (%)<input type="number" id="depth" min="0" max="100" step="5" value="25"></label>
<label>Weeks<input type="number" id="duration" min="0" max="520" step="1" value="12"></label>
<label>Where<select id="target"></select></label>
<button id="shock" type="button">Add shock</button></div>
<div class="group"><button id="end" type="button">End and debrief</button>
<button id="present" type="button">Presentation mode</button></div>
<p id="message" class="msg" role="alert"></p></section>
<section class="card debrief" id="debrief" hidden></section>
<section class="log" id="log"></section>
</main>
<script src="/static/common.js"></script><script src="/static/facilitator.js"></script></body>""",
    ),
}


def html(name: str) -> str:
    """The page ``name`` (``join``, ``play`` or ``facilitator``)."""
    title, body = PAGES[name]
    return _HEAD.format(title=title) + body + "</html>"


def asset(name: str) -> tuple[str, str] | None:
    """A static file's text and media type, or None (only the names below exist)."""
    if name == "room.css":
        return CSS, "text/css"
    if name.endswith(".js") and name[:-3] in SCRIPTS:
        return SCRIPTS[name[:-3]], "text/javascript"
    return None
