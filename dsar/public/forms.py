"""The public request form: fields, limits and the checks that make each error clear.

Every field has a length limit (also rendered as `maxlength`), refuses control
characters, and single-line fields refuse line breaks. The email must be exactly one
plain address (no second address, no CR/LF: nothing that could become a mail header).
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from dsar.api.schemas import UNTYPEABLE  # the API's own rule for text a person can type and we can store
from dsar.mail.outbox import is_single_address
from dsar.models.rights import RIGHT_NAMES

MAX_EMAIL, MAX_NAME, MAX_PHONE, MAX_CUSTOMER_ID = 254, 200, 40, 100
MAX_CORRECTIONS, MAX_DETAILS = 2000, 5000
_PHONE = re.compile(r"\+?[0-9 ().\-/]{3,40}")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x85]")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form, field) -> None:
    if field.data and UNTYPEABLE.search(field.data):
        raise ValidationError(_l("Remove the invisible control characters from this field."))


def one_line(form, field) -> None:
    no_control_characters(form, field)
    if field.data and _LINE_BREAK.search(field.data):
        raise ValidationError(_l("Write this on a single line."))


def one_address(form, field) -> None:
    if field.data and not is_single_address(field.data):
        raise ValidationError(_l("Enter one email address, like name@example.com."))


def phone_number(form, field) -> None:
    if field.data and _PHONE.fullmatch(field.data) is None:
        raise ValidationError(_l("Enter a phone number using digits, spaces and + only."))


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters."))


class RightsField(SelectMultipleField):
    """The rights ticked; the template renders each as a checkbox with its explanation."""

    def pre_validate(self, form) -> None:
        if not self.data:
            raise ValidationError(_l("Choose at least one right."))
        if not set(self.data) <= set(RIGHT_NAMES) or len(set(self.data)) != len(self.data):
            raise ValidationError(_l("Choose among the rights listed."))


class RequestForm(FlaskForm):
    # General page only: which organisation ("" = I don't know; routing decides).
    organisation = SelectField(_l("Which organisation is your request about?"), choices=[], default="")
    rights = RightsField(_l("What do you want to ask for?"), choices=list(RIGHT_NAMES))
    corrections = TextAreaField(_l("What should be corrected?"), filters=[_strip],
                                validators=[_at_most(MAX_CORRECTIONS), no_control_characters])
    email = StringField(_l("Email address"), filters=[_strip], validators=[
        DataRequired(_l("Enter your email address.")), _at_most(MAX_EMAIL), one_address])
    name = StringField(_l("Full name"), filters=[_strip],
                       validators=[Optional(), _at_most(MAX_NAME), one_line])
    phone = StringField(_l("Phone number"), filters=[_strip],
                        validators=[Optional(), _at_most(MAX_PHONE), one_line, phone_number])
    customer_id = StringField(_l("Customer or account number"), filters=[_strip],
                              validators=[Optional(), _at_most(MAX_CUSTOMER_ID), one_line])
    details = TextAreaField(_l("Anything else we should know?"), filters=[_strip],
                            validators=[Optional(), _at_most(MAX_DETAILS), no_control_characters])
    # The honeypot: hidden from people (CSS), labelled "leave empty" for screen readers;
    # robots that fill every field fill it. Checked by the view, before anything else.
    website = StringField(_l("Leave this field empty"))

    def validate_corrections(self, field) -> None:
        if "rectification" in (self.rights.data or []) and not field.data:
            raise ValidationError(_l("Say what should be corrected: which data is wrong, and what it should be."))

    def is_robot(self) -> bool:
        return bool(self.website.data)

    def identities(self) -> list[tuple[str, str]]:
        """(kind, value) pairs for create_request, email first."""
        pairs = [("email", self.email.data), ("name", self.name.data), ("phone", self.phone.data),
                 ("customer_id", self.customer_id.data)]
        return [(kind, value) for kind, value in pairs if value]

    def corrections_data(self) -> dict | None:
        """The subject's own words on what to correct (the API's `corrections` object)."""
        if "rectification" in self.rights.data and self.corrections.data:
            return {"requested": self.corrections.data}
        return None
