"""Problem documents (RFC 9457): the catalogue of problem types and their shape.

Shared by the API (error responses) and the workers (a failed job's ``error``). Nothing
here ever puts a stack trace, a path or an exception's text into a problem.
"""
from __future__ import annotations

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
    "request-timeout": "Request body not received in time",
    "header-too-large": "Request line or headers too large",
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


def problem_dict(status: int, slug: str, detail: str | None = None, **extensions) -> dict:
    doc = {"type": f"/problems/{slug}", "title": TITLES.get(slug, slug.replace("-", " ").capitalize()),
           "status": status}
    if detail:
        doc["detail"] = detail
    doc.update({k: v for k, v in extensions.items() if v is not None})
    return doc
