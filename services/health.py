"""`python bot.py check`: is everything zoombot depends on reachable and configured right?"""
from __future__ import annotations

from dataclasses import dataclass

import requests
from slack_sdk.errors import SlackApiError

from settings import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_slack(settings: Settings) -> Check:
    if settings.distributed:
        return Check("Slack", True, "distributed app: each workspace's token is checked when it installs")
    from .slack_client import make_slack_client

    try:
        answer = make_slack_client(settings.slack_api_url, settings.slack_bot_token).auth_test()
        return Check("Slack", True, f"auth.test ok: bot {answer.get('user')} in team {answer.get('team')} ({answer.get('team_id')})")
    except SlackApiError as exc:
        return Check("Slack", False, f"auth.test refused the bot token: {exc.response.get('error')}")
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return Check("Slack", False, f"Slack could not be reached at {settings.slack_api_url} ({type(exc).__name__})")


def check_zoom(settings: Settings) -> Check:
    """Ask Zoom's token endpoint to refresh a token that cannot exist: the kind of refusal
    tells whether the client id and secret are right, without touching any user's grant."""
    url = settings.zoom_oauth_url.rstrip("/") + "/oauth/token"
    try:
        response = requests.post(
            url, data={"grant_type": "refresh_token", "refresh_token": "zoombot-check"},
            auth=(settings.zoom_client_id, settings.zoom_client_secret), timeout=10,
        )
    except requests.RequestException as exc:
        return Check("Zoom", False, f"Zoom's token endpoint could not be reached at {url} ({type(exc).__name__})")
    try:
        error = str(response.json().get("error") or "")
    except ValueError:
        error = ""
    if response.status_code == 401 or error == "invalid_client":
        return Check("Zoom", False, "Zoom refused ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET (invalid_client)")
    if response.status_code in (400, 200):
        return Check("Zoom", True, f"token endpoint reachable at {url}; client credentials accepted")
    return Check("Zoom", False, f"Zoom's token endpoint answered HTTP {response.status_code}")


def check_database(settings: Settings) -> Check:
    from storage.db import Database

    db = Database.from_url(settings.database_url, pool_size=1)
    try:
        if not db.ping():
            return Check("Database", False, f"cannot open {db.engine.url.render_as_string(hide_password=True)}")
        detail = f"{db.engine.dialect.name} reachable"
        try:
            from storage.migrate import pending

            if pending(db.engine):
                if getattr(settings, "auto_migrate", True):
                    return Check("Database", True, detail + "; pending migrations will be applied at start")
                return Check("Database", False, detail + ", but migrations are pending: run python bot.py migrate")
            detail += ", schema up to date"
        except ImportError:
            pass
        return Check("Database", True, detail)
    finally:
        db.dispose()


def check_key(settings: Settings) -> Check:
    from storage.crypto import EncryptionKeyError, TokenCipher
    from storage.keys import key_file_for

    if settings.token_encryption_key:
        try:
            TokenCipher([k for k in settings.token_encryption_key.split(",") if k.strip()])
        except EncryptionKeyError as exc:
            return Check("Encryption key", False, str(exc))
        return Check("Encryption key", True, "TOKEN_ENCRYPTION_KEY is set and well formed")
    path = key_file_for(settings.database_url)
    if path is None:
        return Check("Encryption key", False, "TOKEN_ENCRYPTION_KEY is required with this DATABASE_URL")
    return Check("Encryption key", True, f"key file {path} ({'exists' if path.exists() else 'made at first start'})")


def run_checks(settings: Settings) -> list[Check]:
    return [Check("Settings", True, "all required settings present")] + [
        check(settings) for check in (check_key, check_database, check_slack, check_zoom)
    ]
