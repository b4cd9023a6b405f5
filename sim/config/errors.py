"""Errors that mean bad input (exit status 2 on the command line)."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A problem with a scenario or experiment file: one line naming the file, key and problem.

    The validator collects every independent problem of a file before it gives up; they are in
    ``problems`` (one line each, the first is the message). ``commsim validate`` prints them all;
    other commands print the first and say how many more there are.
    """

    def __init__(self, message: str | list[str]) -> None:
        lines = [message] if isinstance(message, str) else list(message)
        self.problems: list[str] = lines
        more = len(lines) - 1
        text = lines[0] if more == 0 else f"{lines[0]} (and {more} more problem{'s' * (more > 1)}: "
        text += "" if more == 0 else "`commsim validate` lists every one)"
        super().__init__(text)


def closest(key: str, known: list[str]) -> str:
    """A hint for a misspelt key: the closest known one, or the known ones listed."""
    import difflib

    match = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {match[0]!r}?)" if match else f" (known: {', '.join(sorted(known))})"


class UsageError(Exception):
    """Bad input that is not a scenario field (a flag, a folder, a data file): exit status 2."""


__all__ = ["ScenarioError", "UsageError", "closest"]
