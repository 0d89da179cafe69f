"""Run the whole service locally: ``make run`` (``.venv/bin/python -m tools.run_local``).

Checks that the API's port (http://127.0.0.1:8000, ``PORT`` to change) is free, then
starts, in order: a ``redis-server`` on a free loopback port (unless ``REDIS_URL`` is set),
a Celery worker, and the API under gunicorn; waits until it answers, prints a working
``curl`` example that submits a seed article, and stops everything it started, API first,
Redis last, on the first of Ctrl-C (SIGINT), SIGTERM or SIGHUP (the terminal closed).
Once stopping, further signals are ignored: a second Ctrl-C, or the SIGTERM a process
manager sends to the whole group and ``make`` forwards again, cannot cut the stop short.

Logs go to ``run/logs/``. ``LocalStack`` is also used by ``bench/bench_e2e.py``.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop_process(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group we started, then SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


class StartError(RuntimeError):
    pass


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopping(BaseException):
    """Raised in the main thread by the first stop signal (a BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` on the way swallows it)."""


class StopSignals:
    """The first of SIGINT, SIGTERM or SIGHUP stops the stack; later ones are ignored.

    While a child is being spawned (``held``) the stop is deferred until its Popen is
    recorded, so an interrupted start never leaves an unrecorded process behind.
    """

    def __init__(self):
        self.received: int | None = None
        self._held = 0

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        if self.received is not None:
            return
        self.received = signum
        if not self._held:
            raise Stopping(signum)

    @contextlib.contextmanager
    def held(self):
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if self.received is not None and not self._held:
            raise Stopping(self.received)

    def stopping(self) -> None:
        """From here on every stop signal is ignored (called before stopping for any reason)."""
        if self.received is None:
            self.received = 0


class LocalStack:
    """Processes of a local service stack; ``stop()`` ends only what it started."""

    def __init__(self, run_dir: Path, env: dict | None = None):
        self.run_dir = run_dir
        self.log_dir = run_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(env if env is not None else os.environ)
        self.env.setdefault("PYTHONPATH", str(ROOT))
        self.env["PYTHONUNBUFFERED"] = "1"
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []
        # Wraps each spawn; make run defers stop signals there (StopSignals.held).
        self.spawn_guard = contextlib.nullcontext

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log"
        with self.spawn_guard(), open(log, "ab") as out:
            proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            self.procs.append((name, proc, log))
        return proc

    def tail(self, name: str, chars: int = 2000) -> str:
        for n, _p, log in self.procs:
            if n == name and log.exists():
                return log.read_text(errors="replace")[-chars:]
        return ""

    def _wait(self, name: str, proc: subprocess.Popen, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StartError(f"{name} exited with code {proc.returncode}:\n{self.tail(name)}")
            try:
                if ready():
                    return
            except Exception:
                pass
            time.sleep(0.2)
        raise StartError(f"{name} did not become ready in {timeout:.0f} s:\n{self.tail(name)}")

    def start_redis(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise StartError(
                "redis-server is not installed (or not on PATH).\n"
                "  Debian/Ubuntu: sudo apt-get install redis-server\n"
                "  macOS:         brew install redis\n"
                "or point REDIS_URL at a running Redis, e.g. REDIS_URL=redis://127.0.0.1:6379/0 make run")
        port = free_port()
        data = self.run_dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        proc = self._spawn("redis", [binary, "--port", str(port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--dir", str(data)])
        url = f"redis://127.0.0.1:{port}/0"
        import redis
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        self._wait("redis", proc, client.ping, 15)
        self.env["REDIS_URL"] = url
        return url

    def start_worker(self, concurrency: int = 1, name: str = "worker", pool: str = "prefork") -> None:
        node = f"{name}-{os.getpid()}@localhost"
        proc = self._spawn(name, [str(BIN / "celery"), "-A", "workers.celery_app", "worker",
                                  "--pool", pool, "-c", str(concurrency), "-n", node,
                                  "--without-gossip", "--without-mingle", "--without-heartbeat",
                                  "--loglevel", "INFO"])
        from celery import Celery
        probe = Celery(broker=self.env["REDIS_URL"])
        try:
            self._wait(name, proc, lambda: probe.control.ping(destination=[node], timeout=0.5), 120)
        finally:
            probe.close()

    def start_api(self, port: int, workers: int = 2, threads: int = 8) -> str:
        if port_in_use(port):
            raise StartError(f"port {port} is already in use; set PORT to another port")
        proc = self._spawn("api", [str(BIN / "gunicorn"), "-c", str(ROOT / "service" / "gunicorn.conf.py"),
                                   "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                   "--threads", str(threads), "service.wsgi:app"])
        base = f"http://127.0.0.1:{port}"

        def ready():
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                return r.status == 200
        self._wait("api", proc, ready, 60)
        return base

    def check_alive(self) -> str | None:
        for name, proc, _log in self.procs:
            if proc.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        """Stop in reverse order of start: API, workers, then Redis."""
        for _name, proc, _log in reversed(self.procs):
            stop_process(proc, grace=15)
        self.procs.clear()


def curl_example(base: str, run_dir: Path) -> str:
    seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
    body = run_dir / "example-request.json"
    # No client fields: the outlet, title and tags come from the article's own boilerplate.
    body.write_text(json.dumps({"text": seed.read_text(encoding="utf-8"),
                                "metadata": {"file": seed.name}}, ensure_ascii=False),
                    encoding="utf-8")
    rel = os.path.relpath(body, Path.cwd())
    return (f"  # submit a seed article ({seed.name}) and wait up to 30 s for the result:\n"
            f"  curl -s -X POST '{base}/v1/jobs?wait=30' -H 'Content-Type: application/json' \\\n"
            f"       --data-binary @{rel}\n"
            f"  # or submit, then poll the job it returns (Location header):\n"
            f"  curl -si -X POST {base}/v1/jobs -H 'Content-Type: application/json' --data-binary @{rel}\n"
            f"  curl -s {base}/v1/jobs/<id>\n"
            f"  # docs: {base}/docs   spec: {base}/openapi.yaml   metrics: {base}/metrics")


def say(*parts, err: bool = False) -> None:
    """Print, but never fail: after SIGHUP the terminal is gone and writing to it raises."""
    try:
        print(*parts, file=sys.stderr if err else sys.stdout, flush=True)
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "1")),
                        help="worker processes (default 1)")
    parser.add_argument("--run-dir", type=Path, default=ROOT / "run",
                        help="where logs and the example request go (default: run/)")
    args = parser.parse_args(argv)

    # Before anything starts: a taken port would otherwise be found after Redis and a
    # worker are up, and they would have to be stopped again.
    if port_in_use(args.port):
        say(f"error: port {args.port} is already in use (another make run?); "
            f"stop it or pick another port, e.g. PORT={args.port + 1} make run", err=True)
        return 1

    signals = StopSignals()
    signals.install()
    stack = LocalStack(args.run_dir)
    stack.spawn_guard = signals.held
    code = 0
    try:
        if os.environ.get("REDIS_URL"):
            say(f"using REDIS_URL={os.environ['REDIS_URL']}")
        else:
            say("starting redis-server ...")
            say(f"  {stack.start_redis()}")
        say("starting a Celery worker (engines warm up once) ...")
        stack.start_worker(args.concurrency)
        say("starting the API under gunicorn ...")
        base = stack.start_api(args.port)
        say(f"\nready: {base}   (logs in {os.path.relpath(stack.log_dir)}; Ctrl-C stops everything)\n")
        say(curl_example(base, args.run_dir))
        while True:
            time.sleep(1)
            dead = stack.check_alive()
            if dead:
                say(f"\n{dead} stopped unexpectedly:\n{stack.tail(dead)}", err=True)
                code = 1
                break
    except StartError as exc:
        say(f"error: {exc}", err=True)
        code = 1
    except Stopping:
        pass
    finally:
        signals.stopping()
        asked = signals.received not in (None, 0)
        if asked:
            say(f"\nstopping ({signal.Signals(signals.received).name}; further signals are ignored) ...")
        stack.stop()
        if asked:
            say("stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
