"""Figures of a run: the compared measures by strategy over weeks, new customers by channel.

Each line is the mean over replications and its band the interval of :mod:`sim.outputs.intervals`
(the same numbers as ``comparison.csv``: both come from :func:`sim.outputs.compare.bands`, and
``figures/figure_data.csv`` holds every plotted point). With fewer than 3 replications there are
no bands, and the figure says so. A money panel in which one group dwarfs the others (a chain
store's cash) is drawn on a symmetric log scale, and its title says so. Legends sit outside the
panels, clear of the shock markers. Nothing here changes results.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import StrMethodFormatter  # noqa: E402

from sim.outputs import intervals  # noqa: E402
from sim.outputs.compare import bands, for_csv  # noqa: E402
from sim.outputs.measure_units import AGGREGATIONS, MEASURES  # noqa: E402
from sim.outputs.storage import atomic_write, write_csv  # noqa: E402

FIGURE_MEASURES = tuple(n for n, m in MEASURES.items() if m.figure)
"""The measures drawn, one panel each."""
CHANNEL_COLUMNS = {
    "new_from_ads": "ads",
    "new_from_community": "community",
    "new_from_word_of_mouth": "word of mouth",
    "new_from_referral": "referral",
    "new_from_partner": "partner",
    "new_from_walk_in": "walk-in",
}
SPREAD = 20.0
"""A money panel goes to a symmetric log scale when one group's values exceed another's this many times."""


def _save(fig: plt.Figure, path: Path) -> Path:
    # fast PNG compression: the report embeds them, so speed matters more than 10% of size
    atomic_write(path, lambda p: fig.savefig(p, dpi=100, format="png", pil_kwargs={"compress_level": 1}))
    plt.close(fig)
    return path


def _group(df: pd.DataFrame) -> pd.Series:
    """Colour by strategy, or by arm and strategy when the run has several arms."""
    if df["arm"].nunique() > 1:
        return df["arm"].astype(str) + " / " + df["strategy"].astype(str)
    return df["strategy"].astype(str)


def shock_weeks(shocks: list[dict]) -> list[tuple[int, str]]:
    """(week, label) of each shock, for marking on charts."""
    return [(s["start"], s["kind"].replace("_", " ")) for s in shocks]


def _colours(groups: list[str]) -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {g: cycle[i % len(cycle)] for i, g in enumerate(groups)}


def log_threshold(band: pd.DataFrame) -> float | None:
    """The linear range of a symmetric log scale for a money panel, or None when a linear one reads.

    When the largest group's peak |mean| is more than :data:`SPREAD` times the smallest group's,
    the scale is linear within the smallest group's typical size (a power of ten) and
    logarithmic beyond, so both show their course.
    """
    peaks = band.groupby("group")["mean"].apply(lambda v: np.nanmax(np.abs(v)) if v.notna().any() else 0.0)
    peaks = peaks[peaks > 0]
    if len(peaks) < 2 or peaks.max() <= SPREAD * peaks.min():
        return None
    return float(10 ** np.floor(np.log10(max(peaks.min() / 10, 1.0))))


def measure_figure(band: pd.DataFrame, measure: str, ax: plt.Axes, shocks=(), colours=None) -> None:
    """One measure by group over weeks: mean over replications and its interval as a band."""
    m = MEASURES[measure]
    colours = colours or _colours(list(dict.fromkeys(band["group"])))
    for group, g in band.groupby("group", sort=False):
        g = g.sort_values("week")
        ax.plot(g["week"], g["mean"], color=colours[group], label=group, linewidth=1.6)
        has = g["low"].notna().to_numpy()
        if has.any():
            ax.fill_between(
                g["week"], g["low"], g["high"], where=has, color=colours[group], alpha=0.2, linewidth=0
            )
    title = textwrap.fill(m.title, 58)  # a long unit wraps instead of running past the panel
    if m.unit.startswith("currency") and (linthresh := log_threshold(band)) is not None:
        ax.set_yscale("symlog", linthresh=linthresh)
        lo, hi = ax.get_ylim()
        decades = 10.0 ** np.arange(np.log10(linthresh), np.log10(max(abs(lo), abs(hi), linthresh)) + 1)
        ax.set_yticks(sorted({0.0, *decades[decades <= hi], *-decades[-decades >= lo]}))
        ax.yaxis.set_minor_locator(plt.NullLocator())
        title += f"\nsymmetric log scale (linear within ±{linthresh:,.0f})"
    for week, label in shocks:
        ax.axvline(week, color="grey", linestyle="--", linewidth=0.8)
        ax.annotate(label, (week, 1.0), xycoords=("data", "axes fraction"), fontsize=7, color="grey",
                    rotation=90, va="top", ha="right")  # fmt: skip
    if m.fmt.startswith("{:,"):  # thousands separated, as in the tables
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("week")
    ax.set_ylabel(m.unit)


def _band_note(band: pd.DataFrame) -> str:
    reps = int(band["replications"].max()) if len(band) else 0
    if reps < intervals.MIN_REPLICATIONS:
        return f"lines: mean over {reps} replication(s); {intervals.NO_INTERVAL}"
    return f"lines: mean over {reps} replications; bands: {intervals.METHOD}"


def overview_figure(band: pd.DataFrame, path: Path, shocks=()) -> Path:
    """The main result: every figure measure by strategy, one panel each, one legend below."""
    groups = list(dict.fromkeys(band["group"]))
    colours = _colours(groups)
    cols = 3
    rows = -(-len(FIGURE_MEASURES) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(16, 4.4 * rows + 0.8), squeeze=False)
    for ax, measure in zip(axes.flat, FIGURE_MEASURES, strict=False):
        measure_figure(band[band["measure"] == measure], measure, ax, shocks, colours)
    for ax in list(axes.flat)[len(FIGURE_MEASURES) :]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=colours[g], linewidth=2) for g in groups]
    fig.legend(handles, groups, loc="lower center", ncol=min(len(groups), 6), frameon=False)
    fig.suptitle(f"Strategies compared ({_band_note(band)})", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 0.97), h_pad=2.0, w_pad=2.0)
    return _save(fig, path)


def single_figure(band: pd.DataFrame, measure: str, path: Path, shocks=(), colours=None) -> Path:
    """One measure in its own file, the legend outside the panel on the right."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    measure_figure(band, measure, ax, shocks, colours)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.text(0.01, 0.01, _band_note(band), fontsize=7, color="grey")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return _save(fig, path)


