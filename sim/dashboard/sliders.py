"""The sliders of the workshop page: which parameter each one sets, its range, unit and help text.

Sliders are generated from :data:`sim.config.parameters.PARAMETERS` (default, range, unit and meaning;
the meaning is the slider's help text; the table is docs/ODD.md section 9), except "share of
businesses that are community-focused", a dashboard-level control: it sets the strategy of the
town's community and transactional businesses (round-robin over categories, so a share of 0.5
gives every category one of each, as ``scenarios/baseline.toml`` does; see
:func:`sim.dashboard.workshop_town.town_scenario`). Businesses with any other strategy keep theirs. Slider
ranges are the parameter's range, narrowed where a scenario's range is wider than a room needs
(customers 50-2000, ad budget up to 1000 a week, seed 0-9999); see :data:`CONTROLS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.parameters import PARAMETERS, Param


@dataclass(frozen=True)
class Control:
    """One slider: a model keyword, the parameter it comes from and where it goes in the scenario.

    Attributes:
        name: keyword of :class:`~sim.dashboard.workshop.Workshop` (and of Mesa's reset).
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
