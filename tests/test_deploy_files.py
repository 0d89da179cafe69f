"""The Dockerfile and compose file, checked without building anything.

`make test-containers` (tools/test_containers.py, not part of `make test`) builds the image
and runs the stack with podman. What can drift is checked here: the compose file parses (and passes `docker-compose config` when that tool is
installed), every queue the API can route to has a worker, the settings it passes are ones
the code reads, Redis persists, and the image runs as a non-root user with a health check.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SERVICES = COMPOSE["services"]


def _env_names_read_by_code() -> set[str]:
    names = set()
    # Every top-level package the image runs (service/, workers/ and any that join them).
    packages = [d for d in ROOT.iterdir() if (d / "__init__.py").is_file() and d.name != "tests"]
    for path in (f for d in packages for f in d.rglob("*.py")):
        src = path.read_text(encoding="utf-8")
        names.update(re.findall(r"""environ(?:\.get)?\(\s*f?["']([A-Z_]+)""", src))
        names.update(re.findall(r"""environ\[\s*["']([A-Z_]+)""", src))
        names.update(re.findall(r"""_(?:int|float|bool|str)\(\s*["']([A-Z_]+)""", src))
        if "CELERY_QUEUE_{" in src:
            names.update(f"CELERY_QUEUE_{s}" for s in
                         ("BOILERPLATE", "SEGMENTATION", "ENTITIES", "ASSEMBLE"))
    return names


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_compose_file_passes_docker_compose_config():
    proc = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_redis_persists_and_is_health_checked():
    redis = SERVICES["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert "healthcheck" in redis and redis.get("volumes")


def test_api_runs_under_gunicorn_after_redis_is_healthy():
    api = SERVICES["api"]
    assert api["command"][0] == "gunicorn" and "service.wsgi:app" in api["command"]
    # gunicorn's settings file (the gevent worker, body and header bounds, JSON logs from the master too)
    assert api["command"][api["command"].index("-c") + 1] == "service/gunicorn.conf.py"
    assert (ROOT / "service" / "gunicorn.conf.py").is_file()
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"


def test_every_routed_queue_has_a_worker():
    env = SERVICES["api"]["environment"]
    routed = {env.get("CELERY_DEFAULT_QUEUE", "enrich")}
    routed |= {v for k, v in env.items() if k.startswith("CELERY_QUEUE_")}
    served = set()
    for svc in SERVICES.values():
        cmd = svc.get("command") or []
        if "worker" in cmd and "--queues" in cmd:
            served |= set(cmd[cmd.index("--queues") + 1].split(","))
    assert routed <= served, f"queues with no worker: {routed - served}"


def test_compose_passes_only_settings_the_code_reads():
    known = _env_names_read_by_code()
    for name, svc in SERVICES.items():
        for var in svc.get("environment") or {}:
            assert var in known, f"{name}: {var} is not read anywhere in the code"


def test_image_runs_as_non_root_with_a_health_check_and_jars_baked_in():
    assert re.search(r"^USER (?!root)\S+", DOCKERFILE, re.M)
    assert re.search(r"^HEALTHCHECK ", DOCKERFILE, re.M)
    assert "FARASA_BIN_DIR=/opt/farasa_bin" in DOCKERFILE
    assert "pip install -r requirements.txt" in DOCKERFILE


def test_requirements_are_pinned_and_the_image_gets_no_test_tools():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r "):
                assert "==" in line, f"{name}: unpinned requirement: {line}"
    runtime = (ROOT / "requirements.txt").read_text().lower()
    assert "pytest" not in runtime and "schemathesis" not in runtime
    assert "requirements-dev.txt" not in DOCKERFILE


def test_dockerignore_keeps_the_venv_and_git_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".git" in ignored and ".venv" in ignored


def test_image_takes_every_top_level_package():
    # The whole context, less .dockerignore: a new top-level package needs no Dockerfile edit.
    assert re.search(r"^COPY \. \.$", DOCKERFILE, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    packages = [p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()]
    assert "service" in packages and "workers" in packages
    assert not set(packages) & set(ignored) - {"tests"}, "a runtime package is kept out of the image"
def test_redis_memory_is_bounded_and_never_evicts_jobs():
    command = SERVICES["redis"]["command"]
    assert "--maxmemory" in command and command[command.index("--maxmemory") + 1]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_an_article_budget_per_key_is_on_by_default():
    budget = COMPOSE["x-app-env"]["RATE_LIMIT_ARTICLES"]
    assert re.fullmatch(r"\$\{RATE_LIMIT_ARTICLES:-\d+/\w+\}", budget), budget
