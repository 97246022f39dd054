"""The services the listeners and web routes use, built once by bot.py."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from slack_sdk import WebClient

from settings import Settings
from storage.db import Database
from storage.grants import GrantStore
from storage.prefs import PrefsStore
from storage.states import OAuthStateStore
from storage.tasks import TaskStore
from zoom.api import ZoomApi
from zoom.oauth import ZoomOAuth

from .clock import Clock
from .connect import ConnectService
from .digest import DigestService
from .meetings import MeetingService
from .notify import Notifier
from .people import TimezoneDirectory
from .reminders import ReminderService
from .workspaces import Workspaces
from .tokens import TokenManager


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    grants: GrantStore
    states: OAuthStateStore
    oauth: ZoomOAuth
    zoom_api: ZoomApi
    tokens: TokenManager
    connect: ConnectService
    meetings: MeetingService
    timezones: TimezoneDirectory
    notifier: Notifier
    background: ThreadPoolExecutor
    prefs: PrefsStore
    digests: DigestService
    reminders: ReminderService
    client_for_team: Callable[..., WebClient]
    workspaces: Workspaces
    tasks: TaskStore
    sweep: Any = None  # jobs.refresh.RefreshSweep, set by bot.py once built
    # Wakes this process's task worker, if it runs one, when a listener has queued a task.
    wake_task_runner: Callable[[], None] = lambda: None
    # later(fn, *args): run fn after the listener has returned, i.e. after Slack has its answer
    # (bot.py: on Bolt's listener pool, errors logged). This default runs it at once.
    later: Callable[..., None] = lambda fn, *args, **kwargs: fn(*args, **kwargs)
