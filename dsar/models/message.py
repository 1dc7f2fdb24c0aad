"""Every email in or out, with its raw source, linked to its request when known.

Inbound messages keep what intake understood of them and what it did with them
(`disposition`), so a message that opened nothing is still there for a human to see.
Outbound messages keep their delivery state, so a failed send is visible and retried.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dsar.extensions import db
from dsar.models.types import JSONType, UTCDateTime

if TYPE_CHECKING:
    from dsar.models.request import Request

# What intake did with an inbound message.
DISPOSITIONS = (
    "opened",        # opened one request (or several, split by routing)
    "threaded",      # a reply joined its request
    "chaser",        # a reminder about an earlier request, joined to it and flagged
    "needs_triage",  # not understood with confidence: a human decides (never dropped)
    "not_request",   # understood as unrelated to data-subject rights; kept and shown
    "auto_reply",    # auto-submitted (out of office…): kept, opens nothing
    "bounce",        # a delivery status notification: kept, opens nothing
    "triaged",       # a human dealt with a needs_triage message
)


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_disposition", "disposition", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    # How it came or went: imap, postmark, file, smtp.
    source: Mapped[str] = mapped_column(String(12), default="")
    message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    # Space-separated Message-IDs (without <>) the message answers, for threading.
    in_reply_to: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str] = mapped_column(String(320), default="")
    recipients: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(2))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Inbound only.
    disposition: Mapped[str | None] = mapped_column(String(16))
    understanding: Mapped[dict | None] = mapped_column(JSONType)
    triaged_by: Mapped[str | None] = mapped_column(String(120))
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Outbound only: the template it was rendered from and what became of it.
    template: Mapped[str | None] = mapped_column(String(40))
    delivery: Mapped[str | None] = mapped_column(String(12))  # queued | sent | failed
    delivery_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[Request | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.id"
    )


class Attachment(db.Model):
    """A file attached to an inbound message; over the size limit only its facts are kept."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(127), default="application/octet-stream")
    size: Mapped[int] = mapped_column(default=0)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    omitted: Mapped[str | None] = mapped_column(String(200))

    message: Mapped[Message] = relationship(back_populates="attachments")


class Mailbox(db.Model):
    """Where IMAP polling of one mailbox folder has got to.

    A message is only counted as read (last_uid advanced) after it is committed, and a
    changed UIDVALIDITY means the server renumbered: read the folder again from the start
    (Message-ID deduplication keeps that harmless).
    """

    __tablename__ = "mailboxes"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)  # user@host:port/folder
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
