"""The Python client and the CLI's folder mode, against the real service.

The service runs as in production: gunicorn, a real Celery worker, a real redis-server,
all started by the test session (tests/conftest.py).
"""
import json
import subprocess
import sys

import pytest
import yaml
from jsonschema import Draft202012Validator

from enrichment_client import ApiError, EnrichmentClient
from tests.conftest import ROOT, SPEC_PATH, article, e2e_steps, seed_texts

SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def _validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema_name}",
                                 "components": SPEC["components"]})


@pytest.fixture(scope="module")
def api(live_server):
    return EnrichmentClient(live_server, timeout=10)


def test_enrich_returns_a_result_that_matches_the_contract(api):
    text = seed_texts()["000_057c1d3d53202a94"]
    result = api.enrich(timeout=120, **article(text))
    _validator("Result").validate(result)
    assert result["steps"] == e2e_steps()
    assert result["document"]["text"].strip()


def test_submit_then_wait_then_result(api):
    job = api.submit(**article("قال المتحدث إن الاجتماع انتهى مساء الأحد.",
                               metadata={"feed": "client-test"}))
    assert job["status"] in ("queued", "running", "succeeded")
    done = api.wait(job, timeout=120)
    _validator("Job").validate(done)
    assert done["status"] == "succeeded" and done["metadata"] == {"feed": "client-test"}
    assert api.result(job["id"]) == done["result"]


def test_the_same_idempotency_key_gives_the_same_job(api):
    body = article("خبر واحد يرسل مرتين.")
    first = api.submit(idempotency_key="client-test-key-1", **body)
    second = api.submit(idempotency_key="client-test-key-1", **body)
    assert first["id"] == second["id"]


def test_errors_come_back_as_problem_documents(api):
    with pytest.raises(ApiError) as bad:
        api.submit(text="   ")
    assert bad.value.status == 422 and bad.value.problem["status"] == 422
    with pytest.raises(ApiError) as missing:
        api.get("0" * 32)
    assert missing.value.status == 404 and missing.value.problem["type"].startswith("/problems/")


def test_deleted_job_is_gone(api):
    job = api.submit(**article("خبر يحذف."))
    api.delete(job["id"])
    with pytest.raises(ApiError) as gone:
        api.get(job["id"])
    assert gone.value.status == 404


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "workers.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_folder_mode_through_the_service_matches_in_process(live_server, tmp_path):
    src = tmp_path / "articles"
    (src / "nested").mkdir(parents=True)
    texts = seed_texts()
    names = sorted(texts)[:2]
    (src / f"{names[0]}.txt").write_text(texts[names[0]], encoding="utf-8")
    (src / "nested" / f"{names[1]}.txt").write_text(texts[names[1]], encoding="utf-8")
    (src / "notes.md").write_text("not an article", encoding="utf-8")
    steps = ",".join(e2e_steps())

    via_service = _cli("--steps", steps, "--service", live_server, "--out", str(tmp_path / "svc"),
                       str(src))
    assert via_service.returncode == 0, via_service.stderr
    in_process = _cli("--steps", steps, "--out", str(tmp_path / "local"), str(src))
    assert in_process.returncode == 0, in_process.stderr

    written = sorted(p.relative_to(tmp_path / "svc") for p in (tmp_path / "svc").rglob("*.json"))
    assert [str(p) for p in written] == [f"{names[0]}.json", f"nested/{names[1]}.json"]
    for rel in written:
        svc = json.loads((tmp_path / "svc" / rel).read_text(encoding="utf-8"))
        local = json.loads((tmp_path / "local" / rel).read_text(encoding="utf-8"))
        _validator("Result").validate(svc)
        svc.pop("timings_ms"), local.pop("timings_ms")
        assert svc == local, f"{rel}: the service and the in-process pipeline disagree"


def test_cli_folder_mode_needs_an_output_folder(tmp_path):
    proc = _cli(str(tmp_path))
    assert proc.returncode == 2 and "--out" in proc.stderr
