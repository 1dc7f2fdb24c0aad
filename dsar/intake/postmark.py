"""Postmark's inbound webhook: `POST /inbound/postmark`, into the intake pipeline.

Postmark does not sign its payload, so the URL is protected by HTTP Basic credentials
(POSTMARK_INBOUND_USERNAME / _PASSWORD; unset, the endpoint does not exist: 404).
Postmark retries any answer but a 200, so the 200 comes only after the commit; a body
that is not Postmark's JSON is answered 400 but still kept, for a human.

The raw source is what intake stores: `RawEmail` when Postmark sends it, otherwise an
RFC 5322 message rebuilt from the JSON, keeping the sender's own Message-ID (from
`Headers`; Postmark's `MessageID` is its own id, not the message's).
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, parsedate_to_datetime

from flask import Blueprint, current_app, jsonify, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from werkzeug.exceptions import RequestEntityTooLarge

from dsar.api.errors import error_response
from dsar.intake.pipeline import DEFAULT_MAX_BYTES, ingest, keep_unreadable, one_line

bp = Blueprint("intake_postmark", __name__, url_prefix="/inbound")

# Headers the rebuilt message sets itself (from the JSON's own fields, or its MIME parts).
_OWN_HEADERS = {"from", "to", "cc", "reply-to", "subject", "date", "mime-version", "content-type",
                "content-transfer-encoding", "content-disposition", "bcc"}
_HEADER_NAME = re.compile(r"^[!-9;-~]{1,76}$")  # printable ASCII without ':' (RFC 5322 ftext)
_ZONE_WITH_COLON = re.compile(r"([+-]\d\d):(\d\d)$")


class _Header(Schema):
    class Meta:
        unknown = EXCLUDE

    Name = fields.String(required=True)
    Value = fields.String(required=True)


class _Address(Schema):
    class Meta:
        unknown = EXCLUDE

    Email = fields.String(load_default="")
    Name = fields.String(load_default="")


class _Attachment(Schema):
    class Meta:
        unknown = EXCLUDE

    Name = fields.String(load_default="attachment")
    Content = fields.String(required=True)
    ContentType = fields.String(load_default="application/octet-stream")


class PostmarkInbound(Schema):
    """The fields of Postmark's inbound JSON that intake reads (connectors.md)."""

    class Meta:
        unknown = EXCLUDE

    From = fields.String(load_default="")
    FromName = fields.String(load_default="")
    FromFull = fields.Nested(_Address, load_default=None, allow_none=True)
    To = fields.String(load_default="")
    ToFull = fields.List(fields.Nested(_Address), load_default=list)
    Cc = fields.String(load_default="")
    CcFull = fields.List(fields.Nested(_Address), load_default=list)
    ReplyTo = fields.String(load_default="")
    OriginalRecipient = fields.String(load_default="")
    Subject = fields.String(load_default="")
    Date = fields.String(load_default="")
    TextBody = fields.String(load_default="", allow_none=True)
    HtmlBody = fields.String(load_default="", allow_none=True)
    Headers = fields.List(fields.Nested(_Header), load_default=list)
    Attachments = fields.List(fields.Nested(_Attachment), load_default=list)
    RawEmail = fields.String(load_default=None, allow_none=True)


_schema = PostmarkInbound()


def _addresses(full: list[dict], fallback: str) -> str:
    if full:
        return ", ".join(formataddr((one_line(a["Name"]), one_line(a["Email"]))) for a in full if a["Email"])
    return one_line(fallback)


