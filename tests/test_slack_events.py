"""Slack tells us a workspace is gone: its data goes too."""
from __future__ import annotations

from tests.conftest import ALICE
from tests.flows import connect, eventually


def test_app_uninstalled_deletes_the_workspaces_grants_and_states(sender, bot, slack):
    connect(sender)
    eventually(lambda: bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE))
    sender.command("connect")  # leaves a pending state behind
    slack.add_user("U0CAROL", team_id="T0OTHER")
    connect(sender, user_id="U0CAROL", team_id="T0OTHER")
    response = sender.event({"type": "app_uninstalled"})
    assert response.status_code == 200
    eventually(lambda: bot.services.grants.find(team_id=slack.team_id, user_id=ALICE) is None)
    assert bot.services.grants.find(team_id="T0OTHER", user_id="U0CAROL") is not None
    # Settings go last; once they are gone, so are the pending authorizations.
    eventually(lambda: bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE) is None)
    assert bot.services.states.delete_team(team_id=slack.team_id) == 0  # nothing was left


def test_tokens_revoked_for_the_bot_deletes_the_workspace(sender, bot, slack):
    connect(sender)
    sender.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["B0BOT"]}})
    eventually(lambda: bot.services.grants.find(team_id=slack.team_id, user_id=ALICE) is None)


def test_tokens_revoked_for_user_tokens_only_keeps_everything(sender, bot, slack):
    connect(sender)
    sender.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0SOMEONE"], "bot": []}})
    bot.services.background.submit(lambda: None).result(timeout=5)
    sender.event({"type": "app_home_opened", "tab": "home"})  # an unhandled event, handled after
    assert bot.services.grants.find(team_id=slack.team_id, user_id=ALICE) is not None
