"""Which assumption (if any) a spec-derived expectation rests on.

The specs mark assumption-shaped elements with ``x-assumed: A-n`` (or a list). A response-schema
failure is attributed by walking the *instance path* of the failing value through the response
schema, collecting ``x-assumed`` on every schema node passed (``$ref``, ``allOf``, ``anyOf``/``oneOf``
branches, ``properties``, ``items``). Only the schema path counts, not the response object: the
listRecordings 200 response carries ``x-assumed: A-3`` for its *ordering*, which must not turn a
missing ``totalCount`` into a mere deviation. Where the reference assumes a body *shape* that the
spec cannot mark on the schema itself, :data:`BODY_SHAPE_ASSUMPTIONS` says so explicitly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from contract.failures import DOCUMENTED

BODY_SHAPE_ASSUMPTIONS: dict[tuple[str, int], str] = {
    ("uploadRecording", 201): "A-5",
}
"""(operationId, status) -> assumption on the whole body shape (reference 2.2: A-5 ``{"id": uuid}``)."""


@functools.cache
def load(path: str) -> dict[str, Any]:
    return dict(yaml.safe_load(Path(path).read_text()))


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        target: Any = spec
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        node = target
        seen += 1
    return node


def _tags(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    value = node.get("x-assumed")
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def operation(spec: dict[str, Any], operation_id: str) -> tuple[str, str, dict[str, Any]] | None:
    for path, item in (spec.get("paths") or {}).items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return path, method, op
    return None


def response_schema(spec: dict[str, Any], operation_id: str, status: int) -> Any:
    found = operation(spec, operation_id)
    if found is None:
        return None
    responses = found[2].get("responses") or {}
    response = _resolve(spec, responses.get(str(status)) or responses.get("default"))
    if not isinstance(response, dict):
        return None
    for media in (response.get("content") or {}).values():
        return media.get("schema")
    return None


def assumptions_along(spec: dict[str, Any], schema: Any, instance_path: Iterable[Any]) -> list[str]:
    """``x-assumed`` tags on every schema node the instance path passes through."""
    found: list[str] = []

    def visit(node: Any, path: list[Any], depth: int) -> None:
        node = _resolve(spec, node)
        if not isinstance(node, dict) or depth > 40:
            return
        found.extend(_tags(node))
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in node.get(key) or []:
                visit(branch, path, depth + 1)
        if not path:
            return
        head, rest = path[0], path[1:]
        if isinstance(head, int):
            if "items" in node:
                visit(node["items"], rest, depth + 1)
            return
        prop = (node.get("properties") or {}).get(head)
        if prop is not None:
            visit(prop, rest, depth + 1)

    visit(schema, list(instance_path), 0)
    return list(dict.fromkeys(found))


def response_provenance(
    spec: dict[str, Any], operation_id: str, status: int, instance_path: Iterable[Any]
) -> str:
    """``documented`` or the comma-joined assumptions a response-body expectation rests on."""
    tags = []
    shape = BODY_SHAPE_ASSUMPTIONS.get((operation_id, status))
    if shape:
        tags.append(shape)
    schema = response_schema(spec, operation_id, status)
    if schema is not None:
        tags.extend(assumptions_along(spec, schema, instance_path))
    tags = list(dict.fromkeys(tags))
    return ",".join(tags) if tags else DOCUMENTED


def parameter_provenance(spec: dict[str, Any], operation_id: str, name: str) -> str:
    """Assumptions on a parameter's definition (e.g. RHS-Colon filters rest on A-12..A-14)."""
    found = operation(spec, operation_id)
    if found is None:
        return DOCUMENTED
    for param in found[2].get("parameters") or []:
        param = _resolve(spec, param)
        if isinstance(param, dict) and param.get("name") == name:
            tags = _tags(param)
            return ",".join(tags) if tags else DOCUMENTED
    return DOCUMENTED
