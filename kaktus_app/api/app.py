"""The HTTP layer of /api/v1: a Starlette app mounted on the Reflex backend (``rx.App(api_transformer=...)``).

It authenticates the key, counts the request against the key's rate limit, parses the request,
calls the resources (which call the module services in a worker thread, one transaction, the key's
user as the actor) and turns every outcome into JSON. Errors are always
``{"error": {"code", "message", "fields"}}``: a service's ValidationError is 422 with a message per
field, NotFound 404, PermissionDenied 403, Conflict 409, any other refused rule 422; a bad body 400;
no or a bad key 401; too many requests 429. An unexpected exception is logged and answers 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from kaktus_app import db
from kaktus_app.api import resources, service
from kaktus_app.api.openapi import BASE, document
from kaktus_app.api.ratelimit import RateLimiter
from kaktus_app.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError
from kaktus_app.i18n import translate

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]  # a route answers every method (405 as JSON)
limiter = RateLimiter()


class ApiError(Exception):
    def __init__(self, status: int, code: str, key: str, fields: dict | None = None, headers: dict | None = None, **params):
        super().__init__(key)
        self.status, self.code, self.key, self.fields, self.headers, self.params = status, code, key, fields or {}, headers or {}, params


def _default(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class ApiJSON(JSONResponse):
    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=_default).encode()


def _error(status: int, code: str, message: str, fields: dict | None = None, key: str = "", headers: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    if key:
        body["error"]["key"] = key
    return ApiJSON(body, status_code=status, headers=headers)


def _lang(request: Request, holder: service.KeyHolder | None) -> str:
    wanted = request.headers.get("accept-language", "").strip().lower()
    if wanted.startswith("id"):
        return "id"
    if wanted.startswith("en"):
        return "en"
    return holder.actor.language if holder is not None and holder.actor.language in ("en", "id") else "en"


def _domain_response(exc: DomainError, lang: str) -> Response:
    if isinstance(exc, ValidationError):
        return _error(422, "validation_failed", translate("error.fix_fields", lang), exc.messages(lang))
    message = exc.message(lang)
    if isinstance(exc, NotFound):
        return _error(404, "not_found", message, key=exc.key)
    if isinstance(exc, PermissionDenied):
        return _error(403, "permission_denied", message, key=exc.key)
    if isinstance(exc, Conflict):
        return _error(409, "conflict", message, {exc.field: message} if exc.field else {}, key=exc.key)
    return _error(422, "rule_violation", message, {exc.field: message} if exc.field else {}, key=exc.key)


FEEDS = (f"{BASE}/calendar.ics",)  # calendar apps cannot send headers: these take the key as ?key=


def _presented_key(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    if request.url.path in FEEDS and request.query_params.get("key"):
        return request.query_params["key"].strip()
    return request.headers.get("x-api-key", "").strip()


async def _authenticate(request: Request) -> service.KeyHolder:
    plain = _presented_key(request)
    if not plain:
        raise ApiError(401, "unauthorized", "api.error.key_missing", headers={"WWW-Authenticate": 'Bearer realm="kaktus"'})
    holder = await db.run(service.authenticate, plain)
    if holder is None:
        raise ApiError(401, "unauthorized", "api.error.key_invalid", headers={"WWW-Authenticate": 'Bearer realm="kaktus", error="invalid_token"'})
    return holder


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


async def _json(request: Request, *, required: bool):
    """The request body: a JSON value, or None when empty and not ``required``."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(413, "too_large", "api.error.too_large", max=MAX_BODY)
    if not raw.strip():
        if required:
            raise ApiError(400, "bad_request", "api.error.body_object")
        return None
    try:
        return json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise ApiError(400, "bad_request", "api.error.bad_json") from None


def _record_id(request: Request, name: str = "id") -> int:
    number = resources._id(request.path_params.get(name, ""))
    if number is None:
        raise ApiError(404, "not_found", "error.not_found")
    return number


Handler = Callable[[Request, service.KeyHolder], Awaitable[Response]]


