"""API bearer tokens: only a SHA-256 of each token is stored."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from dsar.extensions import db
from dsar.models.types import UTCDateTime


class Role(str, Enum):
    OPERATOR_ADMIN = "operator_admin"
    OPERATOR_AGENT = "operator_agent"
    CONTROLLER_ADMIN = "controller_admin"
    CONTROLLER_AGENT = "controller_agent"
    BOT = "bot"
    # The data subject, proven by a signed link sent to their email (dsar/public): acts on
    # their own request only, and never through an API token.
    SUBJECT = "subject"

    @property
    def is_operator(self) -> bool:
        return self in (Role.OPERATOR_ADMIN, Role.OPERATOR_AGENT)

    @property
    def holds_tokens(self) -> bool:
        """Whether an API token may be minted for this role."""
        return self is not Role.SUBJECT


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    # High-entropy random tokens: a plain SHA-256 is enough (no dictionary to guess from).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    # None for operator-wide tokens (operator roles, or a bot acting for the operator).
    controller_id: Mapped[str | None] = mapped_column(ForeignKey("controllers.id"))
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
