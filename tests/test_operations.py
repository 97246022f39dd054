"""Operations: `bot.py check`, /metrics (also across gunicorn workers), log context, SIGTERM."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from tests.conftest import ALICE_EMAIL
from tests.fakes.slack_signing import SlackRequestSender
from tests.flows import all_text, connect
from tests.harness import BOT_TOKEN, SIGNING_SECRET, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET
from tests.test_no_secrets_in_logs import free_port, start_bot

ROOT = Path(__file__).resolve().parent.parent


def base_env(tmp_path, zoom, slack, **extra):
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOOM_"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "ZOOM_CLIENT_ID": ZOOM_CLIENT_ID, "ZOOM_CLIENT_SECRET": ZOOM_CLIENT_SECRET,
        "PUBLIC_URL": "http://127.0.0.1:9", "DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}",
        "ZOOM_OAUTH_URL": zoom.url, "ZOOM_API_URL": zoom.api_url, "SLACK_API_URL": slack.api_url, **extra,
    }


def run_check(env, cwd):
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), "check"], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_check_passes_when_everything_is_reachable(tmp_path, zoom, slack):
    result = run_check(base_env(tmp_path, zoom, slack), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    for name in ("Settings", "Encryption key", "Database", "Slack", "Zoom"):
        assert re.search(rf"^ok\s+{name}", result.stdout, re.M), result.stdout


def test_check_names_what_is_wrong_and_exits_1(tmp_path, zoom, slack):
    env = base_env(tmp_path, zoom, slack, SLACK_BOT_TOKEN="xoxb-wrong", ZOOM_CLIENT_SECRET="wrong-secret")
    result = run_check(env, tmp_path)
    assert result.returncode == 1
    assert re.search(r"^FAIL\s+Slack\s+auth.test refused the bot token: invalid_auth", result.stdout, re.M)
    assert re.search(r"^FAIL\s+Zoom\s+Zoom refused ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET", result.stdout, re.M)
    assert "wrong-secret" not in result.stdout + result.stderr


def test_check_reports_an_unreachable_zoom(tmp_path, zoom, slack):
    env = base_env(tmp_path, zoom, slack, ZOOM_OAUTH_URL=f"http://127.0.0.1:{free_port()}")
    result = run_check(env, tmp_path)
    assert result.returncode == 1 and "could not be reached" in result.stdout


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_commands_zoom_calls_and_grants(sender, bot, zoom):
    before = requests.get(bot.url + "/metrics", timeout=5).text
    connect(sender)
    for _ in range(3):
        sender.command("help")
    text = requests.get(bot.url + "/metrics", timeout=5).text
    assert metric(text, "zoombot_commands_total", subcommand="help") - metric(before, "zoombot_commands_total", subcommand="help") == 3
    assert metric(text, "zoombot_grants", status="active") == 1
    assert metric(text, "zoombot_zoom_api_calls_total", endpoint="oauth/token", outcome="ok") >= 1
    assert metric(text, "zoombot_zoom_api_calls_total", endpoint="users/me", outcome="ok") >= 1


def test_metrics_add_up_across_gunicorn_workers(tmp_path, zoom, slack):
    port = free_port()
    env = base_env(tmp_path, zoom, slack, PORT=str(port), PUBLIC_URL=f"http://127.0.0.1:{port}",
                   WEB_CONCURRENCY="3", WEB_THREADS="4", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"))
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "bot:wsgi()"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        sender = SlackRequestSender(url, SIGNING_SECRET, slack)
        for _ in range(30):
            sender.session.close() if hasattr(sender, "session") else None  # new connections reach other workers
            assert sender.command("status")[0].status_code == 200
        text = requests.get(url + "/metrics", timeout=5).text
        assert metric(text, "zoombot_commands_total", subcommand="status") == 30
    except Exception:
        proc.send_signal(signal.SIGTERM)
        print(proc.communicate(timeout=40)[0][-5000:])
        raise
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=40)
    pids = set(re.findall(r"Booting worker with pid: (\d+)", output))
    assert len(pids) == 3, output


def test_log_lines_name_the_request_team_and_user_as_json(tmp_path, zoom, slack):
    proc, url = start_bot(tmp_path, zoom, slack, {"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
    try:
        sender = SlackRequestSender(url, SIGNING_SECRET, slack)
        connect(sender)
        zoom.expire_access_tokens()  # the next command refreshes and says so in the log
        _, response_url = sender.command("meetings")
        slack.wait_for_response(response_url, timeout=15)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=40)
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    refresh = [e for e in entries if e["message"].startswith("refreshed zoom grant")]
    assert refresh, output[-2000:]
    assert refresh[0]["team_id"] == "T0TEAM1" and refresh[0]["user_id"] == "U0ALICE"
    assert re.fullmatch(r"[0-9a-f]{12}", refresh[0]["request_id"])


def test_sigterm_finishes_work_in_flight_and_exits_within_30_seconds(tmp_path, zoom, slack):
    proc, url = start_bot(tmp_path, zoom, slack, {"LOG_LEVEL": "INFO"})
    sender = SlackRequestSender(url, SIGNING_SECRET, slack)
    connect(sender)
    zoom.add_meeting(ALICE_EMAIL, topic="Standup", start_time=datetime.now(timezone.utc) + timedelta(hours=1))
    zoom.api_delay = 3.0  # the list is still on its way when the bot is told to stop
    response, response_url = sender.command("meetings")
    assert response.status_code == 200
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=40)
    assert time.monotonic() - started < 30
    assert proc.returncode == 0, output[-2000:]
    assert "Standup" in all_text(slack.wait_for_response(response_url, timeout=5)[0])


def task_processes(server_pid: int) -> list[int]:
    """The `python bot.py work` children of a `python bot.py` server."""
    # Each thread's children are listed apart (the server restarts them from a thread).
    children = [pid for tid in Path(f"/proc/{server_pid}/task").iterdir() for pid in (tid / "children").read_text().split()]
    return [int(pid) for pid in children if b"work" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_until(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def test_a_dead_task_process_is_replaced_and_a_command_acked_meanwhile_is_answered(tmp_path, zoom, slack):
    proc, url = start_bot(tmp_path, zoom, slack, {"LOG_LEVEL": "INFO"})
    try:
        sender = SlackRequestSender(url, SIGNING_SECRET, slack)
        connect(sender)
        zoom.add_meeting(ALICE_EMAIL, topic="Standup", start_time=datetime.now(timezone.utc) + timedelta(hours=1))
        assert wait_until(lambda: len(task_processes(proc.pid)) == 1, timeout=10)
        [first] = task_processes(proc.pid)
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: not running(first), timeout=5)

        response, response_url = sender.command("meetings")  # acked while no task process runs

        assert response.status_code == 200
        assert "Standup" in all_text(slack.wait_for_response(response_url, timeout=20)[0])
        [second] = task_processes(proc.pid)
        assert second != first
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=40)
    assert f"task process 1 (pid {first}) exited; starting another in 1 s" in output
    assert proc.returncode == 0, output[-2000:]


def test_task_processes_stop_when_their_server_is_killed_outright(tmp_path, zoom, slack):
    proc, _url = start_bot(tmp_path, zoom, slack, {"LOG_LEVEL": "INFO"})
    try:
        assert wait_until(lambda: len(task_processes(proc.pid)) == 1, timeout=10)
        [task_pid] = task_processes(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the server only: nobody tells its children
        proc.wait(timeout=10)
        assert wait_until(lambda: not running(task_pid), timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_metrics_of_python_bot_py_include_its_task_process(tmp_path, zoom, slack):
    """/metrics is answered by the web worker; the list is made in the task process: the
    task's and Zoom's counters must reach the scrape all the same."""
    proc, url = start_bot(tmp_path, zoom, slack, {"LOG_LEVEL": "INFO"})
    try:
        sender = SlackRequestSender(url, SIGNING_SECRET, slack)
        connect(sender)
        zoom.add_meeting(ALICE_EMAIL, topic="Standup", start_time=datetime.now(timezone.utc) + timedelta(hours=1))
        response, response_url = sender.command("meetings")
        assert response.status_code == 200
        assert "Standup" in all_text(slack.wait_for_response(response_url, timeout=10)[0])

        def scraped() -> str:
            return requests.get(url + "/metrics", timeout=5).text

        assert wait_until(lambda: metric(scraped(), "zoombot_tasks_total", kind="meetings.list", outcome="done") == 1,
                          timeout=5)
        text = scraped()
        assert metric(text, "zoombot_task_wait_seconds_count", kind="meetings.list") == 1
        assert metric(text, "zoombot_zoom_api_calls_total", endpoint="users/me/meetings", outcome="ok") >= 1
        assert metric(text, "zoombot_commands_total", subcommand="meetings") == 1
    finally:
        proc.terminate()
        proc.communicate(timeout=40)
