"""The portability export (GDPR Art. 20): the data the subject provided, machine-readable.

Art. 20(1)(a) gives the right only for processing based on consent (Art. 6(1)(a), 9(2)(a))
or on a contract (Art. 6(1)(b)), carried out by automated means. The register does not
say field by field what the subject typed and what was derived, but it does say which
systems serve which processing and on what legal basis; so the rule is per system: the
export holds the records of the systems that serve at least one of the controller's
processing activities based on `consent` or `contract`, and none of the systems used only
for other bases (legal obligation, legitimate interests…). Data a system observed about
the subject's use of a service counts as provided (Article 29 Working Party guidelines on
data portability, WP242 rev.01, endorsed by the EDPB); data the controller inferred or
derived does not, and is not what these stores export.

The package holds each chosen system's records as JSON and CSV (as the access package
does) plus `schema.json`: a JSON Schema per file, inferred from the records themselves
(field names and types, and which system they come from), so another controller's
program can read them.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from dsar.extensions import db
from dsar.models import Request
from dsar.models.controller import ProcessingActivity, System, activity_systems

# Art. 20(1)(a): the legal bases under which the subject may take their data elsewhere.
PORTABLE_BASES = ("consent", "contract")


def portable_systems(request: Request) -> set[str]:
    """Ids of the systems serving a consent- or contract-based activity of the request's controller."""
    if request.controller_id is None:
        return set()
    return set(db.session.scalars(
        select(activity_systems.c.system_id).join(ProcessingActivity,
                                                  ProcessingActivity.id == activity_systems.c.activity_id)
        .where(ProcessingActivity.controller_id == request.controller_id,
               ProcessingActivity.legal_basis.in_(PORTABLE_BASES))))


def select_exports(request: Request, exports: dict[str, dict]) -> dict[str, dict]:
    """The exports (system id → export file) the portability package may hold."""
    portable = portable_systems(request)
    return {system_id: export for system_id, export in exports.items() if system_id in portable}


def schema(exports: dict[str, dict]) -> str:
    """schema.json: one JSON Schema per records/<system>.json file, inferred from its records."""
    names = {s.id: s for s in db.session.scalars(select(System).where(System.id.in_(list(exports))))}
    files = {}
    for system_id, export in exports.items():
        system = names.get(system_id)
        records = export.get("records") or []
        data = None
        for record in records:
            data = _merge(data, _infer(record.get("data") or {}))
        files[f"records/{system_id}.json"] = {
            "title": system.name if system else system_id,
            "description": f"Records from {system.name} ({system.processor})" if system else f"Records from {system_id}",
            "type": "object",
            "properties": {
                "reference": {"type": "string", "description": "the request's reference"},
                "system": {"const": system_id},
                "records": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"enum": sorted({r.get("kind") for r in records})} if records else {"type": "string"},
                        "id": {"type": "string"},
                        "outcome": {"type": "string"},
                        "data": data or {"type": "object"},
                    },
                }},
                "notes": {"type": "array", "items": {"type": "string"}},
            },
        }
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "The data you provided, one file per system",
        "description": "Each records/<system>.json file follows the schema named after it; "
                       "records/<system>.csv holds the same records, one row each, fields flattened.",
        "files": files,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))


def _infer(value) -> dict:
    if value is None:
        return {"type": "null"}
    if isinstance(value, dict):
        return {"type": "object", "properties": {key: _infer(item) for key, item in value.items()}}
    if isinstance(value, list):
        items = None
        for item in value:
            items = _merge(items, _infer(item))
        return {"type": "array", **({"items": items} if items else {})}
    return {"type": next((name for kind, name in _TYPES if isinstance(value, kind)), "string")}


def _types(schema: dict) -> set[str]:
    found = schema.get("type", [])
    return {found} if isinstance(found, str) else set(found)


def _merge(a: dict | None, b: dict | None) -> dict | None:
    """One schema that both `a` and `b` satisfy: types united, properties and items merged."""
    if a is None or b is None:
        return a or b
    types = sorted(_types(a) | _types(b))
    merged: dict = {"type": types[0] if len(types) == 1 else types}
    if "properties" in a or "properties" in b:
        properties = dict(a.get("properties", {}))
        for key, value in b.get("properties", {}).items():
            properties[key] = _merge(properties.get(key), value)
        merged["properties"] = properties
    if "items" in a or "items" in b:
        merged["items"] = _merge(a.get("items"), b.get("items"))
    return merged
