"""The shared town: one :class:`~sim.core.model.CommunityModel`, its participants, rounds and shocks.

A :class:`Room` is what every browser of a workshop looks at. Participants join with a name and get
a business (:meth:`Room.join`); between rounds each sets their business's levers
(:meth:`Room.decide`); the facilitator runs the next round of N weeks (:meth:`Room.run_round`),
adds shocks (:meth:`Room.add_shock`), opens and closes joining and ends the session. Decisions are
locked while a round runs. A business nobody runs follows its strategy from the scenario.

Everything that changes the town is written to :attr:`Room.events` with the week it happened in
(a participant's strategy taking effect, a shock added), so the session can be replayed exactly on
the same seed, and replayed with other strategies for the debrief (:mod:`.debrief`). One lock
guards the room; every change bumps :attr:`Room.version`, which the views' caches and the
browsers' long polls follow.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sim.config.parameters import PARAMETERS
from sim.config.scenario import Scenario
from sim.core.model import CommunityModel
from sim.core.shocks import SHOCK_TYPES, Shock, shock_from_dict
from sim.core.strategies import Strategy
from sim.dashboard.room.levers import (
    Decision,
    DecisionError,
    check_affordable,
    decision_from_strategy,
    levers_for,
    parse_decision,
    to_strategy,
)
from sim.outputs.storage import utc_now
from sim.runs.runner import replication_seeds

NAME_LIMIT = 24
"""Characters a participant's name may have."""
MAX_ROUND_WEEKS = 26
"""Weeks one round may run."""
SHOCK_KINDS = ("recession", "cost_spike", "lockdown", "chain_store", "viral_bad_review")
"""The shocks the facilitator can add, in the order the page lists them."""
SHOCK_SIZE = {
    "recession": "depth",
    "cost_spike": "size",
    "lockdown": "demand_drop",
    "viral_bad_review": "trust_loss",
}
"""The field each shock's "depth" sets (a share, 0-1); a chain store has none."""

DECIDING, RUNNING, ENDED = "deciding", "running", "ended"
"""The room's phases: between rounds (decisions open), a round running, the session over."""


class RoomError(ValueError):
    """A request the room refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Participant:
    """Someone in the room who runs a business."""

    token: str
    name: str
    business: int
    joined_round: int
    decision: Decision
    decided_round: int = 0
    """The round the last decision was sent for (0: none sent yet; the inherited levers apply)."""


@dataclass
class Event:
    """Something that changed the town, before week ``week + 1`` was simulated."""

    week: int
    kind: str  # "strategy" or "shock"
    business: int = -1
    strategy: Strategy | None = None
    shock: dict[str, Any] = field(default_factory=dict)


@dataclass
class RoundRecord:
    """One round: its weeks and the decision in force for each participant's business."""

    number: int
    first_week: int
    last_week: int
    decisions: dict[int, dict[str, Any]]
    shocks: list[dict[str, Any]]


def clean_name(raw: Any) -> str:
    """A participant's name: 1 to :data:`NAME_LIMIT` printable characters starting with a letter or digit.

    A name that starts with ``=``, ``+``, ``-`` or ``@`` is refused so that no spreadsheet reads the
    debrief tables' names as formulas.
    """
    if not isinstance(raw, str):
        raise RoomError("a name is text", 422)
    name = " ".join(raw.split())
    if not name:
        raise RoomError("type a name to join", 422)
    if len(name) > NAME_LIMIT:
        raise RoomError(f"a name has at most {NAME_LIMIT} characters", 422)
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise RoomError("a name may not contain control characters", 422)
    if not name[0].isalnum():
        raise RoomError("a name starts with a letter or a digit", 422)
    return name


def join_order(model: CommunityModel, n: int) -> list[int]:
    """The order businesses are handed out: the first of each category, then the second, ...

    Only the scenario's first ``n`` businesses (not chain stores) can be run by a participant.
    """
    rank: dict[int, int] = {}
    ranked = []
    for b in range(n):
        if model.business_strategy[b].name == "chain":
            continue
        k = int(model.business_category[b])
        ranked.append((rank.get(k, 0), b))
        rank[k] = rank.get(k, 0) + 1
    return [b for _, b in sorted(ranked)]


