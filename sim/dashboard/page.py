"""The workshop page Solara serves: a live town for a room, readable from the back.

Serve it with ``commsim dashboard [SCENARIO.toml]`` (see :mod:`sim.cli.commands.dashboard`, which
also makes Solara's front-end files available offline before this module imports solara).

The page is built from Mesa's SolaraViz parts: Mesa's ``ModelController`` gives the Reset, play
(``▶``/``❚❚``) and Step buttons and the play loop, and ``update_counter`` re-renders the views
after every week. What it drives is a :class:`~sim.dashboard.workshop.Workshop`, one per browser
session. Laid out for a projector: the controls in a column of their own that scrolls; the
headline, the town and the four line charts in the first screen at 1280x720, the town growing
with the screen's height and the charts filling its width; the business monitor and the channel
chart below. Presentation mode hides the controls but the play buttons (and asks the browser for
full screen). Text is 16 px or larger (:data:`PAGE_CSS`, :data:`~sim.dashboard.charts.CHART_CONFIG`).

This module only lays the page out; everything it shows is computed by plain functions, which the
unit tests check without a browser:

* :mod:`sim.dashboard.sliders`: the sliders (parameter, range, unit, help text);
* :mod:`sim.dashboard.workshop_town`: the town drawn from the scenario for the slider values;
* :mod:`sim.dashboard.workshop`: the session's model: weeks, shocks, headline numbers, saving;
* :mod:`sim.dashboard.shock_buttons`: the shocks the buttons add, sized by two sliders;
* :mod:`sim.dashboard.live_measures`: the numbers of the headline, the monitor and the charts;
* :mod:`sim.dashboard.town_layout` and :mod:`sim.dashboard.town_view`: the town, its legend,
  the business monitor and the state of a clicked business or customer;
* :mod:`sim.dashboard.charts`: the live charts.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Callable

from sim.dashboard.charts import chart_legend, chart_specs
from sim.dashboard.shock_buttons import (
    DEFAULT_DEPTH,
    DEFAULT_DURATION,
    DEPTH_RANGE,
    DURATION_RANGE,
)
from sim.dashboard.sliders import CONTROL_BY_NAME, CONTROLS, Control
from sim.dashboard.town_view import headline_parts, legend_html, monitor_html, parse_pick, town_html
from sim.dashboard.workshop import Workshop
from sim.dashboard.workshop_town import base_scenario, default_params

DEFAULT_PAUSE_MS = 40
"""Pause between weeks while playing (about 15 weeks a second at 300 customers, measured 2026-11-22)."""
PAUSE_RANGE = (0, 500, 10)
"""The pause slider: lowest, highest, step (ms)."""

PAGE_CSS = """
.commsim-root { display: flex; height: 100vh; overflow: hidden; font-size: 16px; line-height: 1.35;
  background: #fff; }
.commsim-root .v-btn { font-size: 16px; letter-spacing: 0; text-transform: none; }
.commsim-root .v-card__text, .commsim-root .v-messages, .commsim-root .v-label,
.commsim-root .v-select__selection,
.commsim-root input, .commsim-root .v-card__title { font-size: 16px !important; }
.commsim-root .v-label--active { transform: translateY(-22px) scale(1) !important; }
.commsim-root .v-messages { min-height: 0; color: #444 !important; }
.commsim-root .v-messages__message { line-height: 1.3 !important; hyphens: none; }
.commsim-slider { margin-bottom: 10px; }
.commsim-root .v-card__title { padding: 8px 12px 4px 12px; font-weight: 600; }
.commsim-controls { flex: 0 0 340px; height: 100vh; overflow-y: auto; padding: 6px;
  background: #f5f6f5; border-right: 1px solid #ddd; }
.commsim-controls .v-card { margin: 6px 2px 10px 2px !important; }
.commsim-main { flex: 1 1 0; min-width: 0; height: 100vh; overflow-y: auto; padding: 8px 12px;
  display: flex; flex-direction: column; }
.commsim-title { display: block; font-size: 19px; font-weight: 600; padding: 4px 6px 2px 6px; }
.commsim-run-card { position: sticky; top: 0; z-index: 3; }
.commsim-pending { color: #9a4a00; font-weight: 600; }
.commsim-shock-message { display: block; font-weight: 600; margin-top: 6px; }
.commsim-pending:empty { display: none; }
.commsim-slider-label { font-weight: 500; }
.commsim-slider .v-input__slot { margin-bottom: 0; }
.commsim-headline { flex: none; display: flex; flex-wrap: wrap; gap: 4px 22px; padding: 6px 12px;
  margin-bottom: 8px;
  background: #f3f6f4; border-radius: 6px; }
.commsim-tile { display: flex; flex-direction: column; min-width: 0; flex: 0 1 auto; }
.commsim-tile.cs-lead-revenue, .commsim-tile.cs-lead-retention, .commsim-tile.cs-run { flex: 1 1 190px; }
.commsim-tile.cs-lead { flex: 2 1 300px; }
.commsim-tile-caption { font-size: 16px; color: #444; }
.commsim-tile-value { font-size: 26px; line-height: 1.15; }
.commsim-tile-detail { font-size: 16px; line-height: 1.2; color: #333; }
.commsim-tile-detail:empty { display: none; }
.commsim-tile.cs-lead .commsim-tile-value { font-size: 20px; }
.commsim-stage { flex: 1 0 0; min-height: 440px; container-type: size; display: flex; gap: 14px;
  align-items: flex-start; }
.commsim-towns { flex: 0 0 auto; width: min(46cqw, 100cqh - 60px); display: flex; gap: 10px; }
.commsim-towns.commsim-two { width: min(62cqw, 2 * (100cqh - 88px) + 10px); }
.commsim-town { flex: 1 1 0; min-width: 0; }
.commsim-run-label { font-size: 18px; font-weight: 600; }
.commsim-town-box { position: relative; width: 100%; aspect-ratio: 1 / 1; }
.commsim-town-box svg.town { position: absolute; inset: 0; cursor: pointer; }
.commsim-label-below { transform: translateX(-50%); }
.commsim-label-above { transform: translate(-50%, -100%); }
.commsim-label-left { transform: translate(-100%, -50%); }
.commsim-label-right { transform: translateY(-50%); }
.commsim-town-label { position: absolute; font-size: 16px; line-height: 1.1;
  white-space: nowrap; cursor: pointer; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.commsim-town-label.commsim-state-closed { color: #666; text-decoration: line-through; }
.commsim-town-label.commsim-state-not-yet-open { color: #555; font-style: italic; }
.commsim-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 16px; margin: 2px 0 4px 0; }
.commsim-key { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.commsim-dot { display: inline-block; width: 14px; height: 14px; border-radius: 50%; margin-right: 5px; }
.commsim-line { display: inline-block; width: 22px; height: 4px; margin-right: 5px; }
.commsim-inspector.top-right { top: 2px; right: 2px; }
.commsim-inspector.top-left { top: 2px; left: 2px; }
.commsim-inspector.bottom-right { bottom: 2px; right: 2px; }
.commsim-inspector.bottom-left { bottom: 2px; left: 2px; }
.commsim-inspector { position: absolute; max-width: 75%; max-height: 62%; overflow: auto;
  background: rgba(255, 255, 255, 0.95); border: 2px solid #333; border-radius: 6px; padding: 6px 8px;
  font-size: 16px; z-index: 2; }
.commsim-inspector-head { display: flex; justify-content: space-between; align-items: center; gap: 12px; }
.commsim-inspector-close { font-size: 22px; line-height: 1; padding: 0 6px; border: 1px solid #999;
  border-radius: 4px; background: #fff; cursor: pointer; }
.commsim-inspector th { text-align: left; font-weight: normal; color: #444; padding-right: 10px;
  vertical-align: top; }
.commsim-charts-box { flex: 1 1 0; min-width: 0; }
.commsim-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(205px, 1fr));
  gap: 4px 14px; }
.commsim-chart { min-width: 0; height: clamp(220px, (100cqh - 44px) / 2, 280px); }
.commsim-chart > div, .commsim-chart .vega-embed { width: 100%; height: 100%; }
.commsim-monitor { display: flex; flex-wrap: wrap; gap: 14px; margin-top: 8px; }
.commsim-monitor-table { border-collapse: collapse; font-size: 16px; }
.commsim-monitor-table caption { text-align: left; font-size: 19px; font-weight: 600; padding: 4px 0; }
.commsim-monitor-table th { text-align: left; font-weight: normal; color: #444; padding: 2px 10px 2px 0;
  border-bottom: 1px solid #ccc; vertical-align: bottom; }
.commsim-monitor-table td { padding: 2px 10px 2px 0; border-bottom: 1px solid #eee; white-space: nowrap; }
.commsim-monitor-table td.num { text-align: right; }
.commsim-monitor-table tr[data-pick] { cursor: pointer; }
.commsim-monitor-table tr.commsim-state-closed { color: #777; }
.commsim-present .commsim-controls { position: fixed; right: 8px; bottom: 8px; height: auto; width: auto;
  overflow: visible; padding: 0; background: transparent; border: none; z-index: 10; }
.commsim-present .commsim-controls > :not(.commsim-run-card),
.commsim-present .commsim-run-card .commsim-not-in-presentation { display: none !important; }
.commsim-present .commsim-run-card { opacity: 0.93; margin: 0 !important; }
.commsim-present .commsim-run-card { width: 250px; }
.commsim-run-row { display: flex; flex-direction: column; gap: 6px; }
"""
"""The page's layout and type sizes (16 px or more for every text)."""

_CLICKABLE_TEMPLATE = """
<template>
  <div v-html="html" @click="clicked"></div>
</template>
<script>
module.exports = {
  methods: {
    clicked(event) {
      const el = event.target.closest ? event.target.closest('[data-pick]') : null;
      if (!el) { return; }
      if (el.tagName === 'TR') {
        const main = document.querySelector('.commsim-main');
        if (main) { main.scrollTo({top: 0, behavior: 'smooth'}); }
      }
      this.pick(el.getAttribute('data-pick'));
    }
  }
}
</script>
"""

_PRESENT_TEMPLATE = """
<template>
  <v-btn :color="on ? 'secondary' : 'primary'" outlined class="commsim-present-button" @click="toggle">
    {{ on ? 'Exit presentation' : 'Presentation mode' }}
  </v-btn>
</template>
<script>
module.exports = {
  methods: {
    toggle() {
      const root = document.documentElement;
      try {
        if (!this.on && root.requestFullscreen && !document.fullscreenElement) {
          root.requestFullscreen().catch(() => {});
        } else if (this.on && document.fullscreenElement && document.exitFullscreen) {
          document.exitFullscreen().catch(() => {});
        }
      } catch (e) { /* full screen refused: the page still hides its controls */ }
      this.set_on(!this.on);
    }
  }
}
</script>
"""


def _fmt(value: float, is_int: bool) -> str:
    if is_int:
        return f"{int(round(value)):,}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


try:  # the page needs solara; the model wiring (sim.dashboard.workshop and below) does not
    import ipyvuetify
    import solara
    import traitlets
    from mesa.visualization.solara_viz import ModelController
    from mesa.visualization.utils import force_update, update_counter
except ImportError:  # pragma: no cover
    solara = None  # type: ignore[assignment]


if solara is not None:
    import solara.server.settings

    # no "This website runs on Solara" banner over the page's corner, and the page's own title
    solara.server.settings.theme.show_banner = False
    solara.server.settings.theme.title = "commsim workshop"

    class ClickableHtml(ipyvuetify.VuetifyTemplate):
        """HTML whose elements with ``data-pick`` report a click to ``on_pick`` (their ``data-pick``)."""

        template = traitlets.Unicode(_CLICKABLE_TEMPLATE).tag(sync=True)
        html = traitlets.Unicode("").tag(sync=True)
        on_pick = traitlets.Callable(None, allow_none=True)

        def vue_pick(self, value) -> None:  # noqa: D102
            if self.on_pick is not None:
                self.on_pick(value)

    class PresentButton(ipyvuetify.VuetifyTemplate):
        """The presentation-mode switch; also asks the browser for full screen (a refusal is harmless)."""

        template = traitlets.Unicode(_PRESENT_TEMPLATE).tag(sync=True)
        on = traitlets.Bool(False).tag(sync=True)
        on_change = traitlets.Callable(None, allow_none=True)

        def vue_set_on(self, value) -> None:  # noqa: D102
            if self.on_change is not None:
                self.on_change(bool(value))

    @solara.component
    def ValueSlider(
        name: str,
        label: str,
        value: float,
        on_value: Callable[[float], None],
        bounds: tuple[float, float, float],
        shown: str,
        hint: str = "",
    ) -> None:
        """A slider whose label always shows its value with its unit (``shown``).

        The tree is the same on every render (a label, a slider), so the slider keeps keyboard
        focus while its value changes.
        """
        lo, hi, step = bounds
        with solara.Div(classes=["commsim-slider"], attributes={"data-param": name}):
            solara.Text(f"{label}: {shown}", classes=["commsim-slider-label"])
            solara.v.Slider(
                v_model=value,
                on_v_model=on_value,
                min=lo,
                max=hi,
                step=step,
                hint=hint,
                persistent_hint=bool(hint),
                hide_details=not hint,
                dense=True,
                class_=f"commsim-slider-{name}",
            )

    @solara.component
    def ParamSlider(control: Control, params: solara.Reactive) -> None:
        """A slider fed from the parameter table, with the meaning as its help text.

        It reads and writes only its own key of ``params`` (the page does not re-render when a
        slider moves, only the sliders and the pending note do).
        """
        value = params.value[control.name]
        lo, hi = control.bounds
        shown = _fmt(value, control.is_int) + (f" ({control.unit})" if control.unit else "")

        def changed(new, control=control):
            new = int(round(new)) if control.is_int else round(float(new), 6)
            if params.value.get(control.name) != new:
                params.value = {**params.value, control.name: new}

        ValueSlider(
            control.name, control.label, value, changed, (lo, hi, control.step), shown, control.meaning
        )

    @solara.component
    def PendingNote(ws: Workshop, params: solara.Reactive) -> None:
        """The note "Settings changed: press Reset", under Reset, while a slider differs from the town's."""
        pending = any(params.value.get(k) != ws.params.get(k) for k in CONTROL_BY_NAME)
        solara.Text(
            "Settings changed: press Reset to build the new town." if pending else "",
            classes=["commsim-pending", "commsim-not-in-presentation"],
        )

    @solara.component
    def Headline(ws: Workshop) -> None:
        """Week, demand, the businesses open, and which strategy (or run) leads, with units."""
        update_counter.get()
        tiles = "".join(
            f'<div class="commsim-tile {cls}"><span class="commsim-tile-caption">{caption}</span>'
            f'<span class="commsim-tile-value">{value}</span>'
            f'<span class="commsim-tile-detail">{detail}</span></div>'
            for cls, caption, value, detail in headline_parts(ws.headline())
        )
        solara.HTML(tag="div", unsafe_innerHTML=tiles, classes=["commsim-headline"])

    @solara.component
    def TownView(ws: Workshop, picked, on_pick) -> None:
        """The town's network, one panel per run; a click on a business or customer shows its state."""
        update_counter.get()
        classes = ["commsim-towns"] + (["commsim-two"] if ws.side_by_side else [])
        with solara.Div(classes=classes):
            for i, run in enumerate(ws.runs):
                with solara.Div(classes=["commsim-town"]).key(f"town-{i}"):
                    if ws.side_by_side:
                        solara.Text(run.label, classes=["commsim-run-label"], style={"color": run.colour})
                    if i == 0:
                        solara.HTML(tag="div", unsafe_innerHTML=legend_html(ws))
                    else:
                        solara.HTML(tag="div", unsafe_innerHTML=legend_html(ws), style="visibility:hidden")
                    ClickableHtml.element(html=town_html(ws, run, picked), on_pick=on_pick)

    @solara.component
    def Charts(ws: Workshop, layout: str) -> None:
        """The live charts of :func:`~sim.dashboard.charts.chart_specs` (SVG in the browser).

        ``layout`` names the page's layout: a new one redraws the charts at their boxes' new size.
        """
        update_counter.get()
        with solara.Div(classes=["commsim-charts"]):
            for i, spec in enumerate(chart_specs(ws)):
                spec["usermeta"]["layout"] = layout
                with solara.Div(classes=["commsim-chart"]).key(f"chart-{i}"):
                    solara.widgets.VegaLite.element(spec=spec)

    @solara.component
    def ChartLegend(ws: Workshop) -> None:
        """One colour legend for every chart."""
        update_counter.get()
        keys = "".join(
            f'<span class="commsim-key"><span class="commsim-line" style="background:{c}"></span>'
            f"{html.escape(s)}</span>"
            for s, c in chart_legend(ws)
        )
        solara.HTML(tag="div", unsafe_innerHTML=keys, classes=["commsim-legend", "commsim-chart-legend"])

    @solara.component
    def Monitor(ws: Workshop, on_pick) -> None:
        """A monitor per business (cash, active customers, promoter score); a row click shows its state."""
        update_counter.get()
        ClickableHtml.element(html=monitor_html(ws), on_pick=on_pick)

    @solara.component
    def ShockCard(ws: Workshop) -> None:
        """The shock buttons, sized by a depth and a duration slider; each acts from the next week."""
        depth = solara.use_reactive(DEFAULT_DEPTH)
        weeks = solara.use_reactive(DEFAULT_DURATION)
        message = solara.use_reactive("")
        review = solara.use_reactive("")
        chain_category = solara.use_reactive("")

        def shock(kind):
            try:
                rec = ws.add_shock(
                    kind,
                    business=review.value if review.value in ws.business_names else None,
                    category=chain_category.value or None,
                    depth=depth.value,
                    duration=weeks.value,
                )
                message.set(rec["text"])
            except (KeyError, ValueError) as exc:
                message.set(f"cannot add {kind}: {exc}")
            force_update()

        with solara.Card("Shocks (from the next week)", classes=["commsim-shock-card"]):
            ValueSlider(
                "shock_depth",
                "Depth",
                depth.value,
                lambda x: depth.set(round(float(x), 2)),
                DEPTH_RANGE,
                f"{100 * depth.value:.0f}%",
                "share of demand lost (recession, lockdown); rise in costs (cost spike)",
            )
            ValueSlider(
                "shock_weeks",
                "Duration",
                weeks.value,
                lambda x: weeks.set(int(round(x))),
                DURATION_RANGE,
                f"{weeks.value} weeks",
                "how long a recession, lockdown or cost spike lasts",
            )
            with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
                solara.Button(
                    "Recession now",
                    on_click=lambda: shock("recession"),
                    color="error",
                    classes=["commsim-shock-recession"],
                )
                solara.Button(
                    "Lockdown", on_click=lambda: shock("lockdown"), classes=["commsim-shock-lockdown"]
                )
                solara.Button(
                    "Cost spike", on_click=lambda: shock("cost_spike"), classes=["commsim-shock-cost"]
                )
            solara.Select(
                "Chain store category",
                values=ws.categories(),
                value=chain_category.value or ws._default_category(),
                on_value=chain_category.set,
            )
            solara.Button(
                "Chain store opens", on_click=lambda: shock("chain_store"), classes=["commsim-shock-chain"]
            )
            solara.Select(
                "Business reviewed",
                values=ws.business_names,
                value=review.value if review.value in ws.business_names else ws.params["focus"],
                on_value=review.set,
            )
            solara.Button(
                "Viral bad review",
                on_click=lambda: shock("viral_bad_review"),
                classes=["commsim-shock-review"],
            )
            solara.Text(message.value, classes=["commsim-shock-message"])

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
        presenting = solara.use_reactive(False)
        picked = solara.use_reactive(None)
        ws = model.value

        def rebuild(**changes):
            params.value = {**params.value, **changes}
            model.value = Workshop(**params.value)
            saved.set("")

        def save():
            try:
                saved.set(str(model.value.save()))
            except (ValueError, OSError) as exc:
                saved.set(f"not saved: {exc}")

        def pick(value):
            picked.set(parse_pick(value))

        root = ["commsim-root"] + (["commsim-present"] if presenting.value else [])
        with solara.Div(classes=root):
            solara.Style(PAGE_CSS)
            with solara.Div(classes=["commsim-controls"]):
                solara.Text("commsim: community or transactional? A live town", classes=["commsim-title"])
                with solara.Card(classes=["commsim-run-card"]):  # stays in view when the column scrolls
                    with solara.Div(classes=["commsim-run-row"]):
                        ModelController(
                            model,
                            model_parameters=params,
                            play_interval=play_interval,
                            render_interval=render_interval,
                            use_threads=use_threads,
                        )
                        PendingNote(ws, params)
                        PresentButton.element(on=presenting.value, on_change=presenting.set)
                with solara.Card("Speed"):
                    ValueSlider(
                        "pause",
                        "Pause between weeks",
                        play_interval.value,
                        lambda x: play_interval.set(int(round(x))),
                        PAUSE_RANGE,
                        f"{play_interval.value} ms",
                    )
                with solara.Card("Town (applies at Reset)"):
                    scenario_customers = base_scenario(ws.params["scenario_file"]).data["population"][
                        "customers"
                    ]
                    solara.Text(
                        f"Money is scaled to the town: {ws.model.n_customers:,} of the scenario's "
                        f"{scenario_customers:,} customers, so costs, cash, ad budgets and the owner's hours "
                        f"are x{ws.money_scale:.2f} (the same economics per customer). Sliders show the "
                        "scenario's values.",
                        classes=["commsim-scale-note"],
                        style={"color": "#444"},
                    )
                    for c in CONTROLS:
                        ParamSlider(c, params).key(f"param-{c.name}")
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
                ShockCard(ws)
                with solara.Card("Save this run"):
                    solara.Button("Save this run", on_click=save, classes=["commsim-save"])
                    if saved.value:
                        solara.Text(saved.value, classes=["commsim-saved"], style={"word-break": "break-all"})
                    if saved.value and not saved.value.startswith("not saved"):
                        rerun = f"re-run it with: commsim run {shlex.quote(saved.value)}/scenario.toml"
                        solara.Text(rerun, classes=["commsim-rerun"], style={"word-break": "break-all"})
            with solara.Div(classes=["commsim-main"]):
                Headline(ws)
                with solara.Div(classes=["commsim-stage"]):
                    TownView(ws, picked.value, pick)
                    with solara.Div(classes=["commsim-charts-box"]):
                        ChartLegend(ws)
                        Charts(ws, "presentation" if presenting.value else "controls")
                        Monitor(ws, pick)

    page = Page
