"""The jobs API: submit (one or a batch), read, wait, read the result, delete.

The request path, in order: body read within its time and size (408/413,
service/body.py), decoded (400/413/415; too many members: 413 unparsed), nesting depth
(422), size limits (413), unknown fields (422, at most 20 listed), marshmallow validation
(422), words per article (413), steps resolved by the pipeline (422 naming an unknown or
unavailable step), Idempotency-Key (replay / 422 / 409), job records created, chains
published; if the publish fails, the records are removed again and the client gets 503
with nothing accepted.
"""
from __future__ import annotations

import hashlib
import json
import re

from flask import Blueprint, Response, current_app, g, request
from marshmallow import ValidationError

from service.problems import ApiProblem, field_errors
from service.ratelimit import charge_articles
from service.schemas import ARTICLE_FIELDS, article_schema, batch_response_schema, batch_schema, job_schema, steps_schema
from jobs.lifecycle import PENDING
from jobs.store import JobStore, new_job_id
from nlp import STEPS, PipelineError, StepUnavailable, UnknownStep, available_steps, \
    new_document, resolve_steps

bp = Blueprint("jobs", __name__)

JOB_ID_RE = re.compile(r"^[0-9a-f]{32}$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
JSON_TYPES = ("application/json",)
# Members (key: value pairs) in a request body, per article a batch may hold: an article
# with 4 kB of metadata has at most ~700.
MEMBERS_PER_ARTICLE = 1000


def _settings():
    return current_app.extensions["settings"]


def _store() -> JobStore:
    return current_app.extensions["job_store"]


def _owner() -> str:
    # Set by an authentication layer when API keys are on; one namespace otherwise.
    return g.get("api_key_owner") or "anonymous"


# -- reading a request --------------------------------------------------------------------

class _NotStrictJson(ValueError):
    """JSON that Python's parser takes but RFC 8259 does not (said to the client)."""


def _reject_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _NotStrictJson(f"duplicate key {key!r} in a JSON object")
        seen[key] = value
    return seen


def _reject_constant(name):
    raise _NotStrictJson(f"{name} is not valid JSON")


def read_json_body():
    """The request body as parsed JSON, or a 400/413/415 problem."""
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: werkzeug raises 413
    if not raw:
        raise ApiProblem(400, "body-required", "a JSON request body is required")
    mimetype = request.mimetype or ""
    if mimetype not in JSON_TYPES and not (mimetype.startswith("application/") and mimetype.endswith("+json")):
        raise ApiProblem(415, "unsupported-media-type",
                         f"send the body as application/json (got {mimetype or 'no Content-Type'})"[:200])
    charset = (request.mimetype_params.get("charset") or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiProblem(415, "unsupported-media-type", "the body must be UTF-8 (charset=utf-8)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiProblem(400, "invalid-utf8", f"the body is not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    # Parsing costs per member, not per byte: a body of a million tiny members is refused
    # unparsed. '":' ends every object key; counted in strings too, it can only overcount.
    members = MEMBERS_PER_ARTICLE * max(_settings().max_batch, 1)
    if text.count('":') > members:
        raise ApiProblem(413, "too-large", f"the body has more than {members} JSON object members")
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except (json.JSONDecodeError, _NotStrictJson) as exc:
        raise ApiProblem(400, "malformed-json", f"the body is not valid JSON: {str(exc)[:200]}") from None
    except (ValueError, RecursionError):
        # Other parser limits (nesting depth, huge integers) name Python internals: not said.
        raise ApiProblem(400, "malformed-json",
                         "the body is not acceptable JSON (nested too deeply, or a number too long)") from None


# JSON nested deeper than this is refused after parsing: every later step (validators,
# size checks, fingerprints, the job record) then works on shallow values.
MAX_JSON_DEPTH = 32


def _deeper_than(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def check_depth(body) -> None:
    if _deeper_than(body, MAX_JSON_DEPTH):
        raise ApiProblem(422, "validation-error", f"the body is nested deeper than {MAX_JSON_DEPTH} levels",
                         errors=[{"field": "_body", "message": f"at most {MAX_JSON_DEPTH} levels of nesting"}])


def wait_param() -> int:
    raw = request.args.get("wait")
    if raw is None or raw == "":
        return 0
    limit = _settings().max_wait_seconds
    if not (raw.isascii() and raw.isdigit()) or int(raw) > limit:
        raise ApiProblem(400, "invalid-parameter",
                         f"wait must be a whole number of seconds from 0 to {limit}",
                         errors=[{"field": "wait", "message": f"must be an integer from 0 to {limit}"}])
    return int(raw)


def idempotency_key() -> str | None:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    if len(value) > 255 or not IDEMPOTENCY_KEY_RE.match(value):
        raise ApiProblem(400, "invalid-idempotency-key",
                         "Idempotency-Key must be 1 to 255 printable ASCII characters")
    return value


def _json_size(value) -> int:
    try:
        return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    except RecursionError:  # check_depth refuses such bodies first
        return 1 << 62


def check_sizes(article, prefix: str = "") -> None:
    """Size limits answer 413 before any other validation."""
    if not isinstance(article, dict):
        return
    s = _settings()
    for field, limit in (("text", s.max_text_chars), ("html", s.max_html_chars)):
        value = article.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise ApiProblem(413, "too-large", f"{prefix}{field} is over the limit of {limit} characters",
                             errors=[{"field": prefix + field, "message": f"at most {limit} characters"}])
    metadata = article.get("metadata")
    if isinstance(metadata, (dict, list)) and _json_size(metadata) > s.max_metadata_bytes:
        raise ApiProblem(413, "too-large",
                         f"{prefix}metadata is over the limit of {s.max_metadata_bytes} bytes as JSON",
                         errors=[{"field": prefix + "metadata",
                                  "message": f"at most {s.max_metadata_bytes} bytes as JSON"}])


# Words of an article: runs of letters or digits, in HTML outside its tags. What a job
# costs the worker (and the size of its result) grows with them, not with bytes.
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")


def _words_over(text: str, limit: int) -> bool:
    for n, _ in enumerate(_WORD.finditer(text), 1):
        if n > limit:
            return True
    return False


def check_work(article: dict, prefix: str = "") -> None:
    """Words per article (413 over MAX_ARTICLE_WORDS); HTML with no text at all (422)."""
    limit = _settings().max_article_words
    for field in ("text", "html"):
        value = article.get(field)
        if not isinstance(value, str):
            continue
        visible = _TAG.sub(" ", value) if field == "html" else value
        if _words_over(visible, limit):
            raise ApiProblem(413, "too-large", f"{prefix}{field} is over the limit of {limit} words",
                             errors=[{"field": prefix + field, "message": f"at most {limit} words"}])
        if field == "html" and not _WORD.search(visible):
            raise ApiProblem(422, "validation-error", f"{prefix}html has no text outside its markup",
                             errors=[{"field": prefix + field, "message": "has no text outside its markup"}])


# A refused body lists at most this many field errors (and says how many there were).
MAX_FIELD_ERRORS = 20
# A steps list longer than this cannot be valid (a step is named once).
MAX_STEPS_LISTED = 16


def _problem_from_errors(errors: list[dict], total: int | None = None) -> ApiProblem:
    total = len(errors) if total is None else total
    detail = "the request body is not valid: " + "; ".join(
        f"{e['field']}: {e['message']}" for e in errors[:5])[:500]
    if total > MAX_FIELD_ERRORS:
        detail += f" (the first {MAX_FIELD_ERRORS} of {total} errors are listed)"
    return ApiProblem(422, "validation-error", detail, errors=errors[:MAX_FIELD_ERRORS])


def _validation_problem(exc: ValidationError) -> ApiProblem:
    return _problem_from_errors(field_errors(exc.messages))


def check_fields(body, allowed: tuple, prefix: str = "") -> None:
    """Unknown fields, and a steps list longer than any valid one, refused before the
    schema sees them: a body of a million unknown fields costs one pass over its keys and
    an answer naming the first few."""
    if not isinstance(body, dict):
        return
    unknown = [k for k in body if k not in allowed]
    steps = body.get("steps")
    if not unknown and isinstance(steps, list) and len(steps) > MAX_STEPS_LISTED:
        raise ApiProblem(422, "validation-error", f"{prefix}steps names at most {MAX_STEPS_LISTED} steps",
                         errors=[{"field": prefix + "steps", "message": f"at most {MAX_STEPS_LISTED} items"}])
    if unknown:
        raise _problem_from_errors([{"field": prefix + k[:100], "message": "Unknown field."}
                                    for k in unknown[:MAX_FIELD_ERRORS]], len(unknown))


# What the worker needs of a submission (the job record keeps it as the job's input).
INPUT_FIELDS = ("text", "html", "title", "url", "source", "published_at")


def plan_article(article: dict, prefix: str = "") -> tuple[list[str], dict]:
    """Steps to run and the job's input for one validated article (422 if impossible)."""
    asked = article.get("steps")
    try:
        steps = resolve_steps(asked)
    except UnknownStep as exc:
        bad = next((s for s in asked if s not in STEPS), None)
        raise ApiProblem(422, exc.code, str(exc),
                         errors=[{"field": f"{prefix}steps", "message": f"unknown step {bad!r}"}]) from None
    except StepUnavailable as exc:
        have = available_steps()
        missing = next((s for s in STEPS if s not in have and s in (asked or STEPS)), None)
        raise ApiProblem(422, exc.code, str(exc), step=missing,
                         errors=[{"field": f"{prefix}steps", "message": str(exc)}]) from None
    if "html" in article and "boilerplate" not in available_steps():
        # HTML becomes text in the boilerplate layer; without it there is nothing to run.
        raise ApiProblem(422, "step-unavailable",
                         "html input needs the 'boilerplate' step, which is not available in this build",
                         step="boilerplate",
                         errors=[{"field": f"{prefix}html", "message": "needs the boilerplate step"}])
    try:
        new_document(article)  # what the worker will do first: refused now, not later
    except PipelineError as exc:
        raise ApiProblem(422, exc.code, str(exc)) from None
    return steps, {k: article[k] for k in INPUT_FIELDS if k in article}


def _fingerprint(kind: str, body) -> str:
    canonical = json.dumps({"kind": kind, "body": body}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


# -- submitting -----------------------------------------------------------------------------

def submit(kind: str, body, articles: list[dict], plans: list[tuple[list[str], dict]]):
    """Create and enqueue one job per article; returns (jobs, replayed)."""
    store = _store()
    job_ids = [new_job_id() for _ in articles]
    idem = idempotency_key()
    idem_key = None
    if idem is not None:
        idem_key = store.idem_key(_owner(), idem)
        fingerprint = _fingerprint(kind, body)
        claim = store.claim_idempotency(idem_key, fingerprint, job_ids, kind)
        if claim is not None:
            if claim.get("fingerprint") != fingerprint:
                raise ApiProblem(422, "idempotency-key-reused",
                                 "this Idempotency-Key was used with a different request")
            jobs = store.get_many(claim["job_ids"]) if claim.get("state") == "accepted" else None
            if jobs is None or any(j is None for j in jobs):
                # Still being accepted (its jobs may yet be withdrawn if the broker refuses
                # them), or its records are going: never answer 202 from such a claim.
                raise ApiProblem(409, "idempotency-key-in-progress",
                                 "a request with this Idempotency-Key is still being accepted; retry",
                                 headers={"Retry-After": 1})
            return jobs, True
    enqueue = current_app.extensions["enqueue"]
    try:
        jobs = store.create_many([(job_id, steps, article.get("metadata"), job_input)
                                  for job_id, article, (steps, job_input) in zip(job_ids, articles, plans)],
                                 idem_key, _owner())
        for job_id, (steps, _input) in zip(job_ids, plans):
            enqueue(job_id, steps)
    except Exception:
        # Nothing half-accepted: no record, no idempotency claim (best effort if Redis is gone).
        try:
            store.discard(job_ids)
            if idem_key:
                store.release_idempotency(idem_key)
        except Exception:
            current_app.logger.warning("could not clean up after a failed submit")
        raise
    if idem_key:
        try:
            store.accept_idempotency(idem_key, fingerprint, job_ids, kind)
        except Exception:
            # The jobs are published and stay accepted; a replay meets the pending claim
            # (409, retry) until it expires.
            current_app.logger.warning("could not mark an idempotency claim accepted")
    current_app.logger.info("jobs accepted", extra={"job_ids": job_ids})
    return jobs, False


def job_view(job: dict) -> dict:
    view = {k: v for k, v in job.items()
            if k in ("id", "status", "steps", "steps_done", "created_at", "updated_at",
                     "started_at", "finished_at", "metadata")}
    if job["status"] == "failed" and "error" in job:
        view["error"] = job["error"]
    base = f"/v1/jobs/{job['id']}"
    view["links"] = {"self": base, "result": f"{base}/result"}
    return job_schema.dump(view)


def _job_json(job: dict, result: str | None) -> str:
    """The job as JSON, with the stored result spliced in as it is: a finished job's result
    is never decoded and encoded again on its way to the client."""
    body = current_app.json.dumps(job_view(job))
    if job["status"] == "succeeded" and result:
        body = body[:-1] + ', "result": ' + result + "}"
    return body


def _json_response(body: str, status: int, headers: dict | None = None) -> Response:
    return Response(body, status=status, headers=headers, mimetype="application/json")


def wait_for(job_id: str, seconds: int) -> tuple[dict, str | None] | None:
    """The job (and its stored result) once it has finished, or as it is when time is
    up; None if it was deleted meanwhile. Beyond MAX_WAITERS long-polls at once in this
    process, the job is answered as it is now (pending: 202/200 with Retry-After), so
    long-polls never take every connection or Redis socket of the process."""
    waiters = current_app.extensions.get("waiters")
    if waiters is not None and waiters.acquire(blocking=False):
        try:
            _store().wait(job_id, seconds)
        finally:
            waiters.release()
    return _store().view(job_id, _owner())


def _pending_headers(job: dict) -> dict:
    return {"Retry-After": str(_settings().retry_after_seconds)} if job["status"] in PENDING else {}


@bp.post("/v1/jobs", provide_automatic_options=False)
def submit_job():
    idempotency_key()  # a bad header is a 400 before anything else is looked at
    wait = wait_param()
    body = read_json_body()
    check_depth(body)
    check_sizes(body)
    check_fields(body, ARTICLE_FIELDS)
    try:
        article = article_schema.load(body)
    except ValidationError as exc:
        raise _validation_problem(exc) from None
    check_work(article)
    plan = plan_article(article)
    charge_articles(1)
    (job,), replayed = submit("job", body, [article], [plan])
    result = None
    if wait and job["status"] in PENDING:
        job, result = wait_for(job["id"], wait) or (job, None)
    elif job["status"] == "succeeded":  # an Idempotency-Key replay of a finished job
        job, result = _store().view(job["id"], _owner()) or (job, None)
    headers = {"Location": f"/v1/jobs/{job['id']}", **_pending_headers(job)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json_response(_job_json(job, result), 202 if job["status"] in PENDING else 200, headers)


@bp.post("/v1/batches", provide_automatic_options=False)
def submit_batch():
    idempotency_key()
    body = read_json_body()
    check_depth(body)
    s = _settings()
    check_fields(body, ("articles",))
    if isinstance(body, dict) and isinstance(body.get("articles"), list):
        if len(body["articles"]) > s.max_batch:
            raise ApiProblem(413, "too-large", f"at most {s.max_batch} articles per batch",
                             errors=[{"field": "articles", "message": f"at most {s.max_batch} items"}])
        for i, item in enumerate(body["articles"]):
            check_sizes(item, f"articles.{i}.")
        for i, item in enumerate(body["articles"]):
            check_fields(item, ARTICLE_FIELDS, f"articles.{i}.")
    try:
        batch = batch_schema.load(body)
    except ValidationError as exc:
        raise _validation_problem(exc) from None
    for i, item in enumerate(batch["articles"]):
        check_work(item, f"articles.{i}.")
    plans = [plan_article(a, f"articles.{i}.") for i, a in enumerate(batch["articles"])]
    charge_articles(len(plans))
    jobs, replayed = submit("batch", body, batch["articles"], plans)
    headers = {"Retry-After": str(s.retry_after_seconds)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return batch_response_schema.dump({"jobs": [job_view(j) for j in jobs]}), 202, headers


def _load_job(job_id: str, with_result: bool = False) -> tuple[dict, str | None]:
    """The caller's own job (404 for another key's, as for an unknown id) and, when asked,
    its stored result JSON."""
    if not JOB_ID_RE.match(job_id):
        raise ApiProblem(404, "not-found", "not a valid job id")
    found = _store().view(job_id, _owner(), with_result)
    if found is None:
        raise ApiProblem(404, "not-found", "no such job (unknown, expired or deleted)")
    return found


@bp.get("/v1/jobs/<job_id>", provide_automatic_options=False)
def get_job(job_id: str):
    wait = wait_param()
    job, result = _load_job(job_id, with_result=True)
    if wait and job["status"] in PENDING:
        job, result = wait_for(job_id, wait) or (job, result)
    return _json_response(_job_json(job, result), 200, _pending_headers(job))


@bp.get("/v1/jobs/<job_id>/result", provide_automatic_options=False)
def get_job_result(job_id: str):
    job, result = _load_job(job_id, with_result=True)
    if job["status"] == "succeeded":
        return _json_response(result, 200)
    if job["status"] == "failed":
        raise ApiProblem(409, "job-failed", "the job failed; it has no result", job_error=job.get("error"))
    raise ApiProblem(409, "job-not-finished", f"the job is {job['status']}; ask again later",
                     headers=_pending_headers(job))


@bp.delete("/v1/jobs/<job_id>", provide_automatic_options=False)
def delete_job(job_id: str):
    _load_job(job_id)
    _store().delete(job_id)
    current_app.logger.info("job deleted", extra={"job_id": job_id})
    return "", 204


@bp.get("/v1/steps", provide_automatic_options=False)
def list_steps():
    return steps_schema.dump({"steps": list(STEPS), "available": list(available_steps())})
