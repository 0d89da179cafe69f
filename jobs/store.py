"""The job record in Redis, read by GET /v1/jobs/{id} and written through the lifecycle.

One Redis hash per job (``<prefix>job:<id>``): its status and progress, the article as
submitted (``input``: messages carry only the job id), the partial document between tasks
routed to different queues, the result (stored once, as the JSON a client reads) or the
problem. It lives ``ttl`` seconds after it was created, then after it finished.
``<prefix>pending`` orders pending jobs by deadline, for the sweeper.

State changes are ``transition``s: one Lua guard (``_TRANSITION_LUA``) run with an event
of the lifecycle table (jobs/lifecycle.py). Also here, because they are written in the
same round trips: the Idempotency-Key records, and the counters and step-duration
histograms that /metrics exposes (kept in Redis so that API and worker processes, on any
host, add up to one view).
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import datetime, timezone

import redis

from jobs.lifecycle import EVENTS, PENDING, STATUSES, WRITTEN, Event, Outcome  # noqa: F401

# Step-duration histogram buckets (seconds); Prometheus' defaults stretched to a minute.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# The guard every state change goes through.
# KEYS: job hash, stats hash, pending index, the job's "finished" list.
# ARGV: job id, allowed prior statuses ("a,b"), ttl to set ("" = keep), counter to bump
# ("" = none), pending index ("" | "drop" | a deadline score), then four counts (fields to
# set, fields set only when the job leaves "queued", stats fields to set, fields to read
# back) and those fields' names and values in that order.
# Returns {1, prior, read-back values...} written, {0} no such job, {-1, prior} not allowed.
_TRANSITION_LUA = """
local n_set, n_leave, n_stats, n_get = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local get_at = 10 + 2 * (n_set + n_leave + n_stats)
local got = redis.call('HMGET', KEYS[1], 'status', unpack(ARGV, get_at, get_at + n_get - 1))
local st = got[1]
if not st then return {0} end
if not string.find(',' .. ARGV[2] .. ',', ',' .. st .. ',', 1, true) then return {-1, st} end
local i = 10
local n_write = n_set
if st == 'queued' then n_write = n_set + n_leave end
if n_write > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, i, i + 2 * n_write - 1)) end
i = i + 2 * (n_set + n_leave)
if n_stats > 0 then redis.call('HSET', KEYS[2], unpack(ARGV, i, i + 2 * n_stats - 1)) end
if ARGV[3] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[4], 1) end
if ARGV[5] == 'drop' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('LPUSH', KEYS[4], '1')
  redis.call('EXPIRE', KEYS[4], FINISHED_SIGNAL_TTL)
