"""The built-in strategies' parameter sets: data for the scenario loader and the model.

The rules a strategy follows (:class:`sim.core.strategies.Strategy`) live in the core; these are
only their values, so that loading a scenario needs nothing from the model.
"""

from __future__ import annotations

from typing import Any

BUILT_IN: dict[str, dict[str, Any]] = {
    "transactional": dict(
        ad_budget=250.0,
        community_time=0.0,
        personalisation=0.1,
        partner_referrals=0.0,
        seeks_partners=False,
        price_factor=0.95,
        downturn_discount=0.10,
    ),
    "community": dict(
        ad_budget=20.0,
        community_time=0.12,
        personalisation=0.8,
        partner_referrals=0.05,
        seeks_partners=True,
        price_factor=1.05,
        downturn_discount=0.0,
    ),
    "inconsistent": dict(
        ad_budget=20.0,
        community_time=0.12,
        personalisation=0.8,
        partner_referrals=0.05,
        seeks_partners=True,
        price_factor=1.05,
        downturn_discount=0.0,
        engagement="bursts",
        burst_weeks=8,
        pause_weeks=16,
    ),
    "free_rider": dict(
        ad_budget=20.0,
        community_time=0.12,
        personalisation=0.8,
        partner_referrals=0.0,
        seeks_partners=True,
        price_factor=1.05,
        downturn_discount=0.0,
    ),
    "chain": dict(
        ad_budget=600.0,
        community_time=0.0,
        personalisation=0.0,
        partner_referrals=0.0,
        seeks_partners=False,
        price_factor=0.8,
        downturn_discount=0.15,
    ),
}
"""Parameters of the built-in strategies (``chain`` is the chain store a shock opens).

``transactional`` and ``community`` are budget-matched: in the baseline town (2,000 customers)
they plan the same weekly spend, ads plus the owner's hours at their value
(:func:`sim.core.owner_time.planned_spend`: community 255, transactional 257 a week), and differ
only in how they allocate it: transactional on ads and price, community on the owner's time
(community work, remembering regulars, partnerships). ``inconsistent`` is ``community`` with its
engagement in bursts (the same hours on average); ``free_rider`` is ``community`` that never
refers customers to its partners (it keeps its partnerships up at the same hours while they
last, and spends no minutes on referrals: it plans 255 a week against community's 264)."""

BUILT_IN_DESCRIPTIONS = {
    "transactional": "paid ads and price; little personal service; no partnerships",
    "community": "12% of owner time in the community, remembers regulars, refers to partners",
    "inconsistent": "the community effort in bursts of 8 weeks, then gone for 16",
    "free_rider": "community work and partnerships, but never refers customers to partners",
    "chain": "a chain store: heavy ads, low price, no community ties",
}
