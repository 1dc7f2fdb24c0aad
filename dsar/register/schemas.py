"""Marshmallow schemas for one register file: controllers, systems, processing activities.

Each schema checks what can be checked from one entry alone (types, unknown keys, blank
fields, slugs, email addresses, https webhooks, calendars, transfer safeguards, secrets
written as literal values). Checks that need the whole register (duplicate ids,
references, aliases shared by two controllers, exactly one operator) are in
`dsar.register.loader`, which also turns the loaded dicts into the frozen specs.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from dsar.clocks.calendar import validate_calendar

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

IDENTITY_FIELDS = ("email", "phone", "name", "customer_id", "ip_address")
ACTIONS = ("access", "export", "erase", "rectify", "restrict", "suppress")
ROLES = ("controller", "processor")
# GDPR Art. 6(1)(a)-(f), in the order of the article.
LEGAL_BASES = {
    "consent": "Art. 6(1)(a)",
    "contract": "Art. 6(1)(b)",
    "legal_obligation": "Art. 6(1)(c)",
    "vital_interests": "Art. 6(1)(d)",
    "public_task": "Art. 6(1)(e)",
    "legitimate_interests": "Art. 6(1)(f)",
}

# The EU's 27 member states plus Iceland, Liechtenstein and Norway.
EEA_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO".split()
)
# ISO 3166-1 alpha-2 (officially assigned codes).
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
# ISO 639-1 two-letter language codes.
ISO_LANGUAGES = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia
id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo
lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl
ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk
tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())

# --- secrets in connector settings -------------------------------------------------------

# A settings key is a secret when its name, lowercased with separators removed, contains
# one of these ...
_SECRET_FRAGMENTS = ("token", "secret", "password", "passwd", "passphrase", "credential",
                     "apikey", "privatekey", "authorization")
# ... or when one of its words is "pwd", or "key" not used in a schema sense
# (`key_prefix`, `primary_key`: the key of an object or a row, not a credential).
_KEY_NOT_SECRET_AFTER = {"prefix", "template", "pattern", "format", "column", "columns",
                         "field", "fields", "name", "names", "property", "path"}
_KEY_NOT_SECRET_BEFORE = {"primary", "foreign", "sort", "partition", "object", "lookup",
                          "unique", "idempotency"}
_URL_WITH_PASSWORD_RE = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@", re.IGNORECASE)


def _words(name: str) -> list[str]:
    """`apiKey`, `api-key`, `API_KEY` → ["api", "key"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_secret_name(name: str) -> bool:
    """Whether a settings key's name says it holds a secret (token, password, API key…)."""
    words = _words(name)
    joined = "".join(words)
    if any(fragment in joined for fragment in _SECRET_FRAGMENTS) or "pwd" in words:
        return True
    for i, word in enumerate(words):
        if word != "key":
            continue
        after = words[i + 1] if i + 1 < len(words) else None
        before = words[i - 1] if i > 0 else None
        if after not in _KEY_NOT_SECRET_AFTER and before not in _KEY_NOT_SECRET_BEFORE:
            return True
    return False


def is_env_ref(value: Any) -> bool:
    """Whether `value` is an environment reference: a mapping with the single key `env`."""
    return isinstance(value, dict) and set(value) == {"env"}


def settings_problems(settings: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Yield (path, message) for every secret written as a literal value in `settings`.

    Any key whose name suggests a secret must hold `{env: VAR_NAME}`; so must every string
    or number below such a key. Any `{env: …}` must name a valid variable, and a URL with
    a password in it is a literal secret whatever its key is called.
    """
    yield from _walk_settings(settings, path, secret=False)


def _walk_settings(value: Any, path: tuple, secret: bool) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, dict) and "env" in value:
        name = value["env"]
        if set(value) != {"env"}:
            yield path, "an environment reference takes only the key `env`"
        elif not isinstance(name, str) or not ENV_NAME_RE.match(name):
            yield path, f"`env` must name an environment variable (letters, digits, _), got {name!r}"
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_settings(item, (*path, str(key)), secret or is_secret_name(str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_settings(item, (*path, index), secret)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        if secret:
            yield path, ("is a secret written as a literal value; put it in an environment "
                         "variable and write {env: VAR_NAME}")
        elif isinstance(value, str) and _URL_WITH_PASSWORD_RE.match(value):
            yield path, ("holds a URL with a password in it; put the URL in an environment "
                         "variable and write {env: VAR_NAME}")


def _nest(path: tuple, message: str) -> dict:
    """(a, 0, b), msg → {a: {0: {b: [msg]}}}, the shape of marshmallow's error messages."""
    errors: Any = [message]
    for part in reversed(path):
        errors = {part: errors}
    return errors


def _merge(into: dict, errors: dict) -> None:
    for key, value in errors.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key].extend(value)
        else:
            into[key] = value


# --- fields -------------------------------------------------------------------------------

class Text(fields.String):
    """A string with surrounding blanks removed that must not be empty once they are."""

    default_error_messages = {"blank": "must not be blank"}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise self.make_error("blank")
        return text


class Slug(Text):
    """A lower-case identifier: letters, digits and single dashes (`cabinet-martin`)."""

    default_error_messages = {
        "slug": "must be a slug: lower-case letters, digits and single dashes, e.g. `cabinet-martin`",
    }

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=64), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not SLUG_RE.match(text):
            raise self.make_error("slug")
        return text