class Room:
    """One shared town and the people in it.

    Args:
        town: the scenario of the town (validated; its ``run.steps`` is the last week a round may reach).
        weeks_per_round: weeks the next round runs unless the facilitator says otherwise.
        money_scale: factor the town's money amounts were scaled by
            (:func:`sim.dashboard.workshop_town.scale_money`).
    """

    def __init__(self, town: Scenario, weeks_per_round: int = 4, money_scale: float = 1.0) -> None:
        self.town = town
        self.money_scale = money_scale
        """Factor the town's money was scaled by (a chain store the facilitator opens is scaled too)."""
        self.seed = replication_seeds(int(town.data["run"]["seed"]), 1)[0]
        """The model's seed: the first replication seed of ``run.seed``, as ``commsim run`` would use."""
        self.model = CommunityModel(town, seed=self.seed)
        self.lock = threading.RLock()
        self.started = utc_now()
        self.key = secrets.token_urlsafe(12)
        """The facilitator's key (printed in the terminal)."""
        self.levers = levers_for(self.model)
        self.horizon = int(town.data["run"]["steps"])
        self.n_joinable = sum(int(g["count"]) for g in town.data["businesses"])
        self.order = join_order(self.model, self.n_joinable)
        self.built_in = list(self.model.business_strategy[: self.n_joinable])
        """Each business's strategy from the scenario (what it follows while nobody runs it)."""
        self.weeks_per_round = self.check_weeks(weeks_per_round)
        self.phase = DECIDING
        self.joining_open = True
        self.participants: dict[str, Participant] = {}
        self.by_business: dict[int, str] = {}
        self.events: list[Event] = []
        self.rounds: list[RoundRecord] = []
        self.pending_shocks: list[dict[str, Any]] = []
        self.timer_ends: float | None = None
        """Wall-clock time (seconds since the epoch) when the decision timer runs out, or None."""
        self.messages: list[str] = []
        self.debrief: dict[str, Any] = {}
        self.version = 0
        self._listeners: list[Any] = []

    # ------------------------------------------------------------------ bookkeeping
    def on_change(self, listener: Any) -> None:
        """Call ``listener()`` after every change (the server wakes its long polls with it)."""
        self._listeners.append(listener)

    def changed(self) -> None:
        """Bump the version and tell the listeners."""
        self.version += 1
        for listener in self._listeners:
            listener()

    def note(self, message: str) -> None:
        """A line for the facilitator's log (the last 8 are shown)."""
        self.messages = [*self.messages[-7:], message]

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.model.week

    @property
    def next_round(self) -> int:
        """Number of the round decisions are being made for (or that is running): rounds done + 1."""
        return len(self.rounds) + 1

    def check_weeks(self, weeks: Any) -> int:
        """A round's weeks: a whole number from 1 to :data:`MAX_ROUND_WEEKS`."""
        if isinstance(weeks, bool) or not isinstance(weeks, int | float | str):
            raise RoomError("weeks per round: a whole number of weeks", 422)
        try:
            w = float(weeks)
        except ValueError:
            raise RoomError(f"weeks per round: {str(weeks)[:20]!r} is not a number", 422) from None
        if not w.is_integer() or not 1 <= w <= MAX_ROUND_WEEKS:
            raise RoomError(f"weeks per round: a whole number from 1 to {MAX_ROUND_WEEKS}", 422)
        return int(w)

    def participant(self, token: Any) -> Participant:
        """The participant holding ``token``; a 403 for anything else."""
        if not isinstance(token, str) or token not in self.participants:
            raise RoomError("not a participant of this workshop: join first", 403)
        return self.participants[token]

    # ------------------------------------------------------------------ participants
    def join(self, raw_name: Any) -> Participant:
        """Give a new participant a business; refuses once joining is closed or every business is taken."""
        name = clean_name(raw_name)
        with self.lock:
            if self.phase == ENDED:
                raise RoomError("the workshop has ended")
            if not self.joining_open:
                raise RoomError("joining is closed: ask the facilitator to open it")
            if any(p.name.casefold() == name.casefold() for p in self.participants.values()):
                raise RoomError(f"{name!r} is taken: add an initial", 422)
            free = [b for b in self.order if b not in self.by_business and self.model.closed_week[b] < 0]
            if not free:
                raise RoomError(f"every business is taken ({len(self.by_business)} participants)")
            b = free[0]
            token = secrets.token_urlsafe(18)
            p = Participant(
                token=token,
                name=name,
                business=b,
                joined_round=self.next_round,
                decision=decision_from_strategy(self.model.business_strategy[b], self.levers),
            )
            self.participants[token] = p
            self.by_business[b] = token
            self.note(f"{name} joined and runs {self.model.business_name[b]}")
            self.changed()
            return p

    def decide(self, token: Any, raw: Any) -> Decision:
        """Set a participant's levers for the next round; only their own business, only between rounds.

        ``raw`` may name the business (``"business"``: its name); naming another one is refused (403).
        """
        with self.lock:
            p = self.participant(token)
            if isinstance(raw, dict) and "business" in raw:
                raw = dict(raw)
                named = raw.pop("business")
                if named != self.model.business_name[p.business]:
                    raise RoomError("you can change only your own business", 403)
            if self.phase == RUNNING:
                raise RoomError(f"decisions are locked while round {self.next_round} runs")
            if self.phase == ENDED:
                raise RoomError("the workshop has ended")
            if self.model.closed_week[p.business] >= 0:
                raise RoomError("your business has closed: you can watch how the town goes on")
            try:
                decision = parse_decision(raw, self.levers, p.decision)
                check_affordable(self.model, p.business, decision, self.weeks_per_round)
            except DecisionError as exc:
                raise RoomError(str(exc), 422) from None
            p.decision = decision
            p.decided_round = self.next_round
            self.changed()
            return decision

    # ------------------------------------------------------------------ facilitator
    def check_key(self, key: Any) -> None:
        """Refuse (403) a facilitator action without the key."""
        if not isinstance(key, str) or not secrets.compare_digest(key.encode(), self.key.encode()):
            raise RoomError("facilitator actions need the key printed in the terminal", 403)

    def set_joining(self, is_open: Any) -> None:
        """Open or close joining."""
        if not isinstance(is_open, bool):
            raise RoomError("joining: open is true or false", 422)
        with self.lock:
            self.joining_open = is_open
            self.note("joining opened" if is_open else "joining closed")
            self.changed()

    def set_timer(self, seconds: Any) -> None:
        """Start a countdown for the decisions (0 or None cancels); the next round starts when it ends."""
        if seconds is None or seconds == 0:
            with self.lock:
                self.timer_ends = None
                self.changed()
            return
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 10 <= seconds <= 1800:
            raise RoomError("round timer: from 10 to 1800 seconds (0 cancels)", 422)
        with self.lock:
            if self.phase != DECIDING:
                raise RoomError("the timer counts down the decisions between rounds")
            self.timer_ends = time.time() + float(seconds)
            self.note(f"timer: {float(seconds):.0f} s to decide")
            self.changed()

    def start_round(self, weeks: Any = None) -> int:
        """Lock decisions for a round of ``weeks`` (default: the weeks per round); returns the weeks.

        The round itself is simulated by :meth:`finish_round` (the server runs it off its event loop).
        """
        with self.lock:
            w = self.weeks_per_round if weeks is None else self.check_weeks(weeks)
            if self.phase == RUNNING:
                raise RoomError("a round is already running")
            if self.phase == ENDED:
                raise RoomError("the workshop has ended")
            if self.week >= self.horizon:
                raise RoomError(f"the town has reached its last week ({self.horizon}): end and debrief")
            w = min(w, self.horizon - self.week)
            self.weeks_per_round = w
            self.phase = RUNNING
            self.timer_ends = None
            self.changed()
            return w

    def finish_round(self, weeks: int) -> RoundRecord:
        """Apply every participant's decision, simulate ``weeks`` weeks, and reopen decisions."""
        with self.lock:
            try:
                decisions = {}
                start = self.week
                for p in self.participants.values():
                    b = p.business
                    if self.model.closed_week[b] >= 0:
                        continue  # closed: nothing left to run
                    strategy = to_strategy(self.built_in[b], p.decision, self.levers)
                    self.model.business_strategy[b] = strategy
                    self.events.append(Event(start, "strategy", business=b, strategy=strategy))
                    decisions[b] = {
                        "participant": p.name,
                        "decided": p.decided_round == self.next_round,
                        **p.decision.to_dict(),
                    }
                self.model.run(weeks)
                record = RoundRecord(self.next_round, start + 1, self.week, decisions, self.pending_shocks)
                self.rounds.append(record)
                self.pending_shocks = []
                self.note(f"round {record.number}: weeks {record.first_week}-{record.last_week}")
                return record
            finally:
                self.phase = DECIDING
                self.changed()

    def add_shock(self, raw: Any) -> dict[str, Any]:
        """Add a shock from the next simulated week: ``{"kind", "depth", "duration", "target"}``.

        ``depth`` is a share (0-1): a recession's demand lost, a cost spike's rise in costs, a
        lockdown's demand lost, a bad review's trust lost; ``duration`` is in weeks; ``target`` is
        the category a chain store opens in or the business a bad review hits. Sizes not given are
        the parameter table's defaults; every value is checked against the table's bounds.
        """
        if not isinstance(raw, dict):
            raise RoomError("a shock is a kind with a depth and a duration", 422)
        kind = raw.get("kind")
        if kind not in SHOCK_KINDS:
            raise RoomError(f"shock: kind is one of {', '.join(SHOCK_KINDS)}", 422)
        with self.lock:
            if self.phase != DECIDING:
                raise RoomError("shocks are added between rounds")
            table = shock_table(kind, self.week + 1, raw, self.model, self.money_scale)
            shock: Shock = shock_from_dict(table)
            self.model.add_shock(shock)
            record = shock.to_dict()
            self.events.append(Event(self.week, "shock", shock=copy.deepcopy(record)))
            self.pending_shocks.append(record)
            self.note(f"shock: {kind.replace('_', ' ')} from week {self.week + 1}")
            self.changed()
            return record

    def end(self) -> None:
        """End the session: no more rounds or decisions (the debrief is written next)."""
        with self.lock:
            if self.phase == RUNNING:
                raise RoomError("wait for the round to finish")
            if not self.rounds:
                raise RoomError("nothing to debrief yet: run at least one round")
            if self.phase == ENDED:
                raise RoomError("the workshop has already ended")
            self.phase = ENDED
            self.joining_open = False
            self.timer_ends = None
            self.note("the workshop has ended")
            self.changed()


