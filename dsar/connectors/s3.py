"""The S3 connector: a subject's objects in an S3 bucket (AWS, or any S3-compatible store).

Which objects are the subject's comes from the register (connectors.md, "S3"):

- `prefix`: one or more key prefix templates with identity placeholders, such as
  "organizations/{customer_id}/users/{email}/". Every object under a filled-in prefix is
  the subject's. A template whose placeholders the subject cannot fill is skipped, with a
  note; a value holding "/" or ".." is never used, so it cannot reach another prefix.
- `tag`: an object tag whose value is one of the subject's identities
  (`{key: dsar-subject, identity: email}`). S3 cannot search by tag, so this lists the
  bucket (or `tag.scan_prefix`) and reads every object's tags: one request per object,
  which is slow and billed per request on a large bucket. Prefer `prefix` where the key
  layout allows it.

Actions: access and export read the current objects (text as text when it is UTF-8 and
under 1 MiB, else base64; objects over `max_export_bytes` are listed, not copied).
Erase deletes in batches of at most 1,000 keys; in a versioned bucket it deletes every
version and delete marker, and an object counts as erased only when S3 confirmed every
one of them gone. Restrict adds the tag `dsar-restricted=true` to each object, keeping
its other tags.

Errors: throttling, 5xx and unreachable endpoints become `RetryLater` (after botocore's
own few retries); refusals (access denied, no such bucket, bad credentials) a
`ConnectorError` that names the bucket and never a secret.
"""
from __future__ import annotations

import base64
import hashlib
import itertools
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError, IncompleteReadError, NoCredentialsError, PartialCredentialsError
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dsar.connectors import register
from dsar.connectors.base import (BLOCKED_BY_RETENTION, ERASED, EXPORTED, FOUND, NOT_SUPPORTED, RESTRICTED,
                                  ActionResult, Connector, ConnectorError, EnvRef, NotConfigured, RetryLater,
                                  Subject)

IDENTITY_KINDS = ("email", "phone", "name", "customer_id", "ip_address")
DELETE_BATCH = 1000          # S3's limit of keys per DeleteObjects call
TEXT_LIMIT = 1024 * 1024     # bigger objects are exported as base64 even when they are text
MAX_PREFIXES = 50            # filled-in prefixes per template (identity values multiply)
RESTRICTED_TAG = ("dsar-restricted", "true")
MAX_TAGS = 10                # S3's limit of tags per object

# Error codes S3 (or a compatible store) sends for what may pass on a later try.
TRANSIENT_CODES = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestThrottled",
                             "RequestLimitExceeded", "TooManyRequestsException", "RequestTimeout",
                             "ServiceUnavailable", "InternalError", "OperationAborted"})
CREDENTIAL_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                              "InvalidClientTokenId"})
# The bucket lives in another region than the `region` setting says.
REGION_CODES = frozenset({"AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException"})


# -- settings --------------------------------------------------------------------------

def template_fields(template: str) -> list[str]:
    """The placeholders of a prefix template, in order; ValueError when it is malformed."""
    names = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if name not in IDENTITY_KINDS:
            raise ValueError(f"unknown placeholder {{{name}}}; use one of: {', '.join(IDENTITY_KINDS)}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format or conversion")
        names.append(name)
    return names


class PrefixTemplates(fields.Field):
    """`prefix`: one template or a list of them; loads as a list."""

    def _deserialize(self, value, attr, data, **kwargs):
        templates = [value] if isinstance(value, str) else value
        if not isinstance(templates, list) or not templates or len(templates) > 10 \
                or not all(isinstance(t, str) and t.strip() for t in templates):
            raise ValidationError("a key prefix template, or a list of 1 to 10 of them")
        for template in templates:
            try:
                names = template_fields(template)
            except ValueError as exc:
                raise ValidationError(f"{template!r}: {exc}") from None
            # A prefix without a placeholder is the same for every subject: erasing by it
            # would delete everyone's objects.
            if not names:
                raise ValidationError(f"{template!r}: needs at least one identity placeholder, e.g. {{email}}")
            # Ending on a placeholder would let customer 12's prefix take customer 123's objects.
            if list(string.Formatter().parse(template))[-1][1] is not None:
                raise ValidationError(f"{template!r}: end it with a separator after the last placeholder, e.g. '/'")
        return templates


