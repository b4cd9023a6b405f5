"""``commsim calibrate DATA.csv``: fit Bass p, q, m to an adoption series.

The CSV has columns ``period`` and ``adoptions`` (new adopters per period, any unit) or
``cumulative``; lines starting with ``#`` are comments. The fit is non-linear least squares on
the per-period adoptions (Srinivasan & Mason 1986; :func:`sim.validation.calibrate.fit_bass`).

The length of a period (one row) is read from the data (a ``year``, ``quarter``, ``month`` or
``week`` column, evenly spaced dates, a ``# period: 1 year`` line, or a ``period`` column of
consecutive calendar years; :mod:`sim.validation.periods`) or given with ``--weeks-per-period``,
which overrides the data; without either the command stops (exit 2) rather than guess.

With ``--scenario-out FILE`` it also writes a ``bass_docking``-style scenario whose agents
reproduce the fitted curve over the data's span (``n`` periods of ``W`` weeks: ``n x W`` weeks
of horizon): the per-week ``p`` and
``q`` are chosen so that the weekly recursion follows the fitted curve, and the market potential
``m`` is the town of ``--customers`` customers (each stands for ``m / customers`` adopters). It
then runs that scenario and reports how well the simulated curve fits the data. An existing
file is never overwritten.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

from tqdm import tqdm

from sim.config.errors import UsageError
from sim.config.scenario import load_scenario
from sim.config.scenario_file import minimal_toml
from sim.validation.calibrate import CalibrationError, fit_bass, read_adoption_series
from sim.validation.docking import calibrated_scenario, simulated_fit, weekly_coefficients
from sim.validation.periods import PeriodError, choose_period

JSON_KEYS = ("p", "q", "m", "p_se", "q_se", "m_se", "r2", "peak_period", "n_periods")
"""Keys of the ``--json`` answer (plus ``period``, and ``scenario`` with ``--scenario-out``)."""


def scenario_name(data: str) -> str:
    """``calibrated-<data file's name>``, reduced to letters, digits, ``-`` and ``_`` (a name, not a path)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(data).stem).strip("-") or "data"
    return f"calibrated-{stem}"[:80]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``commsim calibrate``."""
    p.add_argument(
        "data",
        metavar="DATA.csv",
        help="adoption series: columns period, adoptions (or cumulative)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on standard output")
    p.add_argument(
        "--scenario-out",
        metavar="FILE",
        default=None,
        help="write a scenario whose agents reproduce the fitted curve, then run it (never overwrites FILE)",
    )
    p.add_argument(
        "--weeks-per-period",
        type=float,
        default=None,
        metavar="W",
        help="weeks in one period (row) of the data (1 weekly, 4.333 monthly, 13 quarterly, 52 yearly); "
        "needed when the data do not say, and overrides what they say",
    )
    p.add_argument(
        "--customers",
        type=int,
        default=20_000,
        metavar="N",
        help="town size standing for the market potential m (default 20000)",
    )
    p.add_argument(
        "--replications",
        type=int,
        default=3,
        metavar="R",
        help="replications of the closing check run (default 3)",
    )
    p.add_argument("--seed", type=int, default=None, help="seed of the closing check run")


def _check(args: argparse.Namespace) -> None:
    w = args.weeks_per_period
    if w is not None and not (math.isfinite(w) and 0.01 <= w <= 520):
        raise UsageError(f"--weeks-per-period: {args.weeks_per_period} is out of range 0.01..520")
    if not 100 <= args.customers <= 2_000_000:
        raise UsageError(f"--customers: {args.customers} is out of range 100..2000000")
    if not 1 <= args.replications <= 100:
        raise UsageError(f"--replications: {args.replications} is out of range 1..100")


def main(args: argparse.Namespace) -> int:
    """Fit, print, and optionally write and check a calibrated scenario."""
    _check(args)
    out_path = Path(args.scenario_out) if args.scenario_out else None
    if out_path is not None:
        if out_path.exists():
            raise UsageError(
                f"{out_path}: already exists; refusing to overwrite it (choose another --scenario-out)"
            )
        if not out_path.parent.is_dir():
            raise UsageError(f"{out_path}: folder {out_path.parent} does not exist")
    try:
        df = read_adoption_series(args.data)
        period = choose_period(df.attrs["periods"], args.weeks_per_period, Path(args.data).name)
        fit = fit_bass(df["period"].to_numpy(), df["adoptions"].to_numpy(), source=Path(args.data).name)
    except (CalibrationError, PeriodError) as exc:
        raise UsageError(str(exc)) from None
    answer = {k: fit.to_dict()[k] for k in JSON_KEYS}
    answer["period"] = period.to_dict()
    text = [format_fit(fit, df, period)]

    if out_path is not None:
        n = fit.n_periods
        w = period.weeks
        coef = weekly_coefficients(fit.p, fit.q, w, n)
        weeks = int(math.ceil(n * w))
        scenario = calibrated_scenario(
            coef["p_week"],
            coef["q_week"],
            args.customers,
            weeks,
            name=scenario_name(args.data),
            replications=args.replications,
            seed=args.seed,
        )
        header = scenario_header(args.data, fit, coef, period, args.customers)
        try:
            with out_path.open("x", encoding="utf-8") as fh:  # "x": never overwrite
                fh.write(header + minimal_toml(scenario.data))  # only what differs from the defaults
        except FileExistsError:
            raise UsageError(f"{out_path}: already exists; refusing to overwrite it") from None
        except OSError as exc:
            raise UsageError(f"{out_path}: cannot be written ({exc.strerror})") from None
        written = load_scenario(out_path)  # the check runs the file as a user would
        with tqdm(
            total=args.replications,
            desc="check run",
            unit="run",
            disable=not sys.stderr.isatty(),
            leave=False,
        ) as bar:
            check = simulated_fit(
                written,
                df["period"].to_numpy(),
                df["adoptions"].to_numpy(),
                fit.m,
                w,
                fit.p,
                fit.q,
                progress=bar.update,
            )
        answer["scenario"] = {
            "path": str(out_path),
            "customers": args.customers,
            "weeks": weeks,
            "weeks_per_period": w,
            "p_week": coef["p_week"],
            "q_week": coef["q_week"],
            "adopters_per_customer": fit.m / args.customers,
            "recursion_gap": coef["max_gap"],
            "r2_simulated": check["r2_data"],
            "r2_fit": check["r2_fit"],
            "max_gap_F": check["max_gap_F"],
            "replications": check["replications"],
            "simulated_adoptions": check["simulated_adoptions"],
        }
        text.append(format_check(answer["scenario"], check, df.attrs["labels"], period))
    if args.json:
        print(json.dumps(answer))
    else:
        print("\n".join(text))
    return 0


def scenario_header(data: str, fit, coef: dict, period, customers: int) -> str:
    """Comment lines at the top of a calibrated scenario: where its numbers come from."""
    w = period.weeks
    return (
        f"# Written by `commsim calibrate {data} --weeks-per-period {w:g} --customers "
        f"{customers}`.\n"
        f"# Period: {period.describe()}.\n"
        f"# Bass fit ({period.per}): p = {fit.p:.6g}, q = {fit.q:.6g}, m = {fit.m:.6g} (R^2 = "
        f"{fit.r2:.4f}), {fit.n_periods} {period.plural} = {fit.n_periods * w:g} weeks of data.\n"
        f"# Per week p = {coef['p_week']:.6g}, q = {coef['q_week']:.6g}\n"
        f"# (p/W = {coef['p_scaled']:.6g}, q/W = {coef['q_scaled']:.6g}, refined so the weekly "
        "recursion\n"
        f"# follows the fitted curve; largest remaining gap in F {coef['max_gap']:.4f}).\n"
        f"# The town of {customers} customers is the market potential: one customer = "
        f"{fit.m / customers:.6g} adopters.\n\n"
    )


def format_fit(fit, df, period) -> str:
    """The fit as a few human-readable lines, rates per period of the data (stated)."""
    labels = df.attrs.get("labels") or [f"{x:g}" for x in df["period"]]
    first = df["period"].iloc[0]
    numeric = labels[0] == f"{first:g}"  # labels such as 1963 (not dates): say where the peak falls
    at = f"; label ~{first - 1 + fit.peak_period:.1f}" if numeric else ""
    return "\n".join(
        [
            f"Bass fit to {df.attrs.get('source', 'data')} ({fit.n_periods} {period.plural}, "
            f"{labels[0]} to {labels[-1]}; NLS on adoptions {period.per}):",
            f"  period: {period.describe()}",
            f"  p = {fit.p:.5f} +/- {fit.p_se:.5f}   (innovation, {period.per})",
            f"  q = {fit.q:.5f} +/- {fit.q_se:.5f}   (imitation, {period.per})",
            f"  m = {fit.m:,.1f} +/- {fit.m_se:,.1f}   (market potential, adopters in the data's units)",
            f"  R^2 = {fit.r2:.4f}",
            f"  peak: {fit.peak_period:.2f} {period.plural} after launch (= week "
            f"{fit.peak_period * period.weeks:.0f}{at}), "
            f"{fit.peak_adoptions:,.1f} adoptions {period.per} at the peak",
        ]
    )


def format_check(s: dict, check: dict, labels: list[str], period) -> str:
    """The closing check as human-readable lines (adoptions per period of the data)."""
    width = max(6, *(len(x) for x in labels))
    lines = [
        "",
        f"Scenario written to {s['path']}: {s['customers']:,} customers for m, {s['weeks']} weeks "
        f"({len(check['periods'])} {period.plural} x {period.weeks:.4g} weeks), "
        f"p = {s['p_week']:.6g}, q = {s['q_week']:.6g} per week.",
        f"Closing check (mean of {s['replications']} runs): simulated vs data R^2 = "
        f"{s['r2_simulated']:.4f} "
        f"(the fitted curve's own R^2 = {s['r2_fit']:.4f}); largest gap of simulated F (share of "
        f"the market adopted) from the fitted curve = {s['max_gap_F']:.4f}.",
        f"  {'period':>{width}}      data   fitted   simulated   (adoptions {period.per})",
    ]
    for lab, y, f, sim in zip(
        labels,
        check["data"],
        check["fitted_adoptions"],
        check["simulated_adoptions"],
        strict=True,
    ):
        lines.append(f"  {lab:>{width}}  {y:9.1f} {f:8.1f}  {sim:10.1f}")
    return "\n".join(lines)
