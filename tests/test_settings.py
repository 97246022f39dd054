"""Settings: every one read, every mistake named, no secret shown."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_SIGNING_SECRET": "sign-secret-value",
    "ZOOM_CLIENT_ID": "cid",
    "ZOOM_CLIENT_SECRET": "zoom-secret-value",
    "PUBLIC_URL": "https://bot.example.com/",
}


def test_defaults(tmp_path):
    settings = load_settings(GOOD, env_file=tmp_path / "none")
    assert settings.public_url == "https://bot.example.com"
    assert settings.redirect_uri == "https://bot.example.com/zoom/oauth/callback"
    assert settings.database_url == "sqlite:///zoombot.db"
    assert settings.port == 3000 and settings.log_level == "INFO"
    assert settings.zoom_oauth_url == "https://zoom.us"
    assert settings.zoom_api_url == "https://api.zoom.us/v2"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert "zoom-secret-value" not in repr(settings) and "sign-secret-value" not in repr(settings)


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ZOOM_CLIENT_ID=from-file\nPORT=4000\n")
    settings = load_settings({**GOOD, "ZOOM_CLIENT_ID": "from-env"}, env_file=env_file)
    assert settings.zoom_client_id == "from-env" and settings.port == 4000


def test_every_missing_setting_is_named(tmp_path):
    with pytest.raises(SettingsError) as caught:
        load_settings({"ZOOM_CLIENT_ID": "x"}, env_file=tmp_path / "none")
    assert caught.value.missing == [
        "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)", "SLACK_SIGNING_SECRET", "ZOOM_CLIENT_SECRET", "PUBLIC_URL",
    ]


def test_client_id_and_secret_stand_in_for_a_bot_token(tmp_path):
    env = {k: v for k, v in GOOD.items() if k != "SLACK_BOT_TOKEN"}
    settings = load_settings({**env, "SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "cs-secret-value"}, env_file=tmp_path / "none")
    assert settings.distributed and settings.slack_bot_token is None
    assert settings.slack_oauth_url == "https://slack.com/oauth/v2/authorize"
    assert "cs-secret-value" not in repr(settings)
    with pytest.raises(SettingsError) as caught:
        load_settings({**env, "SLACK_CLIENT_ID": "111.222"}, env_file=tmp_path / "none")
    assert "SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)" in caught.value.missing


@pytest.mark.parametrize(
    "name,value,phrase",
    [
        ("PORT", "eighty", "PORT must be a whole number"),
        ("PORT", "70000", "PORT must be a whole number"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of"),
        ("PUBLIC_URL", "bot.example.com", "PUBLIC_URL must be an http(s) URL"),
        ("ZOOM_API_URL", "ftp://x", "ZOOM_API_URL must be an http(s) URL"),
        ("DATABASE_URL", "zoombot.db", "DATABASE_URL must be an SQLAlchemy URL"),
    ],
)
def test_bad_values_are_explained(tmp_path, name, value, phrase):
    with pytest.raises(SettingsError) as caught:
        load_settings({**GOOD, name: value}, env_file=tmp_path / "none")
    assert any(phrase in line for line in caught.value.lines())
    for secret in ("sign-secret-value", "zoom-secret-value"):
        assert secret not in str(caught.value)


def test_bot_py_names_every_missing_setting_in_one_line_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOOM_", "PUBLIC_URL"))}
    result = subprocess.run([sys.executable, str(ROOT / "bot.py")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "PUBLIC_URL"):
        assert name in lines[0]
    assert "Traceback" not in result.stderr