def endpoint(methods: dict[str, Handler]):
    """A route: method dispatch, key, rate limit, and every error as JSON."""

    async def handle(request: Request) -> Response:
        holder = None
        verdict = None
        try:
            handler = methods.get(request.method)
            if handler is None:
                raise ApiError(405, "method_not_allowed", "api.error.method_not_allowed", headers={"Allow": ", ".join(methods)})
            holder = await _authenticate(request)
            verdict = await limiter.hit(holder.key_id, holder.rate_limit)
            if not verdict.allowed:
                raise ApiError(429, "rate_limited", "api.error.rate_limited", headers={"Retry-After": str(verdict.reset)}, limit=verdict.limit)
            response = await handler(request, holder)
        except ApiError as exc:
            response = _error(exc.status, exc.code, translate(exc.key, _lang(request, holder), **exc.params), exc.fields, exc.key, exc.headers)
        except DomainError as exc:
            response = _domain_response(exc, _lang(request, holder))
        except Exception:
            log.exception("API %s %s failed", request.method, request.url.path)
            response = _error(500, "internal_error", translate("api.error.internal", _lang(request, holder)))
        if verdict is not None:
            response.headers["X-RateLimit-Limit"] = str(verdict.limit)
            response.headers["X-RateLimit-Remaining"] = str(verdict.remaining)
            response.headers["X-RateLimit-Reset"] = str(verdict.reset)
        return response

    return handle


def _query(request: Request) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in query:
            raise ApiError(422, "validation_failed", "error.fix_fields", {name[:60]: translate("api.error.repeated_parameter")})
        query[name] = value
    return query


def _links(request: Request, meta: dict) -> dict:
    links = {"self": f"{request.url.path}?{request.url.include_query_params(page=meta['page']).query}"}
    if meta["page"] < meta["pages"]:
        links["next"] = f"{request.url.path}?{request.url.include_query_params(page=meta['page'] + 1).query}"
    if meta["page"] > 1:
        links["prev"] = f"{request.url.path}?{request.url.include_query_params(page=meta['page'] - 1).query}"
    return links


# ------------------------------------------------------------------------------------- resources


def _resource_routes(name: str) -> list[Route]:
    res = resources.RESOURCES[name]

    async def list_(request: Request, holder) -> Response:
        result = await db.run(resources.list_records, holder.actor, name, _query(request))
        result["links"] = _links(request, result["meta"])
        return ApiJSON(result)

    async def create(request: Request, holder) -> Response:
        body = await _json(request, required=True)
        record = await db.run(resources.create_record, holder.actor, name, body)
        return ApiJSON({"data": record}, status_code=201, headers={"Location": f"{BASE}/{name}/{record['id']}"})

    async def read(request: Request, holder) -> Response:
        return ApiJSON({"data": await db.run(resources.read_record, holder.actor, name, _record_id(request))})

    async def update(request: Request, holder) -> Response:
        record_id = _record_id(request)
        body = await _json(request, required=True)
        return ApiJSON({"data": await db.run(resources.update_record, holder.actor, name, record_id, body)})

    async def delete(request: Request, holder) -> Response:
        await db.run(resources.delete_record, holder.actor, name, _record_id(request))
        return Response(status_code=204)

    routes = [
        Route(f"{BASE}/{name}", endpoint({"GET": list_, "POST": create}), methods=ALL_METHODS),
        Route(f"{BASE}/{name}/{{id}}", endpoint({"GET": read, "PATCH": update, "DELETE": delete}), methods=ALL_METHODS),
    ]
    for action in res.actions:

        async def act(request: Request, holder, action=action.name) -> Response:
            record_id = _record_id(request)
            body = await _json(request, required=False)
            return ApiJSON({"data": await db.run(resources.run_action, holder.actor, name, record_id, action, body)})

        routes.append(Route(f"{BASE}/{name}/{{id}}/{action.name}", endpoint({"POST": act}), methods=ALL_METHODS))
    return routes


async def _update_line(request: Request, holder) -> Response:
    order_id, line_id = _record_id(request), _record_id(request, "line_id")
    body = await _json(request, required=True)
    return ApiJSON({"data": await db.run(resources.update_line, holder.actor, order_id, line_id, body)})


