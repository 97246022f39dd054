"""Running the real bot on a free port against the fakes."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from werkzeug.serving import make_server

from bot import Runtime, create_runtime
from settings import Settings, load_settings

SIGNING_SECRET = "test-signing-secret-8f2d1c"
ZOOM_CLIENT_ID = "zoom-client-id-test"
ZOOM_CLIENT_SECRET = "zoom-client-secret-test-93ad"
BOT_TOKEN = "xoxb-test-bot-token-5521"


class MovableClock:
    """Real time by default; tests move it forward instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = start
        self._lock = threading.Lock()

    @classmethod
    def ticking_from(cls, start: datetime) -> "MovableClock":
        """A clock that reads `start` now and then moves with real time (for rate windows)."""
        clock = cls()
        clock._offset = start - datetime.now(timezone.utc)
        return clock

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(timezone.utc) + self._offset

    def time(self) -> float:
        return self.now().timestamp()

    def advance(self, **delta: float) -> None:
        with self._lock:
            step = timedelta(**delta)
            if self._frozen is not None:
                self._frozen += step
            else:
                self._offset += step

    def __call__(self) -> datetime:
        return self.now()


class _Swappable:
    """A WSGI app that can be set after the server has bound its port."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None, "bot not started"
        return self.app(environ, start_response)


class BotServer:
    """The real bot (Bolt + Flask + services) serving on 127.0.0.1:<free port>."""

    def __init__(self, *, tmp_path: Path, zoom_url: str, slack_api_url: str, clock: MovableClock,
                 database_url: str | None = None, extra_env: dict[str, str] | None = None) -> None:
        self._swap = _Swappable()
        self._server = make_server("127.0.0.1", 0, self._swap, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "ZOOM_CLIENT_ID": ZOOM_CLIENT_ID,
            "ZOOM_CLIENT_SECRET": ZOOM_CLIENT_SECRET,
            "PUBLIC_URL": self.url,
            "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'zoombot.db'}",
            "ZOOM_OAUTH_URL": zoom_url,
            "ZOOM_API_URL": zoom_url + "/v2",
            "SLACK_API_URL": slack_api_url,
            "LOG_LEVEL": "DEBUG",
        }
        env.update(extra_env or {})
        self.settings: Settings = load_settings(env, env_file=tmp_path / "no.env")
        self.clock = clock
        self.sleeps: list[float] = []
        self.runtime: Runtime = create_runtime(self.settings, clock=clock, sleep=self._sleep, start_scheduler=False)
        self._swap.app = self.runtime.web
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _sleep(self, seconds: float) -> None:
        # Zoom's Retry-After is honoured for real (it is short in tests), and recorded.
        import time

        self.sleeps.append(seconds)
        time.sleep(min(seconds, 2.0))

    @property
    def services(self) -> Any:
        return self.runtime.services

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.runtime.close()
