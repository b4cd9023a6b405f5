"""The workshop's debrief: counterfactual replays of the session and a results folder like ``commsim run``'s.

A session is replayed from its log (:attr:`~sim.dashboard.room.room.Room.events`): the same town
on the same seed, with every shock added at the week it was added and every participant's
strategy taking effect at the week it did, reproduces the session exactly (the tests check it,
table for table). Two counterfactual replays change one thing: wherever a participant's strategy
took effect, the business follows the town's built-in ``transactional`` strategy instead, and then
the ``community`` one: on common random numbers the comparison is paired and exact, a
counterfactual rather than a proxy. Everything else, the businesses nobody ran included, is as played.

The folder (``results/workshop-<scenario>-<UTC time>/`` unless the command was given ``--out``)
is what :func:`sim.outputs.results_folder.write_results` writes for ``commsim run``, with the three
runs as arms ``as_played``, ``all_transactional`` and ``all_community`` (``timeseries``,
``strategy_timeseries``, ``summary.csv``, ``cohorts``, ``scenario.toml``, ``figures/``,
``report.html``, ``manifest.json``), plus:

* ``decisions.csv``: one row per round x participant's business, the levers in force that round;
* ``businesses.csv``: one row per business x week as played, who ran it and the levers in force,
  its measures, and its cash and active customers in the two counterfactuals;
* ``debrief.csv`` and ``debrief.html``: each participant's business at the end in the three runs;
* ``workshop.json``: the rounds, the participants and their businesses, the shocks, and the town,
  seed and events that :func:`replay_folder` (``commsim run FOLDER``) replays the three runs from.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.scenario import NAME_MAX, Scenario, scenario_from_dict
from sim.core.model import CommunityModel
from sim.core.shocks import shock_from_dict
from sim.core.strategies import Strategy, built_in
from sim.dashboard.room.levers import PARTICIPANT
from sim.dashboard.room.room import Event, Room
from sim.outputs.storage import new_results_dir, utc_now, write_csv, write_json, write_text
from sim.runs.runner import Results, cohort_table, strategy_table, summary_table

ARMS = ("as_played", "all_transactional", "all_community")
"""The debrief's three runs: the session, and its two counterfactuals."""
MEASURES = (
    ("cash", "cash at the end (currency)"),
    ("customers_active", "active customers at the end"),
    ("promoter_score", "promoter score at the end (-100 to 100)"),
    ("revenue", "revenue over the session (currency, summed over the weeks)"),
    ("alive", "still open at the end (1 yes, 0 no)"),
)
"""What the debrief compares for each participant's business, with units and aggregation."""


def replay(
    town: Scenario,
    seed: int,
    weeks: int,
    events: list[Event],
    swap: Callable[[Event], Strategy] | None = None,
) -> CommunityModel:
    """The session again: the town on ``seed``, ``events`` applied at their weeks, ``weeks`` weeks.

    ``swap(event)`` gives the strategy to use where a participant's took effect (default: theirs).
    """
    model = CommunityModel(town, seed=seed)
    by_week: dict[int, list[Event]] = {}
    for ev in events:
        by_week.setdefault(ev.week, []).append(ev)
    for week in range(weeks + 1):
        for ev in by_week.get(week, []):
            if ev.kind == "shock":
                model.add_shock(shock_from_dict(copy.deepcopy(ev.shock)))
            else:
                model.business_strategy[ev.business] = swap(ev) if swap else ev.strategy  # type: ignore[assignment]
        if week < weeks:
            model.step()
    return model


def counterfactual(room: Room, strategy: str) -> CommunityModel:
    """The session with every participant's business on the town's built-in ``strategy``."""
    return _counterfactual(room.town, room.seed, room.week, room.events, room.model, strategy)


def _counterfactual(
    town: Scenario, seed: int, weeks: int, events: list[Event], played: CommunityModel, strategy: str
) -> CommunityModel:
    base = played.strategy_objects.get(strategy) or built_in(strategy)
    as_participant = base.with_changes(name=PARTICIPANT)  # same group label as the session
    return replay(town, seed, weeks, events, lambda ev: as_participant)


def played_scenario(town: Scenario, weeks: int, events: list[Event]) -> Scenario:
    """The town as played: the scenario's weeks cut to the session's, the shocks added live scheduled."""
    raw = copy.deepcopy(town.data)
    raw["run"]["steps"] = max(weeks, 1)
    raw["run"]["replications"] = 1
    raw["run"]["name"] = f"workshop-{raw['run']['name']}"[:NAME_MAX]
    raw["arms"] = []
    raw["shocks"] = raw["shocks"] + [
        copy.deepcopy(ev.shock) for ev in events if ev.kind == "shock" and ev.shock["start"] <= weeks
    ]
    return scenario_from_dict(raw, town.source)


def _tagged(df: pd.DataFrame, arm: str, seed: int) -> pd.DataFrame:
    df.insert(0, "seed", seed)
    df.insert(0, "replication", 0)
    df.insert(0, "arm", arm)
    df.insert(0, "run_id", f"{arm}-r0")
    return df


