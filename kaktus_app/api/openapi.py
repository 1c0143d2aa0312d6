"""The OpenAPI 3.0 document, generated from the same resource table the routes use (so it cannot
drift from what the server accepts)."""

from __future__ import annotations

from functools import lru_cache

from kaktus_app.api.resources import (
    LINE_INPUTS,
    MAX_ID,
    MAX_PAGE_SIZE,
    RESOURCES,
    Input,
    Param,
    Resource,
    output_fields,
)
from kaktus_app.api.service import EVENTS

BASE = "/api/v1"
ERRORS = {
    "400": "The request is not valid JSON or not an object.",
    "401": "No key, or the key is unknown, revoked or expired.",
    "403": "The key's user may not do this (their profile's permissions).",
    "404": "No such record (or one the user may not see).",
    "409": "Changed by somebody else meanwhile (stale `version`), or still in use.",
    "422": "Invalid values (`fields` names each one) or a refused state change.",
    "429": "Too many requests for this key; wait `Retry-After` seconds.",
}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _input_schema(spec: Input) -> dict:
    kind = spec.type
    if kind == "id":
        schema = {**ID_SCHEMA, "nullable": True}
    elif kind == "integer":
        schema = {"type": "integer", "nullable": True}
    elif kind in ("money", "decimal", "number"):
        schema = {"anyOf": [{"type": "string", "example": "1500000.00"}, {"type": "number"}], "nullable": True}
    elif kind == "boolean":
        schema = {"type": "boolean"}
    elif kind == "date":
        schema = {"type": "string", "format": "date", "nullable": True}
    elif kind == "datetime":
        schema = {"type": "string", "format": "date-time", "nullable": True}
    elif kind == "tags":
        schema = {"anyOf": [{"type": "array", "items": {"type": "string"}, "maxItems": 50}, {"type": "string"}], "nullable": True}
    elif kind == "lines":
        schema = {"type": "array", "maxItems": 200, "items": _object(LINE_INPUTS, creating=True)}
    elif kind == "enum":
        schema = {"type": "string", "enum": list(spec.enum)}
    else:
        schema = {"type": "string", "nullable": not spec.required}
    if spec.description:
        schema["description"] = spec.description
    return schema


def _object(inputs: tuple[Input, ...], *, creating: bool) -> dict:
    mode = "create" if creating else "update"
    chosen = [i for i in inputs if i.on in ("both", mode)]
    schema: dict = {"type": "object", "additionalProperties": False, "properties": {i.name: _input_schema(i) for i in chosen}}
    required = [i.name for i in chosen if i.required and creating]
    if required:
        schema["required"] = required
    return schema


def _param(spec: Param) -> dict:
    if spec.type == "enum":
        schema: dict = {"type": "string", "enum": list(spec.enum)}
    elif spec.type == "id":
        schema = dict(ID_SCHEMA)
    elif spec.type == "id_or_me":
        schema = {"anyOf": [ID_SCHEMA, {"type": "string", "enum": ["me", *spec.enum]}]}
    elif spec.type == "boolean":
        schema = {"type": "boolean"}
    elif spec.type == "datetime":
        schema = {"type": "string", "format": "date-time"}
    else:
        schema = {"type": "string", "maxLength": 200}
    return {"name": spec.name, "in": "query", "required": False, "schema": schema, **({"description": spec.description} if spec.description else {})}


def _responses(ok: str, schema_ref: str | None, description: str, *codes: str) -> dict:
    responses: dict = {}
    if schema_ref is None:
        responses[ok] = {"description": description}
    else:
        responses[ok] = {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}
    for code in ("400", "401", "403", "404", "429", *codes):
        responses[code] = {"$ref": f"#/components/responses/E{code}"}
    return responses


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _record_schema(res: Resource) -> dict:
    return {"type": "object", "properties": output_fields(res)}


