"""Figures of a run, with seaborn: measures by strategy over weeks, new customers by channel.

Every line carries a 95% band across replications (seaborn's bootstrap, seeded so the same
results give the same picture). Figures are written as PNG files; nothing here changes results.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from sim.outputs.storage import atomic_write  # noqa: E402

MEASURES = {
    "revenue": "Revenue (currency per week)",
    "customers_active": "Active customers",
    "retention_rate": "Retention (per week)",
    "promoter_score": "Promoter score (points)",
    "cash": "Cash (currency)",
    "survival": "Survival (share of businesses open)",
}
CHANNEL_COLUMNS = {
    "new_from_ads": "ads",
    "new_from_community": "community",
    "new_from_word_of_mouth": "word of mouth",
    "new_from_referral": "referral",
    "new_from_partner": "partner",
    "new_from_walk_in": "walk-in",
}


def _save(fig: plt.Figure, path: Path) -> Path:
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, bbox_inches="tight", format="png"))
    plt.close(fig)
    return path


def _hue(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Colour by strategy, or by arm and strategy when the run has several arms."""
    if df["arm"].nunique() > 1:
        df = df.assign(group=df["arm"] + " / " + df["strategy"])
        return df, "group"
    return df, "strategy"


def shock_weeks(shocks: list[dict]) -> list[tuple[int, str]]:
    """(week, label) of each shock, for marking on charts."""
    return [(s["start"], s["kind"].replace("_", " ")) for s in shocks]


def measure_figure(
    strategy_ts: pd.DataFrame, measure: str, ax: plt.Axes, shocks: list[tuple[int, str]] = ()
) -> None:
    """One measure by strategy over weeks with a 95% band across replications."""
    df, hue = _hue(strategy_ts)
    sns.lineplot(data=df, x="step", y=measure, hue=hue, errorbar=("ci", 95), n_boot=200, seed=0, ax=ax)
    for week, label in shocks:
        ax.axvline(week, color="grey", linestyle="--", linewidth=0.8)
        ax.annotate(
            label,
            (week, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            color="grey",
            rotation=90,
            va="top",
            ha="right",
        )
    ax.set_xlabel("week")
    ax.set_ylabel(MEASURES.get(measure, measure))


def overview_figure(strategy_ts: pd.DataFrame, path: Path, shocks: list[tuple[int, str]] = ()) -> Path:
    """The main result: six measures by strategy in one picture."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for ax, measure in zip(axes.flat, MEASURES, strict=True):
        measure_figure(strategy_ts, measure, ax, shocks)
        ax.set_title(MEASURES[measure], fontsize=10)
        if ax is not axes.flat[0]:
            legend = ax.get_legend()
            if legend:
                legend.remove()
    fig.suptitle("Strategies compared (lines: mean over replications; bands: 95% interval)")
    fig.tight_layout()
    return _save(fig, path)


def channels_figure(strategy_ts: pd.DataFrame, path: Path) -> Path:
    """New customers by channel, stacked, one panel per strategy (mean over replications)."""
    df, hue = _hue(strategy_ts)
    groups = list(dict.fromkeys(df[hue]))
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 4), sharey=True, squeeze=False)
    for ax, group in zip(axes.flat, groups, strict=True):
        g = df[df[hue] == group].groupby("step")[list(CHANNEL_COLUMNS)].mean()
        ax.stackplot(g.index, *[g[c] for c in CHANNEL_COLUMNS], labels=list(CHANNEL_COLUMNS.values()))
        ax.set_title(group, fontsize=10)
        ax.set_xlabel("week")
    axes.flat[0].set_ylabel("new customers per week")
    axes.flat[-1].legend(loc="upper right", fontsize=8)
    fig.suptitle("Where new customers come from")
    fig.tight_layout()
    return _save(fig, path)


def run_figures(strategy_ts: pd.DataFrame, folder: Path, shocks: list[dict] = ()) -> list[Path]:
    """Every figure of a run into ``folder``; returns their paths."""
    marks = shock_weeks(list(shocks))
    paths = [overview_figure(strategy_ts, folder / "overview.png", marks)]
    for measure in MEASURES:
        fig, ax = plt.subplots(figsize=(7, 4))
        measure_figure(strategy_ts, measure, ax, marks)
        ax.set_title(MEASURES[measure])
        paths.append(_save(fig, folder / f"{measure}.png"))
    paths.append(channels_figure(strategy_ts, folder / "channels.png"))
    return paths
