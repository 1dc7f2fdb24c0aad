"""The database model: one module per noun (DESIGN §3), re-exported here."""
from dsar.models.alert import AlertSent
from dsar.models.answer import Notice, OpenGdprRequest, Package, WebhookDelivery
from dsar.models.controller import Controller, ProcessingActivity, System, activity_systems
from dsar.models.event import Event
from dsar.models.message import DISPOSITIONS, Attachment, Mailbox, Message
from dsar.models.request import Pause, Request, SubjectIdentity
from dsar.models.rights import Right
from dsar.models.task import Task
from dsar.models.token import ApiToken, Role
from dsar.models.user import User

__all__ = [
    "DISPOSITIONS", "AlertSent", "ApiToken", "Attachment", "Controller", "Mailbox", "Event", "Message", "Notice", "OpenGdprRequest", "Package", "Pause", "ProcessingActivity", "Request",
    "Right", "Role", "SubjectIdentity", "System", "Task", "User", "WebhookDelivery", "activity_systems",
]
