"""What every benchmark shares: the fakes in their own process, the bot as a subprocess,
seeding many connected users at once, signed slash commands, memory readings, tables, JSON.

Everything listens on 127.0.0.1 only, and every wait here is bounded.
"""
from __future__ import annotations

import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import urlencode

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIGNING_SECRET = "bench-signing-secret-4c1e9a"
ZOOM_CLIENT_ID = "bench-zoom-client-id"
ZOOM_CLIENT_SECRET = "bench-zoom-client-secret-77b2"
BOT_TOKEN = "xoxb-bench-bot-token-1903"
TEAM_ID = "T0BENCH"
# A fixed Fernet key, so that the bench process can encrypt what the bot will decrypt.
ENCRYPTION_KEY = "5Zb6b2wTq0v2m3uP0y3b7p2n6kY8c1fH4qK9sR2tU0w="
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# Not the `test` database: the test suite drops every table there when it starts.
POSTGRES_BENCH_DB = "zoombot_bench"


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    # The servers a script starts live in sessions of their own: only the script's `finally`
    # stops them, and Python's default SIGTERM skips it (kill, timeout), leaving them running.
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _exit_on_sigterm)


def user_id(index: int) -> str:
    return f"UB{index:07d}"


def email_of(index: int) -> str:
    return f"bench{index}@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the fakes, in a process of their own -----------------------------------------------
#
# The fake Zoom and Slack are Python servers too; in the bot's or the load generator's
# process they would share a GIL with what is measured. Here they run in a child process
# and the benchmark drives them through a pipe.


def _fakes_main(address: str) -> None:
    """The fakes' process: serve Zoom and Slack, and answer the benchmark's calls on `address`."""
    from multiprocessing.connection import Listener

    from sandbox.fakes.slack import FakeSlack
    from sandbox.fakes.zoom import FakeZoom

    listener = Listener(address, family="AF_UNIX", authkey=os.environ["BENCH_FAKES_AUTHKEY"].encode())
    conn = listener.accept()
    class TimedSlack(FakeSlack):
        """FakeSlack that also notes when each response_url post and each DM arrived."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.response_arrivals: dict[str, list[float]] = {}
            self.dm_arrivals: list[tuple[str, float]] = []

        def _post_response(self, response_id: str) -> Any:
            response = super()._post_response(response_id)
            if response.status_code == 200:
                with self._lock:
                    self.response_arrivals.setdefault(response_id, []).append(time.time())
            return response

        def _post_message(self, params: dict[str, Any]) -> Any:
            response = super()._post_message(params)
            if response.status_code == 200 and (response.get_json() or {}).get("ok"):
                with self._lock:
                    self.dm_arrivals.append((str(params.get("channel")), time.time()))
            return response

    class LoggedZoom(FakeZoom):
        """FakeZoom that notes every refresh it answered (not the ones it rate limited)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.refresh_log: list[tuple[float, str, str]] = []  # (time, email, outcome)

        def _refresh(self, form: dict[str, str]) -> Any:  # called under the lock
            presented = form.get("refresh_token", "")
            grant = self._refresh_tokens.get(presented)
            reused = grant is not None and grant.refresh_token != presented
            response = super()._refresh(form)
            if grant is None:
                outcome = "unknown"
            elif response.status_code == 200:
                outcome = "ok"
            else:
                outcome = "reused" if reused else "refused"
            self.refresh_log.append((time.time(), grant.email if grant else "", outcome))
            return response

    zoom = LoggedZoom(ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET).start()
    slack = TimedSlack(BOT_TOKEN, team_id=TEAM_ID).start()
    host = _FakesHost(zoom, slack)
    conn.send({"zoom_url": zoom.url, "slack_url": slack.url, "slack_api_url": slack.api_url})
    try:
        while True:
            try:
                name, kwargs = conn.recv()
            except EOFError:
                break
            if name == "stop":
                break
            try:
                conn.send(("ok", getattr(host, name)(**kwargs)))
            except Exception as exc:  # noqa: BLE001 - reported to the benchmark
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        zoom.stop()
        slack.stop()
        listener.close()