class Email(fields.Email):
    """An email address, stripped and with its domain lower-cased."""

    default_error_messages = {"invalid": "not a valid email address"}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if isinstance(value, str):
            value = value.strip()
            local, at, domain = value.rpartition("@")
            if at:
                value = f"{local}@{domain.lower()}"
        return super()._deserialize(value, attr, data, **kwargs)


class ClockTime(fields.Field):
    """A local time of day written "HH:MM" (quoted or not: the loader keeps 17:00 a string)."""

    default_error_messages = {"invalid": 'must be a time of day written "HH:MM", e.g. "17:00"'}

    def _deserialize(self, value, attr, data, **kwargs) -> time:
        if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
            raise self.make_error("invalid")
        hours, minutes = (int(part) for part in value.strip().split(":"))
        if hours > 23 or minutes > 59:
            raise self.make_error("invalid")
        return time(hours, minutes)


def _strings(inner: fields.Field, *, required: bool = False, non_empty: bool = False) -> fields.List:
    kwargs: dict[str, Any] = {"required": True} if required else {"load_default": list}
    if non_empty:
        kwargs["validate"] = validate.Length(min=1, error="must list at least one")
    return fields.List(inner, **kwargs)


def _choices(options) -> fields.List:
    """A required, non-empty list of values taken from `options`."""
    inner = fields.String(validate=validate.OneOf(options, error="must be one of: {choices}"))
    return _strings(inner, required=True, non_empty=True)


# --- schemas ------------------------------------------------------------------------------

class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ContactSchema(StrictSchema):
    """Where a controller's DSAR notices go: an address and, optionally, a webhook."""

    email = Email(required=True)
    webhook = fields.Url(
        load_default=None, allow_none=True, schemes={"https"}, require_tld=False,
        error_messages={"invalid": "must be an https:// URL"},
    )


class RoutingSchema(StrictSchema):
    """How an incoming request is recognised as this controller's (DESIGN §6)."""

    aliases = _strings(Email())
    forms = _strings(Slug())
    names = _strings(Text(validate=validate.Length(max=200)))


class ProcessorSlaSchema(StrictSchema):
    """The contractual time the operator, as processor, has to act on an instruction."""

    working_days = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=1, max=60))
    cutoff = ClockTime(load_default=None, allow_none=True)


class ForwardingSchema(StrictSchema):
    """The target for forwarding a request the operator received to this controller."""

    working_days = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=60))


class ControllerSchema(StrictSchema):
    """One controller: a client of the operator, or (`operator: true`) the operator itself."""

    id = Slug(required=True)
    name = Text(required=True, validate=validate.Length(max=200))
    operator = fields.Boolean(load_default=False)
    country = Text(required=True)
    subdivision = Text(load_default=None, allow_none=True)
    timezone = Text(required=True)
    language = Text(required=True)
    contact = fields.Nested(ContactSchema, required=True)
    routing = fields.Nested(RoutingSchema, load_default=lambda: RoutingSchema().load({}))
    processor_sla = fields.Nested(ProcessorSlaSchema, load_default=lambda: ProcessorSlaSchema().load({}))
    forwarding = fields.Nested(ForwardingSchema, load_default=lambda: ForwardingSchema().load({}))

    @pre_load
    def _normalise(self, data, **kwargs):
        """Normalise case first: `fr` → `FR`, `ES-MD` → `MD`, `EN` → `en`."""
        if isinstance(data, dict):
            data = dict(data)
            country = data.get("country")
            if isinstance(country, str):
                data["country"] = country = country.strip().upper()
            subdivision = data.get("subdivision")
            if isinstance(subdivision, str) and isinstance(country, str):
                subdivision = subdivision.strip()
                if subdivision.upper().startswith(country + "-"):
                    subdivision = subdivision[len(country) + 1:]
                data["subdivision"] = subdivision
            if isinstance(data.get("language"), str):
                data["language"] = data["language"].strip().lower()
        return data

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict, **kwargs) -> None:
        errors: dict = {}
        language = data.get("language")
        if language is not None and language not in ISO_LANGUAGES:
            _merge(errors, _nest(("language",), f"{language!r} is not an ISO 639-1 two-letter language code"))
        country, timezone = data.get("country"), data.get("timezone")
        if country is not None and timezone is not None:
            for problem in validate_calendar(country, data.get("subdivision"), timezone):
                _merge(errors, _nest((_calendar_field(problem),), problem))
        if errors:
            raise ValidationError(errors)


def _calendar_field(problem: str) -> str:
    """Which key a calendar problem is about, judged from its wording."""
    lowered = problem.lower()
    if "time zone" in lowered or "timezone" in lowered:
        return "timezone"
    if "subdivision" in lowered:
        return "subdivision"
    return "country"


