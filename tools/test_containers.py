"""`make test-containers`: the image built and the compose stack run end to end, with podman.

    .venv/bin/python -m tools.test_containers [--fresh] [--remove-images] [--no-install]

Not part of `make test` (it installs system packages and builds images). As root, on a
Debian bookworm machine; no container registry is needed:

1. installs what is missing from Debian's packages: podman, runc, netavark, aardvark-dns,
   iptables, mmdebstrap; and podman-compose from PyPI into its temporary folder;
2. points podman at a containers.conf of its own, in a temporary folder, through
   CONTAINERS_CONF: runc as the runtime (crun refuses hybrid cgroups), `nofile` capped at
   this process's hard limit and `nproc` at 32768 (podman's defaults are above what root may
   set on such hosts). No file of the host is changed, so there is nothing to restore;
3. the base image `debian:bookworm-slim`: kept if present, else pulled, else (no registry)
   built with mmdebstrap from Debian's archive and imported, with the host's CA bundle added
   to /usr/local/share/ca-certificates so pip inside the build trusts what the host trusts.
   Redis the same way: `redis:7-alpine` if present or pullable, else a stand-in built from
   that base with Debian's redis-server (passed to compose as REDIS_IMAGE);
4. builds the image (`podman build --format docker`, the format that keeps HEALTHCHECK),
   makes an API key with `python -m service.keys new --id ci`, brings the compose stack up
   under its own project name and waits for every container's health check (podman runs
   health checks from systemd timers, absent here, so this script runs each one itself);
5. checks: a seed submitted with the key gives a result valid against openapi.yaml and equal
   to its snapshot in tests/snapshots/; a request without the key gets a 401 problem; the
   `enrich` worker's container SIGKILLed while it holds jobs, jobs still coming: its restart
   policy brings it back and every job succeeds, exactly once (the store's succeeded counter
   and the workers' "job succeeded" log lines); Redis restarted with jobs queued,
   and every accepted job (and the earlier result) is still there and succeeds; every process
   of the API and worker containers runs as a non-root user;
6. prints image size, build time and time to healthy; takes the stack down (`down -v`) and
   checks that no container, network or volume of the project is left, even on failure.

The images (base, Redis, service) are kept for the next run: `--remove-images` removes them,
`--fresh` removes them first to time a cold build. Exit status 0 only if every check passed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "localhost/arabic-news-enrichment:latest"
BASE = "docker.io/library/debian:bookworm-slim"
REDIS_UPSTREAM = "docker.io/library/redis:7-alpine"
REDIS_STANDIN = "localhost/ane-redis-standin:7"
STANDIN_LABEL = "ane.local-standin=true"     # images this script built and may remove
PACKAGES = {  # a file each package installs -> the package
    "/usr/bin/podman": "podman", "/usr/sbin/runc": "runc",
    "/usr/lib/podman/netavark": "netavark", "/usr/lib/podman/aardvark-dns": "aardvark-dns",
    "/usr/sbin/iptables": "iptables", "/usr/bin/mmdebstrap": "mmdebstrap",
}
# PyPI's: Debian's 1.0.3 leaves "${VAR:-}" (empty default) unreplaced.
PODMAN_COMPOSE = "podman-compose==1.6.0"
DEBIAN_SOURCES = ["deb http://deb.debian.org/debian bookworm main",
                  "deb http://deb.debian.org/debian bookworm-updates main",
                  "deb http://deb.debian.org/debian-security bookworm-security main"]
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
REDIS_STANDIN_DOCKERFILE = """\
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \\
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
# As the official image: without a config file, listen beyond loopback (protected mode off).
ENTRYPOINT ["sh", "-c", "if [ \\"$1\\" = redis-server ]; then shift; exec redis-server \\"$@\\" --protected-mode no; fi; exec \\"$@\\"", "entrypoint"]
CMD ["redis-server"]
"""
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
SERVICES = list(COMPOSE)                                   # every one must come up healthy
APP_SERVICES = [s for s, d in COMPOSE.items()              # those that run our image
                if str(d.get("image", "")).startswith("arabic-news-enrichment")]
# Run in the worker's container: how many messages it holds (running or prefetched).
HOLDING = ("import socket; from workers.celery_app import app; "
           "i = app.control.inspect(destination=['celery@' + socket.gethostname()], timeout=2); "
           "print(sum(len(v) for r in (i.active(), i.reserved()) for v in (r or {}).values()))")


class Failed(Exception):
    pass


class Run:
    """Shell-outs with podman's settings, and the record of checks and figures."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.env = dict(os.environ)
        self.checks: list[tuple[str, bool, str]] = []
        self.figures: dict[str, str] = {}

    def sh(self, *cmd, check=True, timeout=600, env=None, log: Path | None = None):
        cmd = [str(c) for c in cmd]
        if log:
            with open(log, "ab") as out:
                proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                                      env=env or self.env, stdin=subprocess.DEVNULL)
            proc.stdout = log.read_text(errors="replace")[-4000:]
        else:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  env=env or self.env, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            out = (proc.stdout or "") + (getattr(proc, "stderr", "") or "")
            raise Failed(f"{' '.join(cmd[:4])} ... exited {proc.returncode}:\n{out[-3000:]}")
        return proc

    def record(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, ok, detail))
        print(f"  [{'ok' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}", flush=True)
        return ok

    def figure(self, name: str, value: str) -> None:
        self.figures[name] = value
        print(f"  {name}: {value}", flush=True)


