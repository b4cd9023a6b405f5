"""The workshop dashboard: a live SolaraViz page of a small town, for teaching.

Serve it with ``commsim dashboard [SCENARIO.toml]`` (see :mod:`sim.cli.commands.dashboard`, which
also makes Solara's front-end files available offline before this module imports solara).

The page is built from Mesa's SolaraViz parts: Mesa's ``ModelController`` gives the Reset, play
(``▶``/``❚❚``) and Step buttons and the play loop, and ``update_counter`` re-renders the views
after every week. What it drives is a :class:`Workshop`, a small ``mesa.Model`` that holds one
:class:`~sim.core.model.CommunityModel` (or two, side by side) built from the scenario and the
sliders. Each browser session builds its own :class:`Workshop` when the page first renders;
nothing is built at import, so participants who open the page on their laptops never step each
other's town.

Sliders are generated from :data:`sim.config.parameters.PARAMETERS` (default, range, unit and meaning;
the meaning is the slider's help text), except "share of businesses that are community-focused",
a dashboard-level control: it sets the strategy of the town's community and transactional
businesses (round-robin over categories, so a share of 0.5 gives every category one of each, as
``scenarios/baseline.toml`` does). Businesses with any other strategy keep theirs. Slider
ranges are the parameter's range, narrowed where a scenario's range is wider than a room needs
(customers 50-2000, ad budget up to 1000 a week, seed 0-9999); see :data:`CONTROLS`.

Everything the page shows is computed by plain functions of a :class:`Workshop`
(:meth:`Workshop.headline`, :func:`town_svg`, :func:`chart_spec`), which the unit tests check
without a browser.
"""

from __future__ import annotations

import copy
import html
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.config.parameters import PARAMETERS, Param
from sim.config.paths import builtin_dirs
from sim.config.scenario import Scenario, load_scenario, scenario_from_dict, set_dotted
from sim.core.measures import CHANNELS
from sim.core.model import CommunityModel
from sim.core.shocks import ChainStore, Lockdown, Recession, Shock, ViralBadReview
from sim.outputs.storage import new_results_dir, utc_now
from sim.runs.runner import Results, replication_seeds, strategy_table, summary_table

ENV_SCENARIO = "COMMSIM_DASHBOARD_SCENARIO"
"""Environment variable naming the scenario file the page builds its town from."""
ENV_RESULTS = "COMMSIM_DASHBOARD_RESULTS"
"""Environment variable naming the folder "Save this run" writes under (default ``results``)."""

DEFAULT_SCENARIO = builtin_dirs()["scenarios"] / "baseline.toml"
DEFAULT_CUSTOMERS = 300
"""A workshop town: at most this many customers unless the slider says otherwise."""
MAX_BUSINESSES = 10
"""The town keeps the scenario's first businesses, up to this many (a room can follow ten)."""
DEFAULT_PAUSE_MS = 40
"""Pause between weeks while playing (about 15 weeks a second at 300 customers, measured 2026-11-22)."""
MAX_EDGES_DRAWN = 3000
"""Ties drawn in the town view (a fixed random sample when there are more)."""

COMMUNITY, TRANSACTIONAL = "community", "transactional"
STRATEGY_COLOURS = {
    COMMUNITY: "#1b9e77",
    TRANSACTIONAL: "#d95f02",
    "inconsistent": "#7570b3",
    "free_rider": "#e7298a",
    "chain": "#a50f15",
}
OTHER_COLOURS = ("#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#6a3d9a")
NO_BUSINESS = "#c9c9c9"
CHANNEL_LABELS = {
    "ads": "ads",
    "community": "community work",
    "word_of_mouth": "word of mouth",
    "referral": "referral",
    "partner": "partner",
    "walk_in": "walk-in",
}
SHOCK_LABELS = {
    "recession": "recession",
    "chain_store": "chain store",
    "lockdown": "lockdown",
    "viral_bad_review": "bad review",
    "cost_spike": "cost spike",
}


# ----------------------------------------------------------------------------- controls
@dataclass(frozen=True)
class Control:
    """One slider: a model keyword, the parameter it comes from and where it goes in the scenario.

    Attributes:
        name: keyword of :class:`Workshop` (and of Mesa's reset).
        param: key in :data:`sim.config.parameters.PARAMETERS` (default, range, unit, meaning).
        target: dotted scenario key the value is written to (``None``: dashboard-level).
        label: what the room reads.
        step: slider step.
        high: upper end shown when the parameter's range is wider than a workshop needs.
        low: lower end shown, likewise.
    """

    name: str
    param: str | None
    target: str | None
    label: str
    step: float
    high: float | None = None
    low: float | None = None

    @property
    def definition(self) -> Param | None:
        """The parameter's definition, if it has one."""
        return PARAMETERS.get(self.param) if self.param else None

    @property
    def is_int(self) -> bool:
        """Whether the slider moves in whole numbers."""
        p = self.definition
        return p is not None and p.kind == "int"

    @property
    def bounds(self) -> tuple[float, float]:
        """(min, max) of the slider: the parameter's range, narrowed by ``low``/``high``."""
        p = self.definition
        lo = p.low if p is not None and p.low is not None else 0.0
        hi = p.high if p is not None and p.high is not None else 1.0
        if self.low is not None:
            lo = max(lo, self.low)
        if self.high is not None:
            hi = min(hi, self.high)
        return lo, hi

    @property
    def unit(self) -> str:
        """Unit, from the parameter table."""
        p = self.definition
        return p.unit if p is not None else "share of businesses"

    @property
    def meaning(self) -> str:
        """Help text: the parameter's meaning."""
        p = self.definition
        if p is None:
            return (
                "dashboard setting: share of the town's community and transactional businesses "
                "that are community-focused (the rest are transactional)"
            )
        return p.meaning


