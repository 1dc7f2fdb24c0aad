"""Load the processing register from YAML and check it whole.

`load_register(path)` reads one file, or every `*.yaml`/`*.yml` in a folder (sorted by
name, lists concatenated), validates each entry with the schemas of
`dsar.register.schemas`, then checks the register as a whole. It either returns a frozen
`Register` or raises one `RegisterError` that lists every problem found, each with its
file and the dotted path of the offending key.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError

from dsar.register.schemas import EEA_COUNTRIES, ActivitySchema, ControllerSchema, SystemSchema

YAML_SUFFIXES = (".yaml", ".yml")


# --- results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegisterIssue:
    """One problem: the file, the dotted path in it (`systems[2].connector.settings.token`)."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}" if self.path else f"{self.file}: {self.message}"


class RegisterError(Exception):
    """The register cannot be used; `issues` lists every problem found, not only the first."""

    def __init__(self, issues: list[RegisterIssue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass(frozen=True, kw_only=True)
class ControllerSpec:
    """A controller: a client of the operator, or the operator itself (`is_operator`)."""

    id: str
    name: str
    is_operator: bool = False
    country: str
    subdivision: str | None = None
    timezone: str
    language: str
    contact_email: str
    webhook_url: str | None = None
    aliases: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    processor_sla_working_days: int = 3
    processor_sla_cutoff: time | None = None
    forwarding_working_days: int = 1


@dataclass(frozen=True, kw_only=True)
class SystemSpec:
    """A store holding personal data; `in_eea` is derived from `location`."""

    id: str
    name: str
    processor: str
    location: str
    location_detail: str | None = None
    in_eea: bool = field(init=False)
    transfer_safeguard: str | None = None
    connector_type: str
    connector_settings: dict = field(default_factory=dict, hash=False)
    identity_fields: tuple[str, ...]
    actions: tuple[str, ...]
    owner_email: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "in_eea", self.location in EEA_COUNTRIES)


@dataclass(frozen=True, kw_only=True)
class ActivitySpec:
    """A processing activity; `role` is the operator's role in it."""

    id: str
    controllers: tuple[str, ...]
    role: str
    purpose: str
    data_subjects: str
    data_categories: tuple[str, ...]
    legal_basis: str
    retention: str
    retention_blocks_erasure: bool = False
    source: str
    # Each {name, country, system, email}: see RecipientSchema.
    recipients: tuple[dict, ...] = ()
    automated_decisions: str | None = None
    systems: tuple[str, ...]


@dataclass(frozen=True)
class Register:
    """The whole register, valid: every reference resolves and there is one operator."""

    controllers: tuple[ControllerSpec, ...]
    systems: tuple[SystemSpec, ...]
    activities: tuple[ActivitySpec, ...]
    sources: tuple[str, ...]

    @cached_property
    def _controllers_by_id(self) -> dict[str, ControllerSpec]:
        return {c.id: c for c in self.controllers}

    @cached_property
    def _systems_by_id(self) -> dict[str, SystemSpec]:
        return {s.id: s for s in self.systems}

    @property
    def operator(self) -> ControllerSpec:
        """The operator's own controller entry."""
        return next(c for c in self.controllers if c.is_operator)

    def controller(self, controller_id: str) -> ControllerSpec:
        """The controller with this id. Raises: KeyError when there is none."""
        try:
            return self._controllers_by_id[controller_id]
        except KeyError:
            raise KeyError(f"no controller {controller_id!r} in the register") from None

    def system(self, system_id: str) -> SystemSpec:
        """The system with this id. Raises: KeyError when there is none."""
        try:
            return self._systems_by_id[system_id]
        except KeyError:
            raise KeyError(f"no system {system_id!r} in the register") from None

    def activities_for(self, controller_id: str) -> tuple[ActivitySpec, ...]:
        """The activities carried out for this controller, in register order."""
        return tuple(a for a in self.activities if controller_id in a.controllers)

    def systems_for(self, controller_id: str) -> tuple[SystemSpec, ...]:
        """The systems a request for this controller touches: those of its activities."""
        wanted = {s for a in self.activities_for(controller_id) for s in a.systems}
        return tuple(s for s in self.systems if s.id in wanted)


# --- YAML ---------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """Safe YAML with YAML 1.2 scalars and no duplicate keys.

    YAML 1.1 reads `NO` (Norway, or Norwegian) as false and `17:00` as the integer 1020;
    here only true/false are booleans and integers are plain decimals. A key written
    twice in one mapping is an error, not a silent overwrite.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, (str, int, float, bool)) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice in this mapping (first at line {seen[key] + 1})",
                key_node.start_mark)
        if isinstance(key, (str, int, float, bool)):
            seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# --- loading ------------------------------------------------------------------------------

