"""Runs of a scenario: replications and arms with paired seeds, and the tables they give."""
