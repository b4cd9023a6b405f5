"""Channels through which a customer first hears of and first buys from a business (ODD 7.9).

A channel's code in the model's customer x business arrays is its position in :data:`CHANNELS`
plus one; 0 means not aware (``contact``) or not a customer (``acquired``).
"""

from __future__ import annotations

import numpy as np

CHANNELS = ("ads", "community", "word_of_mouth", "referral", "partner", "walk_in")
"""Channel names, in code order (codes 1 to 6)."""
CODE = {name: code for code, name in enumerate(CHANNELS, 1)}
REFERRED_CHANNELS = ("referral", "word_of_mouth", "partner")
"""Channels of customers who came by another's word (referral share of revenue, ODD 7.9)."""

UNAWARE, AD, COMMUNITY, WORD_OF_MOUTH, REFERRAL, PARTNER, WALK_IN = range(len(CHANNELS) + 1)

NEVER = np.int16(-1)
"""Week stored for something that has not happened (a purchase, a recommendation)."""
