"""The one parameter table: every scenario field's default, range, unit, meaning and source.

Validation of scenario files, ``--set``, the parameter table in ``docs/ODD.md``, sweep bounds
and the dashboard's sliders are all generated from :data:`PARAMETERS`. Add a parameter here and
nowhere else.

Keys are dotted paths as they appear in a scenario file. Fields of repeated tables use the
table name and no index: ``businesses.quality`` is the field of every ``[[businesses]]`` group,
``strategies.ad_budget`` that of every ``[strategies.NAME]`` table, ``shocks.recession.depth``
that of every recession in ``[[shocks]]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One scenario field.

    Attributes:
        key: dotted path in the scenario file.
        default: value used when the file leaves it out (``None``: required or derived).
        kind: ``int``, ``float``, ``bool``, ``str`` or ``choice``.
        low: smallest valid value (numbers), inclusive.
        high: largest valid value (numbers), inclusive.
        unit: unit of the value, in the users' words.
        meaning: one line on what it does.
        source: where the default comes from (literature, a seed text, or the reason).
        choices: the valid values of a ``choice``.
    """

    key: str
    default: Any
    kind: str
    low: float | None = None
    high: float | None = None
    unit: str = ""
    meaning: str = ""
    source: str = ""
    choices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The last part of the key, as written inside its table."""
        return self.key.rsplit(".", 1)[-1]


def _p(key, default, kind, low=None, high=None, unit="", meaning="", source="", choices=()):
    return Param(key, default, kind, low, high, unit, meaning, source, tuple(choices))


_CALIB = "calibrated to the baseline patterns (docs/ODD.md, Calibration)"
_SEED_A = "seed text 'How small businesses gain momentum through community'"
_SEED_B = "seed text 'Prioritizing authentic community relationships'"

_TABLE = [
    # --- [run] -----------------------------------------------------------------------------
    _p(
        "run.name",
        "scenario",
        "str",
        unit="",
        meaning="name of the scenario, used for the results folder",
    ),
    _p(
        "run.steps",
        156,
        "int",
        1,
        5200,
        "weeks",
        "how many weeks to simulate",
        "three years, so that the seed texts' momentum after 12-18 months can show",
    ),
    _p("run.seed", 1, "int", 0, 2**63 - 1, "", "seed of every random draw (numpy SeedSequence)"),
    _p(
        "run.replications",
        5,
        "int",
        1,
        10000,
        "runs",
        "replications with different seeds; arms of one replication share seeds",
    ),
    # --- [population] ----------------------------------------------------------------------
    _p(
        "population.customers",
        2000,
        "int",
        1,
        50_000_000,
        "customers",
        "number of customers in the town",
    ),
    _p(
        "population.neighbourhoods",
        8,
        "int",
        1,
        100_000,
        "neighbourhoods",
        "neighbourhoods the town is divided into (community work reaches the home one)",
    ),
    _p(
        "population.budget_mean",
        150.0,
        "float",
        0.01,
        1e7,
        "currency per week",
        "mean weekly spending budget of a customer",
        "order of US household weekly discretionary local spending",
    ),
    _p(
        "population.budget_spread",
        0.4,
        "float",
        0.0,
        3.0,
        "log-sd",
        "spread of budgets (sd of the log of a lognormal)",
        "income inequality, moderate",
    ),
    _p(
        "population.price_sensitivity_mean",
        2.0,
        "float",
        0.0,
        50.0,
        "utility per price ratio",
        "how much a price at twice the category's usual price lowers a choice's utility",
        _CALIB,
    ),
    _p(
        "population.price_sensitivity_spread",
        0.3,
        "float",
        0.0,
        3.0,
        "log-sd",
        "spread of price sensitivity across customers (lognormal)",
        _CALIB,
    ),
    _p(
        "population.values_weight_share",
        0.85,
        "float",
        0.0,
        1.0,
        "share of customers",
        "share of customers who weigh a business's conduct at least as much as its product",
        _SEED_B + ": 85% of consumers weigh conduct as much as product",
    ),
    _p(
        "population.values_weight_concentration",
        6.0,
        "float",
        0.5,
        1000.0,
        "",
        "how tightly values weights cluster (Beta distribution concentration a+b)",
        "moderate heterogeneity",
    ),
    _p(
        "population.need_scale",
        1.0,
        "float",
        0.0,
        10.0,
        "x",
        "multiplier on every category's purchase frequency",
    ),
    _p(
        "population.category_participation",
        0.7,
        "float",
        0.0,
        1.0,
        "probability",
        "chance that a customer needs a given category at all",
        _CALIB,
    ),
    _p(
        "population.memory_limit_gb",
        0.0,
        "float",
        0.0,
        10000.0,
        "GB",
        "refuse to build a town whose estimated memory exceeds this (0: 80% of this machine's)",
    ),
    # --- [network] -------------------------------------------------------------------------
    _p(
        "network.kind",
        "small_world",
        "choice",
        meaning="shape of the customers' social network",
        source="Watts & Strogatz (1998) small world by default",
        choices=("small_world", "scale_free", "random", "neighbourhoods", "complete", "edge_list"),
    ),
    _p(
        "network.degree",
        10,
        "int",
        0,
        1000,
        "ties per customer",
        "mean number of ties per customer",
        "Dunbar's sympathy group of about 10-15",
    ),
    _p(
        "network.rewire",
        0.1,
        "float",
        0.0,
        1.0,
        "probability",
        "small world: share of ties rewired into long-range weak ties",
        "Watts & Strogatz (1998): small-world regime 0.01-0.1",
    ),
    _p(
        "network.within_neighbourhood",
        0.85,
        "float",
        0.0,
        1.0,
        "share of ties",
        "neighbourhoods: share of ties inside the customer's own neighbourhood",
        _CALIB,
    ),
    _p(
        "network.weak_tie_weight",
        0.6,
        "float",
        0.0,
        10.0,
        "x strong tie",
        "how much a weak (long-range) tie's word counts against a strong tie's",
        "Granovetter (1973); Goldenberg, Libai & Muller (2001)",
    ),
    _p("network.path", "", "str", meaning="edge_list: CSV with columns source,target[,strength]"),
    # --- [economy] -------------------------------------------------------------------------
    _p(
        "economy.ad_cost_per_reach",
        2.0,
        "float",
        1e-6,
        1e6,
        "currency per customer reached",
        "cost of reaching one more customer with advertising for a week while few are reached "
        "(diminishing returns: share reached 1 - exp(-budget / (ad_cost_per_reach x customers)))",
        "many paid views per customer who takes the business in; "
        + _CALIB
        + "; the strategy comparison is sensitive to it (README, What the defaults show)",
    ),
    _p(
        "economy.owner_week_value",
        1200.0,
        "float",
        0.0,
        1e7,
        "currency per week",
        "value of the owner's working week (owner_hours hours): every hour a lever takes is charged at "
        "owner_week_value / owner_hours",
        "opportunity cost of the owner's time, about a skilled wage",
    ),
    _p(
        "economy.owner_hours",
        50.0,
        "float",
        1.0,
        168.0,
        "hours per week",
        "the owner's working week: community work, personalisation and partnerships together cannot "
        "take more (they are scaled down when they ask for more)",
        "assumption: small-business owners commonly report working weeks of about 50 hours",
    ),
    _p(
        "economy.personalisation_minutes",
        1.0,
        "float",
        0.0,
        60.0,
        "minutes per returning customer served",
        "owner time that personalisation takes at level 1 for each purchase by a returning customer "
        "(remembering them, their preferences, a word); scaled by the personalisation level",
        "assumption: a minute of the owner's attention per regular's visit",
    ),
    _p(
        "economy.partner_hours",
        1.0,
        "float",
        0.0,
        40.0,
        "hours per week per active partner",
        "owner time a business that takes part in partnerships spends keeping up each active one",
        "assumption: an hour a week per partner (meeting, keeping each other informed)",
    ),
    _p(
        "economy.referral_minutes",
        2.0,
        "float",
        0.0,
        60.0,
        "minutes per customer referred",
        "owner time it takes to send one customer to a partner (a word, an introduction)",
        "assumption: a couple of minutes per customer referred",
    ),
    _p(
        "economy.walk_in",
        0.05,
        "float",
        0.0,
        1.0,
        "probability per week",
        "chance that a customer with a need and no known business walks into one nearby",
    ),
    _p(
        "economy.discount_rate",
        0.10,
        "float",
        0.0,
        1.0,
        "per year",
        "discount rate for lifetime value (converted to weekly)",
    ),
    _p(
        "economy.active_window",
        4.0,
        "float",
        1.0,
        520.0,
        "purchase cycles",
        "a customer who has not bought for this many of the category's usual purchase intervals "
        "(1 / frequency weeks, at least 4 weeks) has churned",
    ),
    _p(
        "economy.closure_weeks",
        4,
        "int",
        1,
        520,
        "weeks",
        "weeks of cash below the credit line before a business closes",
    ),
    _p(
        "economy.owner_exit",
        0.0012,
        "float",
        0.0,
        1.0,
        "probability per week",
        "chance an open business closes for reasons outside the market (illness, retirement, a better "
        "job); not a chain store",
        "Headd (2003, Small Business Economics 21): about a third of closed businesses were successful "
        "at closure; this share of Knaup's (2005) closures",
    ),
    _p(
        "economy.partners",
        "complementary",
        "choice",
        meaning="which businesses may partner: complementary categories only, or any other category",
        choices=("complementary", "any_other"),
    ),
    # --- [behaviour] -----------------------------------------------------------------------
    _p(
        "behaviour.word_of_mouth",
        0.4,
        "float",
        0.0,
        1.0,
        "probability per week",
        "chance per week that a customer talks to one of their ties (and hears what it recommends) "
        "(the Bass imitation coefficient q on complete mixing)",
        _CALIB,
    ),
    _p(
        "behaviour.negative_word_of_mouth",
        0.15,
        "float",
        0.0,
        1.0,
        "probability per week",
        "chance per week that a customer hears one tie's warnings",
        "bad news travels at least as far as good",
    ),
    _p(
        "behaviour.word_of_mouth_trust",
        0.3,
        "float",
        0.0,
        1.0,
        "share of the gap",
        "share of the gap to full trust closed on hearing a recommendation",
        _CALIB,
    ),
    _p(
        "behaviour.warning_trust_loss",
        0.25,
        "float",
        0.0,
        1.0,
        "share of trust",
        "share of trust lost on hearing a warning",
        _CALIB,
    ),
    _p(
        "behaviour.ad_trust",
        0.02,
        "float",
        0.0,
        1.0,
        "share of the gap",
        "trust gained towards 1 from an advert",
        "ads build awareness, little trust",
    ),
    _p(
        "behaviour.community_trust",
        0.08,
        "float",
        0.0,
        1.0,
        "share of the gap",
        "trust gained towards 1 from meeting the business at community work (times consistency)",
        "assumption, no measured source: meeting the owner in person builds more trust than an "
        "advert (4 x ad_trust); the verdict's sensitivity to it is in the README",
    ),
    _p(
        "behaviour.community_reach",
        10.0,
        "float",
        0.0,
        1000.0,
        "people per hour",
        "people of the home neighbourhood an hour of community work meets while few have been met "
        "(diminishing returns: chance 1 - exp(-people / neighbourhood size) each); the same number "
        "in any town",
        "about the reach per hour of the earlier share-based rule in the 2,000-customer baseline; " + _CALIB,
    ),
    _p(
        "behaviour.community_spillover",
        0.7,
        "float",
        0.0,
        10.0,
        "people elsewhere per person at home",
        "people outside the home neighbourhood community work meets, per person it meets inside",
        "about the earlier rule's spill-over in the 2,000-customer baseline (8 neighbourhoods)",
    ),
    _p(
        "behaviour.initial_trust",
        0.3,
        "float",
        0.0,
        1.0,
        "trust",
        "trust in a business a customer has just heard of (before any experience)",
    ),
    _p(
        "behaviour.trust_up",
        0.10,
        "float",
        0.0,
        1.0,
        "share of the gap per purchase",
        "how fast trust rises towards a better experience",
        "trust builds slowly (seed texts)",
    ),
    _p(
        "behaviour.trust_down",
        0.40,
        "float",
        0.0,
        1.0,
        "share of the gap per purchase",
        "how fast trust falls towards a worse experience",
        "trust is lost fast (Slovic 1993 asymmetry)",
    ),
    _p(
        "behaviour.forgetting",
        0.005,
        "float",
        0.0,
        1.0,
        "share per week",
        "trust fades each week without a purchase or contact",
        _CALIB,
    ),
    _p(
        "behaviour.quality_weight",
        3.0,
        "float",
        0.0,
        100.0,
        "utility per unit quality",
        "weight of product quality in the choice",
        _CALIB,
    ),
    _p(
        "behaviour.trust_weight",
        3.0,
        "float",
        0.0,
        100.0,
        "utility per unit trust",
        "weight of trust (times the customer's values weight) in the choice",
        _CALIB,
    ),
    _p(
        "behaviour.habit_weight",
        1.0,
        "float",
        0.0,
        100.0,
        "utility",
        "bonus for the business a customer last bought from in the category",
        _CALIB,
    ),
    _p(
        "behaviour.trust_resilience",
        0.8,
        "float",
        0.0,
        1.0,
        "share",
        "in a downturn, how much trust in the chosen business protects a purchase from being cut",
        "seed texts: loyal customers support a business through market fluctuations",
    ),
    _p(
        "behaviour.experience_noise",
        0.08,
        "float",
        0.0,
        1.0,
        "satisfaction sd",
        "random variation in how a purchase is experienced",
    ),
    _p(
        "behaviour.personalisation_gain",
        0.15,
        "float",
        0.0,
        1.0,
        "satisfaction",
        "extra satisfaction of a returning customer at full personalisation",
        _SEED_B + ": remember names, preferences and stories",
    ),
    _p(
        "behaviour.price_disappointment",
        0.15,
        "float",
        0.0,
        10.0,
        "satisfaction per price ratio",
        "satisfaction lost per unit of price above the category's usual price",
    ),
    _p(
        "behaviour.score_trust_weight",
        0.3,
        "float",
        0.0,
        1.0,
        "share",
        "weight of trust, against the last experience, in the 0-10 recommendation score",
        "recommendation reflects the relationship as well as the last purchase",
    ),
    _p(
        "behaviour.referral_window",
        4,
        "int",
        0,
        520,
        "weeks",
        "a first purchase within this many weeks of a recommendation counts as a referral",
    ),
    _p(
        "behaviour.partner_trust",
        0.5,
        "float",
        0.0,
        1.0,
        "share of trust",
        "share of a customer's trust in the referring business passed to its partner",
    ),
    _p(
        "behaviour.partner_learning",
        0.1,
        "float",
        0.0,
        1.0,
        "share per week",
        "how fast a business adjusts its willingness to refer to a partner to the partner's reciprocity",
    ),
    # --- [categories.NAME] -----------------------------------------------------------------
    _p(
        "categories.price",
        10.0,
        "float",
        0.01,
        1e7,
        "currency per purchase",
        "usual price of one purchase in the category",
    ),
    _p(
        "categories.unit_cost",
        0.45,
        "float",
        0.0,
        1.0,
        "share of price",
        "cost of goods as a share of the usual price",
    ),
    _p(
        "categories.frequency",
        0.5,
        "float",
        0.0,
        1.0,
        "purchases per week",
        "chance per week that a customer who needs the category buys in it",
    ),
    _p(
        "categories.fixed_cost",
        1500.0,
        "float",
        0.0,
        1e9,
        "currency per week",
        "a business's fixed weekly costs (rent, wages) in the category",
    ),
    _p("categories.partners_with", [], "list", meaning="categories this one complements (partners)"),
    # --- [[businesses]] --------------------------------------------------------------------
    _p("businesses.count", 1, "int", 0, 100000, "businesses", "how many businesses this group has"),
    _p("businesses.category", "cafe", "str", meaning="category the businesses sell in"),
    _p(
        "businesses.strategy",
        "transactional",
        "str",
        meaning="name of a built-in or scenario strategy",
    ),
    _p("businesses.name", "", "str", meaning="name prefix (default: category-strategy)"),
    _p(
        "businesses.quality",
        0.85,
        "float",
        0.0,
        1.0,
        "satisfaction",
        "expected satisfaction from one purchase, before personalisation and noise",
    ),
    _p(
        "businesses.quality_spread",
        0.05,
        "float",
        0.0,
        0.5,
        "satisfaction sd",
        "spread of quality between businesses of the group (each draws its own)",
        "owners differ; without it every failure would be a coin toss",
    ),
    _p(
        "businesses.price",
        0.0,
        "float",
        0.0,
        1e7,
        "currency per purchase",
        "price before the strategy's price factor (0: the category's usual price)",
    ),
    _p(
        "businesses.unit_cost",
        -1.0,
        "float",
        -1.0,
        1.0,
        "share of price",
        "cost of goods (-1: the category's)",
    ),
    _p(
        "businesses.fixed_cost",
        -1.0,
        "float",
        -1.0,
        1e9,
        "currency per week",
        "fixed weekly costs (-1: the category's)",
    ),
    _p(
        "businesses.cash",
        -1.0,
        "float",
        -1.0,
        1e12,
        "currency",
        "cash at opening (-1: reserve_weeks of fixed costs)",
    ),
    _p(
        "businesses.reserve_weeks",
        13.0,
        "float",
        0.0,
        520.0,
        "weeks of fixed costs",
        "opening cash when cash is -1, in weeks of the business's fixed costs",
        "a quarter of costs: start-up capital covering the ramp-up; " + _CALIB,
    ),
    _p(
        "businesses.credit_line",
        -1.0,
        "float",
        -1.0,
        1e12,
        "currency",
        "overdraft the business may use before it must close (-1: 4 weeks of fixed costs)",
    ),
    _p(
        "businesses.neighbourhood",
        -1,
        "int",
        -1,
        100_000,
        "neighbourhood",
        "home neighbourhood (-1: spread evenly)",
    ),
    _p("businesses.opens", 0, "int", 0, 5200, "week", "week the businesses open"),
    # --- [strategies.NAME] -----------------------------------------------------------------
    _p("strategies.extends", "", "str", meaning="built-in or earlier strategy this one starts from"),
    _p(
        "strategies.ad_budget",
        0.0,
        "float",
        0.0,
        1e9,
        "currency per week",
        "weekly paid advertising",
    ),
    _p(
        "strategies.community_time",
        0.0,
        "float",
        0.0,
        1.0,
        "share of owner time",
        "share of the owner's working time spent on community work",
        _SEED_A + ": 10-15%",
    ),
    _p(
        "strategies.personalisation",
        0.0,
        "float",
        0.0,
        1.0,
        "share",
        "how well the business remembers regulars (0 none, 1 fully)",
    ),
    _p(
        "strategies.partner_referrals",
        0.0,
        "float",
        0.0,
        1.0,
        "probability per customer served",
        "chance the business sends a customer it served to a partner, at full partnership",
    ),
    _p(
        "strategies.seeks_partners",
        False,
        "bool",
        meaning="whether the business takes part in partnerships",
    ),
    _p(
        "strategies.price_factor",
        1.0,
        "float",
        0.1,
        10.0,
        "x usual price",
        "price relative to the category's",
    ),
    _p(
        "strategies.downturn_discount",
        0.0,
        "float",
        0.0,
        0.9,
        "share of price",
        "price cut while demand is below normal",
    ),
    _p(
        "strategies.engagement",
        "steady",
        "choice",
        meaning="engagement schedule",
        choices=("steady", "bursts"),
    ),
    _p("strategies.burst_weeks", 8, "int", 1, 520, "weeks", "bursts: weeks of intense engagement"),
    _p(
        "strategies.pause_weeks",
        16,
        "int",
        0,
        520,
        "weeks",
        "bursts: weeks of disappearance after each burst",
    ),
    _p(
        "strategies.consistency_memory",
        12,
        "int",
        1,
        520,
        "weeks",
        "how long customers remember whether a business shows up (sets the consistency average)",
    ),
    # --- [[shocks]] ------------------------------------------------------------------------
    _p(
        "shocks.kind",
        "recession",
        "choice",
        meaning="what happens",
        choices=("recession", "cost_spike", "chain_store", "lockdown", "viral_bad_review"),
    ),
    _p("shocks.start", 52, "int", 1, 5200, "week", "week the shock starts (the first week is 1)"),
    _p(
        "shocks.duration",
        26,
        "int",
        0,
        5200,
        "weeks",
        "how long it lasts (0: for good, chain store)",
    ),
    _p(
        "shocks.recession.depth",
        0.25,
        "float",
        0.0,
        1.0,
        "share of demand",
        "demand lost at the bottom",
    ),
    _p(
        "shocks.recession.recovery",
        13,
        "int",
        0,
        5200,
        "weeks",
        "weeks to recover after the duration",
    ),
    _p(
        "shocks.cost_spike.size",
        0.3,
        "float",
        -0.9,
        10.0,
        "share of costs",
        "rise in goods and fixed costs",
    ),
    _p(
        "shocks.cost_spike.recovery",
        13,
        "int",
        0,
        5200,
        "weeks",
        "weeks to recover after the duration",
    ),
    _p("shocks.chain_store.category", "cafe", "str", meaning="category the chain opens in"),
    _p(
        "shocks.chain_store.price_factor",
        0.8,
        "float",
        0.1,
        10.0,
        "x usual price",
        "the chain's price",
    ),
    _p("shocks.chain_store.quality", 0.7, "float", 0.0, 1.0, "satisfaction", "the chain's quality"),
    _p(
        "shocks.chain_store.ad_budget",
        600.0,
        "float",
        0.0,
        1e9,
        "currency per week",
        "the chain's ads",
    ),
    _p("shocks.chain_store.cash", 1e7, "float", 0.0, 1e12, "currency", "the chain's reserves"),
    _p(
        "shocks.lockdown.demand_drop",
        0.0,
        "float",
        0.0,
        1.0,
        "share of demand",
        "demand lost during the lockdown (besides no in-person community work)",
    ),
    _p(
        "shocks.viral_bad_review.business",
        "",
        "str",
        meaning="name or number of the business reviewed",
    ),
    _p(
        "shocks.viral_bad_review.trust_loss",
        0.5,
        "float",
        0.0,
        1.0,
        "share of trust",
        "trust lost by those who see the review",
    ),
    _p(
        "shocks.viral_bad_review.reach",
        0.4,
        "float",
        0.0,
        1.0,
        "share of customers",
        "who sees the review",
    ),
    # --- [[arms]] --------------------------------------------------------------------------
    _p(
        "arms.name",
        "",
        "str",
        meaning="name of an arm: a variant of the scenario run with the same seeds",
    ),
    _p("arms.set", {}, "table", meaning="dotted keys and values that make the arm differ"),
]

PARAMETERS: dict[str, Param] = {p.key: p for p in _TABLE}

SCALAR_TABLES = ("run", "population", "network", "economy", "behaviour")
"""Tables that appear once, as ``[name]``."""

NAMED_TABLES = ("strategies", "categories")
"""Tables of named entries, as ``[name.ENTRY]``."""

LIST_TABLES = ("businesses", "shocks", "arms")
"""Arrays of tables, as ``[[name]]``."""

SHOCK_KINDS = PARAMETERS["shocks.kind"].choices


def table_params(table: str, kind: str | None = None) -> dict[str, Param]:
    """Fields of one table by their in-table name (for shocks, the common ones plus ``kind``'s)."""
    out = {}
    for p in _TABLE:
        parts = p.key.split(".")
        if parts[0] != table:
            continue
        if len(parts) == 2:
            out[parts[1]] = p
        elif kind is not None and parts[1] == kind:
            out[parts[2]] = p
    return out


def param_for(path: list[str]) -> Param | None:
    """The parameter behind a concrete dotted path (``strategies.community.ad_budget``)."""
    table = path[0]
    if table in SCALAR_TABLES and len(path) == 2:
        return PARAMETERS.get(".".join(path))
    if table in NAMED_TABLES and len(path) == 3:
        return PARAMETERS.get(f"{table}.{path[2]}")
    if table in LIST_TABLES and len(path) == 3:
        return PARAMETERS.get(f"{table}.{path[2]}")
    if table == "shocks" and len(path) == 4:
        return PARAMETERS.get(f"shocks.{path[2]}.{path[3]}")
    return None


def defaults(table: str) -> dict[str, Any]:
    """Default values of a scalar table."""
    return {name: p.default for name, p in table_params(table).items()}


BUILT_IN_CATEGORIES: dict[str, dict[str, Any]] = {
    "cafe": dict(price=6.0, unit_cost=0.35, frequency=0.6, fixed_cost=1265.0, partners_with=["bakery"]),
    "bakery": dict(
        price=8.0,
        unit_cost=0.40,
        frequency=0.4,
        fixed_cost=1000.0,
        partners_with=["cafe", "caterer"],
    ),
    "hardware": dict(price=25.0, unit_cost=0.55, frequency=0.08, fixed_cost=379.0, partners_with=[]),
    "florist": dict(
        price=30.0,
        unit_cost=0.45,
        frequency=0.04,
        fixed_cost=230.0,
        partners_with=["caterer", "venue", "photographer"],
    ),
    "caterer": dict(
        price=120.0,
        unit_cost=0.50,
        frequency=0.01,
        fixed_cost=207.0,
        partners_with=["florist", "venue", "photographer", "bakery"],
    ),
    "venue": dict(
        price=400.0,
        unit_cost=0.30,
        frequency=0.002,
        fixed_cost=172.0,
        partners_with=["caterer", "florist", "photographer"],
    ),
    "photographer": dict(
        price=250.0,
        unit_cost=0.20,
        frequency=0.003,
        fixed_cost=195.0,
        partners_with=["venue", "caterer", "florist"],
    ),
    "gym": dict(price=12.0, unit_cost=0.15, frequency=0.5, fixed_cost=2875.0, partners_with=["nutritionist"]),
    "nutritionist": dict(price=60.0, unit_cost=0.10, frequency=0.03, fixed_cost=805.0, partners_with=["gym"]),
}
"""Usual price, cost share, weekly purchase frequency, fixed costs and partner categories of the
built-in categories, sized for a town of about 2,000 customers with two businesses a category.
The seed texts' examples of complementary businesses (venue + caterer + florist, gym +
nutritionist, cafe + bakery) set ``partners_with``."""
