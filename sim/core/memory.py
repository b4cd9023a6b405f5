"""Keep freed memory for reuse in large towns, instead of handing it back to the system each week.

Each week of a large town allocates and frees temporaries of tens of megabytes (lists of needs,
purchases, contacts). By default glibc's allocator returns freed memory at the top of its heap to
the operating system (blocks of more than 32 MB always), which must then zero every page again
the next week: at 10^6 customers that is about 13,000 page faults and 60 ms of system time a
week, about 10% of the week. Serving every block from the heap and raising the heap's trim
threshold keeps those pages for the next week (``benchmarks/RESULTS.md``). Results do not change:
only where memory comes from.

Linux with glibc only; elsewhere, or if the call fails, nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_MAX = -4
"""glibc's ``mallopt`` parameter numbers (malloc.h)."""

TRIM_THRESHOLD = 2**31 - 1
"""Free memory at the top of the heap kept before any is returned to the system, bytes (~2 GB)."""
TOP_PAD = 256 * 2**20
"""Extra memory requested whenever the heap grows, bytes (256 MB)."""

_done = False


def keep_freed_memory() -> bool:
    """Set the allocator to keep freed memory (once per process); returns whether it is set."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # Large blocks come from the heap too (not from separate mappings, each returned when freed).
    settings = ((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_TOP_PAD, TOP_PAD))
    _done = all([bool(mallopt(param, value)) for param, value in settings])
    return _done
