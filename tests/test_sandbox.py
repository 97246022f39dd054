"""The sandbox without a browser: its seed, its transcript, its command line, its guard."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from slack_sdk import WebClient

from sandbox.fakes import FakeSlack, FakeZoom
from sandbox.seed import DEMO_EMAIL, UNTRUSTED_TOPIC, seed_week
from sandbox.transcript import DM, Transcript

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("day", range(7))
@pytest.mark.parametrize("hour", [time(0, 3), time(12, 0), time(23, 50)])
def test_the_seeded_week_fits_the_meetings_window_whatever_the_day_and_hour(day, hour):
    now = datetime.combine(date(2026, 12, 7) + timedelta(days=day), hour, tzinfo=TZ)  # a Monday + day
    zoom = FakeZoom("id", "secret", clock=now.timestamp)
    seed_week(zoom, TZ, now=now)
    meetings = zoom._meetings[DEMO_EMAIL]
    today = now.date()
    days = {m.start.astimezone(TZ).date() for m in meetings}
    assert min(days) >= today and max(days) <= today + timedelta(days=6)
    standups = [m for m in meetings if m.data["topic"] == "Standup"]
    assert len(standups) == 5 and all(m.start.astimezone(TZ).weekday() < 5 for m in standups)
    untrusted = [m for m in meetings if m.data["topic"] == UNTRUSTED_TOPIC]
    assert len(untrusted) == 1 and untrusted[0].start > now
    ongoing = [m for m in meetings if m.start <= now < m.end]
    assert [m.data["topic"] for m in ongoing] == ["Customer call: Acme Corp"]
    assert ongoing[0].start.astimezone(TZ).date() == today


@pytest.fixture
def slack():
    fake = FakeSlack("xoxb-sandbox-test").start()
    fake.add_user("U0DEMO", name="dana")
    yield fake
    fake.stop()


def test_the_transcript_follows_response_urls_and_chat_updates_like_slack(slack):
    transcript = Transcript(slack, user_id="U0DEMO", dm_channel_id="D0DEMO", channel_id="C0GENERAL")
    origin = transcript.add("channel", "zoombot", "ack", {"text": "first"})
    url = slack.new_response_url()
    transcript.watch(url, conversation="channel", origin=origin.id)

    requests.post(url, json={"text": "second"}, timeout=5)
    requests.post(url, json={"text": "first, replaced", "replace_original": True}, timeout=5)
    client = WebClient(token="xoxb-sandbox-test", base_url=slack.api_url)
    posted = client.chat_postMessage(channel="U0DEMO", text="a DM")
    transcript.sync()
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="a DM, edited")
    client.chat_postMessage(channel="C0ELSEWHERE", text="not shown")
    transcript.sync()
    transcript.sync()  # taking in twice adds nothing

    shown = [(e["conversation"], e["text"], e["rev"]) for e in transcript.entries()]
    assert shown == [("channel", "first, replaced", 1), ("channel", "second", 0), (DM, "a DM, edited", 1)]
    requests.post(url, json={"delete_original": True}, timeout=5)
    transcript.sync()
    assert [e["deleted"] for e in transcript.entries()] == [True, False, False]


def test_python_bot_py_sandbox_prints_one_url_serves_the_page_and_stops_on_ctrl_c():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOOM_", "DATABASE_"))}
    process = subprocess.Popen(
        [sys.executable, "bot.py", "sandbox", "--port", "0"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first_line: list[str] = []
        reader = threading.Thread(target=lambda: first_line.append(process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=30)
        assert first_line and first_line[0], "the sandbox printed nothing"
        urls = re.findall(r"http://\S+", first_line[0])
        assert len(urls) == 1 and urls[0].startswith("http://127.0.0.1:"), first_line[0]
        page = requests.get(urls[0], timeout=5)
        assert page.status_code == 200 and "zoombot sandbox" in page.text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        hello = requests.post(urls[0] + "api/hello", json={"timezone": "Europe/Berlin"}, timeout=5).json()
        assert hello["user"]["zoom_email"] == "demo@example.com" and hello["timezone"] == "Europe/Berlin"
        state = requests.post(urls[0] + "api/command", json={"text": "/zoom help"}, timeout=10).json()
        assert any(e["author"] == "zoombot" and e["via"] == "ack" for e in state["entries"])
    finally:
        process.send_signal(signal.SIGINT)
        try:
            rest, errors = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, errors
    assert "http://" not in rest  # one URL, once


def test_the_page_refuses_requests_another_site_could_make():
    from sandbox.app import Sandbox

    with Sandbox(port=0, start_scheduler=False, log_level="WARNING") as box:
        as_form = requests.post(box.url + "api/command", data={"text": "/zoom disconnect"}, timeout=5)
        assert as_form.status_code == 415
        rebound = requests.get(box.url + "api/state", headers={"Host": "evil.example:80"}, timeout=5)
        assert rebound.status_code == 403
        assert box.workspace.transcript.entries() == []
