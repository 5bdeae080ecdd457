"""Settings from the environment (and an optional ``.env``), injectable for tests.

``Config.from_env(environ)`` reads a mapping, so tests pass a dict and never touch
``os.environ``. A missing required setting raises :class:`ConfigError` whose message is one
line naming it, which the CLI prints before exiting.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SLACK_API_DEFAULT = "https://slack.com/api/"


def default_replica_id() -> str:
    """``<hostname>:<pid>``: unique among live processes, new at every start (so claims a killed
    process held wait for their lease to end; a fixed ``HIREBOT_REPLICA_ID`` takes them back at once)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class Config:
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = SLACK_API_DEFAULT
    db_path: str = "hirebot.db"
    #: ``HIREBOT_DATABASE_URL``: a SQLAlchemy URL (``postgresql+asyncpg://…`` for several replicas);
    #: when unset, the SQLite file ``db_path`` (``HIREBOT_DB``).
    database_url: str | None = None
    admins: frozenset[str] = field(default_factory=frozenset)
    tz: str = "UTC"
    port: int = 3000
    templates_dir: str | None = None
    #: Nudges nobody acted on before the opening's recruiters are told.
    escalate_after: int = 3
    #: How often the SLA sweep runs (and failed sends are retried).
    sweep_minutes: int = 10
    #: Seconds between two messages to one channel (Slack allows about one per second).
    send_interval: float = 1.0
    #: This process among the replicas sharing the database: the holder named on its claims.
    #: Unique among running replicas; one restarted under the same id takes back its old claims.
    replica_id: str = field(default_factory=default_replica_id)
    #: How long a claim on scheduled work lasts (one send, Slack's retries included) before
    #: another replica may take the work over.
    lease_seconds: int = 60

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: str | Path | None = ".env") -> Config:
        env = dict(os.environ if environ is None else environ)
        if dotenv and environ is None and Path(dotenv).is_file():
            from dotenv import dotenv_values

            for key, value in dotenv_values(dotenv).items():
                if value is not None:
                    env.setdefault(key, value)
        tz = env.get("HIREBOT_TZ", "UTC") or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"HIREBOT_TZ={tz!r} is not a time zone (try Europe/Berlin or America/New_York)") from None
        port_raw = env.get("HIREBOT_PORT", "3000") or "3000"
        if not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
            raise ConfigError(f"HIREBOT_PORT={port_raw!r} is not a port number")
        escalate = _int_setting(env, "HIREBOT_ESCALATE_AFTER", 3, 1, 50)
        sweep = _int_setting(env, "HIREBOT_SWEEP_MINUTES", 10, 1, 1440)
        lease = _int_setting(env, "HIREBOT_LEASE_SECONDS", 60, 1, 86400)
        api_url = env.get("SLACK_API_URL") or SLACK_API_DEFAULT
        if not api_url.endswith("/"):
            api_url += "/"
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN", ""),
            signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            app_token=env.get("SLACK_APP_TOKEN", ""),
            api_url=api_url,
            db_path=env.get("HIREBOT_DB") or "hirebot.db",
            database_url=_database_url(env.get("HIREBOT_DATABASE_URL")),
            admins=frozenset(a.strip() for a in env.get("HIREBOT_ADMINS", "").split(",") if a.strip()),
            tz=tz,
            port=int(port_raw),
            templates_dir=env.get("HIREBOT_TEMPLATES") or None,
            escalate_after=escalate,
            sweep_minutes=sweep,
            replica_id=(env.get("HIREBOT_REPLICA_ID") or "").strip() or default_replica_id(),
            lease_seconds=lease,
        )

    @property
    def database(self) -> str:
        """What :class:`bot.storage.Store` opens: the URL when one is set, else the SQLite file."""
        return self.database_url or self.db_path

    @property
    def sqlite_file(self) -> str | None:
        """The SQLite file in use (backups copy it), or None on PostgreSQL."""
        if not self.database_url:
            return self.db_path
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        return (url.database or ":memory:") if url.get_backend_name() == "sqlite" else None

    def with_(self, **changes: object) -> Config:
        """A copy with some settings changed (the console and tests point Slack elsewhere)."""
        from dataclasses import replace

        return replace(self, **changes)  # type: ignore[arg-type]

    def require(self, *names: str) -> None:
        """Raise naming the first missing required setting."""
        values = {"SLACK_BOT_TOKEN": self.bot_token, "SLACK_SIGNING_SECRET": self.signing_secret,
                  "SLACK_APP_TOKEN": self.app_token}
        for name in names:
            if not values.get(name):
                raise ConfigError(f"{name} is not set (export it or put it in .env)")


def gone_from_this_host(replica_id: str) -> bool:
    """Whether ``replica_id`` is a default id (see :func:`default_replica_id`) of a process on this
    host that is no longer running: a restarted ``hirebot run`` with the default id then takes back
    at once what its previous process held, instead of waiting for the lease to run out."""
    host, _, pid = replica_id.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # running, as someone else
        return False
    return False


def _int_setting(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise ConfigError(f"{name}={raw!r} must be a whole number from {lo} to {hi}")
    return int(raw)


def _database_url(raw: str | None) -> str | None:
    """HIREBOT_DATABASE_URL, checked enough that a typo stops start-up with its name in the message."""
    raw = (raw or "").strip()
    if not raw:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        backend = make_url(raw).get_backend_name()
    except ArgumentError:
        raise ConfigError("HIREBOT_DATABASE_URL is not a database URL (try postgresql+asyncpg://user:password@host/db)"
                          ) from None
    if backend not in ("postgresql", "sqlite"):
        raise ConfigError(f"HIREBOT_DATABASE_URL: {backend!r} is not supported (use postgresql or sqlite)")
    return raw
