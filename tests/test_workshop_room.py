"""``commsim workshop``: the shared town (no browser), its HTTP API, and the pages in headless Chromium.

The room's rules are checked on the :class:`~sim.dashboard.room.room.Room` itself (joining, levers
within the owner's hours and cash, locked decisions, exact replays and counterfactuals, the
debrief folder); who may do what over HTTP on a server started in this process; and the whole
session in Chromium (``-m browser``): one facilitator and three phones join, decide and play two
rounds, then the debrief. With ``COMMSIM_DOCS_FIGURES=1`` the browser test also writes the lesson
plan's screenshots to docs/figures/workshop-room/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main as cli_main
from sim.config.scenario import load_scenario
from sim.core.strategies import built_in
from sim.dashboard.room.debrief import ARMS, counterfactual, replay, write_debrief
from sim.dashboard.room.levers import (
    PARTICIPANT,
    DecisionError,
    check_affordable,
    decision_from_strategy,
    parse_decision,
    to_strategy,
)
from sim.dashboard.room.room import Room, RoomError
from sim.dashboard.room.views import Snapshot

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
CHROMIUM = "/usr/bin/chromium"
DOCS_FIGURES = ROOT / "docs" / "figures" / "workshop-room"
SMALL = ["population.customers=400", "run.steps=40"]


def small_room(weeks: int = 4) -> Room:
    return Room(load_scenario(BASELINE, SMALL), weeks)


# ============================================================ the room (no browser)
def test_levers_refuse_what_is_not_a_number_in_bounds():
    room = small_room()
    start = decision_from_strategy(built_in("community"), room.levers)
    bad = [
        ({"ad_budget": "nan"}, "Weekly ad budget"),
        ({"ad_budget": float("inf")}, "Weekly ad budget"),
        ({"ad_budget": True}, "Weekly ad budget"),
        ({"ad_budget": "12a"}, "Weekly ad budget"),
        ({"community_hours": 51}, "Community work"),
        ({"price": 20}, "Price"),
        ({"personalisation": -1}, "Personal service"),
        ({"seeks_partners": "yes"}, "partnerships"),
        ({"__class__": 1}, "unknown lever"),
        (["ad_budget", 1], "set of lever values"),
    ]
    for raw, named in bad:
        with pytest.raises(DecisionError, match=re.escape(named)):
            parse_decision(raw, room.levers, start)
    ok = parse_decision({"ad_budget": "30", "price": 110}, room.levers, start)
    assert ok.ad_budget == 30 and ok.price == 110 and ok.community_hours == start.community_hours


def test_a_decision_becomes_the_business_strategy_in_the_models_units():
    room = small_room()
    hours = float(room.model.eco["owner_hours"])
    d = parse_decision(
        {
            "ad_budget": 40,
            "community_hours": 10,
            "personalisation": 50,
            "partner_referrals": 8,
            "price": 112,
            "seeks_partners": True,
        },
        room.levers,
        decision_from_strategy(built_in("community"), room.levers),
    )
    s = to_strategy(built_in("community"), d, room.levers)
    assert s.name == PARTICIPANT and s.engagement == "steady"
    assert (s.ad_budget, s.community_time, s.personalisation) == (40, 10 / hours, 0.5)
    assert (s.partner_referrals, s.price_factor, s.seeks_partners) == (0.08, 1.12, True)
    # the page's values of a built-in strategy map back to it exactly
    t = built_in("transactional")
    back = to_strategy(t, decision_from_strategy(t, room.levers), room.levers)
    for f in ("ad_budget", "community_time", "personalisation", "partner_referrals", "price_factor"):
        assert getattr(back, f) == getattr(t, f), f
    # without partnerships nobody is referred to a partner
    alone = to_strategy(
        t, parse_decision({"seeks_partners": False, "partner_referrals": 20}, room.levers, d), room.levers
    )
    assert alone.partner_referrals == 0.0


def test_levers_stay_within_the_owners_hours_and_the_cash():
    room = small_room()
    m = room.model
    b = room.order[0]
    start = decision_from_strategy(m.business_strategy[b], room.levers)
    can_spend = float(m.cash[b] + m.credit_line[b])
    weekly = can_spend / 4 + 1  # 4 weeks of it is more than the business can spend
    if weekly <= room.levers[0].high:
        with pytest.raises(DecisionError, match="can spend"):
            check_affordable(m, b, parse_decision({"ad_budget": weekly}, room.levers, start), 4)
    # personal service takes minutes per returning purchase: with many regulars it outgrows the week
    m.returning_purchases[b] = 1e6
    with pytest.raises(DecisionError, match="the owner has"):
        check_affordable(m, b, parse_decision({"personalisation": 100}, room.levers, start), 4)
    m.returning_purchases[b] = 0
    out = check_affordable(m, b, parse_decision({"community_hours": 5}, room.levers, start), 4)
    assert out["hours_community"] == 5 and out["hours_total"] <= out["hours_available"]


def test_joining_hands_out_each_business_once_and_refuses_bad_names():
    room = small_room()
    n = len(room.order)
    assert n == 12  # the baseline's businesses
    for bad in ["", "   ", "=cmd|' /C calc'!A0", "x" * 25, "bad\x07bell", 42]:
        with pytest.raises(RoomError):
            room.join(bad)
    people = [room.join(f"P{i}") for i in range(n)]
    assert sorted(p.business for p in people) == list(range(n))
    cats = [room.model.business_category[p.business] for p in people[:6]]
    assert len(set(cats)) == 6  # the first six get one business of each category
    with pytest.raises(RoomError, match="every business is taken"):
        room.join("one too many")
    with pytest.raises(RoomError, match="taken"):
        room.join("p0")  # names are unique, whatever their case
    room2 = small_room()
    room2.set_joining(False)
    with pytest.raises(RoomError, match="joining is closed"):
        room2.join("Late")


def test_only_your_own_business_and_only_between_rounds():
    room = small_room()
    a, b = room.join("Ann"), room.join("Bob")
    before = room.version
    with pytest.raises(RoomError) as forged:
        room.decide(a.token, {"business": room.model.business_name[b.business], "ad_budget": 1})
    assert forged.value.status == 403
    with pytest.raises(RoomError) as stranger:
        room.decide("not-a-token", {"ad_budget": 1})
    assert stranger.value.status == 403
    assert room.version == before and b.decision == decision_from_strategy(
        room.model.business_strategy[b.business], room.levers
    )
    room.decide(a.token, {"business": room.model.business_name[a.business], "ad_budget": 3})
    weeks = room.start_round()
    with pytest.raises(RoomError, match="locked"):
        room.decide(a.token, {"ad_budget": 4})
    room.finish_round(weeks)
    assert room.model.business_strategy[a.business].ad_budget == 3
    assert room.rounds[0].decisions[a.business]["decided"] is True
    assert room.rounds[0].decisions[b.business]["decided"] is False  # kept the inherited levers


def test_a_round_charges_the_chosen_ads_and_unrun_businesses_keep_their_strategy():
    room = small_room()
    a = room.join("Ann")
    room.decide(a.token, {"ad_budget": 7, "community_hours": 2})
    room.finish_round(room.start_round())
    data = room.model.recorder.data
    assert np.allclose(data["ad_cost"][:4, a.business], 7.0)  # currency per week, as decided
    for b in range(room.n_joinable):
        if b != a.business:
            assert room.model.business_strategy[b] is room.built_in[b]


def test_replay_reproduces_the_session_and_counterfactuals_change_only_participants():
    room = small_room()
    a, b = room.join("Ann"), room.join("Bob")
    room.decide(a.token, {"ad_budget": 2, "community_hours": 1, "price": 120})
    room.finish_round(room.start_round())
    room.add_shock({"kind": "recession", "depth": 0.3, "duration": 6})
    room.add_shock({"kind": "chain_store", "target": "cafe"})
    room.decide(b.token, {"ad_budget": 60, "community_hours": 0, "personalisation": 0})
    room.finish_round(room.start_round(3))
    live = room.model.recorder.table()
    again = replay(room.town, room.seed, room.week, room.events).recorder.table()
    pd.testing.assert_frame_equal(live, again)  # the log is the whole session
    transactional = counterfactual(room, "transactional")
    t = built_in("transactional")
    for p in (a, b):
        s = transactional.business_strategy[p.business]
        assert (s.ad_budget, s.community_time, s.price_factor) == (
            t.ad_budget,
            t.community_time,
            t.price_factor,
        )
    others = [x for x in range(room.n_joinable) if x not in (a.business, b.business)]
    assert [transactional.business_strategy[x] for x in others] == [
        room.model.business_strategy[x] for x in others
    ]
    assert transactional.recorder.rows == room.week == 7


def test_counterfactual_equals_the_session_when_participants_chose_its_levers():
    """Participants who set exactly the transactional levers played the all-transactional town."""
    room = small_room()
    t = built_in("transactional")
    people = [room.join(n) for n in ("Ann", "Bob", "Cy")]
    for p in people:
        room.decide(p.token, decision_from_strategy(t, room.levers).to_dict())
    room.finish_round(room.start_round())
    room.finish_round(room.start_round())
    same = counterfactual(room, "transactional").recorder.table()
    pd.testing.assert_frame_equal(room.model.recorder.table(), same)
    other = counterfactual(room, "community").recorder.table()
    assert not np.allclose(other["cash"], same["cash"])


def test_shocks_are_checked_against_the_parameter_table():
    room = small_room()
    for raw in [
        {"kind": "earthquake"},
        {"kind": "recession", "depth": 1.5},
        {"kind": "recession", "depth": "deep"},
        {"kind": "recession", "duration": -1},
        {"kind": "chain_store", "target": "spaceport"},
        {"kind": "viral_bad_review", "target": "nobody"},
        "recession",
    ]:
        with pytest.raises(RoomError):
            room.add_shock(raw)
    assert room.events == []
    rec = room.add_shock({"kind": "recession", "depth": 0.4, "duration": 8})
    assert (rec["depth"], rec["duration"], rec["start"]) == (0.4, 8, 1)


def test_views_show_each_decision_and_what_changed():
    room = small_room()
    snap = Snapshot(room)
    a = room.join("Ann")
    room.decide(a.token, {"ad_budget": 11, "community_hours": 3})
    board = {r["business"]: r for r in snap.facilitator()["leaderboard"]}
    name = room.model.business_name[a.business]
    assert board[name]["runner"] == "Ann" and board[name]["decided"]
    room.finish_round(room.start_round())
    view = snap.participant(a.token)
    assert view["in_force"]["ad_budget"] == 11 and view["in_force"]["community_hours"] == 3
    board = {r["business"]: r for r in snap.facilitator()["leaderboard"]}
    assert board[name]["levers"]["ad_budget"] == 11 and not board[name]["decided"]
    data = room.model.recorder.data
    opening = data["cash"][0, a.business] - data["profit"][0, a.business]
    assert view["change"]["cash"] == pytest.approx(round(data["cash"][3, a.business]) - round(opening), abs=1)
    assert view["now"]["customers"] == data["customers_active"][3, a.business]
    assert [r["cash"] for r in snap.facilitator()["leaderboard"] if r["open"]] == sorted(
        [r["cash"] for r in snap.facilitator()["leaderboard"] if r["open"]], reverse=True
    )


def test_debrief_folder_is_a_run_folder_with_decisions_and_counterfactuals(tmp_path):
    room = small_room()
    a, b = room.join("Ann"), room.join("Bob")
    room.decide(a.token, {"ad_budget": 5})
    room.finish_round(room.start_round())
    room.add_shock({"kind": "recession", "depth": 0.2, "duration": 4})
    room.decide(b.token, {"price": 90})
    room.finish_round(room.start_round())
    with pytest.raises(RoomError):
        small_room().end()  # nothing to debrief before a round
    room.end()
    folder = write_debrief(room, tmp_path)
    for f in ("scenario.toml", "manifest.json", "timeseries.parquet", "report.html", "decisions.csv"):
        assert (folder / f).is_file(), f
    ts = pd.read_parquet(folder / "timeseries.parquet")
    assert set(ts["arm"]) == set(ARMS) and ts["step"].max() == room.week == 8
    decisions = pd.read_csv(folder / "decisions.csv")
    assert len(decisions) == 4  # 2 rounds x 2 participants
    first = decisions[(decisions["round"] == 1) & (decisions["participant"] == "Ann")].iloc[0]
    assert first["ad_budget"] == 5 and bool(first["decided"])
    weekly = pd.read_csv(folder / "businesses.csv")
    ann = weekly[weekly["participant"] == "Ann"]
    assert len(ann) == 8 and set(ann["round"]) == {1, 2}
    played = load_scenario(folder / "scenario.toml")
    assert played.data["run"]["steps"] == 8 and [s["kind"] for s in played.data["shocks"]] == ["recession"]
    debrief = pd.read_csv(folder / "debrief.csv")
    assert set(debrief["participant"]) == {"Ann", "Bob"}
    assert room.debrief["status"] == "done" and room.debrief["folder"] == str(folder)


def test_commsim_run_on_a_debrief_folder_replays_the_session_identically(tmp_path, capsys):
    room = small_room()
    a, b = room.join("Ann"), room.join("Bob")
    room.decide(a.token, {"ad_budget": 5, "community_hours": 6})
    room.finish_round(room.start_round())
    room.add_shock({"kind": "recession", "depth": 0.2, "duration": 4})
    room.decide(b.token, {"price": 90})
    room.finish_round(room.start_round())
    room.end()
    folder = write_debrief(room, tmp_path / "saved")
    capsys.readouterr()
    again = tmp_path / "again"
    assert cli_main(["run", str(folder), "--out", str(again)]) == 0
    assert "replaying the workshop session" in capsys.readouterr().err
    for name in ("timeseries.parquet", "strategy_timeseries.parquet", "cohorts.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(again / name), pd.read_parquet(folder / name), obj=name)
    assert (again / "summary.csv").read_text() == (folder / "summary.csv").read_text()
    assert (again / "comparison.csv").read_text() == (folder / "comparison.csv").read_text()
    # The participants' choices are in the replay: the as-played arm differs from all-transactional.
    ts = pd.read_parquet(again / "timeseries.parquet")
    played, base = (ts[ts["arm"] == arm].set_index(["step", "business_id"])["cash"] for arm in ARMS[:2])
    assert (played != base).any()
    # Flags that would change the session are refused in one line, nothing written.
    assert cli_main(["run", str(folder), "--seed", "3", "--out", str(tmp_path / "no")]) == 2
    err = capsys.readouterr().err
    assert "--seed does not apply" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()


# ============================================================ the command line
def test_workshop_refuses_bad_input_in_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nsteps = -3\n")
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("results")
    for argv in (
        ["workshop", str(bad)],
        ["workshop", "--weeks-per-round", "0"],
        ["workshop", "--customers", "3"],
        ["workshop", "--set", "population.customers=-1"],
        ["workshop", "--out", str(full)],
    ):
        assert cli_main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err


def test_workshop_warns_when_served_beyond_this_machine(capsys, monkeypatch):
    from sim.cli.commands import workshop

    served = []
    monkeypatch.setattr(workshop, "serve", lambda web, host, port: served.append((host, port)))
    port = _free_port()
    assert cli_main(["workshop", "--host", "0.0.0.0", "--port", str(port), "--customers", "300"]) == 0
    out = capsys.readouterr()
    assert served == [("0.0.0.0", port)]
    assert "warning" in out.err and "anyone on that network" in out.err
    assert re.search(r"facilitator key\s+\S{12,}", out.out)
    assert cli_main(["workshop", "--port", str(port), "--customers", "300"]) == 0
    assert "warning" not in capsys.readouterr().err


# ============================================================ over HTTP (a server in this process)
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"workshop exited: {log.read_text()[-2000:] if log else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("workshop server did not start within 60 s")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    import uvicorn

    from sim.dashboard.room.server import WorkshopApp

    room = small_room()
    port = _free_port()
    web = WorkshopApp(room, f"http://127.0.0.1:{port}/", tmp_path_factory.mktemp("debrief"))
    server = uvicorn.Server(uvicorn.Config(web.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait_for_port(port)
    yield {"url": f"http://127.0.0.1:{port}", "room": room, "web": web}
    server.should_exit = True
    thread.join(timeout=10)


def _http(url: str, body=None, headers=None, raw: bytes | None = None, method=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}"), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)


def test_http_forged_requests_and_missing_keys_are_refused(served):
    url, room = served["url"], served["room"]
    s, a, _ = _http(f"{url}/api/join", {"name": "Ann"})
    assert s == 201
    s, b, _ = _http(f"{url}/api/join", {"name": "Bob"})
    cash = room.model.cash.copy()
    version, week = room.version, room.week
    ann = {"x-participant-token": a["token"]}
    # Ann's token, Bob's business
    s, r, _ = _http(f"{url}/api/decide", {"business": b["business"], "ad_budget": 1}, ann)
    assert s == 403 and "only your own business" in r["error"]
    # no token, a made-up token, Bob's view with Ann's... nothing
    assert _http(f"{url}/api/decide", {"ad_budget": 1})[0] == 403
    assert _http(f"{url}/api/me", headers={"x-participant-token": "guess"})[0] == 403
    # facilitator controls without the key, or with a wrong one
    for action in ("round", "joining", "timer", "shock", "end"):
        s, r, _ = _http(f"{url}/api/{action}", {})
        assert s == 403 and "key" in r["error"], action
        assert _http(f"{url}/api/{action}", {}, {"x-facilitator-key": "wrong"})[0] == 403
    assert _http(f"{url}/api/room")[0] == 403 and _http(f"{url}/api/drawings")[0] == 403
    # bodies that are too large, not JSON, or NaN: refused with a message, the town unchanged
    s, r, _ = _http(f"{url}/api/decide", raw=b'{"ad_budget": 1' + b" " * 5000 + b"}", headers=ann)
    assert s == 413
    assert _http(f"{url}/api/decide", raw=b"{not json", headers=ann)[0] == 400
    s, r, _ = _http(f"{url}/api/decide", raw=b'{"ad_budget": NaN}', headers=ann)
    assert s == 400
    s, r, _ = _http(f"{url}/api/decide", {"ad_budget": -5}, ann)
    assert s == 422 and "Weekly ad budget" in r["error"]
    assert room.version == version and np.array_equal(room.model.cash, cash) and room.week == week
    # every answer carries the page's protections
    _, _, headers = _http(f"{url}/api/me", headers=ann)
    assert "script-src 'self'" in headers["content-security-policy"]


def test_http_round_wakes_waiting_participants(served):
    url, room = served["url"], served["room"]
    key = {"x-facilitator-key": room.key}
    s, p, _ = _http(f"{url}/api/join", {"name": "Cy"})
    me = {"x-participant-token": p["token"]}
    _, view, _ = _http(f"{url}/api/me", headers=me)
    seen = {}

    def wait():  # as the page does: follow the versions (the round's start, then its end)
        v = _http(f"{url}/api/me?since={view['version']}", headers=me)[1]
        seen["view"] = v
        deadline = time.monotonic() + 30
        while v["week"] < 2 and time.monotonic() < deadline:
            v = _http(f"{url}/api/me?since={v['version']}", headers=me)[1]
        seen["view"] = v

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    assert "view" not in seen  # the long poll waits for a change
    s, r, _ = _http(f"{url}/api/round", {"weeks": 2}, key)
    waiter.join(timeout=30)
    assert s == 200 and r["weeks"] == [1, 2]
    assert seen["view"]["week"] == 2 and seen["view"]["version"] > view["version"]
    s, r, _ = _http(f"{url}/api/round", {"weeks": 99}, key)
    assert s == 422 and "weeks per round" in r["error"]
    for seconds in (5, 4000, "60", True):
        assert _http(f"{url}/api/timer", {"seconds": seconds}, key)[0] == 422
    assert _http(f"{url}/api/timer", {"seconds": 60}, key)[0] == 200 and room.timer_ends is not None
    rounds = len(room.rounds)
    room.timer_ends = time.time()  # the decision time is up: the next round starts by itself
    _, view, _ = _http(f"{url}/api/me", headers=me)
    deadline = time.monotonic() + 30
    while len(room.rounds) == rounds and time.monotonic() < deadline:
        _, view, _ = _http(f"{url}/api/me?since={view['version']}", headers=me)
    assert len(room.rounds) == rounds + 1 and room.timer_ends is None


# ============================================================ in the browser
@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package for the page tests")
    pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")
    workdir = tmp_path_factory.mktemp("workshop")
    port = _free_port()
    log = workdir / "server.log"
    out = workdir / "debrief"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sim",
                "workshop",
                "--port",
                str(port),
                "--customers",
                "500",
                "--out",
                str(out),
            ],
            cwd=workdir,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    _wait_for_port(port, proc, log)
    key = re.search(r"facilitator key\s+(\S+)", log.read_text()).group(1)
    yield {"url": f"http://127.0.0.1:{port}", "key": key, "dir": workdir, "out": out, "proc": proc}
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _shot(page, tmp: Path, name: str, full: bool = False) -> None:
    path = tmp / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    if os.environ.get("COMMSIM_DOCS_FIGURES"):
        DOCS_FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_FIGURES / path.name)


@pytest.mark.browser
def test_a_session_in_the_browser(workshop, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, key = workshop["url"], workshop["key"]
    errors: list[str] = []

    def watch(page):
        refusal = "Failed to load resource: the server responded with a status of 4"  # tested refusals

        page.on(
            "console",
            lambda m: errors.append(m.text) if m.type == "error" and not m.text.startswith(refusal) else None,
        )
        page.on("pageerror", lambda e: errors.append(str(e)))

        def local_only(route):  # the pages need nothing from the internet
            if route.request.url.startswith(url):
                route.continue_()
            else:
                errors.append(f"external request {route.request.url}")
                route.abort()

        page.route("**/*", local_only)
        return page

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        fac = watch(browser.new_context(viewport={"width": 1280, "height": 720}).new_page())
        fac.on("dialog", lambda d: d.accept())
        fac.goto(f"{url}/facilitator#key={key}")
        expect(fac.locator("#phase")).to_have_text("Deciding round 1")
        assert "key=" not in fac.url  # the key leaves the address bar
        expect(fac.locator("#qr svg")).to_be_visible()
        _shot(fac, tmp_path, "01-facilitator-start")

        # a facilitator page without the key can do nothing
        other = watch(browser.new_context().new_page())
        other.goto(f"{url}/facilitator")
        expect(other.locator("#keybox")).to_be_visible()
        assert other.request.post(f"{url}/api/round", data={}).status == 403

        phones, contexts = [], []
        for name in ("Ana", "Ben", "Caz"):
            ctx = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
            page = watch(ctx.new_page())
            page.goto(f"{url}/")
            page.fill("#name", name)
            page.click("#join-button")
            expect(page.locator("#n-ad_budget")).to_be_visible()
            phones.append(page)
            contexts.append(ctx)
        expect(fac.locator("#people")).to_have_text("3 of 12 businesses taken")
        names = [p.locator("#title").inner_text() for p in phones]
        assert len(set(names)) == 3
        assert phones[0].evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling

        # a bad value gets a message, not a changed town
        phones[0].fill("#n-ad_budget", "99999")
        phones[0].click("#send")
        expect(phones[0].locator("#message")).to_contain_text("Weekly ad budget")
        choices = [(30, 2), (0, 5), (80, 0)]
        for page, (ads, hours) in zip(phones, choices, strict=True):
            page.fill("#n-ad_budget", str(ads))
            page.fill("#n-community_hours", str(hours))
            page.click("#send")
            expect(page.locator("#message")).to_contain_text("Sent")
        phones[0].evaluate("document.getElementById('form-title').scrollIntoView()")
        _shot(phones[0], tmp_path, "02-phone-decide")
        expect(fac.locator("#board")).to_contain_text("Caz ✓")

        # a forged request: Ana's token, Ben's business
        token = phones[0].evaluate("localStorage.getItem('commsim-token')")
        forged = phones[0].request.post(
            f"{url}/api/decide",
            data=json.dumps({"business": names[1], "ad_budget": 1}),
            headers={"x-participant-token": token, "content-type": "application/json"},
        )
        assert forged.status == 403 and "own business" in forged.json()["error"]

        for round_no in (1, 2):
            fac.click("#round")
            expect(fac.locator("#message")).to_contain_text(f"Round {round_no} (weeks")
            for page in phones:
                expect(page.locator("#phase")).to_have_text(f"Deciding round {round_no + 1}")
        # each decision is in force in its business and on the leaderboard
        for page, name, (ads, hours) in zip(phones, names, choices, strict=True):
            row = fac.locator(f'#board tr[data-business="{name}"]')
            cells = row.locator("td").all_inner_texts()
            assert cells[6] == str(ads) and float(cells[7]) == hours, cells
            history = page.locator("#history tr").nth(1).locator("td").all_inner_texts()
            assert history[2] == str(ads), history
        assert (
            "▲" in phones[0].locator("#figures").inner_text()
            or "▼" in phones[0].locator("#figures").inner_text()
        )
        fac.evaluate("window.scrollTo(0, 0)")
        _shot(fac, tmp_path, "03-facilitator-round-2")
        phones[1].evaluate("window.scrollTo(0, 0)")
        _shot(phones[1], tmp_path, "04-phone-after-round-2")

        # reconnecting: a reload, and the saved link in a fresh browser, find the same business
        phones[0].reload()
        expect(phones[0].locator("#title")).to_have_text(names[0])
        link = phones[0].locator("#rejoin").inner_text()
        fresh = watch(browser.new_context(viewport={"width": 360, "height": 640}).new_page())
        fresh.goto(link)
        expect(fresh.locator("#title")).to_have_text(names[0])

        # a shock with depth and duration, then the end and the debrief
        fac.select_option("#kind", "recession")
        fac.fill("#depth", "30")
        fac.fill("#duration", "6")
        fac.click("#shock")
        expect(fac.locator("#log")).to_contain_text("shock: recession from week 9")
        fac.click("#end")
        expect(fac.locator("#debrief")).to_contain_text("Results folder", timeout=120_000)
        expect(phones[2].locator("#debrief-card")).to_be_visible(timeout=30_000)
        fac.locator("#debrief").scroll_into_view_if_needed()
        _shot(fac, tmp_path, "05-facilitator-debrief", full=True)
        phones[2].evaluate("document.getElementById('debrief-card').scrollIntoView()")
        _shot(phones[2], tmp_path, "06-phone-debrief")
        browser.close()
    assert errors == []

    out = workshop["out"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(ts["arm"]) == set(ARMS) and ts["step"].max() == 8
    decisions = pd.read_csv(out / "decisions.csv")
    assert sorted(decisions[decisions["round"] == 2]["ad_budget"]) == sorted(a for a, _ in choices)
    assert (out / "scenario.toml").is_file() and (out / "debrief.html").is_file()