def _resource_paths(res: Resource) -> dict:
    name, tag = res.name, res.name.capitalize()
    one = f"#/components/schemas/{name}_one"
    page = f"#/components/schemas/{name}_page"
    id_param = {"name": "id", "in": "path", "required": True, "schema": ID_SCHEMA}
    paths: dict = {
        f"{BASE}/{name}": {
            "get": {
                "tags": [tag], "operationId": f"list_{name}", "summary": f"List {name} (paginated, filtered, sorted)",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {**ID_SCHEMA, "default": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 25}},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(res.sorts), "default": res.default_sort}, "description": "`-` first = descending."},
                    *[_param(p) for p in res.filters],
                ],
                "responses": _responses("200", page, "One page.", "422"),
            },
            "post": {
                "tags": [tag], "operationId": f"create_{res.singular}", "summary": f"Create a {res.singular}",
                "requestBody": _body(_object(res.inputs, creating=True)),
                "responses": _responses("201", one, "Created.", "409", "422"),
            },
        },
        f"{BASE}/{name}/{{id}}": {
            "parameters": [id_param],
            "get": {"tags": [tag], "operationId": f"get_{res.singular}", "summary": f"Read a {res.singular}", "responses": _responses("200", one, "The record.")},
            "patch": {
                "tags": [tag], "operationId": f"update_{res.singular}", "summary": f"Change a {res.singular} (only the fields given)",
                "requestBody": _body(_object(res.inputs, creating=False)), "responses": _responses("200", one, "Changed.", "409", "422"),
            },
            "delete": {"tags": [tag], "operationId": f"delete_{res.singular}", "summary": f"Delete a {res.singular}", "responses": _responses("204", None, "Deleted.", "409", "422")},
        },
    }
    for action in res.actions:
        result = f"#/components/schemas/{action.result or name}_one"
        operation = {
            "tags": [tag], "operationId": f"{res.singular}_{action.name}", "summary": action.summary,
            "responses": _responses("200", result, "The record after the change.", "409", "422"),
        }
        operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": _object(action.inputs, creating=True)}}}
        paths[f"{BASE}/{name}/{{id}}/{action.name}"] = {"parameters": [id_param], "post": operation}
    return paths


def _webhook_paths() -> dict:
    id_param = {"name": "id", "in": "path", "required": True, "schema": ID_SCHEMA}
    events = {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ["*", *EVENTS]}}
    create = {
        "type": "object", "additionalProperties": False, "required": ["url", "events"],
        "properties": {"url": {"type": "string", "format": "uri", "maxLength": 500}, "events": events, "description": {"type": "string", "maxLength": 200}},
    }
    change = {"type": "object", "additionalProperties": False, "properties": {**create["properties"], "active": {"type": "boolean"}}}
    hook = "#/components/schemas/webhook_one"
    return {
        f"{BASE}/webhooks": {
            "get": {"tags": ["Webhooks"], "operationId": "list_webhooks", "summary": "Your webhook subscriptions", "responses": _responses("200", "#/components/schemas/webhook_list", "Subscriptions.")},
            "post": {
                "tags": ["Webhooks"], "operationId": "create_webhook", "summary": "Subscribe a URL to events (the answer holds the signing `secret`, shown once)",
                "requestBody": _body(create), "responses": _responses("201", hook, "Subscribed.", "422"),
            },
        },
        f"{BASE}/webhooks/{{id}}": {
            "parameters": [id_param],
            "get": {"tags": ["Webhooks"], "operationId": "get_webhook", "summary": "One subscription", "responses": _responses("200", hook, "The subscription.")},
            "patch": {"tags": ["Webhooks"], "operationId": "update_webhook", "summary": "Change a subscription", "requestBody": _body(change), "responses": _responses("200", hook, "Changed.", "422")},
            "delete": {"tags": ["Webhooks"], "operationId": "delete_webhook", "summary": "Unsubscribe", "responses": _responses("204", None, "Removed.")},
        },
        f"{BASE}/webhooks/{{id}}/deliveries": {
            "parameters": [id_param],
            "get": {
                "tags": ["Webhooks"], "operationId": "list_deliveries", "summary": "The subscription's deliveries, newest first",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {**ID_SCHEMA, "default": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}},
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending", "sending", "delivered", "failed"]}},
                ],
                "responses": _responses("200", "#/components/schemas/delivery_page", "One page.", "422"),
            },
        },
        f"{BASE}/webhooks/{{id}}/ping": {
            "parameters": [id_param],
            "post": {"tags": ["Webhooks"], "operationId": "ping_webhook", "summary": "Queue a `ping` delivery", "responses": _responses("202", "#/components/schemas/delivery_one", "Queued.")},
        },
    }