def _share(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RoomError(f"shock {name}: a number from {low:g} to {high:g}", 422)
    v = float(value)
    if not low <= v <= high:
        raise RoomError(f"shock {name}: {v:g} is outside {low:g} to {high:g}", 422)
    return v


def shock_table(
    kind: str, start: int, raw: dict[str, Any], model: CommunityModel, money_scale: float = 1.0
) -> dict[str, Any]:
    """A ``[[shocks]]`` table for ``kind`` from the facilitator's depth, duration and target, checked.

    A chain store's ads and reserves are multiplied by ``money_scale`` (a town of scaled money gets
    a chain store of its size).
    """
    defaults = {
        k.rsplit(".", 1)[-1]: p.default
        for k, p in PARAMETERS.items()
        if k.startswith(f"shocks.{kind}.") and p.default is not None
    }
    fields = {f for f in SHOCK_TYPES[kind].__dataclass_fields__}
    table: dict[str, Any] = {k: v for k, v in defaults.items() if k in fields}
    table.update(kind=kind, start=start)
    dur = PARAMETERS["shocks.duration"]
    default_duration = {"recession": dur.default, "cost_spike": 13, "lockdown": 12, "chain_store": 0}
    duration = raw.get("duration", default_duration.get(kind, 1))
    table["duration"] = int(_share("duration (weeks)", duration, 0, 520))
    if kind in SHOCK_SIZE and raw.get("depth") is not None:
        size = SHOCK_SIZE[kind]
        p = PARAMETERS[f"shocks.{kind}.{size}"]
        table[size] = _share("depth", raw["depth"], max(p.low, 0.0), min(p.high, 1.0))
    target = raw.get("target")
    if kind == "chain_store":
        cats = list(model.category_names)
        if target is not None and target not in cats:
            raise RoomError(f"chain store: the category is one of {', '.join(cats)}", 422)
        table["category"] = target or cats[0]
        table["ad_budget"] *= money_scale
        table["cash"] *= money_scale
    if kind == "viral_bad_review":
        names = list(model.business_name)
        if target not in names:
            raise RoomError("bad review: choose a business of the town", 422)
        table["business"] = target
        table["duration"] = max(table["duration"], 1)
    return table
