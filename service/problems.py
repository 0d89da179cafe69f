"""Problem responses (RFC 9457, application/problem+json) for every error the API gives.

``ApiProblem`` is raised anywhere in a request; the app's error handlers turn it (and
Flask's own HTTP errors, and anything unexpected) into a problem response. Nothing here
ever puts a stack trace, a path or an exception's text into a response.
"""
from __future__ import annotations

import json

from jobs.problems import PROBLEM_MIME, problem_dict


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
