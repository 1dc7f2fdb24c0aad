"""The one JSON shape of a task's result, as stored and as reported from outside.

A manual owner's form, a webhook's callback and an outside bot's POST all report a
result in this shape; `load_result` checks it (marshmallow) and turns it into the
`ActionResult` a connector would have returned, so every result is stored one way.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from dsar.connectors.base import OUTCOMES, ActionResult, RecordResult

_OUTCOME = validate.OneOf(OUTCOMES, error="must be one of: {choices}")


class RecordSchema(Schema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=100))
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    outcome = fields.String(required=True, validate=_OUTCOME)
    detail = fields.String(load_default="", validate=validate.Length(max=2000))
    data = fields.Dict(load_default=None, allow_none=True)


class ResultSchema(Schema):
    outcome = fields.String(load_default=None, allow_none=True, validate=_OUTCOME)
    records = fields.List(fields.Nested(RecordSchema), load_default=list,
                          validate=validate.Length(max=10000))
    notes = fields.List(fields.String(validate=validate.Length(max=2000)), load_default=list,
                        validate=validate.Length(max=100))


def load_result(body) -> ActionResult:
    """An ActionResult from a reported JSON body; ValidationError says what is wrong."""
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["the result must be a JSON object"]})
    data = ResultSchema().load(body)
    if data["outcome"] is None and not data["records"]:
        raise ValidationError({"outcome": ["give an outcome, or the records with their outcomes"]})
    records = [RecordResult(r["kind"], r["id"], r["outcome"], r["detail"], r["data"]) for r in data["records"]]
    return ActionResult(records=records, notes=data["notes"], outcome=data["outcome"])


def dump_result(result: ActionResult, **extra) -> dict:
    """What a task keeps of a result: outcomes and record ids, never the records' content."""
    counts: dict[str, int] = {}
    for record in result.records:
        counts[record.outcome] = counts.get(record.outcome, 0) + 1
    return {"outcome": result.overall, "counts": counts,
            "records": [r.summary() for r in result.records], "notes": list(result.notes), **extra}
