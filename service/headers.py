"""Security headers on every response.

- ``X-Content-Type-Options: nosniff``: a JSON body is never sniffed into HTML/script.
- ``Referrer-Policy: no-referrer``; ``X-Frame-Options: DENY`` and CSP ``frame-ancestors
  'none'``: no page of the service can be framed (clickjacking).
- ``Content-Security-Policy``: API answers allow nothing at all (``default-src 'none'``);
  the ``/docs`` page allows scripts and styles from the service itself only (Swagger UI is
  served from here and started from ``/docs/init.js``, no inline script), inline *styles*
  (Swagger UI sets them) and ``data:`` images (its icons). The ``/demo`` page is stricter
  still: its own script and stylesheet, and calls to this service (``connect-src 'self'``).
- ``Cache-Control: no-store`` on every /v1 answer (jobs carry clients' articles; no shared
  cache may keep them) and on anything that did not set its own caching (the docs assets do).

Not here: ``Strict-Transport-Security`` belongs to the TLS-terminating proxy in front
(the service itself speaks plain HTTP); gunicorn's ``Server: gunicorn`` carries no version.
"""
from __future__ import annotations

from flask import request

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'")
DEMO_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def _csp(path: str) -> str:
    if path == "/docs" or path.startswith("/docs/"):
        return DOCS_CSP
    if path == "/demo" or path.startswith("/demo/"):
        return DEMO_CSP
    return API_CSP


def install(app) -> None:
    @app.after_request
    def _security_headers(resp):
        h = resp.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        h["Content-Security-Policy"] = _csp(request.path)
        if request.path.startswith("/v1/"):
            h["Cache-Control"] = "no-store"
        elif "Cache-Control" not in h:
            h["Cache-Control"] = "no-store"
        return resp
