"""What a worker process keeps between tasks: its settings, its database, its mail backend (SMTP
connections are reused), its rate limiters and the pause shared after a provider's 429. A
forked child makes its own: connections are never shared across processes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from service.config import Settings, load_settings
from service.db import Database
from service.mail.backends import Backend, get_backend
from service.mail.ratelimit import Pause, RateLimiter, rate_limiter


@dataclass
class WorkerResources:
    """The resources of one worker process, each made on first use."""

    settings: Settings
    db: Database = field(init=False)
    _backend: Backend | None = None
    _pause: Pause | None = None
    _limiters: dict[tuple[str, float], RateLimiter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.db = Database(self.settings.database_url)

    @property
    def backend(self) -> Backend:
        """The mail backend, kept so that its connections are reused."""
        if self._backend is None:
            self._backend = get_backend(self.settings)
        return self._backend

    @property
    def pause(self) -> Pause:
        """The pause every worker keeps after the provider's 429."""
        if self._pause is None:
            self._pause = Pause(self.settings)
        return self._pause

    def limiter(self, campaign_rate: int | None, campaign_id: int | None) -> RateLimiter | None:
        """The campaign's own rate when it has one, else the shared MAIL_RATE_PER_MINUTE."""
        name, rate = "mail", self.settings.mail_rate_per_minute
        if campaign_rate:
            name, rate = f"campaign-{campaign_id}", campaign_rate
        if not rate:
            return None
        if (name, rate) not in self._limiters:
            self._limiters[name, rate] = rate_limiter(self.settings, name, rate)
        return self._limiters[name, rate]


_made: dict[int, WorkerResources] = {}


def resources() -> WorkerResources:
    """The resources of this process (by pid: a forked child starts afresh, and leaves its
    parent's untouched)."""
    pid = os.getpid()
    if pid not in _made:
        _made[pid] = WorkerResources(load_settings())
    return _made[pid]