class TagSettings(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=128))
    identity = fields.String(required=True, validate=validate.OneOf(IDENTITY_KINDS))
    # Where to look for tagged objects: the whole bucket unless narrowed.
    scan_prefix = fields.String(load_default="")


class S3Settings(Schema):
    bucket = fields.String(required=True, validate=validate.Length(min=3, max=63))
    endpoint_url = fields.Url(load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"})
    region = fields.String(load_default="us-east-1", validate=validate.Length(min=1))
    # Optional: without them boto3 finds credentials in the environment or the instance role.
    access_key_id = EnvRef(load_default=None, allow_none=True)
    secret_access_key = EnvRef(load_default=None, allow_none=True)
    prefix = PrefixTemplates(load_default=None, allow_none=True)
    tag = fields.Nested(TagSettings, load_default=None, allow_none=True)
    page_size = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=1000))
    max_export_bytes = fields.Integer(load_default=20 * 1024 * 1024, validate=validate.Range(min=0))
    # Path-style addressing by default on a custom endpoint: S3-compatible stores and
    # local servers rarely resolve bucket subdomains.
    addressing_style = fields.String(load_default=None, allow_none=True,
                                     validate=validate.OneOf(("auto", "path", "virtual")))
    timeout = fields.Float(load_default=15.0, validate=validate.Range(min=0.1, max=300))
    # Attempts per S3 call, the first included (botocore retries throttling, 5xx, timeouts).
    max_attempts = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))

    @validates_schema
    def _check(self, data, **kwargs):
        if not data.get("prefix") and not data.get("tag"):
            raise ValidationError("give a key prefix template (prefix) or an object tag (tag), or both", "prefix")
        if (data.get("access_key_id") is None) != (data.get("secret_access_key") is None):
            raise ValidationError("give both access_key_id and secret_access_key, or neither", "secret_access_key")


# -- clients ---------------------------------------------------------------------------

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def client_for(endpoint_url: str | None, region: str, key_id: str | None, secret: str | None,
               timeout: float, max_attempts: int, addressing_style: str):
    """A boto3 S3 client, shared by every task using the same store and credentials.

    Clients are thread-safe once built, but building one (a boto3 Session) is not, and it
    is slow, so they are built under a lock and kept. The secret is part of the key only
    as a digest, so a rotated secret gets a new client.
    """
    digest = hashlib.sha256(secret.encode()).hexdigest() if secret else None
    cache_key = (endpoint_url, region, key_id, digest, timeout, max_attempts, addressing_style)
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            config = Config(connect_timeout=timeout, read_timeout=timeout,
                            retries={"mode": "standard", "total_max_attempts": max_attempts},
                            s3={"addressing_style": addressing_style},
                            # Checksums only where S3 requires them: compatible stores reject the rest.
                            request_checksum_calculation="when_required",
                            response_checksum_validation="when_required")
            session = boto3.session.Session()
            client = session.client("s3", endpoint_url=endpoint_url, region_name=region,
                                    aws_access_key_id=key_id, aws_secret_access_key=secret, config=config)
            _clients[cache_key] = client
        return client


# -- the connector ---------------------------------------------------------------------

