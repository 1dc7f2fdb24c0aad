"""What every connector is: its settings schema, its capabilities, and its results.

A connector reaches one kind of store (a SQL database, HubSpot, S3…). It declares the
settings it takes (a marshmallow schema; secrets are `{env: VAR}` references, resolved
when the connector is built, never stored) and the actions it can perform, and
implements them. Each action returns an `ActionResult`: what happened to each record,
in the outcome words of `connectors.md`, so a report never claims more than the store
confirmed.

Errors: raise `RetryLater` for what may pass (429, 5xx, a timeout: the task is retried
with backoff), `ConnectorError` for what will not (bad credentials, a refused call: the
task fails visibly with that message). Never put a secret in either message.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate

# The actions a task performs, in the register's words (`systems[].actions`).
ACTIONS = ("access", "export", "erase", "rectify", "restrict", "suppress")

# What happened to one record (connectors.md, "Rules for every connector").
FOUND = "found"
EXPORTED = "exported"
RECTIFIED = "rectified"
RESTRICTED = "restricted"
SUPPRESSED = "suppressed"
ERASED = "erased"
ERASURE_SCHEDULED = "erasure_scheduled"   # the vendor deletes later; detail says when
BLOCKED_BY_RETENTION = "blocked_by_retention"
NOT_FOUND = "not_found"
NOT_SUPPORTED = "not_supported"           # detail says why
OUTCOMES = (FOUND, EXPORTED, RECTIFIED, RESTRICTED, SUPPRESSED, ERASED, ERASURE_SCHEDULED,
            BLOCKED_BY_RETENTION, NOT_FOUND, NOT_SUPPORTED)


class ConnectorError(Exception):
    """A failure that retrying will not cure; the message is shown to staff as is."""


class NotConfigured(ConnectorError):
    """The system's settings or environment do not let the connector run."""


class RetryLater(Exception):
    """A failure that may pass: retry the task after `delay` seconds (None: use backoff)."""

    def __init__(self, message: str, delay: float | None = None):
        super().__init__(message)
        self.delay = delay


@dataclass(frozen=True)
class Subject:
    """Who the task is about: the request's identities and, for rectification, the corrections."""

    reference: str
    identities: dict[str, list[str]]          # kind -> values: email, phone, name, customer_id, ip_address
    corrections: dict[str, Any] = field(default_factory=dict)

    def values(self, kind: str) -> list[str]:
        return list(self.identities.get(kind, ()))

    def first(self, kind: str) -> str | None:
        values = self.identities.get(kind)
        return values[0] if values else None


@dataclass
class RecordResult:
    """One record the action touched (or looked for)."""

    kind: str                  # what the record is in that store: "contact", "ticket", "users row"…
    id: str
    outcome: str               # one of OUTCOMES
    detail: str = ""
    data: dict | None = None   # the record's content, for an export; never kept in the task's result

    def summary(self) -> dict:
        out = {"kind": self.kind, "id": self.id, "outcome": self.outcome}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass
class ActionResult:
    """Everything one action did on one system."""

    records: list[RecordResult] = field(default_factory=list)
    # What the report must say beyond the records (e.g. "an email already delivered
    # cannot be unsent"), and an outcome for the whole system when no record applies.
    notes: list[str] = field(default_factory=list)
    outcome: str | None = None
    # Set when a person or an outside program now does the work (manual, webhook, bot):
    # what was handed over and to whom. The task then waits for their report, which
    # arrives through `dsar.fulfilment.runner.report`.
    waiting: str | None = None

    def add(self, kind: str, id: Any, outcome: str, detail: str = "", data: dict | None = None) -> RecordResult:
        record = RecordResult(kind, str(id), outcome, detail, data)
        self.records.append(record)
        return record

    @property
    def overall(self) -> str:
        """The system's outcome: the one given, else the records' (most serious first)."""
        if self.outcome:
            return self.outcome
        seen = {r.outcome for r in self.records}
        for outcome in (NOT_SUPPORTED, BLOCKED_BY_RETENTION, ERASURE_SCHEDULED, ERASED, RECTIFIED,
                        RESTRICTED, SUPPRESSED, EXPORTED, FOUND):
            if outcome in seen:
                return outcome
        return NOT_FOUND

    @classmethod
    def not_supported(cls, reason: str) -> ActionResult:
        return cls(notes=[reason], outcome=NOT_SUPPORTED)