class _FakesHost:
    """The calls a benchmark can make on the fakes (run in the fakes' process)."""

    def __init__(self, zoom: Any, slack: Any) -> None:
        self.zoom = zoom
        self.slack = slack

    def configure(self, zoom: dict[str, Any] | None = None, slack: dict[str, Any] | None = None) -> None:
        for target, knobs in ((self.zoom, zoom or {}), (self.slack, slack or {})):
            for name, value in knobs.items():
                if not hasattr(target, name):
                    raise AttributeError(f"{type(target).__name__} has no knob {name!r}")
                setattr(target, name, value)

    def add_users(self, start: int, count: int, tz: str, meeting_at: datetime | None = None) -> list[dict[str, Any]]:
        """Slack members with Zoom users and fresh Zoom tokens; returns what the bot stores."""
        made = []
        for index in range(start, start + count):
            self.slack.add_user(user_id(index), name=f"bench{index}", tz=tz, team_id=TEAM_ID)
            user = self.zoom.add_user(email_of(index), timezone=tz)
            if meeting_at is not None:
                self.zoom.add_meeting(email_of(index), topic=f"Standup {index}", start_time=meeting_at)
            tokens = self.zoom.issue_tokens(email_of(index))
            made.append({
                "index": index, "user_id": user_id(index), "email": email_of(index),
                "zoom_user_id": user["id"], "zoom_account_id": user["account_id"],
                "access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                "scope": tokens["scope"],
            })
        return made

    def new_response_urls(self, count: int) -> list[str]:
        return [self.slack.new_response_url() for _ in range(count)]

    def response_arrivals(self, response_ids: list[str]) -> dict[str, list[float]]:
        with self.slack._lock:
            return {rid: list(self.slack.response_arrivals.get(rid, [])) for rid in response_ids}

    def responses_delivered(self) -> int:
        with self.slack._lock:
            return sum(len(times) for times in self.slack.response_arrivals.values())

    def dm_arrivals(self) -> list[tuple[str, float]]:
        with self.slack._lock:
            return list(self.slack.dm_arrivals)

    def refresh_log(self) -> list[tuple[float, str, str]]:
        with self.zoom._lock:
            return list(self.zoom.refresh_log)

    def current_refresh_tokens(self) -> dict[str, str]:
        with self.zoom._lock:
            return {grant.email: grant.refresh_token for grant in self.zoom._refresh_tokens.values()}

    def counters(self) -> dict[str, int]:
        with self.zoom._lock:
            zoom = {
                "zoom_rate_limited": self.zoom.rate_limited_count,
                "zoom_api_calls": len(self.zoom.api_calls),
                "zoom_token_calls": len(self.zoom.token_calls),
                "zoom_refreshes": self.zoom.refresh_count,
            }
        with self.slack._lock:
            slack = {
                "slack_rate_limited": self.slack.rate_limited_count,
                "slack_calls": len(self.slack.calls),
                "slack_messages": len(self.slack.messages),
            }
        return {**zoom, **slack}

    def forget_history(self) -> None:
        """Drop what the fakes recorded so far (between rounds; users and grants stay)."""
        with self.zoom._lock:
            self.zoom.api_calls.clear()
            self.zoom.token_calls.clear()
            self.zoom.refresh_calls.clear()
            self.zoom.refresh_log.clear()
            self.zoom.rate_limited_count = 0
        with self.slack._lock:
            self.slack.calls.clear()
            self.slack.messages.clear()
            self.slack.token_uses.clear()
            self.slack.dm_arrivals.clear()
            self.slack.response_arrivals.clear()
            self.slack.rate_limited_count = 0

    def pid(self) -> int:
        return os.getpid()


class Fakes:
    """Fake Zoom and fake Slack, serving on 127.0.0.1 from a child process."""

    def __init__(self) -> None:
        import secrets
        from multiprocessing.connection import Client

        self._socket = Path(tempfile.mkdtemp(prefix="zoombot-bench-fakes-")) / "control"
        authkey = secrets.token_hex(16)
        self._process = subprocess.Popen(
            [sys.executable, str(BENCH / "common.py"), "fakes", str(self._socket)],
            env={**os.environ, "BENCH_FAKES_AUTHKEY": authkey}, cwd=ROOT,
        )
        if not wait_until(lambda: self._socket.exists() or self._process.poll() is not None, timeout=60, interval=0.05):
            raise RuntimeError("the fakes did not start within 60 s")
        if self._process.poll() is not None:
            raise RuntimeError(f"the fakes exited with {self._process.returncode}")
        self._conn = Client(str(self._socket), family="AF_UNIX", authkey=authkey.encode())
        urls = self._conn.recv()
        self.zoom_url: str = urls["zoom_url"]
        self.slack_url: str = urls["slack_url"]
        self.slack_api_url: str = urls["slack_api_url"]
        self.pid: int = self._process.pid

    def call(self, name: str, **kwargs: Any) -> Any:
        self._conn.send((name, kwargs))
        if not self._conn.poll(300):
            raise RuntimeError(f"the fakes did not answer {name} within 300 s")
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"fakes.{name}: {value}")
        return value

    def stop(self) -> None:
        if self._process.poll() is None:
            try:
                self._conn.send(("stop", {}))
            except (BrokenPipeError, OSError):
                pass
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)

    def __enter__(self) -> "Fakes":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# -- databases and seeding --------------------------------------------------------------


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'zoombot.db'}"


