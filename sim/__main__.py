"""``python -m sim``: the same as the ``commsim`` command."""

import sys

from sim.cli import main

sys.exit(main())
