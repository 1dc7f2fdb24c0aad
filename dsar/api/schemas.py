"""API schemas: input schemas (strict, unknown fields refused) kept apart from output."""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dsar.identities import IDENTITY_KINDS
from dsar.lifecycle import REJECTION_GROUNDS, Status
from dsar.models.rights import RIGHT_NAMES

CHANNELS = ("api", "email", "form", "post", "phone", "opengdpr")
# C0 controls other than tab/newline/CR, and lone surrogates: valid JSON, but no
# database stores them as text (PostgreSQL refuses NUL) and no person types them.
UNTYPEABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class Text(fields.String):
    """A string the database can store: refuses control characters and broken Unicode."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if UNTYPEABLE.search(text):
            raise ValidationError("contains control characters or invalid Unicode")
        return text


class Email(Text, fields.Email):
    """An email address the database can store."""


class IdentityIn(Schema):
    type = Text(required=True, validate=validate.OneOf(IDENTITY_KINDS),
                metadata={"description": "what kind of identifier"})
    value = Text(required=True, validate=validate.Length(min=1, max=320))

    @validates_schema
    def check_value(self, data, **kwargs):
        if data["type"] == "email":
            try:
                validate.Email()(data["value"].strip())
            except ValidationError:
                raise ValidationError("not a valid email address", "value") from None


class RequestCreate(Schema):
    controller = Text(validate=validate.Length(min=1, max=64), metadata={
        "description": "Controller id. Operators choose it (or leave it out to let routing decide); "
                       "a controller's token may only name its own controller."})
    rights = fields.List(Text(validate=validate.OneOf(RIGHT_NAMES)), required=True,
                         validate=validate.Length(min=1, max=len(RIGHT_NAMES)))
    identities = fields.List(fields.Nested(IdentityIn), required=True, validate=validate.Length(min=1, max=20))
    details = Text(load_default="", validate=validate.Length(max=20000),
                   metadata={"description": "the subject's own words"})
    corrections = fields.Dict(keys=Text(validate=validate.Length(min=1, max=100)),
                              values=Text(validate=validate.Length(max=2000)),
                              validate=validate.Length(max=50),
                              metadata={"description": "for rectification: field → corrected value"})
    channel = Text(load_default="api", validate=validate.OneOf(CHANNELS))
    language = Text(validate=validate.Regexp(r"^[a-z]{2}$", error="an ISO 639-1 code such as 'fr'"))
    received_at = fields.AwareDateTime(metadata={
        "description": "when the subject's request was first received anywhere in the chain "
                       "(RFC 3339 with offset); defaults to now; never restamped"})
    identity_verified = fields.Boolean(load_default=False, metadata={
        "description": "the caller has already verified the subject's identity"})
    recipients = fields.List(Email(), load_default=list, validate=validate.Length(max=20),
                             metadata={"description": "addresses the request was sent to (routing)"})
    form = Text(validate=validate.Length(min=1, max=64))

    @validates_schema
    def check_rights(self, data, **kwargs):
        rights = data.get("rights") or []
        if len(set(rights)) != len(rights):
            raise ValidationError("each right once", "rights")
        if "rectification" in rights and not data.get("corrections") and not data.get("details", "").strip():
            raise ValidationError("say what to correct, in corrections or details", "corrections")


class ActionIn(Schema):
    """Body of POST /requests/{reference}/{action}; each action reads the fields it needs."""

    reason = Text(validate=validate.Length(max=5000), metadata={
        "description": "required for request-information, reject, extend, cancel, mark-duplicate"})
    grounds = Text(validate=validate.OneOf(REJECTION_GROUNDS), metadata={"description": "reject only"})
    instruction = Text(validate=validate.Length(max=5000), metadata={"description": "approve: the documented instruction"})
    assignee = Text(allow_none=True, validate=validate.Length(max=120))
    text = Text(validate=validate.Length(max=20000), metadata={"description": "note"})
    controller = Text(validate=validate.Length(max=64), metadata={"description": "route"})
    duplicate_of = Text(validate=validate.Length(max=20), metadata={"description": "mark-duplicate"})
    summary = Text(validate=validate.Length(max=5000), metadata={"description": "complete"})


class ListQuery(Schema):
    status = fields.List(Text(validate=validate.OneOf([s.value for s in Status])))
    controller = Text(validate=validate.Length(max=64))
    right = Text(validate=validate.OneOf(RIGHT_NAMES))
    due_before = fields.Date(metadata={"description": "statutory due date strictly before this date"})
    overdue = fields.Boolean()
    assignee = Text(validate=validate.Length(max=120))
    cursor = Text(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ClockOut(Schema):
    name = fields.String()
    started_on = fields.Date(allow_none=True)
    due = fields.Date(allow_none=True)
    state = fields.String(metadata={"enum": ["running", "paused", "met", "missed"]})
    days_left = fields.Integer(allow_none=True)
    extended = fields.Boolean()


class IdentityOut(Schema):
    type = fields.String(attribute="kind")
    value = fields.String()


class EventOut(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    data = fields.Dict()
    hash = fields.String()


class RequestOut(Schema):
    reference = fields.String()
    controller = fields.String(attribute="controller_id", allow_none=True)
    status = fields.String()
    verification = fields.String()
    rights = fields.List(fields.String())
    channel = fields.String()
    language = fields.String(allow_none=True)
    details = fields.String()
    corrections = fields.Dict(allow_none=True)
    identities = fields.List(fields.Nested(IdentityOut))
    received_at = fields.DateTime()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    assignee = fields.String(allow_none=True)
    extended = fields.Boolean()
    extension_reason = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    via_controller = fields.Boolean()
    routing = fields.Dict()
    parent = fields.Function(lambda r: r.parent.reference if r.parent else None, allow_none=True)
    suspected_duplicate_of = fields.Function(
        lambda r: r.suspected_duplicate_of.reference if r.suspected_duplicate_of else None, allow_none=True,
        metadata={"description": "an open request by the same person for the same right, days before: triage may merge"})
    chased_at = fields.DateTime(allow_none=True, metadata={"description": "when the subject last sent a reminder"})
    statutory_due = fields.Date(allow_none=True)
    purged_at = fields.DateTime(allow_none=True, metadata={
        "description": "when `dsar purge` removed what identified the subject (only a skeleton is left)"})
    clocks = fields.Dict(keys=fields.String(), values=fields.Nested(ClockOut))
    progress = fields.Dict(metadata={"description": "fulfilment tasks: total, finished (done + failed), done, "
                                                    "failed, waiting (for a person or a bot), in_progress"})


class RequestCreatedOut(RequestOut):
    split_into = fields.List(fields.String(), metadata={
        "description": "references of the requests split off for other controllers"})


class RequestDetailOut(RequestOut):
    tasks = fields.List(fields.Dict(), metadata={
        "description": "one per (system, action): status, outcome, per-record results, error (/api/v1/tasks)"})
    timeline = fields.List(fields.Nested(EventOut))


class RequestPage(Schema):
    items = fields.List(fields.Nested(RequestOut))
    next_cursor = fields.String(allow_none=True)


class ControllerOut(Schema):
    id = fields.String()
    name = fields.String()
    is_operator = fields.Boolean()
    country = fields.String()
    subdivision = fields.String(allow_none=True)
    timezone = fields.String()
    language = fields.String()


class ControllerPage(Schema):
    items = fields.List(fields.Nested(ControllerOut))


class ErrorBody(Schema):
    code = fields.String()
    message = fields.String()
    fields = fields.Dict()


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody)
