"""The citizens' look-up limit: what a client may do in a minute, and when it may ask again."""

from __future__ import annotations

import pytest

from api.rate_limit import MovingWindowLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_ten_a_minute_then_refused_with_the_wait_until_the_minute_is_over(clock):
    limit = MovingWindowLimit(10, clock=clock)
    assert [limit.hit("a") for _ in range(10)] == [None] * 10
    clock.now += 30
    wait = limit.hit("a")
    assert wait == 30  # the ten hits at 0 s leave the moving minute at 60 s
    clock.now += wait
    assert limit.hit("a") is None


def test_clients_are_counted_apart(clock):
    limit = MovingWindowLimit(2, clock=clock)
    assert limit.hit("a") is None and limit.hit("a") is None
    assert limit.hit("a") is not None
    assert limit.hit("b") is None  # another address still may


def test_a_refused_hit_is_not_counted(clock):
    limit = MovingWindowLimit(3, clock=clock)
    for _ in range(3):
        limit.hit("a")
    for _ in range(50):  # hammering while refused does not push the wait further out
        assert limit.hit("a") is not None
    clock.now += 120
    assert [limit.hit("a") for _ in range(3)] == [None] * 3


def test_the_moving_minute_spans_two_windows(clock):
    """Hits late in one window still count early in the next: no burst of twice the limit
    around a window's edge."""
    limit = MovingWindowLimit(10, clock=clock)
    clock.now += 55
    assert [limit.hit("a") for _ in range(10)] == [None] * 10
    clock.now += 10  # the next window has begun, the ten hits are 10 s old
    assert limit.hit("a") is not None
    clock.now += 60  # a window later nothing of them is left
    assert limit.hit("a") is None


def test_the_wait_is_honest(clock):
    """Asking again after the wait it gave is allowed; asking a second earlier is not."""
    limit = MovingWindowLimit(5, clock=clock)
    for step in range(0, 50, 10):
        clock.now = 1000.0 + step
        assert limit.hit("a") is None
    clock.now = 1055.0
    wait = limit.hit("a")
    assert wait is not None
    clock.now += wait - 1
    assert limit.hit("a") is not None
    clock.now += 1
    assert limit.hit("a") is None


def test_memory_is_the_clients_of_the_last_two_windows(clock):
    limit = MovingWindowLimit(10, clock=clock)
    for n in range(5000):
        limit.hit(f"10.0.{n // 256}.{n % 256}")
    clock.now += 130
    limit.hit("one more")
    assert len(limit.current) + len(limit.previous) == 1
    assert all(len(times) <= 10 for times in limit.current.values())