@lru_cache(maxsize=1)
def document() -> dict:
    error = {
        "type": "object", "required": ["error"],
        "properties": {
            "error": {
                "type": "object", "required": ["code", "message", "fields"],
                "properties": {
                    "code": {"type": "string", "example": "validation_failed"}, "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}, "key": {"type": "string"},
                },
            }
        },
    }
    meta = {
        "type": "object",
        "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}, "total_capped": {"type": "boolean"}, "pages": {"type": "integer"}},
    }
    schemas: dict = {"error": error, "meta": meta}
    paths: dict = {}
    for res in RESOURCES.values():
        schemas[res.name] = _record_schema(res)
        schemas[f"{res.name}_one"] = {"type": "object", "properties": {"data": {"$ref": f"#/components/schemas/{res.name}"}}}
        schemas[f"{res.name}_page"] = {
            "type": "object",
            "properties": {"data": {"type": "array", "items": {"$ref": f"#/components/schemas/{res.name}"}}, "meta": {"$ref": "#/components/schemas/meta"}, "links": {"type": "object"}},
        }
        paths.update(_resource_paths(res))
    delivery = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "webhook_id": {"type": "integer"}, "event": {"type": "string"}, "event_id": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "sending", "delivered", "failed"]}, "attempts": {"type": "integer"},
            "response_status": {"type": "integer", "nullable": True}, "last_error": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}, "next_attempt_at": {"type": "string", "format": "date-time", "nullable": True},
            "delivered_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    }
    webhook = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
            "description": {"type": "string"}, "active": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}, "last_delivery": {"allOf": [delivery], "nullable": True},
            "secret": {"type": "string", "description": "Only in the answer to the subscription."},
        },
    }
    schemas.update(
        delivery=delivery, webhook=webhook,
        delivery_one={"type": "object", "properties": {"data": {"$ref": "#/components/schemas/delivery"}}},
        delivery_page={"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/delivery"}}, "meta": {"$ref": "#/components/schemas/meta"}}},
        webhook_one={"type": "object", "properties": {"data": {"$ref": "#/components/schemas/webhook"}}},
        webhook_list={"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/webhook"}}}},
        me={"type": "object", "properties": {"data": {"type": "object"}}},
    )
    paths[f"{BASE}/me"] = {
        "get": {"tags": ["Account"], "operationId": "me", "summary": "The key's user and what their profile allows", "responses": _responses("200", "#/components/schemas/me", "The user.")},
    }
    paths.update(_webhook_paths())
    responses = {
        f"E{code}": {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}}
        for code, text in ERRORS.items()
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Kaktus CRM API", "version": "1",
            "description": (
                "JSON API of Kaktus CRM. Authenticate with a personal API key (Account → API keys): "
                "`Authorization: Bearer kaktus_...`. A key acts as its user, with the user's permissions. "
                "Money and decimals are strings (`\"1500000.00\"`, IDR), datetimes ISO 8601 UTC. Lists are paginated "
                f"(`page`, `per_page` ≤ {MAX_PAGE_SIZE}). Errors: `{{\"error\": {{\"code\", \"message\", \"fields\"}}}}`. "
                "Rate limit per key (default 120 requests per minute): `X-RateLimit-*` headers, 429 with `Retry-After`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"api_key": []}],
        "tags": [{"name": r.name.capitalize(), "description": r.description} for r in RESOURCES.values()] + [{"name": "Webhooks"}, {"name": "Account"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": responses,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "A personal API key."},
                "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