@contextmanager
def phase(title: str):
    print(f"== {title}", flush=True)
    t0 = time.monotonic()
    yield
    print(f"   ({time.monotonic() - t0:.1f} s)", flush=True)


# -- the host ------------------------------------------------------------------------------------

def install_tools(run: Run) -> None:
    missing = sorted({pkg for path, pkg in PACKAGES.items() if not Path(path).exists()})
    if not missing:
        print("  podman and friends already installed")
        return
    if os.geteuid() != 0:
        raise Failed(f"missing {', '.join(missing)}; run as root (apt-get) or install them first")
    env = dict(run.env, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-q", "-y"]
    run.sh(*apt, "update", env=env, log=run.tmp / "apt.log")
    run.sh(*apt, "install", "--no-install-recommends", *missing, env=env, log=run.tmp / "apt.log")
    print(f"  installed {', '.join(missing)}")


def install_compose(run: Run) -> list[str]:
    """podman-compose, pinned, into the temporary folder (not the project's venv)."""
    target = run.tmp / "podman-compose"
    run.sh(sys.executable, "-m", "pip", "install", "--quiet", "--target", target, PODMAN_COMPOSE,
           log=run.tmp / "pip.log")
    run.env["PYTHONPATH"] = str(target)
    return [sys.executable, str(target / "podman_compose.py")]


def podman_settings(run: Run) -> None:
    hard_nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    hard_nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nofile = 1048576 if hard_nofile == resource.RLIM_INFINITY else hard_nofile
    nproc = 32768 if hard_nproc == resource.RLIM_INFINITY else min(32768, hard_nproc)
    conf = run.tmp / "containers.conf"
    conf.write_text(f'[containers]\ndefault_ulimits = ["nofile={nofile}:{nofile}", '
                    f'"nproc={nproc}:{nproc}"]\n[engine]\nruntime = "runc"\n')
    run.env["CONTAINERS_CONF"] = str(conf)
    print(f"  CONTAINERS_CONF={conf}: runtime runc, nofile {nofile}, nproc {nproc}")


def image_exists(run: Run, ref: str) -> bool:
    return run.sh("podman", "image", "exists", ref, check=False).returncode == 0


def try_pull(run: Run, ref: str) -> bool:
    try:
        return run.sh("podman", "pull", "-q", ref, check=False, timeout=300).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def ensure_base(run: Run) -> str:
    if image_exists(run, BASE):
        return "present"
    if try_pull(run, BASE):
        return "pulled"
    if not HOST_CA.is_file():
        raise Failed(f"{HOST_CA} missing: cannot give the local base the host's CAs")
    tar = run.tmp / "base.tar"
    # minbase, without docs, man pages and locales, as the registry's slim image; the host's
    # CA bundle goes where update-ca-certificates picks it up when ca-certificates installs.
    run.sh("mmdebstrap", "--variant=minbase", "--quiet",
           "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-include=/usr/share/doc/*/copyright",
           "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/locale/*",
           "--customize-hook=mkdir -p \"$1/usr/local/share/ca-certificates\" && "
           f"cp {HOST_CA} \"$1/usr/local/share/ca-certificates/host-ca-bundle.crt\"",
           "--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*",
           "bookworm", tar, *DEBIAN_SOURCES, timeout=1200, log=run.tmp / "mmdebstrap.log")
    run.sh("podman", "import", "--change", 'CMD ["bash"]', "--change", f"LABEL {STANDIN_LABEL}",
           tar, BASE, log=run.tmp / "import.log")
    tar.unlink()
    return "built locally (mmdebstrap + podman import)"


def ensure_redis(run: Run) -> str:
    if image_exists(run, REDIS_UPSTREAM) or try_pull(run, REDIS_UPSTREAM):
        return REDIS_UPSTREAM
    if not image_exists(run, REDIS_STANDIN):
        ctx = run.tmp / "redis-standin"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(REDIS_STANDIN_DOCKERFILE)
        run.sh("podman", "build", "--format", "docker", "--label", STANDIN_LABEL,
               "-t", REDIS_STANDIN, ctx, timeout=900, log=run.tmp / "build-redis.log")
    return REDIS_STANDIN


def remove_images(run: Run) -> None:
    listed = run.sh("podman", "images", "--filter", f"label={STANDIN_LABEL}", "--format", "{{.Id}}",
                    check=False).stdout.split()
    for ref in [IMAGE, REDIS_STANDIN, *listed]:
        run.sh("podman", "rmi", "-f", ref, check=False)
    run.sh("podman", "image", "prune", "-f", check=False)


# -- the stack -----------------------------------------------------------------------------------

class Stack:
    def __init__(self, run: Run, compose: list[str], project: str, env: dict):
        self.run, self.project, self.env = run, project, env
        self.compose = [*compose, "-p", project, "-f", str(ROOT / "docker-compose.yml")]

    def containers(self) -> dict[str, str]:
        """service name -> container name, for this project's containers."""
        out = self.run.sh("podman", "ps", "-a", "--filter", f"label=io.podman.compose.project={self.project}",
                          "--format", "json").stdout
        found = {}
        for c in json.loads(out or "[]"):
            labels = c.get("Labels") or {}
            service = labels.get("com.docker.compose.service") or labels.get("io.podman.compose.service")
            found[service] = c["Names"][0]
        return found

    def up(self) -> None:
        self.run.sh(*self.compose, "up", "-d", "--no-build", env=self.env, timeout=600,
                    log=self.run.tmp / "compose-up.log")

    def healthy(self, name: str) -> bool:
        """Running, and its health check (if it has one) passes now."""
        out = self.run.sh("podman", "inspect", "--format", "{{.State.Status}} {{json .Config.Healthcheck}}",
                          name, check=False).stdout.strip()
        state, _, hc = out.partition(" ")
        if state != "running":
            return False
        if hc in ("", "null", "{}"):
            return True
        return self.run.sh("podman", "healthcheck", "run", name, check=False, timeout=60).returncode == 0

    def wait_healthy(self, services, t0: float, timeout: float = 300) -> dict[str, float]:
        """Seconds from t0 until each service's health check first passed."""
        ctrs = self.containers()
        missing = [s for s in services if s not in ctrs]
        if missing:
            raise Failed(f"no container for {missing}; compose made {sorted(ctrs)}")
        when: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        while len(when) < len(services):
            for s in services:
                if s not in when and self.healthy(ctrs[s]):
                    when[s] = time.monotonic() - t0
            if time.monotonic() > deadline:
                raise Failed(f"not healthy after {timeout:.0f} s: {[s for s in services if s not in when]}\n"
                             + self.logs_tail(services))
            if len(when) < len(services):
                time.sleep(1)
        return when

    def logs(self, service: str) -> str:
        name = self.containers().get(service)
        if not name:
            return ""
        proc = self.run.sh("podman", "logs", name, check=False)
        return proc.stdout + proc.stderr

    def logs_tail(self, services) -> str:
        return "\n".join(f"--- {s}\n" + "\n".join(self.logs(s).splitlines()[-15:]) for s in services)

    def down(self) -> None:
        self.run.sh(*self.compose, "down", "-v", "-t", "10", env=self.env, check=False, timeout=300,
                    log=self.run.tmp / "compose-down.log")

    def leftovers(self) -> dict[str, list[str]]:
        sh = self.run.sh
        label = f"label=io.podman.compose.project={self.project}"
        ctrs = sh("podman", "ps", "-a", "--filter", label, "--format", "{{.Names}}", check=False).stdout.split()
        ctrs += [n for n in sh("podman", "ps", "-a", "--format", "{{.Names}}", check=False).stdout.split()
                 if n.startswith(self.project + "_") and n not in ctrs]
        pods = [n for n in sh("podman", "pod", "ps", "--format", "{{.Name}}", check=False).stdout.split()
                if self.project in n]
        nets = [n for n in sh("podman", "network", "ls", "--format", "{{.Name}}", check=False).stdout.split()
                if n.startswith(self.project)]
        vols = [n for n in sh("podman", "volume", "ls", "--format", "{{.Name}}", check=False).stdout.split()
                if n.startswith(self.project)]
        return {k: v for k, v in {"containers": ctrs, "pods": pods, "networks": nets, "volumes": vols}.items() if v}

    def force_clean(self, left: dict[str, list[str]]) -> None:
        sh = self.run.sh
        for name in left.get("containers", []):
            sh("podman", "rm", "-f", "-t", "0", name, check=False)
        for name in left.get("pods", []):
            sh("podman", "pod", "rm", "-f", name, check=False)
        for name in left.get("networks", []):
            sh("podman", "network", "rm", "-f", name, check=False)
        for name in left.get("volumes", []):
            sh("podman", "volume", "rm", "-f", name, check=False)


# -- the checks ----------------------------------------------------------------------------------

def seeds() -> list[tuple[str, str]]:
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "seeds").glob("*.txt"))]


