"""The session's model: the workshop town (or the same town twice, side by side), week by week.

What the page drives is a :class:`Workshop`, a small ``mesa.Model`` that holds one
:class:`~sim.core.model.CommunityModel` (or two, side by side) built from the scenario and the
sliders (:mod:`sim.dashboard.workshop_town`); one :meth:`Workshop.step` is one week of every run
(docs/ODD.md section 3). It also takes the shock buttons' shocks, gives the headline's and charts'
numbers and saves the run as ``commsim run`` would. Each browser session builds its own
:class:`Workshop` when the page first renders; nothing is built at import, so participants who
open the page on their laptops never step each other's town.
"""

from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.config.scenario import NAME_MAX, Scenario, scenario_from_dict
from sim.core.measures import CHANNELS
from sim.core.model import CommunityModel
from sim.core.shocks import Shock, ViralBadReview
from sim.dashboard.live_measures import (
    CHANNEL_LABELS,
    CLOSED,
    REVENUE_DECIMALS,
    SERIES,
    business_states,
    chart_value,
    leaders,
    recorded,
    state_counts,
    strategy_series,
)
from sim.dashboard.shock_buttons import SHOCK_LABELS, describe, make_shock
from sim.dashboard.town_layout import TownLayout
from sim.dashboard.workshop_town import (
    COMMUNITY,
    DEFAULT_CUSTOMERS,
    TRANSACTIONAL,
    default_params,
    money_scale,
    town_scenario,
)
from sim.outputs.storage import new_results_dir, utc_now
from sim.runs.runner import Results, cohort_table, replication_seeds, strategy_table, summary_table

ENV_RESULTS = "COMMSIM_DASHBOARD_RESULTS"
"""Environment variable naming the folder "Save this run" writes under (default ``results``)."""