def debrief_results(room: Room) -> tuple[Results, dict[str, CommunityModel]]:
    """The session and its two counterfactuals as :class:`~sim.runs.runner.Results` (arms :data:`ARMS`)."""
    return session_results(room.town, room.seed, room.week, room.events, room.model)


def session_results(
    town: Scenario, seed: int, weeks: int, events: list[Event], played: CommunityModel | None = None
) -> tuple[Results, dict[str, CommunityModel]]:
    """A session (``played``, or its replay from ``events``) and its two counterfactuals as Results."""
    played = played if played is not None else replay(town, seed, weeks, events)
    models = {
        "as_played": played,
        "all_transactional": _counterfactual(town, seed, weeks, events, played, "transactional"),
        "all_community": _counterfactual(town, seed, weeks, events, played, "community"),
    }
    tables = [_tagged(m.recorder.table(), arm, seed) for arm, m in models.items()]
    cohorts = [_tagged(cohort_table(m), arm, seed) for arm, m in models.items()]
    ts = pd.concat(tables, ignore_index=True)
    strat = strategy_table(ts)
    results = Results(
        ts,
        strat,
        summary_table(strat),
        played_scenario(town, weeks, events),
        [seed],
        pd.concat(cohorts, ignore_index=True),
    )
    return results, models


def event_record(ev: Event) -> dict[str, Any]:
    """An event as plain data for ``workshop.json`` (a strategy by its parameters)."""
    out: dict[str, Any] = {"week": ev.week, "kind": ev.kind}
    if ev.kind == "shock":
        out["shock"] = copy.deepcopy(ev.shock)
    else:
        out["business"] = ev.business
        out["strategy"] = ev.strategy.to_dict() if ev.strategy is not None else None
    return out


def event_from_record(raw: dict[str, Any]) -> Event:
    """The inverse of :func:`event_record`."""
    if raw["kind"] == "shock":
        return Event(int(raw["week"]), "shock", shock=copy.deepcopy(raw["shock"]))
    return Event(
        int(raw["week"]), "strategy", business=int(raw["business"]), strategy=Strategy(**raw["strategy"])
    )


def replay_folder(folder: str | Path) -> Results | None:
    """A debrief folder's three runs again, from the town, seed and events its ``workshop.json`` holds.

    None when the folder was written before the events were saved. Raises ``OSError`` when it
    holds no ``workshop.json``, ``ValueError`` (or ``KeyError``/``TypeError``) when that is damaged.
    """
    import json

    path = Path(folder) / "workshop.json"
    info = json.loads(path.read_text(encoding="utf-8"))
    if "events" not in info or "town" not in info:
        return None
    town = scenario_from_dict(info["town"], str(path))
    events = [event_from_record(e) for e in info["events"]]
    results, _ = session_results(town, int(info["seed"]), int(info["weeks"]), events)
    return results


def decisions_table(room: Room) -> pd.DataFrame:
    """One row per round x participant's business: the levers in force and the business at the round's end."""
    m = room.model
    data = m.recorder.data
    rows = []
    for r in room.rounds:
        for b, d in r.decisions.items():
            t = r.last_week - 1
            rows.append(
                {
                    "round": r.number,
                    "first_week": r.first_week,
                    "last_week": r.last_week,
                    "business": m.business_name[b],
                    "category": m.category_names[m.business_category[b]],
                    **d,
                    "cash_at_round_end": float(data["cash"][t, b]),
                    "customers_active_at_round_end": int(data["customers_active"][t, b]),
                    "promoter_score_at_round_end": float(data["promoter_score"][t, b]),
                }
            )
    return pd.DataFrame(rows)


def businesses_table(room: Room, results: Results) -> pd.DataFrame:
    """One row per business x week as played: who ran it, the levers in force, and the counterfactuals."""
    ts = results.timeseries
    played = ts[ts["arm"] == "as_played"].copy()
    keep = ["step", "business_id", "business", "category", "strategy", "alive", "cash", "customers_active"]
    keep += ["revenue", "profit", "promoter_score", "new_customers"]
    out = played[keep].reset_index(drop=True)
    for arm in ARMS[1:]:
        other = ts[ts["arm"] == arm].set_index(["step", "business_id"])
        idx = pd.MultiIndex.from_frame(out[["step", "business_id"]])
        for col in ("cash", "customers_active"):
            out[f"{col}_if_{arm.removeprefix('all_')}"] = other[col].reindex(idx).to_numpy()
    week_round = {w: r for r in room.rounds for w in range(r.first_week, r.last_week + 1)}
    out.insert(1, "round", out["step"].map(lambda w: week_round[w].number))
    lever_rows = [
        week_round[int(w)].decisions.get(int(b), {})
        for w, b in zip(out["step"], out["business_id"], strict=True)
    ]
    levers = pd.DataFrame(lever_rows, index=out.index)
    if "participant" not in levers:
        levers["participant"] = None
    return pd.concat([out, levers], axis=1)


