"""gunicorn settings for the API: ``gunicorn -c service/gunicorn.conf.py service.wsgi:app``.

Threads, not more processes, for ``?wait=N`` long-polls: a waiting request sleeps between
Redis reads and must not hold a whole worker process.
"""
import os

bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 60                      # above the 30 s ceiling of ?wait
graceful_timeout = 10
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"


def on_starting(server):
    """The master's own lines as JSON too (the workers' are switched by service/wsgi.py)."""
    if os.environ.get("LOG_FORMAT", "json").strip().lower() != "text":
        try:
            from jobs.logs import use_json_for_gunicorn
        except ImportError:  # not started from the project root: plain lines
            return
        use_json_for_gunicorn()
