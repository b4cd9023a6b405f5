"""Where each seed claim holds: the regimes of the report's sweep and the runs each regime needs.

A regime is the baseline settings with one parameter at a low or a high value (a one-at-a-time
design around the defaults): town size, customers' price sensitivity, the cost of reaching a
customer by ads, word of mouth and the share of customers who weigh conduct (values weight), the
parameters the seed claims lean on and the first ones the Morris screening of ODD section 10
ranks. Every claim is judged in every regime on the same two seed sets.

:data:`RUNS` lists the scenario and arm of every run a claim reads (``sim.validation.claims``);
:func:`plan` turns regimes x runs x replications into jobs (``sim.validation.replicate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.config.parameters import PARAMETERS
from sim.config.scenario import Scenario
from sim.validation.evidence import scenario
from sim.validation.replicate import CHANNELS, Job, PhasedBursts, seed_sets

SWEPT = (
    ("population.customers", "town size", 1000, 6000),
    ("population.price_sensitivity_mean", "price sensitivity", 0.5, 6.0),
    ("economy.ad_cost_per_reach", "ad cost", 1.0, 4.0),
    ("behaviour.word_of_mouth", "word of mouth", 0.1, 0.8),
    ("population.values_weight_share", "values weight", 0.5, 0.95),
)
"""(parameter key, name, low value, high value) of each swept parameter."""

OWNER_TIME_LEVELS = (0.0, 0.06, 0.12, 0.2, 0.3, 0.45, 0.6, 0.8)
"""Shares of owner time on community work swept for the owner-time claim (0.12 is the default)."""
REWIRE_NONE, REWIRE_DOUBLED = 0.0, 0.2
"""Long-range (weak) tie shares of the weak-tie arms (the baseline town has 0.1)."""
PHASES = 6
"""Burst phases the inconsistent businesses are spread over (a cycle of 24 weeks: every 4)."""


@dataclass(frozen=True)
class Regime:
    """The baseline settings with at most one parameter changed."""

    name: str
    key: str | None = None
    value: Any = None

    def overrides(self) -> dict[str, Any]:
        """The dotted key it sets (none for the base regime)."""
        return {self.key: self.value} if self.key else {}

    @property
    def label(self) -> str:
        """E.g. ``town size = 1,000 customers`` (``defaults`` for the base regime)."""
        if not self.key:
            return "defaults"
        unit = PARAMETERS[self.key].unit
        return f"`{self.key}` = {self.value:,g}" + (f" ({unit})" if unit else "")


def regimes(customers_scale: float = 1.0) -> list[Regime]:
    """The base regime, then each swept parameter low and high (town sizes x ``customers_scale``)."""
    out = [Regime("base")]
    for key, name, low, high in SWEPT:
        for tag, v in (("low", low), ("high", high)):
            if key == "population.customers":
                v = max(50, round(v * customers_scale))
            out.append(Regime(f"{name} {tag}", key, v))
    return out


@dataclass(frozen=True)
class Run:
    """A scenario and arm that some claim reads, and what to keep of it.

    Attributes:
        key: ``(scenario key, arm)``; the job key is ``(regime name, *key)``.
        file: the shipped scenario it starts from.
        overrides: the arm's dotted keys.
        weekly: weekly columns kept per strategy group.
        phased: spread the ``inconsistent`` businesses over :data:`PHASES` burst phases.
        base_only: run in the base regime only.
        steps: weeks (None: the scenario's).
        cohorts: keep the cohort table (ODD 7.9).
    """

    key: tuple[str, str]
    file: str
    overrides: dict[str, Any] = field(default_factory=dict)
    weekly: tuple[str, ...] = ("revenue", "profit", "customers_active")
    phased: bool = False
    base_only: bool = False
    steps: int | None = None
    cohorts: bool = False


def owner_time_arm(level: float) -> str:
    """Arm name of a share of owner time (``base`` for the default 0.12)."""
    return "base" if abs(level - 0.12) < 1e-12 else f"community_time={level:g}"


BASE_WEEKLY = (
    "revenue",
    "profit",
    "customers_active",
    "goods_cost",
    *CHANNELS,
    "new_customers",
    "acquisition_spend",
    "ad_cost",
    "community_cost",
    "repeats",
    "repeat_chances",
    *(f"revenue_from_{c[len('new_from_') :]}" for c in CHANNELS),
)
"""Weekly columns kept of the baseline town (those the model does not record are left out)."""

RUNS: tuple[Run, ...] = (
    Run(("baseline", "base"), "baseline", weekly=BASE_WEEKLY, cohorts=True),
    *(
        Run(
            ("baseline", owner_time_arm(lv)),
            "baseline",
            {"strategies.community.community_time": lv},
            ("revenue", "profit", "goods_cost"),
        )
        for lv in OWNER_TIME_LEVELS
        if owner_time_arm(lv) != "base"
    ),
    Run(
        ("baseline", "no_partnerships"),
        "baseline",
        {"strategies.community.seeks_partners": False, "strategies.community.partner_referrals": 0.0},
        ("profit",),
    ),
    Run(("baseline", "no_long_ties"), "baseline", {"network.rewire": REWIRE_NONE}, CHANNELS),
    Run(("baseline", "doubled_long_ties"), "baseline", {"network.rewire": REWIRE_DOUBLED}, CHANNELS),
    Run(("recession", "base"), "recession", weekly=("revenue", "customers_active")),
    Run(("partnerships", "base"), "partnerships", weekly=("profit", "partner_referrals_received")),
    Run(("inconsistent", "phased"), "inconsistent_engagement", weekly=("revenue", "profit"), phased=True),
    Run(("inconsistent", "phase0"), "inconsistent_engagement", weekly=("revenue", "profit"), base_only=True),
    Run(("survival", "base"), "baseline", weekly=(), base_only=True, steps=208),
)
"""Every run the seed claims and the patterns read (the referral pattern adds its own)."""


def phased(sc: Scenario, replication: int) -> tuple[Scenario, tuple, tuple]:
    """``sc`` with its ``inconsistent`` businesses at burst phases 0, 4, 8, ... weeks.

    The phases rotate with the replication, so that over :data:`PHASES` replications each
    business (category) takes every phase. Returns the scenario, the strategy objects by name and
    the mapping of their names to the ``inconsistent`` group.
    """
    base = sc.data["strategies"]["inconsistent"]
    cycle = int(base["burst_weeks"]) + int(base["pause_weeks"])
    idx = [i for i, g in enumerate(sc.data["businesses"]) if g["strategy"] == "inconsistent"]
    overrides: dict[str, Any] = {}
    objects, groups = {}, {}
    params = {k: v for k, v in base.items() if k != "extends"}
    for j, i in enumerate(idx):
        phase = ((j + replication) % PHASES) * cycle // PHASES
        name = f"inconsistent_phase{phase}"
        overrides[f"strategies.{name}.extends"] = "inconsistent"
        overrides[f"businesses.{i}.strategy"] = name
        objects[name] = PhasedBursts(name=name, phase=phase, **params)
        groups[name] = "inconsistent"
    return sc.with_overrides(overrides), tuple(objects.items()), tuple(groups.items())


def plan(
    regs: list[Regime], replications: int, customers_scale: float = 1.0, runs: tuple[Run, ...] = RUNS
) -> list[Job]:
    """Jobs for every regime x run x replication of both seed sets (:func:`seed_sets`)."""
    jobs: list[Job] = []
    cache: dict[tuple, Scenario] = {}
    for reg in regs:
        for run in runs:
            if run.base_only and reg.key:
                continue
            sc = scenario(run.file)
            scaled = {
                "population.customers": max(50, round(sc.data["population"]["customers"] * customers_scale))
            }
            steps_set = {"run.steps": run.steps} if run.steps else {}
            sc = sc.with_overrides({**scaled, **steps_set, **reg.overrides(), **run.overrides})
            seeds = seed_sets(sc.data["run"]["seed"], replications)
            steps = run.steps or sc.data["run"]["steps"]
            for r, s in enumerate(seeds):
                strategies: tuple = ()
                groups: tuple = ()
                this = sc
                if run.phased:
                    ck = (reg.name, run.key, r % PHASES)
                    if ck not in cache:
                        cache[ck] = phased(sc, r)  # type: ignore[assignment]
                    this, strategies, groups = cache[ck]  # type: ignore[misc]
                jobs.append(
                    Job(
                        (reg.name, *run.key),
                        this,
                        r,
                        s,
                        steps,
                        strategies,
                        groups,
                        run.weekly,
                        cohorts=run.cohorts,
                    )
                )
    return jobs
