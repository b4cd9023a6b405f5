"""Shocks: events on the economy's timeline, applied at the first stage of every week.

Each shock is an object with a start week and a duration that says, for any week, how it moves
the demand index and the cost index, whether it stops in-person community work, and what it does
once when it starts (a chain store opens, a bad review goes viral). Weeks are numbered as the
results' ``step`` column: the first simulated week is 1. A shock can write itself back to the
scenario's TOML form with :meth:`Shock.to_dict`, so a shock triggered live on the dashboard is
saved with the run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from mesa import Model


@dataclass
class Shock:
    """Base shock: active for weeks ``start`` .. ``start + duration - 1``.

    Attributes:
        start: first week of the shock (1-based, as ``step``).
        duration: weeks it lasts; 0 means for good where that makes sense.
    """

    kind: ClassVar[str] = "shock"
    start: int
    duration: int

    def active(self, week: int) -> bool:
        """Whether the shock is in force in ``week``."""
        return self.start <= week < self.start + self.duration or (self.duration == 0 and week >= self.start)

    def demand_factor(self, week: int) -> float:
        """Multiplier on demand in ``week`` (1: no effect)."""
        return 1.0

    def cost_factor(self, week: int) -> float:
        """Multiplier on goods and fixed costs in ``week`` (1: no effect)."""
        return 1.0

    def stops_engagement(self, week: int) -> bool:
        """Whether in-person community work is impossible in ``week``."""
        return False

    def on_start(self, model: Model) -> None:
        """What happens once, at the start week."""

    def to_dict(self) -> dict[str, Any]:
        """The shock as a ``[[shocks]]`` table."""
        return {"kind": self.kind, **asdict(self)}


def _ramp(week: int, start: int, duration: int, recovery: int, size: float) -> float:
    """Full ``size`` during the shock, then a straight-line return to 0 over ``recovery`` weeks."""
    end = start + duration
    if week < start:
        return 0.0
    if week < end:
        return size
    if recovery > 0 and week < end + recovery:
        return size * (1.0 - (week - end + 1) / (recovery + 1))
    return 0.0


@dataclass
class Recession(Shock):
    """Demand drops by ``depth`` for ``duration`` weeks, then recovers over ``recovery`` weeks."""

    kind: ClassVar[str] = "recession"
    depth: float = 0.25
    recovery: int = 13

    def demand_factor(self, week: int) -> float:  # noqa: D102
        return 1.0 - _ramp(week, self.start, self.duration, self.recovery, self.depth)


@dataclass
class CostSpike(Shock):
    """Goods and fixed costs rise by ``size`` for ``duration`` weeks, then ease over ``recovery``."""

    kind: ClassVar[str] = "cost_spike"
    size: float = 0.3
    recovery: int = 13

    def cost_factor(self, week: int) -> float:  # noqa: D102
        return 1.0 + _ramp(week, self.start, self.duration, self.recovery, self.size)


@dataclass
class Lockdown(Shock):
    """No in-person community work for ``duration`` weeks; demand may also drop."""

    kind: ClassVar[str] = "lockdown"
    demand_drop: float = 0.0

    def demand_factor(self, week: int) -> float:  # noqa: D102
        return 1.0 - self.demand_drop if self.active(week) else 1.0

    def stops_engagement(self, week: int) -> bool:  # noqa: D102
        return self.active(week)


@dataclass
class ChainStore(Shock):
    """A chain store opens in ``category``: low price, heavy ads, no community ties.

    With a duration above 0 it leaves again after that many weeks.
    """

    kind: ClassVar[str] = "chain_store"
    category: str = "cafe"
    price_factor: float = 0.8
    quality: float = 0.7
    ad_budget: float = 600.0
    cash: float = 1e7

    def on_start(self, model: Model) -> None:  # noqa: D102
        model.open_chain_store(self)


@dataclass
class ViralBadReview(Shock):
    """A bad review of one business spreads: a share ``reach`` of customers see it and lose trust."""

    kind: ClassVar[str] = "viral_bad_review"
    business: str = ""
    trust_loss: float = 0.5
    reach: float = 0.4

    def on_start(self, model: Model) -> None:  # noqa: D102
        model.bad_review(model.business_index(self.business), self.trust_loss, self.reach)


SHOCK_TYPES: dict[str, type[Shock]] = {
    cls.kind: cls for cls in (Recession, CostSpike, Lockdown, ChainStore, ViralBadReview)
}


def shock_from_dict(table: dict[str, Any]) -> Shock:
    """Build a shock from its (validated) ``[[shocks]]`` table."""
    fields = {k: v for k, v in table.items() if k != "kind"}
    return SHOCK_TYPES[table["kind"]](**fields)
