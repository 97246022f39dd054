"""zoombot's settings: environment variables, and a `.env` file in the working directory.

The environment wins over `.env`. Every setting is documented in `.env.example`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from dotenv import dotenv_values

REQUIRED = ("SLACK_SIGNING_SECRET", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "PUBLIC_URL")
# One workspace: SLACK_BOT_TOKEN. Any number of workspaces: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.
SLACK_CREDENTIALS = "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


class SettingsError(Exception):
    """Settings that are missing or malformed. The message names settings, never values."""

    def __init__(self, missing: list[str], invalid: list[str]) -> None:
        self.missing = missing
        self.invalid = invalid
        super().__init__("; ".join(self.lines()))

    def lines(self) -> list[str]:
        lines = []
        if self.missing:
            lines.append(
                "missing required setting" + ("s" if len(self.missing) > 1 else "") + ": "
                + ", ".join(self.missing) + " (set them in the environment or in .env; see .env.example)"
            )
        lines.extend(self.invalid)
        return lines


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    zoom_client_id: str
    zoom_client_secret: str = field(repr=False)
    public_url: str
    database_url: str = "sqlite:///zoombot.db"
    port: int = 3000
    log_level: str = "INFO"
    log_format: str = "text"
    zoom_oauth_url: str = "https://zoom.us"
    zoom_api_url: str = "https://api.zoom.us/v2"
    slack_api_url: str = "https://slack.com/api/"
    token_encryption_key: str | None = field(default=None, repr=False)
    zoom_webhook_secret_token: str | None = field(default=None, repr=False)
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    db_pool_size: int = 8
    web_threads: int = 16
    worker_threads: int = 64
    # Processes that `python bot.py` starts beside the web server to do the work after acks
    # (meeting lists) and the scheduled jobs; 0: the web process does it all itself.
    task_processes: int = 1
    # Apply pending database migrations at start (off: run `python bot.py migrate` yourself).
    auto_migrate: bool = True

    @property
    def distributed(self) -> bool:
        """Installed by many workspaces through Slack's OAuth, rather than one bot token."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    @property
    def slack_oauth_url(self) -> str:
        """Slack's "Add to Slack" consent page, beside its Web API."""
        base = self.slack_api_url.rstrip("/")
        base = base[: -len("/api")] if base.endswith("/api") else base
        return base + "/oauth/v2/authorize"

    @property
    def redirect_uri(self) -> str:
        return self.public_url + "/zoom/oauth/callback"

    @property
    def secrets(self) -> list[str]:
        """Values that must never be printed (for the log redactor)."""
        values = [self.slack_signing_secret, self.zoom_client_secret]
        values += [v for v in (self.slack_bot_token, self.zoom_webhook_secret_token, self.slack_client_secret) if v]
        if self.token_encryption_key:
            values += [k.strip() for k in self.token_encryption_key.split(",") if k.strip()]
        return values


def read_environment(environ: Mapping[str, str] | None = None, *, env_file: Path | None = None) -> dict[str, str]:
    """The environment on top of the `.env` file (if there is one)."""
    values: dict[str, str] = {}
    path = env_file if env_file is not None else Path.cwd() / ".env"
    if path.is_file():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: Path | None = None) -> Settings:
    """Read and check every setting; raise SettingsError naming all that are wrong."""
    env = read_environment(environ, env_file=env_file)

    def get(name: str) -> str | None:
        value = env.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    missing = [name for name in REQUIRED if not get(name)]
    invalid: list[str] = []
    if not get("SLACK_BOT_TOKEN") and not (get("SLACK_CLIENT_ID") and get("SLACK_CLIENT_SECRET")):
        missing.insert(0, SLACK_CREDENTIALS)
    if get("SLACK_BOT_TOKEN") and (get("SLACK_CLIENT_ID") or get("SLACK_CLIENT_SECRET")):
        invalid.append(
            "set SLACK_BOT_TOKEN for one workspace, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
            "for any number of workspaces, not both"
        )

    def url(name: str, default: str, *, trailing_slash: bool = False) -> str:
        value = get(name) or default
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            invalid.append(f"{name} must be an http(s) URL such as {default}")
            return default
        value = value.rstrip("/")
        return value + "/" if trailing_slash else value

    def integer(name: str, default: int, low: int, high: int) -> int:
        raw = get(name)
        if raw is None:
            return default
        try:
            number = int(raw)
        except ValueError:
            invalid.append(f"{name} must be a whole number between {low} and {high}")
            return default
        if not low <= number <= high:
            invalid.append(f"{name} must be a whole number between {low} and {high}")
            return default
        return number

    def boolean(name: str, default: bool) -> bool:
        raw = get(name)
        if raw is None:
            return default
        if raw.lower() in TRUE_WORDS:
            return True
        if raw.lower() in FALSE_WORDS:
            return False
        invalid.append(f"{name} must be true or false (also accepted: 1/0, yes/no)")
        return default

    public_url = ""
    if get("PUBLIC_URL"):
        public_url = url("PUBLIC_URL", "https://zoombot.example.com")
    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        invalid.append("LOG_LEVEL must be one of " + ", ".join(LOG_LEVELS))
        log_level = "INFO"
    log_format = (get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        invalid.append("LOG_FORMAT must be text or json")
        log_format = "text"
    database_url = get("DATABASE_URL") or "sqlite:///zoombot.db"
    if "://" not in database_url:
        invalid.append("DATABASE_URL must be an SQLAlchemy URL such as sqlite:///zoombot.db or postgresql+psycopg://user@host/db")

    settings = Settings(
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_client_id=get("SLACK_CLIENT_ID"),
        slack_client_secret=get("SLACK_CLIENT_SECRET"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET") or "",
        zoom_client_id=get("ZOOM_CLIENT_ID") or "",
        zoom_client_secret=get("ZOOM_CLIENT_SECRET") or "",
        public_url=public_url,
        database_url=database_url,
        port=integer("PORT", 3000, 0, 65535),
        log_level=log_level,
        log_format=log_format,
        zoom_oauth_url=url("ZOOM_OAUTH_URL", "https://zoom.us"),
        zoom_api_url=url("ZOOM_API_URL", "https://api.zoom.us/v2"),
        slack_api_url=url("SLACK_API_URL", "https://slack.com/api/", trailing_slash=True),
        token_encryption_key=get("TOKEN_ENCRYPTION_KEY"),
        zoom_webhook_secret_token=get("ZOOM_WEBHOOK_SECRET_TOKEN"),
        db_pool_size=integer("DB_POOL_SIZE", 8, 1, 100),
        web_threads=integer("WEB_THREADS", 16, 1, 256),
        worker_threads=integer("WORKER_THREADS", 64, 1, 512),
        task_processes=integer("TASK_PROCESSES", 1, 0, 16),
        auto_migrate=boolean("AUTO_MIGRATE", True),
    )
    if missing or invalid:
        raise SettingsError(missing, invalid)
    return settings
