"""gunicorn settings for the API: ``gunicorn -c service/gunicorn.conf.py service.wsgi:app``.

`make run`, the compose file and the tests start gunicorn with this file, so each gets the
same protections (docs/security.md, "Slow and hostile clients"):

- the gevent worker (service/server.py): a connection costs a greenlet, not a thread, so
  slow senders and ``?wait=N`` long-polls cannot hold every request slot; at most
  ``WORKER_CONNECTIONS`` connections per process, ``MAX_WAITERS`` of them long-polling;
- headers must arrive within ``keepalive`` seconds, a body within ``REQUEST_BODY_TIMEOUT``
  (408, service/body.py), and the request line and headers are bounded (414/431);
- gunicorn's own error answers are problem documents;
- the access log writes the path without its query string (a key sent as ``?api_key=``
  is refused, and never logged either).
"""
import os
import sys

# Started as `gunicorn -c service/gunicorn.conf.py` from the project root: its packages.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jobs.settings import Settings  # noqa: E402

_settings = Settings.from_env()

bind = _settings.http_bind
workers = _settings.web_concurrency
worker_class = "service.server.ApiWorker"
worker_connections = _settings.worker_connections
timeout = 60                      # heartbeat: a worker whose loop is stuck this long is replaced
graceful_timeout = 10
keepalive = 5                     # idle keep-alive, and the time to send a request's headers
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = _settings.access_log
# No %(r)s, %(q)s or %(f)s: the request line and the referrer carry query strings.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"


def on_starting(server):
    """The master's own lines as JSON too (the workers' are switched by service/wsgi.py),
    and no query string in gunicorn's error lines."""
    from jobs.logs import use_json_for_gunicorn, withhold_query_strings
    withhold_query_strings()
    if _settings.log_format != "text":
        use_json_for_gunicorn()


def post_worker_init(worker):
    from jobs.logs import withhold_query_strings
    withhold_query_strings()
