"""Mesa agents that are views of the model's arrays.

The weekly rules run on whole-population arrays in :mod:`sim.core.model`; these agents give each
customer and business an identity in Mesa (``model.agents``, ``agents_by_type``, ``AgentSet``,
DataCollector agent reporters, SolaraViz) and expose their state as properties, read from and
written to those arrays. Their ``step`` raises: the week runs on the arrays, all at once. For a
DataCollector, report businesses with ``agenttype_reporters={Business: {"cash": "cash"}}``
(customers have no cash).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.core.stages.accounting import close

if TYPE_CHECKING:  # pragma: no cover
    from sim.core.strategies import Strategy


STEP_MESSAGE = (
    "commsim's agents are views of the model's arrays: the week runs for the whole town at once, "
    "call model.step() (ODD section 3)"
)


class Business(mesa.Agent):
    """A small business: a view of row ``index`` of the model's business arrays."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        """Unique name, e.g. ``cafe-community-1``."""
        return self.model.business_name[self.index]

    @property
    def strategy(self) -> Strategy:
        """The business's strategy object."""
        return self.model.business_strategy[self.index]

    @property
    def category(self) -> str:
        """What it sells."""
        return self.model.category_names[self.model.business_category[self.index]]

    @property
    def cash(self) -> float:
        """Cash, currency (negative: drawing on the credit line)."""
        return float(self.model.cash[self.index])

    @property
    def alive(self) -> bool:
        """Open this week."""
        return bool(self.model.alive[self.index])

    @property
    def price(self) -> float:
        """Price this week, currency per purchase."""
        return float(self.model.price[self.index])

    @property
    def quality(self) -> float:
        """Expected satisfaction of a purchase (0-1)."""
        return float(self.model.quality[self.index])

    @property
    def neighbourhood(self) -> int:
        """Home neighbourhood."""
        return int(self.model.business_hood[self.index])

    @property
    def active_customers(self) -> int:
        """Customers who bought within the active window."""
        m = self.model
        return int(m.active_mask()[:, self.index].sum())

    def step(self) -> None:
        """Not a per-agent rule: the week runs on whole-town arrays in :meth:`CommunityModel.step`.

        Raises rather than doing nothing, so that ``model.agents.shuffle_do("step")`` cannot
        silently skip the week.
        """
        raise NotImplementedError(STEP_MESSAGE)

    def remove(self) -> None:
        """Close the business (as a market closure, reason ``removed``) and leave ``model.agents``.

        Its row stays in the model's arrays and results, closed from this week on.
        """
        close(self.model, self.index, "removed")
        super().remove()

    def __repr__(self) -> str:
        return f"Business({self.name!r}, cash={self.cash:.0f}, alive={self.alive})"


class Customer(mesa.Agent):
    """A customer: a view of row ``index`` of the model's customer arrays."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def budget(self) -> float:
        """Weekly spending budget, currency."""
        return float(self.model.budget[self.index])

    @property
    def values_weight(self) -> float:
        """How much conduct matters beside product (0-1)."""
        return float(self.model.values_weight[self.index])

    @property
    def price_sensitivity(self) -> float:
        """Utility lost per unit of relative price."""
        return float(self.model.price_sensitivity[self.index])

    @property
    def neighbourhood(self) -> int:
        """Home neighbourhood."""
        return int(self.model.neighbourhood[self.index])

    @property
    def trust(self) -> np.ndarray:
        """Trust in each business (0-1), by business id."""
        return self.model.trust[self.index]

    @property
    def aware(self) -> np.ndarray:
        """Whether the customer knows each business."""
        return self.model.contact[self.index] > 0

    @property
    def score(self) -> np.ndarray:
        """0-10 recommendation score per business (-1: never bought)."""
        return self.model.score[self.index]

    @property
    def patron(self) -> dict[str, int]:
        """Business last bought from, per category (-1: none)."""
        m = self.model
        return {c: int(m.patron[self.index, k]) for k, c in enumerate(m.category_names)}

    @property
    def main_business(self) -> int:
        """The business this customer has bought from most recently (-1: none)."""
        last = self.model.last_purchase[self.index]
        return int(last.argmax()) if last.max() >= 0 else -1

    def step(self) -> None:
        """Not a per-agent rule (see :meth:`Business.step`)."""
        raise NotImplementedError(STEP_MESSAGE)

    def __repr__(self) -> str:
        return f"Customer({self.index}, neighbourhood={self.neighbourhood})"
