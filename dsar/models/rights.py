"""The data-subject rights dsar handles (GDPR Art. 15–22), stored as a bit set.

A request asks for a *set* of rights; a bit mask keeps that set in one indexed integer
column that filters the same way on SQLite and PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Right(str, Enum):
    """One right, with the GDPR article that grants it."""

    ACCESS = "access"                        # Art. 15
    RECTIFICATION = "rectification"          # Art. 16
    ERASURE = "erasure"                      # Art. 17
    RESTRICTION = "restriction"              # Art. 18
    PORTABILITY = "portability"              # Art. 20
    OBJECTION = "objection"                  # Art. 21
    AUTOMATED_DECISION = "automated_decision"  # Art. 22

    @property
    def bit(self) -> int:
        return 1 << list(Right).index(self)

    @property
    def article(self) -> str:
        return _ARTICLES[self]


_ARTICLES = {
    Right.ACCESS: "Art. 15", Right.RECTIFICATION: "Art. 16", Right.ERASURE: "Art. 17",
    Right.RESTRICTION: "Art. 18", Right.PORTABILITY: "Art. 20", Right.OBJECTION: "Art. 21",
    Right.AUTOMATED_DECISION: "Art. 22",
}
RIGHT_NAMES = tuple(r.value for r in Right)


def to_mask(rights: Iterable[Right | str]) -> int:
    mask = 0
    for right in rights:
        mask |= Right(right).bit
    return mask


def from_mask(mask: int) -> list[str]:
    """The rights in `mask`, in the fixed order of the enum."""
    return [r.value for r in Right if mask & r.bit]
