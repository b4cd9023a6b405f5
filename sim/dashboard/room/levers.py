"""The levers a participant sets each round, their bounds and units, and the checks on a decision.

A participant's decision is the five levers of docs/ODD.md section 7.2 in the units the page shows
(a weekly ad budget in currency, hours of community work a week, percentages for personal service,
referrals and price) plus whether the business takes part in partnerships. It becomes the business's
:class:`~sim.core.strategies.Strategy` (named ``participant``) from the next round on, so the
participant's business runs by exactly the rules every built-in strategy follows, paid for in money
and in the owner's hours (:mod:`sim.core.owner_time`).

Every value that arrives from a browser goes through :func:`parse_decision`: unknown fields, text
that is not a number, NaN, infinities and values out of bounds are refused with one sentence naming
the lever, its unit and its bounds (:class:`DecisionError`), and nothing is changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.core.model import CommunityModel
from sim.core.strategies import Strategy

PARTICIPANT = "participant"
"""Strategy name of a business a participant runs (its group in the results tables)."""

AD_CEILING = 4.0
"""A participant's weekly ad budget may be up to this many times the town's largest built-in ad budget."""


class DecisionError(ValueError):
    """A decision the page must refuse: the message says what and why, in the page's words."""


@dataclass(frozen=True)
class Lever:
    """One numeric lever: its page name, label, unit, bounds and the strategy field it sets.

    Attributes:
        name: key in the page's form and the JSON it sends.
        label: what the page calls it.
        unit: unit of the page's value.
        low: smallest value allowed (page units).
        high: largest value allowed (page units).
        field: the :class:`~sim.core.strategies.Strategy` field it sets.
        per: the page's value per unit of the field's (100 for a percentage, the owner's hours for
            community hours): field = page value / per, exact for the page's round values.
        step: the page's step.
    """

    name: str
    label: str
    unit: str
    low: float
    high: float
    field: str
    per: float
    step: float


@dataclass(frozen=True)
class Decision:
    """A participant's levers in the page's units (see :func:`levers_for`)."""

    ad_budget: float
    community_hours: float
    personalisation: float
    partner_referrals: float
    price: float
    seeks_partners: bool

    def to_dict(self) -> dict[str, Any]:
        """The decision as the page and the tables show it."""
        return {
            "ad_budget": self.ad_budget,
            "community_hours": self.community_hours,
            "personalisation": self.personalisation,
            "partner_referrals": self.partner_referrals,
            "price": self.price,
            "seeks_partners": self.seeks_partners,
        }


def levers_for(model: CommunityModel) -> tuple[Lever, ...]:
    """The numeric levers with the bounds of this town (its owner's hours, its ad budgets)."""
    hours = float(model.eco["owner_hours"])
    ads = [s.ad_budget for n, s in model.strategy_objects.items() if n != "chain"]
    ad_high = round(AD_CEILING * max([*ads, 1.0]), 2)
    return (
        Lever("ad_budget", "Weekly ad budget", "currency per week", 0.0, ad_high, "ad_budget", 1.0, 1.0),
        Lever(
            "community_hours",
            "Community work",
            "hours per week",
            0.0,
            hours,
            "community_time",
            hours,
            0.5,
        ),
        Lever(
            "personalisation",
            "Personal service (remember regulars)",
            "% (0 none, 100 fully)",
            0.0,
            100.0,
            "personalisation",
            100.0,
            5.0,
        ),
        Lever(
            "partner_referrals",
            "Refer customers to partners",
            "% of customers served",
            0.0,
            50.0,
            "partner_referrals",
            100.0,
            1.0,
        ),
        Lever("price", "Price", "% of the category's usual price", 50.0, 200.0, "price_factor", 100.0, 1.0),
    )


def decision_from_strategy(strategy: Strategy, levers: tuple[Lever, ...]) -> Decision:
    """A strategy's levers in the page's units (what a participant starts from), rounded to the steps."""
    values = {}
    for lever in levers:
        v = getattr(strategy, lever.field) * lever.per
        values[lever.name] = float(min(max(round(v, 4), lever.low), lever.high))
    return Decision(**values, seeks_partners=bool(strategy.seeks_partners))