async def _remove_line(request: Request, holder) -> Response:
    order_id, line_id = _record_id(request), _record_id(request, "line_id")
    return ApiJSON({"data": await db.run(resources.remove_line, holder.actor, order_id, line_id)})


# ------------------------------------------------------------------------------ account, webhooks


def _me(session, actor) -> dict:
    from kaktus_app.auth import permissions

    view = permissions.client_view(session, actor)
    return {"id": actor.id, "username": actor.username, "full_name": actor.full_name, "role": actor.role, "language": actor.language, **view}


async def _get_me(request: Request, holder) -> Response:
    return ApiJSON({"data": await db.run(_me, holder.actor)})


def _webhook_body(body, *, creating: bool) -> dict:
    if not isinstance(body, dict):
        raise ValidationError({"body": "api.error.body_object"})
    allowed = {"url", "events", "description"} | (set() if creating else {"active"})
    unknown = {str(k)[:60]: "api.error.unknown_field" for k in body if k not in allowed}
    if unknown:
        raise ValidationError(unknown)
    for key in ("url", "description"):
        if key in body and not (isinstance(body[key], str) and resources._text_ok(body[key])):
            raise ValidationError({key: "api.error.type_string"})
    if "events" in body and not (isinstance(body["events"], list) and len(body["events"]) <= 100 and all(isinstance(e, str) for e in body["events"])):
        raise ValidationError({"events": "api.error.type_array"})
    return body


def _create_webhook(session, actor, body) -> dict:
    secret, hook = service.create_webhook(session, actor, _webhook_body(body, creating=True))
    return service.webhook_dict(session, hook) | {"secret": secret}


def _update_webhook(session, actor, webhook_id, body) -> dict:
    hook = service.update_webhook(session, actor, webhook_id, _webhook_body(body, creating=False))
    return service.webhook_dict(session, hook)


async def _list_webhooks(request: Request, holder) -> Response:
    return ApiJSON({"data": await db.run(service.list_webhooks, holder.actor)})


async def _post_webhook(request: Request, holder) -> Response:
    body = await _json(request, required=True)
    hook = await db.run(_create_webhook, holder.actor, body)
    return ApiJSON({"data": hook}, status_code=201, headers={"Location": f"{BASE}/webhooks/{hook['id']}"})


async def _get_webhook(request: Request, holder) -> Response:
    return ApiJSON({"data": await db.run(service.get_webhook, holder.actor, _record_id(request))})


async def _patch_webhook(request: Request, holder) -> Response:
    webhook_id = _record_id(request)
    body = await _json(request, required=True)
    return ApiJSON({"data": await db.run(_update_webhook, holder.actor, webhook_id, body)})


async def _delete_webhook(request: Request, holder) -> Response:
    await db.run(service.delete_webhook, holder.actor, _record_id(request))
    return Response(status_code=204)


async def _deliveries(request: Request, holder) -> Response:
    webhook_id = _record_id(request)
    query = _query(request)
    errors, page, per_page, status = {}, 1, 25, ""
    for name, value in query.items():
        if name == "page" and (number := resources._id(value)) is not None:
            page = number
        elif name == "per_page" and (number := resources._id(value)) is not None and number <= resources.MAX_PAGE_SIZE:
            per_page = number
        elif name == "status" and value in ("pending", "sending", "delivered", "failed"):
            status = value
        else:
            errors[name[:60]] = "api.error.unknown_parameter" if name not in ("page", "per_page", "status") else "api.error.enum"
    if errors:
        raise ValidationError(errors)
    result = await db.run(service.list_deliveries, holder.actor, webhook_id=webhook_id, status=status, page=page, page_size=per_page)
    meta = {"page": result["page"], "per_page": per_page, "total": result["total"], "total_capped": result["total_capped"], "pages": result["pages"]}
    return ApiJSON({"data": result["rows"], "meta": meta})


async def _ping(request: Request, holder) -> Response:
    delivery = await db.run(lambda session, actor, webhook_id: service.delivery_dict(service.queue_ping(session, actor, webhook_id)), holder.actor, _record_id(request))
    return ApiJSON({"data": delivery}, status_code=202)