elseif ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
end
got[1] = 1
table.insert(got, 2, st)
return got
"""

# KEYS[1] job hash; ARGV[1] owner, ARGV[2] "1" to read the result, then field names.
# The fields (and, for a succeeded job, its result last), read only when the job belongs to
# ``owner`` ({} otherwise): a key cannot make the API read another key's result.
_READ_OWN_LUA = """
local v = redis.call('HMGET', KEYS[1], 'owner', 'status', unpack(ARGV, 3))
if v[1] ~= ARGV[1] then return {} end
local result = false
if ARGV[2] == '1' and v[2] == 'succeeded' then result = redis.call('HGET', KEYS[1], 'result') end
table.remove(v, 1)
table.remove(v, 1)
v[#v + 1] = result
return v
"""

# KEYS[1] job hash; ARGV[1] field. Counts one more delivery of a redelivered message;
# 0 when the job is gone (a deleted job is not recreated).
_COUNT_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
"""

# KEYS[1] job hash, KEYS[2] stats hash, KEYS[3] pending index, KEYS[4] the job's "finished"
# list; ARGV[1] job id. Deletes the job (waiters are woken) and, when its
# Idempotency-Key claim still names this job, the claim (a key freed and claimed again by
# a later request belongs to that request, not to this job).
_DELETE_LUA = """
local idem = redis.call('HGET', KEYS[1], 'idem')
local removed = redis.call('DEL', KEYS[1])
if removed == 1 then
  redis.call('HINCRBY', KEYS[2], 'deleted', 1)
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('LPUSH', KEYS[4], '1')
  redis.call('EXPIRE', KEYS[4], FINISHED_SIGNAL_TTL)
  if idem then
    local claim = redis.call('GET', idem)
    if claim and string.find(claim, ARGV[1], 1, true) then redis.call('DEL', idem) end
  end
end
return removed
"""

# A job's "finished" list (one element, pushed when it finishes or is deleted) wakes the
# requests long-polling it; it outlives the longest ?wait.
FINISHED_SIGNAL_TTL = 60
_TRANSITION_LUA = _TRANSITION_LUA.replace("FINISHED_SIGNAL_TTL", str(FINISHED_SIGNAL_TTL))
_DELETE_LUA = _DELETE_LUA.replace("FINISHED_SIGNAL_TTL", str(FINISHED_SIGNAL_TTL))

# An Idempotency-Key claim is "pending" until every job of the request is published, and
# lives this long while pending: a request that died half-way frees its key soon, and a
# replay never answers from jobs that may yet be withdrawn.
PENDING_CLAIM_TTL = 30

_JSON_FIELDS = ("steps", "steps_done", "metadata", "result", "error", "input", "partial")
# What a client's view of a job is made of (the result is read apart, only when wanted).
VIEW_FIELDS = ("id", "status", "steps", "steps_done", "created_at", "updated_at", "started_at",
               "finished_at", "metadata", "error")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    """128 random bits: ids cannot be guessed or enumerated."""
    return secrets.token_hex(16)


def redis_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis outage must become a quick 503, not a hung request.
    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2,
                                socket_timeout=5, health_check_interval=30)


class Stats:
    """One process's share of the /metrics histograms and engine counts.

    Kept in memory and written as absolute values (``p:<process>:…`` fields of the stats
    hash) with the job's final event: one HSET in the same round trip, where incrementing
    every bucket in Redis cost ~16 commands per step. /metrics adds the processes up.
    """

    def __init__(self):
        self.process = secrets.token_hex(6)
        self.fields: dict[str, float] = {}

    def observe(self, step: str, seconds: float) -> None:
        for le in STEP_BUCKETS:
            if seconds <= le:
                self._add(f"hist:{step}:{le}", 1)
        self._add(f"hist:{step}:+Inf", 1)
        self._add(f"sum:{step}", seconds)

    def count_engines(self, engines: dict) -> None:
        for layer, info in engines.items():
            self._add("engine:" + "\t".join((layer, str(info.get("name", "")),
                                               str(info.get("version", "")))), 1)

    def _add(self, name: str, value: float) -> None:
        self.fields[name] = self.fields.get(name, 0) + value

    def snapshot(self) -> dict[str, str]:
        return {f"p:{self.process}:{k}": repr(v) for k, v in self.fields.items()}


