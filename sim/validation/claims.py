"""The seed texts' claims, each stated as a region for an estimate.

Every estimate is a mean over replications of one number per replication
(``sim.validation.estimates``, from the runs of ``sim.validation.regimes.RUNS``; paired: the arms
and scenarios a claim compares share each replication's seed), so the project's one interval
method applies and the verdict rule of ``sim.validation.evidence`` judges it. A claim with several
parts holds only if each part does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.validation import estimates as e
from sim.validation.evidence import Judged, Region, greater, judge, judge_all, less, within
from sim.validation.regimes import OWNER_TIME_LEVELS
from sim.validation.replicate import Store, split

Values = Callable[[Store, str, int], np.ndarray]
"""(store, regime name, replications of both sets) -> one value per replication (nan: missing)."""


@dataclass(frozen=True)
class Part:
    """One estimate of a claim and the region it must lie in.

    Attributes:
        measure: what the estimate is, with its unit and aggregation.
        region: where it must lie for the part to hold.
        values: how it is made (:data:`Values`).
        scale, unit: how it is printed (e.g. 100 and ``%`` for a share).
    """

    measure: str
    region: Region
    values: Values
    scale: float = 1.0
    unit: str = ""


@dataclass(frozen=True)
class Claim:
    """A seed claim stated so that it can fail.

    Attributes:
        key: short name.
        title: heading.
        source: the seed text's words.
        statement: the claim as tested.
        parts: its estimates and regions (all must hold).
        method: how the runs test it (scenario, arms, windows, why).
    """

    key: str
    title: str
    source: str
    statement: str
    parts: tuple[Part, ...]
    method: str


def judge_claim(claim: Claim, store: Store, regime: str, reps: int) -> tuple[Judged, list[Judged]]:
    """A claim's verdict in one regime (both seed sets of ``reps`` replications), and each part's."""
    parts = [judge(*split(p.values(store, regime, 2 * reps)), p.region) for p in claim.parts]
    return (parts[0] if len(parts) == 1 else judge_all(parts)), parts


# --- the claims -----------------------------------------------------------------------------------
SEED_A = "'How Small Businesses Gain Momentum Through Community'"
SEED_B = "'Prioritizing authentic community relationships'"
_LEVELS = ", ".join(f"{v:.0%}" for v in OWNER_TIME_LEVELS)
_CF = (
    "Baseline town against the same town and seeds with the community group's community work "
    "switched off (`strategies.community.community_time = 0`; the counterfactual of `commsim "
    "explain`). The paired gain is the community group's gross margin (revenue - goods cost, sum "
    "over its six businesses) with the work minus without, cumulated from week 1. "
)

CLAIMS: tuple[Claim, ...] = (
    Claim(
        "first_results",
        "Seed claim: community work shows first results in 3-6 months",
        f"{SEED_A}: most small businesses begin seeing initial results from community building "
        "within 3-6 months.",
        "The first week from which the community group's paired cumulative gain from its community "
        "work stays above zero lies in weeks [13, 26].",
        (Part("first-results week (never = run's end + 1)", within(13, 26), e.first_results_week, 1, " wk"),),
        _CF + "Per replication, the first week from which that replication's cumulative gain stays "
        "above zero to the end of the run (`sim.experiments.explain.first_sustained` on its own path; "
        "`commsim explain` applies the same rule to the lower end of the pooled interval, shown below).",
    ),
    Claim(
        "momentum",
        "Seed claim: momentum after 12-18 months",
        f"{SEED_A}: significant momentum typically developing after 12-18 months of consistent engagement.",
        "The first week that starts a quarter (13 weeks) of growth in the paired gain from community "
        "work lies in weeks [52, 78].",
        (Part("momentum week (never = run's end + 1)", within(52, 78), e.momentum_week, 1, " wk"),),
        _CF + "Growth at week t is the last quarter's gain minus the quarter's before "
        "(`sim.experiments.explain.gain_paths`); per replication, the first week that starts 13 "
        "consecutive weeks of positive growth (`first_run` on its own path). Growth is first "
        "defined at week 26 (two quarters of gain), so 26 means 'as early as it can be measured'.",
    ),
    Claim(
        "owner_time",
        "Seed claim: 10-15% of the owner's working time on community work",
        f"{SEED_A}: successful community-connected businesses typically invest 10-15% of their "
        "working time in community activities.",
        "The share of owner time on community work that maximises the community businesses' "
        "three-year profit lies in [10%, 15%].",
        (
            Part(
                "profit-maximising share of owner time on community work",
                within(0.10, 0.15),
                e.owner_time_best,
                100,
                "%",
            ),
        ),
        "Baseline town; the community group's share of owner time on community work "
        f"(`strategies.community.community_time`) is swept over {_LEVELS} on the same seeds. Per "
        "replication, the share at which the group's profit over the run (sum over its six "
        "businesses, weeks 1-156, after every cost including the owner's hours at their value) "
        "peaks: the best grid point refined by the parabola through it and its two neighbours (a "
        "peak at the end of the grid counts as the end). Partnership upkeep (about an hour a week "
        "per partner) comes on top of this share.",
    ),
    Claim(
        "retention",
        "Seed claim: retention more than 50% higher",
        f"{SEED_B}: businesses with strong community ties report customer retention rates that are "
        "demonstrably higher, sometimes exceeding 50% compared to industry averages.",
        "The community businesses' purchase-cycle retention is at least 50% higher than the "
        "transactional businesses' in the same town (relative gain >= 50%); the regimes show where "
        "('sometimes') it is.",
        (
            Part(
                "retention, community / transactional - 1",
                greater(0.5, or_equal=True),
                e.retention_gain,
                100,
                "%",
            ),
        ),
        "Baseline town. A group's retention is its repeat purchases over their chances in weeks "
        "27-156 (a customer whose previous purchase in the category was at the business needs the "
        "category again: did they buy there again? ODD 7.9), summed over the group's businesses; "
        "the transactional group of the same town stands for the industry average.",
    ),
    Claim(
        "lifetime_value",
        "Seed claim: community businesses have a higher customer lifetime value",
        f"{SEED_A}: 'higher customer lifetime value through deeper relationships and trust'; "
        f"{SEED_B}: authentic community relationships are directly correlated with increased CLTV.",
        "The community businesses' realised lifetime value per customer is higher than the "
        "transactional businesses' (relative gain > 0).",
        (
            Part(
                "realised lifetime value, community / transactional - 1", greater(0.0), e.value_gain, 100, "%"
            ),
        ),
        "Baseline town, from the cohort table (ODD 7.9): per group, the discounted margin per "
        "customer in the 52 weeks after the first purchase, over every cohort whose customers all "
        "reached 52 weeks by the end of the run (weighted by customers).",
    ),
    Claim(
        "referrals",
        "Seed claim: referrals lower acquisition cost",
        f"{SEED_A}: 'organic referral generation that reduces marketing costs significantly'.",
        "(a) A larger share of the community businesses' revenue comes from referred customers, and "
        "(b) they pay less per new customer than transactional businesses.",
        (
            Part(
                "(a) share of revenue from referral, word of mouth or a partner: community - transactional",
                greater(0.0),
                e.referral_share_difference,
                100,
                " pts",
            ),
            Part(
                "(b) acquisition cost per new customer, community / transactional - 1",
                less(0.0),
                e.cac_ratio,
                100,
                "%",
            ),
        ),
        "Baseline town, whole run, `sim.runs.runner.acquisition_measures` per group (as in "
        "`summary.csv`): acquisition spend (ads, community work and partnership time, currency) per "
        "new customer of any channel, and the share of revenue from customers won by referral, word "
        "of mouth or a partner.",
    ),
    Claim(
        "partnerships",
        "Seed claim: partnerships help both partners, and free riders lose them",
        f"{SEED_A}: complementary partnerships 'benefit all parties involved'; businesses fail when "
        "they 'don't reciprocate - accepting referrals and support without giving'.",
        "(a) Where two community businesses may partner, both earn more with partnerships than "
        "without; (b) a free rider's partner referrals fall by at least half from its first six "
        "months to its last year.",
        (
            Part(
                "(a) mean over partner pairs of the smaller partner's profit gain (currency, 3 years)",
                greater(0.0),
                e.partners_both_gain,
            ),
            Part(
                "(b) free riders' partner referrals a week, last year / first 26 weeks - 1",
                less(-0.5, or_equal=True),
                e.free_rider_change,
                100,
                "%",
            ),
        ),
        "(a) Baseline town against the same town and seeds with the community group's partnerships "
        "switched off (`seeks_partners = false`, `partner_referrals = 0`, which also frees the "
        "upkeep hours). Each community business's profit gain over the run is paired; for every "
        "pair of community businesses whose categories may partner (ODD 7.6) the smaller of the "
        "two gains is taken, and these are averaged. (b) Scenario `partnerships` (a community and a "
        "free-rider business in each of eight categories).",
    ),
    Claim(
        "resilience",
        "Seed claim: community businesses are more resilient in downturns",
        f"{SEED_A}: 'greater resilience during economic downturns through loyal customer base'.",
        "Through a recession, community businesses lose a smaller share of their active customers "
        "than transactional ones: the paired difference (transactional minus community) is > 0.",
        (
            Part(
                "share of active customers lost in the recession's weeks: transactional - community",
                greater(0.0),
                e.resilience,
                100,
                " pts",
            ),
        ),
        "Scenario `recession` (demand -25% in weeks 52-77, recovering over 13 weeks) against the "
        "baseline town with the same seeds. A group's loss is 1 - (its mean active customers in the "
        "recession's weeks) / (the same in the run without it).",
    ),
    Claim(
        "inconsistency",
        "Seed claim: inconsistent engagement hurts",
        f"{SEED_A}: 'another common error is inconsistency - engaging intensively for short periods "
        "then disappearing when business gets busy'.",
        "With the same total owner time, steadily engaged businesses earn more than businesses that "
        "engage in bursts: the paired profit difference (steady minus bursts) is > 0.",
        (
            Part(
                "profit over whole burst cycles (weeks 1-144), steady group - burst group (currency)",
                greater(0.0),
                e.steady_minus_bursts,
            ),
        ),
        "Scenario `inconsistent_engagement` (a steady community, a burst and a transactional "
        "business in each of six categories; sums over each group's six businesses). The burst "
        "businesses do not all start with a burst: their bursts are spread over six phases of the "
        "24-week cycle (0, 4, ..., 20 weeks in; `sim.validation.replicate.PhasedBursts`), rotated "
        "over replications so that every category takes every phase, and profit is summed over "
        "whole cycles (weeks 1-144), where a burst owner has spent exactly the hours of a steady "
        "one. So neither the phase nor unequal effort decides.",
    ),
    Claim(
        "weak_ties",
        "Weak ties at least as influential as strong ties (Goldenberg, Libai & Muller 2001)",
        "Goldenberg, Libai & Muller (2001): the influence of weak ties on the spread of word of "
        "mouth is at least as strong as that of strong ties.",
        "Turning strong (neighbourhood) ties into weak (long-range) ones at the same number of ties "
        "does not slow word of mouth: the relative change in word-of-mouth and referral customers "
        "from no long ties to doubled long ties is >= -5% (an equivalence margin: at most 5% fewer "
        "counts as 'as influential').",
        (
            Part(
                "word-of-mouth + referral first customers, doubled long ties / no long ties - 1",
                greater(-0.05, or_equal=True),
                e.weak_tie_change,
                100,
                "%",
            ),
        ),
        "Baseline town with the network's long-range share (`network.rewire`) at 0 and at 0.2 (0.1 "
        "by default), same seeds; first customers won by word of mouth or referral, all "
        "businesses, weeks 1-156. A weak tie's word counts `network.weak_tie_weight` (0.6) of a "
        "strong tie's, so a weak tie can match a strong one only by reaching people the strong "
        "ties do not.",
    ),
)
"""The seed claims (and the weak-tie pattern), judged in every regime."""

PENDING: tuple[str, ...] = ()
"""Seed claims not yet judged, and what each needs (none now)."""