class Api:
    def __init__(self, base: str, key: str, check):
        self.base, self.key, self.check = base, key, check
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {key}"

    def submit(self, text: str):
        """(job id or None, status code)."""
        try:
            resp = self.s.post(self.base + "/v1/jobs", json={"text": text}, timeout=30)
        except requests.RequestException:
            return None, "error"
        body = self.check(resp)
        return (body["id"] if resp.status_code in (200, 202) else None), resp.status_code

    def job(self, job_id: str, wait: int = 0):
        resp = self.s.get(f"{self.base}/v1/jobs/{job_id}" + (f"?wait={wait}" if wait else ""), timeout=wait + 30)
        return resp.status_code, self.check(resp)

    def wait_all(self, ids, timeout: float) -> dict[str, dict | None]:
        """Every job's last record (None: 404, the job is gone) once all have finished."""
        last: dict[str, dict | None] = {}
        pending = list(ids)
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            still = []
            for job_id in pending:
                try:
                    status, body = self.job(job_id)
                except requests.RequestException:
                    still.append(job_id)
                    continue
                if status == 404:  # no record: the job is gone
                    last[job_id] = None
                elif status != 200 or body["status"] not in ("succeeded", "failed"):
                    still.append(job_id)  # pending, or the API could not tell yet (503)
                if status == 200:
                    last[job_id] = body
            pending = still
            if pending:
                time.sleep(0.5)
        return last


