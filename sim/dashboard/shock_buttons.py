"""The shock buttons: a shock of each kind, sized by the page's depth and duration sliders, and its label.

A button's shock acts from the next simulated week (what each shock does: docs/ODD.md section 7.1).
The depth slider sets the size of a recession (share of demand lost), a lockdown (share of demand
lost besides no in-person community work) and a cost spike (rise in costs, a share); the
duration slider sets how many weeks each of the three lasts. Every other size is the default of
:data:`sim.config.parameters.PARAMETERS`; a chain store stays for good, a bad review strikes once.
"""

from __future__ import annotations

from sim.config.parameters import PARAMETERS
from sim.core.shocks import ChainStore, CostSpike, Lockdown, Recession, Shock, ViralBadReview

SHOCK_LABELS = {
    "recession": "recession",
    "chain_store": "chain store",
    "lockdown": "lockdown",
    "viral_bad_review": "bad review",
    "cost_spike": "cost spike",
}
"""What the page calls each kind of shock (button messages and chart marks)."""

SIZED = {"recession": "depth", "lockdown": "demand_drop", "cost_spike": "size"}
"""The shocks the depth and duration sliders size, and the field the depth slider sets."""

DEFAULT_DEPTH = float(PARAMETERS["shocks.recession.depth"].default)
"""The depth slider's starting value: the parameter table's recession (0.25, a share)."""
DEFAULT_DURATION = int(PARAMETERS["shocks.duration"].default)
"""The duration slider's starting value, weeks (the parameter table's, 26)."""
DEPTH_RANGE = (0.0, 0.9, 0.05)
"""Depth slider: lowest, highest, step (a share of demand, or of costs for a cost spike)."""
DURATION_RANGE = (1, 104, 1)
"""Duration slider: lowest, highest, step (weeks)."""


def make_shock(
    kind: str,
    start: int,
    business: str,
    category: str,
    money_scale: float = 1.0,
    depth: float | None = None,
    duration: int | None = None,
) -> Shock:
    """A shock of ``kind`` starting at ``start``.

    ``depth`` (a share, 0 to 1) and ``duration`` (weeks) size a recession, a lockdown or a cost
    spike (:data:`SIZED`); left out, they are the parameter table's defaults (a recession of
    25% for 26 weeks, a lockdown of 12 weeks without a drop in demand). A chain store's ads and
    reserves are multiplied by ``money_scale`` (see :func:`sim.dashboard.workshop_town.scale_money`).

    Raises:
        ValueError: an unknown kind, a depth outside 0-1 or a duration below 1 week.
    """
    if depth is not None and not 0.0 <= depth <= 1.0:
        raise ValueError(f"depth {depth!r}: must be a share between 0 and 1")
    if duration is not None and int(duration) < 1:
        raise ValueError(f"duration {duration!r}: must be at least 1 week")
    d = {k.rsplit(".", 1)[-1]: p.default for k, p in PARAMETERS.items() if k.startswith(f"shocks.{kind}.")}
    if kind in SIZED and depth is not None:
        d[SIZED[kind]] = float(depth)
    if kind == "recession":
        weeks = PARAMETERS["shocks.duration"].default if duration is None else int(duration)
        return Recession(start=start, duration=weeks, depth=d["depth"], recovery=d["recovery"])
    if kind == "cost_spike":
        weeks = PARAMETERS["shocks.duration"].default if duration is None else int(duration)
        return CostSpike(start=start, duration=weeks, size=d["size"], recovery=d["recovery"])
    if kind == "chain_store":
        d["category"] = category
        d["ad_budget"] *= money_scale
        d["cash"] *= money_scale
        return ChainStore(start=start, duration=0, **d)
    if kind == "lockdown":
        return Lockdown(
            start=start, duration=12 if duration is None else int(duration), demand_drop=d["demand_drop"]
        )
    if kind == "viral_bad_review":
        d["business"] = business
        return ViralBadReview(start=start, duration=1, **d)
    raise ValueError(f"unknown shock {kind!r}")


def describe(shock: Shock) -> str:
    """What a shock does, in the page's words with its units (the message after a button)."""
    kind = shock.kind
    head = f"{SHOCK_LABELS.get(kind, kind)} from week {shock.start}"
    if isinstance(shock, Recession):
        return (
            f"{head}: demand down {100 * shock.depth:.0f}% for {shock.duration} weeks, "
            f"then back over {shock.recovery} weeks"
        )
    if isinstance(shock, CostSpike):
        return (
            f"{head}: costs up {100 * shock.size:.0f}% for {shock.duration} weeks, "
            f"then back over {shock.recovery} weeks"
        )
    if isinstance(shock, Lockdown):
        drop = f", demand down {100 * shock.demand_drop:.0f}%" if shock.demand_drop else ""
        return f"{head}: no in-person community work for {shock.duration} weeks{drop}"
    if isinstance(shock, ChainStore):
        return f"{head}: a chain store opens in {shock.category}"
    if isinstance(shock, ViralBadReview):
        return (
            f"{head}: {100 * shock.reach:.0f}% of customers see a bad review of {shock.business} "
            f"and lose {100 * shock.trust_loss:.0f}% of their trust in it"
        )
    return head
