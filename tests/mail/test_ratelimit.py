"""The shared sending rate: the same token bucket in Redis and in a file under var/.

Every test runs on the file bucket, and on the Redis one in the run that has Redis: scripts/test
sets TEST_REDIS_URL in its second run, which fails under CI when Redis is missing, so CI always
runs them on Redis too (nothing is skipped; the first run simply has no Redis to test).
Time is a fake clock passed to the bucket, never a sleep.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import redis

from service.config import Settings
from service.mail.ratelimit import (
    Clock,
    FileTokenBucket,
    RateLimiter,
    RedisTokenBucket,
    rate_limiter,
)

START = 1_000_000.0
ATTEMPTS_PER_PROCESS = 150


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def frozen_clock() -> float:
    """A clock that never moves, importable by a child process."""
    return START


@dataclass(frozen=True)
class BucketPlace:
    """Where a bucket lives: a file path, or a Redis URL and a bucket name."""

    kind: str
    where: str
    name: str = ""

    def bucket(self, per_minute: float, capacity: float | None, clock: Clock) -> RateLimiter:
        """A new client of the bucket, as another worker would make it."""
        if self.kind == "file":
            return FileTokenBucket(Path(self.where), per_minute, capacity, clock)
        client = redis.Redis.from_url(self.where)
        return RedisTokenBucket(client, self.name, per_minute, capacity, clock)


REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
PLACES = ["file", *(["redis"] if REDIS_URL else [])]


@pytest.fixture(params=PLACES)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BucketPlace]:
    """A fresh bucket, in a file or in Redis."""
    if request.param == "file":
        yield BucketPlace("file", str(tmp_path / "bucket"))
        return
    name = f"test-{uuid.uuid4().hex}"
    yield BucketPlace("redis", REDIS_URL, name)
    redis.Redis.from_url(REDIS_URL).delete(f"convier:ratelimit:{name}")


def test_a_full_bucket_lets_one_minute_through_then_says_how_long_to_wait(
    place: BucketPlace,
) -> None:
    bucket = place.bucket(60, None, FakeClock())

    waits = [bucket.acquire() for _ in range(60)]

    assert waits == [0.0] * 60
    assert bucket.acquire() == pytest.approx(1.0)


def test_waiting_takes_nothing_and_time_refills(place: BucketPlace) -> None:
    clock = FakeClock()
    bucket = place.bucket(60, 10, clock)
    assert [bucket.acquire(5), bucket.acquire(5)] == [0.0, 0.0]

    assert bucket.acquire(3) == pytest.approx(3.0)
    clock.now += 1
    assert bucket.acquire(3) == pytest.approx(2.0)
    clock.now += 2
    assert bucket.acquire(3) == 0.0
    assert bucket.acquire(1) == pytest.approx(1.0)


def test_a_long_pause_refills_only_up_to_the_capacity(place: BucketPlace) -> None:
    clock = FakeClock()
    bucket = place.bucket(600, 20, clock)
    assert bucket.acquire(20) == 0.0

    clock.now += 3600

    assert [bucket.acquire() for _ in range(21)].count(0.0) == 20


def test_a_clock_going_back_refills_nothing(place: BucketPlace) -> None:
    clock = FakeClock()
    bucket = place.bucket(60, 5, clock)
    assert bucket.acquire(5) == 0.0

    clock.now -= 30

    assert bucket.acquire() == pytest.approx(1.0)


def test_more_than_the_capacity_at_once_is_an_error(place: BucketPlace) -> None:
    bucket = place.bucket(60, 10, FakeClock())

    with pytest.raises(ValueError, match="cannot take 11"):
        bucket.acquire(11)


def _take_all(place: BucketPlace, capacity: float, start: Any, results: Any) -> None:
    bucket = place.bucket(60, capacity, frozen_clock)
    start.wait(timeout=60)  # both processes hammer the bucket at the same moment
    results.put(sum(bucket.acquire() == 0.0 for _ in range(ATTEMPTS_PER_PROCESS)))


def test_two_processes_together_never_take_more_than_the_capacity(place: BucketPlace) -> None:
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_take_all, args=(place, 100, start, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    allowed = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)

    # The clock is frozen: any lost update between the processes would let more than 100 pass.
    assert sum(allowed) == 100
    assert [w.exitcode for w in workers] == [0, 0]


if REDIS_URL:

    def test_redis_bucket_on_the_servers_clock_waits_for_the_next_token() -> None:
        client = redis.Redis.from_url(REDIS_URL)
        name = f"test-{uuid.uuid4().hex}"
        bucket = RedisTokenBucket(client, name, per_minute=3)  # one token every 20 s
        try:
            assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
            assert 19 < bucket.acquire() <= 20
        finally:
            client.delete(bucket.key)


def test_rate_limiter_shares_redis_when_configured_else_a_file_under_var(
    settings: Settings, tmp_path: Path
) -> None:
    embedded: Callable[[], RateLimiter] = lambda: rate_limiter(  # noqa: E731
        replace(settings, redis_url=None, var_dir=tmp_path), "mail", 120
    )
    limiter = embedded()
    assert isinstance(limiter, FileTokenBucket)
    assert limiter.path == tmp_path / "ratelimit" / "mail"
    assert limiter.capacity == 120
    if settings.redis_url:
        shared = rate_limiter(settings, "mail", 120)
        assert isinstance(shared, RedisTokenBucket)
        assert shared.capacity == 120