def succeeded_count(api: Api) -> int:
    """Jobs the store moved to succeeded, ever (/metrics; the move happens once per job)."""
    resp = api.s.get(api.base + "/metrics", timeout=30)
    api.check(resp)
    m = re.search(r'^enrich_jobs_finished_total\{status="succeeded"\}\s+(\S+)', resp.text, re.M)
    return int(float(m.group(1))) if m else -1


def succeeded_lines(stack: Stack) -> dict[str, int]:
    """job id -> "job succeeded" lines in every worker container's log (all its restarts)."""
    counts: dict[str, int] = {}
    for service in ("worker", "worker-farasa"):
        for line in stack.logs(service).splitlines():
            if '"job succeeded"' not in line:
                continue
            try:
                rec = json.loads(line[line.index("{"):])
            except ValueError:
                continue
            if rec.get("msg") == "job succeeded":
                counts[rec.get("job_id")] = counts.get(rec.get("job_id"), 0) + 1
    return counts


def check_contract(run: Run, api: Api, jars_present: bool) -> str:
    name, text = seeds()[0]
    job_id, code = api.submit(text)
    run.record("seed accepted with the key", code == 202 and job_id is not None, f"{name}: {code}")
    deadline = time.monotonic() + 120
    body = {}
    while time.monotonic() < deadline:
        _status, body = api.job(job_id, wait=5)
        if body["status"] in ("succeeded", "failed"):
            break
    resp = api.s.get(f"{api.base}/v1/jobs/{job_id}/result", timeout=30)
    result = api.check(resp)
    ok = body.get("status") == "succeeded" and resp.status_code == 200
    run.record("seed result valid against openapi.yaml", ok, f"job {body.get('status')}, result {resp.status_code}")
    snapshot = ROOT / "tests" / "snapshots" / f"{name}.json"
    if ok and snapshot.is_file():
        got = {k: v for k, v in result.items() if k != "timings_ms"}
        # worker-farasa runs ENGINE=auto: without jars in the image each Farasa step falls
        # back to the built-in engine (the snapshot's) and the result says so.
        fallbacks = {step: e.pop("fallback") for step, e in got.get("engines", {}).items() if "fallback" in e}
        if fallbacks:
            run.record("result names the fallback to the built-in engines", not jars_present,
                       f"{sorted(fallbacks)}: {next(iter(fallbacks.values()))}")
        want = json.loads(snapshot.read_text(encoding="utf-8"))
        differ = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        if differ:
            (run.tmp / "seed-result.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        run.record("seed result equals its snapshot (timings and fallback notes aside)", not differ,
                   f"differs from {snapshot.relative_to(ROOT)} in {differ}" if differ else "")
    anon = requests.post(api.base + "/v1/jobs", json={"text": text}, timeout=30)
    api.check(anon)
    run.record("no key: 401 problem document", anon.status_code == 401, str(anon.status_code))
    return job_id


