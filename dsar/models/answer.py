"""What a request's answer leaves behind: access packages, Art. 19 notices, webhook deliveries.

A `Package` is one encrypted ZIP the subject downloads through an expiring link; only
the SHA-256 of the link's token is stored. A `Notice` is one Art. 19 notice to one
recipient of the data, with how it went. A `WebhookDelivery` is one signed POST we owe
someone (a controller's webhook, an OpenGDPR status callback), retried until it lands.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dsar.extensions import db
from dsar.models.types import JSONType, UTCDateTime


class Package(db.Model):
    """An access (or portability) package: an encrypted file and the link that reaches it."""

    __tablename__ = "packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # access | portability
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Relative to DSAR_EXPORT_DIR; the file is encrypted (Fernet) and gone once deleted_at is set.
    path: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")  # of the plain ZIP
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    downloads: Mapped[int] = mapped_column(default=0)
    last_download_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request = relationship("Request")


# Notice states: pending → sent (email handed to SMTP, or the system's task done) |
# failed (retried by `dsar tick`) | manual (no way to reach the recipient: a person must).
NOTICE_STATES = ("pending", "sent", "failed", "manual")


class Notice(db.Model):
    """One Art. 19 notice of a rectification, erasure or restriction to one recipient."""

    __tablename__ = "notices"
    # The notices duty's look-up, every few seconds: email notices still pending or failed.
    __table_args__ = (Index("ix_notices_status_channel", "status", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    # connector: the recipient is a system of the register, told through its task;
    # email: a notice email; none: the register gives no way to reach it.
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(254))  # an email, or a system id
    actions: Mapped[list] = mapped_column(JSONType, default=list)  # rectify | erase | restrict
    status: Mapped[str] = mapped_column(String(10), default="pending")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request = relationship("Request")


class WebhookDelivery(db.Model):
    """One signed POST owed to someone, kept until it is delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # processor_report | opengdpr_status
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)  # the exact bytes signed and sent (UTF-8 JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    response_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OpenGdprRequest(db.Model):
    """A controller's OpenGDPR instruction, and the request it became."""

    __tablename__ = "opengdpr_requests"

    # The controller's subject_request_id: a lowercase UUIDv4.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    controller_id: Mapped[str] = mapped_column(ForeignKey("controllers.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), unique=True)
    request_type: Mapped[str] = mapped_column(String(30))
    api_version: Mapped[str] = mapped_column(String(10), default="1.0")
    submitted_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_time: Mapped[datetime] = mapped_column(UTCDateTime)
    callback_urls: Mapped[list] = mapped_column(JSONType, default=list)
    # The last request_status told to the callbacks, so each change is sent once.
    last_status: Mapped[str | None] = mapped_column(String(12))

    request = relationship("Request")