def comparison(room: Room, models: dict[str, CommunityModel]) -> pd.DataFrame:
    """Each participant's business at the end of the session in the three runs (:data:`MEASURES`)."""
    rows = []
    for p in room.participants.values():
        b = p.business
        row: dict[str, Any] = {
            "participant": p.name,
            "business": room.model.business_name[b],
            "category": room.model.category_names[room.model.business_category[b]],
            "built_in": room.built_in[b].name,
        }
        for arm, m in models.items():
            data, t = m.recorder.data, m.recorder.rows
            for col, _ in MEASURES:
                v = data[col][:t, b].sum() if col == "revenue" else data[col][t - 1, b]
                row[f"{col}_{arm}"] = float(v)
        rows.append(row)
    return pd.DataFrame(rows)


def debrief_html(room: Room, table: pd.DataFrame) -> str:
    """A one-page summary: each participant's business in the three runs, and the totals."""
    head = "".join(f"<th>{html.escape(a.replace('_', ' '))}</th>" for a in ARMS)
    parts = [
        "<!doctype html><meta charset='utf-8'><title>commsim workshop debrief</title>",
        "<style>body{font:16px sans-serif;margin:24px}td,th{padding:4px 10px;border-bottom:1px solid #ddd;"
        "text-align:right}td:first-child,th:first-child{text-align:left}</style>",
        f"<h1>Workshop debrief: {html.escape(room.town.name)}</h1>",
        f"<p>{len(room.rounds)} rounds, {room.week} weeks, {len(room.participants)} participants. "
        "The same town on the same seed, replayed with every participant's business on the built-in "
        "transactional strategy and then on the community one (see report.html for every figure).</p>",
    ]
    for col, label in MEASURES:
        parts.append(f"<h2>{html.escape(label)}</h2><table><tr><th>participant (business)</th>{head}</tr>")
        for _, r in table.iterrows():
            cells = "".join(f"<td>{r[f'{col}_{a}']:,.0f}</td>" for a in ARMS)
            who = f"{r['participant']} ({r['business']})"
            parts.append(f"<tr><td>{html.escape(who)}</td>{cells}</tr>")
        agg = "mean" if col == "promoter_score" else "sum"
        total = "".join(f"<td>{getattr(table[f'{col}_{a}'], agg)():,.0f}</td>" for a in ARMS)
        parts.append(f"<tr><th>all ({agg})</th>{total}</tr></table>")
    return "\n".join(parts)


def summary_for_views(room: Room, table: pd.DataFrame, folder: Path) -> dict[str, Any]:
    """What the pages show after the debrief: the folder, totals per run, each business's three runs."""
    totals = {
        arm: {
            "cash": round(float(table[f"cash_{arm}"].sum())),
            "customers_active": round(float(table[f"customers_active_{arm}"].sum())),
            "revenue": round(float(table[f"revenue_{arm}"].sum())),
            "open": int(table[f"alive_{arm}"].sum()),
        }
        for arm in ARMS
    }
    per_business = {
        r["business"]: {
            arm: {
                "cash": round(r[f"cash_{arm}"]),
                "customers_active": round(r[f"customers_active_{arm}"]),
                "revenue": round(r[f"revenue_{arm}"]),
                "open": bool(r[f"alive_{arm}"]),
            }
            for arm in ARMS
        }
        for _, r in table.iterrows()
    }
    return {"status": "done", "folder": str(folder), "totals": totals, "participants": per_business}


def write_debrief(room: Room, root: str | Path = "results", out: str | Path | None = None) -> Path:
    """Replay, compare and write the results folder; returns its path (and sets ``room.debrief``)."""
    from sim.outputs.results_folder import write_results

    with room.lock:
        results, models = debrief_results(room)
        decisions = decisions_table(room)
        table = comparison(room, models)
        info = {
            "weeks": room.week,
            "seed": room.seed,
            "rounds": [
                {"round": r.number, "first_week": r.first_week, "last_week": r.last_week, "shocks": r.shocks}
                for r in room.rounds
            ],
            "participants": [
                {
                    "name": p.name,
                    "business": room.model.business_name[p.business],
                    "joined_round": p.joined_round,
                }
                for p in room.participants.values()
            ],
            "note": "commsim run on this folder replays the session and its two counterfactuals from "
            "'town', 'seed' and 'events' (identical tables); scenario.toml alone is the town and "
            "its shocks with nobody playing",
            "town": copy.deepcopy(room.town.data),
            "events": [event_record(ev) for ev in room.events],
        }
    folder = new_results_dir(results.scenario.name, out, root)
    folder = write_results(results, folder, room.started).resolve()
    write_csv(folder / "decisions.csv", decisions)
    write_csv(folder / "businesses.csv", businesses_table(room, results))
    write_csv(folder / "debrief.csv", table)
    write_text(folder / "debrief.html", debrief_html(room, table))
    write_json(folder / "workshop.json", {**info, "written": utc_now()})
    with room.lock:
        room.debrief = summary_for_views(room, table, folder)
        room.changed()
    return folder
