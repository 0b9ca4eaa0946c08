"""The table-driven hostile-input run: which values, where they go, and how an answer is
judged (tests/e2e/test_hostile_input.py runs it against a real server).

Each operation of the OpenAPI document gets a base request the server carries out (values
from the tables below, else the document's examples and defaults); then each query or path
parameter and each top-level body field in turn gets every value of ``HOSTILE``, the rest
of the request unchanged. A parameter or body the run cannot fill fails the run: nothing is
skipped silently.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

LONG = "x" * 10_000
# (label, value): sent in a query or path as text, in a JSON body as the JSON value (NaN and
# Infinity as the bare tokens Python's json writes and reads), in a form as text.
HOSTILE: list[tuple[str, Any]] = [
    ("NaN", math.nan),
    ("Infinity", math.inf),
    ("-Infinity", -math.inf),
    ("1e308", 1e308),
    ("-1e308", -1e308),
    ("empty", ""),
    ("10,000 characters", LONG),
    ("10,000 digits", "9" * 10_000),  # beyond int64, and beyond what int() reads by default
    ("time past 9999 in UTC", "9999-12-31T23:59:59-05:00"),  # a valid ISO 8601 text
    ("wrong type", None),  # chosen by the parameter's type: see _wrong_type
]
CONNECTION_KEPT_PATH = "/health"


# --- the base request of each operation ---------------------------------------------------

# Values by parameter or field name that make a request the server carries out, where the
# OpenAPI document gives no example or default: "@name" takes the value ``served`` found.
BASE_BY_NAME: dict[str, Any] = {
    "parcel_id": "@parcel_id",
    "finding_id": "@finding_id",
    "link_id": "@link_id",
    "party_id": "@party_id",
    "feature_id": "@parcel_id",
    "code": "@dossier",
    "serial": "AB 01234567",
    "job_id": "0123456789abcdef",
    "commune_code": "27694",
    "map_sheet": "1",
    "parcel_number": "1",
    "verify": "6789",
    "bbox": "@bbox",
    "identity_number": "072090126789",
    "procedure": "transfer",
    "received_at": "2024-01-04T09:30:00",
    "office": "H55.703",
    "to": "additional_documents_requested",  # the dossier is being processed
    "expected_version": 1,
    "reason": "hostile input test",
    "note": "hostile input test",
    "legal_area": 120.5,
    "declared_area": 120.5,
    "username": "nobody",
    "password": "not a password",
    "kind": "register",
}
# Where a name means something else in one operation.
BASE_BY_OPERATION: dict[str, dict[str, Any]] = {
    "GET /parcels/at": {"x": "@lon", "y": "@lat"},
    "GET /tiles/parcels/{z}/{x}/{y}.pbf": {"z": "@tile.z", "x": "@tile.x", "y": "@tile.y"},
    "GET /tiles/findings/{z}/{x}/{y}.pbf": {"z": "@tile.z", "x": "@tile.x", "y": "@tile.y"},
    "GET /ogc/collections/findings/items/{feature_id}": {"feature_id": "@finding_id"},
    "POST /findings/{finding_id}/fix": {"expected_version": "@finding_version"},
    "POST /findings/{finding_id}/edit": {
        "finding_id": "@edited_finding_id",
        "parcel_id": "@edited_parcel_id",
        "expected_version": "@edited_version",
    },
    "POST /findings/{finding_id}/dismiss": {
        "finding_id": "@dismissed_finding_id",
        "expected_version": "@dismissed_version",
    },
    "POST /dossiers": {"code": "@none"},  # the counter's code is taken: the register numbers it
}
UPLOAD = ("hostile.csv", b"so_to,so_thua\n1,1\n", "text/csv")


@dataclass
class Slot:
    """One place a value goes: a path or query parameter, or a top-level body field."""

    where: str  # path, query, json or form
    name: str
    kind: str  # the schema's type: integer, number, string, boolean, array, object


@dataclass
class Operation:
    """An operation of the OpenAPI document, its base request and the slots to fill."""

    method: str
    path: str
    base: dict[str, dict[str, Any]]  # where -> name -> value
    slots: list[Slot]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _dereferenced(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a ``$ref`` points to (the document's own components)."""
    while "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _kind(document: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _dereferenced(document, schema)
    for option in schema.get("anyOf", []):
        kind = _kind(document, option)
        if kind != "null":
            return kind
    if "properties" in schema:
        return "object"
    return str(schema.get("type", "string"))


def _base_value(op_label: str, name: str, schema: dict[str, Any], values: dict[str, Any]) -> Any:
    """The value a valid request carries for ``name``: this table, else the schema's example
    or default; ``None`` when there is none."""
    wanted = BASE_BY_OPERATION.get(op_label, {}).get(name, BASE_BY_NAME.get(name))
    if wanted is None:
        examples = schema.get("examples") or []
        wanted = examples[0] if examples else schema.get("default")
    if wanted == "@none":
        return None
    if isinstance(wanted, str) and wanted.startswith("@"):
        found: Any = values
        for part in wanted[1:].split("."):
            found = found[part]
        return found
    return wanted


def operations(document: dict[str, Any], values: dict[str, Any]) -> list[Operation]:
    """Every operation of the document with its base request; fails on a required value the
    table cannot give (a new parameter needs a row, not a silent skip)."""
    found = []
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            label = f"{method.upper()} {path}"
            base: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "json": {}, "form": {}}
            slots = []
            for parameter in spec.get("parameters", []):
                where, name = parameter["in"], parameter["name"]
                if where not in ("path", "query"):
                    pytest.fail(f"{label}: a {where} parameter {name}: send it here too")
                schema = parameter.get("schema", {})
                slots.append(Slot(where, name, _kind(document, schema)))
                value = _base_value(label, name, schema, values)
                if value is None and parameter.get("required"):
                    pytest.fail(f"{label}: no base value for required {where} parameter {name}")
                if value is not None:
                    base[where][name] = value
            _body(document, label, spec, base, slots, values)
            found.append(Operation(method.upper(), path, base, slots))
    return found