_SECTIONS: dict[str, type[Schema]] = {
    "controllers": ControllerSchema,
    "systems": SystemSchema,
    "activities": ActivitySchema,
}
_FRIENDLIER = {
    "Unknown field.": "unknown key",
    "Missing data for required field.": "required, but missing",
    "Field may not be null.": "must not be empty",
    "Not a valid string.": "must be text",
    "Not a valid list.": "must be a list",
    "Not a valid integer.": "must be a whole number",
    "Not a valid boolean.": "must be true or false",
    "Invalid input type.": "must be a mapping of keys to values",
}


@dataclass
class _Entry:
    """One entry of a section, as loaded (possibly partly), and where it was written."""

    section: str
    file: str
    index: int
    data: dict

    def at(self, *parts: str | int) -> str:
        return _dotted((self.section, self.index, *parts))

    def where(self, *parts: str | int) -> str:
        return f"{self.file}: {self.at(*parts)}"


def _dotted(parts: tuple) -> str:
    """("systems", 2, "connector", "type") → "systems[2].connector.type"."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _flatten(messages: Any, parts: tuple) -> Iterator[tuple[str, str]]:
    """Marshmallow's nested error messages → (dotted path, message) pairs."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, parts if key == "_schema" else (*parts, key))
    elif isinstance(messages, list):
        for message in messages:
            if isinstance(message, (dict, list)):
                yield from _flatten(message, parts)
            else:
                yield _dotted(parts), _FRIENDLIER.get(str(message), str(message))
    else:
        yield _dotted(parts), _FRIENDLIER.get(str(messages), str(messages))


def _register_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.is_file() and p.suffix in YAML_SUFFIXES and not p.name.startswith("."))
        if not files:
            raise RegisterError([RegisterIssue(str(path), "", "folder holds no .yaml or .yml file")])
        return files
    if path.is_file():
        return [path]
    raise RegisterError([RegisterIssue(str(path), "", "no such register file or folder")])


def _parse(file: Path, issues: list[RegisterIssue]) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(RegisterIssue(str(file), "", f"cannot read the file: {exc}"))
        return None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        message = f"YAML syntax error: {exc.problem or exc.context}"
        if exc.problem and exc.context:
            started = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
            message += f" ({exc.context}{started})"
        issues.append(RegisterIssue(str(file), where, message))
    except yaml.YAMLError as exc:
        issues.append(RegisterIssue(str(file), "", f"YAML syntax error: {exc}"))
    return None


def _load_document(file: str, document: Any, entries: dict[str, list[_Entry]],
                   issues: list[RegisterIssue]) -> None:
    if document is None:
        return
    if not isinstance(document, dict):
        issues.append(RegisterIssue(file, "", "the top level must be a mapping with "
                                              "`controllers:`, `systems:` and/or `activities:`"))
        return
    for key, items in document.items():
        if key not in _SECTIONS:
            issues.append(RegisterIssue(file, str(key), "unknown key; expected controllers, systems or activities"))
            continue
        if items is None:
            continue
        if not isinstance(items, list):
            issues.append(RegisterIssue(file, key, "must be a list"))
            continue
        schema = _SECTIONS[key]()
        for index, item in enumerate(items):
            entry = _Entry(key, file, index, {})
            if not isinstance(item, dict):
                issues.append(RegisterIssue(file, entry.at(), "must be a mapping of keys to values"))
                continue
            try:
                entry.data = schema.load(item)
            except ValidationError as exc:
                entry.data = exc.valid_data if isinstance(exc.valid_data, dict) else {}
                issues.extend(RegisterIssue(file, path, message)
                              for path, message in _flatten(exc.messages, (key, index)))
            entries[key].append(entry)


def _check_unique_ids(entries: list[_Entry], issues: list[RegisterIssue]) -> dict[str, _Entry]:
    by_id: dict[str, _Entry] = {}
    for entry in entries:
        entry_id = entry.data.get("id")
        if entry_id is None:
            continue
        if entry_id in by_id:
            issues.append(RegisterIssue(entry.file, entry.at("id"),
                                        f"duplicate id {entry_id!r}: already used at {by_id[entry_id].where()}"))
        else:
            by_id[entry_id] = entry
    return by_id


def _check_operator(root: str, controllers: list[_Entry], issues: list[RegisterIssue]) -> str | None:
    """Exactly one controller must be the operator; returns its id when there is exactly one."""
    operators = [c for c in controllers if c.data.get("operator")]
    if not operators:
        if controllers or not issues:
            issues.append(RegisterIssue(root, "controllers", "no controller has `operator: true`; "
                                                             "exactly one must be the operator"))
        return None
    for extra in operators[1:]:
        issues.append(RegisterIssue(extra.file, extra.at("operator"),
                                    f"a second operator: {operators[0].where()} is already the operator; "
                                    "exactly one controller may have `operator: true`"))
    # With several operators, checks that depend on which one it is would only add noise.
    return operators[0].data.get("id") if len(operators) == 1 else None