async def _calendar(request: Request, holder) -> Response:
    """The key holder's activities as an iCalendar feed (subscribe to it in a calendar app)."""
    from kaktus_app.integration import service as integration

    text = await db.run(integration.activities_ical, holder.actor, lang=_lang(request, holder))
    return Response(text, media_type="text/calendar; charset=utf-8", headers={"Content-Disposition": 'inline; filename="kaktus-activities.ics"', "Cache-Control": "no-store"})


async def _contacts_vcard(request: Request, holder) -> Response:
    """The contacts the filters select, as vCards (q, segment, city, province, owner_id, tag)."""
    from kaktus_app.integration import service as integration

    query = _query(request)
    unknown = {name[:60]: "api.error.unknown_parameter" for name in query if name not in ("q", "segment", "city", "province", "owner_id", "tag")}
    if unknown:
        raise ValidationError(unknown)
    filters = {"search": query.get("q", ""), **{k: query[k] for k in ("segment", "city", "province", "owner_id", "tag") if k in query}}
    if filters.get("owner_id") not in (None, "", "me") and resources._id(filters["owner_id"]) is None:
        raise ValidationError({"owner_id": "api.error.type_id"})
    name, text = await db.run(integration.contacts_vcard, holder.actor, filters=filters, lang=_lang(request, holder))
    return Response(text, media_type="text/vcard; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ------------------------------------------------------------------------------------ the app


async def _openapi(request: Request) -> Response:
    return ApiJSON(document())


async def _index(request: Request) -> Response:
    return ApiJSON({"name": "Kaktus CRM API", "version": "1", "openapi": f"{BASE}/openapi.json", "resources": [f"{BASE}/{n}" for n in resources.RESOURCES]})


async def _not_found(request: Request) -> Response:
    lang = "id" if request.headers.get("accept-language", "").lower().startswith("id") else "en"
    return _error(404, "not_found", translate("api.error.no_route", lang), key="api.error.no_route")


def build(reflex_app=None) -> Starlette:
    """The API's routes; with ``reflex_app`` (the backend Reflex built) everything else goes there."""
    routes: list[Route | Mount] = [Route(BASE, _index, methods=["GET"]), Route(f"{BASE}/openapi.json", _openapi, methods=["GET"])]
    routes.append(Route(f"{BASE}/me", endpoint({"GET": _get_me}), methods=ALL_METHODS))
    routes.append(Route(f"{BASE}/calendar.ics", endpoint({"GET": _calendar}), methods=ALL_METHODS))
    routes.append(Route(f"{BASE}/contacts.vcf", endpoint({"GET": _contacts_vcard}), methods=ALL_METHODS))
    routes.append(Route(f"{BASE}/webhooks", endpoint({"GET": _list_webhooks, "POST": _post_webhook}), methods=ALL_METHODS))
    routes.append(Route(f"{BASE}/webhooks/{{id}}", endpoint({"GET": _get_webhook, "PATCH": _patch_webhook, "DELETE": _delete_webhook}), methods=ALL_METHODS))
    routes.append(Route(f"{BASE}/webhooks/{{id}}/deliveries", endpoint({"GET": _deliveries}), methods=ALL_METHODS))
    routes.append(Route(f"{BASE}/webhooks/{{id}}/ping", endpoint({"POST": _ping}), methods=ALL_METHODS))
    for name in resources.RESOURCES:
        routes += _resource_routes(name)
    routes.append(Route(f"{BASE}/quotations/{{id}}/lines/{{line_id}}", endpoint({"PATCH": _update_line, "DELETE": _remove_line}), methods=ALL_METHODS))
    routes.append(Route("/api/{path:path}", _not_found, methods=ALL_METHODS))  # anything else under /api: JSON, never the web app
    if reflex_app is not None:
        routes.append(Mount("", app=reflex_app))
    return Starlette(routes=routes)


def mount(reflex_app) -> Starlette:
    """``rx.App(api_transformer=mount)``: the API in front of Reflex's own backend routes."""
    return build(reflex_app)


api_app = build()  # the API alone (tests drive it in process)
