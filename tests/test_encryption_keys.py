"""TOKEN_ENCRYPTION_KEY: made for SQLite, required elsewhere, checked at start, rotatable."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot import StartupError, create_runtime
from settings import load_settings
from tests.conftest import ALICE
from tests.flows import connect
from tests.harness import BotServer

ROOT = Path(__file__).resolve().parent.parent


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s" * 12, "ZOOM_CLIENT_ID": "c",
        "ZOOM_CLIENT_SECRET": "z" * 12, "PUBLIC_URL": "http://127.0.0.1:9",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", **extra,
    }


def test_sqlite_without_a_key_creates_one_beside_the_database_once(tmp_path):
    settings = load_settings(env_for(tmp_path), env_file=tmp_path / "none")
    create_runtime(settings, start_scheduler=False).close()
    key_file = tmp_path / "k.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_text()
    Fernet(first.strip().encode())
    create_runtime(settings, start_scheduler=False).close()
    assert key_file.read_text() == first


def test_another_database_without_a_key_is_a_startup_error_naming_the_setting(tmp_path):
    settings = load_settings(env_for(tmp_path, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"), env_file=tmp_path / "none")
    with pytest.raises(StartupError, match="TOKEN_ENCRYPTION_KEY is required"):
        create_runtime(settings, start_scheduler=False)


def test_a_malformed_key_is_a_startup_error_that_does_not_echo_it(tmp_path):
    settings = load_settings(env_for(tmp_path, TOKEN_ENCRYPTION_KEY="not-a-key-at-all"), env_file=tmp_path / "none")
    with pytest.raises(StartupError) as caught:
        create_runtime(settings, start_scheduler=False)
    assert "TOKEN_ENCRYPTION_KEY" in str(caught.value) and "not-a-key-at-all" not in str(caught.value)


def test_a_wrong_key_fails_at_start_not_at_the_first_request(tmp_path, zoom, slack, clock, sender):
    # `sender` brings up the bot with its own key file; connect one user, then swap the key.
    connect(sender)
    wrong = Fernet.generate_key().decode()
    settings = load_settings(env_for(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'zoombot.db'}", TOKEN_ENCRYPTION_KEY=wrong), env_file=tmp_path / "none")
    with pytest.raises(StartupError, match="cannot be decrypted"):
        create_runtime(settings, start_scheduler=False)


def test_rotate_key_reencrypts_every_row_with_the_first_key(tmp_path, zoom, slack, clock):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    server = BotServer(tmp_path=tmp_path, zoom_url=zoom.url, slack_api_url=slack.api_url, clock=clock,
                       extra_env={"TOKEN_ENCRYPTION_KEY": old})
    from tests.fakes.slack_signing import SlackRequestSender
    from tests.harness import SIGNING_SECRET

    connect(SlackRequestSender(server.url, SIGNING_SECRET, slack))
    token = server.services.grants.find(team_id=slack.team_id, user_id=ALICE).refresh_token
    server.stop()
    env = {**os.environ, **env_for(tmp_path, DATABASE_URL=server.settings.database_url, TOKEN_ENCRYPTION_KEY=f"{new},{old}")}
    result = subprocess.run([sys.executable, str(ROOT / "bot.py"), "rotate-key"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "re-encrypted 1 grant(s)" in result.stdout
    only_new = load_settings(env_for(tmp_path, DATABASE_URL=server.settings.database_url, TOKEN_ENCRYPTION_KEY=new), env_file=tmp_path / "none")
    runtime = create_runtime(only_new, start_scheduler=False)
    try:
        assert runtime.services.grants.find(team_id=slack.team_id, user_id=ALICE).refresh_token == token
    finally:
        runtime.close()
    only_old = load_settings(env_for(tmp_path, DATABASE_URL=server.settings.database_url, TOKEN_ENCRYPTION_KEY=old), env_file=tmp_path / "none")
    with pytest.raises(StartupError):
        create_runtime(only_old, start_scheduler=False)
