"""The job record in Redis: the service's own state machine, read by GET /v1/jobs/{id}.

    queued -> running -> succeeded | failed

One Redis hash per job (``<prefix>job:<id>``), refreshed to live ``ttl`` seconds after
its last change. Workers update it with a small Lua script that only writes when the
record still exists (a DELETEd job is not resurrected by a late task) and when the
current status allows the transition (a redelivered task cannot move a finished job).

Also here, because they are written in the same places: the Idempotency-Key records and
the counters and step-duration histograms that /metrics exposes (kept in Redis so that
API and worker processes, on any host, add up to one view).

Flask-free: the Celery workers import this module.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timezone

import redis

STATUSES = ("queued", "running", "succeeded", "failed")
PENDING = ("queued", "running")
# Step-duration histogram buckets (seconds); Prometheus' defaults stretched to a minute.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# KEYS[1] job hash, KEYS[2] stats hash.
# ARGV[1] ttl, ARGV[2] allowed current statuses ("a,b"; "" = any), ARGV[3] stats counter
# to bump ("" = none), then field/value pairs; a field written "?name" is set only if absent.
# Returns 1 written, 0 no such job, -1 transition not allowed.
_UPDATE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] ~= '' then
  local st = redis.call('HGET', KEYS[1], 'status')
  local ok = false
  for s in string.gmatch(ARGV[2], '[^,]+') do
    if s == st then ok = true end
  end
  if not ok then return -1 end
end
for i = 4, #ARGV, 2 do
  local f = ARGV[i]
  if string.sub(f, 1, 1) == '?' then
    redis.call('HSETNX', KEYS[1], string.sub(f, 2), ARGV[i + 1])
  else
    redis.call('HSET', KEYS[1], f, ARGV[i + 1])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[3], 1) end
return 1
"""

# KEYS[1] job hash; ARGV[1] field. Counts one more delivery of a redelivered message;
# 0 when the job is gone (a deleted job is not recreated).
_COUNT_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
"""

# KEYS[1] job hash, KEYS[2] stats hash; ARGV[1] job id. Deletes the job and, when its
# Idempotency-Key claim still names this job, the claim (a key freed and claimed again by
# a later request belongs to that request, not to this job).
_DELETE_LUA = """
local idem = redis.call('HGET', KEYS[1], 'idem')
local removed = redis.call('DEL', KEYS[1])
if removed == 1 then
  redis.call('HINCRBY', KEYS[2], 'deleted', 1)
  if idem then
    local claim = redis.call('GET', idem)
    if claim and string.find(claim, ARGV[1], 1, true) then redis.call('DEL', idem) end
  end
