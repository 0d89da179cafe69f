"""The API's gunicorn worker: gevent, and gunicorn's own error answers as problem documents.

gevent, not threads: a connection costs a greenlet, not one of a few threads, so clients
that send a body one byte a second, or hold ``?wait=30`` long-polls, cannot take every
request slot (``WORKER_CONNECTIONS`` per process). Headers must arrive within gunicorn's
``keepalive`` seconds, bodies within ``REQUEST_BODY_TIMEOUT`` (service/body.py).

gunicorn answers some requests before the app sees them (request line or headers too
large: 414/431, a malformed request: 400, a transfer coding it does not know: 501) with an
HTML page; here they are problem documents with the API's security headers, and their
detail never quotes the request.
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker

from jobs.problems import PROBLEM_MIME, problem_dict

_SLUGS = {400: "bad-request", 403: "bad-request", 414: "header-too-large",
          417: "bad-request", 431: "header-too-large", 501: "bad-request"}
_DETAILS = {400: "the request is not valid HTTP",
            403: "the request was refused",
            414: "the request line is over the size limit",
            417: "the Expect header is not supported",
            431: "a request header, or the headers together, are over the size limit",
            500: "an unexpected error occurred",
            501: "the request uses a transfer coding this server does not support"}
# Those of service/headers.py that apply to an error document.
_HEADERS = ("X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"
            "X-Frame-Options: DENY\r\nCross-Origin-Resource-Policy: same-origin\r\n"
            "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'\r\nCache-Control: no-store\r\n")


def problem_http(status: int, reason: str) -> bytes:
    slug = _SLUGS.get(status, "internal-error" if status >= 500 else "bad-request")
    body = json.dumps(problem_dict(status, slug, _DETAILS.get(status, reason))).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_MIME}\r\nContent-Length: {len(body)}\r\n{_HEADERS}\r\n")
    return head.encode("latin-1") + body


def write_problem(sock, status_int, reason, _mesg):
    util.write_nonblock(sock, problem_http(int(status_int), reason))


# gunicorn's workers call util.write_error for these answers; the worker module is
# imported by every process that runs this worker class.
util.write_error = write_problem


class ApiWorker(GeventWorker):
    """gunicorn's gevent worker, with the error answers above."""