def _body(
    document: dict[str, Any],
    label: str,
    spec: dict[str, Any],
    base: dict[str, dict[str, Any]],
    slots: list[Slot],
    values: dict[str, Any],
) -> None:
    content = spec.get("requestBody", {}).get("content", {})
    if not content:
        return
    media = next(iter(content))
    forms = ("application/x-www-form-urlencoded", "multipart/form-data")
    if media != "application/json" and media not in forms:
        pytest.fail(f"{label}: a {media} body: teach the run to send one")
    where = "json" if media == "application/json" else "form"
    schema = _dereferenced(document, content[media].get("schema", {}))
    if not schema.get("properties"):
        pytest.fail(f"{label}: a body without named fields: teach the run to fill it")
    required = set(schema.get("required", []))
    for name, field_schema in schema.get("properties", {}).items():
        field_schema = _dereferenced(document, field_schema)
        binary = "contentMediaType" in field_schema or field_schema.get("format") == "binary"
        kind = "file" if binary else _kind(document, field_schema)
        slots.append(Slot(where, name, kind))
        value = UPLOAD if kind == "file" else _base_value(label, name, field_schema, values)
        if value is None and name in required:
            pytest.fail(f"{label}: no base value for required body field {name}")
        if value is not None:
            base[where][name] = value


# --- sending ------------------------------------------------------------------------------


def _wrong_type(kind: str, where: str) -> Any:
    """A value of another type than the slot's: an object where a number, text or file is
    expected, a number where an object or list is; in a URL or form, the object's JSON text."""
    scalar = kind in ("integer", "number", "string", "boolean", "file")
    wrong: Any = {"nested": {"x": 1}} if scalar else 12345
    if where in ("path", "query", "form"):
        return json.dumps(wrong) if isinstance(wrong, dict) else str(wrong)
    return wrong


def as_text(value: Any) -> str:
    """A value as a URL or form carries it; NaN and infinities as JSON texts write them."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return str(value)


def request_for(
    client: httpx.Client, operation: Operation, slot: Slot | None, label: str, value: Any
) -> httpx.Request:
    """The operation's base request with ``value`` in ``slot`` (none: the base request)."""
    parts = {where: dict(values) for where, values in operation.base.items()}
    if slot is not None:
        if label == "wrong type":
            value = _wrong_type(slot.kind, slot.where)
        elif slot.name == "bbox" and isinstance(value, float):
            # a box of them (one number alone is refused for its count already)
            value = ",".join(as_text(v) for v in (-value, -value, value, value))
        parts[slot.where][slot.name] = value
    path = operation.path
    for name, part in parts["path"].items():
        path = path.replace("{" + name + "}", quote(as_text(part), safe=""))
    query = {name: as_text(v) for name, v in parts["query"].items()}
    request: dict[str, Any] = {"params": query}
    if operation.method in ("POST", "PUT", "PATCH"):
        if parts["form"] or any(s.where == "form" for s in operation.slots):
            request |= _form(parts["form"])
        elif any(s.where == "json" for s in operation.slots):
            body = json.dumps(parts["json"], allow_nan=True)
            request |= {"content": body, "headers": {"content-type": "application/json"}}
    return client.build_request(operation.method, path, **request)


def _form(fields: dict[str, Any]) -> dict[str, Any]:
    files = {n: v for n, v in fields.items() if isinstance(v, tuple)}
    data = {n: as_text(v) for n, v in fields.items() if not isinstance(v, tuple)}
    if files:
        return {"data": data, "files": files}
    return {"data": data}


def _client_address(response: httpx.Response) -> Any:
    """The client's end of the connection that carried ``response``; None once closed."""
    stream = response.extensions.get("network_stream")
    try:
        return stream.get_extra_info("client_addr") if stream is not None else None
    except OSError:  # the server closed it and the client let the socket go
        return None


def sent(
    client: httpx.Client, request: httpx.Request, what: str
) -> tuple[httpx.Response | None, list[str]]:
    """The answer to ``request``, and what is wrong with it: a server error, an error that is
    not problem+json, or a connection that ``/health`` cannot reuse afterwards."""
    try:
        answer = client.send(request)
    except httpx.TransportError as error:
        return None, [f"{what}: the connection failed: {error!r}"]
    found = []
    if answer.status_code >= 500:
        found.append(f"{what}: {answer.status_code} {answer.text[:200]}")
    elif answer.status_code >= 400:
        problem = answer.json() if "json" in answer.headers.get("content-type", "") else {}
        if not answer.headers.get("content-type", "").startswith("application/problem+json"):
            found.append(f"{what}: {answer.status_code} is not problem+json")
        elif problem.get("status") != answer.status_code or not problem.get("title"):
            found.append(f"{what}: a problem without its status or title: {problem}")
    address = _client_address(answer)
    try:
        health = client.get(CONNECTION_KEPT_PATH)
    except httpx.TransportError as error:
        return answer, [*found, f"after {what}: /health failed: {error!r}"]
    if health.status_code != 200:
        found.append(f"after {what}: /health answered {health.status_code}")
    elif address is None or _client_address(health) != address:
        found.append(f"after {what}: the connection was closed")
    return answer, found


def check(client: httpx.Client, request: httpx.Request, what: str) -> httpx.Response:
    """Send ``request``, failing on anything :func:`sent` finds wrong; the answer."""
    answer, found = sent(client, request, what)
    assert answer is not None and not found, found
    return answer