def _number(lever: Lever, value: Any) -> float:
    """A finite number within the lever's bounds, from a JSON number or a numeric string."""
    shown = repr(value) if not isinstance(value, str) else repr(value[:20])
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DecisionError(f"{lever.label}: {shown} is not a number ({lever.unit})")
    try:
        v = float(value.strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise DecisionError(f"{lever.label}: {shown} is not a number ({lever.unit})") from None
    if not math.isfinite(v):
        raise DecisionError(f"{lever.label}: {shown} is not a finite number ({lever.unit})")
    if v < lever.low or v > lever.high:
        raise DecisionError(f"{lever.label}: {v:g} is outside {lever.low:g} to {lever.high:g} ({lever.unit})")
    return v


def parse_decision(raw: Any, levers: tuple[Lever, ...], previous: Decision) -> Decision:
    """A decision from what a browser sent: a dict of lever values; a missing lever keeps ``previous``.

    Raises:
        DecisionError: not an object, an unknown field, a value that is not a number (or, for
            ``seeks_partners``, not true or false), or a value out of the lever's bounds.
    """
    if not isinstance(raw, dict):
        raise DecisionError("a decision is a set of lever values")
    known = {lever.name: lever for lever in levers}
    unknown = [k for k in raw if k not in known and k != "seeks_partners"]
    if unknown:
        raise DecisionError(f"unknown lever {str(unknown[0])[:40]!r}")
    values = previous.to_dict()
    for name, value in raw.items():
        if name == "seeks_partners":
            if not isinstance(value, bool):
                raise DecisionError("Take part in partnerships: must be yes or no")
            values[name] = value
        else:
            values[name] = _number(known[name], value)
    return Decision(**values)


def to_strategy(base: Strategy, decision: Decision, levers: tuple[Lever, ...]) -> Strategy:
    """The business's strategy for a decision: ``base`` with the levers set, steady engagement.

    What the participant does not set (the price cut in a downturn, how long customers remember
    whether the business shows up) stays as ``base`` has it.
    """
    values = decision.to_dict()
    changes: dict[str, Any] = {lever.field: values[lever.name] / lever.per for lever in levers}
    changes["seeks_partners"] = decision.seeks_partners
    if not decision.seeks_partners:
        changes["partner_referrals"] = 0.0  # no partners, no one to refer to
    return base.with_changes(name=PARTICIPANT, engagement="steady", **changes)


def hours_asked(model: CommunityModel, b: int, decision: Decision) -> dict[str, float]:
    """Owner hours a week the decision asks of business ``b``, per lever, at last week's trade.

    The rules of :func:`sim.core.owner_time.plan`: community hours as set; personal service at
    ``personalisation_minutes`` per returning purchase (last week's); partnerships at
    ``partner_hours`` per active partner plus ``referral_minutes`` per customer referred (last week's
    purchases times the referral share). An estimate: the week's real figures may differ, and the
    model then scales every lever down by the same share.
    """
    eco = model.eco
    week_rows = model.recorder.rows
    purchases = float(model.recorder.data["purchases"][week_rows - 1, b]) if week_rows else 0.0
    returning = float(model.returning_purchases[b]) if len(model.returning_purchases) > b else 0.0
    personal = decision.personalisation / 100.0 * float(eco["personalisation_minutes"]) / 60.0 * returning
    partners = 0.0
    if decision.seeks_partners:
        active = model.partnerships.active_partners(model, open_only=True)
        n = float(active[b]) if len(active) > b else 0.0
        referred = decision.partner_referrals / 100.0 * purchases if n > 0 else 0.0
        partners = float(eco["partner_hours"]) * n + float(eco["referral_minutes"]) / 60.0 * referred
    out = {
        "community": decision.community_hours,
        "personal_service": personal,
        "partnerships": partners,
    }
    out["total"] = float(sum(out.values()))
    out["available"] = float(eco["owner_hours"])
    return out


def check_affordable(model: CommunityModel, b: int, decision: Decision, weeks: int) -> dict[str, float]:
    """Refuse a decision beyond the owner's hours or the business's money for a round of ``weeks``.

    Returns the hours asked (:func:`hours_asked`) and the money: the round's ads and the money the
    business can spend before its cash falls below its credit line (currency).

    Raises:
        DecisionError: the levers ask for more hours than the owner has, or the round's ads cost more
            than the business can spend.
    """
    hours = hours_asked(model, b, decision)
    if hours["total"] > hours["available"] + 1e-9:
        raise DecisionError(
            f"these levers ask about {hours['total']:.1f} hours a week (community work "
            f"{hours['community']:.1f}, personal service {hours['personal_service']:.1f}, partnerships "
            f"{hours['partnerships']:.1f}); the owner has {hours['available']:g}"
        )
    can_spend = float(model.cash[b] + model.credit_line[b])
    ads = decision.ad_budget * weeks
    if ads > max(can_spend, 0.0) + 1e-9:
        raise DecisionError(
            f"ads of {decision.ad_budget:,.0f} a week for {weeks} weeks cost {ads:,.0f}; the business "
            f"can spend {max(can_spend, 0.0):,.0f} before it reaches its credit line"
        )
    return {**{f"hours_{k}": v for k, v in hours.items()}, "round_ads": ads, "can_spend": can_spend}


def weekly_spend(model: CommunityModel, decision: Decision, hours: float) -> float:
    """Planned weekly spend of a decision: ads plus the owner's hours at their value (currency per week)."""
    wage = float(model.eco["owner_week_value"]) / float(model.eco["owner_hours"])
    return float(decision.ad_budget + wage * hours)


def levers_table(levers: tuple[Lever, ...]) -> list[dict[str, Any]]:
    """The levers as the page needs them to draw its inputs."""
    return [
        {
            "name": lv.name,
            "label": lv.label,
            "unit": lv.unit,
            "low": lv.low,
            "high": lv.high,
            "step": lv.step,
        }
        for lv in levers
    ]
