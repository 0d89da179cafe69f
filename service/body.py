"""Reading a request body within bounds of bytes and time (WSGI middleware).

Every body, with a Content-Length or chunked, is counted the same way: past
``MAX_BODY_BYTES`` the request is answered 413 (a chunked body is never silently cut),
and a body not fully received ``REQUEST_BODY_TIMEOUT`` seconds after the request reached
the app is answered 408. The time bound holds under the gevent worker the gunicorn config
file uses (a ``gevent.Timeout`` interrupts a read that waits on a client dripping bytes);
other servers (Flask's test client) get the byte bound only. Nothing is read before a
route asks for the body, so a request refused on its key costs no body read.
"""
from __future__ import annotations

import io
import time
from contextlib import nullcontext

from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge, RequestTimeout


def _deadline_context(seconds: float):
    try:
        from gevent import Timeout
        from gevent.monkey import is_module_patched
    except ImportError:  # gevent is a dependency; without it, the byte bound still holds
        return nullcontext()
    if not is_module_patched("socket"):
        return nullcontext()
    return Timeout(max(seconds, 0.001), RequestTimeout)


class GuardedInput(io.RawIOBase):
    """``wsgi.input`` counted and timed. Reads up to one byte past the limit, so a body
    longer than the limit is told from one exactly at it."""

    def __init__(self, stream, max_bytes: int, deadline: float):
        self._stream = stream
        self._max = max_bytes
        self._deadline = deadline
        self._count = 0

    def readable(self) -> bool:
        return True

    def _read(self, size: int) -> bytes:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeout("the request body was not received in time")
        try:
            with _deadline_context(remaining):
                return self._stream.read(size)
        except (OSError, HTTPException):
            raise  # a disconnect (werkzeug answers it), or 408 above
        except Exception:
            # The server's parser refused the body's framing (a bad chunk size, ...).
            raise BadRequest("the request body is not valid HTTP framing") from None

    def readinto(self, b) -> int:
        room = self._max - self._count
        data = self._read(min(len(b), room)) if room > 0 else b""
        self._count += len(data)
        if self._count >= self._max and (room <= 0 or data):
            # At the limit: anything more is a body over it.
            if self._read(1):
                raise RequestEntityTooLarge()
        b[:len(data)] = data
        return len(data)


class BodyGuard:
    def __init__(self, app, max_bytes: int, timeout: float):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    def __call__(self, environ, start_response):
        stream = environ.get("wsgi.input")
        if stream is not None:
            environ["wsgi.input"] = GuardedInput(stream, self.max_bytes,
                                                 time.monotonic() + self.timeout)
        return self.app(environ, start_response)