def fresh_postgres_url(server: str = POSTGRES_SERVER, database: str = POSTGRES_BENCH_DB) -> str:
    """An empty database of the benchmarks' own on the PostgreSQL server (made if missing)."""
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    url = f"{server}/{database}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return url


def bot_env(fakes: Fakes, *, database_url: str, port: int = 0, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `python bot.py` gets: every URL points at the fakes."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "ZOOM_CLIENT_ID": ZOOM_CLIENT_ID,
        "ZOOM_CLIENT_SECRET": ZOOM_CLIENT_SECRET,
        "PUBLIC_URL": f"http://127.0.0.1:{port or 3000}",
        "DATABASE_URL": database_url,
        "TOKEN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "ZOOM_OAUTH_URL": fakes.zoom_url,
        "ZOOM_API_URL": fakes.zoom_url + "/v2",
        "SLACK_API_URL": fakes.slack_api_url,
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
    }
    env.update(extra or {})
    return env


def prepare_database(
    env: dict[str, str],
    users: Sequence[dict[str, Any]],
    *,
    now: datetime,
    expires_at: Any,
    digest_at: Any = None,
    tz: str = "America/New_York",
) -> None:
    """Make the schema the way the bot does at start, then store every user in one go.

    `expires_at(user)` and `digest_at(user)` give each user's token expiry and next digest
    (None: no digest due). The rows are what GrantStore.save and PrefsStore.ensure write,
    inserted in bulk: one by one, 10,000 users would take minutes.
    """
    from sqlalchemy import insert

    from bot import create_runtime
    from settings import load_settings
    from storage.crypto import TokenCipher
    from storage.models import GRANT_ACTIVE, UserPrefs, ZoomGrant

    settings = load_settings(env, env_file=Path(tempfile.gettempdir()) / "zoombot-bench-no.env")
    runtime = create_runtime(settings, start_scheduler=False)
    try:
        cipher = TokenCipher([ENCRYPTION_KEY])
        grants = [
            {
                "enterprise_id": "", "team_id": TEAM_ID, "slack_user_id": u["user_id"],
                "zoom_user_id": u["zoom_user_id"], "zoom_email": u["email"], "zoom_account_id": u["zoom_account_id"],
                "status": GRANT_ACTIVE, "access_token_enc": cipher.encrypt(u["access_token"]),
                "refresh_token_enc": cipher.encrypt(u["refresh_token"]), "expires_at": expires_at(u),
                "scopes": u["scope"], "created_at": now, "updated_at": now, "last_refreshed_at": now,
                "refresh_failures": 0, "next_refresh_at": None, "reconnect_notified_at": None,
            }
            for u in users
        ]
        prefs = [
            {
                "enterprise_id": "", "team_id": TEAM_ID, "slack_user_id": u["user_id"], "tz": tz,
                "tz_checked_at": now, "digest_enabled": True, "digest_minute": 8 * 60, "digest_days": "daily",
                "digest_when_empty": False, "remind_minutes": None,
                "next_digest_at": digest_at(u) if digest_at else None, "created_at": now, "updated_at": now,
            }
            for u in users
        ]
        db = runtime.services.db
        for start in range(0, len(grants), 2000):
            with db.session() as session:
                session.execute(insert(ZoomGrant), grants[start : start + 2000])
                session.execute(insert(UserPrefs), prefs[start : start + 2000])
    finally:
        runtime.close()


# -- the bot (and the bare app) as subprocesses -----------------------------------------


class ServerProcess:
    """`python bot.py` (or the bare app), started with `env` in a scratch directory."""

    def __init__(self, argv: list[str], env: dict[str, str], *, port: int, workdir: Path, name: str) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            argv, env=env, cwd=workdir, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_healthy(self, timeout: float = 30.0, path: str = "/healthz") -> float:
        """Seconds from start to the first 200 at `path`."""
        deadline = self.started + timeout
        session = requests.Session()
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if session.get(self.url + path, timeout=1).status_code == 200:
                        return time.monotonic() - self.started
                except requests.RequestException:
                    pass
                time.sleep(0.01)
        finally:
            session.close()
        raise RuntimeError(f"{self.name} was not healthy within {timeout} s:\n{self.log_tail()}")

    def worker_pid(self) -> int:
        """The gunicorn worker (the process that answers HTTP)."""
        children = [pid for pid in children_of(self.process.pid) if not _is_task_process(pid)]
        return children[0] if children else self.process.pid

    def task_pids(self) -> list[int]:
        """`python bot.py work` processes beside the web server (TASK_PROCESSES): the work
        after each ack and the scheduled jobs."""
        return [pid for pid in children_of(self.process.pid) if _is_task_process(pid)]

    def pids(self) -> list[int]:
        return [self.process.pid, *children_of(self.process.pid)]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log.close()


