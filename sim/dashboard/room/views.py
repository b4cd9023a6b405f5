"""What the workshop's views show, as plain dicts: the leaderboard, a participant's business, the charts.

Every figure is read from the model's weekly recorder (docs/ODD.md section 7.9) and carries its
unit in the label the page prints: cash in currency at the end of the week; active customers
(bought within the business's churn window); the promoter score (share of active customers who
are promoters minus the share who are detractors, -100 to 100); revenue in currency per week, the
mean over the last round's weeks. :class:`Snapshot` computes the shared part once per change of
the room (its ``version``), so forty participants polling cost forty dict look-ups, not forty
passes over the town.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from sim.core.measures import CHANNELS
from sim.core.model import CommunityModel
from sim.dashboard.room.drawing import GROUP_LABELS, charts_svg, town_svg
from sim.dashboard.room.levers import (
    decision_from_strategy,
    hours_asked,
    levers_table,
    weekly_spend,
)
from sim.dashboard.room.room import DECIDING, RUNNING, SHOCK_KINDS, Room

CHART_MEASURES = (
    ("cash", "Cash per business (currency)", "mean over each group's open businesses"),
    ("customers_active", "Active customers per business", "mean over each group's businesses"),
    ("revenue", "Revenue per business (currency a week)", "mean over each group's businesses"),
)
"""The facilitator's charts: (recorder column, title with unit, aggregation)."""


def _num(x: float, digits: int = 0) -> float | None:
    """A JSON-safe number (None for NaN)."""
    x = float(x)
    return None if not math.isfinite(x) else round(x, digits) if digits else round(x)


def business_figures(model: CommunityModel, b: int, since_week: int) -> dict[str, Any]:
    """Business ``b`` now, and over the weeks after ``since_week`` (the last round's).

    ``cash`` (currency), ``customers`` (active), ``promoter_score`` (-100 to 100, None without
    active customers), ``revenue_per_week`` (currency per week, mean over the weeks since
    ``since_week``), ``profit`` (currency, summed over them), ``new_customers`` (summed, and by
    channel), ``price`` (currency per purchase), ``open``.
    """
    data, t = model.recorder.data, model.recorder.rows
    lo = min(max(since_week, 0), t)
    closed = bool(model.closed_week[b] >= 0)
    status = "closed" if closed else "open" if model.alive[b] else f"opens in week {int(model.opens[b])}"
    out: dict[str, Any] = {
        "cash": _num(model.cash[b]),
        "customers": int(data["customers_active"][t - 1, b]) if t else 0,
        "promoter_score": _num(data["promoter_score"][t - 1, b], 1) if t else None,
        "revenue_per_week": _num(data["revenue"][lo:t, b].mean()) if t > lo else 0,
        "profit": _num(data["profit"][lo:t, b].sum()) if t > lo else 0,
        "new_customers": int(data["new_customers"][lo:t, b].sum()) if t > lo else 0,
        "new_by_channel": {
            ch: int(data[f"new_from_{ch}"][lo:t, b].sum()) if t > lo else 0 for ch in CHANNELS
        },
        "price": _num(model.price[b], 2),
        "open": not closed,
        "status": status,
        "owner_hours": _num(data["owner_hours"][t - 1, b], 1) if t else 0,
    }
    return out


def figures_at(model: CommunityModel, b: int, week: int) -> dict[str, Any]:
    """Cash, active customers and promoter score of business ``b`` at the end of ``week`` (0: the start)."""
    data = model.recorder.data
    if week <= 0:  # the opening cash: after week 1, its cash less its profit
        cash = data["cash"][0, b] - data["profit"][0, b] if model.recorder.rows else model.cash[b]
        return {"cash": _num(cash), "customers": 0, "promoter_score": None}
    return {
        "cash": _num(data["cash"][week - 1, b]),
        "customers": int(data["customers_active"][week - 1, b]),
        "promoter_score": _num(data["promoter_score"][week - 1, b], 1),
    }


def levers_in_force(room: Room, b: int) -> dict[str, Any]:
    """The levers business ``b`` follows now, in the page's units."""
    return decision_from_strategy(room.model.business_strategy[b], room.levers).to_dict()


def runner(room: Room, b: int) -> str:
    """Who runs business ``b``: a participant's name, or ``built-in`` (its strategy from the scenario)."""
    token = room.by_business.get(b)
    if token is not None:
        return room.participants[token].name
    return "built-in"


def round_start(room: Room) -> int:
    """The week the last round started after (0 before the first round)."""
    return room.rounds[-1].first_week - 1 if room.rounds else 0


def leaderboard(room: Room) -> list[dict[str, Any]]:
    """One row per business that has opened: who runs it, its levers, cash, customers, score, open.

    Sorted by cash (currency, highest first), open businesses before closed ones.
    """
    m = room.model
    since = round_start(room)
    rows = []
    for b in range(m.n_businesses):
        if b >= room.n_joinable and not m.alive[b] and m.closed_week[b] < 0:
            continue  # a chain store that has not opened yet
        f = business_figures(m, b, since)
        token = room.by_business.get(b)
        p = room.participants.get(token) if token else None
        rows.append(
            {
                "business": m.business_name[b],
                "category": m.category_names[m.business_category[b]],
                "runner": runner(room, b),
                "participant": p is not None,
                "decided": bool(p and p.decided_round == room.next_round and room.phase == DECIDING),
                "strategy": m.business_strategy[b].name,
                "levers": levers_in_force(room, b),
                **{
                    k: f[k]
                    for k in ("cash", "customers", "promoter_score", "revenue_per_week", "open", "status")
                },
            }
        )
    rows.sort(key=lambda r: (not r["open"], -(r["cash"] or 0)))
    for i, r in enumerate(rows):
        r["rank"] = i + 1
    return rows


