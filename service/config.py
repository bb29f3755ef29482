"""Settings read once from the environment (and an optional `.env`), validated at start-up.

Every variable is a row of VARIABLES: its name, the Settings field it fills, how its text is read
(a parser that raises ValueError saying what it expected), its default and what it means. The
README's configuration table is made from the same rows (`markdown_table`), and a test keeps
the two equal. Every bad value is reported at once, each naming its variable.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAIL_BACKENDS = ("file", "sendgrid", "smtp")
# How many MAIL_REQUEST_TIMEOUTs one message can stay in flight once its request has started:
# writing a file; SendGrid's connection, then its answer; SMTP's reconnection (connect, EHLO,
# STARTTLS, EHLO, AUTH) then MAIL, RCPT, DATA, the message and the end-of-data reply.
REQUEST_STEPS = {"file": 1, "sendgrid": 2, "smtp": 10}
MEGABYTE = 1024 * 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")  # a BASE_URL nobody else can reach


class ConfigError(Exception):
    """One or more settings are invalid; `problems` names each variable and what is wrong."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    """Validated settings of one Convier process (each field is described in VARIABLES)."""

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
    mail_rate_per_minute: float = 0.0  # 0: no limit of our own
    mail_sending_timeout: float = 600.0
    sendgrid_webhook_public_key: str | None = None
    sendgrid_inbound_secret: str | None = None
    mail_batch_size: int = 0  # 0: the backend's own maximum
    mail_retry_base: float = 30.0
    mail_request_timeout: float = 30.0
    upload_max_bytes: int = 50 * MEGABYTE
    link_rate_limit: str = "10 per minute;100 per day"
    client_rate_limit: str = "120 per minute"
    bad_token_limit: str = "10 per minute"  # noqa: S105 - a rate, not a secret
    sign_in_rate_limit: str = "10 per minute;50 per day"
    trusted_proxies: int = 0
    log_format: str = "text"
    log_level: str = "INFO"
    sentry_dsn: str | None = None
    metrics_token: str | None = None
    dns_nameserver: str | None = None  # None: the system's resolver

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
    def dns_server(self) -> tuple[str, int] | None:
        """The DNS server to ask, as (address, port); None for the system's resolver."""
        return host_port(self.dns_nameserver) if self.dns_nameserver else None

    @property
    def signing_keys(self) -> list[str]:
        """Keys for itsdangerous, oldest first: the newest signs, all verify."""
        return [*self.secret_keys_old, self.secret_key]


# --- How each kind of value is read: a parser raises ValueError saying what it expected ------

Parser = Callable[[str], Any]