STRATEGY_COLOURS = {
    COMMUNITY: "#1b9e77",
    TRANSACTIONAL: "#d95f02",
    "inconsistent": "#7570b3",
    "free_rider": "#e7298a",
    "chain": "#a50f15",
}
"""Colour of each strategy in the town view, the charts and the legend."""
OTHER_COLOURS = ("#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#6a3d9a")
"""Colours of the strategies beyond :data:`STRATEGY_COLOURS`, in order of appearance."""


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
        self,
        kind: str,
        business: str | None = None,
        category: str | None = None,
        depth: float | None = None,
        duration: int | None = None,
    ) -> dict[str, Any]:
        """Trigger a shock that acts from the next simulated week; returns its record.

        ``depth`` (a share) and ``duration`` (weeks) size a recession, lockdown or cost spike
        (:func:`~sim.dashboard.shock_buttons.make_shock`); left out, the parameter table's
        defaults (a recession of 25% for 26 weeks, a lockdown of 12 weeks, ...). The shock is
        added to every run, so side-by-side runs stay paired. The record's ``text`` says what
        it does, with its units.
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
                        depth=depth,
                        duration=duration,
                    )
                )
            for run, shock in zip(self.runs, shocks, strict=True):
                run.model.add_shock(shock)
            self.live_shocks.append({"week": start, **shocks[0].to_dict()})
            return {**self.live_shocks[-1], "text": describe(shocks[0])}

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
        """The headline strip: week, demand, leaders (see :func:`~sim.dashboard.live_measures.leaders`)."""
        with self.lock:
            out: dict[str, Any] = {
                "week": self.week,
                "horizon": self.horizon,
                "demand": self.demand_index,
                "customers": self.model.n_customers,
                "businesses": int(self.model.n_businesses),
                "states": state_counts(self.model),
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
        raw["run"]["name"] = f"dashboard-{raw['run']['name']}"[:NAME_MAX]  # a name stays a valid name
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
            tables, cohorts = [], []
            arm_names = [COMMUNITY, TRANSACTIONAL] if self.side_by_side else ["base"]
            for arm, run in zip(arm_names, self.runs, strict=True):
                for df, out in ((run.model.recorder.table(), tables), (cohort_table(run.model), cohorts)):
                    df.insert(0, "seed", self.model_seed)
                    df.insert(0, "replication", 0)
                    df.insert(0, "arm", arm)
                    df.insert(0, "run_id", f"{arm}-r0")
                    out.append(df)
            ts = pd.concat(tables, ignore_index=True)
            strat = strategy_table(ts)
            return Results(
                ts,
                strat,
                summary_table(strat),
                self.saved_scenario(),
                [self.model_seed],
                pd.concat(cohorts, ignore_index=True),
            )

    def save(self, root: str | os.PathLike | None = None) -> Path:
        """Write a results folder as ``commsim run`` does; returns its path.

        Raises:
            ValueError: one line for the page: nothing to save yet, a saved scenario the
                validator refuses (its name checked as ``commsim run`` checks ``run.name``), or a
                folder that cannot be written (``root``, else ``$COMMSIM_DASHBOARD_RESULTS``,
                else ``results``).
        """
        from sim.config.scenario import ScenarioError
        from sim.outputs.results_folder import write_results

        try:
            results = self.results()
        except ScenarioError as exc:
            raise ValueError(f"cannot save the run: {exc}") from None
        root = Path(root or os.environ.get(ENV_RESULTS) or "results")
        try:
            out = new_results_dir(results.scenario.name, None, root)
            return write_results(results, out, self.started).resolve()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ValueError(f"cannot save the run under {root}: {reason}") from None


def focus_comparison(ws: Workshop) -> dict[str, Any]:
    """Side by side: the focus business in both runs and which run it does better in.

    Per run: revenue (mean of the last 4 weeks, currency a week), active customers last week,
    cash now (currency), its state and the run's counts of open, closed and not-yet-open
    businesses. ``sentence`` says which run earns more, or that it is a tie (the same revenue
    in whole currency units, as shown) or that the business has closed in both.
    """
    i = ws.business_names.index(ws.params["focus"])
    rows = []
    for run in ws.runs:
        data, t = recorded(run.model)
        lo = max(0, t - 4)
        state = business_states(run.model)[i]
        rows.append(
            {
                "label": run.label,
                "revenue": float(data["revenue"][lo:t, i].mean()) if t else 0.0,
                "customers": int(data["customers_active"][t - 1, i]) if t else 0,
                "cash": float(run.model.cash[i]),
                "open": state != CLOSED,
                "state": state,
                "states": state_counts(run.model),
            }
        )
    focus = ws.params["focus"]
    return {"focus": focus, "runs": rows, "sentence": comparison_sentence(focus, rows, ws.week)}


def comparison_sentence(focus: str, rows: list[dict[str, Any]], week: int) -> str:
    """Which run the focus business earns more in, a tie, or closed in both (plain text, with units).

    A tie is the same revenue at the precision shown (whole currency units a week).
    """
    if week == 0:
        return f"{focus}: nothing earned yet (week 0)"
    short = [r["label"].split(":", 1)[0] for r in rows]
    both = " and ".join(short)
    unit = "currency a week, mean of the last 4 weeks"
    if all(r["state"] == CLOSED for r in rows):
        return f"No winner: {focus} has closed in both {both}"
    shown = [f"{r['revenue']:,.{REVENUE_DECIMALS}f}" for r in rows]
    if len(set(shown)) == 1:
        return f"A tie: {focus} earns {shown[0]} in both {both} ({unit})"
    order = sorted(range(len(rows)), key=lambda k: rows[k]["revenue"], reverse=True)
    against = ", ".join(f"{shown[k]} as {short[k]}" for k in order[1:])
    return f"{focus} earns more as {short[order[0]]}: {shown[order[0]]}, against {against} ({unit})"


def focus_series(ws: Workshop) -> tuple[list[dict], list[dict]]:
    """Side by side: the focus business's measures in each run."""
    i = ws.business_names.index(ws.params["focus"])
    rows: list[dict] = []
    bars: list[dict] = []
    for run in ws.runs:
        data, t = recorded(run.model)
        weeks = np.arange(1, t + 1)
        for m, _ in SERIES:
            vals = data[m][:t, i]
            rows += [
                {"w": int(w), "s": run.label, "m": m, "v": chart_value(v)}
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
