"""A small client for the Arabic news enrichment service (standard library only).

    from enrichment_client import EnrichmentClient
    client = EnrichmentClient("http://127.0.0.1:8000")
    result = client.enrich(text="أكد الزعيم الكوري الشمالي ...")      # submit, wait, fetch
    job = client.submit(text=..., steps=["boilerplate"], metadata={"feed": "world"})
    job = client.wait(job["id"], timeout=60)                           # backs off, honours Retry-After

Every submit carries an Idempotency-Key (made up unless given), so the client can safely
retry a submit that met 503 or 429 or a dropped connection: the service returns the same job.
"""
from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

__all__ = ["EnrichmentClient", "ApiError", "JobFailed"]

_PENDING = ("queued", "running")
_RETRYABLE = (429, 502, 503, 504)


class ApiError(Exception):
    """The service answered with an error; ``problem`` is its problem document."""

    def __init__(self, status: int, problem: dict | None, message: str | None = None):
        self.status = status
        self.problem = problem or {}
        detail = self.problem.get("detail") or self.problem.get("title") or message or "error"
        super().__init__(f"{status}: {detail}")


class JobFailed(ApiError):
    """The job ended in ``failed``; ``problem`` is the job's error."""

    def __init__(self, job: dict):
        self.job = job
        error = job.get("error") or {}
        super().__init__(int(error.get("status", 500)), error, "job failed")


class EnrichmentClient:
    def __init__(self, base_url: str = "http://127.0.0.1:8000", *, api_key: str | None = None,
                 timeout: float = 30.0, retries: int = 3):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries

    # -- requests ---------------------------------------------------------------------
    def _request(self, method: str, path: str, body: dict | None = None,
                 headers: dict | None = None, retry: bool = False) -> tuple[int, dict, dict | None]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        hdrs = {"Accept": "application/json, application/problem+json", **(headers or {})}
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if self.api_key:
            hdrs["Authorization"] = f"Bearer {self.api_key}"
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                         headers=hdrs)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    raw = resp.read()
                    return resp.status, dict(resp.headers), json.loads(raw) if raw else None
            except urllib.error.HTTPError as err:
                raw = err.read()
                try:
                    doc = json.loads(raw) if raw else None
                except ValueError:
                    doc = None
                if _retryable(err.code, doc) and attempt + 1 < attempts:
                    time.sleep(_delay(err.headers.get("Retry-After"), attempt))
                    continue
                raise ApiError(err.code, doc if isinstance(doc, dict) else None,
                               err.reason) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if attempt + 1 < attempts:
                    time.sleep(_delay(None, attempt))
                    continue
                raise
        raise AssertionError("unreachable")

    # -- operations --------------------------------------------------------------------
    def submit(self, text: str | None = None, *, html: str | None = None,
               steps: list[str] | None = None, title: str | None = None, url: str | None = None,
               source: str | None = None, published_at: str | None = None,
               metadata: dict | None = None, idempotency_key: str | None = None) -> dict:
        """Submit one article; returns the job (status ``queued`` or later)."""
        body = {k: v for k, v in dict(text=text, html=html, steps=steps, title=title, url=url,
                                       source=source, published_at=published_at,
                                       metadata=metadata).items() if v is not None}
        key = idempotency_key or uuid.uuid4().hex
        _, _, job = self._request("POST", "/v1/jobs", body, {"Idempotency-Key": key}, retry=True)
        return job

    def submit_batch(self, articles: list[dict], *, idempotency_key: str | None = None) -> dict:
        """Submit many articles at once (all or none); returns ``{"jobs": [...]}``."""
        key = idempotency_key or uuid.uuid4().hex
        _, _, batch = self._request("POST", "/v1/batches", {"articles": articles},
                                    {"Idempotency-Key": key}, retry=True)
        return batch

    def get(self, job_id: str) -> dict:
        _, _, job = self._request("GET", f"/v1/jobs/{urllib.parse.quote(job_id)}", retry=True)
        return job

    def delete(self, job_id: str) -> None:
        self._request("DELETE", f"/v1/jobs/{urllib.parse.quote(job_id)}", retry=True)

    def result(self, job_id: str) -> dict:
        _, _, doc = self._request("GET", f"/v1/jobs/{urllib.parse.quote(job_id)}/result",
                                  retry=True)
        return doc

    def wait(self, job: str | dict, *, timeout: float = 120.0, initial_delay: float = 0.1,
             max_delay: float = 5.0) -> dict:
        """Poll until the job has finished; returns it, or raises JobFailed / TimeoutError.

        Backs off exponentially (with jitter) from ``initial_delay`` to ``max_delay``, and
        never polls sooner than the service's ``Retry-After`` hint, within the time left.
        """
        job_id = job["id"] if isinstance(job, dict) else job
        deadline = time.monotonic() + timeout
        delay = initial_delay
        while True:
            _, headers, current = self._request(
                "GET", f"/v1/jobs/{urllib.parse.quote(job_id)}", retry=True)
            if current["status"] == "succeeded":
                return current
            if current["status"] == "failed":
                raise JobFailed(current)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"job {job_id} still {current['status']} after {timeout}s")
            hint = _seconds(headers.get("Retry-After")) or 0.0
            time.sleep(min(max(delay * random.uniform(0.8, 1.0), hint), left))
            delay = min(delay * 2, max_delay)

    def enrich(self, text: str | None = None, *, timeout: float = 120.0, **fields) -> dict:
        """Submit, wait, and return the result document."""
        job = self.wait(self.submit(text, **fields), timeout=timeout)
        return job.get("result") or self.result(job["id"])


def _retryable(status: int, problem) -> bool:
    # 409 idempotency-key-in-progress: the first request with this key is still being
    # accepted; the service asks for a retry.
    return status in _RETRYABLE or (
        status == 409 and isinstance(problem, dict)
        and str(problem.get("type", "")).endswith("/idempotency-key-in-progress"))


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _delay(retry_after: str | None, attempt: int) -> float:
    hinted = _seconds(retry_after)
    return min(hinted if hinted is not None else 0.2 * 2 ** attempt, 10.0)
