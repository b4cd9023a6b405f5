"""Who may partner with whom (ODD 7.6), read from a resolved scenario: one rule for every user.

Two businesses may partner when both seek partners and their categories complement each other:
either names the other in ``partners_with`` or, with ``economy.partners = "any_other"``, they
differ. The model's pairs, the planned spend and the memory estimate all ask this module.
"""

from __future__ import annotations

from typing import Any


def complement(data: dict[str, Any], a: str, b: str) -> bool:
    """Whether businesses of categories ``a`` and ``b`` may partner."""
    if data["economy"]["partners"] == "any_other":
        return a != b
    cats = data["categories"]
    return b in cats[a].get("partners_with", []) or a in cats[b].get("partners_with", [])


def seekers_by_category(data: dict[str, Any]) -> dict[str, int]:
    """Businesses whose strategy seeks partners, per category (the only possible partners)."""
    seekers: dict[str, int] = {}
    for g in data["businesses"]:
        if data["strategies"][g["strategy"]].get("seeks_partners", False):
            seekers[g["category"]] = seekers.get(g["category"], 0) + g["count"]
    return seekers


def partners_of_a_seeker(data: dict[str, Any], category: str) -> int:
    """Businesses a partner-seeking business of ``category`` may partner with (never itself)."""
    seekers = seekers_by_category(data)
    others = sum(n for c, n in seekers.items() if complement(data, category, c))
    return others - (1 if complement(data, category, category) else 0)


def partner_pairs(data: dict[str, Any]) -> int:
    """Pairs (business, partner) that may partner, counted both ways."""
    return sum(n * partners_of_a_seeker(data, c) for c, n in seekers_by_category(data).items())
