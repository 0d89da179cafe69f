"""The one way this project starts its own processes: Redis, Celery workers, the API.

``make run`` (tools/run_local.py), the tests' fixtures and the benchmarks all start
processes through this module, so what the tests exercise is what ``make run`` and the
compose file run. In particular the API always runs as
``gunicorn -c service/gunicorn.conf.py service.wsgi:app``, its settings passed the way
that file reads them (``HOST``, ``PORT``, ``WEB_CONCURRENCY``, ``GUNICORN_THREADS``).

Pieces, each one child process in a session (process group) of its own, so that stopping
it also ends what it forked (a worker's pool, gunicorn's workers):

- ``RedisServer(dir, port, persistence="none"|"aof")``: start/stop/kill/restart, ``url``;
- ``Worker(env, log, name, queues, concurrency, pool)``: start/stop/kill/restart; ready
  when its node answers a Celery ping;
- ``Api(env, log, port, workers, threads)``: start/stop/kill; checks its port is free
  before it starts; ready when ``/healthz`` answers 200; ``base`` URL;
- ``Stack(run_dir, env)``: composes them (``start_redis``, ``start_worker``,
  ``start_api``), passes Redis's URL on to what starts after it, and stops everything it
  started in reverse order (API, workers, Redis last).

Shutdown of a long-running launcher (``make run``): inside ``StopSignals()``, SIGINT,
SIGTERM and SIGHUP raise ``KeyboardInterrupt`` once (after the spawn in progress, if any,
is recorded); every later one is ignored, so a second Ctrl-C or a closed terminal cannot
cut ``Stack.stop()`` short and leave Redis or a worker running. ``Stack.stop()`` also
ignores those signals while it runs.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Mapping

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "service" / "gunicorn.conf.py"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StartError(RuntimeError):
    """A process exited while starting, or a condition was not reached in time."""


# -- small helpers ----------------------------------------------------------------------------

def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on ``port`` (or gunicorn could not bind it)."""
    with socket.socket() as s:
        if s.connect_ex((host, port)) == 0:
            return True
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def stop_process(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM the process group ``proc`` leads, then SIGKILL it if it lingers."""
    if proc is None or proc.poll() is not None:
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


def tail(log: Path | None, chars: int = 3000) -> str:
    if log is None or not Path(log).exists():
        return ""
    return Path(log).read_text(errors="replace")[-chars:]


def wait_until(predicate: Callable[[], object], timeout: float, what: str,
               proc: subprocess.Popen | None = None, log: Path | None = None,
               interval: float = 0.1) -> None:
    """Poll ``predicate`` until it is true; a raising predicate counts as false.

    Raises ``StartError`` (with the end of ``log``) when ``proc`` exits first or after
    ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StartError(f"{what} exited with {proc.returncode}:\n{tail(log)}")
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(interval)
    raise StartError(f"{what} not ready after {timeout:.0f} s\n{tail(log)}")


@contextmanager
def signals_ignored(signals: Iterable[int] = STOP_SIGNALS):
    """Ignore ``signals`` inside the block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, signal.SIG_IGN) for s in signals}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


class StopSignals:
    """``with StopSignals():`` the first of SIGINT, SIGTERM or SIGHUP raises
    ``KeyboardInterrupt``; every later one is ignored until the block ends, so the cleanup
    the first one starts runs to its end. ``received`` is the first signal's number.

    While a process is being spawned (inside ``Process.start``) the interrupt waits until
    its Popen is recorded, so an interrupted start never leaves a process nobody stops.
    """

    def __init__(self, signals: Iterable[int] = STOP_SIGNALS):
        self.signals = tuple(signals)
        self.received: int | None = None
        self._stopping = False
        self._pending = False
        self._held = 0
        self._old: dict = {}

    def _on_signal(self, signum, _frame):
        if self._stopping:
            return
        self._stopping = True
        self.received = signum
        if self._held:
            self._pending = True
            return
        raise KeyboardInterrupt

    def ignore(self) -> None:
        """From now on the signals are ignored: call it first thing when stopping for any
        other reason (a process died, a start failed)."""
        self._stopping = True

    @contextmanager
    def held(self):
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if self._pending and not self._held:
            self._pending = False
            raise KeyboardInterrupt

    def __enter__(self) -> "StopSignals":
        global _active_signals
        self._old = {s: signal.signal(s, self._on_signal) for s in self.signals}
        _active_signals = self
        return self

    def __exit__(self, *_exc) -> None:
        global _active_signals
        _active_signals = None
        for s, handler in self._old.items():
            signal.signal(s, handler)


_active_signals: StopSignals | None = None


@contextmanager
def _spawning():
    """Around a spawn: a stop signal's interrupt waits until the process is recorded."""
    if _active_signals is None:
        yield
    else:
        with _active_signals.held():
            yield


def _child_env(env: Mapping[str, str]) -> dict[str, str]:
    out = dict(env)
    path = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(ROOT) not in path:
        out["PYTHONPATH"] = os.pathsep.join([str(ROOT), *path])
    out["PYTHONUNBUFFERED"] = "1"
    return out


# -- the pieces -------------------------------------------------------------------------------

class Process:
    """One child process in a session of its own; stdout and stderr appended to ``log``."""

    start_timeout = 60.0
    grace = 10.0  # seconds between SIGTERM and SIGKILL on stop()

    def __init__(self, name: str, log: Path, env: Mapping[str, str] | None = None):
        self.name = name
        self.log = Path(log)
        self.env = dict(os.environ if env is None else env)
        self.process: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        return True

    def _before_start(self) -> None:
        """Checks that must pass before the process is spawned."""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, wait: bool = True) -> "Process":
        if self.alive:
            raise StartError(f"{self.name} is already running (pid {self.pid})")
        self._before_start()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with _spawning(), open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.argv(), cwd=ROOT, env=_child_env(self.env),
                                            stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        if wait:
            try:
                self.wait_ready()
            except BaseException:
                self.stop()
                raise
        return self

    def wait_ready(self, timeout: float | None = None) -> None:
        wait_until(self.ready, timeout or self.start_timeout, self.name, self.process, self.log)

    def stop(self, grace: float | None = None) -> None:
        """SIGTERM to the whole group, SIGKILL after ``grace`` seconds."""
        stop_process(self.process, self.grace if grace is None else grace)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """``sig`` to the whole group (by default SIGKILL: a container killed), then reap."""
        if not self.alive:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def restart(self, wait: bool = True) -> "Process":
        self.stop()
        return self.start(wait=wait)

    def tail(self, chars: int = 3000) -> str:
        return tail(self.log, chars)


