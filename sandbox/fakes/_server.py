"""Shared plumbing for the fake HTTP servers: a Flask app on a real socket in a daemon thread."""

from __future__ import annotations

import collections
import logging
import threading
from types import TracebackType
from typing import Callable, Deque, Self

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

Clock = Callable[[], float]


class FakeServer:
    """Serves ``self.app`` on 127.0.0.1 at a free port, one thread per request.

    Subclasses build their routes on ``self.app`` in ``__init__`` and guard their state with
    ``self._lock``. ``self.clock`` (epoch seconds) may be replaced at any time by a test.
    """

    def __init__(self, name: str, clock: Clock) -> None:
        self.app = Flask(name)
        self.clock: Clock = clock
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:PORT`` (available once started)."""
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not started: call start() or use `with`")
        return self._url

    def start(self) -> Self:
        """Bind a free port and serve in a daemon thread. Returns self."""
        if self._server is not None:
            return self
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._server = server
        self._url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns quickly
            name=f"{type(self).__name__}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket. Safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class SlidingWindow:
    """Counts accepted events in the last second (by an injectable clock). Not thread-safe by
    itself: call under the owner's lock."""

    def __init__(self) -> None:
        self._times: Deque[float] = collections.deque()

    def full(self, now: float, ceiling: int | None) -> bool:
        """True if ``ceiling`` events were already recorded within the second before ``now``."""
        if ceiling is None:
            return False
        while self._times and now - self._times[0] >= 1.0:
            self._times.popleft()
        while self._times and self._times[-1] > now:  # the clock went backwards
            self._times.pop()
        return len(self._times) >= ceiling

    def add(self, now: float) -> None:
        """Record an admitted event."""
        self._times.append(now)

    def admit(self, now: float, ceiling: int | None) -> bool:
        """Record an event at ``now`` and return True, or return False (recording nothing) if
        the window is full. ``ceiling=None`` admits everything and records nothing."""
        if ceiling is None:
            return True
        if self.full(now, ceiling):
            return False
        self.add(now)
        return True
