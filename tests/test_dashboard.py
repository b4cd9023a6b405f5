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
from sim.dashboard.charts import chart_spec
from sim.dashboard.live_measures import main_business
from sim.dashboard.sliders import CONTROLS
from sim.dashboard.town_layout import MAX_EDGES_DRAWN, TownLayout
from sim.dashboard.town_view import NO_BUSINESS, town_svg
from sim.dashboard.workshop import Workshop, focus_series
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
        assert [layer["data"]["name"] for layer in panel["layer"]] == ["series", "shocks", "shocks"]


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

    assert "<b>Week 0</b>" in html("commsim-headline")[0]
    assert len(rc.find(v.Html, class_="commsim-slider").widgets) == len(CONTROLS)
    for _ in range(2):
        rc.find(v.Btn, children=["Step"]).widget.click()
    assert "<b>Week 2</b>" in html("commsim-headline")[0]
    rc.find(v.Btn, children=["Recession now"]).widget.click()
    assert rc.find(v.Html, class_="commsim-shock-message").widget.children == ["recession from week 3"]


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


def _open(browser, server):
    page = browser.new_page(viewport={"width": 1500, "height": 1700})
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
    return int(re.search(r"Week (\d+)", page.inner_text(".commsim-headline")).group(1))


def _wait_week(page, at_least: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        w = _week(page)
        if w >= at_least:
            return w
        page.wait_for_timeout(100)
    raise AssertionError(f"week stayed at {_week(page)}, expected {at_least}")


def _shot(page, tmp_path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
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


@pytest.mark.browser
def test_page_in_the_browser(browser, server, tmp_path):
    page, errors = _open(browser, server)
    # controls: Mesa's Reset / play / Step, the sliders with their meaning as help text, shocks
    for label in (
        "Reset",
        "▶",
        "Step",
        "Recession now",
        "Lockdown",
        "Chain store opens",
        "Viral bad review",
        "Save this run",
    ):
        assert page.locator(f"button:has-text('{label}')").count() >= 1, label
    assert page.locator(".commsim-slider").count() == len(CONTROLS)
    body = page.inner_text("body")
    assert PARAMETERS["behaviour.word_of_mouth"].meaning[:40] in body
    assert page.locator("svg.town circle.customer").count() == 300
    assert _week(page) == 0
    _shot(page, tmp_path, "01-start.png")

    # step advances the week
    page.click("button:has-text('Step')")
    _wait_week(page, 1)
    page.click("button:has-text('Step')")
    assert _wait_week(page, 2) == 2

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
    page.click("button:has-text('Step')")
    _wait_week(page, week + 1)
    depth = PARAMETERS["shocks.recession.depth"].default
    page.wait_for_selector(f".cs-demand:has-text('Demand {100 * (1 - depth):.0f}%')")
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
def test_side_by_side_in_the_browser(browser, server, tmp_path):
    page, errors = _open(browser, server)
    page.get_by_text("Same town twice").click()
    page.wait_for_function("document.querySelectorAll('svg.town').length === 2", timeout=15_000)
    labels = page.locator(".commsim-run-label").all_inner_texts()
    assert labels[0].startswith("A: ") and "community" in labels[0]
    assert labels[1].startswith("B: ") and "transactional" in labels[1]
    assert page.locator("svg.town circle.customer").count() == 600
    _play(page, 40)
    assert page.locator(".cs-run").count() == 2
    page.wait_for_selector(".commsim-charts svg", timeout=15_000)
    _shot(page, tmp_path, "04-side-by-side.png")
    assert errors == []
    page.close()