class RedisServer(Process):
    """A ``redis-server`` on loopback. ``persistence="aof"``: append-only file, fsync every
    second, as in docker-compose.yml, so stop() (SIGTERM, a clean shutdown) then start()
    comes back with the data; ``"none"``: nothing written to disk."""

    start_timeout = 30.0

    def __init__(self, dir: Path, port: int | None = None, persistence: str = "none",
                 log: Path | None = None, host: str = "127.0.0.1", name: str = "redis"):
        if persistence not in ("none", "aof"):
            raise ValueError(f"persistence must be 'none' or 'aof', not {persistence!r}")
        self.dir = Path(dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        super().__init__(name, log or self.dir / "redis.log", env={})
        self.host = host
        self.port = port or free_port(host)
        self.persistence = persistence
        self.url = f"redis://{host}:{self.port}/0"

    def _before_start(self) -> None:
        if shutil.which("redis-server") is None:
            raise StartError(
                "redis-server is not installed (or not on PATH).\n"
                "  Debian/Ubuntu: sudo apt-get install redis-server\n"
                "  macOS:         brew install redis\n"
                "or point REDIS_URL at a running Redis, e.g. REDIS_URL=redis://127.0.0.1:6379/0 make run")

    def argv(self) -> list[str]:
        aof = (["--appendonly", "yes", "--appendfsync", "everysec"] if self.persistence == "aof"
               else ["--appendonly", "no"])
        return [shutil.which("redis-server"), "--port", str(self.port), "--bind", self.host,
                "--save", "", *aof, "--dir", str(self.dir)]

    def ready(self) -> bool:
        import redis
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=1)
        try:
            # While it loads its append-only file Redis answers LOADING errors.
            return client.ping() and client.info("persistence")["loading"] == 0
        finally:
            client.close()


class Worker(Process):
    """A Celery worker (``workers.celery_app``) with its own settings in ``env``
    (``REDIS_URL``, or ``BROKER_URL`` for the broker, time limits, ...), consuming
    ``queues`` (default: the app's default queue)."""

    start_timeout = 120.0  # engines warm up before the first ping is answered
    grace = 15.0

    def __init__(self, env: Mapping[str, str], log: Path, name: str = "worker",
                 queues: str | Iterable[str] | None = None, concurrency: int = 1,
                 pool: str = "prefork", loglevel: str = "INFO"):
        super().__init__(name, log, env)
        self.node = f"{name}-{os.getpid()}@localhost"
        self.queues = queues if queues is None or isinstance(queues, str) else ",".join(queues)
        self.concurrency = concurrency
        self.pool = pool
        self.loglevel = loglevel

    @property
    def broker(self) -> str:
        url = self.env.get("BROKER_URL") or self.env.get("REDIS_URL")
        if not url:
            raise StartError(f"{self.name}: no REDIS_URL (or BROKER_URL) in its environment")
        return url

    def _before_start(self) -> None:
        self.broker  # noqa: B018 - fails early without a broker

    def argv(self) -> list[str]:
        argv = [str(BIN / "celery"), "-A", "workers.celery_app", "worker", "--pool", self.pool,
                "-c", str(self.concurrency), "-n", self.node, "--without-gossip",
                "--without-mingle", "--without-heartbeat", "--loglevel", self.loglevel]
        return argv + (["-Q", self.queues] if self.queues else [])

    def wait_ready(self, timeout: float | None = None) -> None:
        from celery import Celery
        probe = Celery("probe", broker=self.broker)
        try:
            wait_until(lambda: probe.control.ping(destination=[self.node], timeout=0.5),
                       timeout or self.start_timeout, self.name, self.process, self.log)
        finally:
            probe.close()


