"""gunicorn settings for the API: ``gunicorn -c service/gunicorn.conf.py service.wsgi:app``.

Threads, not more processes, for ``?wait=N`` long-polls: a waiting request sleeps between
Redis reads and must not hold a whole worker process.
"""
import os
import sys

# Started as `gunicorn -c service/gunicorn.conf.py` from the project root: its packages.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jobs.settings import Settings  # noqa: E402

_settings = Settings.from_env()

bind = _settings.http_bind
workers = _settings.web_concurrency
worker_class = "gthread"
threads = _settings.gunicorn_threads
timeout = 60                      # above the 30 s ceiling of ?wait
graceful_timeout = 10
accesslog = _settings.access_log
errorlog = "-"


def on_starting(server):
    """The master's own lines as JSON too (the workers' are switched by service/wsgi.py)."""
    if _settings.log_format != "text":
        from jobs.logs import use_json_for_gunicorn
        use_json_for_gunicorn()
