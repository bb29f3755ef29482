"""The page a partner network opens from its report link: its own list's aggregate figures."""

from __future__ import annotations

from flask import Blueprint

reports = Blueprint("reports", __name__)