def rebuild(payload: dict) -> bytes:
    """An RFC 5322 message from Postmark's JSON fields, as close to the original as they allow."""
    message = EmailMessage(policy=SMTP)
    sender = payload["FromFull"] if (payload["FromFull"] or {}).get("Email") else \
        {"Email": payload["From"], "Name": payload["FromName"]}
    if sender.get("Email"):
        message["From"] = formataddr((one_line(sender.get("Name") or ""), one_line(sender["Email"])))
    for name, full, flat in (("To", payload["ToFull"], payload["To"]), ("Cc", payload["CcFull"], payload["Cc"])):
        if value := _addresses(full, flat):
            message[name] = value
    if payload["ReplyTo"]:
        message["Reply-To"] = one_line(payload["ReplyTo"])
    message["Subject"] = one_line(payload["Subject"])
    # Postmark writes the offset as "-04:00", which RFC 5322 parsers read as no zone at all.
    date = _ZONE_WITH_COLON.sub(r"\1\2", one_line(payload["Date"]))
    try:
        parsedate_to_datetime(date)
        message["Date"] = date
    except (TypeError, ValueError, IndexError):
        if date:  # the sender's own format, unparsable: kept, not as Date
            message["X-Original-Date"] = date
    for header in payload["Headers"]:
        name = header["Name"].strip()
        if _HEADER_NAME.match(name) and name.lower() not in _OWN_HEADERS:
            try:
                message[name] = one_line(header["Value"])
            except (ValueError, TypeError, IndexError):  # a structured header too broken to set
                message["X-Unparsed-" + name[:60]] = one_line(header["Value"])
    if payload["OriginalRecipient"] and "delivered-to" not in {k.lower() for k in message.keys()}:
        message["Delivered-To"] = one_line(payload["OriginalRecipient"])
    message.set_content(payload["TextBody"] or "")
    if payload["HtmlBody"]:
        message.add_alternative(payload["HtmlBody"], subtype="html")
    for attachment in payload["Attachments"]:
        data = base64.b64decode(attachment["Content"], validate=True)
        maintype, _, subtype = one_line(attachment["ContentType"]).partition("/")
        if not (maintype and subtype) or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(data, maintype=maintype, subtype=subtype,
                               filename=one_line(attachment["Name"]) or "attachment")
    return message.as_bytes()


def _authorized() -> bool:
    """Constant-time check of the Basic credentials against the configured ones."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return False
    username_ok = hmac.compare_digest((auth.username or "").encode(), current_app.config["POSTMARK_INBOUND_USERNAME"].encode())
    password_ok = hmac.compare_digest((auth.password or "").encode(), current_app.config["POSTMARK_INBOUND_PASSWORD"].encode())
    return username_ok and password_ok


def _raw_email(body: bytes) -> bytes:
    """The message in Postmark's JSON `body`; ValueError says why there is none."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ValueError("the body is not a JSON object")
    try:
        payload = _schema.load(document)
    except ValidationError as exc:
        raise ValueError(f"not Postmark's inbound JSON: {json.dumps(exc.messages)[:1000]}") from None
    if payload["RawEmail"]:
        return payload["RawEmail"].encode("utf-8", "surrogateescape")
    if not (payload["From"] or payload["FromFull"] or payload["Headers"] or payload["TextBody"] or payload["HtmlBody"]):
        raise ValueError("not Postmark's inbound JSON: no RawEmail, From, Headers or body")
    try:
        return rebuild(payload)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"the message cannot be rebuilt from the JSON: {exc}") from None


@bp.post("/postmark")
def postmark_inbound():
    config = current_app.config
    if not (config.get("POSTMARK_INBOUND_USERNAME") and config.get("POSTMARK_INBOUND_PASSWORD")):
        return error_response(404, "not_found", "the Postmark inbound webhook is not enabled")
    if not _authorized():
        return error_response(401, "unauthorized", "wrong or missing credentials for the inbound webhook",
                              headers={"WWW-Authenticate": 'Basic realm="dsar inbound", charset="UTF-8"'})
    # JSON carries the message base64-encoded, and often twice (RawEmail and the parts).
    request.max_content_length = 3 * int(config.get("INBOUND_MAX_BYTES") or DEFAULT_MAX_BYTES)
    body = request.get_data(cache=False)
    try:
        raw = _raw_email(body)
    except ValueError as exc:
        kept = keep_unreadable(body, source="postmark", error=str(exc))
        return error_response(400, "bad_request", f"{exc}; the body was kept as message {kept.message.id} for triage")
    outcome = ingest(raw, source="postmark")
    return jsonify({"message": outcome.message.id, "disposition": outcome.disposition,
                    "requests": [r.reference for r in outcome.requests], "duplicate": not outcome.stored})


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    limit = request.max_content_length
    return error_response(413, "payload_too_large", f"the body is over {limit} bytes")
