"""The self-contained HTML report of a run: comparison, figures (embedded), scenario, command."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from sim.outputs.compare import COMPARED, comparison_table, overtake_weeks

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 0.8em; }
"""


def embed_png(path: Path, alt: str) -> str:
    """An <img> tag carrying the PNG inline, so the page stands alone."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def comparison_html(strategy_ts: pd.DataFrame) -> str:
    """The comparison table (mean [95% interval]) as HTML."""
    table = comparison_table(strategy_ts)
    parts = []
    for arm, ga in table.groupby("arm", sort=False):
        weeks = sorted(ga["week"].unique())
        if table["arm"].nunique() > 1:
            parts.append(f"<h3>Arm {html.escape(str(arm))}</h3>")
        rows = [
            "<tr><th class=l>measure</th><th class=l>strategy</th>"
            + "".join(f"<th>week {w}</th>" for w in weeks)
            + "</tr>"
        ]
        for col, (label, unit, fmt) in COMPARED.items():
            for strategy, gs in ga[ga["measure"] == col].groupby("strategy", sort=False):
                cells = []
                for w in weeks:
                    r = gs[gs["week"] == w]
                    if r.empty or pd.isna(r["mean"].iloc[0]):
                        cells.append("<td>-</td>")
                        continue
                    r = r.iloc[0]
                    cells.append(
                        f"<td>{fmt.format(r['mean'])}<br><small>[{fmt.format(r['low'])}, "
                        f"{fmt.format(r['high'])}]</small></td>"
                    )
                rows.append(
                    f"<tr><td class=l>{label} <small>({unit})</small></td>"
                    f"<td class=l>{html.escape(strategy)}</td>{''.join(cells)}</tr>"
                )
        parts.append("<table>" + "".join(rows) + "</table>")
        ov = overtake_weeks(strategy_ts[strategy_ts["arm"] == arm])
        lines = [
            f"{r['strategy']} overtakes {r['over']} in cumulative revenue in week {r['week']} and stays ahead"
            for _, r in ov.iterrows()
            if r["week"] > 0
        ]
        lines += [
            f"{r['strategy']} leads {r['over']} in cumulative revenue in every week"
            for _, r in ov.iterrows()
            if r["ahead_from_start"]
        ]
        if lines:
            parts.append("<p>Revenue: " + "; ".join(html.escape(x) for x in lines) + ".</p>")
    return "\n".join(parts)


def run_report(
    title: str,
    strategy_ts: pd.DataFrame,
    figures: list[Path],
    scenario_toml: str,
    command: str,
    notes: list[str] = (),
) -> str:
    """The whole report page as a string."""
    figs = "\n".join(embed_png(p, p.stem) for p in figures)
    note_html = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
{note_html}
<h2>Strategies compared</h2>
{comparison_html(strategy_ts)}
<h2>Figures</h2>
{figs}
<h2>Reproduce this run</h2>
<pre>{html.escape(command)}</pre>
<h2>Scenario as resolved</h2>
<pre>{html.escape(scenario_toml)}</pre>
</body></html>
"""
