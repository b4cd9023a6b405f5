"""The owner's time: a weekly budget of hours that every time-taking lever draws on (ODD 7.2, 7.7).

Community work, personalisation and partnerships take the owner's hours; a business has
``economy.owner_hours`` a week and each hour is charged at its value (``owner_week_value`` /
``owner_hours``, currency per hour: the opportunity cost of the owner's time). At the start of
each week (stage 2) each open business's levers ask for hours:

- community work: ``community_time`` x this week's engagement intensity x ``owner_hours``;
- personalisation: ``personalisation`` x ``personalisation_minutes`` / 60 per returning customer
  served, at last week's number of returning purchases (what the owner plans for);
- partnerships: ``partner_hours`` per active partner (willingness above 0.5), for a business that
  takes part in partnerships (whether or not it refers customers back), and
  ``referral_minutes`` / 60 per customer it referred last week.

When they ask for more than ``owner_hours``, every lever is scaled down by the same share
(:attr:`time_share`), so a business never uses more hours than it has; the hours used and their
cost are results columns (``owner_hours``, ``owner_time_cost``).
"""

from __future__ import annotations

import numpy as np
from mesa import Model

from sim.config.partners import partners_of_a_seeker


def hourly_value(model: Model) -> float:
    """Value of one hour of the owner's time, currency per hour."""
    return float(model.eco["owner_week_value"]) / float(model.eco["owner_hours"])


def plan(model: Model, intensity: np.ndarray) -> None:
    """Stage 2: this week's hours per lever, scaled to the owner's hours; sets the model's lever levels.

    ``intensity``: this week's engagement intensity of each business (0 when closed or in a
    lockdown). Sets ``engagement`` (share of a full week on community work), ``time_share``
    (share of the asked hours each business could give, 0-1), ``personalisation_level`` and
    ``referral_level`` (the strategies' levels times that share), ``owner_hours_used`` and its
    partnership part ``partner_hours_used`` (upkeep and referrals: acquisition spend, ODD 7.9).
    """
    eco = model.eco
    hours = float(eco["owner_hours"])
    strategies = model.business_strategy
    community_time = np.array([s.community_time for s in strategies])
    personalisation = np.array([s.personalisation for s in strategies])
    referrals = np.array([s.partner_referrals for s in strategies])
    community = community_time * intensity * hours
    personal = personalisation * float(eco["personalisation_minutes"]) / 60.0 * model.returning_purchases
    upkeep = model.partnerships.active_partners(model, open_only=True)  # both seek partners, both open
    partners = (
        float(eco["partner_hours"]) * upkeep + float(eco["referral_minutes"]) / 60.0 * model.referrals_sent
    )
    asked = np.where(model.alive, community + personal + partners, 0.0)
    share = np.where(asked > hours, hours / np.maximum(asked, 1e-12), 1.0)
    model.time_share = share
    model.owner_hours_asked = asked
    model.owner_hours_used = asked * share
    model.partner_hours_used = np.where(model.alive, partners, 0.0) * share  # upkeep and referrals
    model.engagement = community_time * intensity * share
    model.personalisation_level = personalisation * share
    model.referral_level = referrals * share


def planned_spend(data: dict) -> dict[str, float]:
    """Mean planned weekly spend of each strategy's businesses in a resolved scenario, currency per week.

    Ads plus the owner's hours at their value, with engagement at its average intensity (1),
    personalisation at the purchases a business can expect (customers who take part in the
    category x need frequency x need scale, shared among the category's businesses, all
    returning), and every eligible partner active. The plan, not the outcome: what a scenario
    holds equal (or not) between the strategies it compares before any customer is won.
    """
    eco, pop = data["economy"], data["population"]
    wage = float(eco["owner_week_value"]) / float(eco["owner_hours"])
    groups = data["businesses"]
    in_category: dict[str, int] = {}
    for g in groups:
        in_category[g["category"]] = in_category.get(g["category"], 0) + g["count"]
    spend: dict[str, list[float]] = {}
    for g in groups:
        s = data["strategies"][g["strategy"]]
        cat = data["categories"][g["category"]]
        need = min(1.0, float(cat["frequency"]) * float(pop["need_scale"]))
        purchases = (
            pop["customers"] * float(pop["category_participation"]) * need / in_category[g["category"]]
        )
        partners = partners_of_a_seeker(data, g["category"]) if s.get("seeks_partners", False) else 0
        referred = float(s.get("partner_referrals", 0.0)) * purchases * partners  # customers a week
        hours = (
            float(s.get("community_time", 0.0)) * float(eco["owner_hours"])
            + float(s.get("personalisation", 0.0)) * float(eco["personalisation_minutes"]) / 60.0 * purchases
            + float(eco["partner_hours"]) * partners
            + float(eco["referral_minutes"]) / 60.0 * referred
        )
        hours = min(hours, float(eco["owner_hours"]))
        spend.setdefault(g["strategy"], []).extend(
            [float(s.get("ad_budget", 0.0)) + wage * hours] * g["count"]
        )
    return {name: float(np.mean(v)) for name, v in spend.items()}
