"""The shock buttons: a shock of each kind with the parameter table's default sizes, and its label.

A button's shock acts from the next simulated week (what each shock does: docs/ODD.md section 7.1);
its sizes are the defaults of :data:`sim.config.parameters.PARAMETERS`, its durations in weeks.
"""

from __future__ import annotations

from sim.config.parameters import PARAMETERS
from sim.core.shocks import ChainStore, Lockdown, Recession, Shock, ViralBadReview

SHOCK_LABELS = {
    "recession": "recession",
    "chain_store": "chain store",
    "lockdown": "lockdown",
    "viral_bad_review": "bad review",
    "cost_spike": "cost spike",
}
"""What the page calls each kind of shock (button messages and chart marks)."""


def make_shock(kind: str, start: int, business: str, category: str, money_scale: float = 1.0) -> Shock:
    """A shock of ``kind`` starting at ``start`` with the parameter table's default sizes.

    A chain store's ads and reserves are multiplied by ``money_scale``
    (see :func:`sim.dashboard.workshop_town.scale_money`).
    """
    d = {k.rsplit(".", 1)[-1]: p.default for k, p in PARAMETERS.items() if k.startswith(f"shocks.{kind}.")}
    if kind == "recession":
        return Recession(
            start=start,
            duration=PARAMETERS["shocks.duration"].default,
            depth=d["depth"],
            recovery=d["recovery"],
        )
    if kind == "chain_store":
        d["category"] = category
        d["ad_budget"] *= money_scale
        d["cash"] *= money_scale
        return ChainStore(start=start, duration=0, **d)
    if kind == "lockdown":
        return Lockdown(start=start, duration=12, demand_drop=d["demand_drop"])
    if kind == "viral_bad_review":
        d["business"] = business
        return ViralBadReview(start=start, duration=1, **d)
    raise ValueError(f"unknown shock {kind!r}")
