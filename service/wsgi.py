"""WSGI entry point for gunicorn: ``gunicorn 'service.wsgi:app'``.

Logging is set up here (JSON lines on stderr, jobs/logs.py), not in ``create_app``:
tests build many apps in one process and keep pytest's own log capture.
"""
from service.app import create_app
from jobs.settings import Settings
from jobs.logs import configure, use_json_for_gunicorn

settings = Settings.from_env()
configure(settings.log_format, settings.log_level)
if settings.log_format == "json":
    use_json_for_gunicorn()
app = create_app(settings)
