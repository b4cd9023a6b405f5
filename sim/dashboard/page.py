"""The workshop page Solara serves: a live SolaraViz page of a small town, for teaching.

Serve it with ``commsim dashboard [SCENARIO.toml]`` (see :mod:`sim.cli.commands.dashboard`, which
also makes Solara's front-end files available offline before this module imports solara).

The page is built from Mesa's SolaraViz parts: Mesa's ``ModelController`` gives the Reset, play
(``▶``/``❚❚``) and Step buttons and the play loop, and ``update_counter`` re-renders the views
after every week. What it drives is a :class:`~sim.dashboard.workshop.Workshop`, one per browser
session. This module only lays the page out; everything it shows is computed by plain functions,
which the unit tests check without a browser:

* :mod:`sim.dashboard.sliders`: the sliders (parameter, range, unit, help text);
* :mod:`sim.dashboard.workshop_town`: the town drawn from the scenario for the slider values;
* :mod:`sim.dashboard.workshop`: the session's model: weeks, shocks, headline numbers, saving;
* :mod:`sim.dashboard.shock_buttons`: the shocks the buttons add;
* :mod:`sim.dashboard.live_measures`: the numbers of the headline and the charts;
* :mod:`sim.dashboard.town_layout` and :mod:`sim.dashboard.town_view`: the town view;
* :mod:`sim.dashboard.charts`: the live charts.
"""

from __future__ import annotations

import html

from sim.dashboard.charts import chart_spec
from sim.dashboard.shock_buttons import SHOCK_LABELS
from sim.dashboard.sliders import CONTROL_BY_NAME, CONTROLS, Control
from sim.dashboard.town_view import town_svg
from sim.dashboard.workshop import Workshop
from sim.dashboard.workshop_town import base_scenario, default_params

DEFAULT_PAUSE_MS = 40
"""Pause between weeks while playing (about 15 weeks a second at 300 customers, measured 2026-11-22)."""


try:  # the page needs solara; the model wiring (sim.dashboard.workshop and below) does not
    import solara
    from mesa.visualization.solara_viz import ModelController
    from mesa.visualization.utils import force_update, update_counter
except ImportError:  # pragma: no cover
    solara = None  # type: ignore[assignment]


def _fmt(value: float, is_int: bool) -> str:
    if is_int:
        return f"{int(round(value)):,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


