"""The Flask app: Bolt's /slack/events, Zoom's OAuth callback, and /healthz."""
from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, redirect, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from blocks.account import connected_message
from services.connect import CallbackResult
from services.container import Services
from services.logs import bind
from services.metrics import GrantsCollector
from services.metrics import render as render_metrics

from .slack_adapter import dispatch
from .pages import PAGES, connected_page, link_expired_page, not_found_page, render, server_error_page
from .webhook import create_webhook_blueprint

log = logging.getLogger(__name__)

MAX_QUERY_VALUE = 2048  # longer values are not ours: refuse without looking further


def create_web_app(bolt_app: App, services: Services) -> Flask:
    web = Flask("zoombot")
    web.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    slack_handler = SlackRequestHandler(bolt_app)
    web.register_blueprint(create_webhook_blueprint(services))

    @web.post("/slack/events")
    def slack_events() -> Response:
        return dispatch(bolt_app, request)

    if services.workspaces.distributed:
        # "Add to Slack": Bolt's OAuth flow, with its installation and state stores.
        @web.get("/slack/install")
        def slack_install() -> Response:
            return slack_handler.handle(request)

        @web.get("/slack/oauth_redirect")
        def slack_oauth_redirect() -> Response:
            return slack_handler.handle(request)

    @web.get("/zoom/oauth/callback")
    def zoom_callback() -> tuple[str, int, dict[str, str]]:
        def arg(name: str) -> str | None:
            value = request.args.get(name)
            if value is None or len(value) > MAX_QUERY_VALUE:
                return None
            return value

        outcome = services.connect.complete(state=arg("state"), code=arg("code"), error=arg("error"))
        if outcome.result is CallbackResult.CONNECTED and outcome.grant is not None:
            grant = outcome.grant
            services.background.submit(
                services.notifier.dm,
                team_id=grant.team_id,
                user_id=grant.slack_user_id,
                message=connected_message(grant.zoom_email),
            )
            # Settings (and the first digest time) in the user's zone, from Slack.
            services.background.submit(
                services.digests.settings_for,
                team_id=grant.team_id,
                user_id=grant.slack_user_id,
                enterprise_id=grant.enterprise_id,
            )
            page = connected_page(grant.zoom_email)
        else:
            page = PAGES[outcome.result]
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        }
        return render(page), page.status, headers

    @web.get("/zoom/oauth/start")
    def zoom_start() -> Response | tuple[str, int, dict[str, str]]:
        """Where the Connect Zoom links in DMs point: a fresh state, then on to Zoom."""
        token = request.args.get("t") or ""
        url = services.connect.open_connect_link(token) if 0 < len(token) <= MAX_QUERY_VALUE else None
        if url is None:
            page = link_expired_page()
            return render(page), page.status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    grants_gauge = GrantsCollector(services.grants.count_by_status)

    @web.get("/metrics")
    def metrics() -> tuple[bytes, int, dict[str, str]]:
        body, content_type = render_metrics([grants_gauge])
        return body, 200, {"Content-Type": content_type}

    @web.before_request
    def name_the_request() -> None:
        bind()  # a request id for the log lines of the callback, webhook and health routes

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        database_ok = services.db.ping()
        body = {"status": "ok" if database_ok else "degraded", "database": "ok" if database_ok else "unreachable"}
        return jsonify(body), 200 if database_ok else 503

    @web.errorhandler(404)
    def not_found(_error: Exception) -> tuple[str, int, dict[str, str]]:
        page = not_found_page()
        return render(page), 404, {"Content-Type": "text/html; charset=utf-8"}

    @web.errorhandler(405)
    def not_allowed(_error: Exception) -> tuple[str, int, dict[str, str]]:
        return "Method not allowed\n", 405, {"Content-Type": "text/plain; charset=utf-8"}

    @web.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int, dict[str, str]]:
        # Flask logged the traceback already; the page shows none of it.
        return render(server_error_page()), 500, {"Content-Type": "text/html; charset=utf-8"}

    return web
