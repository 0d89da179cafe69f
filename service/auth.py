"""API keys: who is calling, checked before a /v1 request does anything else.

A key is ``<key_id>.<secret>``: the id names the key (it is recorded on every job the key
creates, in logs and in rate-limit counters), the secret is 256 random bits. The service
never stores a key, only ``<key_id>:<sha256 hex of the whole key>`` lines (``API_KEYS``,
or one per line in ``API_KEYS_FILE``); ``python -m service.keys new`` prints a fresh key
and its line. SHA-256 rather than a slow password hash because the secret is random and
long (nothing to brute-force), and a slow hash would cost every request.

The presented key's digest is compared with ``hmac.compare_digest`` (constant time), and a
key id that does not exist is still compared against a dummy digest, so timing tells
neither whether an id exists nor how much of a digest matched.

Keys are on when any are configured. ``AUTH_REQUIRED=true`` (the compose file) makes an
API with no keys refuse to start instead of running open. Flask-free at module level:
``service.keys`` (the command) imports it.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

KEY_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DUMMY_DIGEST = hashlib.sha256(b"no such key").hexdigest()
REALM = "enrichment"


class KeyConfigError(ValueError):
    """A malformed API_KEYS / API_KEYS_FILE entry (the API refuses to start)."""


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key(key_id: str | None = None) -> tuple[str, str]:
    """A fresh key and the line to store for it: ``(key, "key_id:sha256")``."""
    key_id = key_id or secrets.token_hex(4)
    if not KEY_ID_RE.match(key_id):
        raise KeyConfigError("a key id is 1-32 characters: lowercase letters, digits, '_' or '-'")
    key = f"{key_id}.{secrets.token_urlsafe(32)}"
    return key, f"{key_id}:{digest(key)}"


def parse_entries(text: str, origin: str = "API_KEYS") -> dict[str, str]:
    """``key_id:sha256hex`` entries separated by commas, whitespace or lines; ``#`` starts a
    comment. Returns {key_id: digest}."""
    entries: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        for item in re.split(r"[\s,]+", line.strip()):
            if not item:
                continue
            key_id, sep, hexdigest = item.partition(":")
            hexdigest = hexdigest.lower()
            if not sep or not KEY_ID_RE.match(key_id) or not _HEX64.match(hexdigest):
                # Never echo the entry: it could be a key pasted in by mistake.
                raise KeyConfigError(f"{origin}: an entry is not '<key_id>:<64 hex digits>' "
                                     "(make one with: python -m service.keys new)")
            if key_id in entries:
                raise KeyConfigError(f"{origin}: key id {key_id!r} appears twice")
            entries[key_id] = hexdigest
    return entries


@dataclass(frozen=True)
class KeyRing:
    digests: dict[str, str]

    @classmethod
    def from_settings(cls, settings) -> "KeyRing":
        digests = parse_entries(settings.api_keys or "", "API_KEYS")
        if settings.api_keys_file:
            path = Path(settings.api_keys_file)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise KeyConfigError(f"API_KEYS_FILE cannot be read ({exc.strerror})") from None
            for key_id, hexdigest in parse_entries(text, "API_KEYS_FILE").items():
                if key_id in digests:
                    raise KeyConfigError(f"key id {key_id!r} is in both API_KEYS and API_KEYS_FILE")
                digests[key_id] = hexdigest
        if settings.auth_required and not digests:
            raise KeyConfigError("AUTH_REQUIRED is on but no API keys are configured: set API_KEYS "
                                 "or API_KEYS_FILE (python -m service.keys new prints a key and its line)")
        return cls(digests)

    @property
    def enabled(self) -> bool:
        return bool(self.digests)

    def identify(self, key: str) -> str | None:
        """The key id of a valid key, else None."""
        key_id, dot, secret = key.partition(".")
        expected = self.digests.get(key_id) if dot and secret else None
        ok = hmac.compare_digest(digest(key), expected or _DUMMY_DIGEST)
        return key_id if ok and expected is not None else None


def presented_key(headers) -> str | None:
    """The key sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; "" when a
    header is there but malformed (that is a 401 too, never an anonymous request)."""
    auth = headers.get("Authorization")
    if auth is not None:
        scheme, _, value = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return ""
        return value.strip()
    value = headers.get("X-API-Key")
    if value is not None:
        return value.strip()
    return None


def install(app, settings) -> KeyRing:
    """Check the key of every request to the jobs blueprint (``/v1/...``); operations
    endpoints (health, readiness, metrics, spec, docs) stay open. Registered before the
    rate limiter so that limits count per key."""
    from flask import g, request

    from service.problems import ApiProblem

    ring = KeyRing.from_settings(settings)
    app.extensions["api_keys"] = ring

    def protected() -> bool:
        if request.blueprint == "jobs":
            return True
        return settings.metrics_require_key and request.endpoint == "ops.metrics"

    @app.before_request
    def _authenticate():
        if not ring.enabled or not protected():
            return None
        key = presented_key(request.headers)
        if key is None:
            raise ApiProblem(401, "unauthorized",
                             "an API key is required: send 'Authorization: Bearer <key>'",
                             headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'})
        key_id = ring.identify(key)
        if key_id is None:
            raise ApiProblem(401, "unauthorized", "the API key is not valid",
                             headers={"WWW-Authenticate":
                                      f'Bearer realm="{REALM}", error="invalid_token"'})
        g.api_key_owner = f"key:{key_id}"
        g.api_key_id = key_id
        return None

    return ring
