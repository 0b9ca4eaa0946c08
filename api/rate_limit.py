"""Per-client request limits in the worker's memory, exact over a moving window.

The public look-ups are asked by many citizens, each from another address, so the limiter's
cost must not grow with the number of clients. Each client keeps the times of its last
``limit`` hits (a ring of at most ``limit`` numbers); a hit is allowed when fewer than
``limit`` of them lie in the moving window, and a refusal says exactly when the oldest leaves
it. Clients are kept in two generations, swapped once a window: a client not heard from for
a whole window is dropped with the older generation, when none of its hits can count any
more. So each request costs a dict look-up, memory holds the clients of the last two
windows, and nothing runs in the background. (The ``limits`` library's in-memory storage
scans every client it knows a hundred times a second, which took a quarter of a worker's
time once tens of thousands of addresses had asked.)
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class MovingWindowLimit:
    """At most ``limit`` hits per client in any ``window`` seconds.

    Not thread-safe: call it from the event loop.
    """

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a limit needs at least one hit in a positive window")
        self.limit, self.window, self.clock = limit, window, clock
        self.start = clock()  # of the current generation
        self.current: dict[str, deque[float]] = {}
        self.previous: dict[str, deque[float]] = {}

    def hit(self, client: str) -> int | None:
        """Count a hit by ``client``: None when allowed, else the whole seconds to wait
        (the hit is then not counted)."""
        now = self.clock()
        self._roll(now)
        times = self.current.get(client)
        if times is None:
            times = self.previous.pop(client, None) or deque(maxlen=self.limit)
            self.current[client] = times
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(1, math.ceil(times[0] + self.window - now))
        times.append(now)
        return None

    def _roll(self, now: float) -> None:
        """Start a new generation once a window has passed; what the older one still held
        was last heard of more than a window ago."""
        passed = int((now - self.start) // self.window)
        if passed <= 0:
            return
        self.previous = self.current if passed == 1 else {}
        self.current = {}
        self.start += passed * self.window
