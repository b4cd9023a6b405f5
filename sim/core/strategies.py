"""Strategies: how an owner splits effort and money each week.

A strategy is a named set of parameters (see ``strategies.*`` in :mod:`sim.config.parameters`). The four
built-ins are the contrast the seed texts draw (``transactional`` against ``community``) and the
two failure modes they warn about (``inconsistent``: intense engagement, then disappearing;
``free_rider``: takes partner referrals, gives none back). Scenario files define more with
``[strategies.NAME]`` (``extends`` a built-in); Python users subclass :class:`Strategy` and
override :meth:`Strategy.engagement_intensity` or :meth:`Strategy.price`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sim.config.strategies import BUILT_IN, BUILT_IN_DESCRIPTIONS

__all__ = ["BUILT_IN", "BUILT_IN_DESCRIPTIONS", "STRATEGY_FIELDS", "Strategy", "built_in"]


@dataclass(frozen=True)
class Strategy:
    """A business's conduct, decided once a week.

    Attributes:
        name: the strategy's name, as it appears in results.
        ad_budget: paid advertising, currency per week.
        community_time: share of the owner's working time on community work (0-1), on average.
        personalisation: how well regulars are remembered (0-1); raises returning customers'
            satisfaction.
        partner_referrals: chance per customer served of sending them to a partner, at full
            partnership (0-1).
        seeks_partners: whether the business enters partnerships at all.
        price_factor: price relative to the category's usual price.
        downturn_discount: share of price cut while demand is below normal.
        engagement: ``steady`` or ``bursts`` (intense weeks, then disappearing).
        burst_weeks: bursts: weeks on.
        pause_weeks: bursts: weeks off after each burst.
        consistency_memory: weeks over which customers judge whether the business shows up.
    """

    name: str
    ad_budget: float = 0.0
    community_time: float = 0.0
    personalisation: float = 0.0
    partner_referrals: float = 0.0
    seeks_partners: bool = False
    price_factor: float = 1.0
    downturn_discount: float = 0.0
    engagement: str = "steady"
    burst_weeks: int = 8
    pause_weeks: int = 16
    consistency_memory: int = 12

    def engagement_intensity(self, week: int) -> float:
        """Community effort this week relative to the average ``community_time`` (>= 0).

        Steady engagement is 1 every week. Bursts put the same total time into fewer weeks:
        ``(burst + pause) / burst`` during a burst and 0 during a pause, so an inconsistent owner
        spends what a steady one spends, only badly timed.
        """
        if self.engagement == "bursts" and self.pause_weeks > 0:
            cycle = self.burst_weeks + self.pause_weeks
            return cycle / self.burst_weeks if week % cycle < self.burst_weeks else 0.0
        return 1.0

    def price(self, usual_price: float, demand_index: float) -> float:
        """Price charged this week, currency per purchase."""
        price = usual_price * self.price_factor
        if demand_index < 1.0:
            price *= 1.0 - self.downturn_discount
        return price

    def to_dict(self) -> dict[str, Any]:
        """Parameters as a plain dict (for manifests and TOML)."""
        return asdict(self)

    def with_changes(self, **changes: Any) -> Strategy:
        """A copy with some parameters changed (same class, so subclasses keep their rules)."""
        return replace(self, **changes)


STRATEGY_FIELDS = tuple(f.name for f in fields(Strategy) if f.name != "name")


def built_in(name: str) -> Strategy:
    """A built-in strategy by name."""
    return Strategy(name=name, **BUILT_IN[name])