def check_worker_kill(run: Run, stack: Stack, api: Api) -> None:
    """SIGKILL the enrich worker's container while it holds jobs; all succeed, each once."""
    ctr = stack.containers()["worker"]
    texts = [t for _n, t in seeds()] * 6
    ids: list[str] = []

    stop = threading.Event()

    def submit_all(client=api, most=len(texts)):
        for i in range(most):
            if stop.is_set():
                return
            job_id, _code = client.submit(texts[i % len(texts)])
            if job_id:
                ids.append(job_id)

    succeeded_before = succeeded_count(api)
    submit_all()
    # More jobs keep coming until the kill, so that the worker's hands are full then.
    feeder = threading.Thread(target=submit_all, args=(Api(api.base, api.key, api.check), 4 * len(texts)))
    feeder.start()
    # Kill while the worker holds messages (running or prefetched), as it reports them.
    held, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        out = run.sh("podman", "exec", ctr, "python", "-c", HOLDING, check=False, timeout=60).stdout.strip()
        held = int(out) if out.isdigit() else 0
        if held:
            break
    restarts_before = restart_count(run, ctr)
    # SIGKILL to the container's first process from the host: a crash, as an OOM kill would
    # be (`podman kill` counts as stopped by the user, which a restart policy leaves alone).
    pid = run.sh("podman", "inspect", "--format", "{{.State.Pid}}", ctr).stdout.strip()
    os.kill(int(pid), signal.SIGKILL)
    t_kill, wall_kill = time.monotonic(), time.time()
    stop.set()
    print(f"  worker container SIGKILLed holding {held} message(s)", flush=True)
    feeder.join()
    back_by = "its restart policy"
    while time.monotonic() - t_kill < 30:
        state = run.sh("podman", "inspect", "--format", "{{.State.Status}}", ctr, check=False).stdout.strip()
        if state == "running" and restart_count(run, ctr) > restarts_before:
            break
        time.sleep(0.5)
    else:
        back_by = "the test (podman start): the restart policy did not act within 30 s"
        run.sh("podman", "start", ctr)
    stack.wait_healthy(["worker"], time.monotonic(), timeout=120)
    print(f"  worker back ({back_by}) {time.monotonic() - t_kill:.1f} s after the kill", flush=True)
    last = api.wait_all(ids, timeout=180)
    done = sum(1 for j in ids if (last.get(j) or {}).get("status") == "succeeded")
    after = finished_after(last, wall_kill)
    succeeded_delta = succeeded_count(api) - succeeded_before
    lines = succeeded_lines(stack)
    twice = [j for j in ids if lines.get(j, 0) > 1]
    unlogged = sum(1 for j in ids if lines.get(j, 0) == 0)
    redelivered = sum(1 for line in stack.logs("worker").splitlines() + stack.logs("worker-farasa").splitlines()
                      if '"redelivered message"' in line)
    run.figure("worker kill", f"{len(ids)} jobs, {held} message(s) in the worker's hands just before the SIGKILL, "
                              f"{after} jobs finished after it, {redelivered} counted redelivered, "
                              f"all done {time.monotonic() - t_kill:.1f} s after it")
    stuck = {j: (last.get(j) or {}).get("status") for j in ids if (last.get(j) or {}).get("status") != "succeeded"}
    run.record("worker SIGKILLed mid-job: every job succeeded", done == len(ids),
               f"{done}/{len(ids)}" + (f"; not: {describe(last, stuck)}" if stuck else ""))
    run.record("... each exactly once", succeeded_delta == len(ids) and not twice,
               f"store's succeeded counter +{succeeded_delta} for {len(ids)} jobs; {len(twice)} job(s) with "
               f"two \"job succeeded\" log lines; {unlogged} with none (line lost with the killed process)")
    run.record("... the kill caught jobs under way", held > 0 and after > 0,
               f"{held} message(s) held just before it, {after} jobs finished after it")
    run.record("... back by its restart policy", back_by == "its restart policy", back_by)