CONTROLS: tuple[Control, ...] = (
    Control(
        "customers",
        "population.customers",
        "population.customers",
        "Customers",
        50,
        high=2000,
        low=50,
    ),
    Control("community_share", None, None, "Community-focused businesses", 0.1),
    Control(
        "community_time",
        "strategies.community_time",
        "strategies.community.community_time",
        "Owner time in community work",
        0.01,
    ),
    Control(
        "word_of_mouth",
        "behaviour.word_of_mouth",
        "behaviour.word_of_mouth",
        "Word of mouth strength",
        0.01,
    ),
    Control(
        "values_weight_share",
        "population.values_weight_share",
        "population.values_weight_share",
        "Customers who weigh conduct as much as price and product",
        0.05,
    ),
    Control(
        "ad_budget",
        "strategies.ad_budget",
        "strategies.transactional.ad_budget",
        "Ad budget (transactional)",
        10,
        high=1000,
    ),
    Control("seed", "run.seed", "run.seed", "Seed", 1, high=9999),
)
"""The sliders, in the order shown."""

CONTROL_BY_NAME = {c.name: c for c in CONTROLS}


# ----------------------------------------------------------------------------- scenario
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
        params: the :class:`Workshop` keywords (slider values).
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
    """Scale every per-business money amount by ``f``, in place.

    A smaller town is then a miniature of the scenario's: the same economics per customer.
    Revenue is proportional to the number of customers, so fixed costs, opening cash, credit
    lines, ad budgets (whose reach is budget / (cost per reach x customers)), the value of owner
    time spent on community work and a scheduled chain store's ads and reserves are scaled with
    it; prices, probabilities and shares are not. Without this a 300-customer copy of a
    2,000-customer scenario cannot pay its rent and every business closes within months.
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
    for shock in raw["shocks"]:
        if shock["kind"] == "chain_store":
            shock["ad_budget"] *= f
            shock["cash"] *= f


# ----------------------------------------------------------------------------- the model
@dataclass
class Run:
    """One simulated town on the page."""

    label: str
    model: CommunityModel
    colour: str


class Workshop(mesa.Model):
    """The page's model: one town (or the same town twice, side by side) and its live shocks.

    A ``mesa.Model`` whose keywords are the sliders, so Mesa's ``ModelController`` can rebuild
    it on Reset. One :meth:`step` is one week of every run.

    Args:
        customers: population.customers.
        community_share: share of community/transactional businesses that are community-focused.
        community_time: owner time in community work of the ``community`` strategy.
        word_of_mouth: behaviour.word_of_mouth.
        values_weight_share: population.values_weight_share.
        ad_budget: weekly ads of the ``transactional`` strategy.
        seed: the scenario's run.seed; the town is drawn with its first replication seed, so
            ``commsim run`` on a saved run's scenario with one replication reproduces it.
        side_by_side: run the town twice, with ``focus`` community-focused (A) and
            transactional (B).
        focus: name of the business compared side by side.
        scenario_file: scenario the town is drawn from (default: the page's).
    """

    def __init__(
        self,
        customers: int = DEFAULT_CUSTOMERS,
        community_share: float | None = None,
        community_time: float | None = None,
        word_of_mouth: float | None = None,
        values_weight_share: float | None = None,
        ad_budget: float | None = None,
        seed: int | None = None,
        side_by_side: bool = False,
        focus: str | None = None,
        scenario_file: str | None = None,
    ) -> None:
        given = {
            "customers": customers,
            "community_share": community_share,
            "community_time": community_time,
            "word_of_mouth": word_of_mouth,
            "values_weight_share": values_weight_share,
            "ad_budget": ad_budget,
            "seed": seed,
            "side_by_side": side_by_side,
            "focus": focus,
        }
        params = default_params(scenario_file)
        params.update({k: v for k, v in given.items() if v is not None})
        self.params = params
        self.model_seed = replication_seeds(int(params["seed"]), 1)[0]
        self.money_scale = money_scale(params)
        super().__init__(rng=self.model_seed)
        self.lock = threading.RLock()
        self.started = utc_now()
        self.live_shocks: list[dict[str, Any]] = []
        if params["side_by_side"]:
            sc_a, names = town_scenario(params, COMMUNITY)
            sc_b, _ = town_scenario(params, TRANSACTIONAL)
            if params["focus"] not in names:
                params["focus"] = names[0]
                sc_a, _ = town_scenario(params, COMMUNITY)
                sc_b, _ = town_scenario(params, TRANSACTIONAL)
            self.town = sc_a
            self.runs = [
                Run(
                    f"A: {params['focus']} community-focused",
                    CommunityModel(sc_a, seed=self.model_seed),
                    STRATEGY_COLOURS[COMMUNITY],
                ),
                Run(
                    f"B: {params['focus']} transactional",
                    CommunityModel(sc_b, seed=self.model_seed),
                    STRATEGY_COLOURS[TRANSACTIONAL],
                ),
            ]
        else:
            self.town, names = town_scenario(params)
            if params["focus"] not in names and names:
                params["focus"] = names[0]
            self.runs = [Run("town", CommunityModel(self.town, seed=self.model_seed), "#333333")]
        self.business_names = names
        self.horizon = int(self.town.data["run"]["steps"])
        self.layout = TownLayout(self.runs[0].model)  # once per reset: same town in every run

    # ------------------------------------------------------------------ state
    @property
    def side_by_side(self) -> bool:
        """Whether the page shows two runs."""
        return len(self.runs) > 1

    @property
    def model(self) -> CommunityModel:
        """The first (or only) run's model."""
        return self.runs[0].model

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.model.week

    @property
    def demand_index(self) -> float:
        """The economy's demand index this week (1: normal)."""
        return self.model.demand_index

    def step(self) -> None:
        """One week of every run."""
        with self.lock:
            for run in self.runs:
                run.model.step()
            self.running = self.week < self.horizon

    # ------------------------------------------------------------------ shocks
    def add_shock(
        self, kind: str, business: str | None = None, category: str | None = None
    ) -> dict[str, Any]:
        """Trigger a shock that acts from the next simulated week; returns its record.

        Sizes are the parameter table's defaults (a recession of 25% for 26 weeks, a lockdown
        of 12 weeks, ...). The shock is added to every run, so side-by-side runs stay paired.
        """
        with self.lock:
            start = self.week + 1
            shocks: list[Shock] = []
            for _ in self.runs:
                shocks.append(
                    make_shock(
                        kind,
                        start,
                        business or self.params["focus"],
                        category or self._default_category(),
                        self.money_scale,
                    )
                )
            for run, shock in zip(self.runs, shocks, strict=True):
                run.model.add_shock(shock)
            record = {"week": start, **shocks[0].to_dict()}
            self.live_shocks.append(record)
            return record

    def _default_category(self) -> str:
        m = self.model
        focus = self.params["focus"]
        if focus in m.business_name:
            return m.category_names[m.business_category[m.business_name.index(focus)]]
        return m.category_names[0]

    def categories(self) -> list[str]:
        """Categories of the town's businesses (where a chain store may open)."""
        return list(dict.fromkeys(self.model.category_names))

    def shock_marks(self) -> list[dict[str, Any]]:
        """Shocks to mark on the charts: scheduled ones that have started and live ones."""
        m = self.model
        marks = []
        for s in m.shocks:
            if s.start <= m.week + 1:
                label = SHOCK_LABELS.get(s.kind, s.kind)
                if isinstance(s, ViralBadReview):
                    label += f" ({s.business})"
                marks.append({"w": s.start, "label": label, "kind": s.kind})
        return marks

    # ------------------------------------------------------------------ views
    def strategies_present(self) -> list[str]:
        """Strategies of the town's businesses, in legend order."""
        names = []
        for run in self.runs:
            names += run.model.strategy_names()
        known = [s for s in STRATEGY_COLOURS if s in names]
        return known + sorted(set(names) - set(known))

    def colours(self) -> dict[str, str]:
        """Colour of each strategy present."""
        out, extra = {}, iter(OTHER_COLOURS * 10)
        for s in self.strategies_present():
            out[s] = STRATEGY_COLOURS.get(s) or next(extra)
        return out

    def headline(self) -> dict[str, Any]:
        """The headline strip: week, demand, leaders (see :func:`leaders`)."""
        with self.lock:
            out: dict[str, Any] = {
                "week": self.week,
                "horizon": self.horizon,
                "demand": self.demand_index,
                "customers": self.model.n_customers,
                "businesses": int(len(self.business_names)),
                "side_by_side": self.side_by_side,
            }
            if self.side_by_side:
                out["comparison"] = focus_comparison(self)
            else:
                out.update(leaders(self.model))
            return out

    def chart_data(self) -> tuple[list[dict], list[dict]]:
        """Rows of the live charts: (weekly series, new customers by channel)."""
        with self.lock:
            if self.side_by_side:
                return focus_series(self)
            return strategy_series(self.model)

    # ------------------------------------------------------------------ saving
    def saved_scenario(self) -> Scenario:
        """The scenario of this run as it happened: sliders, live shocks, weeks run, arms."""
        raw = copy.deepcopy(self.town.data)
        raw["run"]["steps"] = max(self.week, 1)
        raw["run"]["name"] = f"dashboard-{raw['run']['name']}"
        raw["shocks"] = raw["shocks"] + [
            {k: v for k, v in s.items() if k != "week"} for s in self.live_shocks
        ]
        if self.side_by_side:
            i = self.business_names.index(self.params["focus"])
            raw["arms"] = [
                {"name": COMMUNITY, "set": {f"businesses.{i}.strategy": COMMUNITY}},
                {"name": TRANSACTIONAL, "set": {f"businesses.{i}.strategy": TRANSACTIONAL}},
            ]
        return scenario_from_dict(raw, self.town.source)

    def results(self) -> Results:
        """The run so far as :class:`~sim.runs.runner.Results` (as ``commsim run`` would make them)."""
        with self.lock:
            if self.week < 1:
                raise ValueError("nothing to save yet: run at least one week")
            tables = []
            arm_names = [COMMUNITY, TRANSACTIONAL] if self.side_by_side else ["base"]
            for arm, run in zip(arm_names, self.runs, strict=True):
                df = run.model.recorder.table()
                df.insert(0, "seed", self.model_seed)
                df.insert(0, "replication", 0)
                df.insert(0, "arm", arm)
                df.insert(0, "run_id", f"{arm}-r0")
                tables.append(df)
            ts = pd.concat(tables, ignore_index=True)
            strat = strategy_table(ts)
            return Results(ts, strat, summary_table(strat), self.saved_scenario(), [self.model_seed])

    def save(self, root: str | os.PathLike | None = None) -> Path:
        """Write a results folder as ``commsim run`` does; returns its path."""
        from sim.outputs.results_folder import write_results

        results = self.results()
        root = root or os.environ.get(ENV_RESULTS) or "results"
        out = new_results_dir(results.scenario.name, None, root)
        return write_results(results, out, self.started).resolve()


def make_shock(kind: str, start: int, business: str, category: str, money_scale: float = 1.0) -> Shock:
    """A shock of ``kind`` starting at ``start`` with the parameter table's default sizes.

    A chain store's ads and reserves are multiplied by ``money_scale`` (see :func:`scale_money`).
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


# ----------------------------------------------------------------------------- measures
def _window(model: CommunityModel) -> tuple[dict[str, np.ndarray], int]:
    rec = model.recorder
    return rec.data, rec.rows


def main_business(model: CommunityModel) -> np.ndarray:
    """Each customer's main business, -1 for none.

    The business they bought from most recently among those they are still active with
    (bought within the business's churn window).
    """
    active = model.active_mask()
    last = np.where(active, model.last_purchase, -1)
    main = last.argmax(axis=1)
    return np.where(last.max(axis=1) >= 0, main, -1)


def leaders(model: CommunityModel) -> dict[str, Any]:
    """Which strategy leads on revenue and on retention (chain stores left out).

    Revenue: mean weekly revenue per business of the strategy over the last 4 weeks (per
    business, so a group of two is not outweighed by a group of eight). Retention: mean
    retention rate of the strategy's open businesses this week.
    """
    data, t = _window(model)
    out: dict[str, Any] = {
        "revenue_leader": None,
        "retention_leader": None,
        "revenue": {},
        "retention": {},
    }
    if t == 0:
        return out
    names = np.array(model.strategy_names())
    lo = max(0, t - 4)
    alive = data["alive"][t - 1] > 0
    for s in dict.fromkeys(str(x) for x in names):
        if s == "chain":
            continue
        cols = names == s
        out["revenue"][s] = float(data["revenue"][lo:t, cols].sum(axis=1).mean() / cols.sum())
        r = data["retention_rate"][t - 1, cols & alive]
        r = r[np.isfinite(r)]
        if len(r):
            out["retention"][s] = float(r.mean())
    if len(out["revenue"]) > 1:
        out["revenue_leader"] = max(out["revenue"], key=out["revenue"].get)
    if len(out["retention"]) > 1:
        out["retention_leader"] = max(out["retention"], key=out["retention"].get)
    return out


def focus_comparison(ws: Workshop) -> dict[str, Any]:
    """Side by side: the focus business in both runs (revenue last 4 weeks, customers, cash)."""
    i = ws.business_names.index(ws.params["focus"])
    rows = []
    for run in ws.runs:
        data, t = _window(run.model)
        lo = max(0, t - 4)
        rows.append(
            {
                "label": run.label,
                "revenue": float(data["revenue"][lo:t, i].mean()) if t else 0.0,
                "customers": int(data["customers_active"][t - 1, i]) if t else 0,
                "cash": float(run.model.cash[i]),
                "open": bool(run.model.alive[i]) or t == 0,
            }
        )
    return {"focus": ws.params["focus"], "runs": rows}


def _clean(v: float) -> float | None:
    return None if not math.isfinite(v) else round(float(v), 3)


SERIES = (
    ("revenue", "Revenue per business (per week)"),
    ("customers_active", "Active customers per business"),
    ("promoter_score", "Promoter score (-100 to 100)"),
    ("cash", "Cash per business"),
)
"""The line charts: measure and title."""


def strategy_series(model: CommunityModel) -> tuple[list[dict], list[dict]]:
    """Per strategy and week: means per business (promoter score over open businesses)."""
    data, t = _window(model)
    names = np.array(model.strategy_names())
    rows: list[dict] = []
    bars: list[dict] = []
    if t == 0:
        return rows, bars
    weeks = np.arange(1, t + 1)
    alive = data["alive"][:t] > 0
    for s in dict.fromkeys(names):
        cols = names == s
        for m, _ in SERIES:
            block = data[m][:t, cols]
            if m == "promoter_score":
                vals = _nanmean_rows(np.where(alive[:, cols], block, np.nan))
            else:
                vals = block.sum(axis=1) / cols.sum()
            rows += [{"w": int(w), "s": s, "m": m, "v": _clean(v)} for w, v in zip(weeks, vals, strict=True)]
        for ch in CHANNELS:
            total = data[f"new_from_{ch}"][:t, cols].sum() / cols.sum()
            bars.append({"ch": CHANNEL_LABELS[ch], "s": s, "v": round(float(total), 2)})
    return rows, bars


def _nanmean_rows(a: np.ndarray) -> np.ndarray:
    n = np.isfinite(a).sum(axis=1)
    s = np.where(np.isfinite(a), a, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def focus_series(ws: Workshop) -> tuple[list[dict], list[dict]]:
    """Side by side: the focus business's measures in each run."""
    i = ws.business_names.index(ws.params["focus"])
    rows: list[dict] = []
    bars: list[dict] = []
    for run in ws.runs:
        data, t = _window(run.model)
        weeks = np.arange(1, t + 1)
        for m, _ in SERIES:
            vals = data[m][:t, i]
            rows += [
                {"w": int(w), "s": run.label, "m": m, "v": _clean(v)}
                for w, v in zip(weeks, vals, strict=True)
            ]
        for ch in CHANNELS:
            bars.append(
                {
                    "ch": CHANNEL_LABELS[ch],
                    "s": run.label,
                    "v": float(data[f"new_from_{ch}"][:t, i].sum()),
                }
            )
    return rows, bars


# ----------------------------------------------------------------------------- charts
def chart_spec(ws: Workshop) -> dict[str, Any]:
    """A Vega-Lite spec of the live charts, with every shock's week marked by a labelled rule."""
    rows, bars = ws.chart_data()
    if ws.side_by_side:
        domain = [r.label for r in ws.runs]
        colours = [r.colour for r in ws.runs]
        subject = f"{ws.params['focus']}: "
    else:
        c = ws.colours()
        domain, colours, subject = list(c), list(c.values()), ""
    colour = {
        "field": "s",
        "type": "nominal",
        "title": None,
        "scale": {"domain": domain, "range": colours},
        "legend": {"orient": "bottom", "columns": 4},
    }
    x_max = max(ws.week + 1, 13)
    x = {
        "field": "w",
        "type": "quantitative",
        "title": "week",
        "scale": {"domain": [0, x_max], "nice": False},
    }
    marks = ws.shock_marks()
    panels = []
    for m, title in SERIES:
        y: dict[str, Any] = {"field": "v", "type": "quantitative", "title": None}
        if m == "promoter_score":
            y["scale"] = {"domain": [-100, 100]}
        panels.append(
            {
                "title": subject + title.replace(" per business", "") if ws.side_by_side else title,
                "width": 270,
                "height": 150,
                "layer": [
                    {
                        "data": {"name": "series"},
                        "transform": [{"filter": {"field": "m", "equal": m}}],
                        "mark": {"type": "line", "strokeWidth": 2},
                        "encoding": {"x": x, "y": y, "color": colour},
                    },
                    {
                        "data": {"name": "shocks"},
                        "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#444"},
                        "encoding": {"x": {"field": "w", "type": "quantitative"}},
                    },
                    {
                        "data": {"name": "shocks"},
                        "mark": {
                            "type": "text",
                            "align": "left",
                            "baseline": "top",
                            "dx": 3,
                            "fontSize": 10,
                            "color": "#222",
                        },
                        "encoding": {
                            "x": {"field": "w", "type": "quantitative"},
                            "y": {"value": 2},
                            "text": {"field": "label"},
                        },
                    },
                ],
            }
        )
    panels.append(
        {
            "title": (subject if ws.side_by_side else "")
            + "New customers so far, by channel"
            + ("" if ws.side_by_side else " (per business)"),
            "width": 270,
            "height": 150,
            "data": {"name": "channels"},
            "mark": "bar",
            "encoding": {
                "x": {
                    "field": "ch",
                    "type": "nominal",
                    "title": None,
                    "sort": [CHANNEL_LABELS[c] for c in CHANNELS],
                    "axis": {"labelAngle": -30},
                },
                "xOffset": {"field": "s", "type": "nominal", "scale": {"domain": domain}},
                "y": {"field": "v", "type": "quantitative", "title": None},
                "color": colour,
            },
        }
    )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        # SVG (not canvas): shock labels are text in the page; no action menu (links to the web)
        "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
        "datasets": {"series": rows, "channels": bars, "shocks": marks},
        "concat": panels,
        "columns": 3,
        "config": {
            "view": {"stroke": None},
            "axis": {"labelFontSize": 10},
            "title": {"fontSize": 12},
        },
    }


