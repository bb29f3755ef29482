"""The OpenAPI 3.1 document, its schemas taken from the same pydantic models that validate input."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from service.api.schemas import CampaignIn, CapacityIn, CheckinIn, InvitationIn, TestSendIn
from service.campaigns.models import CampaignState
from service.error_pages import PROBLEM_JSON
from service.events.schemas import EventIn
from service.mail.models import MessageStatus

REF = "#/components/schemas/"
ERROR = {"$ref": REF + "Error"}


def _json(schema: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    return {"content": {media_type: {"schema": schema}}}


def _responses(ok: int, schema: dict[str, Any], *errors: int) -> dict[str, Any]:
    responses: dict[str, Any] = {str(ok): {"description": "OK", **_json(schema)}}
    for status in (401, *errors):
        responses[str(status)] = {"description": "Error", **_json(ERROR, PROBLEM_JSON)}
    return responses


EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}
NOTIFY = {
    "name": "notify",
    "in": "query",
    "description": "Email the people holding or waiting for a seat (true, false, 1 or 0)",
    "schema": {"type": "string", "enum": ["true", "false", "1", "0"]},
}


@lru_cache(maxsize=1)
def _schemas() -> dict[str, Any]:
    models = (EventIn, CapacityIn, InvitationIn, CampaignIn, TestSendIn, CheckinIn)
    _, top = models_json_schema(
        [(model, "validation") for model in models], ref_template=REF + "{model}"
    )
    schemas: dict[str, Any] = top["$defs"]
    schemas["Error"] = {
        "description": "RFC 9457 problem details; `error` is a stable code, `errors` one line "
        "per field at fault (`field: reason`), `message` repeats `detail`.",
        "type": "object",
        "required": ["type", "title", "status", "detail", "error", "message"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
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
    schemas["Campaign"] = _campaign_schema()
    return schemas


def _campaign_schema() -> dict[str, Any]:
    text, moment = {"type": "string"}, {"type": ["string", "null"], "format": "date-time"}
    number = {"type": ["integer", "null"]}
    return {
        "type": "object",
        "required": ["id", "event", "kind", "state", "lists", "template"],
        "properties": {
            "id": {"type": "integer"},
            "event": {"type": "integer"},
            "kind": {"$ref": REF + "CampaignKind"},
            "state": {
                "enum": [state.value for state in CampaignState],
                "description": "draft → scheduled → sending ⇄ paused → done; or cancelled",
            },
            "lists": {"type": "array", "items": text},
            **dict.fromkeys(("segment", "template", "subject", "sender_name"), text),
            "send_at": moment,
            "rate": number,
            "audience_count": {**number, "description": "People written to, once built"},
            **dict.fromkeys(("created_at", "launched_at", "finished_at"), moment),
            "progress": {
                "type": "object",
                "description": "Its emails by status (GET /campaigns/{campaign_id} only)",
                "properties": {status.value: {"type": "integer"} for status in MessageStatus},
            },
        },
    }


CAMPAIGN_ID = {"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "integer"}}
MOVES = {
    "launch": "Start sending now, or schedule it for its send_at; a worker writes its emails",
    "pause": "Stop new sends; emails already handed to the provider still arrive",
    "resume": "Go on sending a paused campaign, without sending anyone twice",
    "cancel": "Stop for good; emails not yet sent never leave",
}


def _campaign_paths() -> dict[str, Any]:
    campaign = {"$ref": REF + "Campaign"}
    paths: dict[str, Any] = {
        "/campaigns": {
            "get": {
                "summary": "List campaigns",
                "parameters": [
                    {"name": "event", "in": "query", "required": False,
                     "schema": {"type": "integer"}, "description": "Only this event's"},
                ],
                "responses": _responses(200, {"type": "array", "items": campaign}, 422),
            },
            "post": {
                "summary": "Create a draft campaign (as `convier campaign create`)",
                "requestBody": {"required": True, **_json({"$ref": REF + "CampaignIn"})},
                "responses": _responses(201, campaign, 400, 422),
            },
        },
        "/campaigns/{campaign_id}": {
            "get": {
                "summary": "A campaign with its progress",
                "parameters": [CAMPAIGN_ID],
                "responses": _responses(200, campaign, 404),
            }
        },
        "/campaigns/{campaign_id}/test-send": {
            "post": {
                "summary": "Send its email once to an address, now, outside its counts",
                "description": "502 when the mail provider does not accept it.",
                "parameters": [CAMPAIGN_ID],
                "requestBody": {"required": True, **_json({"$ref": REF + "TestSendIn"})},
                "responses": _responses(
                    200, {"type": "object", "properties": {"sent_to": {"type": "string"}}},
                    400, 404, 422, 502,
                ),
            }
        },
    }  # fmt: skip
    for move, summary in MOVES.items():
        paths[f"/campaigns/{{campaign_id}}/{move}"] = {
            "post": {
                "summary": summary,
                "description": "409 when the campaign's state does not allow it.",
                "parameters": [CAMPAIGN_ID],
                "responses": _responses(200, campaign, 404, 409),
            }
        }
    return paths


def _checkin_paths() -> dict[str, Any]:
    verdicts = ["welcome", "already_in", "refused"]
    scan = {"type": "object", "properties": {"verdict": {"type": "string", "enum": verdicts}}}
    return {
        "/events/{event_id}/checkins": {
            "post": {
                "summary": "Check in the holder of a scanned ticket",
                "description": "The same ticket checked in twice answers already_in with the "
                "first moment and device; refusal says why a code lets no one in "
                "(forged, other_event, cancelled, waitlisted…).",
                "parameters": [EVENT_ID],
                "requestBody": {"required": True, **_json({"$ref": REF + "CheckinIn"})},
                "responses": _responses(200, scan, 404, 422),
            }
        },
        "/events/{event_id}/tickets": {
            "get": {
                "summary": "The tickets of an event, with their holders' names and states",
                "parameters": [EVENT_ID],
                "responses": _responses(200, {"type": "object"}, 404),
            }
        },
    }


def _token_paths() -> dict[str, Any]:
    token = {
        "type": "object",
        "required": ["id", "name", "created_at", "revoked_at"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    token_id = {"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/tokens": {
            "get": {
                "summary": "The API tokens, live or revoked (never their secrets)",
                "responses": _responses(200, {"type": "array", "items": token}),
            }
        },
        "/tokens/{token_id}/revoke": {
            "post": {
                "summary": "Refuse a token from now on",
                "parameters": [token_id],
                "responses": _responses(200, token, 404),
            }
        },
    }


def openapi_document(base_url: str) -> dict[str, Any]:
    """The document served at /api/v1/openapi.json."""
    event = {"$ref": REF + "Event"}
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
                    "requestBody": {"required": True, **_json({"$ref": REF + "EventIn"})},
                    "responses": _responses(201, event, 400, 409, 422),
                },
            },
            "/events/{event_id}": {
                "get": {
                    "summary": "An event with its counts",
                    "parameters": [EVENT_ID],
                    "responses": _responses(200, event, 404),
                },
                "patch": {
                    "summary": "Change an event (JSON Merge Patch of its description)",
                    "description": "The description is EventIn's, as `convier event export` "
                    "prints it; `notify=true` emails the people holding or waiting for a seat "
                    "when the date, times or venue change.",
                    "parameters": [EVENT_ID, NOTIFY],
                    "requestBody": {
                        "required": True,
                        **_json({"type": "object"}, "application/merge-patch+json"),
                    },
                    "responses": _responses(200, event, 400, 404, 409, 422),
                },
            },
            "/events/{event_id}/cancel": {
                "post": {
                    "summary": "Call an event off (registration closes)",
                    "parameters": [EVENT_ID, NOTIFY],
                    "responses": _responses(200, {"type": "object"}, 404, 422),
                }
            },
            "/events/{event_id}/capacity": {
                "put": {
                    "summary": "Change the capacity",
                    "parameters": [EVENT_ID],
                    "requestBody": {"required": True, **_json({"$ref": REF + "CapacityIn"})},
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
                    "requestBody": {"required": True, **_json({"$ref": REF + "InvitationIn"})},
                    "responses": _responses(201, {"$ref": REF + "Invitation"}, 400, 404, 422),
                }
            },
            "/imports": {
                "post": {
                    "summary": "Upload a list export (CSV or XLSX); answers with what was detected",
                    "description": "At most IMPORT_MAX_MB (50 MB by default); 413 beyond.",
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
                    "responses": _responses(201, {"type": "object"}, 400, 413, 422),
                }
            },
            "/imports/{upload_id}/confirm": {
                "post": {
                    "summary": "Import an uploaded file (dry_run=true: count only)",
                    "description": "dry_run is true, false, 1 or 0; anything else is a 422.",
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
            "/events/{event_id}/stats": {
                "get": {
                    "summary": "Response statistics of an event",
                    "description": "The funnel of its invitations (invited, sent, delivered, "
                    "bounced, opened, clicked, registered, declined, replied, unsubscribed, "
                    "response rate) in total and per list or campaign; registrations per day; "
                    "the capacity gauge; the median time to respond; what each follow-up "
                    "brought; attendance (checked in at the door) in total and per list or per "
                    "day of registration (by=day).",
                    "parameters": [
                        EVENT_ID,
                        {
                            "name": "by",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["list", "campaign", "day"]},
                        },
                    ],
                    "responses": _responses(200, {"type": "object"}, 404, 422),
                }
            },
            **_campaign_paths(),
            **_token_paths(),
            **_checkin_paths(),
        },
    }