class ConnectorSchema(StrictSchema):
    """How the fulfilment jobs reach a system; `settings` belong to the connector type."""

    type = Slug(required=True)
    settings = fields.Dict(keys=fields.String(), load_default=dict)

    @validates_schema(skip_on_field_errors=False)
    def _check_secrets(self, data: dict, **kwargs) -> None:
        errors: dict = {}
        for path, message in settings_problems(data.get("settings") or {}, ("settings",)):
            _merge(errors, _nest(path, message))
        if errors:
            raise ValidationError(errors)
        if isinstance(data.get("type"), str):
            _check_with_connector(data["type"], data.get("settings") or {})


def _check_with_connector(type_name: str, settings: dict) -> None:
    """The connector type exists and its own schema accepts the settings (dsar.connectors)."""
    from dsar import connectors

    problems = connectors.settings_problems(type_name, settings)
    if isinstance(problems, str):
        raise ValidationError({"type": [problems]})
    if problems:
        raise ValidationError({"settings": problems})


class SystemSchema(StrictSchema):
    """A store holding personal data: a sub-processor's service or a database."""

    id = Slug(required=True)
    name = Text(required=True, validate=validate.Length(max=200))
    processor = Text(required=True, validate=validate.Length(max=200))
    location = Text(required=True)
    location_detail = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    transfer_safeguard = Text(load_default=None, allow_none=True, validate=validate.Length(max=300))
    connector = fields.Nested(ConnectorSchema, required=True)
    identity_fields = _choices(IDENTITY_FIELDS)
    actions = _choices(ACTIONS)
    owner_email = Email(load_default=None, allow_none=True)

    @pre_load
    def _normalise(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("location"), str):
            data = {**data, "location": data["location"].strip().upper()}
        return data

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict, **kwargs) -> None:
        errors: dict = {}
        location = data.get("location")
        if location is not None and location not in ISO_COUNTRIES:
            _merge(errors, _nest(("location",), f"{location!r} is not an ISO 3166-1 alpha-2 country code"))
        elif location is not None and location not in EEA_COUNTRIES and not data.get("transfer_safeguard"):
            _merge(errors, _nest(("transfer_safeguard",), (
                f"required: {location} is outside the EEA, so name the GDPR Chapter V safeguard "
                "(e.g. \"EU-US Data Privacy Framework\" or \"Standard Contractual Clauses "
                "(Commission Decision 2021/914)\")")))
        connector = data.get("connector") or {}
        if connector.get("type") == "manual" and not data.get("owner_email"):
            _merge(errors, _nest(("owner_email",), "required for a manual system: its tasks are emailed there"))
        if errors:
            raise ValidationError(errors)


class RecipientSchema(StrictSchema):
    """Someone the activity's data is disclosed to (Art. 15(1)(c), Art. 19).

    `system` names the register's system through which it receives the data (it is then
    told of a rectification, erasure or restriction by that system's task); `email` is
    where an Art. 19 notice goes otherwise. A recipient with neither is listed to the
    subject, and its notice is left for a person to send.
    """

    name = Text(required=True, validate=validate.Length(max=200))
    country = Text(load_default=None, allow_none=True)
    system = Slug(load_default=None, allow_none=True)
    email = Email(load_default=None, allow_none=True)

    @pre_load
    def _normalise(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("country"), str):
            data = {**data, "country": data["country"].strip().upper()}
        return data

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict, **kwargs) -> None:
        country = data.get("country")
        if country is not None and country not in ISO_COUNTRIES:
            raise ValidationError({"country": [f"{country!r} is not an ISO 3166-1 alpha-2 country code"]})


class Recipient(fields.Field):
    """A recipient written as its name alone, or as a mapping (RecipientSchema)."""

    default_error_messages = {"invalid": "must be a name, or a mapping with `name` and optionally "
                                         "`country`, `system`, `email`"}

    def _deserialize(self, value, attr, data, **kwargs) -> dict:
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        return RecipientSchema().load(value)


class ActivitySchema(StrictSchema):
    """One processing activity of the register (Art. 30), as the agreements describe it."""

    id = Slug(required=True)
    controllers = _strings(Slug(), required=True, non_empty=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES, error="must be one of: {choices}"))
    purpose = Text(required=True, validate=validate.Length(max=500))
    data_subjects = Text(required=True, validate=validate.Length(max=300))
    data_categories = _strings(Text(), required=True, non_empty=True)
    legal_basis = fields.String(
        required=True,
        validate=validate.OneOf(tuple(LEGAL_BASES), error="must be one of: {choices} (GDPR Art. 6(1)(a)-(f))"),
    )
    retention = Text(required=True, validate=validate.Length(max=300))
    retention_blocks_erasure = fields.Boolean(load_default=False)
    source = Text(required=True, validate=validate.Length(max=300))
    recipients = fields.List(Recipient(), load_default=list)
    automated_decisions = Text(load_default=None, allow_none=True, validate=validate.Length(max=500))
    systems = _strings(Slug(), required=True)