# ----------------------------------------------------------------------------- town view
class TownLayout:
    """Positions of the town view, computed once per reset (no force-directed layout).

    Neighbourhoods sit on a circle (a grid when there are many); each neighbourhood's customers
    fill a disc around its centre on a sunflower spiral, so the layout is O(customers) and
    deterministic. Businesses sit on a small ring inside their home neighbourhood. Strong ties
    (within a neighbourhood) and weak ties (long range) are drawn as two pre-built paths.
    """

    SIZE = 1000.0

    def __init__(self, model: CommunityModel) -> None:
        n = model.n_customers
        hood = np.asarray(model.neighbourhood)
        n_hoods = int(hood.max()) + 1 if n else 1
        self.centres = self._centres(n_hoods)
        sizes = np.bincount(hood, minlength=n_hoods)
        spacing = self._spacing(n_hoods)
        radius = 0.45 * spacing * np.sqrt(sizes / max(sizes.max(), 1))
        self.hood_radius = radius
        xy = np.zeros((n, 2))
        golden = math.pi * (3 - math.sqrt(5))
        for h in range(n_hoods):
            idx = np.flatnonzero(hood == h)
            k = np.arange(len(idx))
            r = radius[h] * np.sqrt((k + 0.5) / max(len(idx), 1))
            a = k * golden
            xy[idx, 0] = self.centres[h, 0] + r * np.cos(a)
            xy[idx, 1] = self.centres[h, 1] + r * np.sin(a)
        self.xy = xy
        self.dot = float(np.clip(0.9 * spacing / math.sqrt(max(sizes.max(), 1)) * 0.5, 1.5, 9.0))
        net = model.network
        src, dst = np.asarray(net.sources), np.asarray(net.targets)
        weak = (
            np.asarray(net.weak, dtype=bool)
            if getattr(net, "weak", None) is not None
            else np.zeros(len(src), bool)
        )
        if len(src) > MAX_EDGES_DRAWN:
            keep = np.random.default_rng(0).choice(len(src), MAX_EDGES_DRAWN, replace=False)
            src, dst, weak = src[keep], dst[keep], weak[keep]
        self.strong_path = self._path(src[~weak], dst[~weak])
        self.weak_path = self._path(src[weak], dst[weak])
        self.edges_drawn = len(src)
        self._business_xy: dict[int, tuple[float, float]] = {}
        self.spacing = spacing

    def _spacing(self, n_hoods: int) -> float:
        if n_hoods <= 1:
            return 0.8 * self.SIZE
        if n_hoods <= 12:
            ring = 0.34 * self.SIZE
            return min(2 * ring * math.sin(math.pi / n_hoods), 0.45 * self.SIZE)
        return 0.9 * self.SIZE / math.ceil(math.sqrt(n_hoods))

    def _centres(self, n_hoods: int) -> np.ndarray:
        c = self.SIZE / 2
        if n_hoods <= 1:
            return np.array([[c, c]])
        if n_hoods <= 12:
            a = 2 * math.pi * np.arange(n_hoods) / n_hoods - math.pi / 2
            return np.column_stack([c + 0.34 * self.SIZE * np.cos(a), c + 0.34 * self.SIZE * np.sin(a)])
        side = math.ceil(math.sqrt(n_hoods))
        cell = 0.9 * self.SIZE / side
        i = np.arange(n_hoods)
        return np.column_stack(
            [
                0.05 * self.SIZE + cell * (i % side + 0.5),
                0.05 * self.SIZE + cell * (i // side + 0.5),
            ]
        )

    def _path(self, s: np.ndarray, d: np.ndarray) -> str:
        a, b = self.xy[s], self.xy[d]
        return "".join(
            f"M{x0:.0f} {y0:.0f}L{x1:.0f} {y1:.0f}" for (x0, y0), (x1, y1) in zip(a, b, strict=True)
        )

    def business_xy(self, model: CommunityModel, b: int) -> tuple[float, float]:
        """Where business ``b`` is drawn (cached; chain stores opened live get a place too)."""
        if b not in self._business_xy:
            h = int(model.business_hood[b]) % len(self.centres)
            same = [
                i for i in range(model.n_businesses) if int(model.business_hood[i]) % len(self.centres) == h
            ]
            j = same.index(b)
            r = 0.45 * self.hood_radius[h] if len(same) > 1 else 0.0
            a = 2 * math.pi * j / max(len(same), 1) - math.pi / 2
            self._business_xy[b] = (
                self.centres[h, 0] + r * math.cos(a),
                self.centres[h, 1] + r * math.sin(a),
            )
        return self._business_xy[b]


def town_svg(ws: Workshop, run: Run, width: int = 520) -> str:
    """The town view of one run as an SVG string.

    Customers are dots coloured by the strategy of their main business (:func:`main_business`;
    grey for none); businesses are larger squares in their strategy's colour, labelled with
    their name (crossed out when closed); the side-by-side business has a thick outline.
    """
    with ws.lock:
        m = run.model
        lay = ws.layout
        colours = ws.colours()
        strat = m.strategy_names()
        main = main_business(m)
        fill = np.array([colours.get(s, "#888") for s in strat] + [NO_BUSINESS])[main]
        dot = lay.dot
        parts = [
            f'<svg class="town" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {lay.SIZE:.0f} {lay.SIZE:.0f}" '
            f'width="{width}" height="{width}" style="background:#fff">',
            f'<path d="{lay.strong_path}" stroke="#d9d9d9" stroke-width="1" fill="none"/>',
            f'<path d="{lay.weak_path}" stroke="#9ecae1" stroke-width="1" '
            f'stroke-dasharray="4 3" fill="none"/>',
        ]
        parts += [
            f'<circle class="customer" cx="{x:.0f}" cy="{y:.0f}" r="{dot:.1f}" fill="{c}"/>'
            for (x, y), c in zip(lay.xy, fill, strict=True)
        ]
        focus = ws.params["focus"] if ws.side_by_side else None
        for b in range(m.n_businesses):
            if m.opens[b] > m.week and not m.alive[b]:
                continue  # a chain store that has not opened yet
            x, y = lay.business_xy(m, b)
            name = m.business_name[b]
            c = colours.get(strat[b], "#888")
            s = 26
            stroke = 6 if name == focus else 2
            parts.append(
                f'<g class="business" data-name="{html.escape(name)}" data-strategy="{strat[b]}">'
                f'<rect x="{x - s / 2:.0f}" y="{y - s / 2:.0f}" width="{s}" height="{s}" '
                f'fill="{c if m.alive[b] else "#fff"}" stroke="#111" stroke-width="{stroke}"/>'
            )
            if not m.alive[b]:
                parts.append(
                    f'<path d="M{x - s / 2:.0f} {y - s / 2:.0f}L{x + s / 2:.0f} {y + s / 2:.0f}'
                    f'M{x + s / 2:.0f} {y - s / 2:.0f}L{x - s / 2:.0f} {y + s / 2:.0f}" '
                    f'stroke="#111" '
                    f'stroke-width="3"/>'
                )
            parts.append(
                f'<text x="{x:.0f}" y="{y + s / 2 + 16:.0f}" font-size="18" text-anchor="middle" '
                f'font-family="sans-serif" stroke="#fff" stroke-width="4" paint-order="stroke">'
                f"{html.escape(name)}</text></g>"
            )
        ly = 24
        for s, c in list(colours.items()) + [("no business", NO_BUSINESS)]:
            parts.append(
                f'<circle cx="20" cy="{ly}" r="8" fill="{c}"/>'
                f'<text x="34" y="{ly + 6}" font-size="18" '
                f'font-family="sans-serif">{html.escape(s)}</text>'
            )
            ly += 26
        parts.append("</svg>")
        return "".join(parts)


# ----------------------------------------------------------------------------- the page
try:  # the page needs solara; the model wiring above does not
    import solara
    from mesa.visualization.solara_viz import ModelController
    from mesa.visualization.utils import force_update, update_counter
except ImportError:  # pragma: no cover
    solara = None  # type: ignore[assignment]


def _fmt(value: float, is_int: bool) -> str:
    if is_int:
        return f"{int(round(value)):,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


if solara is not None:

    @solara.component
    def ParamSlider(control: Control, value: float, on_value) -> None:
        """A slider fed from the parameter table, with the meaning as its help text."""
        lo, hi = control.bounds
        label = f"{control.label}: {_fmt(value, control.is_int)}"
        if control.unit:
            label += f" ({control.unit})"

        def changed(v, control=control):
            on_value(control.name, int(round(v)) if control.is_int else float(v))

        with solara.Div(classes=["commsim-slider"], attributes={"data-param": control.name}):
            solara.Text(label, style={"font-size": "0.85rem", "font-weight": "500"})
            solara.v.Slider(
                v_model=value,
                on_v_model=changed,
                min=lo,
                max=hi,
                step=control.step,
                hint=control.meaning,
                persistent_hint=True,
                dense=True,
                class_=f"commsim-slider-{control.name}",
            )

    @solara.component
    def Headline(ws: Workshop) -> None:
        """Week, demand and which strategy leads."""
        update_counter.get()
        h = ws.headline()
        bits = [
            f'<span class="cs-week"><b>Week {h["week"]}</b> of {h["horizon"]}</span>',
            f'<span class="cs-demand">Demand {100 * h["demand"]:.0f}%</span>',
            f'<span class="cs-size">{h["customers"]:,} customers, {h["businesses"]} businesses</span>',
        ]
        if h["side_by_side"]:
            comp = h["comparison"]
            runs = comp["runs"]
            if h["week"] > 0:
                best = max(runs, key=lambda r: r["revenue"])
                bits.append(
                    f'<span class="cs-lead">{html.escape(comp["focus"])} earns more as '
                    f"<b>{html.escape(best['label'].split(' ', 1)[0].rstrip(':'))}</b> "
                    f"({', '.join(f'{r["revenue"]:.0f}' for r in runs)} a week)</span>"
                )
            for r in runs:
                bits.append(
                    f'<span class="cs-run">{html.escape(r["label"])}: {r["customers"]} customers, '
                    f"cash {r['cash']:,.0f}{'' if r['open'] else ' (closed)'}</span>"
                )
        else:
            rl, tl = h["revenue_leader"], h["retention_leader"]
            bits.append(f'<span class="cs-lead-revenue">Revenue leader: <b>{rl or "-"}</b></span>')
            bits.append(f'<span class="cs-lead-retention">Retention leader: <b>{tl or "-"}</b></span>')
        solara.HTML(
            tag="div",
            unsafe_innerHTML=" &nbsp;|&nbsp; ".join(bits),
            classes=["commsim-headline"],
            style="font-size:1.05rem; padding:8px 12px; background:#f3f6f4; border-radius:6px;",
        )

    @solara.component
    def TownView(ws: Workshop) -> None:
        """The town's network, one panel per run."""
        update_counter.get()
        width = 470 if ws.side_by_side else 560
        with solara.Row(classes=["commsim-towns"]):
            for run in ws.runs:
                with solara.Column(classes=["commsim-town"]):
                    if ws.side_by_side:
                        solara.Text(
                            run.label,
                            classes=["commsim-run-label"],
                            style={"font-weight": "600", "color": run.colour},
                        )
                    solara.HTML(tag="div", unsafe_innerHTML=town_svg(ws, run, width))

    @solara.component
    def Charts(ws: Workshop) -> None:
        """The live charts (Vega-Lite, drawn as SVG by the browser)."""
        update_counter.get()
        solara.Div(
            children=[solara.widgets.VegaLite.element(spec=chart_spec(ws))],
            classes=["commsim-charts"],
        )

    @solara.component
    def Page() -> None:
        """The workshop page: one :class:`Workshop` per browser session."""
        defaults = solara.use_memo(default_params, [])
        first = solara.use_memo(lambda: Workshop(**defaults), [])
        model = solara.use_reactive(first)
        params = solara.use_reactive(dict(defaults))
        play_interval = solara.use_reactive(DEFAULT_PAUSE_MS)
        render_interval = solara.use_reactive(1)
        use_threads = solara.use_reactive(False)
        saved = solara.use_reactive("")
        message = solara.use_reactive("")
        bad_review_target = solara.use_reactive(defaults["focus"])
        chain_category = solara.use_reactive("")
        ws = model.value

        def set_param(name, value):
            params.value = {**params.value, name: value}

        def rebuild(**changes):
            params.value = {**params.value, **changes}
            model.value = Workshop(**params.value)
            saved.set("")

        def shock(kind):
            try:
                rec = ws.add_shock(
                    kind,
                    business=bad_review_target.value or None,
                    category=chain_category.value or None,
                )
                message.set(f"{SHOCK_LABELS[kind]} from week {rec['week']}")
            except (KeyError, ValueError) as exc:
                message.set(f"cannot add {kind}: {exc}")
            force_update()

        def save():
            try:
                saved.set(str(model.value.save()))
            except (ValueError, OSError) as exc:
                saved.set(f"not saved: {exc}")

        pending = any(params.value.get(k) != ws.params.get(k) for k in CONTROL_BY_NAME)
        with solara.AppBar():
            solara.AppBarTitle("commsim: community or transactional? A live town")
        with solara.Sidebar(), solara.Column():
            with solara.Card("Controls"):
                ModelController(
                    model,
                    model_parameters=params,
                    play_interval=play_interval,
                    render_interval=render_interval,
                    use_threads=use_threads,
                )
                solara.SliderInt("Pause between weeks (ms)", value=play_interval, min=0, max=500, step=10)
            with solara.Card("Town (applies at Reset)"):
                if pending:
                    solara.Text(
                        "Settings changed: press Reset to build the new town.",
                        classes=["commsim-pending"],
                        style={"color": "#b35900"},
                    )
                scenario_customers = base_scenario(ws.params["scenario_file"]).data["population"]["customers"]
                solara.Text(
                    f"Money is scaled to the town: {ws.model.n_customers:,} of the scenario's "
                    f"{scenario_customers:,} "
                    f"customers, so costs, cash and ad budgets are x{ws.money_scale:.2f} "
                    "(the same economics per customer). Sliders show the scenario's values.",
                    classes=["commsim-scale-note"],
                    style={"font-size": "0.8rem", "color": "#555"},
                )
                for c in CONTROLS:
                    ParamSlider(c, params.value[c.name], set_param)
            with solara.Card("Side by side"):
                solara.Checkbox(
                    label="Same town twice: one business community vs transactional",
                    value=ws.side_by_side,
                    on_value=lambda v: rebuild(side_by_side=bool(v)),
                )
                solara.Select(
                    "Business compared",
                    values=ws.business_names,
                    value=ws.params["focus"],
                    on_value=lambda v: rebuild(focus=v),
                )
            with solara.Card("Shocks (from the next week)"):
                with solara.Row():
                    solara.Button(
                        "Recession now",
                        on_click=lambda: shock("recession"),
                        color="error",
                        classes=["commsim-shock-recession"],
                    )
                    solara.Button(
                        "Lockdown",
                        on_click=lambda: shock("lockdown"),
                        classes=["commsim-shock-lockdown"],
                    )
                solara.Select(
                    "Chain store category",
                    values=ws.categories(),
                    value=chain_category.value or ws._default_category(),
                    on_value=chain_category.set,
                )
                solara.Button(
                    "Chain store opens",
                    on_click=lambda: shock("chain_store"),
                    classes=["commsim-shock-chain"],
                )
                solara.Select(
                    "Business reviewed",
                    values=ws.business_names,
                    value=bad_review_target.value
                    if bad_review_target.value in ws.business_names
                    else ws.business_names[0],
                    on_value=bad_review_target.set,
                )
                solara.Button(
                    "Viral bad review",
                    on_click=lambda: shock("viral_bad_review"),
                    classes=["commsim-shock-review"],
                )
                if message.value:
                    solara.Text(message.value, classes=["commsim-shock-message"])
            with solara.Card("Save this run"):
                solara.Button("Save this run", on_click=save, classes=["commsim-save"])
                if saved.value:
                    solara.Text(saved.value, classes=["commsim-saved"], style={"word-break": "break-all"})
        with solara.Column(style={"padding": "8px"}):
            Headline(ws)
            TownView(ws)
            Charts(ws)

    page = Page
