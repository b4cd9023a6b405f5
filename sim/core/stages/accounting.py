"""Stage 7, accounting (ODD 7.7): revenue, costs and cash of each business (currency); closures.

Profit is revenue less goods and fixed costs (scaled by the cost index), ads and the owner's
hours on every lever at their value (:mod:`sim.core.owner_time`); ``total_spend`` is ads plus
that owner time, what a strategy spends on winning and keeping customers, and
``acquisition_spend`` its part that makes first contacts (ads, community work, partnerships; ODD
7.9). Revenue and margin are also booked by the customers' acquisition channel, margin by cohort
(:mod:`sim.core.cohorts`). A business whose cash
stays below its credit line for ``closure_weeks`` closes; owners also leave at random
(``owner_exit`` per week; not from a chain store, which has no local owner).
"""

from __future__ import annotations

import numpy as np
from mesa import Model
from numba import njit

from sim.core import owner_time
from sim.core.compiled import JIT
from sim.core.stages.outreach import ad_budgets


@njit(**JIT)
def tally(business, price, channel, unit_cost, usual_price, cost_index, width):  # pragma: no cover
    """Revenue, units, and revenue and gross margin by acquisition channel of the week's purchases (ODD 7.7).

    Purchase k was made at business ``business[k]`` for ``price[k]`` by a customer won through
    ``channel[k]``; its margin is the price less the unit cost (``unit_cost`` x ``usual_price`` x
    ``cost_index``). Sums run in purchase order, as ``numpy.bincount`` would.

    Returns:
        (revenue, units) per business and revenue and margin per business x channel code
        (``width`` codes); a business's revenue by channel adds up to its revenue.
    """
    nb = len(unit_cost)
    revenue = np.zeros(nb)
    units = np.zeros(nb, np.int64)
    by_channel = np.zeros((nb, width))
    margin = np.zeros((nb, width))
    for k in range(len(business)):
        b = business[k]
        revenue[b] += price[k]
        units[b] += 1
        by_channel[b, channel[k]] += price[k]
        margin[b, channel[k]] += price[k] - unit_cost[b] * usual_price[b] * cost_index
    return revenue, units, by_channel, margin


def run(model: Model, buys: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Stage 7: revenue, costs and cash of each business (currency), then closures."""
    b = buys["business"]
    channel = buys["channel"]
    width = model.margin_by_channel.shape[1]
    revenue, units, by_channel, margin = tally(
        b, buys["price"], channel, model.unit_cost, model.usual_price, float(model.cost_index), width
    )
    alive = model.alive.astype(float)
    goods = units * model.unit_cost * model.usual_price * model.cost_index
    fixed = model.fixed_cost * model.cost_index * alive
    ads = ad_budgets(model) * alive
    wage = owner_time.hourly_value(model)
    owner_time_cost = model.owner_hours_used * wage * alive
    community = model.engagement * float(model.eco["owner_hours"]) * wage * alive  # part of owner_time_cost
    partnering = model.partner_hours_used * wage * alive  # part of owner_time_cost
    profit = revenue - goods - fixed - ads - owner_time_cost
    model.cash = model.cash + profit
    model.margin_by_channel += margin  # for the attribution of community value
    model.cohorts.book(model, buys)
    below = model.alive & (model.cash < -model.credit_line)
    model.weeks_below = np.where(below, model.weeks_below + 1, 0)
    for i in np.flatnonzero(model.weeks_below >= model.eco["closure_weeks"]):
        close(model, i, "market")
    # An owner leaving (illness, retirement, a better job) closes a local business; a chain store
    # has no such owner. One draw per business either way, so the stream stays in step.
    draw = model.rngs["owner_exit"].random(model.n_businesses)
    leaving = model.alive & ~model.chain & (draw < model.eco["owner_exit"])
    for i in np.flatnonzero(leaving):
        close(model, i, "owner")
    return {
        "revenue": revenue,
        "units": units,
        "goods_cost": goods,
        "fixed_cost": fixed,
        "ad_cost": ads,
        "community_cost": community,
        "owner_hours": model.owner_hours_used * alive,
        "owner_time_cost": owner_time_cost,
        "total_spend": ads + owner_time_cost,
        "acquisition_spend": ads + community + partnering,
        "revenue_by_channel": by_channel,
        "profit": profit,
    }


def close(model: Model, b: int, reason: str = "market") -> None:
    """Close a business (``reason``: market, owner or shock): its regulars must choose anew."""
    if not model.alive[b] and model.closed_week[b] >= 0:
        return
    model.alive[b] = False
    model.closed_week[b] = model.week
    model.exit_reason[b] = reason
    k = model.business_category[b]
    model.patron[model.patron[:, k] == b, k] = -1
