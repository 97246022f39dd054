"""The Flask routes of the sandbox's Slack-like page: its HTML and JavaScript, and a small JSON
API that the page polls. Everything it serves is for 127.0.0.1 only."""
from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, jsonify, request, send_from_directory

from .transcript import CHANNEL, DM
from .workspace import Workspace

STATIC = Path(__file__).resolve().parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# The page builds every message with DOM calls and textContent; the policy is the second lock.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def create_client_app(workspace: Workspace) -> Flask:
    app = Flask("zoombot_sandbox", static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024

    @app.before_request
    def local_only() -> None:
        # Another site open in the same browser must not drive the sandbox: only our own
        # host name, and JSON bodies (which a cross-site form cannot send without CORS).
        if (request.host.rsplit(":", 1)[0]) not in LOCAL_HOSTS:
            abort(403)
        if request.method == "POST" and not request.is_json:
            abort(415)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def index() -> Response:
        return send_from_directory(STATIC, "index.html")

    @app.get("/outside")
    def outside() -> tuple[str, int, dict[str, str]]:
        """Where links to the real internet go: the sandbox has no network, so say where it would go."""
        url = request.args.get("url", "")[:3000]
        parts = urlsplit(url)
        shown = escape(url) if parts.scheme in ("http", "https") else "(not a web address)"
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outside the sandbox</title><link rel="stylesheet" href="/static/client.css"></head>
<body class="outside"><main><p class="brand">zoombot sandbox</p><h1>This link leaves the sandbox</h1>
<p>In Slack this would open:</p><p class="url">{shown}</p>
<p>The sandbox never reaches the network, so it stops here. Close this tab to go back.</p></main></body></html>"""
        return page, 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.post("/api/hello")
    def hello() -> Response:
        return jsonify(workspace.hello(_text(_body().get("timezone"), 64) or None))

    @app.post("/api/command")
    def command() -> Response:
        body = _body()
        workspace.type(_text(body.get("text"), 4000), conversation=_conversation(body))
        return jsonify(workspace.state())

    @app.post("/api/action")
    def action() -> Response:
        body = _body()
        clicked = body.get("action")
        if not isinstance(clicked, dict):
            abort(400)
        surface = "home" if body.get("surface") == "home" else "message"
        state = body.get("state")
        if not isinstance(state, dict):
            state = {}
        return jsonify(workspace.click(surface=surface, entry_id=_text(body.get("entry"), 32), action=clicked,
                                       state=state))

    @app.post("/api/home")
    def home() -> Response:
        return jsonify(workspace.open_home())

    @app.post("/api/digest")
    def digest() -> Response:
        return jsonify(workspace.send_digest())

    @app.get("/api/state")
    def state() -> Response:
        return jsonify(workspace.state())

    return app


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _conversation(body: dict[str, Any]) -> str:
    return DM if body.get("conversation") == DM else CHANNEL