def url(*schemes: str) -> Parser:
    """A URL of one of `schemes` (`postgresql+psycopg` counts as `postgresql`), with a host."""

    def parse(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme.split("+")[0] not in schemes:
            raise ValueError(f"expected a URL starting with {' or '.join(schemes)}, got {value!r}")
        if parts.scheme != "sqlite" and not parts.hostname:
            raise ValueError(f"the URL {value!r} names no host")
        return value

    return parse


def base_url(value: str) -> str:
    """An http(s) URL, without its trailing slash."""
    return url("http", "https")(value).rstrip("/")


def positive(value: str) -> float:
    """A number above zero."""
    try:
        number = float(value)
    except ValueError:
        number = -1
    if not number > 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return number


def positive_int(value: str) -> int:
    """A whole number above zero (a decimal is cut)."""
    return int(positive(value))


def megabytes(value: str) -> int:
    """A positive number of megabytes, in bytes."""
    return int(positive(value) * MEGABYTE)


def count(value: str) -> int:
    """A whole number, zero or more."""
    if not value.isdecimal():
        raise ValueError(f"expected a number (0, 1…), got {value!r}")
    return int(value)


def one_of(*options: str) -> Parser:
    """One of `options`."""

    def parse(value: str) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return value

    return parse


def time_zone(value: str) -> str:
    """A name of the time zone database."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Paris)") from None
    return value


def secret(value: str) -> str:
    """A secret long enough not to be guessed."""
    if len(value) < 16:
        raise ValueError("too short, use at least 16 characters")
    return value


def key_list(value: str) -> tuple[str, ...]:
    """Comma-separated keys."""
    return tuple(key.strip() for key in value.split(",") if key.strip())


def sender(value: str) -> str:
    """A From address, with or without a name."""
    if "@" not in value or any(c in value for c in "\r\n"):
        raise ValueError(
            f"expected an address such as 'Le Labo <contact@example.org>', got {value!r}"
        )
    return value


def host_port(value: str) -> tuple[str, int]:
    """An IP address with an optional port (53 by default): `192.0.2.1`, `127.0.0.1:5353`,
    `2001:db8::1`, `[::1]:5353`."""
    host, port = value, "53"
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.removeprefix(":") if rest.startswith(":") else rest or "53"
    elif value.count(":") == 1:
        host, port = value.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"expected an IP address with an optional port (127.0.0.1:5353), got {value!r}"
        ) from None
    if not port.isdecimal() or not 0 < int(port) < 65536:
        raise ValueError(f"expected a port from 1 to 65535, got {value!r}")
    return host, int(port)


def nameserver(value: str) -> str:
    """A DNS server: an IP address with an optional port."""
    host_port(value)
    return value


def public_key(value: str) -> str:
    """SendGrid's Event Webhook verification key."""
    from sendgrid.helpers.eventwebhook import EventWebhook

    try:
        EventWebhook(value)
    except (ValueError, TypeError):
        raise ValueError(
            "expected the verification key SendGrid shows (base64 of an ECDSA P-256 public key)"
        ) from None
    return value


def rate_limits(value: str) -> str:
    """Flask-Limiter's notation: `10 per minute;100 per day`."""
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ValueError(
            f"expected limits such as '10 per minute;100 per day', got {value!r}"
        ) from None
    return value


def text(value: str) -> str:
    """Any text."""
    return value


# --- The variables -------------------------------------------------------------------------

Values = dict[str, Any]  # the Settings fields read so far, for the defaults that depend on them


@dataclass(frozen=True)
class Variable:
    """One environment variable: the Settings field it fills, how it is read and its default
    (a value, or a function of the fields read before it); `shown` is the default as the README
    writes it."""

    name: str
    field: str
    parse: Parser
    default: Any
    shown: str
    doc: str

    def default_for(self, values: Values) -> Any:
        """The value when the variable is not set."""
        return self.default(values) if callable(self.default) else self.default


def _embedded_secret_key(values: Values) -> str:
    """The embedded default keeps a random key of its own under var/, made on first start."""
    path: Path = values["var_dir"] / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


V = Variable
VARIABLES: tuple[Variable, ...] = (
    V("CONVIER_VAR_DIR", "var_dir", lambda v: Path(v).resolve(), lambda _: Path("var").resolve(),
      "`./var`", "where the embedded default keeps its files"),
    V("DATABASE_URL", "database_url", url("sqlite", "postgresql"),
      lambda values: f"sqlite:///{values['var_dir'] / 'convier.sqlite'}",
      "SQLite file `var/convier.sqlite`", "`postgresql+psycopg://…` in production"),
    V("REDIS_URL", "redis_url", url("redis", "rediss"), None, "unset: embedded SQLite broker",
      "Celery broker, shared rate limits and locks"),
    V("SECRET_KEY", "secret_key", secret, _embedded_secret_key,
      "made once under `var/` for the embedded default; required with `DATABASE_URL`",
      "signs links and sessions"),
    V("SECRET_KEYS_OLD", "secret_keys_old", key_list, (), "empty",
      "comma-separated former keys: links they signed stay valid"),
    V("BASE_URL", "base_url", base_url, "http://127.0.0.1:8000", "`http://127.0.0.1:8000`",
      "the address in links"),
    V("TIMEZONE", "timezone", time_zone, "Europe/Paris", "`Europe/Paris`",
      "how dates are shown and event files are read"),
    V("MAIL_BACKEND", "mail_backend", one_of(*MAIL_BACKENDS), "file", "`file`",
      "`file`, `sendgrid` or `smtp`"),
    V("SENDGRID_API_KEY", "sendgrid_api_key", text, None, "unset", "SendGrid's API key"),
    V("SENDGRID_API_HOST", "sendgrid_api_host", url("http", "https"), None, "unset",
      "SendGrid's API host, to reach a local stand-in"),
    V("SMTP_URL", "smtp_url", url("smtp", "smtps"), None, "unset",
      "`smtp://user:password@host:587`"),
    V("SENDGRID_WEBHOOK_PUBLIC_KEY", "sendgrid_webhook_public_key", public_key, None,
      "unset: every event refused", "the Event Webhook's verification key, as SendGrid shows it"),
    V("SENDGRID_INBOUND_SECRET", "sendgrid_inbound_secret", secret, None,
      "unset: every reply refused",
      'the secret in the Inbound Parse URL, `/webhooks/sendgrid/inbound/<secret>` ("Send Raw" on)'),
    V("MAIL_FROM", "mail_from", sender, "Convier <convier@localhost>",
      "`Convier <convier@localhost>`", "the sender: the organiser's name is shown before it"),
    V("DNS_NAMESERVER", "dns_nameserver", nameserver, None, "unset: the system's resolver",
      "the DNS server asked for the sender domain's SPF, DKIM and DMARC records: an IP "
      "address, with an optional port (`127.0.0.1:5353`)"),
    V("REPLY_DOMAIN", "reply_domain", text, None, "unset: replies go to the organiser",
      "domain of the per-invitation reply addresses `r+<id>@…`"),
    V("MAIL_RATE_PER_MINUTE", "mail_rate_per_minute", positive, 0.0, "unset: no limit",
      "messages per minute shared by all workers"),
    V("MAIL_BATCH_SIZE", "mail_batch_size", positive_int, 0,
      "the backend's maximum (SendGrid 1,000)", "most recipients per provider request"),
    V("MAIL_RETRY_SECONDS", "mail_retry_base", positive, 30.0, "30",
      "first delay before retrying a transient failure (doubled each time, jittered)"),
    V("MAIL_SENDING_TIMEOUT", "mail_sending_timeout", positive, 600.0, "600",
      "seconds after which a claimed, unanswered email is checked and sent again if needed"),
    V("MAIL_REQUEST_TIMEOUT", "mail_request_timeout", positive, 30.0, "30",
      "seconds one network operation of the provider may take (SendGrid's HTTP, each SMTP "
      "command)"),
    V("LINK_MAX_AGE_DAYS", "link_max_age_days", positive_int, 400, "400",
      "personal links older than this are refused as expired"),
    V("TICK_SECONDS", "tick_seconds", positive, 30.0, "30",
      "period of the beat tick (offer expiry and other due work)"),
    V("IMPORT_MAX_MB", "upload_max_bytes", megabytes, 50 * MEGABYTE, "50",
      "largest list export the API takes (other requests: 2 MB)"),
    V("RATE_LIMIT_PER_LINK", "link_rate_limit", rate_limits, Settings.link_rate_limit,
      f"`{Settings.link_rate_limit}`", "POSTs of one personal or unsubscribe link"),
    V("RATE_LIMIT_PER_ADDRESS", "client_rate_limit", rate_limits, Settings.client_rate_limit,
      f"`{Settings.client_rate_limit}`", "public POSTs from one client address"),
    V("RATE_LIMIT_BAD_TOKENS", "bad_token_limit", rate_limits, Settings.bad_token_limit,
      f"`{Settings.bad_token_limit}`",
      "wrong API tokens from one client address before it is refused (429)"),
    V("RATE_LIMIT_SIGN_IN", "sign_in_rate_limit", rate_limits, Settings.sign_in_rate_limit,
      f"`{Settings.sign_in_rate_limit}`", "back-office sign-in attempts from one client address"),
    V("TRUSTED_PROXIES", "trusted_proxies", count, 0, "0",
      "reverse proxies in front of the app whose `X-Forwarded-For` gives the client address"),
    V("LOG_FORMAT", "log_format", one_of("text", "json"), "text", "`text`",
      "`json`: one JSON object per line (time, level, logger, context, message)"),
    V("LOG_LEVEL", "log_level", one_of(*LOG_LEVELS), "INFO", "`INFO`",
      "the least severe lines kept (`DEBUG` shows each beat tick)"),
    V("SENTRY_DSN", "sentry_dsn", url("http", "https"), None, "unset: no report",
      "errors of every process reported to Sentry, personal data scrubbed"),
    V("METRICS_TOKEN", "metrics_token", secret, None, "unset: no `/metrics`",
      "the bearer token Prometheus sends to read `/metrics`"),
)  # fmt: skip
del V


def _cross_checks(environ: Mapping[str, str], values: Values) -> list[str]:
    """The rules that tie several variables together."""
    problems = []
    if _env(environ, "DATABASE_URL") and not _env(environ, "SECRET_KEY"):
        problems.append("SECRET_KEY: required with DATABASE_URL (a long random string)")
    backend = values.get("mail_backend")
    if backend == "sendgrid" and not values.get("sendgrid_api_key"):
        problems.append("SENDGRID_API_KEY: required when MAIL_BACKEND=sendgrid")
    if backend == "smtp" and not values.get("smtp_url"):
        problems.append(
            "SMTP_URL: required when MAIL_BACKEND=smtp (e.g. smtp://user:pass@host:587)"
        )
    timeout = values.get("mail_sending_timeout")
    request = values.get("mail_request_timeout")
    if backend in REQUEST_STEPS and timeout and request:
        in_flight = request * REQUEST_STEPS[backend]
        if timeout < 2 * in_flight:
            # The sweeper queues a row again once its claim is that old: by then no request of
            # its worker may still be in flight, or the person could get the email twice.
            problems.append(
                f"MAIL_SENDING_TIMEOUT: must be at least twice the longest a message can be in "
                f"flight ({in_flight:g} s with MAIL_BACKEND={backend} and MAIL_REQUEST_TIMEOUT="
                f"{request:g}), got {timeout:g}"
            )
    base = values.get("base_url", "")
    public = urlsplit(base).hostname not in LOCAL_HOSTS
    if backend in ("sendgrid", "smtp") and base.startswith("http://") and public:
        # Mail providers send RFC 8058's one-click unsubscribe only to an https:// link.
        problems.append(
            f"BASE_URL: must be https:// when MAIL_BACKEND={backend} (people click its links "
            f"in real emails, and one-click unsubscribe needs HTTPS), got {base}"
        )
    return problems


def _with_files(environ: Mapping[str, str], problems: list[str]) -> dict[str, str]:
    """`environ`, each variable unset but given as NAME_FILE read from that file (Docker and
    Compose secrets are mounted as files)."""
    merged = dict(environ)
    for variable in VARIABLES:
        path = _env(environ, f"{variable.name}_FILE")
        if path is None or _env(environ, variable.name) is not None:
            continue
        try:
            merged[variable.name] = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            problems.append(f"{variable.name}_FILE: cannot read {path} ({exc.strerror})")
    return merged


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings; raise ConfigError listing every bad value at once."""
    if environ is None:
        from dotenv import dotenv_values

        environ = {
            **{k: v for k, v in dotenv_values(".env").items() if v is not None},
            **os.environ,
        }
    problems: list[str] = []
    environ = _with_files(environ, problems)
    values: Values = {}
    for variable in VARIABLES:
        raw = _env(environ, variable.name)
        try:
            if raw is None:
                if variable.name == "SECRET_KEY" and _env(environ, "DATABASE_URL"):
                    continue  # no key of our own beside a real database: see _cross_checks
                values[variable.field] = variable.default_for(values)
            else:
                values[variable.field] = variable.parse(raw)
        except ValueError as exc:
            problems.append(f"{variable.name}: {exc}")
    problems += _cross_checks(environ, values)
    if problems:
        raise ConfigError(problems)
    return Settings(**values)


def markdown_table() -> str:
    """The README's configuration table."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{v.name}` | {v.shown} | {v.doc} |" for v in VARIABLES]
    return "\n".join(lines)


def env_example() -> str:
    """`.env.example`: every variable, commented out, with its meaning and default."""
    lines = [
        "# Convier's settings: copy to .env (read from the working directory) or set them in the",
        "# environment. Every variable can also be given as NAME_FILE, the path of a file holding",
        "# its value (Docker and Compose secrets). Generated from service/config.py's VARIABLES.",
    ]
    for v in VARIABLES:
        default = v.shown.replace("`", "")
        lines += ["", f"# {v.doc.replace('`', '')} (default: {default})", f"# {v.name}="]
    return "\n".join(lines) + "\n"
