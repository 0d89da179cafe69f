"""Structured logs, one JSON object per line, for the API and the workers alike.

Every line has ``ts``, ``level``, ``logger``, ``msg``; a line about a job has ``job_id``
(or ``job_ids`` for a batch). Inside a Celery task the job id is taken from the task's
arguments and put on every line the task logs, Celery's own included (``job_context``);
the worker's "received" line gets it from the message's ``argsrepr``, which the publisher
sets to name the job only (workers/celery_app.py).

Never article text, by construction rather than by care:
- only whitelisted extra fields are written (Celery puts the task's arguments, i.e. the
  article, into its records' ``args``/``data``; those are never output);
- Celery's "succeeded" line has its return value (the result document) withheld;
- an exception is logged as its type and stack frames, without its message (a message can
  quote the input); set ``LOG_EXCEPTION_MESSAGES=true`` to see messages while debugging.

Flask-free: the workers import it.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from contextlib import contextmanager
from datetime import datetime, timezone

_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)

# Extra fields a log call may attach (``log.info("...", extra={...})``); nothing else is output.
EXTRA_FIELDS = ("job_id", "job_ids", "step", "problem", "status", "owner", "task_id", "task",
                "duration_ms", "method", "path", "client", "retry_in", "count")
_JOB_IN_ARGSREPR = re.compile(r"job_id=([0-9a-f]{32})")
_JOB_IN_PATH = re.compile(r"^/v1/jobs/([0-9a-f]{32})(?:/|$)")
# gunicorn access-log atoms written as fields (its record also holds every request header,
# Authorization included: only these are output).
_ACCESS_ATOMS = (("method", "m"), ("path", "U"), ("status", "s"), ("duration_ms", "M"), ("client", "h"))
_WITHHELD = "<withheld>"


@contextmanager
def job_context(job_id: str | None):
    token = _job_id.set(job_id)
    try:
        yield
    finally:
        _job_id.reset(token)


def set_job(job_id: str | None):
    """For code that cannot use a ``with`` block (Celery's prerun/postrun signals)."""
    return _job_id.set(job_id)


def reset_job(token) -> None:
    _job_id.reset(token)


def current_job() -> str | None:
    return _job_id.get()


def _exception_messages() -> bool:
    from jobs.settings import Settings
    return Settings.from_env().log_exception_messages


class RedactCelery(logging.Filter):
    """Withholds what Celery's task lines would otherwise print of a job's content."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict):
            if "return_value" in args:           # "Task ... succeeded in 0.1s: {result}"
                args = {**args, "return_value": _WITHHELD}
            if "exc" in args and not _exception_messages() and record.exc_info:
                args = {**args, "exc": record.exc_info[0].__name__}
            if isinstance(args.get("args"), str) and not getattr(record, "job_id", None):
                found = _JOB_IN_ARGSREPR.search(args["args"])
                if found:
                    record.job_id = found.group(1)
            record.args = args
        if hasattr(record, "data"):              # Celery's copy of the same dict
            record.data = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc)
                          .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        job_id = getattr(record, "job_id", None) or _job_id.get()
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            for field, atom in _ACCESS_ATOMS:
                value = dict.get(record.args, atom)
                if value not in (None, "-"):
                    doc[field] = int(value) if field == "status" and str(value).isdigit() else value
            # A job's URL, or for a submit the Location it answered with.
            found = (_JOB_IN_PATH.match(dict.get(record.args, "U") or "")
                     or _JOB_IN_PATH.match(dict.get(record.args, "{location}o") or ""))
            job_id = job_id or (found.group(1) if found else None)
        if job_id:
            doc["job_id"] = job_id
        for name in EXTRA_FIELDS:
            if name == "job_id":
                continue
            value = getattr(record, name, None)
            if value is not None:
                doc[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            etype, exc, tb = record.exc_info
            doc["exc_type"] = etype.__name__
            if _exception_messages():
                doc["exc_message"] = str(exc)
            doc["stack"] = "".join(traceback.format_tb(tb))[-8000:]
        return json.dumps(doc, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``LOG_FORMAT=text``: the same content on one readable line (no exception messages)."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        exc_info, record.exc_info = record.exc_info, None
        exc_text, record.exc_text = record.exc_text, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = exc_info, exc_text
        job_id = getattr(record, "job_id", None) or _job_id.get()
        if job_id:
            line += f" job_id={job_id}"
        if exc_info and exc_info[0] is not None:
            line += f" exc_type={exc_info[0].__name__}"
            if _exception_messages():
                line += f" exc_message={exc_info[1]}"
            line += "\n" + "".join(traceback.format_tb(exc_info[2]))
        return line


def configure(fmt: str = "json", level: str = "INFO", stream=None) -> logging.Handler:
    """Send every logger's records to one handler on stderr with the chosen formatter.

    Installed on the root logger (idempotent). gunicorn's own loggers: see
    ``use_json_for_gunicorn``.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    handler.addFilter(RedactCelery())
    handler.set_name("enrich")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "enrich":
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    return handler


_QUERY_STRING = re.compile(r"\?[^\s'\"]*")


class WithholdQueryStrings(logging.Filter):
    """gunicorn's error lines quote a refused request line; its query string (where a
    client may have put a key) is withheld."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = _QUERY_STRING.sub("?" + _WITHHELD, message), ()
        return True


def withhold_query_strings() -> None:
    logger = logging.getLogger("gunicorn.error")
    if not any(isinstance(f, WithholdQueryStrings) for f in logger.filters):
        logger.addFilter(WithholdQueryStrings())


def use_json_for_gunicorn() -> None:
    """gunicorn's own loggers keep their handlers (stream or file) but write JSON lines;
    an access line gets method, path, status, duration_ms, client and the job id of a
    /v1/jobs/<id> path. Called by the app (service/wsgi.py) and, for the master's lines,
    by gunicorn's config file."""
    for name in ("gunicorn.error", "gunicorn.access"):
        for h in logging.getLogger(name).handlers:
            h.setFormatter(JsonFormatter())