class Api(Process):
    """The API: always ``gunicorn -c service/gunicorn.conf.py service.wsgi:app`` (gthread,
    its timeouts and JSON logs), bound to ``host:port``; ``workers`` and ``threads``, when
    given, go in as ``WEB_CONCURRENCY`` and ``GUNICORN_THREADS`` (else the environment's
    or the config file's defaults)."""

    grace = 15.0  # the config's graceful_timeout is 10 s

    def __init__(self, env: Mapping[str, str], log: Path, port: int | None = None,
                 host: str = "127.0.0.1", workers: int | None = None, threads: int | None = None,
                 name: str = "api"):
        super().__init__(name, log, env)
        self.host = host
        self.port = port or free_port(host)
        self.env.pop("BIND", None)  # the config prefers BIND over HOST and PORT
        self.env.update(HOST=host, PORT=str(self.port))
        if workers is not None:
            self.env["WEB_CONCURRENCY"] = str(workers)
        if threads is not None:
            self.env["GUNICORN_THREADS"] = str(threads)
        self.base = f"http://{host}:{self.port}"

    def _before_start(self) -> None:
        if port_in_use(self.port, self.host):
            raise StartError(f"port {self.port} is already in use; set PORT to another port")

    def argv(self) -> list[str]:
        return [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "service.wsgi:app"]

    def ready(self) -> bool:
        with urllib.request.urlopen(self.base + "/healthz", timeout=1) as resp:
            return resp.status == 200


# -- a whole stack ----------------------------------------------------------------------------

class Stack:
    """Processes of one local stack, started in order, stopped in reverse order.

    ``env`` (default: this process's environment) is what every piece starts with, plus
    ``REDIS_URL`` once ``start_redis`` has run, plus each piece's own extra ``env``.
    Logs go to ``log_dir`` (default ``run_dir/logs``), one file per piece name.
    """

    def __init__(self, run_dir: Path, env: Mapping[str, str] | None = None,
                 log_dir: Path | None = None):
        self.run_dir = Path(run_dir)
        self.log_dir = Path(log_dir) if log_dir is not None else self.run_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ if env is None else env)
        self.pieces: list[Process] = []
        self.redis: RedisServer | None = None
        self.api: Api | None = None

    def _add(self, piece: Process, wait: bool = True) -> Process:
        self.pieces.append(piece)  # before starting: stop() ends it even if it never got ready
        piece.start(wait=wait)
        return piece

    @staticmethod
    def check_port(port: int, host: str = "127.0.0.1") -> None:
        """Refuse early (before Redis or a worker starts) when the API's port is taken."""
        if port_in_use(port, host):
            raise StartError(f"port {port} is already in use; set PORT to another port")

    def start_redis(self, persistence: str = "none", port: int | None = None,
                    name: str = "redis") -> RedisServer:
        redis = RedisServer(self.run_dir / name, port=port, persistence=persistence,
                            log=self.log_dir / f"{name}.log", name=name)
        self._add(redis)
        if self.redis is None:
            self.redis = redis
            self.env["REDIS_URL"] = redis.url
        return redis

    def start_worker(self, name: str = "worker", concurrency: int = 1,
                     queues: str | Iterable[str] | None = None, pool: str = "prefork",
                     env: Mapping[str, str] | None = None, log: Path | None = None,
                     wait: bool = True) -> Worker:
        worker = Worker({**self.env, **(env or {})}, log or self.log_dir / f"{name}.log", name=name,
                        queues=queues, concurrency=concurrency, pool=pool)
        self._add(worker, wait=wait)
        return worker

    def start_api(self, port: int | None = None, workers: int | None = None,
                  threads: int | None = None, env: Mapping[str, str] | None = None,
                  name: str = "api", log: Path | None = None) -> Api:
        api = Api({**self.env, **(env or {})}, log or self.log_dir / f"{name}.log", port=port,
                  workers=workers, threads=threads, name=name)
        self._add(api)
        if self.api is None:
            self.api = api
        return api

    def discard(self, piece: Process, grace: float | None = None) -> None:
        """Stop one piece and forget it (e.g. a worker between two benchmark runs)."""
        piece.stop(grace)
        if piece in self.pieces:
            self.pieces.remove(piece)

    def dead(self) -> Process | None:
        """The first piece that has exited, if any."""
        return next((p for p in self.pieces if not p.alive), None)

    def stop(self) -> None:
        """Stop every piece, last started first; SIGINT/SIGTERM/SIGHUP are ignored meanwhile."""
        with signals_ignored():
            for piece in reversed(self.pieces):
                try:
                    piece.stop()
                except Exception as exc:  # noqa: BLE001 - the others must still be stopped
                    try:
                        print(f"stopping {piece.name}: {exc!r}", file=sys.stderr)
                    except (OSError, ValueError):  # no terminal any more
                        pass
            self.pieces.clear()

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
