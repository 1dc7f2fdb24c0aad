"""Staff accounts for the web UI: operator and controller people, with their role.

Bots use API tokens (dsar/models/token.py); subjects use signed links. A password is
stored only as a slow, salted hash; repeated failures lock the account for a while.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from dsar.extensions import db
from dsar.models.types import UTCDateTime


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # a staff Role: operator_*/controller_*
    # None for operator staff; the one controller a controller's staff work for.
    controller_id: Mapped[str | None] = mapped_column(ForeignKey("controllers.id"))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
