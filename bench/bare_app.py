"""The floor for bench/ack_path.py: a bare Bolt app on Flask that only acks `/zoom`.

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... PORT=... python bench/bare_app.py

Same stack and same server as `python bot.py` (Bolt's Flask adapter, gunicorn with one gthread
worker and the settings of bot.serve()), same listener pool size, none of zoombot's work: no
database, no Zoom, nothing after the ack. What zoombot costs on top of this is what it adds.

BARE_INLINE=1 runs the listener on the request thread (process_before_response=True, as zoombot
does) instead of Bolt's default (the listener on the pool, the request thread polling for the
ack every 10 ms): the stricter floor.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

bolt = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    token_verification_enabled=False,  # as zoombot: auth.test on the first request
    listener_executor=ThreadPoolExecutor(int(os.environ.get("WORKER_THREADS", "32"))),
    process_before_response=os.environ.get("BARE_INLINE") == "1",
)


@bolt.command("/zoom")
def zoom(ack: Ack) -> None:
    ack()


web = Flask("bare")
handler = SlackRequestHandler(bolt)


@web.post("/slack/events")
def slack_events():  # type: ignore[no-untyped-def]
    return handler.handle(request)


@web.get("/healthz")
def healthz() -> str:
    return "ok"


def main() -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            # The settings of bot.serve(), so that only the application differs.
            self.cfg.set("bind", f"127.0.0.1:{os.environ.get('PORT', '3000')}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", int(os.environ.get("WEB_THREADS", "16")))
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", None)
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("loglevel", "info")

        def load(self) -> Flask:
            return web

    Server().run()


if __name__ == "__main__":
    main()
