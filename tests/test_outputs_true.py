"""What a run's outputs say is what the numbers support (issue 16, points 1-3, 7, 10).

Intervals come from one method (sim/outputs/intervals.py) and stay inside each measure's range;
``comparison.csv`` holds what is printed, with units and aggregations, and the figures' data the
same numbers; with fewer than 3 replications no interval is printed and the output says why;
verdicts give the paired difference with its interval and say "not clear" when it includes 0;
"ahead from week W" follows the paired interval of cumulative revenue; a group that opens late
(a chain store) is compared only from the week it opens.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.outputs import intervals
from sim.outputs.compare import (
    ahead_from_week,
    comparison_csv,
    format_comparison,
    paired_cumulative,
    verdict_lines,
    verdicts,
)
from sim.outputs.measure_units import AGGREGATIONS, MEASURES, SHORT_AGGREGATIONS, in_range
from sim.outputs.plots import log_threshold
from sim.outputs.report import business_table

ROOT = Path(__file__).resolve().parent.parent
CHAIN_OPENS = 30
KEYS = ["arm", "strategy", "week", "measure"]


@pytest.fixture(scope="module")
def chain_run(tmp_path_factory):
    """A small chain-store town, 3 replications: businesses close and the chain opens at week 30."""
    out = tmp_path_factory.mktemp("chain") / "res"
    args = ["--replications", "3", "--set", "population.customers=1000", "--set", "run.steps=60"]
    args += ["--set", f"shocks.0.start={CHAIN_OPENS}", "--out", str(out)]
    r = subprocess.run(
        [sys.executable, "-m", "sim", "run", "scenarios/chain_store.toml", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return out, r.stdout


def test_intervals_lie_inside_each_measures_range_with_a_chain_store_and_closures(chain_run):
    out, _ = chain_run
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert (~ts["alive"]).any() and "chain" in set(ts["strategy"])  # closures happened; a chain opened
    table = pd.read_csv(out / "comparison.csv")
    rows = table[table["measure"].isin(list(MEASURES))]
    with_interval = rows.dropna(subset=["low"])
    assert len(with_interval) > 0.5 * len(rows)  # 3 replications: most cells have an interval
    assert (with_interval["low"] <= with_interval["mean"] + 1e-9).all()
    assert (with_interval["mean"] <= with_interval["high"] + 1e-9).all()
    for measure, g in rows.groupby("measure"):
        for c in ("mean", "low", "high"):
            assert in_range(measure, g[c]).all(), (measure, c, g[c].min(), g[c].max())
        m = MEASURES[measure]
        assert (g["unit"] == m.unit).all() and (g["aggregation"] == AGGREGATIONS[m.aggregation]).all()
    # The chain is compared only from the week it opens: no row before, and its verdicts start there.
    chain = rows[rows["strategy"] == "chain"]
    assert len(chain) and chain["week"].min() >= CHAIN_OPENS
    diffs = table[table["measure"].str.endswith("_difference")]
    with_chain = diffs[diffs["strategy"].str.contains("chain")]
    assert len(with_chain) == 4 and with_chain["aggregation"].str.endswith(f"(week {CHAIN_OPENS})").all()


def test_open_means_show_how_many_businesses_are_open(chain_run):
    out, stdout = chain_run
    table = pd.read_csv(out / "comparison.csv")
    open_means = table[
        table["measure"].map(lambda n: n in MEASURES and MEASURES[n].aggregation == "open_mean")
    ]
    others = table[table["measure"].isin([n for n, m in MEASURES.items() if m.aggregation != "open_mean"])]
    assert open_means["businesses_open"].notna().all() and others["businesses_open"].isna().all()
    survival = table[table["measure"] == "survival"].set_index(["strategy", "week"])
    pm = open_means[open_means["measure"] == "promoter_score"].set_index(["strategy", "week"])
    # businesses open = share open x businesses opened, both means over replications
    joined = pm.join(survival[["mean"]].rename(columns={"mean": "mean_survival"}))
    assert np.allclose(joined["businesses_open"], joined["mean_survival"] * joined["businesses"], atol=0.01)
    assert "businesses open" in stdout and "mean over the group's open businesses" in stdout


def test_per_business_figures_are_group_totals_over_businesses_opened(chain_run):
    out, _ = chain_run
    strat = pd.read_parquet(out / "strategy_timeseries.parquet")
    table = pd.read_csv(out / "comparison.csv")
    for (strategy, week), g in strat[strat["step"] == 60].groupby(["strategy", "step"]):
        row = table[
            (table["strategy"] == strategy) & (table["week"] == week) & (table["measure"] == "revenue")
        ]
        assert row["mean"].iloc[0] == pytest.approx((g["revenue"] / g["businesses"]).mean(), abs=0.006)
        assert row["businesses"].iloc[0] == g["businesses"].mean()


def test_the_figures_data_holds_the_same_intervals_as_comparison_csv(chain_run):
    out, _ = chain_run
    table = pd.read_csv(out / "comparison.csv")
    figure = pd.read_csv(out / "figures" / "figure_data.csv")
    both = table.merge(figure, on=KEYS, suffixes=("", "_figure"))
    shown = set(table["measure"]) & set(figure["measure"])
    assert {"revenue", "survival", "promoter_score"} <= shown
    assert len(both) == len(table[table["measure"].isin(shown)])  # every such row is plotted
    for c in ("mean", "low", "high", "replications"):
        assert np.array_equal(both[c].to_numpy(), both[f"{c}_figure"].to_numpy(), equal_nan=True), c
    assert figure.groupby(["strategy", "measure"])["week"].nunique().max() == 60  # every week plotted


def test_the_printed_table_states_method_units_and_aggregation(chain_run):
    _, stdout = chain_run
    assert intervals.METHOD in stdout
    for m in MEASURES.values():
        if m.table:
            assert f"{m.label}: {m.unit}; {AGGREGATIONS[m.aggregation]}" in stdout
    assert "revenue per business" in stdout and "never falls behind" not in stdout
    assert "paired difference" in stdout


def test_the_report_has_the_comparison_verdicts_and_a_business_table(chain_run):
    out, _ = chain_run
    html = (out / "report.html").read_text()
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert intervals.METHOD in html and "paired difference" in html and "Question. Question" not in html
    for name in ts["business"].unique():
        assert f">{name}<" in html
    biz = business_table(ts).set_index("business")
    for (name, _), g in ts.groupby(["business", "replication"]):
        closed = g.loc[~g["alive"], "step"]
        if len(closed):
            assert str(int(closed.min())) in biz.loc[name, "closing_weeks"].split(", ")
    totals = ts.groupby(["business", "replication"])["revenue"].sum().groupby("business").mean()
    assert np.allclose(biz.loc[totals.index, "revenue"], totals)
    assert biz.loc[biz["strategy"] == "chain", "opened"].eq(CHAIN_OPENS).all()
    assert (biz["closed"] <= biz["replications"]).all() and biz["closed"].sum() > 0


def test_fewer_than_three_replications_print_no_interval_and_say_why(chain_run):
    out, _ = chain_run
    strat = pd.read_parquet(out / "strategy_timeseries.parquet")
    two = strat[strat["replication"] < 2]
    text = format_comparison(two)
    assert intervals.NO_INTERVAL in text and intervals.METHOD not in text
    table_lines = [
        line for line in text.splitlines() if line.startswith(("revenue", "survival", "retention"))
    ]
    assert table_lines and not any("[" in line for line in table_lines)
    csv = comparison_csv(two)
    assert csv["mean"].notna().any() and csv["low"].isna().all() and csv["high"].isna().all()
    assert all("no verdict" in line for line in verdict_lines(two) if "paired difference" in line)


def synthetic(a: np.ndarray, b: np.ndarray, start_b: int = 1) -> pd.DataFrame:
    """A strategy table of two groups (A, B; one business each) from weeks x replications revenue."""
    weeks, reps = a.shape
    rows = []
    for name, values, start in (("A", a, 1), ("B", b, start_b)):
        for w in range(start, weeks + 1):
            for r in range(reps):
                v = values[w - 1, r]
                rows.append(
                    {
                        "arm": "base",
                        "replication": r,
                        "step": w,
                        "strategy": name,
                        "revenue": v,
                        "profit": v / 4,
                    }
                )
    df = pd.DataFrame(rows)
    return df.assign(businesses=1, survival=1.0)


def test_the_verdict_is_not_clear_when_the_paired_interval_includes_zero():
    rng = np.random.default_rng(1)
    weeks, reps = 20, 8
    b = np.full((weeks, reps), 100.0)
    offsets = np.array([-3.0, 2.0, -1.0, 4.0, -2.0, 1.0, -4.0, 3.0])  # whole-run A - B: +-20 x offset
    a = b + offsets + rng.normal(0, 0.01, (weeks, reps))
    v = verdicts(synthetic(a, b)).set_index("measure").loc["revenue"]
    assert v["low"] < 0 < v["high"] and not v["clear"]
    assert v["ahead"] == 4 and v["behind"] == 4 and v["replications"] == reps
    line = next(x for x in verdict_lines(synthetic(a, b)) if "whole-run revenue" in x)
    assert line.endswith("not clear (the interval includes 0)") and "4 of 8 replications" in line
    # all of A's replications ahead: clear, with the counts and an "ahead from" line
    v2 = verdicts(synthetic(b + 5 + np.abs(offsets), b)).set_index("measure").loc["revenue"]
    assert v2["clear"] and v2["ahead"] == reps and v2["low"] > 0
    assert any("A ahead of B on cumulative revenue" in x for x in verdict_lines(synthetic(b + 5, b)))


def test_ahead_from_week_is_where_the_paired_interval_of_cumulative_revenue_stays_above_zero():
    assert ahead_from_week(np.array([-1.0, 0.5, -0.2, 0.1, 0.3]), np.arange(1, 6)) == 4
    assert ahead_from_week(np.array([0.5, 1.0]), np.array([7, 8])) == 7
    assert ahead_from_week(np.array([0.5, -1.0]), np.array([1, 2])) == -1
    assert ahead_from_week(np.array([0.5, np.nan]), np.array([1, 2])) == -1  # no interval, no claim
    # A earns nothing for 5 weeks, then twice B's revenue: cumulative A - B = 10 w - 100 (+ noise)
    rng = np.random.default_rng(4)
    weeks, reps = 30, 6
    b = np.full((weeks, reps), 10.0)
    a = np.where(np.arange(1, weeks + 1)[:, None] <= 5, 0.0, 20.0) + rng.normal(0, 3, (weeks, reps))
    v = verdicts(synthetic(a, b)).set_index("measure").loc["revenue"]
    week = v["leader_from"]
    assert v["leader"] == "A" and 10 < week < weeks
    diff = np.cumsum(a - b, axis=0)
    lows = [intervals.mean_interval(d)[1] for d in diff]
    assert all(lo > 0 for lo in lows[week - 1 :]) and lows[week - 2] <= 0  # the definition, week by week


def test_a_group_that_opens_late_is_compared_only_from_its_opening_week():
    rng = np.random.default_rng(2)
    weeks, reps, opens = 40, 5, 25
    a = rng.uniform(50, 60, (weeks, reps))
    b = rng.uniform(80, 90, (weeks, reps))  # B opens at week 25, then out-earns A every week
    ts = synthetic(a, b, start_b=opens)
    cum, start = paired_cumulative(ts[ts["strategy"] == "A"], ts[ts["strategy"] == "B"], "revenue")
    assert start == opens and cum.index[0] == opens
    assert np.allclose(cum["mean"].iloc[-1], (a[opens - 1 :] - b[opens - 1 :]).sum(axis=0).mean())
    v = verdicts(ts).set_index("measure").loc["revenue"]
    assert v["first_week"] == opens and v["leader"] == "B" and v["leader_from"] == opens
    assert any(f"weeks {opens}-{weeks}" in x for x in verdict_lines(ts))


def test_a_cash_panel_with_a_chain_store_goes_to_a_symmetric_log_scale():
    weeks = np.arange(1, 11)
    band = pd.DataFrame(
        {
            "group": ["community"] * 10 + ["chain"] * 10,
            "week": np.concatenate([weeks, weeks]),
            "mean": np.concatenate([np.linspace(12_000, -3_000, 10), np.full(10, 1e7)]),
        }
    )
    # linear within a power of ten below a tenth of the cafes' peak (12,000), logarithmic beyond
    assert log_threshold(band) == 1000.0
    assert log_threshold(band[band["group"] == "community"]) is None
    band.loc[band["group"] == "chain", "mean"] = 20_000.0
    assert log_threshold(band) is None  # comparable sizes: a linear scale reads


def test_the_dashboard_uses_the_same_units_and_aggregations():
    from sim.dashboard.live_measures import SERIES

    for measure, title in SERIES:
        m = MEASURES[measure]
        assert m.unit in title and SHORT_AGGREGATIONS[m.aggregation] in title


def test_acquisition_measures_at_the_last_week_equal_the_summarys_whole_run_figures(chain_run):
    """The printed acquisition cost and referred share to date are the summary's cac and share at the end."""
    out, stdout = chain_run
    table = pd.read_csv(out / "comparison.csv")
    summary = pd.read_csv(out / "summary.csv")
    last = table["week"].max()
    for name in ("cac", "cac_ads", "referral_revenue_share"):
        assert MEASURES[name].label in stdout
        for strategy in ("community", "transactional"):
            row = table[
                (table["measure"] == name) & (table["strategy"] == strategy) & (table["week"] == last)
            ]
            expected = summary[f"{name}_{strategy}"].mean()
            assert row["mean"].iloc[0] == pytest.approx(expected, rel=1e-6, abs=0.01)
    share = table[table["measure"] == "referral_revenue_share"]
    assert share["mean"].between(0, 1).all()


def test_csv_files_hold_no_floating_point_noise(chain_run):
    """Money sums print as 1754.3, not 1754.299999999952: at most 12 significant digits in every CSV."""
    import re

    out, _ = chain_run
    for name in ("timeseries.csv", "summary.csv", "comparison.csv"):
        text = (out / name).read_text()
        noisy = re.findall(r"\d*\.\d+", text)
        assert noisy, name
        assert max(len(x.replace(".", "").lstrip("0")) for x in noisy) <= 12, name
