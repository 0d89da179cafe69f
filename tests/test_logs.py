"""Logs: one JSON object per line from API and worker, the job id on every line of a job's
life, never the article's text (jobs/logs.py).

The integration test reads the log of the session's real worker (tests/conftest.py), which
logs through jobs.logs because workers/celery_app.py takes over Celery's logging.
"""
from __future__ import annotations

import io
import json
import logging
import re
import secrets
import sys

from jobs.logs import JsonFormatter, RedactCelery, TextFormatter, configure, job_context
from tests.conftest import wait_finished

JOB = "0123456789abcdef0123456789abcdef"
TEXT = "قال الرئيس إن العلاقات جيدة."


def _logger(fmt="json"):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactCelery())
    log = logging.getLogger(f"test-logs-{secrets.token_hex(4)}")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    return log, stream


def test_json_lines_carry_the_job_id_and_only_whitelisted_fields():
    log, out = _logger()
    with job_context(JOB):
        log.info("step done", extra={"step": "segmentation", "data": {"args": TEXT}, "text": TEXT})
    log.info("jobs accepted", extra={"job_ids": [JOB]})
    log.info("outside any job")
    first, second, third = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["job_id"] == JOB and first["step"] == "segmentation" and first["msg"] == "step done"
    assert set(first) == {"ts", "level", "logger", "msg", "job_id", "step"}
    assert second["job_ids"] == [JOB] and "job_id" not in second
    assert "job_id" not in third
    assert TEXT not in out.getvalue()


def test_exception_messages_and_celery_results_are_withheld(monkeypatch):
    from celery.app.trace import LOG_FAILURE, LOG_RECEIVED, LOG_SUCCESS
    monkeypatch.delenv("LOG_EXCEPTION_MESSAGES", raising=False)
    for fmt in ("json", "text"):
        log, out = _logger(fmt)
        with job_context(JOB):
            try:
                raise ValueError(f"cannot segment {TEXT}")
            except ValueError:
                log.exception("step raised")
                log.error(LOG_FAILURE, {"id": "t1", "name": "enrich.step.x", "exc": f"ValueError({TEXT!r})",
                                        "description": "raised unexpected"}, exc_info=sys.exc_info())
            log.info(LOG_SUCCESS, {"id": "t1", "name": "enrich.step.x", "runtime": 0.1,
                                   "return_value": {"document": {"text": TEXT}}, "args": TEXT})
        # The worker's "received" line is logged outside the task: its job id comes from argsrepr.
        log.info(LOG_RECEIVED, {"id": "t2", "name": "enrich.step.y", "args": f"(<result>, job_id={JOB})",
                                "kwargs": "{}", "eta": None}, extra={"data": {"args": TEXT}})
        text = out.getvalue()
        assert TEXT not in text, fmt
        assert "ValueError" in text and "step raised" in text
        if fmt == "json":
            lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
            assert len(lines) == 4 and all(line["job_id"] == JOB for line in lines)
            assert "test_logs.py" in lines[0]["stack"]   # where it failed is kept


def test_configure_is_idempotent():
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure("json", "INFO", io.StringIO())
        configure("json", "INFO", io.StringIO())
        assert len([h for h in root.handlers if h.get_name() == "enrich"]) == 1
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)
        root.setLevel(level)


def test_a_jobs_life_is_logged_with_its_id_and_without_its_text(client, check, celery_worker, caplog):
    marker = f"نص-سري-{secrets.token_hex(6)}"
    text = f"{TEXT} {marker}"
    with caplog.at_level(logging.INFO):
        resp = client.post("/v1/jobs", json={"text": text})
        job = check(resp)
        assert resp.status_code == 202
        assert wait_finished(client, check, job["id"])["status"] == "succeeded"
    jid = job["id"]
    api_lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    assert any(line.get("job_ids") == [jid] and line["msg"] == "jobs accepted" for line in api_lines)
    assert not any(marker in json.dumps(line, ensure_ascii=False) for line in api_lines)

    # The worker: every line about this job is JSON and names it.
    worker_log = celery_worker["log"].read_text(encoding="utf-8", errors="replace")
    assert marker not in worker_log, "article text in the worker log"
    mine = [line for line in worker_log.splitlines() if jid in line]
    docs = [json.loads(line) for line in mine]  # every one of them is JSON
    assert all(d.get("job_id") == jid for d in docs), [d for d in docs if d.get("job_id") != jid]
    # However the job's steps are split into tasks, each of its tasks was logged when
    # received (main process) and when it succeeded (child), both lines with the job id.
    events: dict[str, set[str]] = {}
    for d in docs:
        found = re.match(r"Task (\S+)\[([0-9a-f-]+)\] (received|succeeded)", d["msg"])
        if found:
            events.setdefault(found.group(2), set()).add(found.group(3))
    assert events and all(seen == {"received", "succeeded"} for seen in events.values()), events
    assert any(d["msg"] == "job succeeded" for d in docs)
    assert all("<withheld>" in d["msg"] for d in docs if "succeeded in" in d["msg"])