def channels_figure(strategy_ts: pd.DataFrame, path: Path) -> Path:
    """New customers per business by channel, stacked, one panel per strategy (mean over replications)."""
    df = strategy_ts.assign(group=_group(strategy_ts))
    groups = list(dict.fromkeys(df["group"]))
    per_business = df[list(CHANNEL_COLUMNS)].div(df["businesses"], axis=0)
    means = per_business.assign(group=df["group"], step=df["step"]).groupby(["group", "step"]).mean()
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 4), sharey=True, squeeze=False)
    for ax, group in zip(axes.flat, groups, strict=True):
        g = means.loc[group]
        ax.stackplot(g.index, *[g[c] for c in CHANNEL_COLUMNS], labels=list(CHANNEL_COLUMNS.values()))
        ax.set_title(group, fontsize=10)
        ax.set_xlabel("week")
    axes.flat[0].set_ylabel("new customers a week, per business")
    axes.flat[-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.suptitle(
        "Where new customers come from "
        "(per business: group total / businesses opened; mean over replications)",
        fontsize=10,
    )
    fig.tight_layout()
    return _save(fig, path)


def figure_bands(strategy_ts: pd.DataFrame, band_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The plotted points: :func:`bands` of the figure measures, with a ``group`` column."""
    b = bands(strategy_ts, FIGURE_MEASURES) if band_table is None else band_table
    b = b[b["measure"].isin(FIGURE_MEASURES)]
    return b.assign(group=_group(b))


def run_figures(
    strategy_ts: pd.DataFrame, folder: Path, shocks: list[dict] = (), band_table: pd.DataFrame | None = None
) -> list[Path]:
    """Every figure of a run into ``folder``, and their data as ``figure_data.csv``; returns the figures.

    ``band_table`` (from :func:`sim.outputs.compare.bands`) saves computing the intervals again.
    """
    folder = Path(folder)
    marks = shock_weeks(list(shocks))
    band = figure_bands(strategy_ts, band_table)
    data = band.drop(columns="group").assign(
        unit=band["measure"].map(lambda n: MEASURES[n].unit),
        aggregation=band["measure"].map(lambda n: AGGREGATIONS[MEASURES[n].aggregation]),
    )
    write_csv(folder / "figure_data.csv", for_csv(data))
    colours = _colours(list(dict.fromkeys(band["group"])))
    paths = [overview_figure(band, folder / "overview.png", marks)]
    for measure in FIGURE_MEASURES:
        paths.append(
            single_figure(
                band[band["measure"] == measure], measure, folder / f"{measure}.png", marks, colours
            )
        )
    paths.append(channels_figure(strategy_ts, folder / "channels.png"))
    return paths


__all__ = ["FIGURE_MEASURES", "figure_bands", "log_threshold", "run_figures", "shock_weeks"]