def _check_routing(controllers: list[_Entry], issues: list[RegisterIssue]) -> None:
    """An alias, form or name must lead to one controller only."""
    for key, what in (("aliases", "address"), ("forms", "form"), ("names", "name")):
        owners: dict[str, tuple[_Entry, int]] = {}
        for entry in controllers:
            values = (entry.data.get("routing") or {}).get(key) or []
            for index, value in enumerate(values):
                folded = value.casefold()
                owner = owners.setdefault(folded, (entry, index))
                if owner[0] is not entry:
                    first, first_index = owner
                    issues.append(RegisterIssue(
                        entry.file, entry.at("routing", key, index),
                        f"{what} {value!r} already routes to controller {first.data.get('id')!r} "
                        f"({first.where('routing', key, first_index)})"))


def _check_activities(activities: list[_Entry], controller_ids: set[str], system_ids: set[str],
                      operator_id: str | None, issues: list[RegisterIssue]) -> None:
    for entry in activities:
        listed = entry.data.get("controllers") or []
        for index, controller_id in enumerate(listed):
            if controller_id not in controller_ids:
                issues.append(RegisterIssue(entry.file, entry.at("controllers", index),
                                            f"unknown controller {controller_id!r}"))
        for index, system_id in enumerate(entry.data.get("systems") or []):
            if system_id not in system_ids:
                issues.append(RegisterIssue(entry.file, entry.at("systems", index),
                                            f"unknown system {system_id!r}"))
        for index, recipient in enumerate(entry.data.get("recipients") or []):
            if isinstance(recipient, dict) and recipient.get("system") not in (None, *system_ids):
                issues.append(RegisterIssue(entry.file, entry.at("recipients", index, "system"),
                                            f"unknown system {recipient['system']!r}"))
        if operator_id is None or not listed:
            continue
        role = entry.data.get("role")
        if role == "controller" and set(listed) != {operator_id}:
            issues.append(RegisterIssue(
                entry.file, entry.at("controllers"),
                f"role is `controller` (the operator's own purpose), so the only controller must be "
                f"the operator {operator_id!r}; for a client's processing use `role: processor`"))
        elif role == "processor" and operator_id in listed:
            issues.append(RegisterIssue(
                entry.file, entry.at("controllers"),
                f"the operator {operator_id!r} cannot be its own processor; use `role: controller` "
                "for the operator's own purposes"))


def _controller_spec(data: dict) -> ControllerSpec:
    routing, sla = data["routing"], data["processor_sla"]
    return ControllerSpec(
        id=data["id"], name=data["name"], is_operator=data["operator"], country=data["country"],
        subdivision=data["subdivision"], timezone=data["timezone"], language=data["language"],
        contact_email=data["contact"]["email"], webhook_url=data["contact"]["webhook"],
        aliases=tuple(routing["aliases"]), forms=tuple(routing["forms"]), names=tuple(routing["names"]),
        processor_sla_working_days=sla["working_days"], processor_sla_cutoff=sla["cutoff"],
        forwarding_working_days=data["forwarding"]["working_days"],
    )


def _system_spec(data: dict) -> SystemSpec:
    return SystemSpec(
        id=data["id"], name=data["name"], processor=data["processor"], location=data["location"],
        location_detail=data["location_detail"], transfer_safeguard=data["transfer_safeguard"],
        connector_type=data["connector"]["type"], connector_settings=data["connector"]["settings"],
        identity_fields=tuple(data["identity_fields"]), actions=tuple(data["actions"]),
        owner_email=data["owner_email"],
    )


def _activity_spec(data: dict) -> ActivitySpec:
    return ActivitySpec(
        id=data["id"], controllers=tuple(data["controllers"]), role=data["role"], purpose=data["purpose"],
        data_subjects=data["data_subjects"], data_categories=tuple(data["data_categories"]),
        legal_basis=data["legal_basis"], retention=data["retention"],
        retention_blocks_erasure=data["retention_blocks_erasure"], source=data["source"],
        recipients=tuple(data["recipients"]), automated_decisions=data["automated_decisions"],
        systems=tuple(data["systems"]),
    )


def load_register(path: str | Path) -> Register:
    """Load and check the register at `path`: a YAML file, or a folder of them.

    Raises:
        RegisterError: with every problem found (file, dotted path, message).
    """
    root = Path(path)
    files = _register_files(root)
    issues: list[RegisterIssue] = []
    entries: dict[str, list[_Entry]] = {section: [] for section in _SECTIONS}
    for file in files:
        document = _parse(file, issues)
        _load_document(str(file), document, entries, issues)

    controllers = _check_unique_ids(entries["controllers"], issues)
    systems = _check_unique_ids(entries["systems"], issues)
    _check_unique_ids(entries["activities"], issues)
    operator_id = _check_operator(str(root), entries["controllers"], issues)
    _check_routing(entries["controllers"], issues)
    _check_activities(entries["activities"], set(controllers), set(systems), operator_id, issues)
    if issues:
        raise RegisterError(issues)

    return Register(
        controllers=tuple(_controller_spec(e.data) for e in entries["controllers"]),
        systems=tuple(_system_spec(e.data) for e in entries["systems"]),
        activities=tuple(_activity_spec(e.data) for e in entries["activities"]),
        sources=tuple(str(file) for file in files),
    )
