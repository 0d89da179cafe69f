"""Problem documents (RFC 9457, application/problem+json) for every error the API gives.

``ApiProblem`` is raised anywhere in a request; the app's error handlers turn it (and
Flask's own HTTP errors, and anything unexpected) into a problem response. Nothing here
ever puts a stack trace, a path or an exception's text into a response.
"""
from __future__ import annotations

import json

PROBLEM_MIME = "application/problem+json"

# slug -> title. A problem's type is "/problems/<slug>"; docs/service.md lists them.
TITLES = {
    "bad-request": "Bad request",
    "body-required": "Request body required",
    "malformed-json": "Malformed JSON",
    "invalid-utf8": "Body is not valid UTF-8",
    "invalid-parameter": "Invalid parameter",
    "invalid-idempotency-key": "Invalid Idempotency-Key header",
    "unsupported-media-type": "Unsupported media type",
    "validation-error": "Invalid request",
    "unknown-step": "Unknown step",
    "step-unavailable": "Step not available",
    "too-large": "Content too large",
    "idempotency-key-reused": "Idempotency-Key reused with another request",
    "idempotency-key-in-progress": "Request with this Idempotency-Key still in progress",
    "unauthorized": "API key missing or not valid",
    "rate-limited": "Too many requests",
    "not-found": "Not found",
    "job-not-finished": "Job has not finished",
    "job-failed": "Job failed",
    "method-not-allowed": "Method not allowed",
    "service-unavailable": "Service unavailable",
    "not-ready": "Not ready",
    "internal-error": "Internal error",
    # Job errors (in a failed job's ``error``):
    "invalid-input": "The pipeline cannot work on this input",
    "step-timeout": "Step over its time limit",
    "step-failed": "Step failed",
}


class ApiProblem(Exception):
    """Raise to answer with a problem document."""

    def __init__(self, status: int, slug: str, detail: str | None = None, *,
                 headers: dict | None = None, **extensions):
        super().__init__(detail or slug)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    def to_dict(self) -> dict:
        return problem_dict(self.status, self.slug, self.detail, **self.extensions)


def problem_dict(status: int, slug: str, detail: str | None = None, **extensions) -> dict:
    doc = {"type": f"/problems/{slug}", "title": TITLES.get(slug, slug.replace("-", " ").capitalize()),
           "status": status}
    if detail:
        doc["detail"] = detail
    doc.update({k: v for k, v in extensions.items() if v is not None})
    return doc


def problem_response(status: int, slug: str, detail: str | None = None, *,
                     headers: dict | None = None, **extensions):
    from flask import Response

    # ASCII escapes: a detail may quote a client's field name, which can hold a lone
    # surrogate that no UTF-8 encoder accepts.
    body = json.dumps(problem_dict(status, slug, detail, **extensions), ensure_ascii=True)
    resp = Response(body, status=status, mimetype=PROBLEM_MIME)
    for name, value in (headers or {}).items():
        resp.headers[name] = str(value)
    return resp


def field_errors(messages, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested error messages to [{"field": "a.0.b", "message": ...}]."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(field_errors(value, name))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                out.extend(field_errors(item, prefix))
            else:
                out.append({"field": prefix or "_body", "message": str(item)})
    else:
        out.append({"field": prefix or "_body", "message": str(messages)})
    return out
