"""The HTTP API (Flask). ``create_app`` is the application factory; gunicorn serves
``service.wsgi:app``. Modules here that the workers import (config, store, problems)
do not import Flask at module level.
"""


def create_app(*args, **kwargs):
    from service.app import create_app as _create_app
    return _create_app(*args, **kwargs)
