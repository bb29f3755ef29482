"""The API's own bearer tokens in the API: list them, revoke one."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from service.api.http import JSON, api, authenticated
from service.api.services import list_tokens, revoke_token, token_json
from service.extensions import get_db


@api.get("/tokens")
@authenticated
def tokens_index() -> Any:
    """Every token, live or revoked; never their secrets."""
    with get_db().transaction(write=False) as session:
        return jsonify([token_json(token) for token in list_tokens(session)])


@api.post("/tokens/<int:token_id>/revoke")
@authenticated
def tokens_revoke(token_id: int) -> JSON:
    """Refuse this token from now on."""
    with get_db().transaction() as session:
        return token_json(revoke_token(session, token_id))
