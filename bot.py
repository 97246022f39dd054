"""zoombot: your Zoom meetings in Slack.

    python bot.py            serve Slack's requests, Zoom's callback and the scheduler
                             (a web server and TASK_PROCESSES task processes beside it)
    python bot.py --help     list every subcommand

This module is the composition root: it reads the settings, builds every service once,
wires the Bolt app and the Flask routes together, and serves them.
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Sequence

from settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:  # imported where used: gunicorn's arbiter (this module, too) needs none of them
    from flask import Flask
    from slack_bolt import App
    from slack_sdk import WebClient

log = logging.getLogger("zoombot")


@dataclass
class Runtime:
    """Everything one process runs; `close()` stops it in order."""

    settings: Settings
    web: Flask
    bolt: App
    services: Any
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        if self in _RUNNING:
            _RUNNING.remove(self)
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:
                log.exception("error while shutting down")


class _DropClientTokenWarning(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when a client is given; here that is the point."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "token` will be unused" not in record.getMessage()


class StartupError(Exception):
    """A problem an operator must fix before zoombot can run (message names the setting)."""


def slack_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client with Slack's retry handlers on: a 429 waits its Retry-After."""
    from services.slack_client import make_slack_client

    return make_slack_client(settings.slack_api_url, token)


def create_runtime(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    create_tables: bool = True,
    start_scheduler: bool = True,
    run_tasks: bool = True,
) -> Runtime:
    """Build the whole bot for `settings`. Raises StartupError on a fixable problem.

    `start_scheduler` and `run_tasks` say whether this process also runs the scheduled jobs
    and a task worker; `python bot.py` gives both to its task processes (TASK_PROCESSES).
    """
    from slack_bolt import App

    from blocks.account import reconnect_message
    from handlers import register_listeners
    from handlers.commands import LIST_MEETINGS, meeting_list_task
    from jobs.refresh import RefreshSweep
    from jobs.scheduler import create_scheduler
    from jobs.tasks import TaskRunner
    from services.clock import utc_now
    from services.connect import ConnectService
    from services.container import Services
    from services.limits import OAUTH_STATE_LIFETIME
    from services.meetings import MeetingService
    from services.notify import Notifier
    from services.digest import DigestService
    from services.logs import ContextExecutor
    from services.metrics import observe_zoom
    from services.people import TimezoneDirectory
    from services.reminders import ReminderService
    from services.tokens import TokenManager
    from storage.crypto import EncryptionKeyError, TokenCipher
    from storage.db import Database
    from storage.grants import GrantStore
    from storage.keys import resolve_keys
    from storage.prefs import PrefsStore
    from storage.states import OAuthStateStore
    from storage.tasks import TaskStore
    from web.routes import create_web_app
    from zoom.api import ZoomApi
    from zoom.http import ZoomHttp, new_session
    from zoom.oauth import ZoomOAuth, ZoomOAuthConfig

    now = clock or utc_now
    try:
        cipher = TokenCipher(resolve_keys(settings.token_encryption_key, settings.database_url))
    except EncryptionKeyError as exc:
        raise StartupError(str(exc)) from None

    db = Database.from_url(settings.database_url, pool_size=settings.db_pool_size)
    if create_tables:  # False: the caller (a test) has prepared the schema itself
        from storage.migrate import pending, upgrade_to_head

        if settings.auto_migrate:
            upgrade_to_head(db.engine)  # one SELECT when already at head; a lock when not
        elif pending(db.engine):
            raise StartupError("the database needs migrating: run python bot.py migrate")
    grants = GrantStore(db, cipher)
    try:
        grants.check_decryptable()
    except EncryptionKeyError as exc:
        raise StartupError(str(exc)) from None
    states = OAuthStateStore(db, cipher, lifetime=OAUTH_STATE_LIFETIME)

    http = ZoomHttp(new_session(pool_size=settings.worker_threads + settings.web_threads), sleep=sleep,
                     now=lambda: now().timestamp(), observe=observe_zoom)
    oauth = ZoomOAuth(
        ZoomOAuthConfig(
            client_id=settings.zoom_client_id,
            client_secret=settings.zoom_client_secret,
            oauth_url=settings.zoom_oauth_url,
            redirect_uri=settings.redirect_uri,
        ),
        http,
        now=now,
    )
    api = ZoomApi(http, api_url=settings.zoom_api_url)
    workspaces = _workspaces(settings, db, cipher)
    notifier = Notifier(workspaces.client_for)
    background = ContextExecutor(max_workers=4, thread_name_prefix="zoombot-bg")
    connect = ConnectService(
        grants=grants, states=states, oauth=oauth, api=api, clock=now, cipher=cipher, public_url=settings.public_url
    )

    def tell_once_grant_is_dead(grant: Any) -> None:
        # Any number of callers may see the same grant die; the database lets one tell.
        if grants.claim_reconnect_notice(grant.id, now=now()):
            link = connect.connect_link(team_id=grant.team_id, user_id=grant.slack_user_id, enterprise_id=grant.enterprise_id)
            background.submit(
                notifier.dm,
                team_id=grant.team_id,
                user_id=grant.slack_user_id,
                message=reconnect_message(link, note="The link stays valid for 7 days."),
            )

    tokens = TokenManager(grants, oauth, clock=now, on_dead_grant=tell_once_grant_is_dead)
    prefs = PrefsStore(db)
    timezones = TimezoneDirectory(clock=now)
    meetings = MeetingService(grants, tokens, api)
    client_for_team = workspaces.client_for
    stopping = threading.Event()  # set first on shutdown: jobs stop taking new work
    digests = DigestService(
        prefs=prefs, grants=grants, meetings=meetings, timezones=timezones, notifier=notifier,
        connect=connect, client_for_team=client_for_team, clock=now, stop=stopping,
    )
    reminders = ReminderService(prefs=prefs, meetings=meetings, notifier=notifier, clock=now)
    services = Services(
        settings=settings,
        clock=now,
        db=db,
        grants=grants,
        states=states,
        oauth=oauth,
        zoom_api=api,
        tokens=tokens,
        connect=connect,
        meetings=meetings,
        timezones=timezones,
        prefs=prefs,
        digests=digests,
        reminders=reminders,
        client_for_team=client_for_team,
        workspaces=workspaces,
        notifier=notifier,
        background=background,
        tasks=TaskStore(db, cipher),
    )

    # Listeners run on the request thread and Slack gets its answer when they return
    # (process_before_response): no hand-off to a pool and no polling for the ack, which Bolt
    # otherwise does every 10 ms. What a listener does after its ack goes to services.later,
    # this pool; Bolt's default of 5 threads would queue the 6th slow call behind the first five.
    bolt_logger = logging.getLogger("zoombot.bolt")
    bolt_logger.addFilter(_DropClientTokenWarning())
    listeners = ContextExecutor(max_workers=settings.worker_threads, thread_name_prefix="zoombot-listener")

    def later(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        def run() -> None:
            try:
                fn(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the ack has gone; the log is the only place left
                log.exception("work after an ack failed")

        listeners.submit(run)

    services.later = later
    bolt = App(
        client=workspaces.app_client,
        oauth_settings=workspaces.oauth_settings,
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,  # auth.test on the first request, not at import
        process_before_response=True,
        listener_executor=listeners,
        logger=bolt_logger,
    )
    register_listeners(bolt, services)
    web = create_web_app(bolt, services)

    runtime = Runtime(settings=settings, web=web, bolt=bolt, services=services)
    sweep = RefreshSweep(grants, tokens, clock=now, sleep=sleep, stop=stopping)
    services.sweep = sweep
    runtime._closers.append(db.dispose)
    runtime._closers.append(lambda: http.session.close())
    runtime._closers.append(lambda: background.shutdown(wait=True))
    runtime._closers.append(lambda: listeners.shutdown(wait=True))
    if run_tasks:
        runner = TaskRunner(
            services.tasks, {LIST_MEETINGS: meeting_list_task(services)}, clock=now, threads=settings.worker_threads
        )
        runner.start()
        services.wake_task_runner = runner.notify
        runtime._closers.append(runner.close)
    if start_scheduler:
        scheduler = create_scheduler(
            refresh_sweep=sweep.run,
            purge_states=lambda: states.purge_expired(now=now()),
            digests=digests.run_due,
            reminders=reminders.run,
            timezones=digests.refresh_timezones,
        )
        scheduler.start()
        runtime._closers.append(lambda: scheduler.shutdown(wait=True))
    runtime._closers.append(stopping.set)
    _RUNNING.append(runtime)
    return runtime


def _workspaces(settings: Settings, db: Any, cipher: Any) -> Any:
    """One bot token, or (with SLACK_CLIENT_ID/SECRET) every workspace's own, from its installation."""
    from services.workspaces import Workspaces, oauth_settings_for

    make_client = lambda token: slack_client(settings, token)  # noqa: E731
    if not settings.distributed:
        return Workspaces(make_client=make_client, bot_token=settings.slack_bot_token)
    from storage.installations import slack_stores

    assert settings.slack_client_id and settings.slack_client_secret
    # Their tables (slack_installations, slack_bots, slack_oauth_states) are in our migrations.
    _inner, installations, state_store = slack_stores(client_id=settings.slack_client_id, engine=db.engine, cipher=cipher)
    oauth = oauth_settings_for(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
        public_url=settings.public_url, authorization_url=settings.slack_oauth_url,
        installation_store=installations, state_store=state_store,
    )
    return Workspaces(make_client=make_client, installations=installations, oauth_settings=oauth)


# -- serving ------------------------------------------------------------------------------

_RUNNING: list[Runtime] = []


def shutdown() -> None:
    """Stop every runtime of this process: jobs stop taking work, what is in flight finishes.

    gunicorn calls it as each worker exits (after its graceful_timeout for open requests).
    """
    while _RUNNING:
        runtime = _RUNNING.pop()
        log.info("shutting down: finishing work in flight")
        runtime.close()


def wsgi() -> Flask:
    """The WSGI app for gunicorn: `gunicorn 'bot:wsgi()'`. Settings come from the environment.

    With TASK_PROCESSES above 0 the web workers only answer requests: gunicorn.conf.py starts
    the task processes (`python bot.py work`) that do the rest.
    """
    settings = _settings_or_exit()
    _configure_logging(settings)
    does_work = settings.task_processes == 0
    return _runtime_or_exit(settings, start_scheduler=does_work, run_tasks=does_work).web


def serve(settings: Settings) -> int:
    """Run gunicorn in this process (one worker, many threads) around a runtime, and the task
    processes beside it (TASK_PROCESSES; with 0 the web worker does their work itself)."""
    import os
    import shutil
    import tempfile

    from gunicorn.app.base import BaseApplication

    from jobs.workers import TaskProcesses

    does_work = settings.task_processes == 0
    task_processes = None if does_work else TaskProcesses(settings.task_processes)
    metrics_dir = None
    if task_processes is not None and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # /metrics in the web worker must add up the task processes' samples too.
        metrics_dir = tempfile.mkdtemp(prefix="zoombot-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir

    def on_exit(_server: Any) -> None:
        if task_processes is not None:
            task_processes.stop()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"0.0.0.0:{settings.port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", settings.web_threads)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)  # plus shutdown(): within 30 s of SIGTERM
            self.cfg.set("accesslog", None)
            self.cfg.set("control_socket_disable", True)  # several bots may share a home directory
            self.cfg.set("loglevel", settings.log_level.lower())
            self.cfg.set("worker_exit", lambda _server, _worker: shutdown())
            self.cfg.set("on_exit", on_exit)

        def load(self) -> Flask:
            # Runs in the worker after the fork, so threads and connections belong to it.
            return _runtime_or_exit(settings, start_scheduler=does_work, run_tasks=does_work).web

    log.info("zoombot listening on port %d (public URL %s)", settings.port, settings.public_url)
    if task_processes is not None:
        task_processes.start()
    _Server().run()
    return 0


def work(settings: Settings, *, nice: int = 0, supervised: bool = False) -> int:
    """A task process: the task worker and the scheduled jobs, until SIGTERM or SIGINT; then
    the tasks in hand are finished and the rest stay queued for the next worker.

    `supervised`: started by serve() (jobs/workers.py), which stops it with SIGTERM. Ctrl-C in
    a terminal reaches the whole process group, so SIGINT is left to the server; and should
    the server die without stopping it, it stops itself rather than run on unwatched.
    """
    import os
    import signal

    from jobs.workers import die_with_parent

    if nice:
        os.nice(nice)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if supervised:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        die_with_parent()
    else:
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime = _runtime_or_exit(settings, start_scheduler=True, run_tasks=True)
    log.info("zoombot task process running (pid %d)", os.getpid())
    stop.wait()
    log.info("task process stopping: finishing the tasks in hand")
    runtime.close()
    return 0


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        for line in exc.lines():
            print(f"zoombot: {line}", file=sys.stderr)
        raise SystemExit(2) from None


def _runtime_or_exit(settings: Settings, *, start_scheduler: bool = True, run_tasks: bool = True) -> Runtime:
    try:
        return create_runtime(settings, start_scheduler=start_scheduler, run_tasks=run_tasks)
    except StartupError as exc:
        print(f"zoombot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _configure_logging(settings: Settings) -> None:
    from services.logs import configure_logging

    configure_logging(settings.log_level, secrets=settings.secrets, fmt=settings.log_format)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bot.py", description="zoombot: your Zoom meetings in Slack.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="serve Slack, the Zoom callback and the scheduler (the default)")
    work_parser = commands.add_parser(
        "work", help="run a task process only: the work after acks and the scheduled jobs (serve starts these)"
    )
    work_parser.add_argument("--nice", type=int, default=0, help="lower this process's CPU priority by N (0-19)")
    work_parser.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)
    commands.add_parser("generate-key", help="print a new TOKEN_ENCRYPTION_KEY")
    commands.add_parser(
        "rotate-key", help="re-encrypt every stored token with the first key of TOKEN_ENCRYPTION_KEY"
    )
    commands.add_parser("check", help="check the settings, Slack, Zoom and the database; exit 0 only if all is well")
    commands.add_parser("migrate", help="apply pending database migrations, print what was done, and exit")
    sandbox_parser = commands.add_parser(
        "sandbox", help="try zoombot in a browser on 127.0.0.1, with stand-ins for Slack and Zoom (no accounts)"
    )
    sandbox_parser.add_argument("--port", type=int, default=3000, help="the sandbox page's port (0: any free port)")
    args = parser.parse_args(argv)

    if args.command == "generate-key":
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode("ascii"))
        return 0
    if args.command == "sandbox":  # it makes its own settings: no .env or accounts needed
        from sandbox.app import run

        return run(port=args.port)
    settings = _settings_or_exit()
    _configure_logging(settings)
    if args.command == "rotate-key":
        return rotate_key(settings)
    if args.command == "migrate":
        return migrate(settings)
    if args.command == "check":
        return check(settings)
    if args.command == "work":
        return work(settings, nice=max(0, min(19, args.nice)), supervised=args.supervised)
    return serve(settings)