def describe(records: dict, jobs: dict) -> str:
    """A few unfinished jobs: id, status, steps done (the worker logs are kept: grep the id)."""
    out = []
    for j in list(jobs)[:5]:
        rec = records.get(j) or {}
        out.append(f"{j} {rec.get('status', 'no record')} steps_done={rec.get('steps_done')}")
    return "; ".join(out)


def finished_after(records: dict, wall: float) -> int:
    """Jobs whose record says they finished after `wall` (they were pending then)."""
    from datetime import datetime
    n = 0
    for job in records.values():
        if job and job.get("finished_at"):
            if datetime.fromisoformat(job["finished_at"].replace("Z", "+00:00")).timestamp() > wall:
                n += 1
    return n


def restart_count(run: Run, ctr: str) -> int:
    out = run.sh("podman", "inspect", "--format", "{{.RestartCount}}", ctr, check=False).stdout.strip()
    return int(out) if out.isdigit() else 0


def check_redis_restart(run: Run, stack: Stack, api: Api, earlier_job: str) -> None:
    """Jobs queued, Redis restarted: every accepted job is still there and succeeds."""
    ctr = stack.containers()["redis"]
    texts = [t for _n, t in seeds()] * 8
    ids, codes = [], []
    for text in texts:
        job_id, code = api.submit(text)
        codes.append(code)
        if job_id:
            ids.append(job_id)
    t0, wall_restart = time.monotonic(), time.time()
    run.sh("podman", "restart", "-t", "10", ctr)
    # Submissions while Redis comes back: each is either refused (503) or accepted and kept.
    for text in texts[:5]:
        job_id, code = api.submit(text)
        codes.append(code)
        if job_id:
            ids.append(job_id)
    stack.wait_healthy(["redis"], time.monotonic(), timeout=60)
    print(f"  redis restarted and healthy in {time.monotonic() - t0:.1f} s", flush=True)
    last = api.wait_all(ids + [earlier_job], timeout=240)
    lost = [j for j in ids + [earlier_job] if last.get(j) is None]
    done = sum(1 for j in ids if (last.get(j) or {}).get("status") == "succeeded")
    refused = sum(1 for c in codes if c not in (200, 202))
    run.figure("redis restart", f"{finished_after(last, wall_restart)} jobs finished after the restart; "
                                f"{len(ids)} accepted ({refused} refused while it restarted), "
                                f"{done} succeeded, {len(lost)} lost, {time.monotonic() - t0:.1f} s until all done")
    run.record("redis restarted: no accepted job lost", not lost, f"{len(lost)} lost")
    stuck = {j: (last.get(j) or {}).get("status") for j in ids if (last.get(j) or {}).get("status") != "succeeded"}
    run.record("... every accepted job succeeded", done == len(ids),
               f"{done}/{len(ids)}" + (f"; not: {describe(last, stuck)}" if stuck else ""))
    earlier = last.get(earlier_job) or {}
    run.record("... the earlier result survived", earlier.get("status") == "succeeded",
               str(earlier.get("status")))


