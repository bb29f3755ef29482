"""Settings read once from the environment (and an optional `.env`), validated at start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAIL_BACKENDS = ("file", "sendgrid", "smtp")
# How many MAIL_REQUEST_TIMEOUTs one message can stay in flight once its request has started:
# writing a file; SendGrid's connection, then its answer; SMTP's reconnection (connect, EHLO,
# STARTTLS, EHLO, AUTH) then MAIL, RCPT, DATA, the message and the end-of-data reply.
REQUEST_STEPS = {"file": 1, "sendgrid": 2, "smtp": 10}
MEGABYTE = 1024 * 1024


class ConfigError(Exception):
    """One or more settings are invalid; `problems` names each variable and what is wrong."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    """Validated settings of one Convier process."""

    database_url: str
    redis_url: str | None
    secret_key: str
    secret_keys_old: tuple[str, ...]
    base_url: str
    timezone: str
    mail_backend: str
    sendgrid_api_key: str | None
    sendgrid_api_host: str | None
    smtp_url: str | None
    mail_from: str
    reply_domain: str | None
    var_dir: Path
    link_max_age_days: int
    tick_seconds: float
    debug: bool = False
    # Messages per minute across all workers; 0 means no limit of our own.
    mail_rate_per_minute: float = 0.0
    # A row claimed longer ago than this is checked with the provider and sent again if needed.
    mail_sending_timeout: float = 600.0
    # SendGrid's Event Webhook verification key (base64 DER); unset, every event is refused.
    sendgrid_webhook_public_key: str | None = None
    # The secret path segment of the Inbound Parse URL; unset, every reply is refused.
    sendgrid_inbound_secret: str | None = None
    # Most recipients per provider request; 0 means the backend's own maximum.
    mail_batch_size: int = 0
    # First delay before retrying a transient failure; doubled at each attempt.
    mail_retry_base: float = 30.0
    # Longest one network operation of a provider may take (SendGrid's HTTP, each SMTP command).
    mail_request_timeout: float = 30.0
    # Largest list export the API takes; the app-wide limit of other requests stays small.
    upload_max_bytes: int = 50 * MEGABYTE
    # Public POSTs (Flask-Limiter's notation): per personal link, and per client address.
    link_rate_limit: str = "10 per minute;100 per day"
    client_rate_limit: str = "120 per minute"
    # Wrong bearer tokens tolerated per client address.
    bad_token_limit: str = "10 per minute"  # noqa: S105 - a rate, not a secret
    # Reverse proxies in front of the app whose X-Forwarded-For and -Proto are believed.
    trusted_proxies: int = 0

    @property
    def broker_url(self) -> str:
        """The Celery broker: Redis when configured, else the embedded SQLite transport."""
        if self.redis_url:
            return self.redis_url
        return f"sqla+sqlite:///{self.var_dir / 'broker.sqlite'}"

    @property
    def mail_in_flight_seconds(self) -> float:
        """Longest one message can be in flight once its request has started."""
        return self.mail_request_timeout * REQUEST_STEPS.get(self.mail_backend, 1)

    @property
    def tz(self) -> ZoneInfo:
        """The zone in which dates are shown."""
        return ZoneInfo(self.timezone)

    @property
    def signing_keys(self) -> list[str]:
        """Keys for itsdangerous, oldest first: the newest signs, all verify."""
        return [*self.secret_keys_old, self.secret_key]


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _check_url(problems: list[str], name: str, value: str | None, schemes: tuple[str, ...]) -> None:
    if value is None:
        return
    parts = urlsplit(value)
    scheme = parts.scheme.split("+")[0]
    if scheme not in schemes:
        problems.append(
            f"{name}: expected a URL starting with {' or '.join(schemes)}, got {value!r}"
        )
    elif scheme not in ("sqlite",) and not parts.hostname:
        problems.append(f"{name}: the URL {value!r} names no host")


def _positive_number(problems: list[str], name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        number = float(raw)
    except ValueError:
        number = -1
    if number <= 0:
        problems.append(f"{name}: expected a positive number, got {raw!r}")
        return default
    return number


def _rate_limit(problems: list[str], name: str, raw: str | None, default: str) -> str:
    from limits import parse_many

    if raw is None:
        return default
    try:
        parse_many(raw)
    except ValueError:
        problems.append(f"{name}: expected limits such as '10 per minute;100 per day', got {raw!r}")
        return default
    return raw


def _valid_public_key(value: str) -> bool:
    from sendgrid.helpers.eventwebhook import EventWebhook

    try:
        EventWebhook(value)
    except (ValueError, TypeError):
        return False
    return True


def _embedded_secret_key(var_dir: Path) -> str:
    """The embedded default keeps a random key of its own under var/, made on first start."""
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; raise ConfigError listing every bad value at once."""
    if environ is None:
        from dotenv import dotenv_values

        environ = {
            **{k: v for k, v in dotenv_values(".env").items() if v is not None},
            **os.environ,
        }
    problems: list[str] = []
    debug = _env(environ, "CONVIER_DEBUG") in ("1", "true", "yes")
    var_dir = Path(_env(environ, "CONVIER_VAR_DIR") or "var").resolve()

    database_url = _env(environ, "DATABASE_URL") or f"sqlite:///{var_dir / 'convier.sqlite'}"
    _check_url(problems, "DATABASE_URL", database_url, ("sqlite", "postgresql"))
    redis_url = _env(environ, "REDIS_URL")
    _check_url(problems, "REDIS_URL", redis_url, ("redis", "rediss"))

    secret_key = _env(environ, "SECRET_KEY")
    if secret_key is None:
        if _env(environ, "DATABASE_URL"):
            problems.append("SECRET_KEY: required with DATABASE_URL (a long random string)")
            secret_key = ""
        else:
            secret_key = _embedded_secret_key(var_dir)
    elif len(secret_key) < 16:
        problems.append("SECRET_KEY: too short, use at least 16 characters")
    old_keys = tuple(
        k.strip() for k in (_env(environ, "SECRET_KEYS_OLD") or "").split(",") if k.strip()
    )

    base_url = (_env(environ, "BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    _check_url(problems, "BASE_URL", base_url, ("http", "https"))

    timezone = _env(environ, "TIMEZONE") or "Europe/Paris"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"TIMEZONE: unknown time zone {timezone!r} (e.g. Europe/Paris)")

    mail_backend = _env(environ, "MAIL_BACKEND") or "file"
    if mail_backend not in MAIL_BACKENDS:
        problems.append(
            f"MAIL_BACKEND: expected one of {', '.join(MAIL_BACKENDS)}, got {mail_backend!r}"
        )
    sendgrid_api_key = _env(environ, "SENDGRID_API_KEY")
    if mail_backend == "sendgrid" and not sendgrid_api_key:
        problems.append("SENDGRID_API_KEY: required when MAIL_BACKEND=sendgrid")
    sendgrid_api_host = _env(environ, "SENDGRID_API_HOST")
    _check_url(problems, "SENDGRID_API_HOST", sendgrid_api_host, ("http", "https"))
    smtp_url = _env(environ, "SMTP_URL")
    _check_url(problems, "SMTP_URL", smtp_url, ("smtp", "smtps"))
    if mail_backend == "smtp" and not smtp_url:
        problems.append(
            "SMTP_URL: required when MAIL_BACKEND=smtp (e.g. smtp://user:pass@host:587)"
        )

    mail_from = _env(environ, "MAIL_FROM") or "Convier <convier@localhost>"
    if "@" not in mail_from or any(c in mail_from for c in "\r\n"):
        problems.append(
            f"MAIL_FROM: expected an address such as 'Le Labo <contact@example.org>', "
            f"got {mail_from!r}"
        )

    max_age = _positive_number(
        problems, "LINK_MAX_AGE_DAYS", _env(environ, "LINK_MAX_AGE_DAYS"), 400
    )
    tick = _positive_number(problems, "TICK_SECONDS", _env(environ, "TICK_SECONDS"), 30)
    rate = _env(environ, "MAIL_RATE_PER_MINUTE")
    mail_rate = _positive_number(problems, "MAIL_RATE_PER_MINUTE", rate, 1) if rate else 0.0
    webhook_key = _env(environ, "SENDGRID_WEBHOOK_PUBLIC_KEY")
    if webhook_key and not _valid_public_key(webhook_key):
        problems.append(
            "SENDGRID_WEBHOOK_PUBLIC_KEY: expected the verification key SendGrid shows "
            "(base64 of an ECDSA P-256 public key)"
        )
    inbound_secret = _env(environ, "SENDGRID_INBOUND_SECRET")
    if inbound_secret and len(inbound_secret) < 16:
        problems.append("SENDGRID_INBOUND_SECRET: too short, use at least 16 characters")
    batch = _env(environ, "MAIL_BATCH_SIZE")
    batch_size = int(_positive_number(problems, "MAIL_BATCH_SIZE", batch, 1)) if batch else 0
    retry_base = _positive_number(
        problems, "MAIL_RETRY_SECONDS", _env(environ, "MAIL_RETRY_SECONDS"), 30
    )
    sending_timeout = _positive_number(
        problems, "MAIL_SENDING_TIMEOUT", _env(environ, "MAIL_SENDING_TIMEOUT"), 600
    )
    request_timeout = _positive_number(
        problems, "MAIL_REQUEST_TIMEOUT", _env(environ, "MAIL_REQUEST_TIMEOUT"), 30
    )
    in_flight = request_timeout * REQUEST_STEPS.get(mail_backend, 1)
    if sending_timeout < 2 * in_flight:
        # The sweeper queues a row again once its claim is that old: by then no request of its
        # worker may still be in flight, or the person could get the email twice.
        problems.append(
            f"MAIL_SENDING_TIMEOUT: must be at least twice the longest a message can be in flight "
            f"({in_flight:g} s with MAIL_BACKEND={mail_backend} and MAIL_REQUEST_TIMEOUT="
            f"{request_timeout:g}), got {sending_timeout:g}"
        )
    upload_mb = _positive_number(problems, "IMPORT_MAX_MB", _env(environ, "IMPORT_MAX_MB"), 50)
    proxies = _env(environ, "TRUSTED_PROXIES") or "0"
    if not proxies.isdigit():
        problems.append(f"TRUSTED_PROXIES: expected a number of proxies (0, 1…), got {proxies!r}")
        proxies = "0"
    limits = {
        name: _rate_limit(problems, name, _env(environ, name), default)
        for name, default in (
            ("RATE_LIMIT_PER_LINK", Settings.link_rate_limit),
            ("RATE_LIMIT_PER_ADDRESS", Settings.client_rate_limit),
            ("RATE_LIMIT_BAD_TOKENS", Settings.bad_token_limit),
        )
    }

    if problems:
        raise ConfigError(problems)
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secret_key,
        secret_keys_old=old_keys,
        base_url=base_url,
        timezone=timezone,
        mail_backend=mail_backend,
        sendgrid_api_key=sendgrid_api_key,
        sendgrid_api_host=sendgrid_api_host,
        smtp_url=smtp_url,
        mail_from=mail_from,
        reply_domain=_env(environ, "REPLY_DOMAIN"),
        var_dir=var_dir,
        link_max_age_days=int(max_age),
        tick_seconds=tick,
        debug=debug,
        mail_rate_per_minute=mail_rate,
        mail_sending_timeout=sending_timeout,
        mail_retry_base=retry_base,
        mail_batch_size=batch_size,
        sendgrid_webhook_public_key=webhook_key,
        sendgrid_inbound_secret=inbound_secret,
        mail_request_timeout=request_timeout,
        upload_max_bytes=int(upload_mb * MEGABYTE),
        link_rate_limit=limits["RATE_LIMIT_PER_LINK"],
        client_rate_limit=limits["RATE_LIMIT_PER_ADDRESS"],
        bad_token_limit=limits["RATE_LIMIT_BAD_TOKENS"],
        trusted_proxies=int(proxies),
    )
