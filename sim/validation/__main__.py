"""``python -m sim.validation``: regenerate docs/VALIDATION.md and its figures."""

import sys

from sim.validation.report import main

sys.exit(main())
