"""What the subject reads about rights and states: plain words, translated.

Lazy strings: each is translated when a page or an email is rendered, in that page's or
email's language.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString, lazy_gettext as _l

from dsar.lifecycle import Status
from dsar.models.rights import Right


@dataclass(frozen=True)
class RightWording:
    title: LazyString
    hint: LazyString  # one line on what it does


RIGHTS: dict[str, RightWording] = {
    Right.ACCESS.value: RightWording(
        _l("See your data"),
        _l("Find out whether your personal data is used, get a copy of it, and learn why and with whom it is used.")),
    Right.RECTIFICATION.value: RightWording(
        _l("Correct your data"),
        _l("Have inaccurate or incomplete data about you corrected.")),
    Right.ERASURE.value: RightWording(
        _l("Delete your data"),
        _l("Have your personal data erased when there is no longer a reason to keep it.")),
    Right.RESTRICTION.value: RightWording(
        _l("Limit the use of your data"),
        _l("Have your data kept but no longer used, for example while its accuracy is checked.")),
    Right.PORTABILITY.value: RightWording(
        _l("Take your data elsewhere"),
        _l("Receive the data you provided in a machine-readable format, or have it sent to another organisation.")),
    Right.OBJECTION.value: RightWording(
        _l("Object to the use of your data"),
        _l("Stop your data being used for direct marketing, or for purposes based on the organisation's legitimate interests.")),
    Right.AUTOMATED_DECISION.value: RightWording(
        _l("Have a person review an automated decision"),
        _l("Challenge a decision about you made solely by a computer that has significant effects on you.")),
}
assert set(RIGHTS) == {r.value for r in Right}


def right_article(right: str) -> LazyString:
    return _l("GDPR Art. %(number)s", number=Right(right).article.removeprefix("Art. "))


STATUS: dict[str, LazyString] = {
    Status.RECEIVED.value: _l(
        "We have received your request. Please confirm your email address with the link we sent you: "
        "nothing is done until you do."),
    Status.AWAITING_VERIFICATION.value: _l(
        "The organisation needs more information from you to confirm your identity. "
        "The deadline is paused until it receives it."),
    Status.VERIFIED.value: _l(
        "Your email address is confirmed. Your request is being passed to the organisation responsible for your data."),
    Status.ROUTED.value: _l(
        "Your email address is confirmed and your request is with the organisation responsible for your data, "
        "which will decide on it."),
    Status.FORWARDED.value: _l(
        "Your request has been sent to the organisation responsible for your data, which will decide on it."),
    Status.APPROVED.value: _l("The organisation has accepted your request and is carrying it out."),
    Status.IN_FULFILMENT.value: _l("Your request is being carried out."),
    Status.FULFILLED.value: _l("Your request has been carried out. The organisation will send you its answer."),
    Status.PARTIALLY_FULFILLED.value: _l(
        "Part of your request has been carried out. The organisation will send you an answer explaining the rest."),
    Status.ANSWERED.value: _l("The organisation has sent you its answer."),
    Status.CLOSED.value: _l("Your request has been dealt with and is now closed."),
    Status.REJECTED.value: _l(
        "The organisation has refused your request, for the reasons below. You may complain to a data protection "
        "authority or go to court."),
    Status.CANCELLED.value: _l("This request has been cancelled."),
    Status.DUPLICATE.value: _l("This request repeats another of your requests and has been merged with it."),
    Status.UNROUTABLE.value: _l(
        "Your email address is confirmed. We are finding out which organisation holds your data; "
        "this can take a little longer."),
}
assert set(STATUS) == {s.value for s in Status}