def check(settings: Settings) -> int:
    """Print a short report of what zoombot depends on; exit status 0 only if all is well."""
    from services.health import run_checks

    results = run_checks(settings)
    width = max(len(r.name) for r in results)
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'}  {result.name.ljust(width)}  {result.detail}")
    failed = [r.name for r in results if not r.ok]
    print("zoombot: all checks passed." if not failed else f"zoombot: {len(failed)} check(s) failed: {', '.join(failed)}.")
    return 0 if not failed else 1


def migrate(settings: Settings) -> int:
    """Bring the database to the newest schema (safe while other processes do the same)."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.migrate import current_revision, upgrade_to_head

    try:
        applied = upgrade_to_head(settings.database_url)
    except SQLAlchemyError as exc:
        log.debug("migration failed", exc_info=True)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"zoombot: migrating the database failed (nothing was changed): {reason}", file=sys.stderr)
        return 1
    if applied:
        print(f"zoombot: applied migration(s) {', '.join(applied)}; the database is at {applied[-1]}.")
    else:
        print(f"zoombot: the database is up to date (at {current_revision(settings.database_url)}); nothing to apply.")
    return 0


def rotate_key(settings: Settings) -> int:
    """Re-encrypt every token with the first key, so the older keys can be retired."""
    runtime = _runtime_or_exit(settings, start_scheduler=False)
    try:
        grants = runtime.services.grants.rotate_encryption()
        states = runtime.services.states.rotate_encryption()
    finally:
        runtime.close()
    print(f"zoombot: re-encrypted {grants} grant(s) and {states} pending authorization(s) with the first key.")
    print("zoombot: once every process runs with the new key first, the old keys can be removed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