class HttpSettings(Schema):
    """Settings every SaaS connector takes besides its own (subclass it and add those)."""

    base_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    rate_limit = fields.Float(load_default=None, allow_none=True,
                              validate=validate.Range(min=0.1, error="calls per second, at least 0.1"))
    timeout = fields.Float(load_default=15.0, validate=validate.Range(min=0.1, max=300))


class EnvRef(fields.Field):
    """A secret in the register: `{env: VAR_NAME}`; loads as the reference, never the value."""

    default_error_messages = {"invalid": "must be an environment reference: {{env: VARIABLE_NAME}}"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not (isinstance(value, dict) and set(value) == {"env"} and isinstance(value["env"], str)
                and value["env"].strip()):
            raise self.make_error("invalid")
        return {"env": value["env"].strip()}


def resolve(value: Any, setting: str) -> Any:
    """The value of a setting: an `{env: VAR}` reference is read from the environment now."""
    if isinstance(value, dict) and set(value) == {"env"}:
        name = value["env"]
        secret = os.environ.get(name)
        if not secret:
            raise NotConfigured(f"environment variable {name} (setting {setting!r}) is not set")
        return secret
    return value


@dataclass(frozen=True)
class TaskContext:
    """The task a connector runs for, for connectors that hand work to someone (manual,
    webhook, bot): who to tell, what to link to, and by when."""

    task_id: int
    action: str
    attempt: int
    reference: str
    system_id: str
    system_name: str
    owner_email: str | None
    controller: str
    due: date | None          # the request's statutory due date (manual.due_date works out the processor SLA)


class Connector:
    """Base class: subclasses set `type`, `Settings`, `capabilities` and implement them.

    A connector is built for one system per task run (`connectors.build`), with its
    settings already checked by `Settings`; `self.secret(name)` reads a secret setting
    from the environment at the moment it is needed.
    """

    type: ClassVar[str]
    Settings: ClassVar[type[Schema]]
    capabilities: ClassVar[frozenset[str]] = frozenset()  # of ACTIONS, plus "discover"

    def __init__(self, system_id: str, settings: dict, context: TaskContext | None = None):
        self.system_id = system_id
        self.settings = settings
        self.context = context  # set by the runner; None when called outside a task

    def secret(self, name: str) -> str:
        return resolve(self.settings.get(name), name)

    @classmethod
    def check_settings(cls, settings: dict) -> dict:
        """Validated settings, or ValidationError naming each problem."""
        return cls.Settings().load(settings or {})

    # -- the actions; a subclass implements those in its capabilities --------------------
    def access(self, subject: Subject) -> ActionResult:
        """Find the subject's records: which there are, without copying their content."""
        return self._unsupported("access")

    def export(self, subject: Subject) -> ActionResult:
        """Find and copy the subject's records (RecordResult.data holds each one)."""
        return self._unsupported("export")

    def erase(self, subject: Subject) -> ActionResult:
        return self._unsupported("erase")

    def rectify(self, subject: Subject) -> ActionResult:
        """Apply `subject.corrections` ({field: new value}); say which fields could not be."""
        return self._unsupported("rectify")

    def restrict(self, subject: Subject) -> ActionResult:
        """Flag or block the subject's records so they are kept but not processed."""
        return self._unsupported("restrict")

    def suppress(self, subject: Subject) -> ActionResult:
        """Stop marketing to the subject (objection, Art. 21(2))."""
        return self._unsupported("suppress")

    def discover(self, identities: dict[str, list[str]]) -> bool:
        """Whether this store holds anything for these identities (used by routing)."""
        return False

    def _unsupported(self, action: str) -> ActionResult:
        return ActionResult.not_supported(f"the {self.type} connector cannot {action}")


__all__ = ["ACTIONS", "OUTCOMES", "ActionResult", "Connector", "ConnectorError", "EnvRef", "HttpSettings",
           "NotConfigured", "RecordResult", "RetryLater", "Subject", "TaskContext", "ValidationError", "resolve"]
