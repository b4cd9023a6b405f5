"""How fast the shared town answers a room: simulated participants over HTTP against ``commsim workshop``.

Starts ``commsim workshop`` in a subprocess on a free port of 127.0.0.1 (by default a town of 2,000
customers with 48 businesses: the baseline's twelve groups, four businesses each), then plays the
room from this process: PARTICIPANTS threads join, each keeps a long poll open on its own view
(``GET /api/me?since=...``, as the page does), and every round each sends a decision (random levers
within their bounds) before the facilitator asks for the next round of WEEKS weeks. For each round
it prints, in seconds (wall clock on this machine):

* ``decide``: from the first decision sent to the last answered (all participants at once);
* ``answer``: from the facilitator's request for the round to its answer (the round simulated);
* ``simulate``: the server's own time for the round (part of ``answer``);
* ``all updated``: from the request until the last participant's long poll returned the new week;
* ``median updated``: the same, the median over participants.

The goal (issue 15): 40 participants, a 4-week round at 2,000 customers, answered within 2 s of the
facilitator's click on a 2-core machine. The clients run on the same machine as the server, so the
figures include their share of the cores.

    .venv/bin/python benchmarks/bench_workshop.py [--participants 40] [--rounds 5] [--weeks 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, body=None, headers=None, timeout: float = 60.0):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Participant:
    """One simulated participant: joined, with a long poll that notes when each week arrives."""

    def __init__(self, base: str, name: str) -> None:
        self.base = base
        status, r = http(f"{base}/api/join", {"name": name})
        if status != 201:
            raise SystemExit(f"join failed for {name}: {r}")
        self.headers = {"x-participant-token": r["token"]}
        _, self.view = http(f"{base}/api/me", headers=self.headers)
        self.seen: dict[int, float] = {}  # week -> time.perf_counter() when first seen
        self.stop = False
        self.thread = threading.Thread(target=self.follow, daemon=True)
        self.thread.start()

    def follow(self) -> None:
        version = self.view["version"]
        while not self.stop:
            status, v = http(f"{self.base}/api/me?since={version}", headers=self.headers, timeout=60)
            if status != 200:
                time.sleep(0.5)
                continue
            self.view = v
            version = v["version"]
            self.seen.setdefault(v["week"], time.perf_counter())

    def decide(self, rng: random.Random, weeks: int) -> tuple[int, str]:
        v = self.view
        levers = {lv["name"]: lv for lv in v["levers"]}
        affordable = max(0.0, (v["can_spend"] or 0) / weeks * 0.5)
        body = {
            "ad_budget": round(rng.uniform(0, min(levers["ad_budget"]["high"], affordable))),
            "community_hours": round(rng.uniform(0, levers["community_hours"]["high"] * 0.3), 1),
            "personalisation": rng.choice([0, 20, 50, 80]),
            "partner_referrals": rng.choice([0, 2, 5]),
            "price": rng.choice([90, 95, 100, 105, 110]),
            "seeks_partners": rng.random() < 0.5,
        }
        status, r = http(f"{self.base}/api/decide", body, self.headers)
        return status, r.get("error", "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--participants", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--weeks", type=int, default=4)
    ap.add_argument("--per-group", type=int, default=4, help="businesses per baseline group (12 groups)")
    args = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out = Path(tempfile.mkdtemp(prefix="bench-workshop-")) / "debrief"
    sets = [a for i in range(12) for a in ("--set", f"businesses.{i}.count={args.per_group}")]
    log_path = out.parent / "server.log"
    log = open(log_path, "w")  # noqa: SIM115
    cmd = [sys.executable, "-m", "sim", "workshop", "--port", str(port), "--out", str(out), *sets]
    server = subprocess.Popen(
        cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        deadline = time.monotonic() + 120
        key = None
        while time.monotonic() < deadline and key is None:
            if server.poll() is not None:
                raise SystemExit(f"workshop exited: {log_path.read_text()[-2000:]}")
            m = re.search(r"facilitator key\s+(\S+)", log_path.read_text())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    key = m.group(1) if m else None
            except OSError:
                time.sleep(0.3)
        if key is None:
            raise SystemExit("workshop did not start within 120 s")
        fac = {"x-facilitator-key": key}
        _, room = http(f"{base}/api/room", headers=fac)
        print(
            f"commsim workshop benchmark: {args.participants} participants, {room['capacity']} businesses, "
            f"{args.weeks}-week rounds; {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f} at start"
        )
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.participants) as pool:
            people = list(pool.map(lambda i: Participant(base, f"player {i + 1}"), range(args.participants)))
        print(f"joining: {args.participants} joins at once answered in {time.perf_counter() - t0:.2f} s")
        rng = random.Random(2026)
        rows = []
        reasons: Counter[str] = Counter()
        for r in range(1, args.rounds + 1):
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.participants) as pool:
                statuses = list(pool.map(lambda p: p.decide(rng, args.weeks), people))
            decide = time.perf_counter() - t0
            refused = sum(s != 200 for s, _ in statuses)
            reasons.update(e.split(":")[0].split(";")[0][:60] for s, e in statuses if s != 200)
            week = r * args.weeks
            t0 = time.perf_counter()
            status, answer = http(f"{base}/api/round", {"weeks": args.weeks}, fac)
            answered = time.perf_counter() - t0
            if status != 200:
                raise SystemExit(f"round {r} refused: {answer}")
            wait_until = time.perf_counter() + 30
            while time.perf_counter() < wait_until and not all(week in p.seen for p in people):
                time.sleep(0.01)
            updated = [p.seen[week] - t0 for p in people if week in p.seen]
            rows.append(
                (r, decide, refused, answered, answer["seconds"], max(updated), statistics.median(updated))
            )
        for p in people:
            p.stop = True
        print()
        print("round  decide (s)  refused  answer (s)  simulate (s)  all updated (s)  median updated (s)")
        for r, decide, refused, answered, sim_s, slowest, median in rows:
            print(
                f"{r:5d}  {decide:10.3f}  {refused:7d}  {answered:10.3f}  {sim_s:12.3f}  "
                f"{slowest:15.3f}  {median:18.3f}"
            )
        if reasons:
            print("refused decisions, by reason:")
            for reason, n in reasons.most_common():
                print(f"  {n:3d}  {reason}")
        worst = max(row[5] for row in rows)
        print()
        print(
            f"slowest round: every participant had the new week {worst:.3f} s after the facilitator's click "
            f"(goal: within 2 s); load average {os.getloadavg()[0]:.1f} at the end"
        )
        http(f"{base}/api/end", {}, fac)
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 300:
            _, v = http(f"{base}/api/room", headers=fac)
            if v["debrief"].get("status") in ("done", "failed"):
                break
            time.sleep(0.5)
        took = time.perf_counter() - t0
        print(f"debrief ({v['debrief'].get('status')}): replays, tables, figures and report in {took:.1f} s")
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
