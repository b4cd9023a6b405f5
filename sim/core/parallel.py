"""Two cores for one run: a compiled rule's work cut in two pieces that run at once.

The compiled rules (:mod:`sim.core.stages`) release Python's global lock, so two threads run them on
two cores. Large work is always cut into the same two pieces, whatever the number of threads
(with one thread the pieces run in turn), so results do not depend on it. Small work (a town of
a few thousand) stays in one piece: there, starting a thread costs more than it saves.

``COMMSIM_THREADS`` sets the number of threads (1 or 2; default: 2 when the machine has two
cores or more). Sweeps run one thread per worker process: their parallelism is across runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

ENV = "COMMSIM_THREADS"

SPLIT_AT = 50_000
"""Work of fewer items than this (customers, purchases) stays in one piece."""

_pool: ThreadPoolExecutor | None = None
_pool_pid = -1


def threads_from_env(value: str | None = None) -> int:
    """Threads per run from ``COMMSIM_THREADS`` (or ``value``); raises ValueError if not 1 or 2."""
    value = os.environ.get(ENV, "") if value is None else value
    if value.strip() == "":
        return 2 if (os.cpu_count() or 1) >= 2 else 1
    if value.strip() not in ("1", "2"):
        raise ValueError(f"environment variable {ENV}={value!r}: must be 1 or 2 (threads per run)")
    return int(value)


def threads() -> int:
    """Threads a run may use (an unreadable ``COMMSIM_THREADS`` counts as 1; the CLI rejects it)."""
    try:
        return threads_from_env()
    except ValueError:
        return 1


def pieces(n: int) -> list[tuple[int, int]]:
    """``range(n)`` as ``(start, stop)`` pieces: one below :data:`SPLIT_AT` items, else two halves.

    The cut depends only on ``n``, never on the number of threads, so results do not either.
    """
    if n < SPLIT_AT:
        return [(0, n)]
    return [(0, n // 2), (n // 2, n)]


def run[R](tasks: list[Callable[[], R]]) -> list[R]:
    """Run up to two independent tasks and return their results in order, at once when allowed."""
    if len(tasks) <= 1 or threads() < 2:
        return [task() for task in tasks]
    if len(tasks) != 2:
        raise ValueError("run takes at most two tasks")
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():  # a forked child does not inherit the thread
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="commsim")
        _pool_pid = os.getpid()
    later = _pool.submit(tasks[1])
    return [tasks[0](), later.result()]


def over_pieces[R](work: Callable[[int, int], R], n: int) -> list[R]:
    """``work(start, stop)`` on each of :func:`pieces` ``(n)``, at once when allowed."""
    return run([lambda lo=lo, hi=hi: work(lo, hi) for lo, hi in pieces(n)])


def each[T](work: Callable[[T], object], items: list[T], n: int) -> None:
    """``work(item)`` for every item, the two halves of the list at once in a large town.

    A town of ``n`` customers is large when :func:`pieces` cuts it in two. The items must be
    independent (e.g. each draws from its own stream).
    """
    if len(pieces(n)) == 1:
        for item in items:
            work(item)
        return
    half = len(items) // 2

    def some(part: list[T]) -> None:
        for item in part:
            work(item)

    run([lambda: some(items[:half]), lambda: some(items[half:])])
