"""Schemas of the messages API: triage input kept apart from output (as in dsar.api.schemas)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dsar.api.schemas import IdentityIn, Text
from dsar.models import DISPOSITIONS
from dsar.models.rights import RIGHT_NAMES


class MessageListQuery(Schema):
    disposition = fields.List(Text(validate=validate.OneOf(DISPOSITIONS)),
                              metadata={"description": "comma-separated dispositions, e.g. needs_triage"})
    direction = Text(validate=validate.OneOf(("in", "out")))
    request = Text(validate=validate.Length(max=20), metadata={"description": "a request's reference"})
    cursor = Text(validate=validate.Length(max=40))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class MessageOpenIn(Schema):
    """Open a request from a message, as intake would have with these rights."""

    rights = fields.List(Text(validate=validate.OneOf(RIGHT_NAMES)), required=True,
                         validate=validate.Length(min=1, max=len(RIGHT_NAMES)))
    identities = fields.List(fields.Nested(IdentityIn), validate=validate.Length(min=1, max=20), metadata={
        "description": "default: the identities understood (the sender's address first)"})
    controller = Text(validate=validate.Length(min=1, max=64),
                      metadata={"description": "default: routing decides (alias, names in the text, discovery)"})
    language = Text(validate=validate.Regexp(r"^[a-z]{2}$", error="an ISO 639-1 code such as 'fr'"))

    @validates_schema
    def check_rights(self, data, **kwargs):
        rights = data.get("rights") or []
        if len(set(rights)) != len(rights):
            raise ValidationError("each right once", "rights")


class MessageAttachIn(Schema):
    reference = Text(required=True, validate=validate.Length(min=1, max=20),
                     metadata={"description": "the request the message belongs to", "example": "DSR-7K3M-9QXP"})


class MessageDismissIn(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=2000),
                  metadata={"description": "why the message asks nothing of us"})


class AttachmentOut(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    omitted = fields.String(allow_none=True, metadata={"description": "why the content was not kept"})


def _split(value: str, separator: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(separator) if part.strip()]


class MessageOut(Schema):
    id = fields.Integer()
    direction = fields.String(metadata={"enum": ["in", "out"]})
    source = fields.String(metadata={"description": "imap, postmark, file (in); smtp (out)"})
    message_id = fields.String(allow_none=True)
    in_reply_to = fields.Function(lambda m: _split(m.in_reply_to, None),
                                  metadata={"description": "Message-IDs it answers, most specific first"})
    sender = fields.String()
    recipients = fields.Function(lambda m: _split(m.recipients, ","))
    subject = fields.String()
    language = fields.String(allow_none=True)
    at = fields.DateTime()
    disposition = fields.String(allow_none=True, metadata={"enum": list(DISPOSITIONS)})
    request = fields.String(attribute="reference", allow_none=True,
                            metadata={"description": "the reference of its request"})
    triaged_by = fields.String(allow_none=True)
    triaged_at = fields.DateTime(allow_none=True)
    template = fields.String(allow_none=True)
    delivery = fields.String(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentOut))


class HeaderOut(Schema):
    name = fields.String()
    value = fields.String()


class MessageDetailOut(MessageOut):
    headers = fields.List(fields.Nested(HeaderOut))
    text = fields.String(attribute="body_text")
    understanding = fields.Dict(allow_none=True, metadata={
        "description": "what intake understood (rights, language, identities, confidence, reasons) "
                       "and why it chose the disposition"})
    size = fields.Integer(metadata={"description": "bytes of raw source kept"})


class MessagePage(Schema):
    items = fields.List(fields.Nested(MessageOut))
    next_cursor = fields.String(allow_none=True)


class MessageActionOut(Schema):
    message = fields.Nested(MessageDetailOut)
    requests = fields.List(fields.String(), metadata={"description": "references of the requests it belongs to"})