if solara is not None:

    @solara.component
    def ParamSlider(control: Control, value: float, on_value) -> None:
        """A slider fed from the parameter table, with the meaning as its help text."""
        lo, hi = control.bounds
        label = f"{control.label}: {_fmt(value, control.is_int)}"
        if control.unit:
            label += f" ({control.unit})"

        def changed(v, control=control):
            on_value(control.name, int(round(v)) if control.is_int else float(v))

        with solara.Div(classes=["commsim-slider"], attributes={"data-param": control.name}):
            solara.Text(label, style={"font-size": "0.85rem", "font-weight": "500"})
            solara.v.Slider(
                v_model=value,
                on_v_model=changed,
                min=lo,
                max=hi,
                step=control.step,
                hint=control.meaning,
                persistent_hint=True,
                dense=True,
                class_=f"commsim-slider-{control.name}",
            )

    @solara.component
    def Headline(ws: Workshop) -> None:
        """Week, demand and which strategy leads."""
        update_counter.get()
        h = ws.headline()
        bits = [
            f'<span class="cs-week"><b>Week {h["week"]}</b> of {h["horizon"]}</span>',
            f'<span class="cs-demand">Demand {100 * h["demand"]:.0f}%</span>',
            f'<span class="cs-size">{h["customers"]:,} customers, {h["businesses"]} businesses</span>',
        ]
        if h["side_by_side"]:
            comp = h["comparison"]
            runs = comp["runs"]
            if h["week"] > 0:
                best = max(runs, key=lambda r: r["revenue"])
                bits.append(
                    f'<span class="cs-lead">{html.escape(comp["focus"])} earns more as '
                    f"<b>{html.escape(best['label'].split(' ', 1)[0].rstrip(':'))}</b> "
                    f"({', '.join(f'{r["revenue"]:.0f}' for r in runs)} a week)</span>"
                )
            for r in runs:
                bits.append(
                    f'<span class="cs-run">{html.escape(r["label"])}: {r["customers"]} customers, '
                    f"cash {r['cash']:,.0f}{'' if r['open'] else ' (closed)'}</span>"
                )
        else:
            rl, tl = h["revenue_leader"], h["retention_leader"]
            bits.append(f'<span class="cs-lead-revenue">Revenue leader: <b>{rl or "-"}</b></span>')
            bits.append(f'<span class="cs-lead-retention">Retention leader: <b>{tl or "-"}</b></span>')
        solara.HTML(
            tag="div",
            unsafe_innerHTML=" &nbsp;|&nbsp; ".join(bits),
            classes=["commsim-headline"],
            style="font-size:1.05rem; padding:8px 12px; background:#f3f6f4; border-radius:6px;",
        )

    @solara.component
    def TownView(ws: Workshop) -> None:
        """The town's network, one panel per run."""
        update_counter.get()
        width = 470 if ws.side_by_side else 560
        with solara.Row(classes=["commsim-towns"]):
            for run in ws.runs:
                with solara.Column(classes=["commsim-town"]):
                    if ws.side_by_side:
                        solara.Text(
                            run.label,
                            classes=["commsim-run-label"],
                            style={"font-weight": "600", "color": run.colour},
                        )
                    solara.HTML(tag="div", unsafe_innerHTML=town_svg(ws, run, width))

    @solara.component
    def Charts(ws: Workshop) -> None:
        """The live charts (Vega-Lite, drawn as SVG by the browser)."""
        update_counter.get()
        solara.Div(
            children=[solara.widgets.VegaLite.element(spec=chart_spec(ws))],
            classes=["commsim-charts"],
        )

    @solara.component
    def Page() -> None:
        """The workshop page: one :class:`Workshop` per browser session."""
        defaults = solara.use_memo(default_params, [])
        first = solara.use_memo(lambda: Workshop(**defaults), [])
        model = solara.use_reactive(first)
        params = solara.use_reactive(dict(defaults))
        play_interval = solara.use_reactive(DEFAULT_PAUSE_MS)
        render_interval = solara.use_reactive(1)
        use_threads = solara.use_reactive(False)
        saved = solara.use_reactive("")
        message = solara.use_reactive("")
        bad_review_target = solara.use_reactive(defaults["focus"])
        chain_category = solara.use_reactive("")
        ws = model.value

        def set_param(name, value):
            params.value = {**params.value, name: value}

        def rebuild(**changes):
            params.value = {**params.value, **changes}
            model.value = Workshop(**params.value)
            saved.set("")

        def shock(kind):
            try:
                rec = ws.add_shock(
                    kind,
                    business=bad_review_target.value or None,
                    category=chain_category.value or None,
                )
                message.set(f"{SHOCK_LABELS[kind]} from week {rec['week']}")
            except (KeyError, ValueError) as exc:
                message.set(f"cannot add {kind}: {exc}")
            force_update()

        def save():
            try:
                saved.set(str(model.value.save()))
            except (ValueError, OSError) as exc:
                saved.set(f"not saved: {exc}")

        pending = any(params.value.get(k) != ws.params.get(k) for k in CONTROL_BY_NAME)
        with solara.AppBar():
            solara.AppBarTitle("commsim: community or transactional? A live town")
        with solara.Sidebar(), solara.Column():
            with solara.Card("Controls"):
                ModelController(
                    model,
                    model_parameters=params,
                    play_interval=play_interval,
                    render_interval=render_interval,
                    use_threads=use_threads,
                )
                solara.SliderInt("Pause between weeks (ms)", value=play_interval, min=0, max=500, step=10)
            with solara.Card("Town (applies at Reset)"):
                if pending:
                    solara.Text(
                        "Settings changed: press Reset to build the new town.",
                        classes=["commsim-pending"],
                        style={"color": "#b35900"},
                    )
                scenario_customers = base_scenario(ws.params["scenario_file"]).data["population"]["customers"]
                solara.Text(
                    f"Money is scaled to the town: {ws.model.n_customers:,} of the scenario's "
                    f"{scenario_customers:,} "
                    f"customers, so costs, cash, ad budgets and the owner's hours are x{ws.money_scale:.2f} "
                    "(the same economics per customer). Sliders show the scenario's values.",
                    classes=["commsim-scale-note"],
                    style={"font-size": "0.8rem", "color": "#555"},
                )
                for c in CONTROLS:
                    ParamSlider(c, params.value[c.name], set_param)
            with solara.Card("Side by side"):
                solara.Checkbox(
                    label="Same town twice: one business community vs transactional",
                    value=ws.side_by_side,
                    on_value=lambda v: rebuild(side_by_side=bool(v)),
                )
                solara.Select(
                    "Business compared",
                    values=ws.business_names,
                    value=ws.params["focus"],
                    on_value=lambda v: rebuild(focus=v),
                )
            with solara.Card("Shocks (from the next week)"):
                with solara.Row():
                    solara.Button(
                        "Recession now",
                        on_click=lambda: shock("recession"),
                        color="error",
                        classes=["commsim-shock-recession"],
                    )
                    solara.Button(
                        "Lockdown",
                        on_click=lambda: shock("lockdown"),
                        classes=["commsim-shock-lockdown"],
                    )
                solara.Select(
                    "Chain store category",
                    values=ws.categories(),
                    value=chain_category.value or ws._default_category(),
                    on_value=chain_category.set,
                )
                solara.Button(
                    "Chain store opens",
                    on_click=lambda: shock("chain_store"),
                    classes=["commsim-shock-chain"],
                )
                solara.Select(
                    "Business reviewed",
                    values=ws.business_names,
                    value=bad_review_target.value
                    if bad_review_target.value in ws.business_names
                    else ws.business_names[0],
                    on_value=bad_review_target.set,
                )
                solara.Button(
                    "Viral bad review",
                    on_click=lambda: shock("viral_bad_review"),
                    classes=["commsim-shock-review"],
                )
                if message.value:
                    solara.Text(message.value, classes=["commsim-shock-message"])
            with solara.Card("Save this run"):
                solara.Button("Save this run", on_click=save, classes=["commsim-save"])
                if saved.value:
                    solara.Text(saved.value, classes=["commsim-saved"], style={"word-break": "break-all"})
        with solara.Column(style={"padding": "8px"}):
            Headline(ws)
            TownView(ws)
            Charts(ws)

    page = Page
