"""Several bot processes on one PostgreSQL database: one refresh per grant, whatever the race."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from bot import create_runtime
from settings import load_settings
from storage.grants import NewTokens
from tests.harness import SIGNING_SECRET, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, BOT_TOKEN

ROOT = Path(__file__).resolve().parent.parent
GRANTS = 40
PROCESSES = 3


def bot_env(postgres_url: str, zoom, slack, key: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "ZOOM_CLIENT_ID": ZOOM_CLIENT_ID,
        "ZOOM_CLIENT_SECRET": ZOOM_CLIENT_SECRET,
        "PUBLIC_URL": "http://127.0.0.1:9",
        "DATABASE_URL": postgres_url,
        "TOKEN_ENCRYPTION_KEY": key,
        "ZOOM_OAUTH_URL": zoom.url,
        "ZOOM_API_URL": zoom.api_url,
        "SLACK_API_URL": slack.api_url,
        "LOG_LEVEL": "WARNING",
    }


def run_workers(env: dict[str, str], tmp_path: Path, mode: str) -> list[dict]:
    """PROCESSES bot processes, started together, each doing `mode`; their JSON reports."""
    go = tmp_path / f"go-{mode}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.pg_worker", str(go), "4", mode],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for proc in procs:
            assert json.loads(proc.stdout.readline()) == {"ready": True}
        go.touch()  # all at once
        reports = []
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for proc in procs:  # never leave a worker waiting for a go that will not come
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def seed_expired_grants(env: dict[str, str], zoom, count: int) -> None:
    runtime = create_runtime(load_settings(env, env_file=Path("/nonexistent")), create_tables=False, start_scheduler=False)
    try:
        now = runtime.services.clock()
        for index in range(count):
            email = f"user{index}@example.com"
            user = zoom.add_user(email)
            tokens = zoom.issue_tokens(email)
            runtime.services.grants.save(
                team_id="T0TEAM1",
                user_id=f"U{index:05d}",
                zoom_user_id=user["id"],
                zoom_email=email,
                zoom_account_id=user["account_id"],
                tokens=NewTokens(tokens["access_token"], tokens["refresh_token"], now - timedelta(minutes=1), tokens["scope"]),
                now=now,
            )
    finally:
        runtime.close()


def test_three_processes_refresh_each_expired_grant_exactly_once(postgres_url, zoom, slack, tmp_path):
    env = bot_env(postgres_url, zoom, slack, Fernet.generate_key().decode())
    seed_expired_grants(env, zoom, GRANTS)
    zoom.token_delay = 0.05  # a refresh takes a moment, as at Zoom: racers overlap
    reports = run_workers(env, tmp_path, "refresh")
    assert all(r["errors"] == 0 for r in reports), reports
    assert sum(r["ok"] for r in reports) == PROCESSES * 4 * GRANTS
    assert zoom.refresh_count == GRANTS
    assert len(zoom.refresh_calls) == GRANTS, "a refresh token was presented twice"
    assert len(set(zoom.refresh_calls)) == GRANTS


def test_three_processes_send_each_due_digest_exactly_once(postgres_url, zoom, slack, tmp_path):
    from collections import Counter
    from datetime import datetime, timezone

    from tests.seeding import seed_users

    env = bot_env(postgres_url, zoom, slack, Fernet.generate_key().decode())
    runtime = create_runtime(load_settings(env, env_file=Path("/nonexistent")), create_tables=False, start_scheduler=False)
    now = datetime.now(timezone.utc)
    try:
        users = seed_users(runtime.services, zoom, slack, 60, now=now, digest_due=now - timedelta(minutes=1),
                           meeting_at=now + timedelta(minutes=30), tz="UTC")
    finally:
        runtime.close()
    zoom.api_delay = 0.02
    reports = run_workers(env, tmp_path, "digest")
    assert sum(r["sent"] for r in reports) == 60, reports
    assert sum(1 for r in reports if r["sent"]) >= 2, f"one process did all the work: {reports}"
    per_user = Counter(m["channel"] for m in slack.messages if "Your Zoom meetings today" in str(m.get("blocks")))
    assert set(per_user) == set(users) and set(per_user.values()) == {1}