def check_non_root(run: Run, stack: Stack) -> None:
    ctrs = stack.containers()
    for service in APP_SERVICES:
        out = run.sh("podman", "top", ctrs[service], "user", "pid", "comm", check=False).stdout
        rows = [line.split() for line in out.splitlines()[1:] if line.strip()]
        users = sorted({r[0] for r in rows})
        uid = run.sh("podman", "exec", ctrs[service], "id", "-u", check=False).stdout.strip()
        ok = bool(rows) and "root" not in users and "0" not in users and uid not in ("", "0")
        run.record(f"{service}: every process non-root", ok, f"{len(rows)} processes as {users}, uid {uid}")


# -- main ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fresh", action="store_true", help="remove this script's images first (cold build)")
    ap.add_argument("--remove-images", action="store_true", help="remove the images afterwards")
    ap.add_argument("--no-install", action="store_true", help="do not apt-get install missing tools")
    args = ap.parse_args(argv)

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)

    tmp = Path(tempfile.mkdtemp(prefix="test-containers-"))
    run = Run(tmp)
    stack = None
    t_start = time.monotonic()
    try:
        with phase("tools"):
            if not args.no_install:
                install_tools(run)
            compose = install_compose(run)
            podman_settings(run)
            run.figure("podman", run.sh("podman", "--version").stdout.strip() + ", "
                       + run.sh(*compose, "--version").stdout.strip().splitlines()[0])
        if args.fresh:
            with phase("removing earlier images (--fresh)"):
                remove_images(run)
        with phase("base images"):
            t0 = time.monotonic()
            run.figure("base image", f"{BASE}: {ensure_base(run)} ({time.monotonic() - t0:.0f} s)")
            t0 = time.monotonic()
            redis_image = ensure_redis(run)
            run.figure("redis image", f"{redis_image} ({time.monotonic() - t0:.0f} s)")
        with phase("building the image"):
            t0 = time.monotonic()
            old = run.sh("podman", "image", "inspect", "--format", "{{.Id}}", IMAGE, check=False).stdout.strip()
            run.sh("podman", "build", "--format", "docker", "-t", IMAGE, ROOT, timeout=1800,
                   log=tmp / "build.log")
            run.figure("build time", f"{time.monotonic() - t0:.0f} s")
            if old and old != run.sh("podman", "image", "inspect", "--format", "{{.Id}}", IMAGE).stdout.strip():
                run.sh("podman", "rmi", old, check=False)  # the previous build, now untagged
            size = int(run.sh("podman", "image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
            run.figure("image size", f"{size / 1e6:.0f} MB (base {BASE} included)")
            jars = "present" if run.sh("podman", "run", "--rm", IMAGE, "test", "-f",
                                       "/opt/farasa_bin/lib/FarasaSegmenterJar.jar",
                                       check=False).returncode == 0 else "absent (built-in engines)"
            run.figure("Farasa jars in the image", jars)
            user = run.sh("podman", "image", "inspect", "--format", "{{.Config.User}}", IMAGE).stdout.strip()
            run.record("image user is not root", user not in ("", "root", "0"), user)

        keys = subprocess.run([sys.executable, "-m", "service.keys", "new", "--id", "ci"],
                              capture_output=True, text=True, cwd=ROOT, check=True).stdout
        key = re.search(r"^key:\s*(\S+)", keys, re.M).group(1)
        line = re.search(r"^line:\s*(\S+)", keys, re.M).group(1)
        from tools.run_local import free_port
        port = free_port()
        project = f"anectest{os.getpid()}"
        env = dict(run.env, API_KEYS=line, API_PORT=str(port), REDIS_IMAGE=redis_image,
                   BROKER_VISIBILITY_TIMEOUT="20", BROKER_RESTORE_INTERVAL="1")
        stack = Stack(run, compose, project, env)

        with phase(f"compose up (project {project}, API on port {port})"):
            t0 = time.monotonic()
            stack.up()
            when = stack.wait_healthy(SERVICES, t0)
            run.figure("time to healthy", f"{max(when.values()):.1f} s from `up` ("
                       + ", ".join(f"{s} {t:.1f}" for s, t in when.items()) + ")")

        from tests.conftest import SPEC_PATH, ContractChecker
        check = ContractChecker(SPEC_PATH)
        api = Api(f"http://127.0.0.1:{port}", key, check)
        with phase("a seed through the API, with a key"):
            earlier = check_contract(run, api, jars == "present")
        with phase("processes run as non-root"):
            check_non_root(run, stack)
        with phase("worker container SIGKILLed mid-job"):
            check_worker_kill(run, stack, api)
        with phase("redis restarted with jobs queued"):
            check_redis_restart(run, stack, api, earlier)
        run.record("every response valid against openapi.yaml", True, f"{check.validated} responses")
    except Failed as exc:
        run.record("run", False, str(exc))
    except KeyboardInterrupt as exc:
        run.record("run", False, f"interrupted ({exc})")
    except Exception as exc:  # a check that broke: still take everything down
        run.record("run", False, f"{type(exc).__name__}: {exc}")
    finally:
        if stack is not None:
            with phase("compose down"):
                for service in SERVICES:  # kept with the other logs when a check failed
                    (tmp / f"logs-{service}.txt").write_text(stack.logs(service))
                stack.down()
                left = stack.leftovers()
                if left:
                    stack.force_clean(left)
                run.record("nothing left behind (containers, pods, networks, volumes)", not left,
                           f"had to remove {left}" if left else "")
        if args.remove_images:
            with phase("removing images"):
                remove_images(run)

    failed = [c for c in run.checks if not c[1]]
    if failed:
        print(f"logs kept in {tmp} (apt, mmdebstrap, builds, compose)")
    else:
        shutil.rmtree(tmp, ignore_errors=True)

    run.figure("total", f"{time.monotonic() - t_start:.0f} s")
    print(f"\ntest-containers: {len(run.checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
