"""Options shared by the compiled loops of the weekly stages (numba).

Compiled on first use and cached on disk beside each module; ``nogil`` lets :mod:`sim.core.parallel`
run a large town's two halves at once.
"""

JIT = {"cache": True, "nogil": True}