def group_series(model: CommunityModel) -> dict[str, Any]:
    """The charts' series: per measure of :data:`CHART_MEASURES`, per strategy group, one value a week."""
    data, t = model.recorder.data, model.recorder.rows
    names = np.array(model.strategy_names())
    weeks = list(range(1, t + 1))
    out: dict[str, Any] = {"weeks": weeks, "measures": []}
    for column, title, aggregation in CHART_MEASURES:
        series = {}
        for group in dict.fromkeys(names.tolist()):
            cols = names == group
            vals = data[column][:t, cols]
            if column == "cash":
                opened = (np.arange(1, t + 1)[:, None] >= model.opens[cols][None, :]) & (
                    data["alive"][:t, cols] > 0
                )
                with np.errstate(invalid="ignore"):
                    v = np.where(opened, vals, np.nan)
                    mean = np.nanmean(np.where(opened.any(axis=1)[:, None], v, 0.0), axis=1)
            else:
                mean = vals.mean(axis=1) if t else np.zeros(0)
            series[GROUP_LABELS.get(group, group)] = [_num(x) for x in mean]
        out["measures"].append(
            {"column": column, "title": title, "aggregation": aggregation, "series": series}
        )
    return out


class Snapshot:
    """The room's views, rebuilt when the room's version changes (one rebuild serves every browser)."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.version = -1
        self.shared: dict[str, Any] = {}
        self.board: list[dict[str, Any]] = []
        self.extra: dict[str, Any] = {}

    def refresh(self) -> None:
        """Rebuild the shared views if the room changed since the last rebuild."""
        room = self.room
        if self.version == room.version:
            return
        with room.lock:
            m = room.model
            self.shared = {
                "version": room.version,
                "phase": room.phase,
                "round": room.next_round,
                "rounds_done": len(room.rounds),
                "week": m.week,
                "horizon": room.horizon,
                "weeks_per_round": room.weeks_per_round,
                "joining_open": room.joining_open,
                "participants": len(room.participants),
                "capacity": len(room.order),
                "timer_ends": room.timer_ends,
                "demand": _num(100 * m.demand_index),
            }
            self.board = leaderboard(room)
            self.extra = {}
            self.version = room.version

    def common(self) -> dict[str, Any]:
        """Phase, round, week, timer (seconds left, counted now)."""
        out = dict(self.shared)
        ends = out.pop("timer_ends")
        out["timer_left"] = None if ends is None else max(0, round(ends - time.time()))
        return out

    def facilitator(self) -> dict[str, Any]:
        """The facilitator's view (without the drawings, see :meth:`drawings`)."""
        self.refresh()
        room = self.room
        with room.lock:
            return {
                **self.common(),
                "leaderboard": self.board,
                "messages": list(room.messages),
                "shock_kinds": list(SHOCK_KINDS),
                "categories": list(dict.fromkeys(room.model.category_names)),
                "businesses": list(room.model.business_name[: room.n_joinable]),
                "debrief": dict(room.debrief),
            }

    def drawings(self) -> dict[str, Any]:
        """The town view and the charts as SVG (made once per change, only when asked for)."""
        self.refresh()
        if "town" not in self.extra:
            with self.room.lock:
                self.extra = {
                    "version": self.version,
                    "town": town_svg(self.room),
                    "charts": charts_svg(group_series(self.room.model)),
                }
        return self.extra

    def participant(self, token: str) -> dict[str, Any]:
        """A participant's view: their business now, what changed since the last round, their levers."""
        self.refresh()
        room = self.room
        with room.lock:
            p = room.participant(token)
            m, b = room.model, p.business
            since = round_start(room)
            now = business_figures(m, b, since)
            before = figures_at(m, b, since)
            change = {
                k: None if now[k] is None or before[k] is None else round(now[k] - before[k], 1)
                for k in ("cash", "customers", "promoter_score")
            }
            hours = hours_asked(m, b, p.decision)
            rank = next((r["rank"] for r in self.board if r["business"] == m.business_name[b]), None)
            history = [
                {
                    "round": r.number,
                    "weeks": f"{r.first_week}-{r.last_week}",
                    **figures_at(m, b, r.last_week),
                    "levers": r.decisions.get(b),
                }
                for r in room.rounds
            ]
            return {
                **self.common(),
                "name": p.name,
                "business": m.business_name[b],
                "category": m.category_names[m.business_category[b]],
                "built_in": room.built_in[b].name,
                "now": now,
                "change": change,
                "rank": rank,
                "of": len(self.board),
                "decision": p.decision.to_dict(),
                "decided": p.decided_round == room.next_round and room.phase == DECIDING,
                "in_force": levers_in_force(room, b),
                "hours": {k: round(v, 1) for k, v in hours.items()},
                "weekly_spend": round(weekly_spend(m, p.decision, hours["total"]), 1),
                "can_spend": _num(m.cash[b] + m.credit_line[b]),
                "levers": levers_table(room.levers),
                "locked": room.phase == RUNNING,
                "history": history,
                "debrief": room.debrief.get("participants", {}).get(m.business_name[b]),
            }
