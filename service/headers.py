"""Headers every answer carries: a Content-Security-Policy without inline scripts, no framing, no
content sniffing; and, on the pages of personal links, no referrer and no cache."""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# The door page decodes QR codes with WebAssembly (zxing-cpp): it may compile it, still no eval.
WASM_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
)
EVERY_ANSWER = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
# The token in the URL is the person's credential: never leak it, never cache the page.
TOKEN_PAGES = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}


def _add_headers(response: Response) -> Response:
    for name, value in EVERY_ANSWER.items():
        response.headers.setdefault(name, value)
    if request.path.startswith(("/r/", "/u/")):
        response.headers.update(TOKEN_PAGES)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every answer, also those given before routing (a 405, a 404)."""
    app.after_request(_add_headers)
