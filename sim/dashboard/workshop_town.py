"""The workshop town: the page's scenario cut down to a town a room can follow, for given slider values.

The town is drawn from a scenario file (``$COMMSIM_DASHBOARD_SCENARIO``, else
``scenarios/baseline.toml``): its first :data:`MAX_BUSINESSES` businesses and
:data:`DEFAULT_CUSTOMERS` customers unless the slider says otherwise. The sliders' values are
written into it (:mod:`sim.dashboard.sliders`), and every per-business money amount
(in the scenario's currency, docs/ODD.md section 9) is scaled by town customers / scenario
customers (:func:`scale_money`), so a small town has the scenario's economics per customer.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from sim.config.paths import builtin_dirs
from sim.config.scenario import Scenario, load_scenario, scenario_from_dict, set_dotted
from sim.dashboard.sliders import CONTROLS

ENV_SCENARIO = "COMMSIM_DASHBOARD_SCENARIO"
"""Environment variable naming the scenario file the page builds its town from."""

DEFAULT_SCENARIO = builtin_dirs()["scenarios"] / "baseline.toml"
DEFAULT_CUSTOMERS = 300
"""A workshop town: at most this many customers unless the slider says otherwise."""
MAX_BUSINESSES = 10
"""The town keeps the scenario's first businesses, up to this many (a room can follow ten)."""

COMMUNITY, TRANSACTIONAL = "community", "transactional"


_scenario_cache: dict[str, Scenario] = {}


def scenario_path() -> str:
    """The scenario file the page uses: ``$COMMSIM_DASHBOARD_SCENARIO`` or the baseline."""
    return os.environ.get(ENV_SCENARIO) or str(DEFAULT_SCENARIO)


def base_scenario(path: str | os.PathLike | None = None) -> Scenario:
    """Load (once per path) and return the scenario the town is drawn from."""
    key = str(path or scenario_path())
    if key not in _scenario_cache:
        _scenario_cache[key] = load_scenario(key)
    return _scenario_cache[key]


def _expanded_businesses(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``[[businesses]]`` group per business, named by category (cafe-1, cafe-2, ...).

    Names then do not change when the community share slider changes a strategy.
    """
    out = []
    for group in data["businesses"]:
        for _ in range(group["count"]):
            out.append(dict(group, count=1, name=group["name"] or group["category"]))
    return out[:MAX_BUSINESSES]


def _eligible_order(businesses: list[dict[str, Any]]) -> list[int]:
    """Community/transactional businesses, round-robin over categories (first of each, then ...)."""
    seen: dict[str, int] = {}
    ranked = []
    for i, b in enumerate(businesses):
        if b["strategy"] in (COMMUNITY, TRANSACTIONAL):
            rank = seen.get(b["category"], 0)
            seen[b["category"]] = rank + 1
            ranked.append((rank, i))
    return [i for _, i in sorted(ranked)]


def default_params(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The page's starting values: the scenario's, with a workshop-sized town."""
    sc = base_scenario(path)
    data = sc.data
    businesses = _expanded_businesses(data)
    eligible = _eligible_order(businesses)
    n_comm = sum(businesses[i]["strategy"] == COMMUNITY for i in eligible)
    params: dict[str, Any] = {
        "customers": min(int(data["population"]["customers"]), DEFAULT_CUSTOMERS),
        "community_share": round(n_comm / len(eligible), 2) if eligible else 0.0,
        "community_time": float(data["strategies"][COMMUNITY]["community_time"]),
        "word_of_mouth": float(data["behaviour"]["word_of_mouth"]),
        "values_weight_share": float(data["population"]["values_weight_share"]),
        "ad_budget": float(data["strategies"][TRANSACTIONAL]["ad_budget"]),
        "seed": int(data["run"]["seed"]),
        "side_by_side": False,
        "focus": names_of(businesses)[eligible[0] if eligible else 0] if businesses else "",
        "scenario_file": str(path or scenario_path()),
    }
    for c in CONTROLS:
        lo, hi = c.bounds
        params[c.name] = type(params[c.name])(min(max(params[c.name], lo), hi))
    return params


def names_of(businesses: list[dict[str, Any]]) -> list[str]:
    """Business names as the model will give them (``sim.config.scenario.business_names``)."""
    from sim.config.scenario import business_names

    return business_names(businesses)


def town_scenario(
    params: dict[str, Any], focus_strategy: str | None = None, base: Scenario | None = None
) -> tuple[Scenario, list[str]]:
    """The scenario of the town for these slider values, and its business names.

    Args:
        params: the :class:`~sim.dashboard.workshop.Workshop` keywords (slider values).
        focus_strategy: if given, the strategy of the business ``params["focus"]`` (side by side).
        base: the scenario to start from (default: the page's scenario file).
    """
    base = base or base_scenario(params.get("scenario_file"))
    raw = copy.deepcopy(base.data)
    businesses = _expanded_businesses(raw)
    eligible = _eligible_order(businesses)
    k = int(round(float(params["community_share"]) * len(eligible)))
    for rank, i in enumerate(eligible):
        businesses[i]["strategy"] = COMMUNITY if rank < k else TRANSACTIONAL
    names = names_of(businesses)
    if focus_strategy is not None and params.get("focus") in names:
        businesses[names.index(params["focus"])]["strategy"] = focus_strategy
    raw["businesses"] = businesses
    raw["arms"] = []
    raw["run"]["replications"] = 1
    for c in CONTROLS:
        if c.target:
            value = params[c.name]
            set_dotted(raw, c.target, int(round(value)) if c.is_int else float(value), base.source)
    scale_money(raw, money_scale(params, base))
    return scenario_from_dict(raw, base.source), names


def money_scale(params: dict[str, Any], base: Scenario | None = None) -> float:
    """Factor by which the town's money amounts are scaled: town customers / scenario customers."""
    base = base or base_scenario(params.get("scenario_file"))
    return float(params["customers"]) / float(base.data["population"]["customers"])


def scale_money(raw: dict[str, Any], f: float) -> None:
    """Scale every per-business amount that grows with the town by ``f``, in place.

    A smaller town is then a miniature of the scenario's: the same economics per customer.
    Revenue is proportional to the number of customers, so fixed costs, opening cash, credit
    lines, ad budgets (ads reach about budget / cost per reach people), the owner's week (its
    hours and their value, so that an hour costs the same and community work, which meets a
    number of people per hour, meets f times as many), the hours a partnership takes, and a
    scheduled chain store's ads and reserves are scaled with it; prices, probabilities, shares and
    the minutes per customer served or referred are not (the customers scale). Without this a
    300-customer copy of a 2,000-customer scenario cannot pay its rent and every business closes
    within months, or its owners meet a far larger share of it.
    """
    if f == 1.0:
        return
    for cat in raw["categories"].values():
        cat["fixed_cost"] *= f
    for b in raw["businesses"]:
        for key in ("cash", "credit_line", "fixed_cost"):
            if b.get(key, -1) >= 0:  # negative: derived from the (scaled) fixed costs
                b[key] *= f
    for strat in raw["strategies"].values():
        strat["ad_budget"] *= f
    raw["economy"]["owner_week_value"] *= f
    raw["economy"]["owner_hours"] *= f  # the same value per hour; community work meets f times the people
    raw["economy"]["partner_hours"] *= f
    for shock in raw["shocks"]:
        if shock["kind"] == "chain_store":
            shock["ad_budget"] *= f
            shock["cash"] *= f
