"""Marshmallow schemas for every request and response body (openapi.yaml is the source;
these follow it). Unknown fields in a request are refused so that a misspelt option is
never silently ignored.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

ARTICLE_FIELDS = ("text", "html", "title", "url", "source", "published_at", "metadata", "steps")


def _clean_string(value: str) -> None:
    """No NUL and no unpaired surrogate (JSON can carry "\\ud800"; UTF-8 cannot)."""
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("must not contain unpaired surrogates") from None


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be empty or only whitespace")


# The form openapi.yaml gives published_at (its `pattern`); the calendar is checked apart.
ISO8601 = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]"
                     r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?")


def _iso8601(value: str) -> None:
    """An ISO 8601 date or date-time of the spec's form, on a real calendar day."""
    _clean_string(value)
    v = value
    if not ISO8601.fullmatch(v):
        raise ValidationError("must be an ISO 8601 date or date-time, e.g. 2024-06-19T10:30:00Z")
    try:
        if len(v) == 10:
            date.fromisoformat(v)
        else:
            datetime.fromisoformat(v)
    except ValueError:
        raise ValidationError("must be an ISO 8601 date or date-time, e.g. 2024-06-19T10:30:00Z") from None


def _unique(values: list) -> None:
    if len(set(map(str, values))) != len(values):
        raise ValidationError("must not repeat a step")


def _json_object(value: dict) -> None:
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except RecursionError:  # the routes refuse deep bodies first; safe here on its own too
        raise ValidationError("is nested too deeply") from None
    except (ValueError, UnicodeEncodeError):
        raise ValidationError("must be a JSON object without unpaired surrogates") from None


class ArticleSchema(Schema):
    class Meta:
        unknown = RAISE

    text = fields.String(validate=[_clean_string, _not_blank])
    html = fields.String(validate=[_clean_string, _not_blank])
    title = fields.String(validate=[validate.Length(1, 1000), _clean_string])
    url = fields.URL(schemes={"http", "https"}, require_tld=False,
                     validate=[validate.Length(max=2048), _clean_string])
    source = fields.String(validate=[validate.Length(1, 200), _clean_string])
    published_at = fields.String(validate=[validate.Length(max=64), _iso8601])
    metadata = fields.Dict(keys=fields.String(), validate=_json_object)
    steps = fields.List(fields.String(validate=validate.Length(1, 64)),
                        validate=[validate.Length(min=1), _unique])

    @validates_schema
    def _exactly_one_body(self, data, **kwargs):
        if ("text" in data) == ("html" in data):
            raise ValidationError("give exactly one of 'text' or 'html'", field_name="_body")


class BatchSchema(Schema):
    class Meta:
        unknown = RAISE

    articles = fields.List(fields.Nested(ArticleSchema), required=True,
                           validate=validate.Length(min=1))


# -- responses ------------------------------------------------------------------------

class LinksSchema(Schema):
    self = fields.String(required=True)
    result = fields.String(required=True)


class JobSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    steps = fields.List(fields.String(), required=True)
    steps_done = fields.List(fields.String(), required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    started_at = fields.String()
    finished_at = fields.String()
    metadata = fields.Dict()
    result = fields.Raw()    # the pipeline's result document, passed through as produced
    error = fields.Raw()     # a problem document
    links = fields.Nested(LinksSchema, required=True)


class BatchResponseSchema(Schema):
    jobs = fields.List(fields.Nested(JobSchema), required=True)


class StepsSchema(Schema):
    steps = fields.List(fields.String(), required=True)
    available = fields.List(fields.String(), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String())


job_schema = JobSchema()
batch_response_schema = BatchResponseSchema()
steps_schema = StepsSchema()
health_schema = HealthSchema()
article_schema = ArticleSchema()
batch_schema = BatchSchema()
