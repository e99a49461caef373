"""Expiring caches: entries live between (1 - spread) * ttl and ttl, so entries filled together expire apart."""

from __future__ import annotations

import pytest

from safetyops.cache import ExpiringCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_filled_together_expire_spread_over_the_last_part_of_their_lifetime() -> None:
    clock = Clock()
    cache: ExpiringCache[int, str] = ExpiringCache(ttl=10.0, spread=0.5, clock=clock)
    for key in range(1000):
        cache.put(key, f"v{key}")
    clock.now += 4.99  # before (1 - spread) * ttl: every entry is still there
    assert all(cache.get(key) == f"v{key}" for key in range(1000))
    clock.now = 1000.0 + 7.5  # half-way through the spread: about half have expired
    alive = sum(cache.get(key) is not None for key in range(1000))
    assert 350 < alive < 650
    clock.now = 1000.0 + 10.0  # no entry outlives ttl
    assert all(cache.get(key) is None for key in range(1000))


def test_no_spread_gives_every_entry_the_whole_ttl_and_a_per_entry_ttl_overrides_it() -> None:
    clock = Clock()
    cache: ExpiringCache[str, int] = ExpiringCache(ttl=10.0, spread=0.0, clock=clock)
    cache.put("a", 1)
    cache.put("b", 2, ttl=2.0)
    clock.now += 1.99
    assert (cache.get("a"), cache.get("b")) == (1, 2)
    clock.now += 0.01
    assert (cache.get("a"), cache.get("b")) == (1, None)
    clock.now += 7.99
    assert cache.get("a") == 1
    clock.now += 0.01
    assert cache.get("a") is None


def test_pop_clear_and_the_size_bound() -> None:
    cache: ExpiringCache[int, int] = ExpiringCache(ttl=60.0, max_entries=3)
    for key in range(3):
        cache.put(key, key)
    cache.pop(1)
    assert [cache.get(key) for key in range(3)] == [0, None, 2]
    cache.put(3, 3)
    cache.put(3, 30)  # full, but replacing an entry it holds: nothing is dropped
    assert [cache.get(key) for key in (0, 2, 3)] == [0, 2, 30]
    cache.put(4, 4)  # the fourth live entry: the cache starts again empty, then holds it
    assert [cache.get(key) for key in range(5)] == [None, None, None, None, 4]
    cache.clear()
    assert cache.get(4) is None


def test_a_spread_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="spread"):
        ExpiringCache(ttl=1.0, spread=1.0)
