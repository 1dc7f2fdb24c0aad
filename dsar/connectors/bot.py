"""`bot`: a system fulfilled by a program outside dsar, through the tasks API.

The task waits until a bot token of the system's controller claims it
(`POST /api/v1/tasks/{id}/claim`) and posts its result (`…/result`). Settings: none.
"""
from __future__ import annotations

from marshmallow import Schema

from dsar.connectors import register
from dsar.connectors.base import ACTIONS, ActionResult, Connector, Subject


class BotSettings(Schema):
    pass


@register
class BotConnector(Connector):
    type = "bot"
    Settings = BotSettings
    capabilities = frozenset(ACTIONS)

    def _hand_over(self, subject: Subject) -> ActionResult:
        return ActionResult(waiting="waiting for an outside bot to claim the task through the tasks API")

    access = export = erase = rectify = restrict = suppress = _hand_over
