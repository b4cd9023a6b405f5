"""The memory estimate against measured peaks, and towns too large refused before allocating."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim import load_scenario
from sim.cli import main
from sim.config.memory_estimate import memory_estimate_gb

ROOT = Path(__file__).resolve().parents[1]
GROUPS = 12  # the baseline's business groups

MEASURE = """
import json, resource, sys
from sim import load_scenario
from sim.config.memory_estimate import memory_estimate_gb
from sim.core.model import CommunityModel
s = load_scenario("scenarios/baseline.toml", sys.argv[1:])
m = CommunityModel(s, rng=1)
m.run(s.data["run"]["steps"])  # every week, even after all businesses have closed
m.recorder.table()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
print(json.dumps({"peak": peak, "estimate": memory_estimate_gb(s.data)}))
"""


def town(customers: int, businesses: int, weeks: int) -> list[str]:
    """Overrides of the baseline for a town of this size (businesses spread over its groups)."""
    per = [businesses // GROUPS + (1 if i < businesses % GROUPS else 0) for i in range(GROUPS)]
    return [
        f"population.customers={customers}",
        f"run.steps={weeks}",
        "population.memory_limit_gb=1000",
        *(f"businesses.{i}.count={c}" for i, c in enumerate(per)),
    ]


@pytest.fixture(scope="module")
def compiled():
    """Compile the weekly rules once, in a process of their own: compiling takes memory a run does not."""
    subprocess.run(
        [sys.executable, "-c", "from sim.core.model import warm_up; warm_up()"], cwd=ROOT, check=True
    )


NO_PARTNERS = ("strategies.community.seeks_partners=false",)


@pytest.mark.slow
@pytest.mark.parametrize(
    "customers,businesses,weeks,extra",
    [
        (200_000, 12, 5, ()),  # customers and their ties
        (500, 8000, 5, ()),  # pairs of businesses that may partner
        (500, 1000, 520, ()),  # weeks of measures
        (300, 20_000, 3, ()),  # many businesses: pairs, and customers x businesses
        (100, 100_000, 2, NO_PARTNERS),  # 100,000 businesses, none seeking partners: nothing squared
    ],
)
def test_memory_estimate_is_within_half_again_of_the_measured_peak(
    compiled, customers, businesses, weeks, extra
):
    """Customers and ties, pairs of businesses, businesses, and weeks each dominate one of these towns.

    Each needs at least a quarter of a GB beyond the interpreter's own (about 0.25 GB): in smaller
    towns that base dominates, and a first run's compiling (a one-off of about 0.15 GB) would decide
    the ratio.
    """
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *town(customers, businesses, weeks), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = got["estimate"] / got["peak"]
    assert 1 / 1.5 <= ratio <= 1.5, got


def test_partner_pairs_count_in_the_estimate_and_only_they_grow_with_the_square():
    """Pairs that may partner grow with the square of the partner-seekers; a town without them does not."""
    small = memory_estimate_gb(load_scenario(ROOT / "scenarios/baseline.toml", town(500, 1200, 10)).data)
    big = memory_estimate_gb(load_scenario(ROOT / "scenarios/baseline.toml", town(500, 12_000, 10)).data)
    assert big - 0.25 > 20 * (small - 0.25)
    sets = [*town(500, 12_000, 10), *NO_PARTNERS]
    alone = memory_estimate_gb(load_scenario(ROOT / "scenarios/baseline.toml", sets).data)
    assert alone - 0.25 < 15 * (small - 0.25)


def test_a_town_larger_than_the_machine_is_refused_before_allocating(capsys):
    sets = town(500, 100_000, 10)[:2] + town(500, 100_000, 10)[3:]  # the machine's own limit
    args = ["run", str(ROOT / "scenarios/baseline.toml"), "--out", "/nonexistent/never-made"]
    assert main([*args, *(f"--set={s}" for s in sets)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "GB" in err[0] and "population.memory_limit_gb" in err[0]
    assert not Path("/nonexistent/never-made").exists()


def test_an_edge_list_counts_its_ties(tmp_path):
    edges = tmp_path / "edges.csv"
    lines = "".join(f"{i % 5000},{(i * 7 + 1) % 5000}\n" for i in range(200_000))
    edges.write_text("source,target\n" + lines)
    sets = ["population.customers=5000", "network.kind=edge_list", f"network.path={edges}"]
    with_file = memory_estimate_gb(load_scenario(ROOT / "scenarios/baseline.toml", sets).data)
    edges.write_text("source,target\n0,1\n")
    tiny = memory_estimate_gb(load_scenario(ROOT / "scenarios/baseline.toml", sets).data)
    assert with_file > tiny
