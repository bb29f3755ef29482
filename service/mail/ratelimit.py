"""A sending rate in messages per minute, shared by every worker that sends.

A token bucket: it holds at most `capacity` tokens (one minute's worth unless told otherwise),
refills at `per_minute / 60` tokens a second, and a send of n messages takes n tokens. With
Redis the bucket lives in one hash updated by one Lua script, so workers on any number of
machines share it. On the embedded default it lives in a small file under var/ guarded by
`flock`, because the embedded worker runs two processes and an in-memory bucket per process
would double the rate.
"""

from __future__ import annotations

import fcntl
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from service.config import Settings

Clock = Callable[[], float]


class RateLimiter(Protocol):
    """Says how long to wait before sending."""

    capacity: float  # the most tokens one acquire may ask for

    def acquire(self, n: int = 1) -> float:
        """Take n tokens and return 0, or take nothing and return the seconds to wait."""
        ...


def _refill_and_take(
    tokens: float, stamp: float, now: float, n: int, rate: float, capacity: float
) -> tuple[float, float]:
    """The bucket after a request for n tokens at `now`, and the wait (0 when taken)."""
    # A clock that went back (another machine, a reboot) refills nothing and restarts from now.
    tokens = min(capacity, tokens + max(0.0, now - stamp) * rate)
    if tokens >= n:
        return tokens - n, 0.0
    return tokens, (n - tokens) / rate


class _Bucket:
    def __init__(self, per_minute: float, capacity: float | None) -> None:
        if per_minute <= 0:
            raise ValueError(f"the rate must be positive, got {per_minute}")
        self.rate = per_minute / 60.0
        self.capacity = float(capacity if capacity is not None else per_minute)

    def check(self, n: int) -> None:
        if not 0 < n <= self.capacity:
            raise ValueError(f"cannot take {n} tokens from a bucket of {self.capacity:g}")


class FileTokenBucket(_Bucket):
    """A bucket shared by the threads and processes of one machine, kept in a file."""

    def __init__(
        self,
        path: Path,
        per_minute: float,
        capacity: float | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(per_minute, capacity)
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()  # flock is per open file; this keeps threads polite too

    def acquire(self, n: int = 1) -> float:
        """Take n tokens and return 0, or take nothing and return the seconds to wait."""
        self.check(n)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a+") as state:
            fcntl.flock(state, fcntl.LOCK_EX)
            state.seek(0)
            now = self.clock()
            try:
                tokens, stamp = (float(x) for x in state.read().split())
            except ValueError:  # new or unreadable: a full bucket
                tokens, stamp = self.capacity, now
            tokens, wait = _refill_and_take(tokens, stamp, now, n, self.rate, self.capacity)
            state.seek(0)
            state.truncate()  # in append mode the write then lands at the start
            state.write(f"{tokens!r} {now!r}")
        return wait


# KEYS[1] the bucket; ARGV rate per second, capacity, n, and `now` (empty: the Redis clock).
# Numbers are stored with string.format because Lua 5.1 prints only 14 significant digits.
_TAKE = """
local rate, capacity, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or capacity
local stamp = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= n then tokens = tokens - n else wait = (n - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
  'stamp', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 60000)
return string.format('%.6f', wait)
"""


class RedisTokenBucket(_Bucket):
    """A bucket shared by every worker through Redis; one script call per acquire."""

    def __init__(
        self,
        client: Any,
        name: str,
        per_minute: float,
        capacity: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(per_minute, capacity)
        self.key = f"convier:ratelimit:{name}"
        self.clock = clock  # None: Redis's own clock, the same for every machine
        self._take = client.register_script(_TAKE)

    def acquire(self, n: int = 1) -> float:
        """Take n tokens and return 0, or take nothing and return the seconds to wait."""
        self.check(n)
        now = "" if self.clock is None else repr(self.clock())
        wait = self._take(keys=[self.key], args=[repr(self.rate), repr(self.capacity), n, now])
        return float(wait)


def rate_limiter(
    settings: Settings, name: str, per_minute: float, *, capacity: float | None = None
) -> RateLimiter:
    """The bucket `name` of this deployment: in Redis when configured, else under var/."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"a bucket name is letters, digits, '.', '_' or '-', got {name!r}")
    if settings.redis_url:
        import redis

        client = redis.Redis.from_url(settings.redis_url)
        return RedisTokenBucket(client, name, per_minute, capacity)
    path = settings.var_dir / "ratelimit" / name
    return FileTokenBucket(path, per_minute, capacity)


class Pause:
    """A moment before which no worker sends (the provider's rate-limit reset after a 429),
    shared like the buckets: in Redis when configured, else in a file under var/."""

    def __init__(self, settings: Settings, name: str = "mail") -> None:
        self._redis: Any = None
        if settings.redis_url:
            import redis

            self._redis = redis.Redis.from_url(settings.redis_url)
        self.key = f"convier:pause:{name}"
        self.path = settings.var_dir / "ratelimit" / f"{name}.pause"

    def until(self) -> float:
        """Epoch seconds before which nobody sends; 0 when there is no pause."""
        if self._redis is not None:
            value = self._redis.get(self.key)
        else:
            value = self.path.read_text() if self.path.exists() else None
        return float(value) if value else 0.0

    def throttles(self) -> int:
        """How many times the provider has asked to wait (429s) since the store began."""
        if self._redis is not None:
            return int(self._redis.get(f"{self.key}:count") or 0)
        counted = self.path.with_suffix(".count")
        return int(counted.read_text() or 0) if counted.exists() else 0

    def hold_until(self, moment: float) -> None:
        """Pause every worker until `moment`, unless a longer pause already holds; count it."""
        if self._redis is not None:
            self._redis.incr(f"{self.key}:count")
            # One atomic script: the later moment wins even when two workers race.
            self._redis.eval(
                "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
                "if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1], 'EX', "
                "math.ceil(tonumber(ARGV[1]) - tonumber(ARGV[2])) + 60) end",
                1,
                self.key,
                repr(moment),
                repr(time.time()),
            )
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+") as state:
            fcntl.flock(state, fcntl.LOCK_EX)
            state.seek(0)
            current = float(state.read() or 0)
            if moment > current:
                state.seek(0)
                state.truncate()
                state.write(repr(moment))
            counted = self.path.with_suffix(".count")  # under the same lock
            counted.write_text(str(int(counted.read_text() or 0) + 1 if counted.exists() else 1))
