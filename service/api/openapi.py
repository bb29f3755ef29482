"""The OpenAPI 3.1 document, its schemas taken from the same pydantic models that validate input."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from service.events.schemas import EventIn

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: int, schema: dict[str, Any], *errors: int) -> dict[str, Any]:
    responses: dict[str, Any] = {str(ok): {"description": "OK", **_json(schema)}}
    for status in (401, *errors):
        responses[str(status)] = {"description": "Error", **_json(ERROR)}
    return responses


EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}


@lru_cache(maxsize=1)
def _schemas() -> dict[str, Any]:
    from service.api.routes import CapacityIn, InvitationIn

    _, top = models_json_schema(
        [(EventIn, "validation"), (CapacityIn, "validation"), (InvitationIn, "validation")],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = top["$defs"]
    schemas["Error"] = {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "string"}},
        },
    }
    schemas["Event"] = {
        "type": "object",
        "required": ["id", "slug", "title", "capacity"],
        "additionalProperties": True,
    }
    schemas["Invitation"] = {
        "type": "object",
        "required": ["id", "link"],
        "properties": {"id": {"type": "string"}, "link": {"type": "string", "format": "uri"}},
    }
    return schemas


def openapi_document(base_url: str) -> dict[str, Any]:
    """The document served at /api/v1/openapi.json."""
    ref = "#/components/schemas/"
    event = {"$ref": ref + "Event"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Convier API", "version": "1"},
        "servers": [{"url": f"{base_url}/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
        "paths": {
            "/events": {
                "get": {
                    "summary": "List events",
                    "responses": _responses(200, {"type": "array", "items": event}),
                },
                "post": {
                    "summary": "Create an event",
                    "requestBody": {"required": True, **_json({"$ref": ref + "EventIn"})},
                    "responses": _responses(201, event, 400, 409, 422),
                },
            },
            "/events/{event_id}": {
                "get": {
                    "summary": "An event with its counts",
                    "parameters": [EVENT_ID],
                    "responses": _responses(200, event, 404),
                }
            },
            "/events/{event_id}/capacity": {
                "put": {
                    "summary": "Change the capacity",
                    "parameters": [EVENT_ID],
                    "requestBody": {"required": True, **_json({"$ref": ref + "CapacityIn"})},
                    "responses": _responses(200, event, 400, 404, 422),
                }
            },
            "/events/{event_id}/promote": {
                "post": {
                    "summary": "Give free seats to the waitlist",
                    "parameters": [EVENT_ID],
                    "responses": _responses(200, {"type": "object"}, 404),
                }
            },
            "/events/{event_id}/invitations": {
                "post": {
                    "summary": "Invite one address and get its personal link",
                    "parameters": [EVENT_ID],
                    "requestBody": {"required": True, **_json({"$ref": ref + "InvitationIn"})},
                    "responses": _responses(201, {"$ref": ref + "Invitation"}, 400, 404, 422),
                }
            },
            "/imports": {
                "post": {
                    "summary": "Upload a list export (CSV or XLSX); answers with what was detected",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file", "list"],
                                    "properties": {
                                        "file": {"type": "string", "format": "binary"},
                                        "list": {"type": "string"},
                                        "map": {
                                            "type": "string",
                                            "description": 'JSON {"column": "field"}',
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": _responses(201, {"type": "object"}, 400, 422),
                }
            },
            "/imports/{upload_id}/confirm": {
                "post": {
                    "summary": "Import an uploaded file (dry_run=1: count only)",
                    "parameters": [
                        {
                            "name": "upload_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "dry_run",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "boolean"},
                        },
                    ],
                    "responses": _responses(200, {"type": "object"}, 404, 422),
                }
            },
            "/events/{event_id}/registrations": {
                "get": {
                    "summary": "Registrations of an event",
                    "parameters": [EVENT_ID],
                    "responses": _responses(
                        200, {"type": "array", "items": {"type": "object"}}, 404
                    ),
                }
            },
        },
    }
