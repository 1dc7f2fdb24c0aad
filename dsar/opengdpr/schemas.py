"""What an OpenGDPR 1.0 request may say, and how its identities and types map onto ours.

Types: the spec's access, portability and erasure, plus our other rights
(rectification, restriction, objection, automated_decision) as an extension: discovery
lists them under `extensions.<processor domain>.subject_request_types`, and a request
names one as its `subject_request_type`. A request's own extension object (keyed by our
domain, spec §7.1.2) may carry `corrections` (rectification: field → corrected value),
`details` (the subject's words) and `language` (ISO 639-1); other processors'
extensions are ignored.

Identities: `email` (raw, sha256, md5, sha1) and `controller_customer_id` (raw). A raw
email becomes our `email`, a controller customer id our `customer_id`; a hashed email is
kept as `email_<format>` with its lowercase hex digest. No connector searches by a hash,
so a system reached only through hashed identities reports "not searched" (see
dsar.fulfilment.runner): send a raw identity whenever the contract allows. The spec's
other identity types (advertising and device ids) are accepted and ignored, since no
system of ours holds them; a request with none we can use is refused.
"""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from dsar.api.schemas import Text

OPENGDPR_TYPES = ("access", "portability", "erasure")
EXTENSION_TYPES = ("rectification", "restriction", "objection", "automated_decision")
# The spec's identity types (§5.1); only some reach a system of ours.
SPEC_IDENTITY_TYPES = (
    "controller_customer_id", "android_advertising_id", "android_id", "email", "fire_advertising_id",
    "ios_advertising_id", "ios_vendor_id", "microsoft_advertising_id", "microsoft_publisher_id",
    "roku_publisher_id", "roku_advertising_id",
)
FORMATS = ("raw", "sha1", "md5", "sha256")
HEX_LENGTH = {"sha1": 40, "md5": 32, "sha256": 64}
# (identity_type, identity_format) → our identity kind
SUPPORTED_IDENTITIES = {
    ("email", "raw"): "email",
    ("email", "sha256"): "email_sha256",
    ("email", "md5"): "email_md5",
    ("email", "sha1"): "email_sha1",
    ("controller_customer_id", "raw"): "customer_id",
}
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MAX_CALLBACKS = 10


class IdentityIn(Schema):
    identity_type = Text(required=True, validate=validate.OneOf(SPEC_IDENTITY_TYPES))
    identity_value = Text(required=True, validate=validate.Length(min=1, max=320))
    identity_format = Text(required=True, validate=validate.OneOf(FORMATS))

    @validates_schema
    def check_value(self, data, **kwargs):
        value, form = data["identity_value"].strip(), data["identity_format"]
        if form in HEX_LENGTH and not re.fullmatch(rf"[0-9a-fA-F]{{{HEX_LENGTH[form]}}}", value):
            raise ValidationError(f"a {form} identity is {HEX_LENGTH[form]} hexadecimal digits", "identity_value")
        if (data["identity_type"], form) == ("email", "raw"):
            try:
                validate.Email()(value)
            except ValidationError:
                raise ValidationError("not a valid email address", "identity_value") from None


class OurExtension(Schema):
    """The request's extension object under our processor domain."""

    corrections = fields.Dict(keys=Text(validate=validate.Length(min=1, max=100)),
                              values=Text(validate=validate.Length(max=2000)), validate=validate.Length(max=50))
    details = Text(validate=validate.Length(max=20000))
    language = Text(validate=validate.Regexp(r"^[a-z]{2}$", error="an ISO 639-1 code such as 'fr'"))


class OpenGdprRequestIn(Schema):
    """POST /v1/opengdpr_requests. `domain` is ours (whose extension object we read);
    `url_problem(url)` says why a callback URL is refused (dsar.answers.webhooks). The
    loaded data carries our extension object, checked, as `our_extension`."""

    def __init__(self, domain: str, url_problem, **kwargs):
        super().__init__(**kwargs)
        self.domain, self.url_problem = domain, url_problem

    subject_request_id = Text(required=True)
    subject_request_type = Text(required=True, validate=validate.OneOf(OPENGDPR_TYPES + EXTENSION_TYPES))
    subject_identities = fields.List(fields.Nested(IdentityIn), required=True,
                                     validate=validate.Length(min=1, max=20))
    submitted_time = fields.AwareDateTime(required=True, format="iso")
    api_version = Text(load_default="1.0", validate=validate.Length(max=10))
    status_callback_urls = fields.List(Text(validate=validate.Length(min=1, max=500)), load_default=list,
                                       validate=validate.Length(max=MAX_CALLBACKS))
    extensions = fields.Dict(keys=Text(validate=validate.Length(max=253)), values=fields.Raw(), load_default=dict)
    # OpenDSR 2.0 (§10.1: its clients may still use these routes) adds `regulation`.
    regulation = Text(validate=validate.OneOf(["gdpr"], error="this processor handles GDPR requests only"))

    @validates("subject_request_id")
    def check_id(self, value, **kwargs):
        if not UUID4.fullmatch(value):
            raise ValidationError("must be a lowercase UUID v4")

    @validates("api_version")
    def check_version(self, value, **kwargs):
        if value.split(".")[0] != "1":
            raise ValidationError("this endpoint speaks OpenGDPR 1.x")

    @validates("status_callback_urls")
    def check_callbacks(self, urls, **kwargs):
        problems = {i: [f"{url!r} {problem}"] for i, url in enumerate(urls)
                    if (problem := self.url_problem(url))}
        if problems:
            raise ValidationError(problems)

    @validates_schema
    def check_extension_and_identities(self, data, **kwargs):
        ours = data.get("extensions", {}).get(self.domain)
        try:
            data["our_extension"] = OurExtension().load(ours) if ours is not None else {}
        except ValidationError as exc:
            raise ValidationError({self.domain: exc.messages}, "extensions") from None
        if not any((i["identity_type"], i["identity_format"]) in SUPPORTED_IDENTITIES
                   for i in data.get("subject_identities", [])):
            raise ValidationError("none of these identities is one this processor supports (see /v1/discovery)",
                                  "subject_identities")
        ours = data["our_extension"]
        if (data.get("subject_request_type") == "rectification" and not ours.get("corrections")
                and not ours.get("details", "").strip()):
            raise ValidationError(f"say what to correct in extensions.{self.domain}.corrections",
                                  "extensions")


def our_identities(identities: list[dict]) -> list[tuple[str, str]]:
    """The (kind, value) pairs of ours for the supported identities; the others are dropped."""
    pairs = []
    for identity in identities:
        kind = SUPPORTED_IDENTITIES.get((identity["identity_type"], identity["identity_format"]))
        if kind is None:
            continue
        value = identity["identity_value"].strip()
        pairs.append((kind, value.lower() if identity["identity_format"] in HEX_LENGTH else value))
    return pairs
