"""The self-contained HTML report of a run: comparison, verdicts, businesses, figures, scenario, command.

The comparison and the verdicts are those printed by ``commsim run`` (:mod:`sim.outputs.compare`),
with the same units, aggregations and intervals; the per-business table gives each business's
whole-run revenue and profit as the mean over replications (with the same interval) and when it
closed in each replication.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from sim.outputs import intervals
from sim.outputs.compare import (
    cell_text,
    comparison_table,
    in_order,
    interval_note,
    legend_lines,
    table_rows,
    verdict_lines,
)

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
table { display: block; max-width: 100%; overflow-x: auto; }  /* a wide table scrolls, not the page */
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td { white-space: nowrap; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 0.8em; }
ul.key { font-size: 0.85em; color: #444; }
"""
BUSINESS_COLUMNS = (
    "arm",
    "replication",
    "step",
    "business",
    "strategy",
    "category",
    "alive",
    "revenue",
    "profit",
)
"""The columns of the business table the report reads (``timeseries.parquet``)."""


def embed_png(path: Path, alt: str) -> str:
    """An <img> tag carrying the PNG inline, so the page stands alone."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def comparison_html(strategy_ts: pd.DataFrame, band_table: pd.DataFrame | None = None) -> str:
    """The comparison table, its units and aggregations, and the verdicts, as HTML."""
    table = comparison_table(strategy_ts, band_table)
    reps = int(strategy_ts["replication"].nunique())
    parts = [f"<p>{html.escape(interval_note(reps))}</p>"]
    several = table["arm"].nunique() > 1
    for arm in in_order(table, "arm"):
        weeks, rows = table_rows(table, arm)
        if several:
            parts.append(f"<h3>Arm {html.escape(str(arm))}</h3>")
        head = "<tr><th class=l>measure</th><th class=l>strategy</th>" + "".join(
            f"<th>week {w}</th>" for w in weeks
        )
        body = [
            f"<tr><td class=l>{html.escape(label)}</td><td class=l>{html.escape(s)}</td>"
            + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            + "</tr>"
            for label, s, cells in rows
        ]
        parts.append("<table>" + head + "</tr>" + "".join(body) + "</table>")
    key = "".join(f"<li>{html.escape(line.strip())}</li>" for line in legend_lines(table))
    parts.append(f"<ul class=key>{key}</ul>")
    lines = verdict_lines(strategy_ts)
    if lines:
        parts.append("<h3>Verdicts</h3><p>Paired: each replication gives every strategy the same seeds.</p>")
        parts.append("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>")
    return "\n".join(parts)


def business_table(ts: pd.DataFrame) -> pd.DataFrame:
    """Per arm and business: whole-run revenue and profit (mean over replications and interval), closings.

    Whole-run = summed over the weeks the business was open (from the week it opened). Columns:
    arm, business, strategy, category, opened (week), revenue, revenue_low, revenue_high, profit,
    profit_low, profit_high (currency), replications, closed (replications in which it closed)
    and closing_weeks (the week it closed in each of those, in replication order).
    """
    keys = ["arm", "business", "strategy", "category"]
    per_run = ts.groupby([*keys, "replication"], sort=False).agg(
        revenue=("revenue", "sum"), profit=("profit", "sum"), opened=("step", "min")
    )
    closed_rows = ts[~ts["alive"].astype(bool)]
    closing = closed_rows.groupby([*keys, "replication"], sort=False)["step"].min()
    per_run["closed_week"] = closing.reindex(per_run.index)
    out = per_run.groupby(level=keys, sort=False).agg(
        opened=("opened", "min"), replications=("revenue", "size"), closed=("closed_week", "count")
    )
    for column in ("revenue", "profit"):
        wide = per_run[column].unstack("replication").reindex(out.index)
        out[column], out[f"{column}_low"], out[f"{column}_high"] = intervals.mean_intervals(wide.to_numpy())
    out["closing_weeks"] = (
        per_run["closed_week"].dropna().astype(int).astype(str).groupby(level=keys, sort=False).agg(", ".join)
    )
    out["closing_weeks"] = out["closing_weeks"].fillna("")
    return out.reset_index()


def business_html(ts: pd.DataFrame) -> str:
    """The per-business table as HTML."""
    t = business_table(ts)
    several = t["arm"].nunique() > 1
    head = (
        "<tr>"
        + ("<th class=l>arm</th>" if several else "")
        + "<th class=l>business</th><th class=l>strategy</th>"
        "<th class=l>category</th><th>opened (week)</th><th>whole-run revenue</th><th>whole-run profit</th>"
        "<th>closed in</th><th class=l>closing weeks</th></tr>"
    )
    rows = []
    for r in t.itertuples(index=False):
        cells = []
        for c in ("revenue", "profit"):
            mean, low, high = getattr(r, c), getattr(r, f"{c}_low"), getattr(r, f"{c}_high")
            cells.append(html.escape(cell_text(mean, low, high, "{:,.0f}")))
        text = [str(r.business), str(r.strategy), str(r.category)]
        rows.append(
            "<tr>"
            + (f"<td class=l>{html.escape(str(r.arm))}</td>" if several else "")
            + "".join(f"<td class=l>{html.escape(x)}</td>" for x in text)
            + f"<td>{r.opened}</td><td>{cells[0]}</td><td>{cells[1]}</td>"
            f"<td>{r.closed} of {r.replications}</td>"
            f"<td class=l>{html.escape(r.closing_weeks) or '-'}</td></tr>"
        )
    reps = int(t["replications"].max()) if len(t) else 0
    spread = intervals.METHOD if reps >= intervals.MIN_REPLICATIONS else intervals.NO_INTERVAL
    note = (
        "<p>Whole-run revenue and profit: currency, summed over the weeks each business was open, "
        f"mean over {reps} replication(s) [{html.escape(spread)}]. Closed in: the replications in "
        "which it closed; closing weeks: the week it closed in each of them.</p>"
    )
    return note + "<table>" + head + "".join(rows) + "</table>"


def run_report(
    title: str,
    strategy_ts: pd.DataFrame,
    figures: list[Path],
    scenario_toml: str,
    command: str,
    notes: list[str] = (),
    band_table: pd.DataFrame | None = None,
    timeseries: pd.DataFrame | None = None,
) -> str:
    """The whole report page as a string (``timeseries`` adds the per-business table)."""
    figs = "\n".join(embed_png(p, p.stem) for p in figures)
    note_html = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    businesses = "" if timeseries is None else f"<h2>Businesses</h2>\n{business_html(timeseries)}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
{note_html}
<h2>Strategies compared</h2>
{comparison_html(strategy_ts, band_table)}
{businesses}
<h2>Figures</h2>
{figs}
<h2>Reproduce this run</h2>
<pre>{html.escape(command)}</pre>
<h2>Scenario as resolved</h2>
<pre>{html.escape(scenario_toml)}</pre>
</body></html>
"""
