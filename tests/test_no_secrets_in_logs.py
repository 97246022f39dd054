"""`python bot.py` at DEBUG, driven through every flow: no token or secret in its output."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from tests.conftest import ALICE, ALICE_EMAIL
from tests.fakes.slack_signing import SlackRequestSender
from tests.flows import all_text, connect, connect_url, state_of
from tests.harness import BOT_TOKEN, SIGNING_SECRET, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "zoom-webhook-secret-token-77"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_bot(tmp_path: Path, zoom, slack, extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOOM_"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "ZOOM_CLIENT_ID": ZOOM_CLIENT_ID,
        "ZOOM_CLIENT_SECRET": ZOOM_CLIENT_SECRET,
        "PUBLIC_URL": url,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "ZOOM_OAUTH_URL": zoom.url,
        "ZOOM_API_URL": zoom.api_url,
        "SLACK_API_URL": slack.api_url,
        "LOG_LEVEL": "DEBUG",
        **extra,
    }
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py")], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("bot did not become healthy:\n" + (proc.communicate()[0] or ""))


def signed_webhook(url: str, body: dict) -> requests.Response:
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time() * 1000))
    digest = hmac.new(WEBHOOK_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    headers = {"x-zm-request-timestamp": timestamp, "x-zm-signature": "v0=" + digest, "Content-Type": "application/json"}
    return requests.post(url + "/zoom/webhook", data=raw, headers=headers, timeout=10)


def test_no_secret_reaches_the_log_at_debug(tmp_path, zoom, slack):
    key = Fernet.generate_key().decode()
    proc, url = start_bot(tmp_path, zoom, slack, {"TOKEN_ENCRYPTION_KEY": key, "ZOOM_WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET})
    try:
        sender = SlackRequestSender(url, SIGNING_SECRET, slack)
        now = datetime.now(timezone.utc)
        zoom.add_meeting(ALICE_EMAIL, topic="Standup", start_time=now + timedelta(hours=2))
        # connect, list, a 401/124 refresh, a 429, a replayed callback, a bad signature
        assert connect(sender).status_code == 200
        _, response_url = sender.command("meetings")
        assert "Standup" in all_text(slack.wait_for_response(response_url, timeout=15)[0])
        zoom.expire_access_tokens()
        zoom.rate_limit_next(1, "1")
        _, response_url = sender.command("meetings")
        assert "Standup" in all_text(slack.wait_for_response(response_url, timeout=15)[0])
        assert zoom.refresh_count >= 1
        sender.raw(b"command=/zoom&text=help", "application/x-www-form-urlencoded", signature="v0=bad")
        # the grant dies at Zoom: reconnect DM
        zoom.expire_access_tokens()
        zoom.fail_next_token(400, {"reason": "Invalid Token!", "error": "invalid_grant"})
        _, response_url = sender.command("meetings")
        slack.wait_for_response(response_url, timeout=15)
        slack.wait_for_message(channel=ALICE, predicate=lambda m: "expired" in all_text(m), timeout=10)
        # connect again, then Zoom's webhooks, then disconnect
        assert connect(sender).status_code == 200
        assert signed_webhook(url, {"event": "endpoint.url_validation", "payload": {"plainToken": "abc123"}}).status_code == 200
        slack.add_user("U0BOB", name="bob")
        assert connect(sender, user_id="U0BOB").status_code == 200
        _, response_url = sender.command("disconnect")
        slack.wait_for_response(response_url, timeout=15)
        user_id = zoom.add_user("zed@example.com")["id"]
        signed_webhook(url, {"event": "app_deauthorized", "payload": {"user_id": user_id, "account_id": "a"}})
        requests.get(url + "/zoom/oauth/callback", params={"state": "forged", "code": "zcode_forged"}, timeout=5)
        response, _ = sender.command("connect")
        pending_state = state_of(connect_url(response.json()))
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=40)
    assert "DEBUG" in output, "the bot did not log at DEBUG"
    secrets = set(zoom.issued_secrets) | {BOT_TOKEN, SIGNING_SECRET, ZOOM_CLIENT_SECRET, WEBHOOK_SECRET, key, pending_state}
    assert len(zoom.issued_secrets) >= 6
    leaked = sorted(s for s in secrets if s in output)
    assert not leaked, f"{len(leaked)} secret(s) in the log, e.g. one starting {leaked[0][:6]}"