end
return removed
"""

# An Idempotency-Key claim is "pending" until every job of the request is published, and
# lives this long while pending: a request that died half-way frees its key soon, and a
# replay never answers from jobs that may yet be withdrawn.
PENDING_CLAIM_TTL = 30

_JSON_FIELDS = ("steps", "steps_done", "metadata", "result", "error")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    """128 random bits: ids cannot be guessed or enumerated."""
    return secrets.token_hex(16)


def redis_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis outage must become a quick 503, not a hung request.
    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2,
                                socket_timeout=5, health_check_interval=30)


class JobStore:
    def __init__(self, client: redis.Redis, prefix: str = "enrich:", ttl: int = 86400):
        self.r = client
        self.prefix = prefix
        self.ttl = int(ttl)
        self._update = self.r.register_script(_UPDATE_LUA)
        self._count = self.r.register_script(_COUNT_LUA)
        self._delete = self.r.register_script(_DELETE_LUA)

    @classmethod
    def from_settings(cls, settings) -> "JobStore":
        return cls(redis_client(settings.redis_url), settings.key_prefix, settings.job_ttl_seconds)

    # -- keys ---------------------------------------------------------------------------
    def job_key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    @property
    def stats_key(self) -> str:
        return f"{self.prefix}stats"

    def step_hist_key(self, step: str) -> str:
        return f"{self.prefix}stats:step:{step}"

    @property
    def engines_key(self) -> str:
        return f"{self.prefix}stats:engines"

    def idem_key(self, owner: str, key: str) -> str:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return f"{self.prefix}idem:{owner}:{digest}"

    # -- the API side ---------------------------------------------------------------------
    def create(self, job_id: str, steps: list[str], metadata: dict | None = None,
               idem_key: str | None = None, owner: str = "anonymous") -> dict:
        return self.create_many([(job_id, steps, metadata)], idem_key, owner)[0]

    def create_many(self, jobs: list[tuple[str, list[str], dict | None]],
                    idem_key: str | None = None, owner: str = "anonymous") -> list[dict]:
        """Job records for ``(job_id, steps, metadata)`` items, all in one transaction
        (a batch of 50 is one round trip, not 50)."""
        ts = now_iso()
        records = []
        pipe = self.r.pipeline(transaction=True)
        for job_id, steps, metadata in jobs:
            record = {
                "id": job_id, "status": "queued", "owner": owner,
                "steps": json.dumps(steps), "steps_done": "[]",
                "created_at": ts, "updated_at": ts,
            }
            if metadata is not None:
                record["metadata"] = json.dumps(metadata, ensure_ascii=False)
            if idem_key:
                record["idem"] = idem_key
            pipe.hset(self.job_key(job_id), mapping=record)
            pipe.expire(self.job_key(job_id), self.ttl)
            records.append(record)
        pipe.hincrby(self.stats_key, "created", len(records))
        pipe.execute()
        return [self._decode(r) for r in records]

    def discard(self, job_ids: list[str]) -> None:
        """Undo ``create`` for jobs the broker did not take (no trace, no count)."""
        if not job_ids:
            return
        removed = self.r.delete(*[self.job_key(j) for j in job_ids])
        if removed:  # only those create() had written were counted
            self.r.hincrby(self.stats_key, "created", -removed)

    def get(self, job_id: str) -> dict | None:
        raw = self.r.hgetall(self.job_key(job_id))
        return self._decode(raw) if raw else None

    def get_many(self, job_ids: list[str]) -> list[dict | None]:
        pipe = self.r.pipeline(transaction=False)
        for j in job_ids:
            pipe.hgetall(self.job_key(j))
        return [self._decode(raw) if raw else None for raw in pipe.execute()]

    def delete(self, job_id: str) -> bool:
        """Forget a job; its Idempotency-Key is freed too if the claim is still its own."""
        return bool(self._delete(keys=[self.job_key(job_id), self.stats_key], args=[job_id]))

    # Idempotency-Key: the first request claims the key for its job ids ("pending"), and
    # marks the claim "accepted" once every job is published; a replay is answered from an
    # accepted claim only.
    @staticmethod
    def _claim(fingerprint: str, job_ids: list[str], kind: str, state: str) -> str:
        return json.dumps({"fingerprint": fingerprint, "job_ids": job_ids, "kind": kind,
                           "state": state})

    def claim_idempotency(self, idem_key: str, fingerprint: str, job_ids: list[str],
                          kind: str) -> dict | None:
        """Claim ``idem_key`` (pending); returns None when claimed, else the existing claim."""
        claim = self._claim(fingerprint, job_ids, kind, "pending")
        for _ in range(2):  # a claim that expires between SET and GET: try once more
            if self.r.set(idem_key, claim, nx=True, ex=PENDING_CLAIM_TTL):
                return None
            raw = self.r.get(idem_key)
            if raw is not None:
                return json.loads(raw)
        return None if self.r.set(idem_key, claim, nx=True, ex=PENDING_CLAIM_TTL) else \
            json.loads(self.r.get(idem_key) or "null")

    def accept_idempotency(self, idem_key: str, fingerprint: str, job_ids: list[str],
                           kind: str) -> None:
        """Every job of the claim is published: replays may now be answered from it."""
        self.r.set(idem_key, self._claim(fingerprint, job_ids, kind, "accepted"), ex=self.ttl)

    def release_idempotency(self, idem_key: str) -> None:
        self.r.delete(idem_key)

    # -- the worker side ------------------------------------------------------------------
    def _write(self, job_id: str, allowed: tuple[str, ...], counter: str, **fields) -> int:
        args: list = [self.ttl, ",".join(allowed), counter]
        for name, value in fields.items():
            if name.endswith("__ifabsent"):  # written only if the field is not there yet
                name = "?" + name.removesuffix("__ifabsent")
            args += [name, value]
        return int(self._update(keys=[self.job_key(job_id), self.stats_key], args=args))

    def mark_running(self, job_id: str, step: str) -> int:
        ts = now_iso()
        return self._write(job_id, PENDING, "", status="running", current_step=step,
                           updated_at=ts, started_at__ifabsent=ts)

    def step_done(self, job_id: str, steps_done: list[str], step: str | None = None,
                  seconds: float | None = None) -> int:
        """Record the steps done (and the step's duration, in the same round trip)."""
        pipe = self.r.pipeline(transaction=False)
        if step is not None and seconds is not None:
            self._observe(pipe, step, seconds)
        args = [self.ttl, "running", "", "steps_done", json.dumps(steps_done), "updated_at", now_iso()]
        keys = [self.job_key(job_id), self.stats_key]
        # EVALSHA queued by hand: a registered script in a pipeline makes redis-py send
        # SCRIPT EXISTS before every execute, a second round trip per step.
        pipe.evalsha(self._update.sha, len(keys), *keys, *args)
        try:
            return int(pipe.execute()[-1])
        except redis.exceptions.NoScriptError:
            # Redis lost its scripts (restarted): the observations went through, the update
            # did not; the script object loads itself and runs it.
            return int(self._update(keys=keys, args=args))

    def succeed(self, job_id: str, result: dict) -> int:
        ts = now_iso()
        written = self._write(job_id, PENDING, "succeeded", status="succeeded",
                              steps_done=json.dumps(result.get("steps", [])),
                              result=json.dumps(result, ensure_ascii=False),
                              updated_at=ts, finished_at=ts, started_at__ifabsent=ts)
        if written == 1 and result.get("engines"):
            # Which engine serves each layer (a jar present or not) shows in the metrics.
            pipe = self.r.pipeline(transaction=False)
            for layer, info in result["engines"].items():
                pipe.hincrby(self.engines_key,
                             "\t".join((layer, str(info.get("name", "")), str(info.get("version", "")))), 1)
            pipe.execute()
        return written

    def fail(self, job_id: str, problem: dict) -> int:
        ts = now_iso()
        return self._write(job_id, PENDING, "failed", status="failed",
                           error=json.dumps(problem, ensure_ascii=False),
                           updated_at=ts, finished_at=ts, started_at__ifabsent=ts)

    def count_redelivery(self, job_id: str, step: str) -> int:
        """One more redelivery of ``step``'s message (its worker was lost); the new total."""
        return int(self._count(keys=[self.job_key(job_id)], args=[f"redelivered:{step}"]))

    def observe_step(self, step: str, seconds: float) -> None:
        """Add one step duration to its histogram (cumulative buckets, as Prometheus wants)."""
        pipe = self.r.pipeline(transaction=False)
        self._observe(pipe, step, seconds)
        pipe.execute()

    def _observe(self, pipe, step: str, seconds: float) -> None:
        key = self.step_hist_key(step)
        for le in STEP_BUCKETS:
            if seconds <= le:
                pipe.hincrby(key, f"le:{le}", 1)
        pipe.hincrby(key, "le:+Inf", 1)
        pipe.hincrby(key, "count", 1)
        pipe.hincrbyfloat(key, "sum", seconds)

    # -- reading the stats (for /metrics) -------------------------------------------------
    def counters(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.r.hgetall(self.stats_key).items()}

    def engine_counts(self) -> dict[tuple[str, str, str], int]:
        """Succeeded jobs by (layer, engine name, engine version)."""
        return {tuple(k.split("\t", 2)): int(v) for k, v in self.r.hgetall(self.engines_key).items()
                if k.count("\t") == 2}

    def step_histograms(self, steps) -> dict[str, dict[str, float]]:
        pipe = self.r.pipeline(transaction=False)
        for s in steps:
            pipe.hgetall(self.step_hist_key(s))
        return {s: {k: float(v) for k, v in raw.items()}
                for s, raw in zip(steps, pipe.execute()) if raw}

    def ping(self) -> bool:
        return bool(self.r.ping())

    # -- decoding -------------------------------------------------------------------------
    @staticmethod
    def _decode(raw: dict) -> dict:
        job = dict(raw)
        for name in _JSON_FIELDS:
            if name in job and isinstance(job[name], str):
                job[name] = json.loads(job[name])
        return job
