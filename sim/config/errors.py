"""Errors that mean bad input (exit status 2 on the command line)."""

from sim.config.scenario import ScenarioError


class UsageError(Exception):
    """Bad input that is not a scenario field (a flag, a folder, a data file): exit status 2."""


__all__ = ["ScenarioError", "UsageError"]