def start_bot(env: dict[str, str], *, port: int, workdir: Path, name: str = "zoombot") -> ServerProcess:
    """`python bot.py`, exactly as an operator starts it (gunicorn, one gthread worker)."""
    env = {**env, "PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    return ServerProcess([sys.executable, str(ROOT / "bot.py")], env, port=port, workdir=workdir, name=name)


def start_bare_app(env: dict[str, str], *, port: int, workdir: Path, inline: bool = False) -> ServerProcess:
    env = {**env, "PORT": str(port), "BARE_INLINE": "1" if inline else "0"}
    return ServerProcess([sys.executable, str(BENCH / "bare_app.py")], env, port=port, workdir=workdir,
                         name="bare-inline" if inline else "bare")


def run_job(job: str, env: dict[str, str], *, deadline: float, workdir: Path,
            worker: Path = BENCH / "job_worker.py") -> dict[str, Any]:
    """Run bench/job_worker.py JOB (the bot's own runtime, no HTTP) and return its report."""
    log_path = workdir / f"{job}-worker.log"
    with open(log_path, "wb") as log:
        finished = subprocess.run(
            [sys.executable, str(worker), job], env={**env, "BENCH_DEADLINE": str(deadline)},
            cwd=workdir, stdout=subprocess.PIPE, stderr=log, timeout=max(60.0, deadline - time.time() + 120),
            check=False,
        )
    lines = [l for l in finished.stdout.decode().splitlines() if l.startswith("{")]
    if finished.returncode != 0 or not lines:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"job_worker {job} failed ({finished.returncode}):\n{tail}")
    report = json.loads(lines[-1])
    report["log"] = str(log_path)
    return report


def _is_task_process(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"work" in argv


def children_of(pid: int) -> list[int]:
    """Every child of `pid`, whichever of its threads started it."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.extend(int(p) for p in (task / "children").read_text().split())
    except OSError:
        pass
    return sorted(found)


# -- measuring -----------------------------------------------------------------------------


def memory_of(pid: int) -> dict[str, float]:
    """Resident (rss), peak resident (hwm) and proportional (pss) memory, in MB."""
    out = {"rss": 0.0, "hwm": 0.0, "pss": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                out["hwm"] = int(line.split()[1]) / 1024
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else 0.0


def signed_command(user: str, response_url: str, *, text: str = "meetings", timestamp: int | None = None) -> tuple[str, str, bytes]:
    """A `/zoom` slash command as Slack sends it: (timestamp, signature, form body)."""
    import secrets

    from slack_sdk.signature import SignatureVerifier

    fields = [
        ("token", "deprecated-verification-token"), ("team_id", TEAM_ID), ("team_domain", "bench"),
        ("channel_id", "C0BENCH"), ("channel_name", "general"), ("user_id", user), ("user_name", user.lower()),
        ("command", "/zoom"), ("text", text), ("api_app_id", "A0ZOOMBOT"), ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**13)}.{secrets.token_hex(16)}"),
    ]
    body = urlencode(fields).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return ts, SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body), body


def wait_until(check: Any, *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Profiler:
    """py-spy recording one process while a `with` block runs (collapsed stacks, for stacks.py).

    `gil=True` keeps only samples that hold the GIL (where the CPU goes); `idle=True` keeps
    waiting threads too (where the time goes).
    """

    def __init__(self, pid: int, path: Path | None, *, gil: bool = False, idle: bool = False, seconds: int = 600) -> None:
        self.pid, self.path, self.gil, self.idle, self.seconds = pid, path, gil, idle, seconds
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Profiler":
        if self.path is None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        argv = ["py-spy", "record", "--pid", str(self.pid), "--rate", "200", "--format", "raw",
                "--output", str(self.path), "--nonblocking", "--duration", str(self.seconds)]
        argv += ["--gil"] if self.gil else []
        argv += ["--idle"] if self.idle else []
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # py-spy attaches
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGINT)  # py-spy writes what it has on Ctrl-C
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()


# -- reporting -----------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable in a terminal and pasteable into bench/README.md)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def write_results(name: str, data: dict[str, Any]) -> Path:
    """bench/results/NAME-<time>.json, plus NAME-latest.json beside it."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    data = {
        "benchmark": name,
        "finished_at": stamp,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        **data,
    }
    path = RESULTS / f"{name}-{stamp}.json"
    text = json.dumps(data, indent=2, default=str)
    path.write_text(text)
    (RESULTS / f"{name}-latest.json").write_text(text)
    return path


def scratch_dir(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"zoombot-bench-{name}-"))


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "fakes":
    _fakes_main(sys.argv[2])