@register
class S3Connector(Connector):
    type = "s3"
    Settings = S3Settings
    capabilities = frozenset({"access", "export", "erase", "restrict", "discover"})

    # -- plumbing ------------------------------------------------------------------------
    @property
    def bucket(self) -> str:
        return self.settings["bucket"]

    def client(self):
        s = self.settings
        key_id = secret = None
        if s.get("access_key_id"):
            key_id, secret = self.secret("access_key_id"), self.secret("secret_access_key")
        style = s.get("addressing_style") or ("path" if s.get("endpoint_url") else "auto")
        return client_for(s.get("endpoint_url"), s["region"], key_id, secret, s["timeout"], s["max_attempts"], style)

    @contextmanager
    def errors(self, operation: str):
        """Turn botocore's errors into RetryLater / ConnectorError, naming the bucket, never a secret."""
        where = f"S3 {operation} on bucket {self.bucket!r}"
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in TRANSIENT_CODES or status == 429 or status >= 500:
                raise RetryLater(f"{where}: {code or status}, the store asks to try later") from None
            if code == "NoSuchBucket":
                raise ConnectorError(f"{where}: the bucket does not exist"
                                     f" (endpoint {self.settings.get('endpoint_url') or 'AWS'},"
                                     f" region {self.settings['region']})") from None
            if code == "AccessDenied" or status == 403 and code not in CREDENTIAL_CODES:
                raise ConnectorError(f"{where}: access denied; the credentials lack the permission"
                                     f" for {operation}") from None
            if code in CREDENTIAL_CODES:
                raise ConnectorError(f"{where}: the store rejected the credentials ({code})") from None
            message = str(error.get("Message", ""))[:200]
            if code in REGION_CODES:
                raise ConnectorError(f"{where}: the bucket is not in region {self.settings['region']!r};"
                                     f" set the system's region ({code}: {message})") from None
            raise ConnectorError(f"{where}: {code or status} {message}".strip()) from None
        except (BotoConnectionError, HTTPClientError, IncompleteReadError):
            # Unreachable, timed out, or the connection broke mid-answer (botocore has
            # already retried): may pass.
            raise RetryLater(f"{where}: could not reach the store, or it stopped answering") from None
        except (NoCredentialsError, PartialCredentialsError):
            raise NotConfigured(f"{where}: no credentials; set access_key_id and secret_access_key"
                                " or give the worker an AWS role") from None
        except BotoCoreError as exc:
            raise ConnectorError(f"{where}: {type(exc).__name__}") from None

    def pages(self, operation: str, **params) -> Iterator[dict]:
        """Every page of a listing, to the end."""
        client = self.client()
        paginator = client.get_paginator(operation)
        with self.errors(client.meta.method_to_api_mapping.get(operation, operation)):
            yield from paginator.paginate(Bucket=self.bucket, **params,
                                          PaginationConfig={"PageSize": self.settings["page_size"]})

    # -- which objects are the subject's -----------------------------------------------
    def prefixes(self, identities: dict[str, list[str]], notes: list[str]) -> list[str]:
        """The filled-in key prefixes for these identities; what could not be filled goes to notes."""
        out: list[str] = []
        for template in self.settings.get("prefix") or ():
            names = list(dict.fromkeys(template_fields(template)))
            choices = {}
            for name in names:
                values = [v for v in dict.fromkeys(identities.get(name) or ()) if v is not None]
                usable = [v for v in values if usable_in_key(v)]
                if len(usable) < len(values):
                    notes.append(f"a {name} value containing '/', '..' or nothing but spaces was not used"
                                 f" in the key prefix {template!r}")
                choices[name] = usable
            missing = [name for name in names if not choices[name]]
            if missing:
                notes.append(f"key prefix {template!r} skipped: the request gives no usable"
                             f" {' or '.join(missing)}")
                continue
            combos = list(itertools.islice(itertools.product(*(choices[n] for n in names)), MAX_PREFIXES + 1))
            if len(combos) > MAX_PREFIXES:
                notes.append(f"key prefix {template!r}: only the first {MAX_PREFIXES} combinations"
                             " of identities searched")
                combos = combos[:MAX_PREFIXES]
            for combo in combos:
                out.append(template.format(**dict(zip(names, combo))))
        return list(dict.fromkeys(out))

    def tag_values(self, identities: dict[str, list[str]], notes: list[str]) -> set[str]:
        tag = self.settings.get("tag")
        if not tag:
            return set()
        values = {v for v in identities.get(tag["identity"]) or () if v}
        if not values:
            notes.append(f"tag {tag['key']!r} not searched: the request gives no {tag['identity']}")
        return values

    def tagged(self, key: str, version_id: str | None = None) -> dict[str, str]:
        params = {"VersionId": version_id} if version_id else {}
        with self.errors("GetObjectTagging"):
            answer = self.client().get_object_tagging(Bucket=self.bucket, Key=key, **params)
        return {t["Key"]: t["Value"] for t in answer.get("TagSet", [])}

    def objects(self, subject: Subject, notes: list[str]) -> dict[str, dict]:
        """The subject's current objects: key -> listing entry (Size, LastModified)."""
        found: dict[str, dict] = {}
        for prefix in self.prefixes(subject.identities, notes):
            for page in self.pages("list_objects_v2", Prefix=prefix):
                for entry in page.get("Contents", []):
                    found.setdefault(entry["Key"], entry)
        values = self.tag_values(subject.identities, notes)
        if values:
            tag = self.settings["tag"]
            for page in self.pages("list_objects_v2", Prefix=tag["scan_prefix"]):
                for entry in page.get("Contents", []):
                    if entry["Key"] not in found and self.tagged(entry["Key"]).get(tag["key"]) in values:
                        found[entry["Key"]] = entry
        return found

    def versioned(self) -> bool:
        """Whether the bucket keeps versions (versioning enabled now, or suspended after)."""
        with self.errors("GetBucketVersioning"):
            answer = self.client().get_bucket_versioning(Bucket=self.bucket)
        return answer.get("Status") in ("Enabled", "Suspended")

    def versions(self, subject: Subject, notes: list[str]) -> dict[str, list[dict]]:
        """Every version and delete marker of the subject's objects: key -> [{Key, VersionId}].

        Listed from the versions, not the current objects, so an object whose current
        version is a delete marker (deleted, but still kept) is found too.
        """
        found: dict[str, list[dict]] = {}

        def collect(prefix: str, keep) -> None:
            for page in self.pages("list_object_versions", Prefix=prefix):
                for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    if keep(entry):
                        version = {"Key": entry["Key"], "VersionId": entry["VersionId"]}
                        found.setdefault(entry["Key"], []).append(version)

        for prefix in self.prefixes(subject.identities, notes):
            collect(prefix, lambda entry: True)
        values = self.tag_values(subject.identities, notes)
        if values:
            # Tags belong to versions: an object is the subject's when any version carries
            # the tag, and then every version and marker of its key goes.
            tag = self.settings["tag"]
            keys = set()
            for page in self.pages("list_object_versions", Prefix=tag["scan_prefix"]):
                for entry in page.get("Versions", []):
                    if entry["Key"] not in found and entry["Key"] not in keys \
                            and self.tagged(entry["Key"], entry["VersionId"]).get(tag["key"]) in values:
                        keys.add(entry["Key"])
            for key in sorted(keys):
                collect(key, lambda entry, key=key: entry["Key"] == key)
        # The same version may come from two prefixes (nested templates).
        return {key: list({(v["Key"], v["VersionId"]): v for v in entries}.values()) for key, entries in found.items()}

    # -- actions -----------------------------------------------------------------------
    def access(self, subject: Subject) -> ActionResult:
        result = ActionResult()
        for key, entry in self.objects(subject, result.notes).items():
            result.add("object", key, FOUND, describe(entry))
        return result

    def export(self, subject: Subject) -> ActionResult:
        result = ActionResult()
        limit = self.settings["max_export_bytes"]
        too_big = 0
        for key, entry in self.objects(subject, result.notes).items():
            meta = {"key": key, "size": entry.get("Size", 0), "last_modified": iso(entry.get("LastModified"))}
            if entry.get("Size", 0) > limit:
                too_big += 1
                result.add("object", key, FOUND, f"{describe(entry)}; not copied: over {limit} bytes",
                           {**meta, "content": None})
                continue
            with self.errors("GetObject"):
                try:
                    answer = self.client().get_object(Bucket=self.bucket, Key=key)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "NoSuchKey":
                        raise
                    continue  # deleted since it was listed: nothing to export
                body = answer["Body"].read()
            meta.update(size=len(body), content_type=answer.get("ContentType"))
            result.add("object", key, EXPORTED, describe(entry), {**meta, **content_of(body)})
        if too_big:
            result.notes.append(f"{too_big} object(s) over {limit} bytes are listed with their size but not"
                                " copied; fetch them from the bucket by hand if the subject needs them")
        return result

    def erase(self, subject: Subject) -> ActionResult:
        result = ActionResult()
        if self.versioned():
            targets = self.versions(subject, result.notes)
        else:
            targets = {key: [{"Key": key}] for key in self.objects(subject, result.notes)}
        failed: dict[str, str] = {}     # key -> why (a version S3 did not delete)
        transient = False
        deleted: dict[str, int] = {}    # key -> versions S3 confirmed deleted
        wanted = [item for entries in targets.values() for item in entries]
        client = self.client()
        for start in range(0, len(wanted), DELETE_BATCH):
            batch = wanted[start:start + DELETE_BATCH]
            with self.errors("DeleteObjects"):
                answer = client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": False})
            for item in answer.get("Deleted", []):
                deleted[item["Key"]] = deleted.get(item["Key"], 0) + 1
            for error in answer.get("Errors", []):
                code, message = error.get("Code", ""), error.get("Message", "")
                transient = transient or code in TRANSIENT_CODES
                failed.setdefault(error["Key"], f"{code}: {message}"[:200])
        refused = []
        for key, entries in targets.items():
            if key in failed:
                why = failed[key]
                if "object lock" in why.lower() or "retention" in why.lower():
                    result.add("object", key, BLOCKED_BY_RETENTION, f"S3 Object Lock keeps it: {why}")
                else:
                    refused.append(f"{key} ({why})")
            elif deleted.get(key, 0) >= len(entries):
                versions = f"{len(entries)} version(s) and delete marker(s)" if "VersionId" in entries[0] else "object"
                result.add("object", key, ERASED, f"deleted: {versions}")
            else:
                refused.append(f"{key} (S3 did not confirm every version deleted)")
        erased = sum(1 for r in result.records if r.outcome == ERASED)
        if transient:
            raise RetryLater(f"S3 DeleteObjects on bucket {self.bucket!r}: the store asks to try later"
                             f" ({erased} object(s) erased so far)")
        if refused:
            shown = "; ".join(refused[:3]) + (f"; and {len(refused) - 3} more" if len(refused) > 3 else "")
            raise ConnectorError(f"S3 DeleteObjects on bucket {self.bucket!r}: {len(refused)} object(s) not"
                                 f" deleted, {erased} erased: {shown}")
        return result

    def restrict(self, subject: Subject) -> ActionResult:
        result = ActionResult()
        name, value = RESTRICTED_TAG
        client = self.client()
        for key in self.objects(subject, result.notes):
            tags = self.tagged(key)
            if tags.get(name) == value:
                result.add("object", key, RESTRICTED, f"already tagged {name}={value}")
                continue
            if name not in tags and len(tags) >= MAX_TAGS:
                result.add("object", key, NOT_SUPPORTED, f"the object already has {MAX_TAGS} tags, S3's limit")
                continue
            tags[name] = value
            with self.errors("PutObjectTagging"):
                client.put_object_tagging(Bucket=self.bucket, Key=key, Tagging={
                    "TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
            result.add("object", key, RESTRICTED, f"tagged {name}={value}")
        if result.records:
            result.notes.append(f"objects are tagged {name}={value}; the applications reading the bucket (or a"
                                " bucket policy denying reads of tagged objects) must honour it. Only the current"
                                " version of each object is tagged.")
        return result

    def discover(self, identities: dict[str, list[str]]) -> bool:
        # Cheap only by prefix (one listing call per prefix); a tag search reads every
        # object's tags, too costly for routing, so it is not attempted here.
        for prefix in self.prefixes(identities, []):
            with self.errors("ListObjectsV2"):
                answer = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
            if answer.get("KeyCount", 0) or answer.get("Contents"):
                return True
        return False


# -- helpers ---------------------------------------------------------------------------

def usable_in_key(value: str) -> bool:
    """Whether an identity value may be pasted into a key prefix without escaping it."""
    return bool(value.strip()) and "/" not in value and ".." not in value


def content_of(body: bytes) -> dict:
    """An object's content for an export: text when it is UTF-8 and small, else base64."""
    if len(body) <= TEXT_LIMIT:
        try:
            return {"encoding": "text", "content": body.decode("utf-8")}
        except UnicodeDecodeError:
            pass
    return {"encoding": "base64", "content": base64.b64encode(body).decode("ascii")}


def describe(entry: dict) -> str:
    size = entry.get("Size")
    modified = iso(entry.get("LastModified"))
    return ", ".join(part for part in (f"{size} bytes" if size is not None else "",
                                       f"modified {modified}" if modified else "") if part)


def iso(when) -> str | None:
    return when.isoformat() if when is not None else None
