"""The workshop dashboard: the page's model wiring (no browser) and the page in headless Chromium.

Browser tests (``-m browser``) start ``commsim dashboard`` on a free port of 127.0.0.1 and drive
it with Playwright in Debian's Chromium; they skip when /usr/bin/chromium or playwright is
missing, and save screenshots under the test's temporary folder. With
``COMMSIM_DOCS_FIGURES=1`` they also write the lesson plan's screenshots to
docs/figures/workshop/ (see docs/make_workshop_screenshots.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main as cli_main
from sim.config.parameters import PARAMETERS
from sim.config.scenario import arms, load_scenario
from sim.core.model import CommunityModel
from sim.core.stages.accounting import close
from sim.dashboard.charts import MIN_FONT_PX, chart_spec, chart_specs
from sim.dashboard.live_measures import (
    CLOSED,
    NOT_YET_OPEN,
    OPEN,
    business_detail,
    business_monitor,
    business_states,
    customer_detail,
    leader,
    main_business,
)
from sim.dashboard.shock_buttons import make_shock
from sim.dashboard.sliders import CONTROLS
from sim.dashboard.town_layout import MAX_EDGES_DRAWN, TownLayout
from sim.dashboard.town_view import (
    NO_BUSINESS,
    headline_parts,
    monitor_html,
    parse_pick,
    pick_key,
    town_html,
    town_svg,
)
from sim.dashboard.workshop import Workshop, comparison_sentence, focus_series
from sim.dashboard.workshop_town import DEFAULT_CUSTOMERS, default_params
from sim.runs.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
DOCS_FIGURES = ROOT / "docs" / "figures" / "workshop"


# ============================================================ model wiring (no browser)
@pytest.fixture(scope="module")
def defaults():
    return default_params(str(ROOT / "scenarios" / "baseline.toml"))


def test_sliders_are_fed_from_the_parameter_table(defaults):
    base = load_scenario(ROOT / "scenarios" / "baseline.toml").data
    for c in CONTROLS:
        lo, hi = c.bounds
        assert lo <= defaults[c.name] <= hi, c.name
        if c.param is None:
            assert "community-focused" in c.meaning
            continue
        p = PARAMETERS[c.param]
        assert c.meaning == p.meaning and c.unit == p.unit
        assert p.low <= lo < hi <= p.high
    # defaults are the scenario's values (which come from the same table)
    assert defaults["word_of_mouth"] == base["behaviour"]["word_of_mouth"]
    assert defaults["community_time"] == base["strategies"]["community"]["community_time"]
    assert defaults["ad_budget"] == base["strategies"]["transactional"]["ad_budget"]
    assert defaults["seed"] == base["run"]["seed"]
    assert defaults["customers"] == DEFAULT_CUSTOMERS
    assert defaults["community_share"] == 0.5


def test_default_town_is_small_and_half_community(defaults):
    ws = Workshop(**defaults)
    m = ws.model
    assert m.n_customers == 300
    assert 6 <= m.n_businesses <= 10
    names = m.strategy_names()
    assert names.count("community") == names.count("transactional")
    # every category keeps one of each, as in the baseline
    for k in set(m.business_category.tolist()):
        in_k = {names[b] for b in np.flatnonzero(m.business_category == k)}
        assert in_k == {"community", "transactional"}
    assert ws.week == 0
    ws.step()
    ws.step()
    assert ws.week == 2 and ws.headline()["week"] == 2


def test_sliders_reach_the_model_through_mesas_reset(defaults):
    """Mesa's ModelController rebuilds ``type(model)(**model_parameters)`` on Reset."""
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    ws = Workshop(**defaults)
    changed = {
        **defaults,
        "customers": 120,
        "community_share": 1.0,
        "word_of_mouth": 0.05,
        "community_time": 0.3,
        "ad_budget": 40.0,
        "values_weight_share": 0.2,
        "seed": 5,
    }
    kwargs = _build_model_init_kwargs(
        ws, changed, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    new = type(ws)(**kwargs)
    m = new.model
    assert m.n_customers == 120
    assert set(m.strategy_names()) == {"community"}
    assert m.beh["word_of_mouth"] == 0.05
    assert m.config.data["population"]["values_weight_share"] == 0.2
    assert m.config.data["strategies"]["community"]["community_time"] == 0.3
    f = 120 / 2000  # money scaled to the town's size
    assert m.config.data["strategies"]["transactional"]["ad_budget"] == pytest.approx(40.0 * f)
    assert m.seed != ws.model.seed


def test_money_is_scaled_to_the_town_size(defaults):
    """A 300-customer town is a miniature: costs, cash, ad reach per customer as in the scenario."""
    base = load_scenario(ROOT / "scenarios" / "baseline.toml").data
    ws = Workshop(**defaults)
    m = ws.model
    f = 300 / base["population"]["customers"]
    assert ws.money_scale == pytest.approx(f)
    full = CommunityModel(load_scenario(ROOT / "scenarios" / "baseline.toml"))
    nb = m.n_businesses
    for arr in ("fixed_cost", "cash", "credit_line"):
        assert getattr(m, arr) == pytest.approx(getattr(full, arr)[:nb] * f), arr
    ws.step()
    ad = base["strategies"]["transactional"]["ad_budget"]
    expected_reach = -np.expm1(-ad / (base["economy"]["ad_cost_per_reach"] * base["population"]["customers"]))
    trans = [b for b, s in enumerate(m.strategy_names()) if s == "transactional"]
    assert m.ad_reach[trans] == pytest.approx(expected_reach)


def test_recession_button_lowers_demand_and_is_marked(defaults):
    ws = Workshop(**defaults)
    for _ in range(5):
        ws.step()
    rec = ws.add_shock("recession")
    assert rec["week"] == 6 and rec["kind"] == "recession"
    assert ws.demand_index == 1.0  # acts from the next week
    spec = chart_spec(ws)
    assert spec["datasets"]["shocks"] == [{"w": 6, "label": "recession", "kind": "recession"}]
    ws.step()
    depth = PARAMETERS["shocks.recession.depth"].default
    assert ws.demand_index == pytest.approx(1 - depth)
    assert ws.headline()["demand"] == pytest.approx(1 - depth)
    assert ws.model.shock_log[-1]["week"] == 6
    # every line chart carries a rule and a label layer on the shocks dataset
    for panel in spec["concat"][:4]:
        names = [layer["data"]["name"] for layer in panel["layer"]]
        assert names == ["series", "shocks", "shock_labels", "shock_labels"]


def test_other_shock_buttons(defaults):
    ws = Workshop(**defaults)
    ws.step()
    n0 = ws.model.n_businesses
    ws.add_shock("chain_store", category="cafe")
    ws.add_shock("lockdown")
    ws.add_shock("viral_bad_review", business="bakery-1")
    b = ws.model.business_index("bakery-1")
    trust_before = ws.model.trust[:, b].copy()
    ws.step()
    m = ws.model
    assert m.n_businesses == n0 + 1 and m.alive[-1] and m.strategy_names()[-1] == "chain"
    assert m.lockdown and m.engagement.sum() == 0
    assert (m.trust[:, b] < trust_before - 1e-6).sum() > 0
    labels = {s["label"] for s in ws.shock_marks()}
    assert labels == {"chain store", "lockdown", "bad review (bakery-1)"}
    assert "chain" in ws.colours()


def test_headline_leaders_follow_the_numbers(defaults):
    ws = Workshop(**defaults)
    for _ in range(20):
        ws.step()
    h = ws.headline()
    rev = h["revenue"]
    assert h["revenue_leader"] == max(rev, key=rev.get)
    data, t = ws.model.recorder.data, ws.model.recorder.rows
    names = np.array(ws.model.strategy_names())
    for s, v in rev.items():
        cols = names == s
        assert v == pytest.approx(data["revenue"][t - 4 : t, cols].sum(axis=1).mean() / cols.sum())


def test_town_view_colours_customers_by_their_main_business(defaults):
    ws = Workshop(**defaults)
    svg = town_svg(ws, ws.runs[0])
    assert svg.count('class="customer"') == 300
    assert svg.count('class="business"') == ws.model.n_businesses
    assert svg.count(f'fill="{NO_BUSINESS}"/>') >= 300  # nobody has bought yet
    layout = ws.layout
    for _ in range(8):
        ws.step()
    assert ws.layout is layout  # computed once per reset
    main = main_business(ws.model)
    assert (main >= 0).any()
    fills = re.findall(r'class="customer"[^>]*fill="(#[0-9a-f]{6})"', town_svg(ws, ws.runs[0]))
    colours = ws.colours()
    strat = ws.model.strategy_names()
    expected = [colours[strat[b]] if b >= 0 else NO_BUSINESS for b in main]
    assert fills == expected


def test_layout_scales_without_spring_layout():
    p = default_params(str(ROOT / "scenarios" / "baseline.toml"))
    p["customers"] = 2000
    ws = Workshop(**p)
    t0 = time.perf_counter()
    lay = TownLayout(ws.model)
    assert time.perf_counter() - t0 < 2.0
    assert lay.edges_drawn <= MAX_EDGES_DRAWN
    assert np.all((lay.xy >= 0) & (lay.xy <= lay.SIZE))


def test_side_by_side_pairs_the_same_town(defaults):
    ws = Workshop(**{**defaults, "side_by_side": True, "focus": "cafe-2"})
    a, b = (r.model for r in ws.runs)
    i = a.business_name.index("cafe-2")
    assert a.strategy_names()[i] == "community" and b.strategy_names()[i] == "transactional"
    others = [k for k in range(a.n_businesses) if k != i]
    assert [a.strategy_names()[k] for k in others] == [b.strategy_names()[k] for k in others]
    assert np.array_equal(a.network.sources, b.network.sources)
    assert np.array_equal(a.budget, b.budget) and a.seed == b.seed
    for _ in range(10):
        ws.step()
    assert a.week == b.week == 10
    rows, bars = focus_series(ws)
    assert {r["s"] for r in rows} == {r.label for r in ws.runs}
    svg_a, svg_b = (town_svg(ws, r) for r in ws.runs)
    assert svg_a != svg_b


def test_save_this_run_writes_a_reproducible_results_folder(defaults, tmp_path):
    ws = Workshop(**defaults)
    for _ in range(6):
        ws.step()
    ws.add_shock("recession")
    for _ in range(4):
        ws.step()
    out = ws.save(tmp_path / "results")
    assert out.parent == (tmp_path / "results").resolve()
    for name in (
        "manifest.json",
        "timeseries.csv",
        "timeseries.parquet",
        "strategy_timeseries.parquet",
        "summary.csv",
        "report.html",
    ):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["run"]["steps"] == 10
    assert [s["kind"] for s in manifest["scenario"]["shocks"]] == ["recession"]
    assert manifest["scenario"]["shocks"][0]["start"] == 7
    ts = pd.read_csv(out / "timeseries.csv")
    assert set(ts["run_id"]) == {"base-r0"} and ts["step"].max() == 10
    # the saved scenario, run as `commsim run` would, reproduces the live run
    saved = ws.saved_scenario()
    again = simulate(saved, ws.model_seed, 10)
    live = ws.model.recorder.table()
    assert np.allclose(again["revenue"].to_numpy(), live["revenue"].to_numpy())
    assert np.allclose(again["cash"].to_numpy(), live["cash"].to_numpy())
    # the cohorts are saved too, and add up to the customers each business won
    cohorts = pd.read_parquet(out / "cohorts.parquet")
    won = cohorts.groupby("business")["customers"].sum()
    last = live[live["step"] == 10].set_index("business")["cumulative_customers"]
    assert len(cohorts) and (won.reindex(last.index, fill_value=0) == last).all()


def test_save_side_by_side_writes_two_arms(defaults, tmp_path):
    ws = Workshop(**{**defaults, "side_by_side": True})
    for _ in range(3):
        ws.step()
    saved = ws.saved_scenario()
    assert [name for name, _ in arms(saved)] == ["community", "transactional"]
    res = ws.results()
    assert set(res.timeseries["arm"]) == {"community", "transactional"}
    with pytest.raises(ValueError):
        Workshop(**defaults).results()  # nothing run yet


# ------------------------------------------------------------------ states, counts, ties (issue 15)
def _marks(svg: str) -> dict[str, str]:
    """Business name -> its drawn state (the ``data-state`` of its group) in a town SVG."""
    return dict(re.findall(r'<g class="business"[^>]*data-name="([^"]+)"[^>]*data-state="([^"]+)"', svg))


def _crossed(svg: str) -> set[str]:
    """Businesses drawn with the crossed-out mark (a path inside their group)."""
    groups = re.findall(r'<g class="business"[^>]*data-name="([^"]+)"[^>]*>(.*?)</g>', svg)
    return {name for name, body in groups if "<path" in body}


def test_week_0_draws_no_business_as_closed(defaults):
    ws = Workshop(**defaults)
    svg = town_svg(ws, ws.runs[0])
    assert set(_marks(svg).values()) == {NOT_YET_OPEN} and len(_marks(svg)) == ws.model.n_businesses
    assert _crossed(svg) == set()
    assert 'stroke-dasharray="8 5"' in svg  # not yet open: a dashed outline
    ws.step()
    svg = town_svg(ws, ws.runs[0])
    assert set(_marks(svg).values()) == {OPEN} and _crossed(svg) == set()
    b = ws.model.business_index("cafe-2")
    close(ws.model, b, "market")
    svg = town_svg(ws, ws.runs[0])
    assert _crossed(svg) == {"cafe-2"} and _marks(svg)["cafe-2"] == CLOSED
    assert "closed in week 1 (cash below its credit line)" in dict(business_detail(ws.model, b))["state"]


def test_headline_counts_follow_openings_and_closures(defaults):
    ws = Workshop(**defaults)
    n = ws.model.n_businesses

    def size_tile() -> str:
        tile = next(t for t in headline_parts(ws.headline()) if t[0] == "cs-size")
        return re.sub(r"<[^>]+>", "", tile[2] + " " + tile[3])

    assert size_tile().startswith(f"{n} open in week 1")
    ws.step()
    ws.add_shock("chain_store", category="cafe")
    ws.add_shock("chain_store", category="gym")
    assert ws.headline()["states"] == {OPEN: n, CLOSED: 0, NOT_YET_OPEN: 2}
    assert size_tile().startswith(f"{n} open 2 not yet open")  # announced for next week
    svg = town_svg(ws, ws.runs[0])
    assert list(_marks(svg).values()).count(NOT_YET_OPEN) == 2 and _crossed(svg) == set()
    ws.step()
    assert ws.headline()["businesses"] == n + 2
    assert size_tile().startswith(f"{n + 2} open")
    close(ws.model, ws.model.business_index("bakery-1"), "market")
    assert ws.headline()["states"] == {OPEN: n + 1, CLOSED: 1, NOT_YET_OPEN: 0}
    assert size_tile().startswith(f"{n + 1} open 1 closed")


def test_leaders_and_comparisons_state_ties_as_ties(defaults):
    assert leader({"community": 54.4, "transactional": 48.0}, 0) == ("community", False)
    assert leader({"community": 54.4, "transactional": 54.2}, 0) == (None, True)  # both shown as 54
    assert leader({"community": 0.901, "transactional": 0.899}, 2) == (None, True)
    assert leader({"community": 1.0}, 2) == (None, False)
    ws = Workshop(**defaults)
    for _ in range(4):
        ws.step()
    h = ws.headline()
    h["retention"] = {"community": 0.971, "transactional": 0.968}
    h["retention_leader"], h["retention_tie"] = leader(h["retention"], 2)
    tile = next(t for t in headline_parts(h) if t[0] == "cs-lead-retention")
    assert tile[2] == "<b>a tie</b>" and tile[3].startswith("community 0.97, transactional 0.97 (")

    def row(label, revenue, state):
        return {"label": label, "revenue": revenue, "state": state}

    closed = [row("A: cafe-1 community-focused", 0.0, CLOSED), row("B: cafe-1 transactional", 0.0, CLOSED)]
    text = comparison_sentence("cafe-1", closed, 40)
    assert "closed in both A and B" in text and "earns more" not in text
    tied = [row("A: x", 12.2, OPEN), row("B: x", 11.9, OPEN)]
    assert comparison_sentence("cafe-1", tied, 40).startswith("A tie: cafe-1 earns 12 in both A and B")
    ahead = comparison_sentence("cafe-1", [row("A: x", 10.0, OPEN), row("B: x", 30.4, OPEN)], 40)
    assert ahead.startswith("cafe-1 earns more as B: 30, against 10 as A (currency a week")
    # the live side-by-side page: the compared business closed in both runs reads as no winner
    ws = Workshop(**{**defaults, "side_by_side": True, "focus": "cafe-1"})
    for _ in range(3):
        ws.step()
    for run in ws.runs:
        close(run.model, run.model.business_index("cafe-1"), "market")
    for _ in range(5):
        ws.step()
    comp = ws.headline()["comparison"]
    assert [r["revenue"] for r in comp["runs"]] == [0.0, 0.0]
    assert comp["sentence"] == "No winner: cafe-1 has closed in both A and B"


def test_shock_depth_and_duration_are_applied(defaults):
    ws = Workshop(**defaults)
    ws.step()
    rec = ws.add_shock("recession", depth=0.4, duration=3)
    assert (rec["depth"], rec["duration"], rec["start"]) == (0.4, 3, 2)
    assert rec["text"] == "recession from week 2: demand down 40% for 3 weeks, then back over 13 weeks"
    demand = []
    for _ in range(5):
        ws.step()
        demand.append(ws.demand_index)
    assert demand[:3] == pytest.approx([0.6, 0.6, 0.6])  # weeks 2-4 at full depth
    assert 0.6 < demand[3] < demand[4] < 1.0  # then recovering
    lock = make_shock("lockdown", 10, "cafe-1", "cafe", depth=0.3, duration=5)
    assert (lock.duration, lock.demand_drop) == (5, 0.3)
    assert [lock.stops_engagement(w) for w in (9, 10, 14, 15)] == [False, True, True, False]
    spike = make_shock("cost_spike", 10, "cafe-1", "cafe", depth=0.5, duration=2)
    assert spike.cost_factor(11) == pytest.approx(1.5) and spike.duration == 2
    assert make_shock("recession", 1, "", "cafe").depth == PARAMETERS["shocks.recession.depth"].default
    with pytest.raises(ValueError, match="depth"):
        ws.add_shock("recession", depth=1.5)
    with pytest.raises(ValueError, match="duration"):
        ws.add_shock("recession", duration=0)


def test_monitor_and_inspector_read_the_model(defaults):
    ws = Workshop(**defaults)
    for _ in range(6):
        ws.step()
    m = ws.model
    data, t = m.recorder.data, m.recorder.rows
    rows = business_monitor(m)
    assert [r["name"] for r in rows] == m.business_name
    for b, r in enumerate(rows):
        assert r["cash"] == pytest.approx(m.cash[b])
        assert r["customers_active"] == data["customers_active"][t - 1, b]
        assert r["promoter_score"] == pytest.approx(data["promoter_score"][t - 1, b], nan_ok=True)
        assert r["state"] == business_states(m)[b] == OPEN
    table = monitor_html(ws)
    assert table.count("<tr data-pick=") == m.n_businesses
    assert f"<td class=num>{rows[0]['cash']:,.0f}</td>" in table
    detail = dict(business_detail(m, 0))
    assert detail["cash"].startswith(f"{m.cash[0]:,.0f} currency")
    assert detail["active customers"].startswith(f"{rows[0]['customers_active']:,} (")
    i = int(np.flatnonzero((np.asarray(m.contact) > 0).any(axis=1))[0])
    about = customer_detail(m, i)
    known = [m.business_name[b] for b in np.flatnonzero(np.asarray(m.contact[i]) > 0)]
    assert [k for k, _ in about[4:]] == known
    assert dict(about)["budget"] == f"{m.budget[i]:,.1f} currency a week"
    # a pick names a run and an agent; the town of that run rings it and shows its state
    assert parse_pick(pick_key("c", 0, i)) == ("c", 0, i)
    assert parse_pick("none") is None and parse_pick("b:0:x") is None and parse_pick("<b>:1:2") is None
    page = town_html(ws, ws.runs[0], ("c", 0, i))
    assert 'class="picked"' in page and 'data-kind="c"' in page and f"#{i}," in page
    assert "commsim-inspector" not in town_html(ws, ws.runs[0], None)


def test_chart_text_is_readable_from_the_back(defaults):
    """Every font size in the chart specs is at least 16 px, titles larger (issue 15)."""
    ws = Workshop(**defaults)
    for _ in range(3):
        ws.step()
    ws.add_shock("recession")
    sizes: list[float] = []

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k.lower().endswith("fontsize"):
                    sizes.append(v)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    specs = chart_specs(ws)
    walk(specs)
    cfg = specs[0]["config"]
    assert cfg["axis"]["labelFontSize"] >= 16 and cfg["axis"]["titleFontSize"] >= 16
    assert cfg["title"]["fontSize"] > cfg["title"]["subtitleFontSize"] >= 16
    assert len(sizes) >= 8 and min(sizes) >= MIN_FONT_PX == 16
    for spec in specs:  # every chart says its unit and how a group is summarised
        unit, how = spec["title"]["subtitle"]
        assert unit and how in ("per business", "mean over open businesses")


def test_the_page_renders_and_steps_without_a_browser():
    """``sim.dashboard.page`` composes the page from the modules above: it renders, and its buttons work."""
    solara = pytest.importorskip("solara")
    import ipyvuetify as v

    from sim.dashboard import page

    @solara.component
    def App():
        with solara.AppLayout():  # gathers the sidebar's controls into the rendered tree
            page.Page()

    _, rc = solara.render(App(), handle_error=False)

    def html(cls: str) -> list[str]:
        return [
            w.unsafe_innerHTML
            for w in rc.find(solara.widgets.HTML).widgets
            if w.attributes.get("class") == cls
        ]

    assert "<b>0</b> of 156" in html("commsim-headline")[0]
    sliders = [w.attributes.get("data-param") for w in rc.find(v.Html, class_="commsim-slider").widgets]
    assert sorted(sliders) == sorted(["pause", *(c.name for c in CONTROLS), "shock_depth", "shock_weeks"])
    for _ in range(2):
        rc.find(v.Btn, children=["Step"]).widget.click()
    assert "<b>2</b> of 156" in html("commsim-headline")[0]
    rc.find(v.Btn, children=["Recession now"]).widget.click()
    message = rc.find(v.Html, class_="commsim-shock-message").widget.children
    assert message == ["recession from week 3: demand down 25% for 26 weeks, then back over 13 weeks"]


# ------------------------------------------------------------------ command line errors
def test_command_rejects_a_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[population]\ncustomrs = 3\n")
    assert cli_main(["dashboard", str(bad), "--port", str(_free_port())]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "customrs" in err


def test_command_rejects_a_port_in_use(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli_main(["dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"port {port}" in err and "in use" in err


@pytest.mark.parametrize("host", ["192.0.2.77", "no-such-host.invalid"])
def test_command_rejects_a_host_it_cannot_bind(host, capsys):
    assert cli_main(["dashboard", "--host", host, "--port", str(_free_port())]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and host in err


def test_page_url():
    from sim.cli.commands.dashboard import page_url

    assert page_url("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert page_url("0.0.0.0", 80) == "http://127.0.0.1:80/"


# ============================================================ in the browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package for the page tests")
    pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")
    from sim.dashboard import assets as da

    try:  # a clean machine fetches the front-end files from npm once (a few seconds)
        da.prepare(da.default_cache_dir())
    except da.AssetError as exc:
        pytest.skip(f"dashboard front-end files unavailable: {exc}")
    workdir = tmp_path_factory.mktemp("dashboard")
    port = _free_port()
    log = open(workdir / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "dashboard", "--port", str(port)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dashboard exited: {(workdir / 'server.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("dashboard did not start within 60 s")
    yield {"url": f"http://127.0.0.1:{port}/", "dir": workdir, "proc": proc}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


PROJECTOR = (1280, 720)
"""The usual projector: the town and the four line charts must be in view without scrolling."""
WIDE = (1920, 1080)
"""A full-HD screen: the page must use its width."""

SMALL_TEXT_JS = """() => {
  const bad = []; let node, seen = 0, svg = 0;
  const root = document.querySelector('.commsim-root');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while ((node = walker.nextNode())) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || el.closest('style, script')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    seen += 1;
    if (el.closest('.commsim-chart svg')) svg += 1;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < 16) bad.push([node.textContent.trim().slice(0, 40), px]);
  }
  return {bad: bad, seen: seen, chart_text: svg};
}"""
"""Every drawn text of the page with its computed font size below 16 px (and how many were seen)."""


def _open(browser, server, size: tuple[int, int] = PROJECTOR):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors: list[str] = []

    def local_only(route):  # the page must need nothing from the internet
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            errors.append(f"external request {url}")
            route.abort()

    page.route("**/*", local_only)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(server["url"], wait_until="domcontentloaded")
    page.wait_for_selector("button:has-text('Step')", timeout=60_000)
    page.wait_for_selector("svg.town circle.customer", timeout=30_000)
    return page, errors


def _week(page) -> int:
    return int(re.match(r"\s*(\d+) of", page.inner_text(".cs-week .commsim-tile-value")).group(1))


def _wait_week(page, at_least: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        w = _week(page)
        if w >= at_least:
            return w
        page.wait_for_timeout(100)
    raise AssertionError(f"week stayed at {_week(page)}, expected {at_least}")


def _step(page, weeks: int = 1) -> int:
    for _ in range(weeks):
        week = _week(page)
        page.click("button:has-text('Step')")
        _wait_week(page, week + 1)
    return _week(page)


def _shot(page, tmp_path, name: str) -> Path:
    """A screenshot of what the screen shows (not the whole scrolled page)."""
    page.wait_for_timeout(600)  # the charts redraw after the week's numbers arrive
    path = tmp_path / name
    page.screenshot(path=str(path))
    if os.environ.get("COMMSIM_DOCS_FIGURES") == "1":
        DOCS_FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_FIGURES / name)
    return path


def _play(page, weeks: int) -> float:
    """Play until ``weeks`` more weeks have passed; returns weeks per second seen in the page."""
    start = _week(page)
    page.click("button:has-text('▶')")
    t0 = time.monotonic()
    end = _wait_week(page, start + weeks, timeout=60)
    rate = (end - start) / (time.monotonic() - t0)
    page.click("button:has-text('❚❚')")
    page.wait_for_timeout(400)
    return rate


def _boxes(page, selector: str) -> list[dict]:
    return [loc.bounding_box() for loc in page.locator(selector).all()]


def _assert_in_view(page, selector: str, size: tuple[int, int], count: int | None = None) -> list[dict]:
    """Every element of ``selector`` lies wholly inside the viewport (nothing needs scrolling)."""
    boxes = _boxes(page, selector)
    assert boxes and (count is None or len(boxes) == count), (selector, boxes)
    for b in boxes:
        assert b is not None and b["x"] >= 0 and b["y"] >= 0, (selector, b)
        assert b["x"] + b["width"] <= size[0] + 0.5 and b["y"] + b["height"] <= size[1] + 0.5, (
            selector,
            b,
            size,
        )
    return boxes


def _charts_drawn(page, label: str = "") -> None:
    """Wait until all five charts are drawn (as SVG, with ``label`` on the four line charts)."""
    page.wait_for_function(
        """(label) => { const c = [...document.querySelectorAll('.commsim-chart')];
            return c.length === 5
                && c.every(e => e.querySelector('svg') && e.getBoundingClientRect().height > 200)
                && c.slice(0, 4).every(e => e.textContent.includes(label)); }""",
        arg=label,
        timeout=15_000,
    )
    page.wait_for_timeout(300)


def _slider_values(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-param]')].map(
            d => [d.dataset.param, d.querySelector('[role=slider]').getAttribute('aria-valuenow')]))"""
    )


def _drawn_states(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('svg.town g.business')].map(
            g => [g.dataset.name, g.dataset.state + (g.querySelector('path') ? ' crossed' : '')]))"""
    )


@pytest.mark.browser
def test_page_in_the_browser(browser, server, tmp_path):
    page, errors = _open(browser, server)
    # controls: Mesa's Reset / play / Step, the sliders with their meaning as help text, shocks
    for label in (
        "Reset",
        "▶",
        "Step",
        "Presentation mode",
        "Recession now",
        "Lockdown",
        "Cost spike",
        "Chain store opens",
        "Viral bad review",
        "Save this run",
    ):
        assert page.locator(f"button:has-text('{label}')").count() >= 1, label
    assert page.locator(".commsim-slider").count() == len(CONTROLS) + 3  # + pause, shock depth, duration
    body = page.inner_text("body")
    assert PARAMETERS["behaviour.word_of_mouth"].meaning[:40] in body
    assert page.locator("svg.town circle.customer").count() == 300
    assert _week(page) == 0
    # every slider shows its value, the pause slider too
    for name, label in (("pause", "Pause between weeks: 40 ms"), ("customers", "Customers: 300")):
        assert page.inner_text(f"[data-param={name}] .commsim-slider-label").startswith(label)
    _shot(page, tmp_path, "01-start.png")

    # step advances the week
    assert _step(page, 2) == 2

    # a slider moved and Reset: a new town with fewer customers drawn
    page.locator(".commsim-slider-customers [role=slider]").focus()
    page.keyboard.press("Home")
    page.wait_for_selector("text=Customers: 50")
    page.click("button:has-text('Reset')")
    page.wait_for_function(
        "document.querySelectorAll('svg.town circle.customer').length === 50", timeout=15_000
    )
    assert _week(page) == 0
    page.close()

    # a new session gets its own fresh town (the 50-customer town above is not shared)
    page, errors2 = _open(browser, server)
    errors += errors2
    assert page.locator("svg.town circle.customer").count() == 300
    rate = _play(page, 30)
    print(f"\nweeks per second in the browser at 300 customers: {rate:.1f}")
    _shot(page, tmp_path, "02-week-30.png")

    # recession now: marked on the charts, demand lowered in the model
    week = _week(page)
    page.click("button:has-text('Recession now')")
    page.wait_for_selector(f"text=recession from week {week + 1}")
    _step(page)
    depth = PARAMETERS["shocks.recession.depth"].default
    page.wait_for_selector(f".cs-demand .commsim-tile-value:has-text('{100 * (1 - depth):.0f}%')")
    page.wait_for_selector(".commsim-charts svg text:has-text('recession')", timeout=15_000)
    _play(page, 20)
    _shot(page, tmp_path, "03-recession.png")

    # save this run: a results folder, its path shown
    page.click("button:has-text('Save this run')")
    saved = page.wait_for_selector(".commsim-saved", timeout=30_000).inner_text()
    assert Path(saved).is_dir() and (Path(saved) / "manifest.json").is_file()
    assert Path(saved).parent == (server["dir"] / "results").resolve()
    assert errors == []
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", [PROJECTOR, WIDE], ids=["1280x720", "1920x1080"])
def test_a_room_can_read_the_page(browser, server, tmp_path, size):
    """Issue 15: in view without scrolling, 16 px text, the width used, presentation mode, week 0."""
    page, errors = _open(browser, server, size)
    # week 0: every business is drawn as not yet open (a dashed outline), none as closed
    states = _drawn_states(page)
    assert len(states) == 10 and set(states.values()) == {"not yet open"}
    _step(page, 3)
    page.click("button:has-text('Recession now')")  # a shock label on every line chart
    _step(page)
    _charts_drawn(page, "recession")
    assert set(_drawn_states(page).values()) == {"open"}

    # the headline, the town and the four line charts are in view; the charts reach the right edge
    _assert_in_view(page, ".commsim-headline", size, 1)
    (town,) = _assert_in_view(page, ".commsim-town-box", size, 1)
    charts = _assert_in_view(page, ".commsim-chart >> nth=0", size) + [
        _assert_in_view(page, f".commsim-chart >> nth={i}", size)[0] for i in (1, 2, 3)
    ]
    assert all(c["height"] > 200 and c["width"] > 200 for c in charts)
    right = max(c["x"] + c["width"] for c in _boxes(page, ".commsim-chart"))
    assert right >= size[0] - 40, f"the charts end at {right:.0f} px of {size[0]}"
    if size == WIDE:  # the town grows with the screen; the channel chart and the monitor's head fit too
        assert town["width"] >= 650
        _assert_in_view(page, ".commsim-chart", size, 5)
        _assert_in_view(page, ".commsim-monitor-table", size, 1)  # every business's row
    else:
        assert town["width"] >= 400

    # every drawn text is at least 16 px: labels, headline, controls, town, chart text (SVG)
    text = page.evaluate(SMALL_TEXT_JS)
    assert text["bad"] == [] and text["chart_text"] >= 40, text
    figure = float(
        page.eval_on_selector(".cs-week .commsim-tile-value", "e => parseFloat(getComputedStyle(e).fontSize)")
    )
    assert figure >= 24  # headline figures larger
    if size == WIDE:
        _shot(page, tmp_path, "05-layout-1920.png")

    # presentation mode: the controls go, the play buttons stay, the town grows
    page.click("button:has-text('Presentation mode')")
    page.wait_for_selector(".commsim-present")
    assert not page.locator(".commsim-slider-customers").is_visible()
    assert not page.locator("button:has-text('Recession now')").is_visible()
    for label in ("▶", "Step", "Exit presentation"):
        assert page.locator(f"button:has-text('{label}')").is_visible(), label
    _charts_drawn(page, "recession")
    (big,) = _assert_in_view(page, ".commsim-town-box", size, 1)
    assert big["width"] > town["width"] + 50
    for i in range(4):
        _assert_in_view(page, f".commsim-chart >> nth={i}", size)
    _step(page)  # the play buttons still drive the town
    if size == PROJECTOR:
        _shot(page, tmp_path, "06-presentation.png")
    page.click("button:has-text('Exit presentation')")
    page.wait_for_selector(".commsim-slider-customers", state="visible")
    assert errors == []
    page.close()


@pytest.mark.browser
def test_a_slider_keeps_focus_and_moves_only_itself(browser, server):
    page, errors = _open(browser, server)
    before = _slider_values(page)
    slider = page.locator(".commsim-slider-ad_budget [role=slider]")
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(60)
        focused = page.evaluate("() => document.activeElement.closest('[data-param]')?.dataset.param")
        assert focused == "ad_budget"
    page.wait_for_selector("text=Ad budget (transactional): 350")  # 250 + 10 steps of 10, in the page
    after = _slider_values(page)
    assert after["ad_budget"] == "350"
    assert {k: v for k, v in after.items() if k != "ad_budget"} == {
        k: v for k, v in before.items() if k != "ad_budget"
    }
    # the pending note sits under the Reset button, in view
    note = page.locator(".commsim-pending")
    assert note.inner_text().startswith("Settings changed: press Reset")
    (note_box,) = _assert_in_view(page, ".commsim-pending", PROJECTOR, 1)
    reset = page.locator("button:has-text('Reset')").bounding_box()
    assert 0 <= note_box["y"] - (reset["y"] + reset["height"]) <= 60
    page.click("button:has-text('Reset')")
    page.wait_for_selector(".commsim-pending", state="hidden")
    assert errors == []
    page.close()


@pytest.mark.browser
def test_shocks_chain_stores_and_inspecting_agents(browser, server, tmp_path):
    page, errors = _open(browser, server)
    _step(page)
    # depth 40% and 4 weeks, set with the keyboard
    page.locator(".commsim-slider-shock_depth [role=slider]").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector("text=Depth: 40%")
    page.locator(".commsim-slider-shock_weeks [role=slider]").focus()
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector("text=Duration: 4 weeks")
    page.click("button:has-text('Recession now')")
    page.wait_for_selector("text=recession from week 2: demand down 40% for 4 weeks")
    _step(page)
    page.wait_for_selector(".cs-demand .commsim-tile-value:has-text('60%')")
    _step(page, 4)  # weeks 3-5 at 60%, week 6 recovering
    demand = int(page.inner_text(".cs-demand .commsim-tile-value").rstrip("%"))
    assert 60 < demand < 100

    # two chain stores: announced (not yet open), then counted once open
    page.click("button:has-text('Chain store opens')")
    page.click("button:has-text('Chain store opens')")
    page.wait_for_function("document.querySelectorAll('svg.town g.business').length === 12")
    assert page.inner_text(".cs-size").replace("\n", " ").startswith("businesses 10 open 2 not yet open")
    _step(page)
    page.wait_for_function("document.querySelectorAll('svg.town g.business[data-state=open]').length === 12")
    assert page.inner_text(".cs-size .commsim-tile-value") == "12 open"

    # a click on a business shows its state, the same cash as its monitor row
    page.locator("svg.town g.business[data-name='cafe-1'] rect").click()
    inspector = page.wait_for_selector(".commsim-inspector[data-kind=b]")
    text = inspector.inner_text()
    row = page.locator(".commsim-monitor-table tr", has_text="cafe-1").first.inner_text().split("\t")
    assert "cafe-1 (cafe, " in text and f"cash\t{row[3]} currency" in text
    _assert_in_view(page, ".commsim-inspector", PROJECTOR, 1)
    page.locator("svg.town circle.picked").wait_for()
    _shot(page, tmp_path, "07-inspect.png")
    # ... and on a customer (a dot not covered by a label)
    x, y, key = page.evaluate(
        """() => { for (const c of document.querySelectorAll('svg.town circle.customer')) {
            const r = c.getBoundingClientRect(); const x = r.x + r.width / 2, y = r.y + r.height / 2;
            if (document.elementFromPoint(x, y) === c) return [x, y, c.dataset.pick]; } }"""
    )
    page.mouse.click(x, y)
    page.wait_for_selector(".commsim-inspector[data-kind=c]")
    assert f"#{key.split(':')[2]}, neighbourhood" in page.inner_text(".commsim-inspector")
    page.click(".commsim-inspector-close")
    page.wait_for_selector(".commsim-inspector", state="detached")
    assert errors == []
    page.close()


@pytest.mark.browser
def test_side_by_side_in_the_browser(browser, server, tmp_path):
    page, errors = _open(browser, server, WIDE)
    page.get_by_text("Same town twice").click()
    page.wait_for_function("document.querySelectorAll('svg.town').length === 2", timeout=15_000)
    labels = page.locator(".commsim-run-label").all_inner_texts()
    assert labels[0].startswith("A: ") and "community" in labels[0]
    assert labels[1].startswith("B: ") and "transactional" in labels[1]
    assert page.locator("svg.town circle.customer").count() == 600
    _play(page, 40)
    assert page.locator(".cs-run").count() == 2
    sentence = page.inner_text(".cs-lead .commsim-tile-value")
    ahead = re.match(r"cafe-1 earns more as ([AB]): ([\d,]+), against ([\d,]+) as ([AB])", sentence)
    assert ahead and ahead.group(2) != ahead.group(3) and ahead.group(1) != ahead.group(4), sentence
    page.wait_for_selector(".commsim-charts svg", timeout=15_000)
    _assert_in_view(page, ".commsim-town-box", WIDE, 2)
    _shot(page, tmp_path, "04-side-by-side.png")
    assert errors == []
    page.close()