class JobStore:
    def __init__(self, client: redis.Redis, prefix: str = "enrich:", ttl: int = 86400,
                 deadline: int = 900):
        self.r = client
        self.prefix = prefix
        self.ttl = int(ttl)
        self.deadline = int(deadline)
        self._transition = self.r.register_script(_TRANSITION_LUA)
        self._read_own = self.r.register_script(_READ_OWN_LUA)
        self._count = self.r.register_script(_COUNT_LUA)
        self._delete = self.r.register_script(_DELETE_LUA)
        self._wait_client: redis.Redis | None = None

    @classmethod
    def from_settings(cls, settings) -> "JobStore":
        return cls(redis_client(settings.redis_url), settings.key_prefix, settings.job_ttl_seconds,
                   settings.job_deadline_seconds)

    # -- keys ---------------------------------------------------------------------------
    def job_key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    @property
    def stats_key(self) -> str:
        return f"{self.prefix}stats"

    @property
    def pending_key(self) -> str:
        return f"{self.prefix}pending"

    def finished_key(self, job_id: str) -> str:
        return f"{self.prefix}finished:{job_id}"

    def idem_key(self, owner: str, key: str) -> str:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return f"{self.prefix}idem:{owner}:{digest}"

    # -- the API side ---------------------------------------------------------------------
    def create(self, job_id: str, steps: list[str], metadata: dict | None = None,
               idem_key: str | None = None, owner: str = "anonymous",
               article: dict | None = None) -> dict:
        return self.create_many([(job_id, steps, metadata, article)], idem_key, owner)[0]

    def create_many(self, jobs: list[tuple], idem_key: str | None = None,
                    owner: str = "anonymous") -> list[dict]:
        """The ``accept`` event: job records for ``(job_id, steps, metadata[, article])``
        items, all in one round trip (a batch in one transaction)."""
        ts = now_iso()
        deadline = time.time() + self.deadline
        records = []
        pipe = self.r.pipeline(transaction=len(jobs) > 1)
        for job_id, steps, metadata, *rest in jobs:
            record = {
                "id": job_id, "status": "queued", "owner": owner,
                "steps": json.dumps(steps), "steps_done": "[]",
                "created_at": ts, "updated_at": ts,
            }
            if metadata is not None:
                record["metadata"] = json.dumps(metadata, ensure_ascii=False)
            if idem_key:
                record["idem"] = idem_key
            stored = dict(record)
            if rest and rest[0] is not None:
                stored["input"] = json.dumps(rest[0], ensure_ascii=False)
            pipe.hset(self.job_key(job_id), mapping=stored)
            pipe.expire(self.job_key(job_id), self.ttl)
            records.append(record)
        pipe.zadd(self.pending_key, {job_id: deadline for job_id, *_ in jobs})
        pipe.hincrby(self.stats_key, EVENTS["accept"].counter, len(records))
        pipe.execute()
        return [self._decode(r) for r in records]

    def discard(self, job_ids: list[str]) -> None:
        """Undo ``create`` for jobs the broker did not take (no trace, no count)."""
        if not job_ids:
            return
        pipe = self.r.pipeline(transaction=False)
        pipe.delete(*[self.job_key(j) for j in job_ids])
        pipe.zrem(self.pending_key, *job_ids)
        removed = pipe.execute()[0]
        if removed:  # only those create() had written were counted
            self.r.hincrby(self.stats_key, "created", -removed)

    def get(self, job_id: str) -> dict | None:
        """The whole record, decoded (tests and tools; the API reads ``view``)."""
        raw = self.r.hgetall(self.job_key(job_id))
        return self._decode(raw) if raw else None

    def get_many(self, job_ids: list[str]) -> list[dict | None]:
        """Records without their article, partial document or result (status checks)."""
        pipe = self.r.pipeline(transaction=False)
        for j in job_ids:
            pipe.hmget(self.job_key(j), VIEW_FIELDS)
        return [self._decode({k: v for k, v in zip(VIEW_FIELDS, raw) if v is not None})
                if raw[0] is not None else None for raw in pipe.execute()]

    def view(self, job_id: str, owner: str, with_result: bool = True) -> tuple[dict, str | None] | None:
        """What a client may see of its own job: the record's view fields, and the result's
        stored JSON text (not decoded: the API sends it as it is). None when there is no
        such job or it belongs to another key; the owner is checked before anything else
        is read."""
        raw = self._read_own(keys=[self.job_key(job_id)], args=[owner, "1" if with_result else "", *VIEW_FIELDS])
        if not raw or raw[0] is None:
            return None
        fields = dict(zip(VIEW_FIELDS, raw))
        return self._decode({k: v for k, v in fields.items() if v is not None}), raw[-1]

    def delete(self, job_id: str) -> bool:
        """Forget a job; its Idempotency-Key is freed too if the claim is still its own."""
        return bool(self._delete(keys=[self.job_key(job_id), self.stats_key, self.pending_key,
                                       self.finished_key(job_id)], args=[job_id]))

    def wait(self, job_id: str, seconds: float) -> None:
        """Return once the job has finished (or was deleted), or after ``seconds``: one
        blocking read of the job's "finished" list, not a polling loop. BLMOVE onto the
        same list leaves its element there for every other waiter. Call it for a job seen
        pending: for a job that does not exist it waits the whole time."""
        key = self.finished_key(job_id)
        self._waiter().blmove(key, key, seconds, "RIGHT", "LEFT")

    def _waiter(self) -> redis.Redis:
        """A client whose socket timeout outlasts the longest wait (the default one's 5 s
        would cut a long-poll short)."""
        if self._wait_client is None:
            kwargs = self.r.connection_pool.connection_kwargs
            self._wait_client = redis.Redis(connection_pool=redis.ConnectionPool(
                connection_class=self.r.connection_pool.connection_class,
                **{**kwargs, "socket_timeout": FINISHED_SIGNAL_TTL}))
        return self._wait_client

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

    # -- state changes (jobs.lifecycle.record) -------------------------------------------
    def transition(self, job_id: str, event: Event, fields: dict, returning: tuple = (),
                   stats: dict | None = None) -> Outcome:
        leaving = {k: v for k, v in fields.items() if k in event.on_leaving_queued}
        always = {k: v for k, v in fields.items() if k not in leaving}
        pending = {"drop": "drop", "touch": repr(time.time() + self.deadline)}.get(event.pending_index, "")
        stats = stats or {}
        args: list = [job_id, ",".join(event.allowed), self.ttl if event.refresh_ttl else "",
                      event.counter, pending, len(always), len(leaving), len(stats), len(returning)]
        for group in (always, leaving, stats):
            for name, value in group.items():
                args += [name, value]
        args += list(returning)
        keys = [self.job_key(job_id), self.stats_key, self.pending_key, self.finished_key(job_id)]
        raw = self._transition(keys=keys, args=args)
        code = int(raw[0])
        prior = raw[1] if len(raw) > 1 else None
        values = {}
        for name, value in zip(returning, raw[2:]):
            if value not in (None, False):
                values[name] = json.loads(value) if name in _JSON_FIELDS else value
        return Outcome(code, prior, values)

    def count_redelivery(self, job_id: str, step: str) -> int:
        """One more redelivery of ``step``'s message (its worker was lost); the new total."""
        return int(self._count(keys=[self.job_key(job_id)], args=[f"redelivered:{step}"]))

    def overdue(self, now: float | None = None, limit: int = 100) -> list[str]:
        """Pending jobs past their deadline (the sweeper's work list)."""
        return self.r.zrangebyscore(self.pending_key, "-inf", now or time.time(), start=0, num=limit)

    def forget_pending(self, job_id: str) -> None:
        self.r.zrem(self.pending_key, job_id)

    # -- reading the stats (for /metrics) -------------------------------------------------
    def counters(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.r.hgetall(self.stats_key).items() if not k.startswith("p:")}

    def _process_fields(self) -> dict[str, float]:
        """Every process's stats fields, added up across processes."""
        total: dict[str, float] = {}
        for k, v in self.r.hgetall(self.stats_key).items():
            if k.startswith("p:"):
                name = k.split(":", 2)[2]
                total[name] = total.get(name, 0.0) + float(v)
        return total

    def engine_counts(self) -> dict[tuple[str, str, str], int]:
        """Succeeded jobs by (layer, engine name, engine version)."""
        return {tuple(k[len("engine:"):].split("\t", 2)): int(v)
                for k, v in self._process_fields().items()
                if k.startswith("engine:") and k.count("\t") == 2}

    def step_histograms(self, steps) -> dict[str, dict[str, float]]:
        fields = self._process_fields()
        out = {}
        for step in steps:
            h = {f"le:{le}": fields.get(f"hist:{step}:{le}", 0.0) for le in STEP_BUCKETS}
            h["le:+Inf"] = fields.get(f"hist:{step}:+Inf", 0.0)
            if h["le:+Inf"]:
                out[step] = {**h, "count": h["le:+Inf"], "sum": fields.get(f"sum:{step}", 0.0)}
        return out

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
