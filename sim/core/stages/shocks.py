"""Stage 1, shocks (ODD 7.1): shocks due this week set the demand and cost indices and the lockdown.

Also the week's openings (businesses whose opening week has come, chain stores included) and
prices: each open business prices by its strategy and the demand index.
"""

from __future__ import annotations

import numpy as np
from mesa import Model

from sim.core.shocks import ChainStore
from sim.core.stages.accounting import close


def run(model: Model) -> None:
    """Start the shocks due this week, set the week's indices, open businesses, set prices."""
    w = model.week
    for shock in model.shocks:
        if shock.start == w:
            shock.on_start(model)
            model.shock_log.append({"week": w, **shock.to_dict()})
    model.demand_index = float(np.prod([s.demand_factor(w) for s in model.shocks])) if model.shocks else 1.0
    model.cost_index = float(np.prod([s.cost_factor(w) for s in model.shocks])) if model.shocks else 1.0
    model.lockdown = any(s.stops_engagement(w) for s in model.shocks)
    for shock in model.shocks:  # a chain store with a duration leaves
        if isinstance(shock, ChainStore) and shock.duration > 0 and w == shock.start + shock.duration:
            close(model, shock.slot, "shock")  # type: ignore[attr-defined]
    model.alive |= (~model.alive) & (model.opens <= w) & (model.closed_week < 0)  # openings
    for b in np.flatnonzero(model.alive):
        model.price[b] = model.business_strategy[b].price(model.usual_price[b], model.demand_index)
